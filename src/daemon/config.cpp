#include "captive/daemon/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <getopt.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <vector>

#include "captive/auth/backend.hpp"
#include "captive/build_config.hpp"
#include "captive/auth/password.hpp"
#include "captive/control/protocol.hpp"
#include "captive/util/log.hpp"
#include "captive/util/file.hpp"
#include "shipped_probes.hpp"

namespace captive::daemon {
namespace {

// More threads than this only contend: a router has at most a few cores.
constexpr std::uint64_t kMaxQueues = 64;

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

bool valid_interface_name(std::string_view name) {
  // What scripts/install-ruleset accepts: 1-15 (IFNAMSIZ - 1) of A-Z a-z 0-9
  // _ . -. The kernel would take more (any byte but '/', ':', whitespace),
  // but the name goes into nft's input (`-D lan="NAME"`, ruleset_loader.cpp),
  // where a quote, `$` or `;` would be nft syntax. Not "." or ".." (the
  // kernel refuses them), not starting with '-' (an option to nft and ip).
  if (name.empty() || name.size() > 15 || name == "." || name == ".." || name.front() == '-') return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// A resolver is one host: not 0.0.0.0 / ::, not multicast, not broadcast.
bool unicast(const packet::IpAddr& a) {
  const auto& b = a.bytes;
  if (std::all_of(b.begin(), b.begin() + static_cast<long>(a.size()), [](std::uint8_t x) { return x == 0; })) return false;
  if (a.is_v4()) return (b[0] & 0xf0) != 0xe0 && !(b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255);
  return b[0] != 0xff;
}

Error bad(std::string message) { return make_error(0, std::move(message)); }

// One key of the command line (--NAME) and of the config file (NAME): the
// one table both are read through, so they cannot drift apart. To add a
// key: a Config member, a row here (set: validate and store one value,
// with an error sentence that does not repeat the key; show: the value as
// text, to tell what a reload changed), and, if it applies live, its
// application in App::Impl::apply_reload (src/daemon/app.cpp).
struct Key {
  std::string_view name;
  std::string_view value;  // the value's name in --help; empty: a bare flag
  Applies applies;
  std::string_view help;   // lines after the first are indented by --help
  Result<void> (*set)(Config&, std::string_view);
  std::string (*show)(const Config&);
};

std::string join(const std::vector<packet::IpAddr>& addresses) {
  std::string out;
  for (const auto& a : addresses) out += (out.empty() ? "" : " ") + a.to_string();
  return out;
}

std::string join_macs(const std::vector<packet::MacAddr>& macs) {
  std::string out;
  for (const auto& m : macs) out += (out.empty() ? "" : " ") + m.to_string();
  return out;
}

const Key kKeys[] = {
    {"lan", "IFACE", Applies::restart,
     "a LAN interface clients connect through (required);\nrepeatable, at most 16: each is intercepted, one portal\nserves them all",
     [](Config& c, std::string_view v) -> Result<void> {
       if (!valid_interface_name(v)) return bad("not an interface name: " + std::string(v));
       if (std::find(c.lans.begin(), c.lans.end(), v) != c.lans.end()) return bad(std::string(v) + " given twice");
       if (c.lans.size() == kMaxLans)
         return bad(std::string(v) + ": more than " + std::to_string(kMaxLans) + " LANs");
       c.lans.emplace_back(v);
       return {};
     },
     [](const Config& c) {
       std::string out;
       for (const auto& lan : c.lans) out += (out.empty() ? "" : " ") + lan;
       return out;
     }},
    {"portal-port", "N", Applies::restart, "sign-in page port on the LAN addresses (default 8511)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto n = parse_number(v);
       if (!n || *n == 0 || *n > 65535) return bad("not a port number: " + std::string(v));
       c.portal_port = static_cast<std::uint16_t>(*n);
       return {};
     },
     [](const Config& c) { return std::to_string(c.portal_port); }},
    {"portal-url", "URL", Applies::restart, "sign-in page URL in the 511 (default http://LAN-ADDRESS:PORT/)",
     [](Config& c, std::string_view v) -> Result<void> {
       if (!(v.starts_with("http://") || v.starts_with("https://")) || v.size() > 512)
         return bad("must be an http:// or https:// URL: " + std::string(v));
       for (unsigned char ch : v)
         if (ch <= ' ' || ch == '"' || ch == '<' || ch == '>' || ch == 0x7f)
           return bad("invalid character in " + std::string(v));
       c.portal_url = v;
       return {};
     },
     [](const Config& c) { return c.portal_url; }},
    {"tls-cert", "FILE", Applies::restart,
     "PEM certificate (chain) for HTTPS: the sign-in page and the\nRFC 8908 API (/api) are then served over TLS too",
     [](Config& c, std::string_view v) -> Result<void> {
       if (v.empty()) return bad("empty path");
       c.tls_cert = v;
       return {};
     },
     [](const Config& c) { return c.tls_cert; }},
    {"tls-key", "FILE", Applies::restart, "its PEM private key (keep it mode 0600, docs/security.md)",
     [](Config& c, std::string_view v) -> Result<void> {
       if (v.empty()) return bad("empty path");
       c.tls_key = v;
       return {};
     },
     [](const Config& c) { return c.tls_key; }},
    {"portal-tls-port", "N", Applies::restart, "HTTPS port of the sign-in page and API (default 8443)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto n = parse_number(v);
       if (!n || *n == 0 || *n > 65535) return bad("not a port number: " + std::string(v));
       c.portal_tls_port = static_cast<std::uint16_t>(*n);
       return {};
     },
     [](const Config& c) { return std::to_string(c.portal_tls_port); }},
    {"venue-url", "URL", Applies::restart, "venue-info-url of the RFC 8908 API (default none)",
     [](Config& c, std::string_view v) -> Result<void> {
       if (!(v.starts_with("http://") || v.starts_with("https://")) || v.size() > 512)
         return bad("must be an http:// or https:// URL: " + std::string(v));
       // It goes into JSON and HTML: nothing that would need escaping.
       for (unsigned char ch : v)
         if (ch <= ' ' || ch == '"' || ch == '<' || ch == '>' || ch == '\\' || ch == 0x7f)
           return bad("invalid character in " + std::string(v));
       c.venue_url = v;
       return {};
     },
     [](const Config& c) { return c.venue_url; }},
    {"auth", "NAME", Applies::restart,
     "a sign-in backend: click (accept the terms), users (--users\nfile), voucher (codes from captivectl voucher), radius\n(--radius-server); repeatable, the page shows each "
     "one's form in this\norder (default: click; docs/auth.md)",
     [](Config& c, std::string_view v) -> Result<void> {
       if (std::find(std::begin(auth::kBackendNames), std::end(auth::kBackendNames), v) ==
           std::end(auth::kBackendNames)) {
         std::string valid;
         for (auto n : auth::kBackendNames) valid += (valid.empty() ? "" : ", ") + std::string(n);
         return bad("not a sign-in backend (one of " + valid + "): " + excerpt(v));
       }
       if (std::find(c.auth.begin(), c.auth.end(), v) == c.auth.end()) c.auth.emplace_back(v);
       return {};
     },
     [](const Config& c) {
       std::string out;
       for (const auto& a : c.auth) out += (out.empty() ? "" : " ") + a;
       return out;
     }},
    {"users", "FILE", Applies::restart,
     "the users file of --auth users: NAME:HASH[:OPTIONS] lines\n(captivectl user add; default /etc/captive/users; "
     "read\nagain on reload)",
     [](Config& c, std::string_view v) -> Result<void> {
       if (v.empty()) return bad("empty path");
       c.users_file = v;
       return {};
     },
     [](const Config& c) { return c.users_file; }},
    {"pwhash-ops", "N", Applies::restart,
     "Argon2id passes of a password hash (default 2; docs/auth.md):\nfor the unknown-user dummy; captivectl "
     "takes the same flag",
     [](Config& c, std::string_view v) -> Result<void> {
       auto n = parse_number(v);
       auth::PwhashParams p{n.value_or(0), c.pwhash_mem};
       if (!n) return bad("not a number: " + excerpt(v));
       if (auto ok = auth::check_params(p); !ok) return bad(ok.error().what.substr(ok.error().what.find(':') + 2));
       c.pwhash_ops = *n;
       return {};
     },
     [](const Config& c) { return std::to_string(c.pwhash_ops); }},
    {"pwhash-mem", "SIZE", Applies::restart, "Argon2id memory of a password hash: 4M, 16M (default 4M)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto m = auth::parse_memory(v);
       if (!m) return bad("not a size (like 4M, 16M, 4096K): " + excerpt(v));
       if (auto ok = auth::check_params(auth::PwhashParams{c.pwhash_ops, *m}); !ok)
         return bad(ok.error().what.substr(ok.error().what.find(':') + 2));
       c.pwhash_mem = *m;
       return {};
     },
     [](const Config& c) { return std::to_string(c.pwhash_mem); }},
    // The abuse limits on credentials (auth::LimiterSettings; docs/auth.md
    // has the arithmetic of guessing under them).
    {"auth-delay", "MS", Applies::restart,
     "answer to a wrong password or code held back this long,\ndoubled for each failure in a row (default 500; 0: none)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto n = parse_number(v);
       if (!n || *n > 60000) return bad("milliseconds from 0 to 60000: " + excerpt(v));
       c.auth_delay = std::chrono::milliseconds(*n);
       return {};
     },
     [](const Config& c) { return std::to_string(c.auth_delay.count()); }},
    {"auth-max-delay", "MS", Applies::restart, "the longest such delay (default 8000)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto n = parse_number(v);
       if (!n || *n > 60000) return bad("milliseconds from 0 to 60000: " + excerpt(v));
       c.auth_max_delay = std::chrono::milliseconds(*n);
       return {};
     },
     [](const Config& c) { return std::to_string(c.auth_max_delay.count()); }},
    {"auth-lockout-after", "N", Applies::restart,
     "failures in a row from one device that lock it out (default 5)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto n = parse_number(v);
       if (!n || *n == 0 || *n > 1000) return bad("a number from 1 to 1000: " + excerpt(v));
       c.auth_lockout_after = static_cast<unsigned>(*n);
       return {};
     },
     [](const Config& c) { return std::to_string(c.auth_lockout_after); }},
    {"auth-lockout", "TIME", Applies::restart, "how long a device is locked out: 90s, 5m, 1h (default 5m)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto d = parse_duration(v);
       if (!d) return bad("not a duration (like 90s, 5m, 1h): " + excerpt(v));
       c.auth_lockout = *d;
       return {};
     },
     [](const Config& c) { return std::to_string(c.auth_lockout.count()) + "s"; }},
    {"auth-global-rate", "N", Applies::restart,
     "wrong passwords or codes per second taken from all devices\ntogether; more are refused unjudged (default 20)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto n = parse_number(v);
       if (!n || *n == 0 || *n > 100000) return bad("a number from 1 to 100000: " + excerpt(v));
       c.auth_global_rate = static_cast<unsigned>(*n);
       return {};
     },
     [](const Config& c) { return std::to_string(c.auth_global_rate); }},
    {"auth-global-burst", "N", Applies::restart,
     "wrong passwords or codes from all devices taken at once before\nauth-global-rate holds: a crowd's typos (default 600)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto n = parse_number(v);
       if (!n || *n == 0 || *n > 100000) return bad("a number from 1 to 100000: " + excerpt(v));
       c.auth_global_burst = static_cast<unsigned>(*n);
       return {};
     },
     [](const Config& c) { return std::to_string(c.auth_global_burst); }},
    // RADIUS (issue 13; docs/radius.md).
    {"radius-server", "HOST[:PORT]", Applies::restart,
     "a RADIUS server of --auth radius (an address; port 1812);\nrepeatable, tried in this order for failover",
     [](Config& c, std::string_view v) -> Result<void> {
       auto a = parse_radius_addr(v, 1812);
       if (!a) return bad("not an address with an optional port: " + excerpt(v));
       if (std::find(c.radius_servers.begin(), c.radius_servers.end(), *a) != c.radius_servers.end())
         return bad(a->to_string() + " given twice");
       c.radius_servers.push_back(*a);
       return {};
     },
     [](const Config& c) {
       std::string out;
       for (const auto& a : c.radius_servers) out += (out.empty() ? "" : " ") + a.to_string();
       return out;
     }},
    {"radius-acct-server", "HOST[:PORT]", Applies::restart,
     "a RADIUS accounting server (port 1813); repeatable\n(default: the --radius-server hosts on 1813)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto a = parse_radius_addr(v, 1813);
       if (!a) return bad("not an address with an optional port: " + excerpt(v));
       if (std::find(c.radius_acct_servers.begin(), c.radius_acct_servers.end(), *a) != c.radius_acct_servers.end())
         return bad(a->to_string() + " given twice");
       c.radius_acct_servers.push_back(*a);
       return {};
     },
     [](const Config& c) {
       std::string out;
       for (const auto& a : c.radius_acct_servers) out += (out.empty() ? "" : " ") + a.to_string();
       return out;
     }},
    {"radius-secret-file", "FILE", Applies::restart,
     "the RADIUS shared secret: the file's first line (keep it\nmode 600; required by --auth radius)",
     [](Config& c, std::string_view v) -> Result<void> {
       if (v.empty()) return bad("empty path");
       c.radius_secret_file = v;
       return {};
     },
     [](const Config& c) { return c.radius_secret_file; }},
    {"nas-id", "NAME", Applies::restart, "the NAS-Identifier sent to RADIUS (default: the host name)",
     [](Config& c, std::string_view v) -> Result<void> {
       if (v.empty() || v.size() > 253) return bad("not 1..253 characters");
       c.nas_id = v;
       return {};
     },
     [](const Config& c) { return c.nas_id; }},
    {"acct-interval", "DURATION", Applies::restart, "RADIUS Interim-Update period (default 5m)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto d = parse_duration(v);
       if (!d || *d < std::chrono::seconds(60)) return bad("not a duration of at least 60s: " + excerpt(v));
       c.acct_interval = *d;
       return {};
     },
     [](const Config& c) { return std::to_string(c.acct_interval.count()); }},
    {"coa-port", "N", Applies::restart, "UDP port of the RADIUS Disconnect/CoA listener (default 3799)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto n = parse_number(v);
       if (!n || *n == 0 || *n > 65535) return bad("not a port number: " + excerpt(v));
       c.coa_port = static_cast<std::uint16_t>(*n);
       return {};
     },
     [](const Config& c) { return std::to_string(c.coa_port); }},
    {"radius-timeout", "DURATION", Applies::restart, "wait for a RADIUS answer per try (default 3s)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto d = parse_duration(v);
       if (!d || *d > std::chrono::seconds(60)) return bad("not a duration of 1s..60s: " + excerpt(v));
       c.radius_timeout = *d;
       return {};
     },
     [](const Config& c) { return std::to_string(c.radius_timeout.count()); }},
    {"radius-retries", "N", Applies::restart, "RADIUS retransmissions per server before the next (default 2)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto n = parse_number(v);
       if (!n || *n > 10) return bad("not a number 0..10: " + excerpt(v));
       c.radius_retries = static_cast<unsigned>(*n);
       return {};
     },
     [](const Config& c) { return std::to_string(c.radius_retries); }},
    {"radius-vouchers", "", Applies::restart,
     "--auth radius shows a voucher form too: the code is sent\nas User-Name and User-Password",
     [](Config& c, std::string_view) -> Result<void> {
       c.radius_vouchers = true;
       return {};
     },
     [](const Config& c) { return std::string(c.radius_vouchers ? "yes" : "no"); }},
    {"radius-mac-auth", "", Applies::restart,
     "--auth radius asks about each device when the gate first\nanswers it, by its MAC; an Access-Accept signs it in\nwithout a page",
     [](Config& c, std::string_view) -> Result<void> {
       c.radius_mac_auth = true;
       return {};
     },
     [](const Config& c) { return std::string(c.radius_mac_auth ? "yes" : "no"); }},
    {"session-timeout", "TIME", Applies::live, "how long a sign-in lasts: 90s, 15m, 24h, 7d (default 24h)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto d = parse_duration(v);
       if (!d) return bad("not a duration (like 90s, 15m, 24h, 7d; at most 365d): " + std::string(v));
       c.session_timeout = *d;
       return {};
     },
     [](const Config& c) { return std::to_string(c.session_timeout.count()); }},
    {"idle-timeout", "TIME", Applies::live,
     "end a session when none of its counters moved for TIME\n(checked every 5 s; default: off)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto d = parse_duration(v);
       if (!d) return bad("not a duration (like 90s, 15m, 2h; at most 365d): " + std::string(v));
       c.idle_timeout = *d;
       return {};
     },
     [](const Config& c) { return c.idle_timeout ? std::to_string(c.idle_timeout->count()) : std::string("off"); }},
    {"quota", "BYTES", Applies::live,
     "end a session when it used BYTES up plus down: 500M, 2G\n(K, M, G, T are powers of 1000; default: off)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto b = parse_bytes(v);
       if (!b) return bad("not a byte count (like 500M, 2G; more than 0): " + std::string(v));
       c.quota_bytes = *b;
       return {};
     },
     [](const Config& c) { return c.quota_bytes ? std::to_string(*c.quota_bytes) : std::string("off"); }},
    {"rate-down", "RATE", Applies::live,
     "per-client rate to the client, in bits per second with\nits unit: 500kbit, 20mbit, 1gbit (default: unlimited)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto r = parse_rate(v);
       if (!r)
         return bad("not a rate in bits per second with its unit (like 500kbit, 2mbit, 1gbit; at most 100gbit): " +
                    std::string(v));
       c.rate_down = *r;
       return {};
     },
     [](const Config& c) { return c.rate_down ? std::to_string(*c.rate_down) : std::string("off"); }},
    {"rate-up", "RATE", Applies::live, "per-client rate from the client, as --rate-down",
     [](Config& c, std::string_view v) -> Result<void> {
       auto r = parse_rate(v);
       if (!r)
         return bad("not a rate in bits per second with its unit (like 500kbit, 2mbit, 1gbit; at most 100gbit): " +
                    std::string(v));
       c.rate_up = *r;
       return {};
     },
     [](const Config& c) { return c.rate_up ? std::to_string(*c.rate_up) : std::string("off"); }},
    {"bind-ip", "", Applies::restart,
     "bind each session to the MAC and the address it signed in\nfrom, not the MAC alone (see docs/security.md)",
     [](Config& c, std::string_view) -> Result<void> {
       c.bind_ip = true;
       return {};
     },
     [](const Config& c) { return std::string(c.bind_ip ? "yes" : "no"); }},
    {"queue-num", "N", Applies::restart, "first NFQUEUE number (default 0)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto n = parse_number(v);
       if (!n || *n > 65535) return bad("not a queue number (0-65535): " + std::string(v));
       c.queue_num = static_cast<std::uint16_t>(*n);
       return {};
     },
     [](const Config& c) { return std::to_string(c.queue_num); }},
    {"queues", "N", Applies::restart, "queues to spread packets over, one thread each (default 1)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto n = parse_number(v);
       if (!n || *n == 0 || *n > kMaxQueues)
         return bad("a number from 1 to " + std::to_string(kMaxQueues) + ": " + std::string(v));
       c.queues = static_cast<std::uint16_t>(*n);
       return {};
     },
     [](const Config& c) { return std::to_string(c.queues); }},
    {"ruleset", "FILE", Applies::restart,
     "ruleset to load when table inet captive is missing at\nstart or flushed later (default @RULESET@)",
     [](Config& c, std::string_view v) -> Result<void> {
       if (v.empty()) return bad("empty path");
       c.ruleset = v;
       return {};
     },
     [](const Config& c) { return c.ruleset; }},
    {"dns-server", "ADDR", Applies::live,
     "a resolver (IPv4 or IPv6) unsigned clients may reach through\nthe router on port 53; repeatable, at most 32. "
     "Default none:\nclients use the router's own resolver",
     [](Config& c, std::string_view v) -> Result<void> {
       // A literal address only: a name would need a resolver before the
       // firewall is up, and nft sets hold addresses.
       auto address = packet::IpAddr::parse(v);
       if (!address || v.find('%') != std::string_view::npos)
         return bad("not an IPv4 or IPv6 address: " + std::string(v));
       if (!unicast(*address)) return bad("not a unicast address: " + std::string(v));
       if (std::find(c.dns_servers.begin(), c.dns_servers.end(), *address) != c.dns_servers.end()) return {};
       if (c.dns_servers.size() == kMaxDnsServers)
         return bad("at most " + std::to_string(kMaxDnsServers) + " resolvers");
       c.dns_servers.push_back(*address);
       return {};
     },
     [](const Config& c) { return join(c.dns_servers); }},
    {"trusted-mac", "MAC", Applies::live,
     "a device that is never intercepted and always forwarded\n(printers, the venue's own devices); repeatable",
     [](Config& c, std::string_view v) -> Result<void> {
       auto mac = session::parse_list_mac(v);
       if (!mac) return bad(mac.error().what);
       if (std::find(c.trusted_macs.begin(), c.trusted_macs.end(), *mac) != c.trusted_macs.end()) return {};
       if (c.trusted_macs.size() == session::kMaxListMacs)
         return bad("at most " + std::to_string(session::kMaxListMacs) + " MACs");
       c.trusted_macs.push_back(*mac);
       return {};
     },
     [](const Config& c) { return join_macs(c.trusted_macs); }},
    {"blocked-mac", "MAC", Applies::live,
     "a device that is never forwarded and cannot sign in;\nrepeatable (captivectl trust/block/unblock change both\n"
     "lists at run time, kept in --state-dir)",
     [](Config& c, std::string_view v) -> Result<void> {
       auto mac = session::parse_list_mac(v);
       if (!mac) return bad(mac.error().what);
       if (std::find(c.blocked_macs.begin(), c.blocked_macs.end(), *mac) != c.blocked_macs.end()) return {};
       if (c.blocked_macs.size() == session::kMaxListMacs)
         return bad("at most " + std::to_string(session::kMaxListMacs) + " MACs");
       c.blocked_macs.push_back(*mac);
       return {};
     },
     [](const Config& c) { return join_macs(c.blocked_macs); }},
    {"allow-ip", "ADDR[/LEN]", Applies::live,
     "walled garden: a destination (IPv4 or IPv6 host or\nprefix) reachable before sign-in; repeatable, at most 256",
     [](Config& c, std::string_view v) -> Result<void> {
       auto prefix = session::IpPrefix::parse(v);
       if (!prefix) return bad(prefix.error().what);
       if (std::find(c.allow_ips.begin(), c.allow_ips.end(), *prefix) != c.allow_ips.end()) return {};
       if (c.allow_ips.size() == session::kMaxGardenPrefixes)
         return bad("at most " + std::to_string(session::kMaxGardenPrefixes) + " entries");
       c.allow_ips.push_back(*prefix);
       return {};
     },
     [](const Config& c) {
       std::string out;
       for (const auto& p : c.allow_ips) out += (out.empty() ? "" : " ") + p.to_string();
       return out;
     }},
    {"allow-domain", "NAME", Applies::live,
     "walled garden: a name (and the names below it) whose\naddresses the router's dnsmasq puts in the garden\n"
     "(nftset=); repeatable, at most 256",
     [](Config& c, std::string_view v) -> Result<void> {
       auto name = session::parse_domain(v);
       if (!name) return bad(name.error().what);
       if (std::find(c.allow_domains.begin(), c.allow_domains.end(), *name) != c.allow_domains.end()) return {};
       if (c.allow_domains.size() == session::kMaxGardenDomains)
         return bad("at most " + std::to_string(session::kMaxGardenDomains) + " names");
       c.allow_domains.push_back(*name);
       return {};
     },
     [](const Config& c) {
       std::string out;
       for (const auto& d : c.allow_domains) out += (out.empty() ? "" : " ") + d;
       return out;
     }},
    {"dnsmasq-conf", "FILE", Applies::restart,
     "write the dnsmasq lines for --allow-domain to FILE at\nstart (include it in dnsmasq's configuration)",
     [](Config& c, std::string_view v) -> Result<void> {
       if (v.empty() || v.front() != '/' || v.back() == '/') return bad("not an absolute file path: " + std::string(v));
       c.dnsmasq_conf = v;
       return {};
     },
     [](const Config& c) { return c.dnsmasq_conf; }},
    {"probes", "FILE", Applies::restart,
     "the OS connectivity probes that get a 302 to the sign-in\npage instead of the 511 (default: the shipped table in\n"
     "the data directory, else the same table built in;\ndocs/clients.md)",
     [](Config& c, std::string_view v) -> Result<void> {
       if (v.empty()) return bad("empty path");
       c.probes = v;
       return {};
     },
     [](const Config& c) { return c.probes; }},
    {"nft", "PATH", Applies::restart,
     "the nft program (default: the first nft in $PATH,\n/usr/sbin, /sbin, /usr/bin)",
     [](Config& c, std::string_view v) -> Result<void> {
       if (v.empty() || v.front() != '/') return bad("not an absolute path: " + std::string(v));
       c.nft = v;
       return {};
     },
     [](const Config& c) { return c.nft; }},
    {"state-dir", "DIR", Applies::restart, "keys and state (default /var/lib/captive)",
     [](Config& c, std::string_view v) -> Result<void> {
       if (v.empty()) return bad("empty path");
       c.state_dir = v;
       return {};
     },
     [](const Config& c) { return c.state_dir; }},
    {"socket", "PATH", Applies::restart, "control socket for captivectl (default /run/captive/captived.sock)",
     [](Config& c, std::string_view v) -> Result<void> {
       if (v.empty() || v.size() > 107) return bad("path empty or longer than 107 bytes");
       c.socket_path = v;
       return {};
     },
     [](const Config& c) { return c.socket_path; }},
    {"user", "NAME", Applies::restart,
     "after opening what needs root, run as NAME with only\nCAP_NET_ADMIN and CAP_NET_RAW (default: stay as started;\n"
     "docs/security.md)",
     [](Config& c, std::string_view v) -> Result<void> {
       // useradd's portable names (POSIX 3.437 plus what Debian allows):
       // the account itself is looked up at start.
       if (v.empty() || v.size() > 32 || v.front() == '-')
         return bad("not a user name: " + excerpt(v));
       for (char ch : v)
         if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
               ch == '-' || ch == '.'))
           return bad("not a user name: " + excerpt(v));
       c.user = v;
       return {};
     },
     [](const Config& c) { return c.user; }},
    {"site-name", "TEXT", Applies::live, "name shown on the sign-in page (default \"Guest Wi-Fi\")",
     [](Config& c, std::string_view v) -> Result<void> {
       if (v.empty() || v.size() > 100) return bad("1 to 100 characters");
       c.site_name = v;
       return {};
     },
     [](const Config& c) { return c.site_name; }},
    {"templates", "DIR", Applies::live,
     "page templates, message files and logo replacing the built-in\nones (docs/templates.md; default: built in; read again on reload)",
     [](Config& c, std::string_view v) -> Result<void> {
       if (v.empty()) return bad("empty path");
       c.templates = v;
       return {};
     },
     [](const Config& c) { return c.templates; }},
    {"log-level", "LEVEL", Applies::live, "debug, info, warning or error (default info)",
     [](Config& c, std::string_view v) -> Result<void> {
       if (v == "debug") c.log_level = log::Level::debug;
       else if (v == "info") c.log_level = log::Level::info;
       else if (v == "warning" || v == "warn") c.log_level = log::Level::warn;
       else if (v == "error") c.log_level = log::Level::error;
       else return bad("one of debug, info, warning, error: " + std::string(v));
       return {};
     },
     [](const Config& c) { return std::to_string(static_cast<int>(c.log_level)); }},
};

