#include "captive/responder/syn_cookie.hpp"

#include <gtest/gtest.h>

namespace captive::responder {
namespace {

FourTuple tuple() {
  return {*packet::IpAddr::parse("192.0.2.10"), *packet::IpAddr::parse("192.0.2.9"), 40000, 80};
}

std::uint16_t served(std::optional<std::uint16_t> client, bool v4, std::uint16_t mtu) {
  const auto index = mss_index_for(client, v4, mtu);
  return index ? kMssTable[*index] : 0;
}

TEST(SynCookie, MssIndex) {
  EXPECT_EQ(served(1460, true, 1500), 1460);
  EXPECT_EQ(served(1440, false, 1500), 1440);
  EXPECT_EQ(served(1460, false, 1500), 1440);  // capped by MTU - 60
  EXPECT_EQ(served(1452, true, 1500), 1440);
  EXPECT_EQ(served(std::nullopt, true, 1500), 536);
  EXPECT_EQ(served(std::nullopt, false, 1500), 1220);
  EXPECT_EQ(served(100, true, 1500), 64);
  EXPECT_EQ(served(200, true, 1500), 128);
  EXPECT_EQ(served(300, true, 1500), 256);
  EXPECT_EQ(served(64, true, 1500), 64);
  EXPECT_EQ(served(9000, true, 1400), 1360);  // MTU 1400 -> 1360
  EXPECT_EQ(served(9000, true, 9000), 1460);  // a frame holds 1500
  EXPECT_EQ(mss_for_index(7, true, 1400), 1360);
  EXPECT_EQ(lan_mss(true, 1500), 1460);
  EXPECT_EQ(lan_mss(false, 1500), 1440);
  EXPECT_EQ(lan_mss(false, 1280), 1220);
  EXPECT_EQ(lan_mss(true, 9000), 1460);
  EXPECT_EQ(lan_mss(true, 100), 64);
}

// RFC 9293 §3.7.1: never more than the client advertised. Below 64 nothing
// is served at all.
TEST(SynCookie, ServedMssNeverExceedsAdvertised) {
  for (const bool v4 : {true, false}) {
    for (std::uint32_t client = 0; client <= 65535; ++client) {
      const auto index = mss_index_for(static_cast<std::uint16_t>(client), v4, 1500);
      if (client < kMinServedMss) {
        EXPECT_FALSE(index) << client;
        continue;
      }
      ASSERT_TRUE(index) << client;
      const auto mss = mss_for_index(*index, v4, 1500);
      ASSERT_LE(mss, client);
      ASSERT_LE(mss, lan_mss(v4, 1500));
      ASSERT_GE(mss, kMinServedMss);
    }
  }
}

// The index is in the cookie's low bits and in its hash, so an ack anywhere
// in our answer recovers the same MSS as the exact one.
TEST(SynCookie, OffsetKeepsIndex) {
  std::array<std::uint8_t, 16> key{4, 5};
  SynCookies cookies(key);
  for (std::uint8_t index = 0; index < kMssTable.size(); ++index) {
    const auto c = cookies.make(tuple(), 5000, index);
    for (std::uint32_t offset : {0u, 1u, 3u, 8u, 511u, 512u, 8193u, kMaxAckAdvance}) {
      auto m = cookies.match(tuple(), 5000, c + 1 + offset, (offset & 1) != 0);
      ASSERT_TRUE(m) << offset;
      EXPECT_EQ(m->mss_index, index);
      EXPECT_EQ(m->offset, offset);
      EXPECT_EQ(m->cookie, c);
      EXPECT_EQ(m->exact, offset == 0);
    }
  }
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
  EXPECT_EQ(m->offset, 600u);
  EXPECT_TRUE(cookies.match(tuple(), 1000, c + 1 + kMaxAckAdvance));
  EXPECT_FALSE(cookies.match(tuple(), 1000, c + 1 + kMaxAckAdvance + 1));
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
