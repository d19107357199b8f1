#include "captive/packet/ethernet_view.hpp"

#include <cstring>

#include "captive/packet/byte_order.hpp"

namespace captive::packet {

ParseResult<EthernetView> EthernetView::parse(std::span<const std::byte> frame) {
  if (frame.size() < kEthernetHeaderSize) return ParseError::truncated;
  return EthernetView(frame);
}

MacAddr EthernetView::dst() const {
  MacAddr m;
  std::memcpy(m.bytes.data(), bytes_.data(), 6);
  return m;
}

MacAddr EthernetView::src() const {
  MacAddr m;
  std::memcpy(m.bytes.data(), bytes_.data() + 6, 6);
  return m;
}

std::uint16_t EthernetView::ether_type() const { return load_be16(bytes_.data() + 12); }

}  // namespace captive::packet
