#include "captive/util/result.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace captive {
namespace {

TEST(Result, ValueAndError) {
  Result<int> ok = 5;
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 5);
  Result<int> bad = make_error(EPERM, "bind queue 0");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, EPERM);
  EXPECT_EQ(bad.error().message(), "bind queue 0: Operation not permitted");
  EXPECT_EQ(make_error(0, "plain").message(), "plain");
  Result<void> v;
  EXPECT_TRUE(v);
  Result<void> e = make_error(ENOENT, "x");
  EXPECT_FALSE(e);
}

}  // namespace
}  // namespace captive
