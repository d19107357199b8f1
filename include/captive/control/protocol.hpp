// The admin protocol: one JSON object per line each way, over a Unix socket.
//   {"cmd":"list"}                      -> {"ok":true,"clients":[{...}, ...]}
//   {"cmd":"revoke","mac":"aa:bb:.."}   -> {"ok":true}
//   {"cmd":"stats"}                     -> {"ok":true,"stats":{"responder.syn_ack":12, ...}}
//   {"cmd":"doctor","mac":"aa:bb:.."}   -> {"ok":true,"entries":[...],"verdict":"...", ...}
// Failures: {"ok":false,"error":"what went wrong"}. Pure: no sockets here.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "captive/responder/client_log.hpp"
#include "captive/session/registry.hpp"

namespace captive::control {

inline constexpr std::size_t kMaxLineBytes = 64 * 1024;

using Counters = std::vector<std::pair<std::string, std::uint64_t>>;

// What the protocol answers from.
struct Context {
  session::Registry& registry;
  // Every counter of the daemon, in a stable order (may be empty in tests).
  std::function<Counters()> counters;
  // What clients asked and got, for `doctor` (may be null), and the clock
  // its entries are on (CLOCK_BOOTTIME seconds).
  const responder::ClientLog* client_log = nullptr;
  std::function<std::uint64_t()> now_seconds = {};
};

// Answers one request line (without its '\n') through `reply` (no '\n'
// either): at once for stats and malformed input, when the kernel has
// answered for list and revoke (on the registry's home thread). Never
// throws: malformed input gets {"ok":false,...}.
void handle_request(std::string_view line, Context& context, std::function<void(std::string)> reply);

// Client side, for captivectl: builds request lines.
std::string make_list_request();
std::string make_revoke_request(std::string_view mac);
std::string make_stats_request();
std::string make_doctor_request(std::string_view mac);

// `doctor`'s one-line verdict on a client's recent history (oldest first)
// and whether it is signed in now.
std::string doctor_verdict(const std::vector<responder::ClientEntry>& entries, bool signed_in_now);

}  // namespace captive::control
