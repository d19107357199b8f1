// captived's command line: daemon::parse_args over an argv split from the
// input at NUL bytes (argv[0] = "captived"), and parse_duration over each
// argument. parse_args runs getopt_long, which permutes argv in place, so
// every argument is a writable heap copy of exactly its bytes.
//
// A successful run-invocation has a LAN interface, a non-zero portal port
// and a session timeout in (0 s, 365 d], at most 32 distinct DNS resolvers,
// and an empty or absolute --nft path; the nft script made from the
// resolvers is the include line plus one line per family present. An error
// is a non-empty sentence.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include <algorithm>
#include <string>

#include "captive/daemon/config.hpp"
#include "captive/daemon/ruleset_loader.hpp"
#include "fuzz_check.hpp"

using namespace captive;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::unique_ptr<char[]>> storage;
  auto add = [&](std::string_view arg) {
    auto copy = std::make_unique<char[]>(arg.size() + 1);
    if (!arg.empty()) std::memcpy(copy.get(), arg.data(), arg.size());
    copy[arg.size()] = '\0';
    storage.push_back(std::move(copy));
  };
  add("captived");
  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (!input.empty() && storage.size() < 64) {
    const auto nul = input.find('\0');
    add(input.substr(0, nul));
    input = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  }
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.get());
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (auto d = daemon::parse_duration(argv[i])) {
      FUZZ_CHECK(d->count() > 0 && *d <= std::chrono::hours(24 * 365));
    }
  }
  argv.push_back(nullptr);

  const auto r = daemon::parse_args(static_cast<int>(argv.size() - 1), argv.data());
  if (r) {
    if (r->action == daemon::Invocation::Action::run || r->action == daemon::Invocation::Action::load_ruleset) {
      const auto& c = r->config;
      // --user: a name getpwnam may see, never an option or a path.
      FUZZ_CHECK(c.user.size() <= 32 && (c.user.empty() || c.user.front() != '-'));
      FUZZ_CHECK(c.user.find_first_of("/: \t\n") == std::string::npos);
      FUZZ_CHECK(!c.lans.empty() && c.lans.size() <= daemon::kMaxLans);
      for (std::size_t i = 0; i < c.lans.size(); ++i) {
        FUZZ_CHECK(!c.lans[i].empty() && c.lans[i].size() < 16);
        for (std::size_t j = 0; j < i; ++j) FUZZ_CHECK(c.lans[i] != c.lans[j]);  // no LAN twice
      }
      FUZZ_CHECK(c.portal_port != 0);
      FUZZ_CHECK(c.portal_tls_port != 0 && c.portal_tls_port != c.portal_port);
      FUZZ_CHECK(c.tls_cert.empty() == c.tls_key.empty());
      // The venue URL goes into JSON and headers unescaped.
      FUZZ_CHECK(c.venue_url.empty() || c.venue_url.starts_with("http://") || c.venue_url.starts_with("https://"));
      FUZZ_CHECK(c.venue_url.find_first_of("\"\\<> ") == std::string::npos);
      FUZZ_CHECK(c.session_timeout.count() > 0 && c.session_timeout <= std::chrono::hours(24 * 365));
      FUZZ_CHECK(!c.socket_path.empty() && c.socket_path.size() <= 107);
      FUZZ_CHECK(c.portal_url.empty() || c.portal_url.starts_with("http://") || c.portal_url.starts_with("https://"));
      FUZZ_CHECK(!c.site_name.empty() && c.site_name.size() <= 100);
      FUZZ_CHECK(c.dns_servers.size() <= daemon::kMaxDnsServers);
      for (std::size_t i = 0; i < c.dns_servers.size(); ++i)
        for (std::size_t j = i + 1; j < c.dns_servers.size(); ++j) FUZZ_CHECK(c.dns_servers[i] != c.dns_servers[j]);
      FUZZ_CHECK(c.nft.empty() || c.nft.front() == '/');
      // Rates: bytes per second, never 0 (0 would read as "no limit"), at most 100gbit.
      for (const auto& rate : {c.rate_down, c.rate_up})
        FUZZ_CHECK(!rate || (*rate >= 1 && *rate <= 12'500'000'000ull));
      const bool v4 = std::any_of(c.dns_servers.begin(), c.dns_servers.end(), [](const auto& a) { return a.is_v4(); });
      const bool v6 = std::any_of(c.dns_servers.begin(), c.dns_servers.end(), [](const auto& a) { return !a.is_v4(); });
      const std::string script = daemon::load_script("/usr/share/captive/captive.nft", c.dns_servers);
      FUZZ_CHECK(static_cast<std::size_t>(std::count(script.begin(), script.end(), '\n')) == 1u + v4 + v6);
      FUZZ_CHECK(std::count(script.begin(), script.end(), '"') == 2);
      // Lists and walled garden: bounded, never both trusted and blocked,
      // and what goes into nft's script and dnsmasq's lines is only
      // addresses, prefixes and names (one line per set, one per name).
      FUZZ_CHECK(c.trusted_macs.size() <= session::kMaxListMacs && c.blocked_macs.size() <= session::kMaxListMacs);
      FUZZ_CHECK(c.allow_ips.size() <= session::kMaxGardenPrefixes);
      FUZZ_CHECK(c.allow_domains.size() <= session::kMaxGardenDomains);
      for (const auto& m : c.trusted_macs)
        FUZZ_CHECK(std::find(c.blocked_macs.begin(), c.blocked_macs.end(), m) == c.blocked_macs.end());
      const std::string lists = daemon::lists_script(daemon::ListSets{c.trusted_macs, c.blocked_macs, c.allow_ips});
      for (char ch : lists) FUZZ_CHECK(ch != '"' && ch != ';' && ch != '$');
      FUZZ_CHECK(static_cast<std::size_t>(std::count(lists.begin(), lists.end(), '\n')) <= 8u);
      const std::string snippet = session::dnsmasq_snippet(c.allow_domains);
      std::size_t nftset_lines = 0;
      for (std::size_t at = snippet.find("nftset=/"); at != std::string::npos; at = snippet.find("nftset=/", at + 1))
        ++nftset_lines;
      FUZZ_CHECK(nftset_lines == c.allow_domains.size());
      for (const auto& d : c.allow_domains)
        FUZZ_CHECK(d.find_first_of("/#, \t\n") == std::string::npos && session::parse_domain(d).has_value());
    }
  } else {
    FUZZ_CHECK(!r.error().what.empty());
  }
  (void)daemon::usage("captived");
  return 0;
}
