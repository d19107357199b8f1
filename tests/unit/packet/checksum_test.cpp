#include "captive/packet/checksum.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "captured_frames.hpp"
#include "captive/packet/byte_order.hpp"

namespace captive::packet {
namespace {

template <std::size_t N>
std::array<std::byte, N> bytes_of(const std::array<std::uint8_t, N>& in) {
  std::array<std::byte, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<std::byte>(in[i]);
  return out;
}

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2; the checksum is ~ddf2.
  const auto data = bytes_of<8>({0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7});
  EXPECT_EQ(checksum_add(0, data), 0xddf2u);
  EXPECT_EQ(internet_checksum(data), 0x220d);
}

TEST(Checksum, OddLengthPadsWithZero) {
  const auto odd = bytes_of<3>({0x12, 0x34, 0x56});
  const auto even = bytes_of<4>({0x12, 0x34, 0x56, 0x00});
  EXPECT_EQ(internet_checksum(odd), internet_checksum(even));
  EXPECT_EQ(internet_checksum({}), 0xffff);
}

TEST(Checksum, CarryIsFoldedBack) {
  const auto data = bytes_of<4>({0xff, 0xff, 0x00, 0x01});
  // ffff + 0001 = 1 0000 -> 0001 with the end-around carry.
  EXPECT_EQ(checksum_add(0, data), 0x0001u);
}

TEST(Checksum, Ipv4HeaderKnownVector) {
  // A classic IPv4 header (192.168.0.1 -> 192.168.0.199, UDP) with checksum b861.
  auto h = bytes_of<20>({0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61,
                         0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7});
  EXPECT_EQ(internet_checksum(h), 0);
  h[10] = std::byte{0};
  h[11] = std::byte{0};
  EXPECT_EQ(internet_checksum(h), 0xb861);
}

TEST(Checksum, CapturedIpv4HeaderIsValid) {
  const auto l3 = fixtures::l3_bytes(fixtures::kV4SynFrame);
  EXPECT_EQ(internet_checksum(l3.first(20)), 0);
}

// The kernel left CHECKSUM_PARTIAL on the captured segments: their checksum
// field holds the folded pseudo-header sum. That is a known vector for
// pseudo_header_sum computed by Linux itself.
TEST(Checksum, PseudoHeaderMatchesKernelIpv4) {
  for (auto frame : {std::span<const unsigned char>(fixtures::kV4SynFrame),
                     std::span<const unsigned char>(fixtures::kV4RequestFrame)}) {
    const auto l3 = fixtures::l3_bytes(frame);
    const auto src = IpAddr::v4(reinterpret_cast<const std::uint8_t*>(l3.data() + 12));
    const auto dst = IpAddr::v4(reinterpret_cast<const std::uint8_t*>(l3.data() + 16));
    const auto tcp_length = static_cast<std::uint32_t>(load_be16(l3.data() + 2) - 20);
    EXPECT_EQ(pseudo_header_sum(src, dst, kIpProtoTcp, tcp_length), load_be16(l3.data() + 20 + 16));
  }
}

TEST(Checksum, PseudoHeaderMatchesKernelIpv6) {
  for (auto frame : {std::span<const unsigned char>(fixtures::kV6SynFrame),
                     std::span<const unsigned char>(fixtures::kV6RequestFrame)}) {
    const auto l3 = fixtures::l3_bytes(frame);
    const auto src = IpAddr::v6(reinterpret_cast<const std::uint8_t*>(l3.data() + 8));
    const auto dst = IpAddr::v6(reinterpret_cast<const std::uint8_t*>(l3.data() + 24));
    const std::uint32_t tcp_length = load_be16(l3.data() + 4);
    EXPECT_EQ(pseudo_header_sum(src, dst, kIpProtoTcp, tcp_length), load_be16(l3.data() + 40 + 16));
  }
}

// Full checksums of the captured segments, computed independently (Python,
// RFC 1071 over pseudo-header + segment with the field zeroed).
TEST(Checksum, TcpChecksumOfCapturedSegments) {
  struct Case {
    std::span<const unsigned char> frame;
    bool v4;
    std::uint16_t expected;
  };
  const Case cases[] = {
      {fixtures::kV4SynFrame, true, 0x52ab},
      {fixtures::kV4RequestFrame, true, 0x790d},
      {fixtures::kV6SynFrame, false, 0x8c6e},
      {fixtures::kV6RequestFrame, false, 0x3494},
  };
  for (const auto& c : cases) {
    const auto l3 = fixtures::l3_bytes(c.frame);
    IpAddr src, dst;
    std::span<const std::byte> segment;
    if (c.v4) {
      src = IpAddr::v4(reinterpret_cast<const std::uint8_t*>(l3.data() + 12));
      dst = IpAddr::v4(reinterpret_cast<const std::uint8_t*>(l3.data() + 16));
      segment = l3.subspan(20, load_be16(l3.data() + 2) - 20);
    } else {
      src = IpAddr::v6(reinterpret_cast<const std::uint8_t*>(l3.data() + 8));
      dst = IpAddr::v6(reinterpret_cast<const std::uint8_t*>(l3.data() + 24));
      segment = l3.subspan(40, load_be16(l3.data() + 4));
    }
    EXPECT_EQ(tcp_checksum(src, dst, segment), c.expected);
    // As captured (partial checksum) it does not verify; fixed up, it does.
    EXPECT_FALSE(tcp_checksum_valid(src, dst, segment));
    std::vector<std::byte> copy(segment.begin(), segment.end());
    store_be16(copy.data() + 16, c.expected);
    EXPECT_TRUE(tcp_checksum_valid(src, dst, copy));
    copy[copy.size() - 1] ^= std::byte{0x01};
    EXPECT_FALSE(tcp_checksum_valid(src, dst, copy));
  }
}

TEST(Checksum, ValidRejectsShortSegmentsAndMixedFamilies) {
  std::array<std::byte, 10> tiny{};
  const auto a = *IpAddr::parse("192.0.2.1");
  const auto b = *IpAddr::parse("2001:db8::1");
  EXPECT_FALSE(tcp_checksum_valid(a, a, tiny));
  std::array<std::byte, 20> header{};
  EXPECT_FALSE(tcp_checksum_valid(a, b, header));
}

TEST(ByteOrder, LoadsAndStoresBigEndian) {
  std::array<std::byte, 4> buf{};
  store_be32(buf.data(), 0x01020304u);
  EXPECT_EQ(buf[0], std::byte{1});
  EXPECT_EQ(buf[3], std::byte{4});
  EXPECT_EQ(load_be32(buf.data()), 0x01020304u);
  store_be16(buf.data() + 1, 0xabcd);
  EXPECT_EQ(load_be16(buf.data() + 1), 0xabcd);
  EXPECT_EQ(load_u8(buf.data() + 1), 0xab);
}

}  // namespace
}  // namespace captive::packet
