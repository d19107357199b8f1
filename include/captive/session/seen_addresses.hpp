// The MACs seen on the queue, by source address: the second way the portal
// identifies a client when the neighbour table has no entry (yet). A fixed
// table written on the packet path: no allocation, the oldest entry of a
// slot is simply overwritten. Queue threads write, the portal reads: a mutex
// guards it (held for one slot copy; uncontended it costs tens of ns).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>

#include "captive/packet/address.hpp"

namespace captive::session {

class SeenAddresses {
 public:
  static constexpr std::size_t kSlots = 4096;
  // An entry older than this is not trusted: the address may have moved on.
  static constexpr std::uint64_t kMaxAgeSeconds = 600;

  void record(const packet::IpAddr& ip, const packet::MacAddr& mac, std::uint64_t now_seconds);
  std::optional<packet::MacAddr> find(const packet::IpAddr& ip, std::uint64_t now_seconds) const;

 private:
  struct Entry {
    packet::IpAddr ip;
    packet::MacAddr mac;
    std::uint64_t seen = 0;
    bool used = false;
  };
  static std::size_t slot_of(const packet::IpAddr& ip);
  mutable std::mutex mutex_;
  std::array<Entry, kSlots> entries_{};
};

}  // namespace captive::session
