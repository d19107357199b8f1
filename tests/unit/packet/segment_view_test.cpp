#include "captive/packet/segment_view.hpp"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "captured_frames.hpp"
#include "captive/packet/byte_order.hpp"
#include "captive/packet/checksum.hpp"

namespace captive::packet {
namespace {

std::vector<std::byte> copy_of(std::span<const std::byte> s) { return {s.begin(), s.end()}; }

std::string_view text(std::span<const std::byte> s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

TEST(SegmentView, CapturedIpv4Request) {
  auto seg = SegmentView::parse(fixtures::l3_bytes(fixtures::kV4RequestFrame));
  ASSERT_TRUE(seg);
  EXPECT_TRUE(seg->is_v4());
  EXPECT_EQ(seg->src(), *IpAddr::parse("192.0.2.10"));
  EXPECT_EQ(seg->dst(), *IpAddr::parse("192.0.2.9"));
  EXPECT_EQ(seg->ip_length(), 138u);
  EXPECT_EQ(seg->tcp_length(), 118u);
  EXPECT_EQ(seg->payload_length(), 86u);
  EXPECT_FALSE(seg->truncated());
  EXPECT_EQ(text(seg->payload()).substr(0, 35), "GET /some/path?x=1 HTTP/1.1\r\nHost: ");
  // CHECKSUM_PARTIAL as captured: the field is not a full checksum.
  EXPECT_FALSE(seg->checksum_valid());
}

TEST(SegmentView, CapturedIpv6Request) {
  auto seg = SegmentView::parse(fixtures::l3_bytes(fixtures::kV6RequestFrame));
  ASSERT_TRUE(seg);
  EXPECT_FALSE(seg->is_v4());
  EXPECT_EQ(seg->src(), *IpAddr::parse("2001:db8::10"));
  EXPECT_EQ(seg->tcp().dst_port(), 80);
  EXPECT_EQ(seg->payload_length(), 90u);
  EXPECT_NE(text(seg->payload()).find("Host: [2001:db8::9]\r\n"), std::string_view::npos);
}

TEST(SegmentView, FixedChecksumVerifies) {
  auto bytes = copy_of(fixtures::l3_bytes(fixtures::kV6RequestFrame));
  store_be16(bytes.data() + 40 + 16, 0x3494);
  auto seg = SegmentView::parse(bytes);
  ASSERT_TRUE(seg);
  EXPECT_TRUE(seg->checksum_valid());
}

TEST(SegmentView, TruncatedKeepsDeclaredLengths) {
  const auto l3 = fixtures::l3_bytes(fixtures::kV4RequestFrame);
  auto seg = SegmentView::parse(l3.first(80));
  ASSERT_TRUE(seg);
  EXPECT_TRUE(seg->truncated());
  EXPECT_EQ(seg->payload_length(), 86u);
  EXPECT_EQ(seg->payload().size(), 80u - 20 - 32);
  EXPECT_FALSE(seg->checksum_valid());
  // Cut inside the TCP header: not parseable.
  EXPECT_EQ(SegmentView::parse(l3.first(30)).error(), ParseError::truncated);
}

TEST(SegmentView, RejectsWhatIsNotTcpForUs) {
  auto udp = copy_of(fixtures::l3_bytes(fixtures::kV4SynFrame));
  udp[9] = std::byte{17};
  EXPECT_EQ(SegmentView::parse(udp).error(), ParseError::not_tcp);

  auto frag = copy_of(fixtures::l3_bytes(fixtures::kV4SynFrame));
  store_be16(frag.data() + 6, 0x0001);
  EXPECT_EQ(SegmentView::parse(frag).error(), ParseError::fragment);

  // The IP total length leaves less than the TCP header claims.
  auto short_ip = copy_of(fixtures::l3_bytes(fixtures::kV4SynFrame));
  store_be16(short_ip.data() + 2, 20 + 24);
  EXPECT_EQ(SegmentView::parse(short_ip).error(), ParseError::bad_data_offset);

  auto v5 = copy_of(fixtures::l3_bytes(fixtures::kV4SynFrame));
  v5[0] = std::byte{0x55};
  EXPECT_EQ(SegmentView::parse(v5).error(), ParseError::bad_version);
  EXPECT_EQ(SegmentView::parse({}).error(), ParseError::truncated);

  // IPv6 later fragment.
  auto v6 = copy_of(fixtures::l3_bytes(fixtures::kV6SynFrame));
  std::vector<std::byte> p(v6.begin(), v6.begin() + 40);
  p[6] = std::byte{44};
  const std::uint8_t fh[8] = {6, 0, 0, 0x08, 0, 0, 0, 9};  // offset 1
  for (auto b : fh) p.push_back(static_cast<std::byte>(b));
  p.insert(p.end(), v6.begin() + 40, v6.end());
  store_be16(p.data() + 4, 48);
  EXPECT_EQ(SegmentView::parse(p).error(), ParseError::fragment);
}

}  // namespace
}  // namespace captive::packet
