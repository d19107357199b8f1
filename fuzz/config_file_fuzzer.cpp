// captived's config file: daemon::parse_config over the input as the file's
// text ("captived.conf"); what follows a "\0\0" in the input, if anything,
// is the command line: one KEY=VALUE setting per '\n'-separated line.
//
// A success has a LAN interface, a non-zero portal port, a session timeout
// in (0 s, 365 d], at most 32 distinct resolvers, an empty or absolute nft
// path, and no config_file (only load_config sets it); parsing the same
// input again gives the same config (changed_keys finds nothing), and a
// config differs from itself in nothing. An error is one line that names
// the file (with a line number inside the file) or the flag.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "captive/daemon/config.hpp"
#include "fuzz_check.hpp"

using namespace captive;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view text = input, rest;
  if (const auto split = input.find(std::string_view("\0\0", 2)); split != std::string_view::npos) {
    text = input.substr(0, split);
    rest = input.substr(split + 2);
  }
  std::vector<daemon::Setting> command_line;
  while (!rest.empty() && command_line.size() < 16) {
    const auto eol = rest.find('\n');
    const std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    const auto eq = line.find('=');
    const std::string key(line.substr(0, eq));
    // The command line holds only keys getopt accepted, with values getopt gave.
    const auto names = daemon::key_names();
    if (std::find(names.begin(), names.end(), key) == names.end()) continue;
    command_line.push_back({key, eq == std::string_view::npos ? "" : std::string(line.substr(eq + 1))});
  }
  // A heap copy of exactly the text: ASan sees any read past its end.
  const std::string copy(text);
  const auto r = daemon::parse_config(copy, "captived.conf", command_line);
  if (r) {
    const auto& c = *r;
    FUZZ_CHECK(!c.lans.empty() && c.lans.size() <= daemon::kMaxLans);
    for (std::size_t i = 0; i < c.lans.size(); ++i) {
      FUZZ_CHECK(!c.lans[i].empty() && c.lans[i].size() < 16);
      for (std::size_t j = 0; j < i; ++j) FUZZ_CHECK(c.lans[i] != c.lans[j]);  // no LAN twice
    }
    FUZZ_CHECK(c.portal_port != 0);
    FUZZ_CHECK(c.session_timeout.count() > 0 && c.session_timeout <= std::chrono::hours(24 * 365));
    FUZZ_CHECK(!c.socket_path.empty() && c.socket_path.size() <= 107);
    FUZZ_CHECK(!c.site_name.empty() && c.site_name.size() <= 100);
    FUZZ_CHECK(c.dns_servers.size() <= daemon::kMaxDnsServers);
    for (std::size_t i = 0; i < c.dns_servers.size(); ++i)
      for (std::size_t j = i + 1; j < c.dns_servers.size(); ++j) FUZZ_CHECK(c.dns_servers[i] != c.dns_servers[j]);
    FUZZ_CHECK(c.nft.empty() || c.nft.front() == '/');
    FUZZ_CHECK(c.config_file.empty());
    FUZZ_CHECK(daemon::changed_keys(c, c).empty());
    const auto again = daemon::parse_config(copy, "captived.conf", command_line);
    FUZZ_CHECK(again.has_value() && daemon::changed_keys(c, *again).empty());
  } else {
    const std::string& m = r.error().what;
    FUZZ_CHECK(!m.empty() && m.find('\n') == std::string::npos);
    FUZZ_CHECK(m.starts_with("captived.conf") || m.starts_with("--"));
    // "captived.conf: lan is required" (the whole file) or "captived.conf:N: ...".
    if (m.starts_with("captived.conf:") && m.size() > 14 && m[14] >= '0' && m[14] <= '9') {
      // captived.conf:N: with 1 <= N <= the number of lines.
      std::size_t n = 0, at = 14;
      for (; at < m.size() && m[at] >= '0' && m[at] <= '9'; ++at) n = n * 10 + static_cast<std::size_t>(m[at] - '0');
      FUZZ_CHECK(at > 14 && at < m.size() && m[at] == ':');
      const std::size_t lines = static_cast<std::size_t>(std::count(copy.begin(), copy.end(), '\n')) + 1;
      FUZZ_CHECK(n >= 1 && n <= lines);
    }
  }
  return 0;
}
