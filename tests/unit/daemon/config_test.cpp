#include "captive/daemon/config.hpp"

#include "captive/build_config.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace captive::daemon {
namespace {
using namespace std::chrono_literals;

Result<Invocation> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "captived");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return parse_args(static_cast<int>(args.size()), argv.data());
}

TEST(Config, Defaults) {
  auto r = parse({"--lan", "eth1"});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->action, Invocation::Action::run);
  EXPECT_EQ(r->config.lans, std::vector<std::string>{"eth1"});
  EXPECT_EQ(r->config.portal_port, 8511);
  EXPECT_EQ(r->config.session_timeout, 24h);
  EXPECT_EQ(r->config.queue_num, 0);
  EXPECT_EQ(r->config.state_dir, "/var/lib/captive");
  EXPECT_EQ(r->config.socket_path, "/run/captive/captived.sock");
  EXPECT_FALSE(r->config.bind_ip);
  EXPECT_TRUE(r->config.dns_servers.empty()) << "no forwarded DNS unless the operator names a resolver";
  EXPECT_EQ(r->config.nft, "") << "found at start";
}

TEST(Config, DnsServersAreRepeatableBothFamiliesAndDeduplicated) {
  auto r = parse({"--lan", "eth1", "--dns-server", "198.51.100.53", "--dns-server=2001:db8::53", "--dns-server",
                  "198.51.100.53", "--dns-server", "::ffff:203.0.113.1"});
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->config.dns_servers.size(), 3u);
  EXPECT_EQ(r->config.dns_servers[0].to_string(), "198.51.100.53");
  EXPECT_EQ(r->config.dns_servers[1].to_string(), "2001:db8::53");
  EXPECT_FALSE(r->config.dns_servers[1].is_v4());
  EXPECT_EQ(r->config.dns_servers[2].to_string(), "203.0.113.1");  // IPv4-mapped is IPv4
  EXPECT_TRUE(r->config.dns_servers[2].is_v4());
}

TEST(Config, AtMost32DnsServers) {
  std::vector<std::string> args = {"--lan", "eth1"};
  for (int i = 1; i <= 32; ++i) {
    args.push_back("--dns-server");
    args.push_back("198.51.100." + std::to_string(i));
  }
  auto r = parse(args);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->config.dns_servers.size(), 32u);
  args.push_back("--dns-server");
  args.push_back("198.51.100.33");
  r = parse(args);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "--dns-server: at most 32 resolvers");
}

TEST(Config, NftPath) {
  auto r = parse({"--lan", "eth1", "--nft", "/opt/nft/bin/nft"});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->config.nft, "/opt/nft/bin/nft");
}

TEST(Config, ProbesFile) {
  auto r = parse({"--lan", "eth1", "--probes", "/etc/captive/probes"});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->config.probes, "/etc/captive/probes");
  EXPECT_EQ(parse({"--lan", "eth1"})->config.probes, "") << "the shipped table";
  auto empty = parse({"--lan", "eth1", "--probes", ""});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().what, "--probes: empty path");
  EXPECT_NE(usage("captived").find("--probes FILE"), std::string::npos);
}

TEST(Config, EveryFlag) {
  auto r = parse({"--lan=br-lan", "--state-dir", "/tmp/s", "--socket", "/tmp/c.sock", "--portal-port", "9000",
                  "--portal-url", "http://portal.example/", "--session-timeout", "15m", "--queue-num", "3", "--queues", "2",
                  "--site-name", "Cafe", "--log-level", "debug", "--ruleset", "/etc/captive.nft", "--bind-ip",
                  "--dns-server", "192.0.2.53", "--nft", "/usr/local/sbin/nft"});
  ASSERT_TRUE(r) << r.error().message();
  const Config& c = r->config;
  EXPECT_EQ(c.lans, std::vector<std::string>{"br-lan"});
  EXPECT_EQ(c.state_dir, "/tmp/s");
  EXPECT_EQ(c.socket_path, "/tmp/c.sock");
  EXPECT_EQ(c.portal_port, 9000);
  EXPECT_EQ(c.portal_url, "http://portal.example/");
  EXPECT_EQ(c.session_timeout, 15min);
  EXPECT_EQ(c.queue_num, 3);
  EXPECT_EQ(c.queues, 2);
  EXPECT_EQ(c.site_name, "Cafe");
  EXPECT_EQ(c.ruleset, "/etc/captive.nft");
  EXPECT_TRUE(c.bind_ip);
  EXPECT_EQ(c.log_level, log::Level::debug);
  ASSERT_EQ(c.dns_servers.size(), 1u);
  EXPECT_EQ(c.dns_servers[0].to_string(), "192.0.2.53");
  EXPECT_EQ(c.nft, "/usr/local/sbin/nft");
}