const Key* find_key(std::string_view name) {
  for (const Key& k : kKeys)
    if (k.name == name) return &k;
  return nullptr;
}

// Options of the command line only (not keys of the file).
enum : int { kConfigOption = 1000, kHelpOption, kVersionOption, kCheckConfigOption, kLoadRulesetOption, kFirstKey = 2000 };

// The checks across keys, once everything is read.
Result<void> check_whole(const Config& c, std::string_view file_name) {
  if (c.lans.empty()) {
    if (file_name.empty()) return bad("--lan IFACE is required (see --help)");
    return bad(std::string(file_name) + ": lan is required (a line `lan IFACE` or --lan IFACE)");
  }
  if (static_cast<unsigned>(c.queue_num) + c.queues > 65536)
    return bad("--queue-num + --queues: queue numbers beyond 65535");
  if (c.tls_cert.empty() != c.tls_key.empty()) return bad("--tls-cert and --tls-key go together");
#if !CAPTIVE_PORTAL_TLS
  // Refused at once, not at start: a config written for a TLS build must
  // not come up as plain HTTP only (meson -Dportal_tls=disabled).
  if (!c.tls_cert.empty()) return bad("--tls-cert: this build has no TLS (built with -Dportal_tls=disabled)");
#endif
  if (c.portal_tls_port == c.portal_port)
    return bad("--portal-tls-port: the same port as --portal-port (" + std::to_string(c.portal_port) + ")");
  for (const auto& m : c.trusted_macs)
    if (std::find(c.blocked_macs.begin(), c.blocked_macs.end(), m) != c.blocked_macs.end())
      return bad("trusted-mac and blocked-mac: " + m.to_string() + " is in both");
  // RADIUS (docs/radius.md): caught by --check-config, not at start.
  const auto backends = auth_backends(c);
  const bool radius = std::find(backends.begin(), backends.end(), "radius") != backends.end();
  if (radius && c.radius_servers.empty()) return bad("--auth radius needs --radius-server");
  if (radius && c.radius_secret_file.empty()) return bad("--auth radius needs --radius-secret-file");
  if (c.radius_mac_auth && !radius) return bad("--radius-mac-auth needs --auth radius");
  if (c.radius_mac_auth && c.bind_ip) return bad("--radius-mac-auth cannot be used with --bind-ip");
  if (c.radius_vouchers && !radius) return bad("--radius-vouchers needs --auth radius");
  return {};
}

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<std::string> auth_backends(const Config& config) {
  if (config.auth.empty()) return {"click"};
  return config.auth;
}

