// Loads nft/captive.nft the way scripts/install-ruleset does, from inside the
// daemon: at start when the table is missing, and when somebody flushed the
// whole ruleset, the table has to come back before sessions can. The file
// stays the single definition of the policy; what captived adds to it (the
// DNS resolvers of --dns-server) goes in in the same nft transaction.
//
// Plain functions taking what they need, so they can run on any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "captive/packet/address.hpp"
#include "captive/session/lists.hpp"
#include "captive/util/result.hpp"

namespace captive::daemon {

// The directories searched for nft after $PATH: where distributions put it
// (Debian /usr/sbin, OpenWrt /usr/sbin), which a daemon's PATH may lack.
inline constexpr std::string_view kNftFallbackDirs = "/usr/sbin:/sbin:/usr/bin";

// nft's absolute path, found once at start. `override_path` (--nft) wins and
// must be an executable regular file; else the first executable `nft` in
// `path_env` ($PATH, may be empty) then `fallback_dirs`. Relative entries
// are skipped: the daemon must not run whatever its working directory
// holds. Errors name what was tried.
Result<std::string> find_nft(std::string_view override_path, std::string_view path_env,
                             std::string_view fallback_dirs = kNftFallbackDirs);

// What a load needs: nft's path, the -D defines, the ruleset file (absolute:
// it is named in an `include`), the resolvers.
struct RulesetLoad {
  std::string nft;
  std::vector<std::string> lans;  // captived --lan, in order; at least one
  std::uint16_t portal_port = 8511;
  std::string ruleset;
  std::vector<packet::IpAddr> dns_servers;
  std::uint16_t portal_tls_port = 8443;  // chain portal_input maps its peers too (HTTPS)
};

// What captived puts into the sets trusted, blocked, garden_ip4/6 (the MAC
// lists, --allow-ip). Apart from RulesetLoad so its users stay as they are.
struct ListSets {
  std::vector<packet::MacAddr> trusted;
  std::vector<packet::MacAddr> blocked;
  std::vector<session::IpPrefix> garden;
};

// Makes the sets trusted, blocked, garden_ip4 and garden_ip6 hold exactly
// what `lists` names: flush the four and add, as one script (part of a
// transaction with whatever precedes it). garden_dns4/6 belong to dnsmasq
// and are left alone. Pure.
std::string lists_script(const ListSets& lists);
// load_script and the lists' elements: what load_ruleset feeds nft. Pure.
std::string load_script_with_lists(const RulesetLoad& load, const ListSets& lists);
// lists_script through nft: a run-time change of the lists.
Result<void> replace_lists(const RulesetLoad& load, const ListSets& lists);

// nft -D lan="IFACE" -D portal_port=N -D portal_tls_port=N -f -  (the script comes on stdin);
// with several LANs -D lan={"A","B"}: an anonymous set of the names.
std::vector<std::string> nft_argv(const RulesetLoad& load);

// The whole load as one nft script, hence one transaction:
//   include "/abs/captive.nft"
//   add element inet captive dns_ip4 { 198.51.100.53 }
//   add element inet captive dns_ip6 { 2001:db8::53 }
// No packet sees the table without its resolvers. Pure.
std::string load_script(std::string_view ruleset, std::span<const packet::IpAddr> dns_servers);

// Makes the DNS sets of a loaded table hold exactly `dns_servers`: flush
// both sets and add, in one transaction (an empty list only flushes). Fails
// if the table has no such sets (loaded from an older ruleset). Pure.
std::string dns_sets_script(std::span<const packet::IpAddr> dns_servers);

// Whether `path` can go into `include "…"`: absolute, no quote, newline or
// other control character. Pure.
bool includable_path(std::string_view path);

// Runs argv[0] (an absolute path: no $PATH search) with `input` on its
// stdin and waits for it. Errors carry the exit status or signal; nft's own
// message goes to our stderr, i.e. the log. Blocks for as long as nft runs
// (5-40 ms measured here), so callers keep it off latency-critical threads.
Result<void> run_with_input(const std::vector<std::string>& argv, std::string_view input);

// load_script_with_lists through nft: the table comes in (replacing any old
// one) with its resolvers and lists.
Result<void> load_ruleset(const RulesetLoad& load, const ListSets& lists = {});
// dns_sets_script + lists_script through nft, one transaction.
Result<void> replace_dns_servers(const RulesetLoad& load, const ListSets& lists = {});

}  // namespace captive::daemon