// Issue 9, item 3: off by default; durations as --session-timeout; bytes
// with SI suffixes (powers of 1000).
TEST(Config, IdleTimeoutAndQuota) {
  auto off = parse({"--lan", "eth1"});
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->config.idle_timeout);
  EXPECT_FALSE(off->config.quota_bytes);
  auto on = parse({"--lan", "eth1", "--idle-timeout", "15m", "--quota", "500M"});
  ASSERT_TRUE(on);
  EXPECT_EQ(on->config.idle_timeout, std::chrono::seconds(900));
  EXPECT_EQ(on->config.quota_bytes, 500'000'000u);
  EXPECT_EQ(parse_bytes("1500"), 1500u);
  EXPECT_EQ(parse_bytes("500K"), 500'000u);
  EXPECT_EQ(parse_bytes("500k"), 500'000u);
  EXPECT_EQ(parse_bytes("2G"), 2'000'000'000u);
  EXPECT_EQ(parse_bytes("1T"), 1'000'000'000'000u);
  EXPECT_FALSE(parse_bytes(""));
  EXPECT_FALSE(parse_bytes("G"));
  EXPECT_FALSE(parse_bytes("-1"));
  EXPECT_FALSE(parse_bytes("1.5G"));
}

TEST(Config, TlsAndVenue) {
  auto r = parse({"--lan", "br-lan", "--tls-cert", "/etc/captive/cert.pem", "--tls-key", "/etc/captive/key.pem",
                  "--portal-tls-port", "9443", "--venue-url", "https://cafe.example/about"});
#if CAPTIVE_PORTAL_TLS
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->config.tls_cert, "/etc/captive/cert.pem");
  EXPECT_EQ(r->config.tls_key, "/etc/captive/key.pem");
  EXPECT_EQ(r->config.portal_tls_port, 9443);
  EXPECT_EQ(r->config.venue_url, "https://cafe.example/about");
#else
  // A build without TLS (-Dportal_tls=disabled) says so, rather than
  // starting with plain HTTP only.
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "--tls-cert: this build has no TLS (built with -Dportal_tls=disabled)");
  r = parse({"--lan", "br-lan", "--portal-tls-port", "9443", "--venue-url", "https://cafe.example/about"});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->config.portal_tls_port, 9443);
#endif
  EXPECT_EQ(parse({"--lan", "br-lan"})->config.portal_tls_port, 8443);
  // A certificate without its key (or the reverse) is a mistake, not plain HTTP.
  EXPECT_EQ(parse({"--lan", "br-lan", "--tls-cert", "/c.pem"}).error().message(), "--tls-cert and --tls-key go together");
  EXPECT_FALSE(parse({"--lan", "br-lan", "--tls-key", "/k.pem"}));
  EXPECT_FALSE(parse({"--lan", "br-lan", "--portal-tls-port", "8511"}));  // the HTTP port
  EXPECT_FALSE(parse({"--lan", "br-lan", "--portal-tls-port", "0"}));
  // The venue URL goes into JSON: nothing that would need escaping.
  EXPECT_FALSE(parse({"--lan", "br-lan", "--venue-url", "ftp://x/"}));
  EXPECT_FALSE(parse({"--lan", "br-lan", "--venue-url", "https://x/\"y"}));
  EXPECT_FALSE(parse({"--lan", "br-lan", "--venue-url", "https://x/\\y"}));
}

TEST(Config, UserAndLoadRuleset) {
  auto inv = parse({"--lan", "br-lan", "--user", "captive"});
  ASSERT_TRUE(inv);
  EXPECT_EQ(inv->config.user, "captive");
  EXPECT_TRUE(inv->config.user.empty() == false);
  EXPECT_TRUE(parse({"--lan", "br-lan"})->config.user.empty());  // default: stay as started
  EXPECT_FALSE(parse({"--lan", "br-lan", "--user", "-root"}));
  EXPECT_FALSE(parse({"--lan", "br-lan", "--user", "a b"}));
  EXPECT_FALSE(parse({"--lan", "br-lan", "--user", ""}));
  auto file = parse_config("lan br0\nuser captive\n", "captived.conf", {});
  ASSERT_TRUE(file);
  EXPECT_EQ(file->user, "captive");
  auto load = parse({"--lan", "br-lan", "--load-ruleset"});
  ASSERT_TRUE(load);
  EXPECT_EQ(load->action, Invocation::Action::load_ruleset);
  EXPECT_FALSE(parse({"--load-ruleset"}));  // still needs lan
  EXPECT_FALSE(parse_config("lan br0\nload-ruleset\n", "captived.conf", {}));  // command line only
  // The default --ruleset is where meson installs captive.nft.
  EXPECT_EQ(parse({"--lan", "br-lan"})->config.ruleset, default_ruleset());
  EXPECT_TRUE(default_ruleset().ends_with("/captive/captive.nft")) << default_ruleset();
}

TEST(Config, HelpAndVersion) {
  EXPECT_EQ(parse({"--help"})->action, Invocation::Action::help);
  EXPECT_EQ(parse({"--version"})->action, Invocation::Action::version);
  std::string text = usage("captived");
  for (const char* flag : {"--lan", "--portal-port", "--portal-url", "--session-timeout", "--queue-num", "--queues", "--bind-ip",
                           "--state-dir", "--socket", "--site-name", "--ruleset", "--dns-server", "--nft", "--log-level", "--help",
                           "--idle-timeout", "--quota",
                           "--version", "--tls-cert", "--tls-key", "--portal-tls-port", "--venue-url"})
    EXPECT_NE(text.find(flag), std::string::npos) << flag;
}

// --check-config: OpenWrt's init script asks captived whether the file it
// wrote is good before procd (re)starts the daemon. It must still check
// everything (a bad value is an error, not "check passed"), and it is not a
// key of the file.
TEST(Config, CheckConfig) {
  auto ok = parse({"--check-config", "--lan", "br-lan"});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->action, Invocation::Action::check_config);
  EXPECT_EQ(ok->config.lans, std::vector<std::string>{"br-lan"});
  EXPECT_FALSE(parse({"--check-config"}));  // --lan is still required
  EXPECT_FALSE(parse({"--check-config", "--lan", "br-lan", "--portal-port", "0"}));
  EXPECT_EQ(parse({"--lan", "br-lan", "--config", "/c", "--check-config"})->action, Invocation::Action::check_config);
  auto in_file = parse_config("lan br-lan\ncheck-config\n", "f", {});
  ASSERT_FALSE(in_file);
  EXPECT_EQ(in_file.error().message(), "f:2: check-config: only on the command line");
  EXPECT_NE(usage("captived").find("--check-config"), std::string::npos);
}