std::string RadiusAddr::to_string() const {
  return (ip.is_v4() ? ip.to_string() : "[" + ip.to_string() + "]") + ":" + std::to_string(port);
}

std::optional<RadiusAddr> parse_radius_addr(std::string_view text, std::uint16_t default_port) {
  std::string_view host = text, port_text;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return std::nullopt;
      port_text = rest.substr(1);
      if (port_text.empty()) return std::nullopt;
    }
  } else if (const auto colon = text.find(':'); colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (port_text.empty()) return std::nullopt;
  }
  auto ip = packet::IpAddr::parse(host);
  if (!ip) return std::nullopt;
  RadiusAddr a{*ip, default_port};
  if (!port_text.empty()) {
    auto n = parse_number(port_text);
    if (!n || *n == 0 || *n > 65535) return std::nullopt;
    a.port = static_cast<std::uint16_t>(*n);
  }
  return a;
}

std::vector<RadiusAddr> radius_acct_servers(const Config& config) {
  if (!config.radius_acct_servers.empty()) return config.radius_acct_servers;
  std::vector<RadiusAddr> out;
  for (auto a : config.radius_servers) {
    a.port = 1813;
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  return out;
}

std::string default_ruleset() { return kInstalledRulesetPath; }

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  // One parser for captived's flags and captivectl's arguments.
  return control::parse_duration(text);
}

