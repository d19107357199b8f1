#include "captive/packet/ipv4_view.hpp"

#include "captive/packet/byte_order.hpp"
#include "captive/packet/checksum.hpp"

namespace captive::packet {

ParseResult<Ipv4View> Ipv4View::parse(std::span<const std::byte> l3) {
  if (l3.size() < kIpv4MinHeaderSize) return ParseError::truncated;
  const auto first = load_u8(l3.data());
  if ((first >> 4) != 4) return ParseError::bad_version;
  const std::size_t header_length = static_cast<std::size_t>(first & 0x0f) * 4;
  if (header_length < kIpv4MinHeaderSize) return ParseError::bad_header_length;
  if (header_length > l3.size()) return ParseError::truncated;
  const std::size_t total = load_be16(l3.data() + 2);
  if (total < header_length) return ParseError::bad_total_length;
  // Trailing bytes past the total length are link-layer padding (RFC 894
  // pads to 46 bytes), never IP payload.
  if (l3.size() > total) l3 = l3.first(total);
  return Ipv4View(l3, header_length);
}

std::uint16_t Ipv4View::total_length() const { return load_be16(bytes_.data() + 2); }
std::uint16_t Ipv4View::identification() const { return load_be16(bytes_.data() + 4); }
bool Ipv4View::dont_fragment() const { return (load_u8(bytes_.data() + 6) & 0x40) != 0; }
bool Ipv4View::more_fragments() const { return (load_u8(bytes_.data() + 6) & 0x20) != 0; }
std::uint16_t Ipv4View::fragment_offset() const { return load_be16(bytes_.data() + 6) & 0x1fff; }
std::uint8_t Ipv4View::ttl() const { return load_u8(bytes_.data() + 8); }
std::uint8_t Ipv4View::protocol() const { return load_u8(bytes_.data() + 9); }
std::uint16_t Ipv4View::header_checksum() const { return load_be16(bytes_.data() + 10); }

IpAddr Ipv4View::src() const {
  return IpAddr::v4(reinterpret_cast<const std::uint8_t*>(bytes_.data() + 12));
}

IpAddr Ipv4View::dst() const {
  return IpAddr::v4(reinterpret_cast<const std::uint8_t*>(bytes_.data() + 16));
}

bool Ipv4View::header_checksum_valid() const { return internet_checksum(header()) == 0; }

}  // namespace captive::packet