TEST(Config, ClearErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{}, "--lan IFACE is required (see --help)"},
      {{"--lan", "eth0", "--portal-port", "99999"}, "--portal-port: not a port number: 99999"},
      {{"--lan", "eth0", "--portal-port", "0"}, "--portal-port: not a port number: 0"},
      {{"--lan", "eth0", "--session-timeout", "soon"}, "--session-timeout: not a duration"},
      {{"--lan", "a/b"}, "--lan: not an interface name: a/b"},
      {{"--lan", "0123456789abcdef"}, "--lan: not an interface name"},
      {{"--lan", "eth0", "--bogus"}, "unknown option: --bogus"},
      {{"--lan"}, "--lan: needs a value"},
      {{"--lan", "eth0", "extra"}, "unexpected argument: extra"},
      {{"--lan", "eth0", "--portal-url", "ftp://x/"}, "--portal-url: must be an http:// or https:// URL"},
      {{"--lan", "eth0", "--log-level", "loud"}, "--log-level: one of"},
      {{"--lan", "eth0", "--queue-num", "-1"}, "--queue-num: not a queue number"},
      {{"--lan", "eth0", "--queues", "0"}, "--queues: a number from 1 to 64"},
      {{"--lan", "eth0", "--queues", "65"}, "--queues: a number from 1 to 64"},
      {{"--lan", "eth0", "--queue-num", "65535", "--queues", "2"}, "--queue-num + --queues"},
      {{"--lan", "eth0", "--dns-server", "resolver.example"}, "--dns-server: not an IPv4 or IPv6 address: resolver.example"},
      {{"--lan", "eth0", "--dns-server", "198.51.100.300"}, "--dns-server: not an IPv4 or IPv6 address"},
      {{"--lan", "eth0", "--dns-server", "fe80::1%eth0"}, "--dns-server: not an IPv4 or IPv6 address"},
      {{"--lan", "eth0", "--dns-server", "198.51.100.0/24"}, "--dns-server: not an IPv4 or IPv6 address"},
      {{"--lan", "eth0", "--dns-server", "0.0.0.0"}, "--dns-server: not a unicast address: 0.0.0.0"},
      {{"--lan", "eth0", "--dns-server", "::"}, "--dns-server: not a unicast address"},
      {{"--lan", "eth0", "--dns-server", "224.0.0.251"}, "--dns-server: not a unicast address"},
      {{"--lan", "eth0", "--dns-server", "ff02::fb"}, "--dns-server: not a unicast address"},
      {{"--lan", "eth0", "--dns-server", "255.255.255.255"}, "--dns-server: not a unicast address"},
      {{"--lan", "eth0", "--dns-server"}, "--dns-server: needs a value"},
      {{"--lan", "eth0", "--nft", "nft"}, "--nft: not an absolute path: nft"},
      {{"--lan", "eth0", "--nft", ""}, "--nft: not an absolute path"},
      {{"--lan", "eth0", "--idle-timeout", "0"}, "--idle-timeout: not a duration"},
      {{"--lan", "eth0", "--idle-timeout", "often"}, "--idle-timeout: not a duration"},
      {{"--lan", "eth0", "--quota", "0"}, "--quota: not a byte count"},
      {{"--lan", "eth0", "--quota", "5X"}, "--quota: not a byte count"},
      {{"--lan", "eth0", "--quota", "20000000000T"}, "--quota: not a byte count"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.args);
    ASSERT_FALSE(r) << c.message;
    EXPECT_EQ(r.error().message().rfind(c.message, 0), 0u) << r.error().message();
  }
}

// --lan takes what scripts/install-ruleset takes: the name goes into nft's
// input, where anything else could be nft syntax.
TEST(Config, LanInterfaceNames) {
  for (const char* good : {"eth0", "br-lan", "wlan0.100", "veth_c1", "a", "A-Z.a-z_09", "012345678901234"}) {
    auto r = parse({"--lan", good});
    ASSERT_TRUE(r) << good << ": " << r.error().message();
    EXPECT_EQ(r->config.lans, std::vector<std::string>{good});
  }
  for (const char* bad : {"", ".", "..", "-eth0", "-", "0123456789abcdef", "eth0\"", "br\"lan", "eth 0", "eth0;",
                          "eth$x", "a/b", "eth0:1", "tab\tx", "eth0\n", "{eth0}", "eth0'", "\x7f", "\xc3\xa9th0"}) {
    auto r = parse({"--lan", bad});
    if (r) {
      ADD_FAILURE() << "accepted --lan '" << bad << "'";
      continue;
    }
    EXPECT_EQ(r.error().message(), "--lan: not an interface name: " + std::string(bad));
  }
}

TEST(Config, Durations) {
  EXPECT_EQ(parse_duration("90"), 90s);
  EXPECT_EQ(parse_duration("90s"), 90s);
  EXPECT_EQ(parse_duration("15m"), 15min);
  EXPECT_EQ(parse_duration("24h"), 24h);
  EXPECT_EQ(parse_duration("7d"), std::chrono::seconds(7 * 86400));
  EXPECT_EQ(parse_duration("365d"), std::chrono::seconds(365 * 86400));
  for (const char* bad : {"", "0", "0s", "h", "-5m", "1.5h", "366d", "99999999999999999999", "10x", "5 m"})
    EXPECT_FALSE(parse_duration(bad)) << bad;
}

