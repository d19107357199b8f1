// A validated view of an IPv4 header (RFC 791) over a span that may be cut
// short by NFQUEUE's copy range.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "captive/packet/address.hpp"
#include "captive/packet/parse_result.hpp"

namespace captive::packet {

inline constexpr std::size_t kIpv4MinHeaderSize = 20;

class Ipv4View {
 public:
  Ipv4View() = default;
  // Checks version 4, 5 <= IHL, the whole header present, total length >= IHL.
  // Bytes past the total length (Ethernet padding) are not part of the view;
  // a span shorter than the total length is accepted and flagged truncated().
  static ParseResult<Ipv4View> parse(std::span<const std::byte> l3);

  std::size_t header_length() const { return header_length_; }
  std::uint16_t total_length() const;
  std::uint16_t identification() const;
  bool dont_fragment() const;
  bool more_fragments() const;
  // In 8-byte units, as on the wire.
  std::uint16_t fragment_offset() const;
  std::uint8_t ttl() const;
  std::uint8_t protocol() const;
  std::uint16_t header_checksum() const;
  IpAddr src() const;
  IpAddr dst() const;
  bool header_checksum_valid() const;

  std::span<const std::byte> header() const { return bytes_.first(header_length_); }
  // The payload bytes present (fewer than payload_length() when truncated).
  std::span<const std::byte> payload() const { return bytes_.subspan(header_length_); }
  // The payload length the header declares.
  std::size_t payload_length() const { return total_length() - header_length_; }
  bool truncated() const { return bytes_.size() < total_length(); }

 private:
  Ipv4View(std::span<const std::byte> bytes, std::size_t header_length)
      : bytes_(bytes), header_length_(header_length) {}
  std::span<const std::byte> bytes_;  // up to min(total length, span size)
  std::size_t header_length_ = 0;
};

}  // namespace captive::packet
