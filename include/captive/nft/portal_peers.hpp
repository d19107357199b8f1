// Who is on the other end of a portal connection, from that connection's own
// packets: nft/captive.nft records, for every packet of an *established*
// connection to the portal port that arrives on the LAN, the element
//   tcp sport . ip saddr : ether saddr     in map @portal_peers4 (ip6: @portal_peers6)
// with a short timeout. captived reads the one element of the connection it
// accepted (NFT_MSG_GETSETELEM for one key). A spoofed SYN never reaches
// `ct state established` (the SYN-ACK goes to the address's real owner), so
// no one can write another client's address into the map with their MAC.
//
// Key order: the port comes first because nft 1.0.6 cannot compile
// `update @m { ip6 saddr . tcp sport : ether saddr }` (assertion in
// netlink_linearize.c, checked here); `tcp sport . ip6 saddr` works. Each
// field of an nft concatenation takes whole 32-bit registers: the port is 2
// bytes in network order plus 2 bytes of zero padding, then the address:
// 8 bytes of key for IPv4, 20 for IPv6.
#pragma once

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
inline constexpr std::string_view kPortalPeers6 = "portal_peers6";
inline constexpr std::size_t kPortalPeerKeyMax = 20;
// A buffer this big (4-aligned) fits every message below.
inline constexpr std::size_t kPortalPeerMessageSize = 1024;

// The map the peer's element lives in (by address family).
std::string_view portal_peers_set(const PortalPeer& peer);
// The element key as the kernel stores it; returns its length (8 or 20).
std::size_t portal_peer_key(const PortalPeer& peer, std::span<std::uint8_t, kPortalPeerKeyMax> out);

// Pure builders (caller's buffer, 4-aligned, at least kPortalPeerMessageSize;
// otherwise, or for a table name that is empty or longer than 255 bytes,
// nothing is written and 0 is returned).
//
// NFT_MSG_GETSETELEM (NLM_F_REQUEST, no NLM_F_DUMP) of one element of
// table inet `table`, map portal_peers4/6: the kernel (>= 4.15,
// nft_get_set_elem) answers one NFT_MSG_NEWSETELEM holding the element, or
// an NLMSG_ERROR (ENOENT: no such element, or it expired).
std::size_t build_portal_peer_get(std::span<std::byte> buf, std::uint32_t seq, std::string_view table,
                                  const PortalPeer& peer);
// NFT_MSG_NEWSETELEM with the element and its data (the kernel's answer to
// the get above; also what a test or fuzzer feeds the parser).
std::size_t build_portal_peer_element(std::span<std::byte> buf, std::uint32_t seq, std::string_view table,
                                      const PortalPeer& peer, const packet::MacAddr& mac);

// Parser of one netlink message: the MAC if it is an NFT_MSG_NEWSETELEM of
// family inet, table `table`, map portal_peers4/6 of the peer's family,
// holding an element whose key is exactly the peer's and whose data is 6
// bytes (NFTA_DATA_VALUE); nullopt for anything else, malformed included.
// Never reads outside `message`.
std::optional<packet::MacAddr> parse_portal_peer(std::span<const std::byte> message, std::string_view table,
                                                 const PortalPeer& peer);

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

  // One request, one answer; the kernel answers within the sendmsg, and a
  // 1 s receive timeout bounds the wait if it never does. Errors: "portal
  // peer 192.0.2.2:40000: ..." (ENOENT is not an error: nullopt).
  Result<std::optional<packet::MacAddr>> lookup(const PortalPeer& peer) override;

 private:
  PortalPeers(std::string table, void* socket) : table_(std::move(table)), socket_(socket) {}
  std::string table_;
  void* socket_ = nullptr;  // struct mnl_socket*
  std::uint32_t seq_ = 0;
};

}  // namespace captive::nft
