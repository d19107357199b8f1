// What a session may use and what it has used: shared by the registry, the
// kernel set (rates), the state file, the control protocol and the portal.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace captive::session {

// Per-session limits; empty = unlimited. Set from captived's defaults
// (--idle-timeout, --quota, --rate-down, --rate-up) or per session
// (`captivectl allow`, later vouchers and RADIUS).
struct Limits {
  std::optional<std::chrono::seconds> idle_timeout;
  std::optional<std::uint64_t> quota_bytes;  // up plus down
  std::optional<std::uint64_t> rate_down;    // bytes per second, to the client
  std::optional<std::uint64_t> rate_up;      // bytes per second, from the client
  friend bool operator==(const Limits&, const Limits&) = default;
};

// Traffic of one session through the router, both directions. "Up" is what
// the client sent, "down" what it received.
struct Traffic {
  std::uint64_t bytes_up = 0;
  std::uint64_t packets_up = 0;
  std::uint64_t bytes_down = 0;
  std::uint64_t packets_down = 0;
  friend bool operator==(const Traffic&, const Traffic&) = default;
};

// Why a session ended: one structured log line each (docs/operations.md).
enum class EndCause { timeout, idle, quota, revoke, logout, admin };

constexpr std::string_view to_string(EndCause cause) {
  switch (cause) {
    case EndCause::timeout: return "timeout";
    case EndCause::idle: return "idle";
    case EndCause::quota: return "quota";
    case EndCause::revoke: return "revoke";
    case EndCause::logout: return "logout";
    case EndCause::admin: return "admin";
  }
  return "unknown";
}

}  // namespace captive::session
