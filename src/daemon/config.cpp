#include "captive/daemon/config.hpp"

#include <getopt.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

namespace captive::daemon {
namespace {

enum Option : int {
  kLan = 1000, kStateDir, kSocket, kPortalPort, kPortalUrl, kSessionTimeout, kQueueNum, kQueues, kSiteName, kRuleset, kBindIp, kLogLevel,
  kDnsServer, kNft, kRateDown, kRateUp,
  kHelp, kVersion,
};

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

}  // namespace

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t unit = 1;
  switch (text.back()) {
    case 's': unit = 1; text.remove_suffix(1); break;
    case 'm': unit = 60; text.remove_suffix(1); break;
    case 'h': unit = 3600; text.remove_suffix(1); break;
    case 'd': unit = 86400; text.remove_suffix(1); break;
    default: break;
  }
  auto n = parse_number(text);
  if (!n || *n == 0 || *n > 365ull * 86400 / unit) return std::nullopt;
  return std::chrono::seconds(*n * unit);
}

std::optional<std::uint64_t> parse_rate(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  auto n = parse_number(text.substr(0, digits));
  if (!n || *n == 0) return std::nullopt;
  std::string unit(text.substr(digits));
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  std::uint64_t scale = 0;
  if (unit == "bit") scale = 1;
  else if (unit == "kbit") scale = 1000;
  else if (unit == "mbit") scale = 1000 * 1000;
  else if (unit == "gbit") scale = 1000 * 1000 * 1000;
  else return std::nullopt;
  constexpr std::uint64_t kMaxBits = 100ull * 1000 * 1000 * 1000;
  if (*n > kMaxBits / scale) return std::nullopt;
  return std::max<std::uint64_t>(1, *n * scale / 8);
}

std::string usage(std::string_view program) {
  std::string p(program);
  return "Usage: " + p + " --lan IFACE [options]\n"
         "\n"
         "The captive-portal daemon: answers unsigned clients' HTTP with 511 Network\n"
         "Authentication Required, serves the sign-in page, and adds signed-in MACs to\n"
         "the nftables set inet captive allowed. Loads the ruleset (--ruleset) itself\n"
         "when table inet captive is missing; scripts/install-ruleset loads it beforehand.\n"
         "\n"
         "Options:\n"
         "  --lan IFACE              the LAN interface clients connect through (required)\n"
         "  --portal-port N          sign-in page port on the LAN addresses (default 8511)\n"
         "  --portal-url URL         sign-in page URL in the 511 (default http://LAN-ADDRESS:PORT/)\n"
         "  --session-timeout TIME   how long a sign-in lasts: 90s, 15m, 24h, 7d (default 24h)\n"
         "  --bind-ip                bind each session to the MAC and the address it signed in\n"
         "                           from, not the MAC alone (see docs/security.md)\n"
         "  --rate-down RATE         most each client may receive, enforced in the kernel per\n"
         "                           session: 500kbit, 2mbit, 1gbit (bits per second, k = 1000).\n"
         "                           Default: no limit\n"
         "  --rate-up RATE           most each client may send, the same way (default: no limit)\n"
         "  --queue-num N            first NFQUEUE number (default 0)\n"
         "  --queues N               queues to spread packets over, one thread each (default 1)\n"
         "  --ruleset FILE           ruleset to load when table inet captive is missing at\n"
         "                           start or flushed later (default /usr/share/captive/captive.nft)\n"
         "  --dns-server ADDR        a resolver (IPv4 or IPv6) unsigned clients may reach through\n"
         "                           the router on port 53; repeatable, at most 32. Default none:\n"
         "                           clients use the router's own resolver\n"
         "  --nft PATH               the nft program (default: the first nft in $PATH,\n"
         "                           /usr/sbin, /sbin, /usr/bin)\n"
         "  --state-dir DIR          keys and state (default /var/lib/captive)\n"
         "  --socket PATH            control socket for captivectl (default /run/captive/captived.sock)\n"
         "  --site-name TEXT         name shown on the sign-in page (default \"Guest Wi-Fi\")\n"
         "  --log-level LEVEL        debug, info, warning or error (default info)\n"
         "  --help                   this text\n"
         "  --version                the version\n";
}

