#include "captive/packet/checksum.hpp"

#include "captive/packet/byte_order.hpp"

namespace captive::packet {
namespace {

// Folds carries back in (RFC 1071 §4.1 "end-around carry").
std::uint32_t fold(std::uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint32_t>(sum);
}

}  // namespace

std::uint32_t checksum_add(std::uint32_t sum, std::span<const std::byte> data) {
  // 64-bit accumulator: no overflow for any span we could be given.
  std::uint64_t acc = sum;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) acc += load_be16(data.data() + i);
  if (i < data.size()) acc += static_cast<std::uint64_t>(data[i]) << 8;
  return fold(acc);
}

std::uint16_t checksum_finish(std::uint32_t sum) {
  return static_cast<std::uint16_t>(~fold(sum) & 0xffff);
}

std::uint16_t internet_checksum(std::span<const std::byte> data) {
  return checksum_finish(checksum_add(0, data));
}

std::uint32_t pseudo_header_sum(const IpAddr& src, const IpAddr& dst, std::uint8_t protocol,
                                std::uint32_t length) {
  const auto size = src.size();
  std::uint64_t acc = 0;
  acc += checksum_add(0, std::as_bytes(std::span(src.bytes.data(), size)));
  acc += checksum_add(0, std::as_bytes(std::span(dst.bytes.data(), size)));
  if (src.is_v4()) {
    // RFC 9293 §3.1: zero, PTCL, TCP length (16 bits).
    acc += protocol;
    acc += length & 0xffff;
  } else {
    // RFC 8200 §8.1: upper-layer packet length (32 bits), zero, next header.
    acc += length >> 16;
    acc += length & 0xffff;
    acc += protocol;
  }
  return fold(acc);
}

std::uint16_t tcp_checksum(const IpAddr& src, const IpAddr& dst, std::span<const std::byte> segment) {
  std::uint32_t sum =
      pseudo_header_sum(src, dst, kIpProtoTcp, static_cast<std::uint32_t>(segment.size()));
  if (segment.size() < 18) return checksum_finish(checksum_add(sum, segment));
  // Everything but the checksum field (offset 16).
  sum = checksum_add(sum, segment.first(16));
  sum = checksum_add(sum, segment.subspan(18));
  return checksum_finish(sum);
}

bool tcp_checksum_valid(const IpAddr& src, const IpAddr& dst, std::span<const std::byte> segment) {
  if (segment.size() < 20 || src.family != dst.family) return false;
  std::uint32_t sum =
      pseudo_header_sum(src, dst, kIpProtoTcp, static_cast<std::uint32_t>(segment.size()));
  // One's-complement sum over everything including the field is 0xffff.
  return fold(checksum_add(sum, segment)) == 0xffff;
}

}  // namespace captive::packet
