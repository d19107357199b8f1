// The key file: created privately and atomically, and never read or written
// through a symlink somebody planted in the state directory.
#include "captive/daemon/secrets.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace captive::daemon {
namespace {

namespace fs = std::filesystem;

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/captive-secrets-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr) << std::strerror(errno);
    root_ = tmpl;
    dir_ = root_ + "/state/captive";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  static std::string read_all(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
  }
  static void write_all(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
  }

  std::string root_, dir_;
};

TEST_F(SecretsTest, CreatesPrivateFileOnceAndReadsItBack) {
  auto first = load_or_create_secrets(dir_);
  ASSERT_TRUE(first) << first.error().message();
  struct stat st {};
  ASSERT_EQ(stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(lstat((dir_ + "/secret").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 48);
  EXPECT_FALSE(fs::exists(dir_ + "/secret.tmp"));
  auto second = load_or_create_secrets(dir_);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->cookie_key, first->cookie_key);
  EXPECT_EQ(second->token_key, first->token_key);
  EXPECT_EQ(second->link_key, first->link_key);
}

// The link key is derived from the file, so a file written before it existed
// (48 bytes, the same format) gives one, the same after every restart, and it
// is neither the cookie key nor a piece of the token key.
TEST_F(SecretsTest, LinkKeyIsDerivedFromTheFileAndDistinct) {
  ASSERT_TRUE(fs::create_directories(dir_));
  std::string bytes;
  for (int i = 0; i < 48; ++i) bytes.push_back(static_cast<char>(i));
  write_all(dir_ + "/secret", bytes);
  auto a = load_or_create_secrets(dir_);
  ASSERT_TRUE(a) << a.error().message();
  auto b = load_or_create_secrets(dir_);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->link_key, b->link_key);
  EXPECT_EQ(fs::file_size(dir_ + "/secret"), 48u);
  EXPECT_EQ(a->cookie_key[0], 0);  // the file as it was
  EXPECT_EQ(a->token_key[0], 16);
  EXPECT_NE(a->link_key, decltype(a->link_key){});
  EXPECT_NE(a->link_key, a->cookie_key);
  for (std::size_t at = 0; at + a->link_key.size() <= a->token_key.size(); ++at)
    EXPECT_FALSE(std::equal(a->link_key.begin(), a->link_key.end(), a->token_key.begin() + at));
  // Another token key, another link key; fresh keys get their own too.
  bytes[20] ^= 1;
  write_all(dir_ + "/secret", bytes);
  auto c = load_or_create_secrets(dir_);
  ASSERT_TRUE(c);
  EXPECT_NE(c->link_key, a->link_key);
  const auto e = ephemeral_secrets();
  EXPECT_NE(e.link_key, decltype(e.link_key){});
  EXPECT_NE(e.link_key, a->link_key);
}

// Keys the planter knows would let them forge sign-in tokens: refused.
TEST_F(SecretsTest, SymlinkAtKeyPathIsRefusedNotRead) {
  ASSERT_TRUE(fs::create_directories(dir_));
  const std::string planted = root_ + "/known-keys";
  write_all(planted, std::string(48, 'K'));
  fs::create_symlink(planted, dir_ + "/secret");
  auto r = load_or_create_secrets(dir_);
  ASSERT_FALSE(r) << "read keys through a symlink";
  EXPECT_EQ(r.error().code, ELOOP);
  EXPECT_NE(r.error().message().find("symlink"), std::string::npos) << r.error().message();
  EXPECT_TRUE(fs::is_symlink(dir_ + "/secret"));
  EXPECT_EQ(read_all(planted), std::string(48, 'K'));
}

// A dangling symlink is refused too (it is not ours to replace).
TEST_F(SecretsTest, DanglingSymlinkAtKeyPathIsRefused) {
  ASSERT_TRUE(fs::create_directories(dir_));
  fs::create_symlink(root_ + "/nowhere", dir_ + "/secret");
  auto r = load_or_create_secrets(dir_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ELOOP);
  EXPECT_FALSE(fs::exists(root_ + "/nowhere"));
}

// Writing the new keys through a symlink at the temp name would overwrite
// (truncate) whatever it points to with the keys.
TEST_F(SecretsTest, SymlinkAtTempPathIsNeverWrittenThrough) {
  ASSERT_TRUE(fs::create_directories(dir_));
  const std::string victim = root_ + "/victim";
  write_all(victim, "precious");
  fs::create_symlink(victim, dir_ + "/secret.tmp");
  auto r = load_or_create_secrets(dir_);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(read_all(victim), "precious");
  struct stat st {};
  ASSERT_EQ(lstat((dir_ + "/secret").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, 48);
}

// A FIFO would block the daemon's start in open()/read(): refused at once.
TEST_F(SecretsTest, FifoAtKeyPathIsRefusedWithoutBlocking) {
  ASSERT_TRUE(fs::create_directories(dir_));
  ASSERT_EQ(mkfifo((dir_ + "/secret").c_str(), 0600), 0) << std::strerror(errno);
  auto r = load_or_create_secrets(dir_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EINVAL);
}

TEST_F(SecretsTest, ShortFileIsReplaced) {
  ASSERT_TRUE(fs::create_directories(dir_));
  write_all(dir_ + "/secret", "torn");
  auto r = load_or_create_secrets(dir_);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(fs::file_size(dir_ + "/secret"), 48u);
}

}  // namespace
}  // namespace captive::daemon
