#include "captive/packet/address.hpp"

#include <gtest/gtest.h>

namespace captive::packet {
namespace {

TEST(MacAddr, ParseAndFormat) {
  auto m = MacAddr::parse("02:AB:cd:00:ff:10");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->to_string(), "02:ab:cd:00:ff:10");
  EXPECT_EQ(MacAddr::parse("02-ab-cd-00-ff-10"), m);
  for (const char* bad : {"", "02:ab:cd:00:ff", "02:ab:cd:00:ff:1", "02:ab:cd:00:ff:100", "0g:ab:cd:00:ff:10",
                          "02:ab:cd:00:ff:10:", "02ab:cd:00:ff:10x"})
    EXPECT_FALSE(MacAddr::parse(bad)) << bad;
  EXPECT_TRUE(MacAddr{}.is_zero());
  EXPECT_TRUE(MacAddr::parse("01:00:5e:00:00:01")->is_multicast());
}

TEST(IpAddr, ParseFormatUnmap) {
  auto v4 = IpAddr::parse("192.0.2.1");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->to_string(), "192.0.2.1");
  auto mapped = IpAddr::parse("::ffff:192.0.2.1");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(*mapped, *v4);
  auto v6 = IpAddr::parse("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_FALSE(v6->is_v4());
  EXPECT_EQ(v6->to_string(), "2001:db8::1");
  EXPECT_FALSE(IpAddr::parse("192.0.2.256"));
  EXPECT_FALSE(IpAddr::parse("example.com"));
  EXPECT_FALSE(IpAddr::parse(""));
}

}  // namespace
}  // namespace captive::packet
