#include "captive/util/result.hpp"

#include <gtest/gtest.h>

#include <cerrno>

#include "captive/packet/address.hpp"

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

TEST(MacAddr, ParseAndFormat) {
  auto m = packet::MacAddr::parse("02:AB:cd:00:ff:10");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->to_string(), "02:ab:cd:00:ff:10");
  EXPECT_EQ(packet::MacAddr::parse("02-ab-cd-00-ff-10"), m);
  for (const char* bad : {"", "02:ab:cd:00:ff", "02:ab:cd:00:ff:1", "02:ab:cd:00:ff:100", "0g:ab:cd:00:ff:10",
                          "02:ab:cd:00:ff:10:", "02ab:cd:00:ff:10x"})
    EXPECT_FALSE(packet::MacAddr::parse(bad)) << bad;
  EXPECT_TRUE(packet::MacAddr{}.is_zero());
  EXPECT_TRUE(packet::MacAddr::parse("01:00:5e:00:00:01")->is_multicast());
}

TEST(IpAddr, ParseFormatUnmap) {
  auto v4 = packet::IpAddr::parse("192.0.2.1");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->to_string(), "192.0.2.1");
  auto mapped = packet::IpAddr::parse("::ffff:192.0.2.1");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(*mapped, *v4);
  auto v6 = packet::IpAddr::parse("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_FALSE(v6->is_v4());
  EXPECT_EQ(v6->to_string(), "2001:db8::1");
  EXPECT_FALSE(packet::IpAddr::parse("192.0.2.256"));
  EXPECT_FALSE(packet::IpAddr::parse("example.com"));
  EXPECT_FALSE(packet::IpAddr::parse(""));
}

}  // namespace
}  // namespace captive
