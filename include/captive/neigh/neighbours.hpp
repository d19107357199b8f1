// Source address -> MAC, from the kernel's neighbour table (rtnetlink
// RTM_GETNEIGH over libmnl). How the portal knows who is signing in: never
// from anything the client sends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "captive/packet/address.hpp"
#include "captive/util/result.hpp"

namespace captive::neigh {

class Resolver {
 public:
  virtual ~Resolver() = default;
  // nullopt: no usable entry (absent, INCOMPLETE or FAILED).
  virtual Result<std::optional<packet::MacAddr>> lookup(const packet::IpAddr& addr) = 0;
};

// Pure message builders/parsers (caller's buffer, 4-byte aligned, at least
// kRequestSize long; shorter: nothing written, 0 returned). Unit-tested by
// round trip through libmnl.
inline constexpr std::size_t kRequestSize = 128;

// RTM_GETNEIGH for one address on one device (NLM_F_REQUEST only, NDA_DST):
// answered with one RTM_NEWNEIGH or ENOENT. Linux >= 4.19 (neigh_get()).
std::size_t build_get_request(std::span<std::byte> buf, int ifindex,
                              const packet::IpAddr& addr, std::uint32_t seq);
// RTM_GETNEIGH dump (NLM_F_REQUEST | NLM_F_DUMP) of one family's table.
std::size_t build_dump_request(std::span<std::byte> buf, packet::IpAddr::Family family,
                               std::uint32_t seq);
// One RTM_NEWNEIGH message: the MAC if it is for `addr` on `ifindex`, in a
// usable state (not NUD_NONE, NUD_INCOMPLETE or NUD_FAILED) and carries a
// 6-byte NDA_LLADDR; nullopt otherwise (also for anything malformed).
std::optional<packet::MacAddr> match_neighbour(std::span<const std::byte> message, int ifindex,
                                               const packet::IpAddr& addr);

// One usable entry of the table (parse_neighbour).
struct Neighbour {
  packet::IpAddr address;
  packet::MacAddr mac;
};
// One RTM_NEWNEIGH message: the entry if it is on `ifindex`, IPv4 or IPv6,
// in a usable state and carries an NDA_DST of its family's size and a
// 6-byte NDA_LLADDR; nullopt otherwise (also for anything malformed).
std::optional<Neighbour> parse_neighbour(std::span<const std::byte> message, int ifindex);

class NeighbourTable final : public Resolver {
 public:
  // Entries on device `ifindex` only. Opens a NETLINK_ROUTE socket; no
  // privilege needed. Errors: "open neighbour table: ...".
  static Result<NeighbourTable> open(int ifindex);
  // Entries on any of these devices (captived's LANs, --lan repeated): a
  // client of any LAN is found; a device not named is never asked.
  static Result<NeighbourTable> open(std::vector<int> ifindexes);
  NeighbourTable(NeighbourTable&&) noexcept;
  NeighbourTable& operator=(NeighbourTable&&) noexcept;
  ~NeighbourTable() override;

  // Asks the kernel and waits for its answer (the kernel replies within the
  // request, so this does not block in practice); one request per device,
  // in the order given, until one has a usable entry. Errors: "neighbour
  // lookup 192.0.2.2: ...".
  Result<std::optional<packet::MacAddr>> lookup(const packet::IpAddr& addr) override;
  // Every address (IPv4 and IPv6) whose usable entry on this device names
  // `mac`: the addresses a device uses besides the one it signed in from
  // (IPv6 privacy addresses, a second DHCP lease). Two dumps, blocking for
  // as long as the kernel takes to copy the tables: call it off the event
  // loop. Errors: "neighbour dump (IPv6) for 02:...: ...".
  Result<std::vector<packet::IpAddr>> addresses_of(const packet::MacAddr& mac);
  // Every usable entry of the device, IPv4 then IPv6 (two dumps; for
  // `captivectl list --all`, not for the sign-in path). Errors: "neighbour
  // dump: ...".
  Result<std::vector<Neighbour>> entries();

 private:
  NeighbourTable(std::vector<int> ifindexes, void* socket) : ifindexes_(std::move(ifindexes)), socket_(socket) {}
  Result<std::optional<packet::MacAddr>> lookup_on(int ifindex, const packet::IpAddr& addr);
  // The entry in `message` if it is on one of our devices.
  std::optional<Neighbour> ours(std::span<const std::byte> message) const;
  std::vector<int> ifindexes_;
  void* socket_ = nullptr;  // struct mnl_socket*
  std::uint32_t seq_ = 0;
  bool get_supported_ = true;  // false once the kernel refused a per-address get
};

}  // namespace captive::neigh
