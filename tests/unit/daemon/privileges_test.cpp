#include "captive/daemon/privileges.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

namespace captive::daemon {
namespace {

// The drop itself needs root and changes the process for good: e2e 190
// runs it against the real daemon. Here: what must be refused before
// anything changes.

TEST(Privileges, RefusedWithMoreThanOneThread) {
  // capset(2) would change this thread only; the others would keep root.
  std::thread other([] { ::usleep(200 * 1000); });
  Account nobody{"nobody", 65534, 65534};
  auto dropped = drop_privileges(nobody);
  other.join();
  ASSERT_FALSE(dropped);
  EXPECT_EQ(dropped.error().code, EBUSY);
  EXPECT_EQ(::geteuid(), ::getuid());  // nothing changed
}

TEST(Privileges, ThreadCountSeesThreads) {
  const int alone = thread_count();
  ASSERT_GE(alone, 1);
  std::thread other([] { ::usleep(200 * 1000); });
  EXPECT_EQ(thread_count(), alone + 1);
  other.join();
}

TEST(Privileges, UnknownUserAndRootAreRefused) {
  auto missing = lookup_account("captive-no-such-user-xyz");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().what.find("no such user"), std::string::npos) << missing.error().what;
  auto root = lookup_account("root");
  ASSERT_FALSE(root);
  EXPECT_NE(root.error().what.find("uid 0"), std::string::npos) << root.error().what;
}

TEST(Privileges, HandsOverOnlyADirectoryOfItsOwn) {
  // A mistyped --state-dir (/var/lib, /tmp) must never change owner.
  char tmpl[] = "/tmp/captive-priv-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  Account me{"me", ::getuid(), ::getgid()};
  auto handed = hand_over_directory(dir, me);
  ASSERT_FALSE(handed);
  EXPECT_NE(handed.error().what.find("not 0700"), std::string::npos) << handed.error().what;
  // Its own (0700): handed over (to ourselves here: no root needed).
  ASSERT_EQ(::chmod(dir.c_str(), 0700), 0);
  EXPECT_TRUE(hand_over_directory(dir, me));
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace captive::daemon
