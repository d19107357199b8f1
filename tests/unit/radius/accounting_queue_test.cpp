// The on-disk accounting queue: order kept across a restart, bounded,
// atomic (no half file is ever a record), corruption refused cleanly.
#include "captive/radius/accounting_queue.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace captive::radius {
namespace {

namespace fs = std::filesystem;

class AccountingQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/captive-acctq.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/acct-queue";
  }
  void TearDown() override { fs::remove_all(root_); }
  static std::vector<std::byte> attrs(std::uint8_t tag) {
    return {std::byte{44}, std::byte{3}, std::byte{tag}};  // Acct-Session-Id = tag
  }
  std::vector<fs::path> files() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string root_, dir_;
};

TEST_F(AccountingQueueTest, KeepsOrderAcrossARestart) {
  {
    auto q = AccountingQueue::open(dir_);
    ASSERT_TRUE(q) << q.error().message();
    for (std::uint8_t i = 1; i <= 5; ++i) ASSERT_TRUE(q->push(1000 + i, attrs(i)));
    ASSERT_TRUE(q->pop());  // the first one was delivered
    EXPECT_EQ(q->size(), 4u);
  }
  QueueOpened opened;
  auto q = AccountingQueue::open(dir_, kDefaultAccountingQueueRecords, &opened);
  ASSERT_TRUE(q);
  EXPECT_EQ(opened.loaded, 4u);
  EXPECT_EQ(opened.set_aside, 0u);
  for (std::uint8_t i = 2; i <= 5; ++i) {
    ASSERT_NE(q->front(), nullptr);
    EXPECT_EQ(q->front()->event_time, 1000 + i);
    EXPECT_EQ(q->front()->attributes, attrs(i));
    ASSERT_TRUE(q->pop());
  }
  EXPECT_TRUE(q->empty());
  EXPECT_TRUE(files().empty());
  // A record pushed after the restart goes after the old ones even when
  // the old ones are gone: sequences only grow.
  ASSERT_TRUE(q->push(2000, attrs(9)));
  EXPECT_EQ(files().size(), 1u);
  EXPECT_EQ(files()[0].filename().string(), "00000000000000000006.acct");
}

TEST_F(AccountingQueueTest, IsBounded) {
  auto q = AccountingQueue::open(dir_, 3);
  ASSERT_TRUE(q);
  for (std::uint8_t i = 0; i < 3; ++i) ASSERT_TRUE(q->push(i, attrs(i)));
  auto full = q->push(3, attrs(3));
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ENOSPC);
  EXPECT_EQ(q->size(), 3u);
  EXPECT_EQ(files().size(), 3u);
}

TEST_F(AccountingQueueTest, SetsACorruptFileAsideAndKeepsTheRest) {
  {
    auto q = AccountingQueue::open(dir_);
    ASSERT_TRUE(q);
    for (std::uint8_t i = 1; i <= 3; ++i) ASSERT_TRUE(q->push(i, attrs(i)));
  }
  const auto middle = files()[1];
  {
    // One flipped bit in the attributes.
    std::fstream f(middle, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(14);
    f.put('\x2d');
  }
  // A write cut off before its rename.
  std::ofstream(dir_ + "/.00000000000000000004.acct.tmp") << "half";
  QueueOpened opened;
  auto q = AccountingQueue::open(dir_, kDefaultAccountingQueueRecords, &opened);
  ASSERT_TRUE(q);
  EXPECT_EQ(opened.loaded, 2u);
  EXPECT_EQ(opened.set_aside, 1u);
  EXPECT_EQ(opened.partial_removed, 1u);
  ASSERT_EQ(opened.problems.size(), 1u);
  EXPECT_NE(opened.problems[0].find("checksum"), std::string::npos) << opened.problems[0];
  EXPECT_TRUE(fs::exists(middle.string() + ".bad"));
  EXPECT_FALSE(fs::exists(dir_ + "/.00000000000000000004.acct.tmp"));
  EXPECT_EQ(q->front()->attributes, attrs(1));
  ASSERT_TRUE(q->pop());
  EXPECT_EQ(q->front()->attributes, attrs(3));
}

TEST(AccountingQueueRecord, RoundTripsAndRefusesEveryCut) {
  std::vector<std::byte> a(300);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = std::byte(i);
  const auto bytes = encode_queued_record(-5, a);
  auto back = decode_queued_record(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->event_time, -5);
  EXPECT_EQ(back->attributes, a);
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(decode_queued_record(std::span(bytes).first(n))) << n;
  auto longer = bytes;
  longer.push_back(std::byte{0});
  EXPECT_FALSE(decode_queued_record(longer));
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto flipped = bytes;
    flipped[i] ^= std::byte{0x01};
    EXPECT_FALSE(decode_queued_record(flipped)) << i;
  }
}

TEST_F(AccountingQueueTest, FailsCleanlyWhenTheDirectoryCannotBeMade) {
  auto q = AccountingQueue::open(root_ + "/missing/acct-queue");
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ENOENT);
}

}  // namespace
}  // namespace captive::radius
