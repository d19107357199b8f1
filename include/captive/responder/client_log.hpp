// What each client recently asked and what we answered, for `captivectl
// doctor MAC` ("why didn't my phone pop up?"). Written by every queue
// thread (the responder) and the portal thread, read by the control
// socket; fixed size, allocated once, nothing allocated or locked for long
// on the packet path.
//
// kSlots slots hashed by MAC (kWays candidate slots per MAC; a new MAC
// takes an empty one or the least recently written), each a ring of the
// last kEntries events with host and path cut to fixed sizes. A slot is
// written under its sequence counter (odd while a writer is in it: writers
// of the same slot wait for each other, a few stores long); readers copy a
// slot out and retry when the counter moved. Every field is an atomic word,
// so a torn read is detected, never undefined.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "captive/http/probe_table.hpp"
#include "captive/packet/address.hpp"

namespace captive::responder {

enum class ClientEvent : std::uint8_t {
  answer_511 = 1,   // an intercepted request answered with the 511
  answer_302,       // a probe of the table answered with the 302
  portal_page,      // GET of the sign-in page
  signed_in,        // the portal accepted it (the kernel has the MAC)
  sign_in_refused,  // the backend or the form's token said no
};
const char* client_event_name(ClientEvent event);

struct ClientEntry {
  std::uint64_t when = 0;  // the writer's clock (CLOCK_BOOTTIME seconds)
  ClientEvent event = ClientEvent::answer_511;
  std::string host;        // as the client sent it, cut to kHostBytes
  std::string path;        // the request target, cut to kPathBytes
  std::optional<std::size_t> probe;  // index in the probe table
  std::string probe_label;           // that probe's label
};

class ClientLog {
 public:
  static constexpr std::size_t kSlots = 256;
  static constexpr std::size_t kWays = 4;
  static constexpr std::size_t kEntries = 8;
  static constexpr std::size_t kHostBytes = 48;
  static constexpr std::size_t kPathBytes = 64;

  // `probes` names the probe of an entry for readers (may be null).
  static std::unique_ptr<ClientLog> create(std::shared_ptr<const http::ProbeTable> probes);

  // Never allocates, never throws; may spin while another thread writes
  // the same slot (a few dozen stores).
  void record(const packet::MacAddr& mac, std::uint64_t now, ClientEvent event, std::string_view host = {},
              std::string_view path = {}, std::optional<std::size_t> probe = std::nullopt);

  // The client's entries, oldest first; empty if none are kept. Allocates
  // (control thread only).
  std::vector<ClientEntry> history(const packet::MacAddr& mac) const;

 private:
  static constexpr std::size_t kHostWords = kHostBytes / 8;
  static constexpr std::size_t kPathWords = kPathBytes / 8;
  static constexpr std::size_t kWords = 2 + kHostWords + kPathWords;
  struct Slot {
    std::atomic<std::uint32_t> seq{0};
    std::atomic<std::uint64_t> mac{0};   // 48-bit MAC | 1 << 48 when in use
    std::atomic<std::uint64_t> last{0};  // when last written
    std::atomic<std::uint32_t> head{0};  // entries written since taken
    std::array<std::array<std::atomic<std::uint64_t>, kWords>, kEntries> entries{};
  };
  explicit ClientLog(std::shared_ptr<const http::ProbeTable> probes) : probes_(std::move(probes)) {}

  std::shared_ptr<const http::ProbeTable> probes_;
  std::array<Slot, kSlots> slots_{};
};

}  // namespace captive::responder
