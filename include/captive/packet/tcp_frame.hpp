// Builds an Ethernet + IPv4/IPv6 + TCP frame into a caller's buffer, with
// every checksum filled in. What the responder sends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "captive/packet/address.hpp"

namespace captive::packet {

inline constexpr std::uint8_t kDefaultTtl = 64;  // RFC 1700's suggestion, Linux's default

struct TcpFrameSpec {
  MacAddr src_mac;
  MacAddr dst_mac;
  IpAddr src;  // src and dst must be of the same family
  IpAddr dst;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 65535;
  std::uint16_t mss = 0;  // 0: no MSS option; else a 4-byte MSS option
  std::span<const std::byte> payload;
};

// Bytes the frame takes.
std::size_t tcp_frame_size(const TcpFrameSpec& spec);

// Writes the frame; returns its length, or 0 when `out` is too small, the
// families differ, or the IP packet would exceed 65535 bytes. IPv4: ID 0 with
// DF set (RFC 6864 §4.1: the ID of an atomic datagram carries no meaning),
// TTL 64, no options. IPv6: traffic class and flow label 0, hop limit 64.
std::size_t build_tcp_frame(std::span<std::byte> out, const TcpFrameSpec& spec);

}  // namespace captive::packet
