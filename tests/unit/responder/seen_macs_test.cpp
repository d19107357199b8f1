// The table of MACs answered by the gate, for --radius-mac-auth: each
// waiting MAC drained once, the table bounded, concurrent writers safe.
#include "captive/responder/seen_macs.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace captive::responder {
namespace {

packet::MacAddr mac_of(std::uint32_t n) {
  return packet::MacAddr{{0x02, 0x00, static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                          static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)}};
}

std::vector<packet::MacAddr> drain(SeenMacs& seen) {
  std::vector<packet::MacAddr> out;
  seen.drain([&](const packet::MacAddr& m) { out.push_back(m); });
  return out;
}

TEST(SeenMacs, EachMacOnceUntilDrained) {
  SeenMacs seen;
  for (int i = 0; i < 5; ++i) seen.note(mac_of(1));
  seen.note(mac_of(2));
  auto out = drain(seen);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::set<packet::MacAddr>(out.begin(), out.end()), (std::set<packet::MacAddr>{mac_of(1), mac_of(2)}));
  EXPECT_TRUE(drain(seen).empty());
  seen.note(mac_of(1));
  EXPECT_EQ(drain(seen), std::vector<packet::MacAddr>{mac_of(1)});
  EXPECT_EQ(seen.dropped(), 0u);
}

TEST(SeenMacs, BoundedAndCountsWhatItDrops) {
  SeenMacs seen;
  for (std::uint32_t i = 0; i < 1000; ++i) seen.note(mac_of(i));
  const auto out = drain(seen);
  EXPECT_LE(out.size(), SeenMacs::kSlots);
  EXPECT_EQ(out.size() + seen.dropped(), 1000u);
  EXPECT_GT(out.size(), SeenMacs::kSlots / 2);  // open addressing fills most slots
}

TEST(SeenMacs, ConcurrentWritersLoseNothingThatFits) {
  SeenMacs seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&seen] {
      for (int round = 0; round < 1000; ++round)
        for (std::uint32_t i = 0; i < 50; ++i) seen.note(mac_of(i));
    });
  for (auto& t : threads) t.join();
  const auto out = drain(seen);
  EXPECT_EQ(std::set<packet::MacAddr>(out.begin(), out.end()).size(), 50u);
  EXPECT_EQ(out.size(), 50u);
}

}  // namespace
}  // namespace captive::responder