// --lan is repeatable (issue 9 item 11): each LAN is intercepted and
// served; the order given is kept (the first is the one named first in
// logs). A name twice is a mistake, not a second LAN; more than kMaxLans is
// refused (each LAN costs a portal socket per port and a neighbour lookup
// per sign-in).
TEST(Config, SeveralLans) {
  auto r = parse({"--lan", "br-guest", "--lan=br-hotel", "--lan", "eth2"});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->config.lans, (std::vector<std::string>{"br-guest", "br-hotel", "eth2"}));
  auto twice = parse({"--lan", "br-guest", "--lan", "br-hotel", "--lan", "br-guest"});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().message(), "--lan: br-guest given twice");
  std::vector<std::string> args;
  for (std::size_t i = 0; i < kMaxLans; ++i) {
    args.push_back("--lan");
    args.push_back("lan" + std::to_string(i));
  }
  auto most = parse(args);
  ASSERT_TRUE(most) << most.error().message();
  EXPECT_EQ(most->config.lans.size(), kMaxLans);
  args.push_back("--lan");
  args.push_back("one-more");
  auto too_many = parse(args);
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().message(), "--lan: one-more: more than " + std::to_string(kMaxLans) + " LANs");
}

// --- the config file (--config FILE) ---------------------------------------

Result<Config> from_file(std::string_view text, std::vector<Setting> command_line = {}) {
  return parse_config(text, "captived.conf", command_line);
}

std::string error_of(const Result<Config>& r) { return r ? std::string("(accepted)") : r.error().message(); }

TEST(ConfigFile, RepeatedLanLines) {
  auto file = from_file("lan br-guest\nlan br-hotel\n");
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(file->lans, (std::vector<std::string>{"br-guest", "br-hotel"}));
  EXPECT_EQ(error_of(from_file("lan br-guest\nportal-port 9000\nlan br-guest\n")),
            "captived.conf:3: lan: br-guest given twice");
  // The command line's LANs replace the file's (as every key's flags do).
  auto flags = from_file("lan br-guest\nlan br-hotel\n", {Setting{"lan", "eth1"}});
  ASSERT_TRUE(flags) << flags.error().message();
  EXPECT_EQ(flags->lans, std::vector<std::string>{"eth1"});
  // A change of the LANs needs a restart (sockets, the ruleset's names).
  auto changes = changed_keys(*file, *flags);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, "lan");
  EXPECT_EQ(changes[0].applies, Applies::restart);
}

TEST(ConfigFile, EveryFlagIsAKey) {
  auto file = from_file(
      "lan br-lan\n"
      "state-dir /tmp/s\n"
      "socket /tmp/c.sock\n"
      "portal-port 9000\n"
      "portal-url http://portal.example/\n"
      "session-timeout 15m\n"
      "queue-num 3\n"
      "queues 2\n"
      "site-name Cafe on the corner\n"
      "log-level debug\n"
      "ruleset /etc/captive.nft\n"
      "bind-ip\n"
      "dns-server 192.0.2.53\n"
      "dns-server 2001:db8::53\n"
      "nft /usr/local/sbin/nft\n");
  ASSERT_TRUE(file) << file.error().message();
  auto flags = parse({"--lan=br-lan", "--state-dir", "/tmp/s", "--socket", "/tmp/c.sock", "--portal-port", "9000",
                      "--portal-url", "http://portal.example/", "--session-timeout", "15m", "--queue-num", "3",
                      "--queues", "2", "--site-name", "Cafe on the corner", "--log-level", "debug", "--ruleset",
                      "/etc/captive.nft", "--bind-ip", "--dns-server", "192.0.2.53", "--dns-server", "2001:db8::53",
                      "--nft", "/usr/local/sbin/nft"});
  ASSERT_TRUE(flags) << flags.error().message();
  EXPECT_TRUE(changed_keys(*file, flags->config).empty()) << "the file and the flags differ in "
                                                         << changed_keys(*file, flags->config).front().key;
  EXPECT_EQ(file->site_name, "Cafe on the corner") << "a value runs to the end of the line";
  EXPECT_EQ(file->dns_servers.size(), 2u) << "repeatable keys add up";
}

TEST(ConfigFile, CommentsBlankLinesAndEqualsSign) {
  auto c = from_file(
      "# captived.conf\n"
      "\n"
      "   # indented comment\n"
      "lan br0   # the bridge\n"
      "site-name Bar#1\n"             // '#' inside a word is no comment
      "session-timeout=2h\n"          // dnsmasq writes key=value
      "portal-port = 8600\r\n"        // CRLF, blanks around '='
      "\tlog-level\twarning\t\n"
      "bind-ip # bare word, then a comment\n");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->lans, std::vector<std::string>{"br0"});
  EXPECT_EQ(c->site_name, "Bar#1");
  EXPECT_EQ(c->session_timeout, 2h);
  EXPECT_EQ(c->portal_port, 8600);
  EXPECT_EQ(c->log_level, log::Level::warn);
  EXPECT_TRUE(c->bind_ip);
  EXPECT_TRUE(from_file("lan br0")) << "no newline at the end";
}