std::optional<std::uint64_t> parse_bytes(std::string_view text) {
  // One parser for captived's flags, the users file (auth/users_file.hpp) and
  // captivectl's arguments (voucher --quota).
  return control::parse_bytes(text);
}

std::optional<std::uint64_t> parse_rate(std::string_view text) {
  // One parser for captived's flags and captivectl's arguments.
  return control::parse_rate(text);
}

std::string usage(std::string_view program) {
  std::string p(program);
  std::string text = "Usage: " + p + " --lan IFACE [options]\n"
         "       " + p + " --config FILE [options]\n"
         "\n"
         "The captive-portal daemon: answers unsigned clients' HTTP with 511 Network\n"
         "Authentication Required, serves the sign-in page, and adds signed-in MACs to\n"
         "the nftables set inet captive allowed. Loads the ruleset (--ruleset) itself\n"
         "when table inet captive is missing; scripts/install-ruleset loads it beforehand.\n"
         "\n"
         "Options:\n";
  constexpr std::size_t kColumn = 27;
  auto row = [&](std::string flag, std::string_view help) {
    text += "  " + flag;
    text.append(flag.size() + 2 < kColumn ? kColumn - flag.size() - 2 : 1, ' ');
    for (char ch : help) {
      text += ch;
      if (ch == '\n') text.append(kColumn, ' ');
    }
    text += '\n';
  };
  row("--config FILE", "read the keys below from FILE, one per line without the\n"
                       "dashes (`lan br-lan`); flags given here win. SIGHUP and\n"
                       "`captivectl reload` read it again (see captived(8))");
  for (const Key& k : kKeys) {
    std::string help(k.help);
    if (auto at = help.find("@RULESET@"); at != std::string::npos) help.replace(at, 9, default_ruleset());
    row("--" + std::string(k.name) + (k.value.empty() ? "" : " " + std::string(k.value)), help);
  }
  row("--load-ruleset", "load table inet captive (--ruleset, with the resolvers and\n"
                        "lists configured) unless it is loaded, then exit: a\n"
                        "service manager's step before the start");
  row("--check-config", "read and check the options and the --config file, say\n"
                        "what is wrong (exit 2) or nothing (exit 0), and exit\n"
                        "without touching the system (init scripts run it first)");
  row("--help", "this text");
  row("--version", "the version");
  return text;
}

