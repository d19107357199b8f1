// A validated view of an IPv6 header (RFC 8200) with its extension-header
// chain walked to the upper-layer header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "captive/packet/address.hpp"
#include "captive/packet/parse_result.hpp"

namespace captive::packet {

inline constexpr std::size_t kIpv6HeaderSize = 40;
// Extension headers we walk (RFC 8200 §4). Anything else ends the chain and
// is the upper-layer protocol (ESP/AH included: we never look inside them).
inline constexpr std::uint8_t kIpv6HopByHop = 0;
inline constexpr std::uint8_t kIpv6Routing = 43;
inline constexpr std::uint8_t kIpv6Fragment = 44;
inline constexpr std::uint8_t kIpv6DestOptions = 60;
// A bound on the walk; RFC 8200 §4.1 expects at most a handful.
inline constexpr int kIpv6MaxExtensionHeaders = 8;

class Ipv6View {
 public:
  Ipv6View() = default;
  // Checks version 6, the fixed header present, and walks hop-by-hop,
  // routing, destination-options and fragment headers, each of which must be
  // present in the span. Payload length 0 (a jumbogram, RFC 2675) is refused.
  // Bytes past 40 + payload length are not part of the view; fewer bytes
  // than that are accepted and flagged truncated().
  static ParseResult<Ipv6View> parse(std::span<const std::byte> l3);

  std::uint8_t traffic_class() const;
  std::uint32_t flow_label() const;
  std::uint16_t payload_length() const;
  std::uint8_t next_header() const;
  std::uint8_t hop_limit() const;
  IpAddr src() const;
  IpAddr dst() const;

  // After the extension headers.
  std::uint8_t upper_protocol() const { return upper_protocol_; }
  std::size_t upper_offset() const { return upper_offset_; }
  // Declared length of the upper-layer header + data.
  std::size_t upper_length() const { return kIpv6HeaderSize + payload_length() - upper_offset_; }
  // The upper-layer bytes present.
  std::span<const std::byte> upper() const { return bytes_.subspan(upper_offset_); }
  bool has_fragment_header() const { return has_fragment_header_; }
  // A fragment with offset != 0 carries no upper-layer header (RFC 8200 §4.5).
  bool is_later_fragment() const { return later_fragment_; }
  bool truncated() const { return bytes_.size() < kIpv6HeaderSize + payload_length(); }

 private:
  std::span<const std::byte> bytes_;
  std::size_t upper_offset_ = kIpv6HeaderSize;
  std::uint8_t upper_protocol_ = 0;
  bool has_fragment_header_ = false;
  bool later_fragment_ = false;
};

}  // namespace captive::packet
