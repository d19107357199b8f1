// The MAC lists (trusted: never intercepted, always forwarded; blocked:
// never forwarded, no sign-in) and the walled garden's values (prefixes,
// domain names). Pure: parsing, validation, the list file's format; the
// daemon puts the lists into the kernel sets `trusted` / `blocked` of
// nft/captive.nft and writes the file (docs/operations.md, "Lists").
//
// Entries come from two places: the configuration (--trusted-mac,
// --blocked-mac; fixed for the run) and run time (captivectl trust, block,
// unblock, untrust; kept in the list file of --state-dir, so they survive a
// restart). The kernel gets the union. A MAC is never both trusted and
// blocked: a run-time change moves it from one run-time list to the other,
// and one that contradicts the configuration is refused (edit the config).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "captive/packet/address.hpp"
#include "captive/util/result.hpp"

namespace captive::session {

// More entries than this is not a venue's list but a mistake; the bound also
// keeps the nft script that loads the sets within one pipe write
// (daemon/ruleset_loader: 2 x 1024 MACs x 19 bytes + the garden < 64 KiB).
inline constexpr std::size_t kMaxListMacs = 1024;
inline constexpr std::size_t kMaxGardenPrefixes = 256;
inline constexpr std::size_t kMaxGardenDomains = 256;

// The list file in --state-dir.
inline constexpr std::string_view kListsFileName = "lists";

// A MAC for a list: a unicast, non-zero Ethernet address (a multicast
// source address never appears on the wire; 00:..:00 is a typo). Errors
// name the value.
Result<packet::MacAddr> parse_list_mac(std::string_view text);

// ADDR or ADDR/LEN, IPv4 or IPv6 (--allow-ip). The address must have no bits
// set beyond LEN (203.0.113.5/24 is refused: 203.0.113.0/24 or .5/32 was
// meant, and nft would refuse it too).
struct IpPrefix {
  packet::IpAddr address;
  std::uint8_t length = 32;
  static Result<IpPrefix> parse(std::string_view text);
  // "203.0.113.0/24", a single host without "/LEN".
  std::string to_string() const;
  auto operator<=>(const IpPrefix&) const = default;
};

// A name for --allow-domain (dnsmasq matches it and every name below it):
// labels of letters, digits and '-', 1-63 bytes each, not starting or ending
// with '-', at most 253 bytes, at least two labels; a trailing '.' is
// dropped. Returned in lower case. No '/', '#', ',' or spaces: the name goes
// into dnsmasq's `nftset=/NAME/...` line.
Result<std::string> parse_domain(std::string_view text);

// The dnsmasq configuration that makes the router's resolver put every
// address it resolves for `domains` into our sets garden_dns4 / garden_dns6
// (dnsmasq >= 2.87 built with nftset). Empty domains: a comment only. Pure.
std::string dnsmasq_snippet(const std::vector<std::string>& domains);

enum class ListSource { config, runtime };

struct ListEntry {
  packet::MacAddr mac;
  ListSource source = ListSource::config;
};

class MacLists {
 public:
  MacLists() = default;
  // The configuration's lists; a MAC in both is an error (EINVAL), as is a
  // list longer than kMaxListMacs.
  static Result<MacLists> from_config(const std::vector<packet::MacAddr>& trusted,
                                      const std::vector<packet::MacAddr>& blocked);

  // A reload of the configuration (SIGHUP, captivectl reload): its lists
  // replace the old ones (same checks as from_config; on error nothing
  // changes). Run-time entries the new configuration contradicts, or now
  // repeats, are dropped; the sentences saying which are returned.
  Result<std::vector<std::string>> replace_config(const std::vector<packet::MacAddr>& trusted,
                                                  const std::vector<packet::MacAddr>& blocked);

  // Run-time changes. True if something changed, false if it already was so.
  // Refused (EPERM) when the configuration says otherwise (a config-blocked
  // MAC cannot be trusted or unblocked at run time, and the other way
  // round); ENOSPC when the list is full; ENOENT for unblock/untrust of a MAC
  // that is not on the run-time list.
  Result<bool> trust(const packet::MacAddr& mac);
  Result<bool> block(const packet::MacAddr& mac);
  Result<bool> unblock(const packet::MacAddr& mac);
  Result<bool> untrust(const packet::MacAddr& mac);

  bool is_trusted(const packet::MacAddr& mac) const;
  bool is_blocked(const packet::MacAddr& mac) const;
  // The union of both sources, sorted: what the kernel sets hold.
  std::vector<packet::MacAddr> trusted() const;
  std::vector<packet::MacAddr> blocked() const;
  // Each entry with where it comes from (config first), for captivectl.
  std::vector<ListEntry> trusted_entries() const;
  std::vector<ListEntry> blocked_entries() const;

  // The run-time entries as the list file holds them:
  //   # captived lists: ...
  //   trust 02:00:00:00:01:02
  //   block 02:00:00:00:01:03
  std::string runtime_file() const;
  // Takes the run-time entries from a list file. An unknown line, a bad MAC
  // or a MAC now in the configuration's other list is skipped and reported
  // in `skipped` ("lists:3: ..."), never fatal: the daemon must start.
  void load_runtime_file(std::string_view text, std::vector<std::string>& skipped);

 private:
  std::set<packet::MacAddr> config_trusted_, config_blocked_;
  std::set<packet::MacAddr> runtime_trusted_, runtime_blocked_;
};

// Writes `content` to DIR/NAME so that after a crash at any moment the file
// is either the old one or the new one: a temp file in DIR, fsync, rename
// over NAME, fsync DIR. Mode 0600. Blocks (fsync): call off the event loop.
Result<void> write_file_atomically(const std::string& dir, std::string_view name, std::string_view content);
// The whole file, nullopt if it does not exist.
Result<std::optional<std::string>> read_small_file(const std::string& path);

}  // namespace captive::session
