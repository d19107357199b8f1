#include "captive/responder/syn_cookie.hpp"

#include <gtest/gtest.h>

namespace captive::responder {
namespace {

FourTuple tuple() {
  return {*packet::IpAddr::parse("192.0.2.10"), *packet::IpAddr::parse("192.0.2.9"), 40000, 80};
}

TEST(SynCookie, MssIndex) {
  EXPECT_EQ(kMssTable[mss_index_for(1460, true, 1500)], 1460);
  EXPECT_EQ(kMssTable[mss_index_for(1440, false, 1500)], 1440);
  EXPECT_EQ(kMssTable[mss_index_for(1460, false, 1500)], 1440);  // capped by MTU - 60
  EXPECT_EQ(kMssTable[mss_index_for(1452, true, 1500)], 1440);
  EXPECT_EQ(kMssTable[mss_index_for(std::nullopt, true, 1500)], 536);
  EXPECT_EQ(kMssTable[mss_index_for(std::nullopt, false, 1500)], 1220);
  EXPECT_EQ(kMssTable[mss_index_for(100, true, 1500)], 256);
  EXPECT_EQ(kMssTable[mss_index_for(9000, true, 1400)], 1360);  // MTU 1400 -> 1360
  EXPECT_EQ(kMssTable[mss_index_for(9000, true, 9000)], 1460);  // a frame holds 1500
  EXPECT_EQ(mss_for_index(6, true, 1400), 1360);
  EXPECT_EQ(mss_for_index(200, true, 1500), 256);  // garbage index is the smallest
  EXPECT_EQ(lan_mss(true, 1500), 1460);
  EXPECT_EQ(lan_mss(false, 1500), 1440);
  EXPECT_EQ(lan_mss(false, 1280), 1220);
  EXPECT_EQ(lan_mss(true, 9000), 1460);
  EXPECT_EQ(lan_mss(true, 100), 256);
}

TEST(SynCookie, MatchesExactAndAdvanced) {
  std::array<std::uint8_t, 16> key{1, 2, 3};
  SynCookies cookies(key);
  const auto c = cookies.make(tuple(), 1000, 3);
  EXPECT_EQ(c & 7, 3u);
  auto m = cookies.match(tuple(), 1000, c + 1);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->exact);
  EXPECT_EQ(m->cookie, c);
  EXPECT_EQ(m->mss_index, 3);
  m = cookies.match(tuple(), 1000, c + 1 + 600);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->exact);
  EXPECT_TRUE(cookies.match(tuple(), 1000, c + 1 + kMaxAckAdvance));
  EXPECT_FALSE(cookies.match(tuple(), 1000, c + 1 + kMaxAckAdvance + 8));
  EXPECT_FALSE(cookies.match(tuple(), 1000, c - 100));
}

TEST(SynCookie, SlotsAndKeysAndTuples) {
  std::array<std::uint8_t, 16> key{9};
  SynCookies cookies(key);
  const std::uint64_t t = 64 * 100 + 10;
  const auto c = cookies.make(tuple(), t, 1);
  EXPECT_TRUE(cookies.match(tuple(), t + 60, c + 1));   // next slot: previous accepted
  EXPECT_FALSE(cookies.match(tuple(), t + 130, c + 1));  // two slots on: expired
  EXPECT_FALSE(cookies.match(tuple(), t + 200, c + 1));
  auto other = tuple();
  other.src_port = 40001;
  EXPECT_FALSE(cookies.match(other, t, c + 1));
  std::array<std::uint8_t, 16> key2{10};
  EXPECT_FALSE(SynCookies(key2).match(tuple(), t, c + 1));
  // Slot 0 has no previous slot; no underflow.
  const auto c0 = cookies.make(tuple(), 5, 1);
  EXPECT_TRUE(cookies.match(tuple(), 5, c0 + 1));
}

}  // namespace
}  // namespace captive::responder