TEST(ConfigFile, CommandLineWins) {
  const std::string text =
      "lan br-file\n"
      "session-timeout 2h\n"
      "dns-server 192.0.2.53\n"
      "dns-server 192.0.2.54\n"
      "portal-port 9000\n";
  auto c = from_file(text, {{"lan", "br-cli"}, {"session-timeout", "15m"}, {"dns-server", "198.51.100.53"}});
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->lans, std::vector<std::string>{"br-cli"});
  EXPECT_EQ(c->session_timeout, 15min);
  ASSERT_EQ(c->dns_servers.size(), 1u) << "a repeatable key on the command line replaces the file's list";
  EXPECT_EQ(c->dns_servers[0].to_string(), "198.51.100.53");
  EXPECT_EQ(c->portal_port, 9000) << "keys not on the command line come from the file";

  // Through parse_args, as captived gets them.
  auto inv = parse({"--config", "/etc/captive/captived.conf", "--session-timeout", "15m"});
  ASSERT_TRUE(inv) << inv.error().message() << ": with --config, --lan may come from the file";
  EXPECT_EQ(inv->config.config_file, "/etc/captive/captived.conf");
  ASSERT_EQ(inv->command_line.size(), 1u);
  EXPECT_EQ(inv->command_line[0], (Setting{"session-timeout", "15m"}));
  c = from_file(text, inv->command_line);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->session_timeout, 15min);
}

TEST(ConfigFile, EveryErrorNamesFileAndLine) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"lan br0\nfrobnicate 1\n", "captived.conf:2: unknown key: frobnicate"},
      {"lan br0\n\n# c\nportal-port 99999\n", "captived.conf:4: portal-port: not a port number: 99999"},
      {"session-timeout soon\nlan br0\n", "captived.conf:1: session-timeout: not a duration"},
      {"lan br0\nsession-timeout\n", "captived.conf:2: session-timeout: needs a value"},
      {"lan br0\nsession-timeout # two hours\n", "captived.conf:2: session-timeout: needs a value"},
      {"lan br0\nbind-ip yes\n", "captived.conf:2: bind-ip: takes no value"},
      {"--lan br0\n", "captived.conf:1: write keys without their dashes: `lan`"},
      {"lan br0\nconfig /etc/other.conf\n", "captived.conf:2: config: only on the command line"},
      {"lan br0\nhelp\n", "captived.conf:2: help: only on the command line"},
      {"lan a/b\n", "captived.conf:1: lan: not an interface name: a/b"},
      {"lan br0\ndns-server resolver.example\n", "captived.conf:2: dns-server: not an IPv4 or IPv6 address"},
      {"lan br0\nlog-level loud\n", "captived.conf:2: log-level: one of"},
      {std::string("lan br0\nsite-name a\0b\n", 20), "captived.conf:2: NUL byte"},
      {"lan br0\nsite-name " + std::string(5000, 'x') + "\n", "captived.conf:2: line longer than 4096 bytes"},
      {"# nothing but comments\n", "captived.conf: lan is required"},
      {"lan br0\nqueue-num 65535\nqueues 2\n", "--queue-num + --queues"},
  };
  for (const auto& c : cases) {
    auto r = from_file(c.text);
    ASSERT_FALSE(r) << c.message;
    EXPECT_EQ(r.error().message().rfind(c.message, 0), 0u) << r.error().message();
  }
  // A bad line of a key the command line overrides is refused all the same:
  // the file is wrong, and the next start without the flag would fail.
  auto r = from_file("lan br0\nportal-port 0\n", {{"portal-port", "9000"}});
  EXPECT_EQ(error_of(r).rfind("captived.conf:2: portal-port: not a port number: 0", 0), 0u) << error_of(r);
  // Errors of the command line still read as flags.
  r = from_file("lan br0\n", {{"portal-port", "0"}});
  EXPECT_EQ(error_of(r).rfind("--portal-port: not a port number: 0", 0), 0u) << error_of(r);
}

TEST(ConfigFile, LoadReadsTheFileAndNamesItInErrors) {
  char dir_template[] = "/tmp/captive-config-test.XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string path = dir + "/captived.conf";
  auto write = [&](const std::string& text) {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(text.c_str(), f);
    std::fclose(f);
  };
  write("lan br0\nsession-timeout 2h\n");
  auto c = load_config(path, {});
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->config_file, path);
  EXPECT_EQ(c->session_timeout, 2h);

  write("lan br0\nsession-timeout 2 hours\n");
  c = load_config(path, {});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message().rfind(path + ":2: session-timeout: not a duration", 0), 0u) << c.error().message();

  c = load_config(dir + "/missing.conf", {});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(), dir + "/missing.conf: No such file or directory");
  c = load_config(dir, {});  // a directory
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(), dir + ": not a regular file");
  // A FIFO: refused at once (reading it would hang captived until somebody wrote).
  const std::string fifo = dir + "/fifo.conf";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  c = load_config(fifo, {});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(), fifo + ": not a regular file");
  std::remove(fifo.c_str());
  std::remove(path.c_str());
  ::rmdir(dir.c_str());
}

// What a reload applies at once and what waits for a restart (captived(8)
// documents the same split).
TEST(ConfigFile, ChangedKeysSayHowTheyApply) {
  auto before = from_file("lan br0\nsession-timeout 2h\nportal-port 9000\n");
  ASSERT_TRUE(before);
  EXPECT_TRUE(changed_keys(*before, *before).empty());
  auto after = from_file("lan br0\nsession-timeout 30m\nportal-port 9001\ndns-server 192.0.2.53\nlog-level debug\n");
  ASSERT_TRUE(after);
  auto changes = changed_keys(*before, *after);
  std::map<std::string, Applies> by_key;
  for (const auto& c : changes) by_key[c.key] = c.applies;
  EXPECT_EQ(by_key.size(), 4u);
  EXPECT_EQ(by_key.at("session-timeout"), Applies::live);
  EXPECT_EQ(by_key.at("dns-server"), Applies::live);
  EXPECT_EQ(by_key.at("log-level"), Applies::live);
  EXPECT_EQ(by_key.at("portal-port"), Applies::restart);
  for (const char* restart : {"lan", "portal-port", "portal-url", "queue-num", "queues", "socket", "state-dir", "bind-ip", "nft"})
    EXPECT_EQ(applies_of(restart), Applies::restart) << restart;
  for (const char* live : {"session-timeout", "dns-server", "log-level", "site-name"})
    EXPECT_EQ(applies_of(live), Applies::live) << live;
}

