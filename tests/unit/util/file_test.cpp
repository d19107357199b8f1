#include "captive/util/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace captive::util {
namespace {

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/captive-file-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const char* name : {"/f", "/link", "/number"}) ::unlink((dir_ + name).c_str());
    ::rmdir(dir_.c_str());
  }
  std::string write(const char* name, const std::string& text) {
    const std::string path = dir_ + name;
    std::FILE* f = std::fopen(path.c_str(), "w");
    EXPECT_NE(f, nullptr);
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    return path;
  }
  std::string dir_;
};

TEST_F(FileTest, ReadsTheWholeFileUpToTheBound) {
  // More than one read's worth, so the loop has to go round.
  const std::string text(100000, 'x');
  const auto path = write("/f", text);
  auto whole = read_file(path, text.size());
  ASSERT_TRUE(whole) << whole.error().message();
  EXPECT_EQ(*whole, text);
}

TEST_F(FileTest, ALargerFileIsRefusedNotCut) {
  const auto path = write("/f", std::string(100001, 'x'));
  auto whole = read_file(path, 100000);
  ASSERT_FALSE(whole);
  EXPECT_EQ(whole.error().code, EFBIG);
  EXPECT_EQ(whole.error().what, path + ": larger than 100000 bytes");
}

TEST_F(FileTest, AMissingFileSaysENOENTAndNamesIt) {
  auto whole = read_file(dir_ + "/none", 10);
  ASSERT_FALSE(whole);
  EXPECT_EQ(whole.error().code, ENOENT);
  EXPECT_EQ(whole.error().what, "open " + dir_ + "/none");
}

TEST_F(FileTest, ExtraOpenFlagsApply) {
  const auto path = write("/f", "data");
  ASSERT_EQ(::symlink(path.c_str(), (dir_ + "/link").c_str()), 0);
  EXPECT_TRUE(read_file(dir_ + "/link", 10));
  auto refused = read_file(dir_ + "/link", 10, O_NOFOLLOW);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ELOOP);
}

TEST_F(FileTest, ReadRestLeavesTheDescriptorOpen) {
  const auto path = write("/f", "0123456789");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  char first[4];
  ASSERT_EQ(::read(fd, first, sizeof first), 4);
  auto rest = read_rest(fd, path, 100);
  ASSERT_TRUE(rest);
  EXPECT_EQ(*rest, "456789");
  EXPECT_EQ(::lseek(fd, 0, SEEK_SET), 0);  // still open
  ::close(fd);
}

TEST_F(FileTest, ReadNumber) {
  EXPECT_EQ(read_number(write("/number", "4096\n")), 4096);
  EXPECT_EQ(read_number(write("/number", "-7")), -7);
  EXPECT_EQ(read_number(write("/number", "")), std::nullopt);
  EXPECT_EQ(read_number(write("/number", "many")), std::nullopt);
  EXPECT_EQ(read_number(dir_ + "/none"), std::nullopt);
  // The kernel's own, as captived reads it.
  EXPECT_GT(read_number("/proc/sys/net/core/somaxconn").value_or(0), 0);
}

}  // namespace
}  // namespace captive::util
