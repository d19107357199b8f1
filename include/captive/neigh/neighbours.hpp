// Source address -> MAC, from the kernel's neighbour table (rtnetlink
// RTM_GETNEIGH over libmnl). How the portal knows who is signing in: never
// from anything the client sends.
#pragma once

#include <memory>
#include <optional>

#include "captive/packet/address.hpp"
#include "captive/util/result.hpp"

namespace captive::neigh {

class Resolver {
 public:
  virtual ~Resolver() = default;
  // nullopt: no usable entry (absent, INCOMPLETE or FAILED).
  virtual Result<std::optional<packet::MacAddr>> lookup(const packet::IpAddr& addr) = 0;
};

class NeighbourTable final : public Resolver {
 public:
  // Entries on device `ifindex` only.
  static Result<NeighbourTable> open(int ifindex);
  NeighbourTable(NeighbourTable&&) noexcept;
  NeighbourTable& operator=(NeighbourTable&&) noexcept;
  ~NeighbourTable() override;

  Result<std::optional<packet::MacAddr>> lookup(const packet::IpAddr& addr) override;

 private:
  NeighbourTable(int ifindex, void* socket) : ifindex_(ifindex), socket_(socket) {}
  int ifindex_ = 0;
  void* socket_ = nullptr;  // struct mnl_socket*
};

}  // namespace captive::neigh
