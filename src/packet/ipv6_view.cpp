#include "captive/packet/ipv6_view.hpp"

#include "captive/packet/byte_order.hpp"

namespace captive::packet {

ParseResult<Ipv6View> Ipv6View::parse(std::span<const std::byte> l3) {
  if (l3.size() < kIpv6HeaderSize) return ParseError::truncated;
  if ((load_u8(l3.data()) >> 4) != 6) return ParseError::bad_version;
  const std::size_t payload = load_be16(l3.data() + 4);
  // RFC 2675: payload length 0 with a Jumbo option. Never on a LAN of ours.
  if (payload == 0 && load_u8(l3.data() + 6) == kIpv6HopByHop) return ParseError::bad_total_length;
  const std::size_t total = kIpv6HeaderSize + payload;
  if (l3.size() > total) l3 = l3.first(total);

  Ipv6View v;
  v.bytes_ = l3;
  std::uint8_t next = load_u8(l3.data() + 6);
  std::size_t offset = kIpv6HeaderSize;
  for (int walked = 0;; ++walked) {
    if (next != kIpv6HopByHop && next != kIpv6Routing && next != kIpv6DestOptions &&
        next != kIpv6Fragment)
      break;
    if (walked == kIpv6MaxExtensionHeaders) return ParseError::too_many_headers;
    // Every walked header starts with Next Header; all but Fragment carry
    // Hdr Ext Len in 8-octet units not counting the first 8 (RFC 8200 §4.3-4.6).
    if (offset + 8 > total) return ParseError::bad_total_length;
    if (offset + 8 > l3.size()) return ParseError::truncated;
    const std::byte* h = l3.data() + offset;
    std::size_t length = 8;
    if (next == kIpv6Fragment) {
      v.has_fragment_header_ = true;
      // Fragment Offset: the top 13 bits of bytes 2-3.
      if ((load_be16(h + 2) >> 3) != 0) v.later_fragment_ = true;
    } else {
      length = (static_cast<std::size_t>(load_u8(h + 1)) + 1) * 8;
    }
    if (offset + length > total) return ParseError::bad_total_length;
    next = load_u8(h);
    offset += length;
    if (v.later_fragment_) break;  // what follows is no header of ours
  }
  if (offset > l3.size()) return ParseError::truncated;
  v.upper_offset_ = offset;
  v.upper_protocol_ = next;
  return v;
}

std::uint8_t Ipv6View::traffic_class() const {
  return static_cast<std::uint8_t>((load_be16(bytes_.data()) >> 4) & 0xff);
}
std::uint32_t Ipv6View::flow_label() const { return load_be32(bytes_.data()) & 0xfffff; }
std::uint16_t Ipv6View::payload_length() const { return load_be16(bytes_.data() + 4); }
std::uint8_t Ipv6View::next_header() const { return load_u8(bytes_.data() + 6); }
std::uint8_t Ipv6View::hop_limit() const { return load_u8(bytes_.data() + 7); }

IpAddr Ipv6View::src() const {
  return IpAddr::v6(reinterpret_cast<const std::uint8_t*>(bytes_.data() + 8));
}

IpAddr Ipv6View::dst() const {
  return IpAddr::v6(reinterpret_cast<const std::uint8_t*>(bytes_.data() + 24));
}

}  // namespace captive::packet
