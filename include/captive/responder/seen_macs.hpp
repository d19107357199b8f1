// MACs the responder answered (511 or probe 302), handed to the event loop
// for checks that must stay off the packet path: RADIUS MAC authentication
// (--radius-mac-auth, docs/radius.md) asks the server about each device it
// has not asked about before.
//
// A fixed table of kSlots atomic words (MAC | 1 << 48), open addressing
// over kProbes slots: note() is a few loads and at most one CAS, never
// allocates, never blocks, and a MAC already waiting is not added twice.
// When its slots are taken the MAC is dropped (counted); it is noted again
// at its next intercepted request. The event loop drains the table on a
// timer: each waiting MAC once, the slots emptied.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "captive/packet/address.hpp"

namespace captive::responder {

class SeenMacs {
 public:
  static constexpr std::size_t kSlots = 256;
  static constexpr std::size_t kProbes = 8;

  // Any thread; wait-free but for one CAS per free slot tried.
  void note(const packet::MacAddr& mac) {
    const std::uint64_t key = key_of(mac);
    const std::size_t start = static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> 56) % kSlots;
    for (std::size_t i = 0; i < kProbes; ++i) {
      auto& slot = slots_[(start + i) % kSlots];
      std::uint64_t v = slot.load(std::memory_order_relaxed);
      if (v == key) return;
      if (v == 0 && slot.compare_exchange_strong(v, key, std::memory_order_release, std::memory_order_relaxed)) return;
      if (v == key) return;
    }
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }

  // Calls f(MacAddr) for each MAC waiting and empties its slot. A MAC noted
  // while this runs is seen now or at the next drain.
  template <class F>
  void drain(F&& f) {
    for (auto& slot : slots_) {
      if (slot.load(std::memory_order_relaxed) == 0) continue;
      const std::uint64_t v = slot.exchange(0, std::memory_order_acquire);
      if (v == 0) continue;
      packet::MacAddr mac;
      for (std::size_t b = 0; b < 6; ++b) mac.bytes[b] = static_cast<std::uint8_t>(v >> (40 - 8 * b));
      f(mac);
    }
  }

  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  static std::uint64_t key_of(const packet::MacAddr& mac) {
    std::uint64_t k = 0;
    for (auto b : mac.bytes) k = (k << 8) | b;
    return k | (std::uint64_t{1} << 48);
  }
  std::array<std::atomic<std::uint64_t>, kSlots> slots_{};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace captive::responder
