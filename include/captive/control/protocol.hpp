// The admin protocol: one JSON object per line each way, over a Unix socket.
// Requests ({"cmd":NAME, ...}) and their successful answers:
//   list     [all: bool]                  {"ok":true,"clients":[CLIENT...]}  (all: also "seen":[SEEN...])
//   show     client: MAC or IP            {"ok":true,"client":CLIENT}
//   allow    mac, [seconds], [ip], [rate_down], [rate_up] (bytes/s)
//                                          {"ok":true,"mac":..,"seconds":N}
//   revoke   mac | ip                     {"ok":true,"mac":..}
//   extend   mac, seconds                 {"ok":true}
//   status                                {"ok":true,"status":{version, uptime_seconds, queue_mode, [users_file],
//                                           sessions, counters}}
//   stats                                 {"ok":true,"stats":{"responder.syn_ack":12, ...}}
//   reload                                {"ok":true,"file":..,"changed":[KEY...],"restart_needed":[KEY...]}
//   trust | block | unblock | untrust  mac  {"ok":true,"changed":BOOL}
//   voucher_create | voucher_list | voucher_show | voucher_revoke: control/vouchers.hpp
//   doctor   mac                          {"ok":true,"entries":[...],"verdict":"...", ...}
//   lists                                 {"ok":true,"trusted":[{"mac":..,"source":"config"|"runtime"}],
//                                           "blocked":[...],"allow_ip":[...],"allow_domain":[...]}
// CLIENT: {"mac","ip","signed_in_at","expires_at" (epoch seconds or null),
// "method","user","bytes_up","bytes_down",...}; SEEN: {"mac","ip"}.
// Failures: {"ok":false,"error":"one line saying what went wrong"}.
// Pure: no sockets here (server.cpp has them).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "captive/packet/address.hpp"
#include "captive/session/limits.hpp"
#include "captive/session/lists.hpp"
#include "captive/responder/client_log.hpp"
#include "captive/session/registry.hpp"

namespace captive::control {

inline constexpr std::size_t kMaxLineBytes = 64 * 1024;

using Counters = std::vector<std::pair<std::string, std::uint64_t>>;

// What `status` tells about the daemon itself (sessions and counters are
// added by the protocol).
// One LAN captived serves (--lan, repeatable), for `status`.
struct LanInfo {
  std::string name;
  packet::MacAddr mac;     // the router's, source of the answers on this LAN
  std::uint16_t mtu = 0;
  std::string portal_url_v4;  // the 511's link for this LAN's clients ("" if none)
  std::string portal_url_v6;
};

struct DaemonInfo {
  std::string version;
  std::chrono::seconds uptime{0};
  std::string queue_mode;  // "native" (nft queue) or "compat" (xt NFQUEUE through nft_compat)
  std::vector<LanInfo> lans;
  std::string users_file{};  // --users, with --auth users (captivectl user edits it); empty: not shown
};

// What a reload did: keys applied now, keys that changed in the file but
// keep their old value until a restart.
struct ReloadOutcome {
  std::string file;
  std::vector<std::string> changed;
  std::vector<std::string> restart_needed;
};

// A client the daemon has seen on the LAN (signed in or not).
struct Seen {
  packet::MacAddr mac;
  std::optional<packet::IpAddr> ip;
};

// `allow` with per-session limits (rates): for the hook below.
struct Allow {
  packet::MacAddr mac;
  std::optional<packet::IpAddr> ip;
  std::chrono::seconds duration{0};
  session::Limits limits;
};

template <class T>
using Done = session::Done<T>;

struct VoucherContext;  // control/vouchers.hpp

// What the protocol answers from. Every std::function may be empty: the
// command then answers "not supported by this captived" (tests, and
// features still being built: extend, rates, lists).
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
  Context(session::Registry& registry_, std::function<Counters()> counters_ = {}, ListsContext* lists_ = nullptr)
      : registry(registry_), counters(std::move(counters_)), lists(lists_) {}

