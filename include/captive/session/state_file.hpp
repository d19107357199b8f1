// The sessions' state file, `<state-dir>/sessions.json`: what the kernel set
// does not know about a session (who, how, since when, its limits, what it
// used), so that a restart or a reboot loses nobody's metadata
// (docs/operations.md, "The state file").
//
// Format (version 1), one JSON object:
//   {"version":1,"sessions":[{"mac":"02:00:00:00:00:01","ip":"192.0.2.2",
//     "method":"click-through","user":"","signed_in_at":1700000000,
//     "expires_at":1700086400,"limits":{"idle_timeout":600,"quota_bytes":null,
//     "rate_down":null,"rate_up":null},
//     "traffic":{"bytes_up":1,"packets_up":1,"bytes_down":0,"packets_down":0},
//     "element":{"bytes_up":1,"packets_up":1,"bytes_down":0,"packets_down":0},
//     "acct_session_id":"0123456789ABCDEF"}]}
// Times are wall-clock seconds since the epoch. "traffic" is the session's
// total; "element" the part of it counted by the kernel element that held
// the session when the file was written (a restart that finds the element
// still there continues from its counter; one that re-creates it carries
// the total forward as an offset). "acct_session_id" (RADIUS accounting,
// docs/radius.md) may be missing: files written before it was kept.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "captive/packet/address.hpp"
#include "captive/session/limits.hpp"
#include "captive/session/registry.hpp"
#include "captive/util/result.hpp"

namespace captive::session {

inline constexpr std::string_view kStateFileName = "sessions.json";
// Bigger than 100 000 sessions need (about 40 MB); a larger file is junk.
inline constexpr std::size_t kMaxStateFileBytes = 256u * 1024 * 1024;
inline constexpr std::size_t kMaxStoredSessions = 1'000'000;
// Longer than the longest duration any flag accepts (365 days), so any real
// value fits and a corrupt one stands out.
inline constexpr std::int64_t kMaxStoredSeconds = 400LL * 86400;

struct StoredSession {
  packet::MacAddr mac;
  std::optional<packet::IpAddr> ip;
  std::string method;  // backend: "click-through", "admin", "user", "voucher", "" (taken over)
  std::string user;    // the user name or voucher it signed in with, if any
  std::optional<Clock::time_point> signed_in_at;
  Clock::time_point expires_at;
  Limits limits;  // this session's own (unset: captived's defaults apply)
  Traffic traffic;
  Traffic element;  // of `traffic`, what the current kernel element counted
  std::string acct_session_id;  // RADIUS Acct-Session-Id; "" in files written before it was kept
  friend bool operator==(const StoredSession&, const StoredSession&) = default;
};

// The file's text. Never fails.
std::string format_state(const std::vector<StoredSession>& sessions);

// The reverse. Refuses (EINVAL, with what and where) anything else: not
// JSON, another version, a field missing or of the wrong type, a bad MAC or
// address, negative or out-of-range numbers, "element" above "traffic", a
// MAC twice, more than kMaxStoredSessions. Never throws.
Result<std::vector<StoredSession>> parse_state(std::string_view text);

// Writes `text` to <dir>/sessions.json so that the file is, at any moment
// (kill -9, power loss), the old content or the new, never a mix: write
// <dir>/sessions.json.tmp, fsync it, rename it over, fsync the directory.
// Blocks on the disk: not on the event loop.
Result<void> write_state_file(const std::string& dir, std::string_view text);

struct LoadedState {
  std::vector<StoredSession> sessions;
  // Set when the file exists but cannot be used (unreadable, corrupt): why.
  std::optional<std::string> problem;
  // Where the bad file was moved to (<dir>/sessions.json.bad), if it was.
  std::string set_aside;
};
// Reads <dir>/sessions.json: no file is no session (not a problem). A bad
// file is renamed to sessions.json.bad (replacing an older one) so that
// the next write does not destroy what an operator may want to look at.
LoadedState load_state_file(const std::string& dir);

}  // namespace captive::session