Result<Invocation> parse_args(int argc, char** argv) {
  std::vector<option> options;
  for (std::size_t i = 0; i < std::size(kKeys); ++i)
    options.push_back(option{kKeys[i].name.data(), kKeys[i].value.empty() ? no_argument : required_argument, nullptr,
                             kFirstKey + static_cast<int>(i)});
  options.push_back(option{"config", required_argument, nullptr, kConfigOption});
  options.push_back(option{"help", no_argument, nullptr, kHelpOption});
  options.push_back(option{"version", no_argument, nullptr, kVersionOption});
  options.push_back(option{"check-config", no_argument, nullptr, kCheckConfigOption});
  options.push_back(option{"load-ruleset", no_argument, nullptr, kLoadRulesetOption});
  options.push_back(option{nullptr, 0, nullptr, 0});
  Invocation inv;
  Config& c = inv.config;
  optind = 0;  // getopt keeps state between calls (tests call us many times)
  opterr = 0;  // we word the errors ourselves
  int opt;
  while ((opt = getopt_long(argc, argv, ":", options.data(), nullptr)) != -1) {
    std::string_view arg = optarg ? optarg : "";
    if (opt >= kFirstKey && opt < kFirstKey + static_cast<int>(std::size(kKeys))) {
      const Key& key = kKeys[opt - kFirstKey];
      if (auto set = key.set(c, arg); !set) return bad("--" + std::string(key.name) + ": " + set.error().what);
      inv.command_line.push_back(Setting{std::string(key.name), std::string(arg)});
      continue;
    }
    switch (opt) {
      case kConfigOption:
        if (arg.empty()) return bad("--config: empty path");
        c.config_file = arg;
        break;
      case kHelpOption: inv.action = Invocation::Action::help; return inv;
      case kVersionOption: inv.action = Invocation::Action::version; return inv;
      // Parsing goes on: the rest of the line is part of what is checked.
      case kCheckConfigOption: inv.action = Invocation::Action::check_config; break;
      case kLoadRulesetOption: inv.action = Invocation::Action::load_ruleset; break;
      case ':': return bad(std::string(argv[optind - 1]) + ": needs a value");
      default: return bad(std::string("unknown option: ") + argv[optind - 1] + " (see --help)");
    }
  }
  if (optind < argc) return bad(std::string("unexpected argument: ") + argv[optind] + " (see --help)");
  // With a file, the whole is checked once the file is read (load_config).
  if (c.config_file.empty())
    if (auto whole = check_whole(c, ""); !whole) return whole.error();
  return inv;
}

