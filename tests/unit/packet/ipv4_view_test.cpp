#include "captive/packet/ipv4_view.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "captured_frames.hpp"
#include "captive/packet/byte_order.hpp"
#include "captive/packet/checksum.hpp"

namespace captive::packet {
namespace {

std::vector<std::byte> copy_of(std::span<const std::byte> s) { return {s.begin(), s.end()}; }

TEST(Ipv4View, ParsesCapturedSyn) {
  const auto l3 = fixtures::l3_bytes(fixtures::kV4SynFrame);
  auto ip = Ipv4View::parse(l3);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->header_length(), 20u);
  EXPECT_EQ(ip->total_length(), 60);
  EXPECT_EQ(ip->identification(), 0x9ede);
  EXPECT_TRUE(ip->dont_fragment());
  EXPECT_FALSE(ip->more_fragments());
  EXPECT_EQ(ip->fragment_offset(), 0);
  EXPECT_EQ(ip->ttl(), 64);
  EXPECT_EQ(ip->protocol(), kIpProtoTcp);
  EXPECT_EQ(ip->src(), *IpAddr::parse("192.0.2.10"));
  EXPECT_EQ(ip->dst(), *IpAddr::parse("192.0.2.9"));
  EXPECT_TRUE(ip->header_checksum_valid());
  EXPECT_EQ(ip->payload().size(), 40u);
  EXPECT_EQ(ip->payload_length(), 40u);
  EXPECT_FALSE(ip->truncated());
}

TEST(Ipv4View, TruncatedPayloadIsFlaggedNotRefused) {
  const auto l3 = fixtures::l3_bytes(fixtures::kV4RequestFrame);
  auto ip = Ipv4View::parse(l3.first(60));
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->truncated());
  EXPECT_EQ(ip->payload().size(), 40u);
  EXPECT_EQ(ip->payload_length(), l3.size() - 20);
}

TEST(Ipv4View, PaddingPastTotalLengthIsDropped) {
  auto bytes = copy_of(fixtures::l3_bytes(fixtures::kV4SynFrame));
  bytes.resize(bytes.size() + 6);
  auto ip = Ipv4View::parse(bytes);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->payload().size(), 40u);
  EXPECT_FALSE(ip->truncated());
}

TEST(Ipv4View, RejectsBadHeaders) {
  const auto good = copy_of(fixtures::l3_bytes(fixtures::kV4SynFrame));
  EXPECT_EQ(Ipv4View::parse(std::span(good).first(19)).error(), ParseError::truncated);

  auto v = good;
  v[0] = std::byte{0x65};
  EXPECT_EQ(Ipv4View::parse(v).error(), ParseError::bad_version);

  v = good;
  v[0] = std::byte{0x44};  // IHL 4
  EXPECT_EQ(Ipv4View::parse(v).error(), ParseError::bad_header_length);

  v = good;
  v[0] = std::byte{0x4f};  // IHL 15 = 60 bytes; present, but total < ...
  store_be16(v.data() + 2, 40);
  EXPECT_EQ(Ipv4View::parse(v).error(), ParseError::bad_total_length);

  v = good;
  store_be16(v.data() + 2, 19);
  EXPECT_EQ(Ipv4View::parse(v).error(), ParseError::bad_total_length);

  v = good;
  v[0] = std::byte{0x4f};
  EXPECT_EQ(Ipv4View::parse(std::span(v).first(40)).error(), ParseError::truncated);
}

TEST(Ipv4View, Fragments) {
  auto v = copy_of(fixtures::l3_bytes(fixtures::kV4SynFrame));
  store_be16(v.data() + 6, 0x2000 | 185);  // MF, offset 185*8
  auto ip = Ipv4View::parse(v);
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->more_fragments());
  EXPECT_FALSE(ip->dont_fragment());
  EXPECT_EQ(ip->fragment_offset(), 185);
}

}  // namespace
}  // namespace captive::packet
