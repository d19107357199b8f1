#include "captive/packet/tcp_frame.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string_view>

#include "captive/packet/checksum.hpp"
#include "captive/packet/ethernet_view.hpp"
#include "captive/packet/ipv4_view.hpp"
#include "captive/packet/ipv6_view.hpp"
#include "captive/packet/segment_view.hpp"
#include "captive/packet/tcp_view.hpp"

namespace captive::packet {
namespace {

TcpFrameSpec spec_for(std::string_view src, std::string_view dst) {
  TcpFrameSpec s;
  s.src_mac = *MacAddr::parse("02:00:00:00:00:01");
  s.dst_mac = *MacAddr::parse("02:00:00:00:00:02");
  s.src = *IpAddr::parse(src);
  s.dst = *IpAddr::parse(dst);
  s.src_port = 80;
  s.dst_port = 53906;
  s.seq = 0xfffffff0u;
  s.ack = 0x12345678u;
  s.flags = kTcpAck | kTcpPsh | kTcpFin;
  s.window = 65535;
  return s;
}

void expect_round_trip(const TcpFrameSpec& s) {
  std::array<std::byte, 1514> buf{};
  const std::size_t n = build_tcp_frame(buf, s);
  ASSERT_EQ(n, tcp_frame_size(s));
  const auto frame = std::span<const std::byte>(buf.data(), n);
  auto eth = EthernetView::parse(frame);
  ASSERT_TRUE(eth);
  EXPECT_EQ(eth->dst(), s.dst_mac);
  EXPECT_EQ(eth->src(), s.src_mac);
  EXPECT_EQ(eth->ether_type(), s.src.is_v4() ? kEtherTypeIpv4 : kEtherTypeIpv6);
  if (s.src.is_v4()) {
    auto ip = Ipv4View::parse(eth->payload());
    ASSERT_TRUE(ip);
    EXPECT_TRUE(ip->header_checksum_valid());
    EXPECT_TRUE(ip->dont_fragment());
    EXPECT_EQ(ip->identification(), 0);
    EXPECT_EQ(ip->ttl(), 64);
  } else {
    auto ip = Ipv6View::parse(eth->payload());
    ASSERT_TRUE(ip);
    EXPECT_EQ(ip->hop_limit(), 64);
  }
  auto seg = SegmentView::parse(eth->payload());
  ASSERT_TRUE(seg);
  EXPECT_EQ(seg->src(), s.src);
  EXPECT_EQ(seg->dst(), s.dst);
  EXPECT_EQ(seg->tcp().src_port(), s.src_port);
  EXPECT_EQ(seg->tcp().dst_port(), s.dst_port);
  EXPECT_EQ(seg->tcp().seq(), s.seq);
  EXPECT_EQ(seg->tcp().ack(), s.ack);
  EXPECT_EQ(seg->tcp().flags(), s.flags);
  EXPECT_EQ(seg->tcp().window(), s.window);
  if (s.mss != 0) {
    EXPECT_EQ(seg->tcp().mss(), s.mss);
  } else {
    EXPECT_FALSE(seg->tcp().mss());
  }
  ASSERT_EQ(seg->payload().size(), s.payload.size());
  EXPECT_TRUE(std::equal(s.payload.begin(), s.payload.end(), seg->payload().begin()));
  EXPECT_FALSE(seg->truncated());
  EXPECT_TRUE(seg->checksum_valid());
}

TEST(TcpFrame, RoundTripIpv4WithPayload) {
  auto s = spec_for("192.0.2.9", "192.0.2.10");
  constexpr std::string_view kBody = "HTTP/1.1 511 Network Authentication Required\r\n\r\nodd";
  s.payload = std::as_bytes(std::span(kBody.data(), kBody.size()));
  expect_round_trip(s);
}

TEST(TcpFrame, RoundTripIpv6SynAckWithMss) {
  auto s = spec_for("2001:db8::9", "2001:db8::10");
  s.flags = kTcpSyn | kTcpAck;
  s.mss = 1440;
  expect_round_trip(s);
}

TEST(TcpFrame, RoundTripIpv4RstNoPayload) {
  auto s = spec_for("192.0.2.9", "192.0.2.10");
  s.flags = kTcpRst;
  s.ack = 0;
  s.window = 0;
  expect_round_trip(s);
}

TEST(TcpFrame, FullSizedSegments) {
  std::array<std::byte, 1460> data{};
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i * 7);
  auto s4 = spec_for("192.0.2.9", "192.0.2.10");
  s4.payload = data;
  expect_round_trip(s4);
  EXPECT_EQ(tcp_frame_size(s4), 1514u);
  auto s6 = spec_for("2001:db8::9", "2001:db8::10");
  s6.payload = std::span(data).first(1440);
  expect_round_trip(s6);
  EXPECT_EQ(tcp_frame_size(s6), 1514u);
}

TEST(TcpFrame, RefusesSmallBufferAndMixedFamilies) {
  auto s = spec_for("192.0.2.9", "192.0.2.10");
  std::array<std::byte, 53> small{};
  EXPECT_EQ(build_tcp_frame(small, s), 0u);
  std::array<std::byte, 54> exact{};
  EXPECT_EQ(build_tcp_frame(exact, s), 54u);
  auto mixed = spec_for("192.0.2.9", "2001:db8::10");
  std::array<std::byte, 200> buf{};
  EXPECT_EQ(build_tcp_frame(buf, mixed), 0u);
}

}  // namespace
}  // namespace captive::packet