Result<Config> parse_config(std::string_view text, std::string_view file_name,
                            const std::vector<Setting>& command_line) {
  Config config;
  // A key set on the command line: its lines in the file are still checked,
  // into this scratch copy, and then count for nothing.
  Config overridden;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto eol = text.find('\n');
    std::string_view raw = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    auto fail = [&](const std::string& message) {
      return bad(std::string(file_name) + ":" + std::to_string(line_number) + ": " + message);
    };
    if (raw.find('\0') != std::string_view::npos) return fail("NUL byte in the line (not a text file?)");
    if (raw.size() > 4096) return fail("line longer than 4096 bytes");
    // `#` at the start or after a blank starts a comment (dnsmasq's files,
    // and a URL's fragment or a name like "Cafe#1" stay whole).
    for (std::size_t i = 0; i < raw.size(); ++i)
      if (raw[i] == '#' && (i == 0 || blank(raw[i - 1]))) {
        raw = raw.substr(0, i);
        break;
      }
    std::string_view line = trim(raw);
    if (line.empty()) continue;
    // NAME VALUE, or NAME=VALUE as dnsmasq writes it.
    const auto name_end = line.find_first_of(" \t=");
    std::string_view name = line.substr(0, name_end);
    std::string_view value;
    bool has_value = false;
    if (name_end != std::string_view::npos) {
      value = trim(line.substr(name_end));
      if (!value.empty() && value.front() == '=' && line[name_end] != '=') value = trim(value.substr(1));
      else if (line[name_end] == '=') value = trim(line.substr(name_end + 1));
      has_value = true;
    }
    if (name.starts_with("-")) {
      const std::string_view bare = name.substr(std::min(name.find_first_not_of('-'), name.size()));
      return fail("write keys without their dashes: `" + excerpt(bare) + "`, not `" +
                  std::string(name.substr(0, 66)) + "`");
    }
    if (name == "config" || name == "help" || name == "version" || name == "check-config" || name == "load-ruleset")
      return fail(std::string(name) + ": only on the command line");
    const Key* key = find_key(name);
    if (!key) return fail("unknown key: " + excerpt(name) + " (see captived --help)");
    if (key->value.empty() && has_value && !value.empty())
      return fail(std::string(key->name) + ": takes no value (write the bare word to turn it on)");
    if (!key->value.empty() && value.empty()) return fail(std::string(key->name) + ": needs a value");
    const bool on_command_line =
        std::any_of(command_line.begin(), command_line.end(), [&](const Setting& s) { return s.key == key->name; });
    if (auto set = key->set(on_command_line ? overridden : config, value); !set)
      return fail(std::string(key->name) + ": " + set.error().what);
  }
  for (const Setting& s : command_line) {
    const Key* key = find_key(s.key);
    if (!key) return bad("unknown option: --" + s.key);
    if (auto set = key->set(config, s.value); !set) return bad("--" + s.key + ": " + set.error().what);
  }
  if (auto whole = check_whole(config, file_name); !whole) return whole.error();
  return config;
}

