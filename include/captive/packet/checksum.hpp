// The Internet checksum (RFC 1071) and the TCP pseudo-headers of RFC 9293
// §3.1 (IPv4) and RFC 8200 §8.1 (IPv6). Pure arithmetic, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "captive/packet/address.hpp"

namespace captive::packet {

inline constexpr std::uint8_t kIpProtoTcp = 6;

// Adds `data` as big-endian 16-bit words to a running one's-complement sum
// (RFC 1071 §4.1). An odd trailing byte is padded with zero, so only the last
// chunk of a sum may have odd length. The result is folded to 16 bits.
std::uint32_t checksum_add(std::uint32_t sum, std::span<const std::byte> data);
// Folds and complements a running sum: the value to store in a checksum field.
std::uint16_t checksum_finish(std::uint32_t sum);
// checksum_finish(checksum_add(0, data)). Over data that includes its own
// correct checksum field the result is 0.
std::uint16_t internet_checksum(std::span<const std::byte> data);

// Sum of the pseudo-header (src, dst, zero, protocol, upper-layer length).
// IPv4 and IPv6 (by src.family; dst must be of the same family).
std::uint32_t pseudo_header_sum(const IpAddr& src, const IpAddr& dst, std::uint8_t protocol,
                                std::uint32_t length);

// The TCP checksum field value for `segment` (header + payload, checksum field
// taken as zero whatever it holds).
std::uint16_t tcp_checksum(const IpAddr& src, const IpAddr& dst, std::span<const std::byte> segment);
// True when the checksum stored in `segment` is right. A segment shorter than
// a TCP header is never valid.
bool tcp_checksum_valid(const IpAddr& src, const IpAddr& dst, std::span<const std::byte> segment);

}  // namespace captive::packet
