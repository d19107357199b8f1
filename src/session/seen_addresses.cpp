#include "captive/session/seen_addresses.hpp"

namespace captive::session {

std::size_t SeenAddresses::slot_of(const packet::IpAddr& ip) {
  // FNV-1a: the slot only spreads addresses; a collision costs a fallback to
  // the neighbour table, never a wrong answer (the address is compared).
  std::uint64_t h = 1469598103934665603ull;
  for (std::size_t i = 0; i < ip.size(); ++i) {
    h ^= ip.bytes[i];
    h *= 1099511628211ull;
  }
  return static_cast<std::size_t>(h % kSlots);
}

void SeenAddresses::record(const packet::IpAddr& ip, const packet::MacAddr& mac,
                           std::uint64_t now_seconds) {
  std::size_t slot = slot_of(ip);
  std::lock_guard lock(mutex_);
  entries_[slot] = Entry{ip, mac, now_seconds, true};
}

std::optional<packet::MacAddr> SeenAddresses::find(const packet::IpAddr& ip,
                                                   std::uint64_t now_seconds) const {
  std::size_t slot = slot_of(ip);
  std::lock_guard lock(mutex_);
  const Entry& e = entries_[slot];
  if (!e.used || e.ip != ip || now_seconds - e.seen > kMaxAgeSeconds) return std::nullopt;
  return e.mac;
}

}  // namespace captive::session