Result<Config> load_config(const std::string& file, const std::vector<Setting>& command_line) {
  // O_NONBLOCK: a FIFO planted at the path must not hang a reload (it is
  // refused below; on a regular file the flag changes nothing).
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return errno_error(file);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return bad(file + ": not a regular file");
  }
  // Whoever may write the file sets captived's configuration at the next
  // reload (SIGHUP comes from logrotate and service managers too).
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    LOG_WARN("%s is writable by %s: whoever can write it changes captived's configuration at the next reload",
             file.c_str(), (st.st_mode & S_IWOTH) ? "everybody" : "its group");
  auto text = util::read_rest(fd, file, kMaxConfigFileBytes);
  ::close(fd);
  if (!text) return text.error().code == EFBIG ? bad(text.error().what + " (not a config file?)") : text.error();
  auto config = parse_config(*text, file, command_line);
  if (!config) return config.error();
  config->config_file = file;
  return config;
}

std::vector<Change> changed_keys(const Config& before, const Config& after) {
  std::vector<Change> changes;
  for (const Key& k : kKeys)
    if (k.show(before) != k.show(after)) changes.push_back(Change{std::string(k.name), k.applies});
  return changes;
}

Applies applies_of(std::string_view key) {
  const Key* k = find_key(key);
  return k ? k->applies : Applies::restart;
}

std::vector<std::string_view> key_names() {
  std::vector<std::string_view> names;
  for (const Key& k : kKeys) names.push_back(k.name);
  return names;
}

}  // namespace captive::daemon