Result<Invocation> parse_args(int argc, char** argv) {
  static const option kOptions[] = {
      {"lan", required_argument, nullptr, kLan},
      {"state-dir", required_argument, nullptr, kStateDir},
      {"socket", required_argument, nullptr, kSocket},
      {"portal-port", required_argument, nullptr, kPortalPort},
      {"portal-url", required_argument, nullptr, kPortalUrl},
      {"session-timeout", required_argument, nullptr, kSessionTimeout},
      {"queue-num", required_argument, nullptr, kQueueNum},
      {"queues", required_argument, nullptr, kQueues},
      {"site-name", required_argument, nullptr, kSiteName},
      {"ruleset", required_argument, nullptr, kRuleset},
      {"bind-ip", no_argument, nullptr, kBindIp},
      {"log-level", required_argument, nullptr, kLogLevel},
      {"dns-server", required_argument, nullptr, kDnsServer},
      {"nft", required_argument, nullptr, kNft},
      {"rate-down", required_argument, nullptr, kRateDown},
      {"rate-up", required_argument, nullptr, kRateUp},
      {"help", no_argument, nullptr, kHelp},
      {"version", no_argument, nullptr, kVersion},
      {nullptr, 0, nullptr, 0},
  };
  Invocation inv;
  Config& c = inv.config;
  optind = 0;  // getopt keeps state between calls (tests call us many times)
  opterr = 0;  // we word the errors ourselves
  int opt;
  while ((opt = getopt_long(argc, argv, ":", kOptions, nullptr)) != -1) {
    std::string_view arg = optarg ? optarg : "";
    switch (opt) {
      case kLan:
        if (!valid_interface_name(arg)) return make_error(0, "--lan: not an interface name: " + std::string(arg));
        c.lan = arg;
        break;
      case kStateDir:
        if (arg.empty()) return make_error(0, "--state-dir: empty path");
        c.state_dir = arg;
        break;
      case kSocket:
        if (arg.empty() || arg.size() > 107) return make_error(0, "--socket: path empty or longer than 107 bytes");
        c.socket_path = arg;
        break;
      case kPortalPort: {
        auto n = parse_number(arg);
        if (!n || *n == 0 || *n > 65535) return make_error(0, "--portal-port: not a port number: " + std::string(arg));
        c.portal_port = static_cast<std::uint16_t>(*n);
        break;
      }
      case kPortalUrl:
        if (!(arg.starts_with("http://") || arg.starts_with("https://")) || arg.size() > 512)
          return make_error(0, "--portal-url: must be an http:// or https:// URL: " + std::string(arg));
        for (unsigned char ch : arg)
          if (ch <= ' ' || ch == '"' || ch == '<' || ch == '>' || ch == 0x7f)
            return make_error(0, "--portal-url: invalid character in " + std::string(arg));
        c.portal_url = arg;
        break;
      case kSessionTimeout: {
        auto d = parse_duration(arg);
        if (!d) return make_error(0, "--session-timeout: not a duration (like 90s, 15m, 24h, 7d; at most 365d): " + std::string(arg));
        c.session_timeout = *d;
        break;
      }
      case kQueueNum: {
        auto n = parse_number(arg);
        if (!n || *n > 65535) return make_error(0, "--queue-num: not a queue number (0-65535): " + std::string(arg));
        c.queue_num = static_cast<std::uint16_t>(*n);
        break;
      }
      case kQueues: {
        auto n = parse_number(arg);
        if (!n || *n == 0 || *n > kMaxQueues)
          return make_error(0, "--queues: a number from 1 to " + std::to_string(kMaxQueues) + ": " + std::string(arg));
        c.queues = static_cast<std::uint16_t>(*n);
        break;
      }
      case kSiteName:
        if (arg.empty() || arg.size() > 100) return make_error(0, "--site-name: 1 to 100 characters");
        c.site_name = arg;
        break;
      case kBindIp:
        c.bind_ip = true;
        break;
      case kRateDown:
      case kRateUp: {
        auto rate = parse_rate(arg);
        const char* flag = opt == kRateDown ? "--rate-down" : "--rate-up";
        if (!rate)
          return make_error(0, std::string(flag) + ": not a rate in bits per second with its unit "
                                                   "(like 500kbit, 2mbit, 1gbit; at most 100gbit): " + std::string(arg));
        (opt == kRateDown ? c.rate_down : c.rate_up) = *rate;
        break;
      }
      case kRuleset:
        if (arg.empty()) return make_error(0, "--ruleset: empty path");
        c.ruleset = arg;
        break;
      case kDnsServer: {
        // A literal address only: a name would need a resolver before the
        // firewall is up, and nft sets hold addresses.
        auto address = packet::IpAddr::parse(arg);
        if (!address || arg.find('%') != std::string_view::npos)
          return make_error(0, "--dns-server: not an IPv4 or IPv6 address: " + std::string(arg));
        if (!unicast(*address)) return make_error(0, "--dns-server: not a unicast address: " + std::string(arg));
        if (std::find(c.dns_servers.begin(), c.dns_servers.end(), *address) != c.dns_servers.end()) break;
        if (c.dns_servers.size() == kMaxDnsServers)
          return make_error(0, "--dns-server: at most " + std::to_string(kMaxDnsServers) + " resolvers");
        c.dns_servers.push_back(*address);
        break;
      }
      case kNft:
        if (arg.empty() || arg.front() != '/') return make_error(0, "--nft: not an absolute path: " + std::string(arg));
        c.nft = arg;
        break;
      case kLogLevel:
        if (arg == "debug") c.log_level = log::Level::debug;
        else if (arg == "info") c.log_level = log::Level::info;
        else if (arg == "warning" || arg == "warn") c.log_level = log::Level::warn;
        else if (arg == "error") c.log_level = log::Level::error;
        else return make_error(0, "--log-level: one of debug, info, warning, error: " + std::string(arg));
        break;
      case kHelp: inv.action = Invocation::Action::help; return inv;
      case kVersion: inv.action = Invocation::Action::version; return inv;
      case ':': return make_error(0, std::string(argv[optind - 1]) + ": needs a value");
      default: return make_error(0, std::string("unknown option: ") + argv[optind - 1] + " (see --help)");
    }
  }
  if (optind < argc) return make_error(0, std::string("unexpected argument: ") + argv[optind] + " (see --help)");
  if (c.lan.empty()) return make_error(0, "--lan IFACE is required (see --help)");
  if (static_cast<unsigned>(c.queue_num) + c.queues > 65536)
    return make_error(0, "--queue-num + --queues: queue numbers beyond 65535");
  return inv;
}

}  // namespace captive::daemon
