// Who is on the other end of a portal connection, from that connection's own
// packets. For every packet of an *established* connection to the portal
// port that arrives on the LAN, nft/captive.nft records
//   IPv4: map @portal_peers4  tcp sport . ip saddr : ether saddr
//   IPv6: map @portal_macs6   ip6 saddr : ether saddr        (latest MAC)
//         set @portal_peers6  ether saddr . tcp sport . ip6 saddr
// with a short timeout. captived reads the element of the connection it
// accepted (NFT_MSG_GETSETELEM for one key): for IPv4 the MAC directly; for
// IPv6 the address's latest MAC, confirmed by the connection's own element
// in @portal_peers6 (not confirmed: unknown). A spoofed SYN never reaches
// `ct state established` (the SYN-ACK goes to the address's real owner), so
// no one can write another client's address into them with their MAC.
//
// Why IPv6 differs: nft 1.0.6 puts a map's data in register 2 whatever the
// key's length, so a key longer than 16 bytes (port + IPv6 address: 20) is
// overwritten by the data (checked here with `nft --debug=netlink`: the MAC
// lands on the address's last 4 bytes), or nft aborts (assertion in
// netlink_linearize.c) when the address comes first. Keys of 16 bytes or
// less, and sets without data, are compiled right.
//
// Key layout: each field of an nft concatenation takes whole 32-bit
// registers: a MAC is 6 bytes + 2 of zero padding, a port 2 bytes in network
// order + 2 of padding, then the address (4 or 16 bytes).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "captive/packet/address.hpp"
#include "captive/util/result.hpp"

namespace captive::nft {

// The remote end of an accepted portal connection.
struct PortalPeer {
  packet::IpAddr address;  // IPv4 as IPv4, not ::ffff:a.b.c.d
  std::uint16_t port = 0;  // host byte order
};

inline constexpr std::string_view kPortalPeers4 = "portal_peers4";
inline constexpr std::string_view kPortalMacs6 = "portal_macs6";
inline constexpr std::string_view kPortalPeers6 = "portal_peers6";
inline constexpr std::size_t kMaxElementKey = 28;  // MAC . port . IPv6
// A buffer this big (4-aligned) fits every message below.
inline constexpr std::size_t kPortalPeerMessageSize = 1024;

// One element of one set of our table, by its exact key bytes.
struct ElementKey {
  std::string_view set;
  std::array<std::uint8_t, kMaxElementKey> bytes{};
  std::size_t length = 0;
  std::span<const std::uint8_t> key() const { return {bytes.data(), length}; }
};

// The first element asked for: IPv4 (portal_peers4, port . address), whose
// data is the MAC; IPv6 (portal_macs6, address), whose data is the MAC that
// last sent an established packet from that address.
ElementKey portal_peer_key(const PortalPeer& peer);
// IPv6 only: (portal_peers6, mac . port . address), present if this very
// connection's packets came from `mac`.
ElementKey portal_peer_confirm_key(const PortalPeer& peer, const packet::MacAddr& mac);

// Pure builders (caller's buffer, 4-aligned, at least kPortalPeerMessageSize;
// otherwise, or for a table name that is empty or longer than 255 bytes,
// nothing is written and 0 is returned).
//
// NFT_MSG_GETSETELEM (NLM_F_REQUEST, no NLM_F_DUMP) of one element of table
// inet `table`: the kernel (>= 4.15, nft_get_set_elem) answers one
// NFT_MSG_NEWSETELEM holding the element, or an NLMSG_ERROR (ENOENT: no
// such element, or it expired, or no such table/set).
std::size_t build_element_get(std::span<std::byte> buf, std::uint32_t seq, std::string_view table,
                              const ElementKey& key);
// NFT_MSG_NEWSETELEM with the element and, if `data` is not empty, its data
// (the kernel's answer to the get above; what tests and fuzzers feed the
// parser).
std::size_t build_element(std::span<std::byte> buf, std::uint32_t seq, std::string_view table,
                          const ElementKey& key, std::span<const std::uint8_t> data);

// Parser of one netlink message: set if it is an NFT_MSG_NEWSETELEM of
// family inet, table `table`, set key.set, holding exactly one element (the
// kernel's answer to a one-element get), whose key is exactly `key` (its data, if any, up to 16 bytes, is returned); nullopt for
// anything else, malformed included. Never reads outside `message`.
struct ElementData {
  std::array<std::uint8_t, 16> bytes{};
  std::size_t length = 0;
};
std::optional<ElementData> parse_element(std::span<const std::byte> message, std::string_view table,
                                         const ElementKey& key);

// The MAC a portal connection came from, as the interface the portal uses
// (unit tests give it a fake).
class PeerResolver {
 public:
  virtual ~PeerResolver() = default;
  // nullopt: no element (the connection was not seen established on the
  // LAN, or the ruleset lacks the maps). May block for one kernel round trip.
  virtual Result<std::optional<packet::MacAddr>> lookup(const PortalPeer& peer) = 0;
};

class PortalPeers final : public PeerResolver {
 public:
  // Opens a NETLINK_NETFILTER socket (nfnetlink wants CAP_NET_ADMIN for
  // every request, reads included). Errors: "open portal peers: ...".
  static Result<PortalPeers> open(std::string table = "captive");
  PortalPeers(PortalPeers&&) noexcept;
  PortalPeers& operator=(PortalPeers&&) noexcept;
  ~PortalPeers() override;

  // One request and answer (IPv4) or two (IPv6); the kernel answers within
  // the sendmsg, and a 1 s receive timeout bounds the wait if it never
  // does. Errors: "portal peer 192.0.2.2:40000: ..." (ENOENT is not an
  // error: nullopt).
  Result<std::optional<packet::MacAddr>> lookup(const PortalPeer& peer) override;

 private:
  PortalPeers(std::string table, void* socket) : table_(std::move(table)), socket_(socket) {}
  Result<std::optional<ElementData>> get(const PortalPeer& peer, const ElementKey& key);
  std::string table_;
  void* socket_ = nullptr;  // struct mnl_socket*
  std::uint32_t seq_ = 0;
};

}  // namespace captive::nft