  session::Registry& registry;
  // Every counter of the daemon, in a stable order (may be empty in tests).
  std::function<Counters()> counters;
  // Version, uptime, queue mode (status).
  std::function<DaemonInfo()> info;
  // The session time of `allow` without --for: captived's --session-timeout
  // as it is now (a reload may change it).
  std::function<std::chrono::seconds()> session_timeout;
  // Re-reads the config file (reload); `done` on the home thread.
  std::function<void(Done<ReloadOutcome>)> reload;
  // Clients seen on the LAN, signed in or not (list --all).
  std::function<void(Done<std::vector<Seen>>)> seen;

  // Hooks for what other parts of captived provide; wired in
  // src/daemon/app.cpp. Until then, "not supported".
  // Adds `seconds` to a session's time left (session::Registry::extend).
  std::function<void(const packet::MacAddr&, std::chrono::seconds, Done<void>)> extend;
  // Signs a client in with per-session limits (allow --rate-down/--rate-up).
  // Without it, allow with rates is refused; allow without them signs in
  // through the registry.
  std::function<void(const Allow&, Done<void>)> allow_with_limits;
  // Null: the list requests answer "not available".
  ListsContext* lists = nullptr;
  // What clients asked and got, for `doctor` (may be null), and the clock
  // its entries are on (CLOCK_BOOTTIME seconds).
  const responder::ClientLog* client_log = nullptr;
  std::function<std::uint64_t()> now_seconds = {};
  // The vouchers (control/vouchers.hpp); null: "voucher_*" answers that
  // vouchers are not enabled.
  VoucherContext* vouchers = nullptr;
};

// Answers one request line (without its '\n') through `reply` (no '\n'
// either): at once for malformed input and what needs no kernel, when the
// kernel has answered for the rest (on the registry's home thread). Never
// throws: malformed input gets {"ok":false,...}. Exactly one reply per line.
void handle_request(std::string_view line, Context& context, std::function<void(std::string)> reply);

// Client side, for captivectl: builds request lines.
std::string make_list_request(bool all = false);
std::string make_show_request(std::string_view mac_or_ip);
struct AllowOptions {
  std::optional<std::uint64_t> seconds;
  std::optional<std::string> ip;
  std::optional<std::uint64_t> rate_down;  // bytes per second
  std::optional<std::uint64_t> rate_up;
};
std::string make_allow_request(std::string_view mac, const AllowOptions& options);
// `revoke` by MAC ("mac") or by address ("ip"): `mac_or_ip` goes in
// whichever it parses as.
std::string make_revoke_request(std::string_view mac_or_ip);
std::string make_extend_request(std::string_view mac, std::uint64_t seconds);
std::string make_status_request();
std::string make_stats_request();
std::string make_reload_request();
// trust, block, unblock.
std::string make_mac_request(std::string_view cmd, std::string_view mac);

// Units shared by captivectl and captived (no daemon code in captivectl).
// "90" (seconds), "90s", "15m", "24h", "7d"; > 0 and at most 365 days.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);
// "1500", "500K", "500M", "2G", "1T" (powers of 1000); > 0.
std::optional<std::uint64_t> parse_bytes(std::string_view text);
// A rate in bytes per second from tc's units: "8mbit" (bits, 1000-based:
// kbit, mbit, gbit, bit) or "1mbps" (bytes: bps, kbps, mbps, gbps). A bare
// number is refused (tc reads it as bits, nft as bytes). > 0.
std::optional<std::uint64_t> parse_rate(std::string_view text);
// A size in bytes: "1500", "500K", "500M", "2G", "1T" (powers of 1000); > 0
// (--quota of captived and of `captivectl voucher create`).
std::optional<std::uint64_t> parse_bytes(std::string_view text);
// {"cmd":VERB,"mac":MAC} for trust, block, unblock, untrust.
std::string make_list_change_request(std::string_view verb, std::string_view mac);
std::string make_lists_request();
std::string make_doctor_request(std::string_view mac);

// `doctor`'s one-line verdict on a client's recent history (oldest first)
// and whether it is signed in now.
std::string doctor_verdict(const std::vector<responder::ClientEntry>& entries, bool signed_in_now);

}  // namespace captive::control
