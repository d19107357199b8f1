// captived's command line: parsed and validated once at start (getopt_long),
// every error a clear sentence.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "captive/packet/address.hpp"

#include "captive/util/log.hpp"
#include "captive/util/result.hpp"

namespace captive::daemon {

struct Config {
  std::string lan;                                   // --lan IFACE (required)
  std::string state_dir = "/var/lib/captive";        // --state-dir DIR
  std::string socket_path = "/run/captive/captived.sock";  // --socket PATH
  std::uint16_t portal_port = 8511;                  // --portal-port N
  std::string portal_url;                            // --portal-url URL (default: from the LAN addresses)
  std::chrono::seconds session_timeout{24 * 3600};   // --session-timeout DURATION
  std::uint16_t queue_num = 0;                       // --queue-num N (the first queue)
  std::uint16_t queues = 1;                          // --queues N (one thread each)
  std::string site_name = "Guest Wi-Fi";             // --site-name TEXT
  bool bind_ip = false;                              // --bind-ip: sessions keyed by MAC and address
  std::optional<std::uint64_t> rate_down;            // --rate-down RATE: bytes/s to each client (default: none)
  std::optional<std::uint64_t> rate_up;              // --rate-up RATE: bytes/s from each client (default: none)
  std::string ruleset = "/usr/share/captive/captive.nft";  // --ruleset FILE (loaded if missing or flushed)
  std::vector<packet::IpAddr> dns_servers;           // --dns-server ADDR (repeatable): forwarded DNS before sign-in
  std::string nft;                                   // --nft PATH (default: found in $PATH, /usr/sbin, /sbin, /usr/bin)
  log::Level log_level = log::Level::info;           // --log-level LEVEL
};

// More resolvers than this is a mistake, not a network (and the list has to
// fit one nft script written into a pipe at once).
inline constexpr std::size_t kMaxDnsServers = 32;

struct Invocation {
  enum class Action { run, help, version };
  Action action = Action::run;
  Config config;
};

// argv as main() gets it. Errors read like "--portal-port: not a port number: 99999".
Result<Invocation> parse_args(int argc, char** argv);
std::string usage(std::string_view program);

// A rate in bits per second, written with its unit: "500kbit", "2mbit",
// "1gbit" (SI: k = 1000; the unit's case is free: "2Mbit"), or "64000bit".
// A whole number > 0, at most 100gbit. Returns bytes per second (bits / 8,
// at least 1), the unit of session::Limits and of the kernel's `limit`.
// Bare numbers and byte units ("1M", "2MB") are refused: a rate's unit is
// too easy to get wrong by a factor of 8 to guess one.
std::optional<std::uint64_t> parse_rate(std::string_view text);

// "90" (seconds), "90s", "15m", "24h", "7d"; > 0 and at most 365 days.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

}  // namespace captive::daemon
