#include "captive/packet/ipv6_view.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "captured_frames.hpp"
#include "captive/packet/byte_order.hpp"
#include "captive/packet/checksum.hpp"

namespace captive::packet {
namespace {

std::vector<std::byte> copy_of(std::span<const std::byte> s) { return {s.begin(), s.end()}; }

// Inserts extension headers (each given whole, its Next Header patched) in
// front of the upper layer of a captured IPv6 packet.
std::vector<std::byte> with_extensions(std::vector<std::vector<std::uint8_t>> headers,
                                       std::vector<std::uint8_t> kinds) {
  auto base = copy_of(fixtures::l3_bytes(fixtures::kV6SynFrame));
  std::vector<std::byte> out(base.begin(), base.begin() + 40);
  std::uint8_t upper = static_cast<std::uint8_t>(base[6]);
  out[6] = static_cast<std::byte>(kinds.empty() ? upper : kinds[0]);
  std::size_t added = 0;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    auto h = headers[i];
    h[0] = i + 1 < kinds.size() ? kinds[i + 1] : upper;
    for (auto b : h) out.push_back(static_cast<std::byte>(b));
    added += h.size();
  }
  out.insert(out.end(), base.begin() + 40, base.end());
  store_be16(out.data() + 4, static_cast<std::uint16_t>(load_be16(base.data() + 4) + added));
  return out;
}

TEST(Ipv6View, ParsesCapturedSyn) {
  const auto l3 = fixtures::l3_bytes(fixtures::kV6SynFrame);
  auto ip = Ipv6View::parse(l3);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->payload_length(), 40);
  EXPECT_EQ(ip->next_header(), kIpProtoTcp);
  EXPECT_EQ(ip->hop_limit(), 64);
  EXPECT_EQ(ip->flow_label(), 0xcc68fu);
  EXPECT_EQ(ip->traffic_class(), 0);
  EXPECT_EQ(ip->src(), *IpAddr::parse("2001:db8::10"));
  EXPECT_EQ(ip->dst(), *IpAddr::parse("2001:db8::9"));
  EXPECT_EQ(ip->upper_protocol(), kIpProtoTcp);
  EXPECT_EQ(ip->upper_offset(), 40u);
  EXPECT_EQ(ip->upper_length(), 40u);
  EXPECT_EQ(ip->upper().size(), 40u);
  EXPECT_FALSE(ip->truncated());
  EXPECT_FALSE(ip->has_fragment_header());
}

TEST(Ipv6View, WalksExtensionHeaders) {
  const std::vector<std::uint8_t> hop = {0, 0, 1, 4, 0, 0, 0, 0};  // PadN
  const std::vector<std::uint8_t> dest = {0, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const std::vector<std::uint8_t> routing = {0, 0, 4, 0, 0, 0, 0, 0};  // type 4, segments left 0
  const std::vector<std::uint8_t> frag = {0, 0, 0, 0, 0, 0, 0, 1};    // offset 0, M=0, id 1
  auto p = with_extensions({hop, dest, routing, frag},
                           {kIpv6HopByHop, kIpv6DestOptions, kIpv6Routing, kIpv6Fragment});
  auto ip = Ipv6View::parse(p);
  ASSERT_TRUE(ip) << parse_error_name(ip.error());
  EXPECT_EQ(ip->upper_protocol(), kIpProtoTcp);
  EXPECT_EQ(ip->upper_offset(), 40u + 8 + 16 + 8 + 8);
  EXPECT_EQ(ip->upper_length(), 40u);
  EXPECT_TRUE(ip->has_fragment_header());
  EXPECT_FALSE(ip->is_later_fragment());
}

TEST(Ipv6View, LaterFragmentIsFlagged) {
  const std::vector<std::uint8_t> frag = {0, 0, 0x05, 0x08, 0, 0, 0, 1};  // offset 161
  auto p = with_extensions({frag}, {kIpv6Fragment});
  auto ip = Ipv6View::parse(p);
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->is_later_fragment());
}

TEST(Ipv6View, RejectsBadChains) {
  const std::vector<std::uint8_t> hop = {0, 0, 1, 4, 0, 0, 0, 0};
  // Truncated inside an extension header.
  auto p = with_extensions({hop}, {kIpv6HopByHop});
  EXPECT_EQ(Ipv6View::parse(std::span(p).first(44)).error(), ParseError::truncated);
  // Hdr Ext Len pointing past the payload.
  auto q = p;
  q[41] = std::byte{20};
  EXPECT_EQ(Ipv6View::parse(q).error(), ParseError::bad_total_length);
  // Too many headers.
  std::vector<std::vector<std::uint8_t>> many(kIpv6MaxExtensionHeaders + 1,
                                              std::vector<std::uint8_t>{0, 0, 1, 4, 0, 0, 0, 0});
  auto r = with_extensions(many, std::vector<std::uint8_t>(many.size(), kIpv6DestOptions));
  EXPECT_EQ(Ipv6View::parse(r).error(), ParseError::too_many_headers);
  // Version, length.
  auto s = copy_of(fixtures::l3_bytes(fixtures::kV6SynFrame));
  EXPECT_EQ(Ipv6View::parse(std::span(s).first(39)).error(), ParseError::truncated);
  s[0] = std::byte{0x40};
  EXPECT_EQ(Ipv6View::parse(s).error(), ParseError::bad_version);
  // Jumbogram.
  auto j = with_extensions({hop}, {kIpv6HopByHop});
  store_be16(j.data() + 4, 0);
  EXPECT_EQ(Ipv6View::parse(j).error(), ParseError::bad_total_length);
}

TEST(Ipv6View, TruncatedUpperLayerIsFlagged) {
  const auto l3 = fixtures::l3_bytes(fixtures::kV6RequestFrame);
  auto ip = Ipv6View::parse(l3.first(80));
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->truncated());
  EXPECT_EQ(ip->upper().size(), 40u);
  EXPECT_EQ(ip->upper_length(), l3.size() - 40);
}

}  // namespace
}  // namespace captive::packet
