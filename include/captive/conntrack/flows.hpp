// Cutting a client's connections through the router: its conntrack entries,
// deleted over ctnetlink (libnetfilter_conntrack). Deleting the set element
// stops new packets in chain forward, but a flow that bypasses that chain
// keeps going: with a flowtable (`flow add @ft`, OpenWrt's
// flow_offloading=1) established flows skip the forward hook entirely until
// their conntrack entry goes (KERNEL-NOTES: "Flow offloading"). Deleting the
// entry also makes the next packet of the flow meet the ruleset as a new,
// mid-stream one.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "captive/packet/address.hpp"
#include "captive/util/result.hpp"

struct nf_conntrack;     // libnetfilter_conntrack
struct nfct_handle;

namespace captive::conntrack {

// Whose flows to cut: its addresses, deduplicated, IPv4-mapped IPv6 turned
// into IPv4 (a dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d;
// conntrack keeps them as IPv4). `signed_in_from` first.
std::vector<packet::IpAddr> client_addresses(const std::optional<packet::IpAddr>& signed_in_from,
                                             std::span<const packet::IpAddr> neighbours);

// Whether an entry's original-direction source (CTA_TUPLE_ORIG,
// CTA_IP_V4_SRC / CTA_IP_V6_SRC) is one of `sources`: a connection the
// client opened. Pure: usable on entries built with nfct_new().
bool original_source_in(const nf_conntrack* entry, std::span<const packet::IpAddr> sources);
// Whether its original-direction destination is one of `destinations`.
bool original_destination_in(const nf_conntrack* entry, std::span<const packet::IpAddr> destinations);

// What a cut did.
struct CutReport {
  std::size_t matched = 0;  // entries whose original source is the client's
  std::size_t deleted = 0;  // of those, deleted by us (the rest ended meanwhile: ENOENT)
};

class FlowCutter {
 public:
  virtual ~FlowCutter() = default;
  // Deletes every conntrack entry whose original source is one of
  // `sources`, except those to one of `spared_destinations` (the router's
  // own addresses: the portal connection that carries a logout and its
  // answer, DNS to the router; the set governs forwarded traffic only).
  // Blocks for a dump of the table plus one round trip per match: call it
  // off the event loop.
  virtual Result<CutReport> cut(std::span<const packet::IpAddr> sources,
                                std::span<const packet::IpAddr> spared_destinations) = 0;
};

class Conntrack final : public FlowCutter {
 public:
  // Opens a ctnetlink socket (NFNL_SUBSYS_CTNETLINK); deleting needs
  // CAP_NET_ADMIN. Errors: "open conntrack (ctnetlink): ...".
  static Result<Conntrack> open();
  Conntrack(Conntrack&&) noexcept;
  Conntrack& operator=(Conntrack&&) noexcept;
  ~Conntrack() override;

  // Errors: "conntrack dump: ..." or "conntrack delete 192.0.2.2 -> ...: ..."
  // (a delete that finds the entry gone is no error).
  Result<CutReport> cut(std::span<const packet::IpAddr> sources,
                        std::span<const packet::IpAddr> spared_destinations) override;

 private:
  explicit Conntrack(nfct_handle* handle) : handle_(handle) {}
  nfct_handle* handle_ = nullptr;
};

}  // namespace captive::conntrack
