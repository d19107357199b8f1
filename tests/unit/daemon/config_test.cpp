#include "captive/daemon/config.hpp"

#include <gtest/gtest.h>

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
  EXPECT_EQ(r->config.lan, "eth1");
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

TEST(Config, EveryFlag) {
  auto r = parse({"--lan=br-lan", "--state-dir", "/tmp/s", "--socket", "/tmp/c.sock", "--portal-port", "9000",
                  "--portal-url", "http://portal.example/", "--session-timeout", "15m", "--queue-num", "3", "--queues", "2",
                  "--site-name", "Cafe", "--log-level", "debug", "--ruleset", "/etc/captive.nft", "--bind-ip",
                  "--dns-server", "192.0.2.53", "--nft", "/usr/local/sbin/nft"});
  ASSERT_TRUE(r) << r.error().message();
  const Config& c = r->config;
  EXPECT_EQ(c.lan, "br-lan");
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

TEST(Config, HelpAndVersion) {
  EXPECT_EQ(parse({"--help"})->action, Invocation::Action::help);
  EXPECT_EQ(parse({"--version"})->action, Invocation::Action::version);
  std::string text = usage("captived");
  for (const char* flag : {"--lan", "--portal-port", "--portal-url", "--session-timeout", "--queue-num", "--queues", "--bind-ip",
                           "--state-dir", "--socket", "--site-name", "--ruleset", "--dns-server", "--nft", "--log-level", "--help",
                           "--version"})
    EXPECT_NE(text.find(flag), std::string::npos) << flag;
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
    EXPECT_EQ(r->config.lan, good);
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