// docs/captived.conf is the sample: it parses, and names every key.
TEST(ConfigFile, SampleHasEveryKeyAndParses) {
  const std::string path = std::string(CAPTIVE_SOURCE_DIR) + "/docs/captived.conf";
  auto sample = load_config(path, {});
  ASSERT_TRUE(sample) << sample.error().message();
  FILE* f = std::fopen(path.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  std::fclose(f);
  std::string text_help = usage("captived");
  for (std::string_view key : key_names()) {
    // Each key appears at the start of a line, commented out or not.
    const std::string as_line = "\n" + std::string(key) + " ", commented = "\n# " + std::string(key) + " ",
                      bare = "\n" + std::string(key) + "\n", bare_commented = "\n# " + std::string(key) + "\n";
    EXPECT_TRUE(text.find(as_line) != text.npos || text.find(commented) != text.npos || text.find(bare) != text.npos ||
                text.find(bare_commented) != text.npos)
        << "docs/captived.conf does not show " << key;
    EXPECT_NE(text_help.find("--" + std::string(key)), std::string::npos) << "--help does not list " << key;
  }
  EXPECT_NE(text_help.find("--config FILE"), std::string::npos);
}

}  // namespace
}  // namespace captive::daemon

// Lists and walled garden (issue 9, items 9 and 10): repeatable, validated,
// deduplicated; a MAC in both lists is refused at start.
namespace captive::daemon {
namespace {

Result<Invocation> parse_lists(std::vector<std::string> args) {
  args.insert(args.begin(), {"captived", "--lan", "eth1"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return parse_args(static_cast<int>(args.size()), argv.data());
}

TEST(ConfigLists, RepeatableAndDeduplicated) {
  auto r = parse_lists({"--trusted-mac", "02:00:00:00:00:01", "--trusted-mac=02-00-00-00-00-02", "--trusted-mac",
                        "02:00:00:00:00:01", "--blocked-mac", "02:00:00:00:00:03", "--allow-ip", "203.0.113.0/28",
                        "--allow-ip", "2001:db8:3::/64", "--allow-ip", "203.0.113.0/28", "--allow-domain",
                        "Garden.Example", "--allow-domain", "garden.example.", "--dnsmasq-conf",
                        "/run/captive/dnsmasq.conf"});
  ASSERT_TRUE(r) << r.error().message();
  const Config& c = r->config;
  ASSERT_EQ(c.trusted_macs.size(), 2u);
  EXPECT_EQ(c.trusted_macs[1].to_string(), "02:00:00:00:00:02");
  ASSERT_EQ(c.blocked_macs.size(), 1u);
  ASSERT_EQ(c.allow_ips.size(), 2u);
  EXPECT_EQ(c.allow_ips[0].to_string(), "203.0.113.0/28");
  EXPECT_EQ(c.allow_ips[1].to_string(), "2001:db8:3::/64");
  EXPECT_EQ(c.allow_domains, (std::vector<std::string>{"garden.example"}));
  EXPECT_EQ(c.dnsmasq_conf, "/run/captive/dnsmasq.conf");
}

TEST(ConfigLists, DefaultsEmpty) {
  auto r = parse_lists({});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->config.trusted_macs.empty());
  EXPECT_TRUE(r->config.blocked_macs.empty());
  EXPECT_TRUE(r->config.allow_ips.empty());
  EXPECT_TRUE(r->config.allow_domains.empty());
  EXPECT_TRUE(r->config.dnsmasq_conf.empty());
}

TEST(ConfigLists, ClearErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{
           {{"--trusted-mac", "nonsense"}, "--trusted-mac: not a MAC address: nonsense"},
           {{"--blocked-mac", "01:00:5e:00:00:01"}, "--blocked-mac: not a unicast MAC"},
           {{"--trusted-mac", "02:00:00:00:00:01", "--blocked-mac", "02:00:00:00:00:01"}, "is in both"},
           {{"--allow-ip", "203.0.113.5/24"}, "--allow-ip: host bits set"},
           {{"--allow-ip", "0.0.0.0/0"}, "--allow-ip: a /0 garden"},
           {{"--allow-ip", "garden.example"}, "--allow-ip: not an IPv4 or IPv6 address"},
           {{"--allow-domain", "a/b.example"}, "--allow-domain: not a domain name"},
           {{"--allow-domain", "example"}, "at least two labels"},
           {{"--dnsmasq-conf", "relative.conf"}, "--dnsmasq-conf: not an absolute file path"},
           {{"--trusted-mac"}, "--trusted-mac: needs a value"},
       }) {
    auto r = parse_lists(c.args);
    ASSERT_FALSE(r) << c.args[0];
    EXPECT_NE(r.error().what.find(c.says), std::string::npos) << r.error().what;
  }
}

TEST(ConfigLists, AtMost256GardenPrefixes) {
  std::vector<std::string> args;
  for (int i = 0; i < 257; ++i) {
    args.push_back("--allow-ip");
    args.push_back("2001:db8:" + std::to_string(i) + "::/48");
  }
  auto r = parse_lists(args);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what.find("at most 256"), std::string::npos);
}

TEST(Config, Rates) {
  // Bits per second with the unit written out; bytes per second back.
  EXPECT_EQ(parse_rate("2mbit"), 250'000u);
  EXPECT_EQ(parse_rate("2Mbit"), 250'000u);
  EXPECT_EQ(parse_rate("500kbit"), 62'500u);
  EXPECT_EQ(parse_rate("1gbit"), 125'000'000u);
  EXPECT_EQ(parse_rate("64000bit"), 8'000u);
  EXPECT_EQ(parse_rate("1bit"), 1u) << "at least 1 byte/s: 0 would mean no limit";
  EXPECT_EQ(parse_rate("100gbit"), 12'500'000'000u);
  for (const char* bad : {"", "2", "1M", "2MB", "2mbps", "mbit", "0mbit", "-1mbit", "1.5mbit", "101gbit",
                          "99999999999999999999kbit", "2 mbit", "2mbit ", "2mbit/s"})
    EXPECT_FALSE(parse_rate(bad)) << bad;

  auto none = parse({"--lan", "eth1"});
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->config.rate_down) << "off by default";
  EXPECT_FALSE(none->config.rate_up);
  auto r = parse({"--lan", "eth1", "--rate-down", "20mbit", "--rate-up=10mbit"});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->config.rate_down, 2'500'000u);
  EXPECT_EQ(r->config.rate_up, 1'250'000u);
  auto junk = parse({"--lan", "eth1", "--rate-down", "1M"});
  ASSERT_FALSE(junk);
  EXPECT_EQ(junk.error().message(),
            "--rate-down: not a rate in bits per second with its unit (like 500kbit, 2mbit, 1gbit; at most 100gbit): 1M");
}

}  // namespace
}  // namespace captive::daemon

namespace captive::daemon {
namespace {

// RADIUS keys (issue 13, docs/radius.md).
TEST(ConfigRadius, ServersInOrderWithDefaultPortsAndAccountingOn1813) {
  auto c = parse({"--lan", "eth1", "--auth", "radius", "--radius-server", "192.0.2.10", "--radius-server",
                  "198.51.100.7:11812", "--radius-server", "[2001:db8::1]:1645", "--radius-server", "2001:db8::2",
                  "--radius-secret-file", "/etc/captive/radius-secret", "--nas-id", "lobby", "--coa-port", "13799",
                  "--acct-interval", "10m", "--radius-timeout", "1s", "--radius-retries", "0", "--radius-vouchers"});
  ASSERT_TRUE(c) << c.error().message();
  const auto& cfg = c->config;
  ASSERT_EQ(cfg.radius_servers.size(), 4u);
  EXPECT_EQ(cfg.radius_servers[0].to_string(), "192.0.2.10:1812");
  EXPECT_EQ(cfg.radius_servers[1].to_string(), "198.51.100.7:11812");
  EXPECT_EQ(cfg.radius_servers[2].to_string(), "[2001:db8::1]:1645");
  EXPECT_EQ(cfg.radius_servers[3].to_string(), "[2001:db8::2]:1812");
  const auto acct = radius_acct_servers(cfg);
  ASSERT_EQ(acct.size(), 4u);
  EXPECT_EQ(acct[0].to_string(), "192.0.2.10:1813");
  EXPECT_EQ(acct[1].to_string(), "198.51.100.7:1813");
  EXPECT_EQ(cfg.radius_secret_file, "/etc/captive/radius-secret");
  EXPECT_EQ(cfg.nas_id, "lobby");
  EXPECT_EQ(cfg.coa_port, 13799);
  EXPECT_EQ(cfg.acct_interval, std::chrono::minutes(10));
  EXPECT_EQ(cfg.radius_timeout, std::chrono::seconds(1));
  EXPECT_EQ(cfg.radius_retries, 0u);
  EXPECT_TRUE(cfg.radius_vouchers);
  auto own = parse({"--lan", "eth1", "--radius-server", "192.0.2.10", "--radius-acct-server", "192.0.2.20"});
  ASSERT_TRUE(own);
  EXPECT_EQ(radius_acct_servers(own->config).size(), 1u);
  EXPECT_EQ(radius_acct_servers(own->config)[0].to_string(), "192.0.2.20:1813");
  EXPECT_EQ(parse({"--lan", "eth1"})->config.coa_port, 3799);
}

TEST(ConfigRadius, RefusesNamesBadPortsAndRepeats) {
  for (const char* bad : {"radius.example", "192.0.2.1:0", "192.0.2.1:65536", "192.0.2.1:", "[2001:db8::1", "[2001:db8::1]x",
                          "[2001:db8::1]:", ""}) {
    EXPECT_FALSE(parse({"--lan", "eth1", "--radius-server", bad})) << bad;
  }
  EXPECT_FALSE(parse({"--lan", "eth1", "--radius-server", "192.0.2.1", "--radius-server", "192.0.2.1:1812"}));
  EXPECT_FALSE(parse({"--lan", "eth1", "--coa-port", "0"}));
  EXPECT_FALSE(parse({"--lan", "eth1", "--acct-interval", "10s"}));
  EXPECT_FALSE(parse({"--lan", "eth1", "--radius-retries", "11"}));
  // Across keys: what --auth radius needs, and what needs it.
  auto need = parse({"--lan", "eth1", "--auth", "radius", "--radius-secret-file", "/s"});
  ASSERT_FALSE(need);
  EXPECT_EQ(need.error().message(), "--auth radius needs --radius-server");
  need = parse({"--lan", "eth1", "--auth", "radius", "--radius-server", "192.0.2.1"});
  ASSERT_FALSE(need);
  EXPECT_EQ(need.error().message(), "--auth radius needs --radius-secret-file");
  EXPECT_FALSE(parse({"--lan", "eth1", "--radius-mac-auth"}));
  EXPECT_FALSE(parse({"--lan", "eth1", "--radius-vouchers"}));
  EXPECT_FALSE(parse({"--lan", "eth1", "--auth", "radius", "--radius-server", "192.0.2.1", "--radius-secret-file", "/s",
                      "--radius-mac-auth", "--bind-ip"}));
  EXPECT_TRUE(parse({"--lan", "eth1", "--auth", "radius", "--radius-server", "192.0.2.1", "--radius-secret-file", "/s",
                     "--radius-mac-auth", "--radius-vouchers"}));
  auto file = parse_config("lan eth1\nauth radius\nradius-server 192.0.2.10\nradius-secret-file /s\n", "c.conf", {});
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(auth_backends(*file), std::vector<std::string>{"radius"});
}

TEST(ConfigAuth, DefaultIsClickRepeatableInOrderUnknownListsTheValidOnes) {
  auto plain = parse({"--lan", "eth1"});
  ASSERT_TRUE(plain);
  EXPECT_EQ(auth_backends(plain->config), std::vector<std::string>{"click"});
  auto both = parse({"--lan", "eth1", "--auth", "users", "--auth", "click", "--auth", "users"});
  ASSERT_TRUE(both) << both.error().message();
  EXPECT_EQ(auth_backends(both->config), (std::vector<std::string>{"users", "click"}));
  auto bad = parse({"--lan", "eth1", "--auth", "ldap"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "--auth: not a sign-in backend (one of click, users, voucher, radius): ldap");
  auto file = parse_config("lan eth1\nauth click\nauth users\nusers /etc/x/users\n", "c.conf", {});
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(auth_backends(*file), (std::vector<std::string>{"click", "users"}));
  EXPECT_EQ(file->users_file, "/etc/x/users");
  auto bad_line = parse_config("lan eth1\nauth voucherz\n", "c.conf", {});
  ASSERT_FALSE(bad_line);
  EXPECT_NE(bad_line.error().message().find("c.conf:2: auth: not a sign-in backend"), std::string::npos);
}

TEST(ConfigAuth, PwhashParameters) {
  auto d = parse({"--lan", "eth1"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->config.pwhash_ops, 2u);
  EXPECT_EQ(d->config.pwhash_mem, 4u * 1024 * 1024);
  auto set = parse({"--lan", "eth1", "--pwhash-ops", "3", "--pwhash-mem", "16M"});
  ASSERT_TRUE(set) << set.error().message();
  EXPECT_EQ(set->config.pwhash_ops, 3u);
  EXPECT_EQ(set->config.pwhash_mem, 16u * 1024 * 1024);
  for (std::vector<std::string> bad : {std::vector<std::string>{"--pwhash-ops", "0"}, {"--pwhash-ops", "x"},
                                       {"--pwhash-mem", "1K"}, {"--pwhash-mem", "2G"}, {"--pwhash-mem", "lots"}}) {
    bad.insert(bad.begin(), {"--lan", "eth1"});
    EXPECT_FALSE(parse(bad)) << bad[2] << " " << bad[3];
  }
}

// The abuse limits of docs/auth.md: defaults 0.5 s doubling to 8 s, 5
// failures lock out for 5 min, 20 failures/s over all devices.
TEST(ConfigAuth, AbuseLimitKeys) {
  auto d = parse({"--lan", "eth1"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->config.auth_delay, std::chrono::milliseconds(500));
  EXPECT_EQ(d->config.auth_max_delay, std::chrono::milliseconds(8000));
  EXPECT_EQ(d->config.auth_lockout_after, 5u);
  EXPECT_EQ(d->config.auth_lockout, std::chrono::seconds(300));
  EXPECT_EQ(d->config.auth_global_rate, 20u);
  EXPECT_EQ(d->config.templates, "");
  auto file = parse_config("lan eth1\nauth-delay 250\nauth-max-delay 2000\nauth-lockout-after 3\nauth-lockout 1h\n"
                           "auth-global-rate 50\ntemplates /etc/captive/templates\n",
                           "c.conf", {});
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(file->auth_delay, std::chrono::milliseconds(250));
  EXPECT_EQ(file->auth_max_delay, std::chrono::milliseconds(2000));
  EXPECT_EQ(file->auth_lockout_after, 3u);
  EXPECT_EQ(file->auth_lockout, std::chrono::seconds(3600));
  EXPECT_EQ(file->auth_global_rate, 50u);
  EXPECT_EQ(file->templates, "/etc/captive/templates");
  EXPECT_EQ(applies_of("templates"), Applies::live);
  for (std::vector<std::string> bad :
       {std::vector<std::string>{"--auth-delay", "60001"}, {"--auth-delay", "0.5s"}, {"--auth-max-delay", "-1"},
        {"--auth-lockout-after", "0"}, {"--auth-lockout", "soon"}, {"--auth-global-rate", "0"}, {"--templates", ""}}) {
    bad.insert(bad.begin(), {"--lan", "eth1"});
    EXPECT_FALSE(parse(bad)) << bad[2] << " " << bad[3];
  }
  auto bad_line = parse_config("lan eth1\nauth-lockout-after many\n", "c.conf", {});
  ASSERT_FALSE(bad_line);
  EXPECT_EQ(bad_line.error().message(), "c.conf:2: auth-lockout-after: a number from 1 to 1000: many");
}

}  // namespace
}  // namespace captive::daemon
