// captived's configuration: command-line flags and the config file
// (--config FILE) share one table of keys (config.cpp), parsed and validated
// once at start and again on reload, every error a clear sentence.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "captive/packet/address.hpp"
#include "captive/session/lists.hpp"

#include "captive/util/log.hpp"
#include "captive/util/result.hpp"

namespace captive::daemon {

// At most this many --lan: each costs a portal socket per port and a
// neighbour lookup per sign-in; a router has a few LANs, not dozens.
inline constexpr std::size_t kMaxLans = 16;
// Where meson installed nft/captive.nft (PREFIX/DATADIR/captive/captive.nft,
// /usr/share/captive/captive.nft in the packages): the default of --ruleset.
std::string default_ruleset();

// A RADIUS server's address (--radius-server, --radius-acct-server): an IP
// literal, no name (resolving one at start would block, and fail with the
// router's own DNS down).
struct RadiusAddr {
  packet::IpAddr ip;
  std::uint16_t port = 0;
  // "192.0.2.1:1812", "[2001:db8::1]:1812"
  std::string to_string() const;
  friend bool operator==(const RadiusAddr&, const RadiusAddr&) = default;
};
// "HOST", "HOST:PORT", "[V6]:PORT" or a bare IPv6 address; `default_port` when none.
std::optional<RadiusAddr> parse_radius_addr(std::string_view text, std::uint16_t default_port);

struct Config {
  std::vector<std::string> lans;                     // --lan IFACE (required, repeatable, in the order given)
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
  std::string ruleset = default_ruleset();           // --ruleset FILE (loaded if missing or flushed)
  std::vector<packet::IpAddr> dns_servers;           // --dns-server ADDR (repeatable): forwarded DNS before sign-in
  std::string probes;                                // --probes FILE (default: the shipped table)
  std::string nft;                                   // --nft PATH (default: found in $PATH, /usr/sbin, /sbin, /usr/bin)
  log::Level log_level = log::Level::info;           // --log-level LEVEL
  std::optional<std::chrono::seconds> idle_timeout;  // --idle-timeout DURATION (off by default)
  std::optional<std::uint64_t> quota_bytes;          // --quota BYTES, up plus down (off by default)
  std::string config_file;                           // --config FILE (command line only; re-read on reload)
  // Lists and walled garden (docs/operations.md, docs/walled-garden.md).
  std::vector<packet::MacAddr> trusted_macs;         // --trusted-mac MAC (repeatable): never intercepted
  std::vector<packet::MacAddr> blocked_macs;         // --blocked-mac MAC (repeatable): never forwarded
  std::vector<session::IpPrefix> allow_ips;          // --allow-ip ADDR[/LEN] (repeatable): reachable before sign-in
  std::vector<std::string> allow_domains;            // --allow-domain NAME (repeatable): via dnsmasq nftset
  std::string dnsmasq_conf;                          // --dnsmasq-conf FILE: where captived writes the nftset lines
  std::string venue_url;                             // --venue-url URL (RFC 8908 venue-info-url)
  std::string tls_cert;                              // --tls-cert FILE (PEM chain): serve HTTPS too
  std::string tls_key;                               // --tls-key FILE (PEM private key)
  std::uint16_t portal_tls_port = 8443;              // --portal-tls-port N
  // Sign-in backends (docs/auth.md), in the order the page shows them.
  std::vector<std::string> auth;                     // --auth NAME (repeatable; none given: click)
  std::string users_file = "/etc/captive/users";     // --users FILE (--auth users; re-read on reload)
  std::uint64_t pwhash_ops = 2;                      // --pwhash-ops N (the dummy hash; captivectl's default)
  std::size_t pwhash_mem = 4 * 1024 * 1024;          // --pwhash-mem SIZE
  std::string user;                                  // --user NAME: drop root after start (default: stay)
  // Abuse limits on credentials (auth::LimiterSettings, docs/auth.md).
  std::chrono::milliseconds auth_delay{500};         // --auth-delay MS: first delay, doubled per failure
  std::chrono::milliseconds auth_max_delay{8000};    // --auth-max-delay MS
  unsigned auth_lockout_after = 5;                   // --auth-lockout-after N
  std::chrono::seconds auth_lockout{300};            // --auth-lockout TIME
  unsigned auth_global_rate = 20;                    // --auth-global-rate N: failures/s, all devices
  std::string templates;                             // --templates DIR (docs/templates.md; default: built in)
  // RADIUS (docs/radius.md): --auth radius, accounting, Disconnect/CoA.
  std::vector<RadiusAddr> radius_servers;            // --radius-server HOST[:PORT] (repeatable, in failover order; port 1812)
  std::vector<RadiusAddr> radius_acct_servers;       // --radius-acct-server HOST[:PORT] (default: radius_acct_servers())
  std::string radius_secret_file;                    // --radius-secret-file FILE (the shared secret, one line)
  std::string nas_id;                                // --nas-id NAME: NAS-Identifier (default: the host name)
  std::chrono::seconds acct_interval{300};           // --acct-interval DURATION: Interim-Update period
  std::uint16_t coa_port = 3799;                     // --coa-port N: Disconnect/CoA listener (RFC 5176 §3.6)
  std::chrono::seconds radius_timeout{3};            // --radius-timeout DURATION: per try
  unsigned radius_retries = 2;                       // --radius-retries N: more tries per server
  bool radius_vouchers = false;                      // --radius-vouchers: a voucher form too (code as user and password)
  bool radius_mac_auth = false;                      // --radius-mac-auth: a device first seen is asked about by its MAC
};

// The accounting servers in force: --radius-acct-server as given, else the
// --radius-server hosts on port 1813 (RFC 2866 §3).
std::vector<RadiusAddr> radius_acct_servers(const Config& config);

// The backends in force: --auth as given, else click-through alone.
std::vector<std::string> auth_backends(const Config& config);

// More resolvers than this is a mistake, not a network (and the list has to
// fit one nft script written into a pipe at once).
inline constexpr std::size_t kMaxDnsServers = 32;
// A config file is a few dozen lines; anything this big is the wrong file.
inline constexpr std::size_t kMaxConfigFileBytes = 1024 * 1024;

// When a changed key takes effect: at once on reload (SIGHUP, `captivectl
// reload`), or only at the next start.
enum class Applies { live, restart };

// One key as given, by its name without dashes ("session-timeout"), in the
// order given. A bare flag (bind-ip) has an empty value.
struct Setting {
  std::string key;
  std::string value;
  friend bool operator==(const Setting&, const Setting&) = default;
};

struct Invocation {
  // check_config: --check-config (read and check, then exit);
  // load_ruleset: --load-ruleset (ensure_ruleset, then exit).
  enum class Action { run, help, version, check_config, load_ruleset };
  Action action = Action::run;
  // Without --config: the whole configuration, validated. With --config:
  // the command line alone (load_config() makes the real one).
  Config config;
  // Every flag of the command line but --config, for load_config() (at
  // start and at every reload: flags given on the command line win).
  std::vector<Setting> command_line;
};

// argv as main() gets it. Errors read like "--portal-port: not a port number: 99999".
Result<Invocation> parse_args(int argc, char** argv);
std::string usage(std::string_view program);

// The configuration from a config file's text (`file_name` only names it in
// errors) with `command_line` on top: a key given on the command line
// replaces every line of that key in the file (its lines are still
// checked). Pure. Errors read like
// "/etc/captive/captived.conf:7: portal-port: not a port number: 99999".
Result<Config> parse_config(std::string_view text, std::string_view file_name,
                            const std::vector<Setting>& command_line);
// Reads `file` (at most kMaxConfigFileBytes) and parses it as above; the
// result's config_file is `file`. Errors: "FILE: No such file or directory"
// or parse_config's.
Result<Config> load_config(const std::string& file, const std::vector<Setting>& command_line);

// Keys whose value differs between two configurations, in table order.
struct Change {
  std::string key;
  Applies applies;
};
std::vector<Change> changed_keys(const Config& before, const Config& after);
// How a key applies (restart for a name that is no key).
Applies applies_of(std::string_view key);
// Every key's name, in --help order (also the keys a config file may hold,
// but config, help and version).
std::vector<std::string_view> key_names();
// A rate in bits per second, written with its unit: "500kbit", "2mbit",
// "1gbit" (SI: k = 1000; the unit's case is free: "2Mbit"), or "64000bit".
// A whole number > 0, at most 100gbit. Returns bytes per second (bits / 8,
// at least 1), the unit of session::Limits and of the kernel's `limit`.
// Bare numbers and byte units ("1M", "2MB") are refused: a rate's unit is
// too easy to get wrong by a factor of 8 to guess one.
std::optional<std::uint64_t> parse_rate(std::string_view text);

// "90" (seconds), "90s", "15m", "24h", "7d"; > 0 and at most 365 days.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);
// "1500", "500K", "500M", "2G", "1T" (powers of 1000); > 0.
std::optional<std::uint64_t> parse_bytes(std::string_view text);

}  // namespace captive::daemon
