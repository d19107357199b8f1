// The admin protocol: one JSON object per line each way, over a Unix socket.
//   {"cmd":"list"}                      -> {"ok":true,"clients":[{...}, ...]}
//   {"cmd":"revoke","mac":"aa:bb:.."}   -> {"ok":true}
//   {"cmd":"stats"}                     -> {"ok":true,"stats":{"responder.syn_ack":12, ...}}
//   {"cmd":"trust","mac":"aa:bb:.."}    -> {"ok":true,"changed":true}   (also "block", "unblock", "untrust")
//   {"cmd":"lists"}                     -> {"ok":true,"trusted":[{"mac":..,"source":"config"|"runtime"}],
//                                           "blocked":[...],"allow_ip":[...],"allow_domain":[...]}
// Failures: {"ok":false,"error":"what went wrong"}. Pure: no sockets here.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "captive/session/lists.hpp"
#include "captive/session/registry.hpp"

namespace captive::control {

inline constexpr std::size_t kMaxLineBytes = 64 * 1024;

using Counters = std::vector<std::pair<std::string, std::uint64_t>>;

// The lists' side of the protocol (trust, block, unblock, untrust, lists).
struct ListsContext {
  // Changed on the home thread by the requests; the daemon's copy.
  session::MacLists& lists;
  // Called after a change: persists the lists and writes the kernel sets
  // (off the home thread); `done` runs on the home thread.
  std::function<void(std::function<void(Result<void>)> done)> changed;
  // The walled garden, as configured (shown by "lists").
  std::vector<std::string> allow_ips{};
  std::vector<std::string> allow_domains{};
};

// What the protocol answers from.
struct Context {
  session::Registry& registry;
  // Every counter of the daemon, in a stable order (may be empty in tests).
  std::function<Counters()> counters;
  // Null: the list requests answer "not available".
  ListsContext* lists = nullptr;
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
// {"cmd":VERB,"mac":MAC} for trust, block, unblock, untrust.
std::string make_list_change_request(std::string_view verb, std::string_view mac);
std::string make_lists_request();

}  // namespace captive::control
