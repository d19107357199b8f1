#include "captive/responder/client_log.hpp"

#include <cstring>

namespace captive::responder {
namespace {

constexpr std::uint64_t kInUse = std::uint64_t{1} << 48;
constexpr std::uint16_t kNoProbe = 0xffff;

std::uint64_t key_of(const packet::MacAddr& mac) {
  std::uint64_t k = 0;
  for (auto b : mac.bytes) k = (k << 8) | b;
  return k | kInUse;
}

std::size_t home_of(std::uint64_t key) {
  // A multiplicative hash (Fibonacci hashing): consecutive MACs, as a
  // vendor hands them out, spread over the slots.
  return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> 40);
}

void put_text(std::atomic<std::uint64_t>* words, std::size_t count, std::string_view text) {
  for (std::size_t w = 0; w < count; ++w) {
    std::uint64_t v = 0;
    const std::size_t at = w * 8;
    if (at < text.size()) std::memcpy(&v, text.data() + at, text.size() - at < 8 ? text.size() - at : 8);
    words[w].store(v, std::memory_order_relaxed);
  }
}

std::string get_text(const std::uint64_t* words, std::size_t length) {
  std::string s(length, '\0');
  std::memcpy(s.data(), words, length);
  return s;
}

}  // namespace

const char* client_event_name(ClientEvent event) {
  switch (event) {
    case ClientEvent::answer_511: return "511";
    case ClientEvent::answer_302: return "302";
    case ClientEvent::portal_page: return "portal_page";
    case ClientEvent::signed_in: return "signed_in";
    case ClientEvent::sign_in_refused: return "sign_in_refused";
  }
  return "unknown";
}

std::unique_ptr<ClientLog> ClientLog::create(std::shared_ptr<const http::ProbeTable> probes) {
  return std::unique_ptr<ClientLog>(new ClientLog(std::move(probes)));
}

void ClientLog::record(const packet::MacAddr& mac, std::uint64_t now, ClientEvent event, std::string_view host,
                       std::string_view path, std::optional<std::size_t> probe) {
  const std::uint64_t key = key_of(mac);
  const std::size_t home = home_of(key);
  Slot* slot = nullptr;
  Slot* empty = nullptr;
  Slot* oldest = nullptr;
  for (std::size_t i = 0; i < kWays; ++i) {
    Slot& s = slots_[(home + i) % kSlots];
    const std::uint64_t held = s.mac.load(std::memory_order_relaxed);
    if (held == key) {
      slot = &s;
      break;
    }
    if (held == 0 && !empty) empty = &s;
    if (!oldest || s.last.load(std::memory_order_relaxed) < oldest->last.load(std::memory_order_relaxed)) oldest = &s;
  }
  if (!slot) slot = empty ? empty : oldest;

  // Take the slot: its counter from even to odd.
  std::uint32_t seq = slot->seq.load(std::memory_order_relaxed);
  for (;;) {
    if ((seq & 1) == 0 &&
        slot->seq.compare_exchange_weak(seq, seq + 1, std::memory_order_acquire, std::memory_order_relaxed))
      break;
    seq = slot->seq.load(std::memory_order_relaxed);
  }
  std::atomic_thread_fence(std::memory_order_release);
  if (slot->mac.load(std::memory_order_relaxed) != key) {
    // Evicted (or taken by another MAC meanwhile): this client starts afresh.
    slot->mac.store(key, std::memory_order_relaxed);
    slot->head.store(0, std::memory_order_relaxed);
  }
  const std::uint32_t head = slot->head.load(std::memory_order_relaxed);
  auto& words = slot->entries[head % kEntries];
  const std::size_t host_length = host.size() < kHostBytes ? host.size() : kHostBytes;
  const std::size_t path_length = path.size() < kPathBytes ? path.size() : kPathBytes;
  const std::uint16_t probe_index =
      probe && *probe < kNoProbe ? static_cast<std::uint16_t>(*probe) : kNoProbe;
  words[0].store(now, std::memory_order_relaxed);
  words[1].store(static_cast<std::uint64_t>(event) | (std::uint64_t{probe_index} << 8) |
                     (std::uint64_t{host_length} << 24) | (std::uint64_t{path_length} << 32),
                 std::memory_order_relaxed);
  put_text(&words[2], kHostWords, host.substr(0, host_length));
  put_text(&words[2 + kHostWords], kPathWords, path.substr(0, path_length));
  slot->head.store(head + 1, std::memory_order_relaxed);
  slot->last.store(now, std::memory_order_relaxed);
  slot->seq.store(seq + 2, std::memory_order_release);
}

std::vector<ClientEntry> ClientLog::history(const packet::MacAddr& mac) const {
  const std::uint64_t key = key_of(mac);
  const std::size_t home = home_of(key);
  std::vector<ClientEntry> out;
  for (std::size_t i = 0; i < kWays; ++i) {
    const Slot& s = slots_[(home + i) % kSlots];
    if (s.mac.load(std::memory_order_relaxed) != key) continue;
    std::array<std::array<std::uint64_t, kWords>, kEntries> copy{};
    std::uint32_t head = 0;
    bool ours = false;
    // A writer holds a slot for a few stores: a bounded number of tries.
    for (int attempt = 0; attempt < 10000; ++attempt) {
      const std::uint32_t before = s.seq.load(std::memory_order_acquire);
      if (before & 1) continue;
      ours = s.mac.load(std::memory_order_relaxed) == key;
      head = s.head.load(std::memory_order_relaxed);
      for (std::size_t e = 0; e < kEntries; ++e)
        for (std::size_t w = 0; w < kWords; ++w) copy[e][w] = s.entries[e][w].load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (s.seq.load(std::memory_order_relaxed) == before) break;
      ours = false;
    }
    if (!ours) continue;
    const std::uint32_t kept = head < kEntries ? head : static_cast<std::uint32_t>(kEntries);
    for (std::uint32_t n = head - kept; n != head; ++n) {
      const auto& words = copy[n % kEntries];
      ClientEntry entry;
      entry.when = words[0];
      entry.event = static_cast<ClientEvent>(words[1] & 0xff);
      const auto probe_index = static_cast<std::uint16_t>((words[1] >> 8) & 0xffff);
      const auto host_length = static_cast<std::size_t>((words[1] >> 24) & 0xff);
      const auto path_length = static_cast<std::size_t>((words[1] >> 32) & 0xff);
      entry.host = get_text(&words[2], host_length < kHostBytes ? host_length : kHostBytes);
      entry.path = get_text(&words[2 + kHostWords], path_length < kPathBytes ? path_length : kPathBytes);
      if (probe_index != kNoProbe) {
        entry.probe = probe_index;
        if (probes_ && probe_index < probes_->size()) entry.probe_label = std::string((*probes_)[probe_index].label);
      }
      out.push_back(std::move(entry));
    }
    break;
  }
  return out;
}

}  // namespace captive::responder
