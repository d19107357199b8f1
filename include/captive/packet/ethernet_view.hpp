// A view of an Ethernet II header (IEEE 802.3 with an EtherType). The daemon
// receives L3 from NFQUEUE and only builds Ethernet; this view exists for the
// builders' round-trip tests and for captured frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "captive/packet/address.hpp"
#include "captive/packet/parse_result.hpp"

namespace captive::packet {

inline constexpr std::size_t kEthernetHeaderSize = 14;
inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;

class EthernetView {
 public:
  EthernetView() = default;
  // Needs 14 bytes. No VLAN tags: our frames are untagged on the LAN device.
  static ParseResult<EthernetView> parse(std::span<const std::byte> frame);

  MacAddr dst() const;
  MacAddr src() const;
  std::uint16_t ether_type() const;
  std::span<const std::byte> payload() const { return bytes_.subspan(kEthernetHeaderSize); }

 private:
  explicit EthernetView(std::span<const std::byte> bytes) : bytes_(bytes) {}
  std::span<const std::byte> bytes_;
};

}  // namespace captive::packet
