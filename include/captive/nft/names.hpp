// What we name in the kernel: table `inet captive`, its sets and chain, and
// the key of an element of our sets. Every other nft file builds on these.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "captive/packet/address.hpp"

namespace captive::nft {

// Family of our table (`table inet captive`).
inline constexpr std::uint16_t kFamily = 1;  // NFPROTO_INET
// Longest object name the kernel takes.
inline constexpr std::size_t kMaxName = 255;  // NFT_NAME_MAXLEN - 1 (NUL)

// What a session is bound to: a MAC (set `allowed`), or with --bind-ip a
// MAC and one address (sets `allowed_ip4`, `allowed_ip6`).
struct Key {
  packet::MacAddr mac;
  std::optional<packet::IpAddr> ip;

  Key() = default;
  Key(const packet::MacAddr& m) : mac(m) {}  // NOLINT: a MAC is a key
  Key(const packet::MacAddr& m, std::optional<packet::IpAddr> address) : mac(m), ip(address) {}
  std::string to_string() const;  // "02:..:01" or "02:..:01 . 192.0.2.2"
  auto operator<=>(const Key&) const = default;
};

struct Names {
  std::string table = "captive";   // family inet
  std::string set = "allowed";
  std::string set_ip4 = "allowed_ip4";
  std::string set_ip6 = "allowed_ip6";
  // Per session: its mark by MAC (map, `ct mark set` in forward), its
  // download counter by mark, and the rate limits, up by MAC, down by mark
  // (docs/ruleset.md).
  std::string marks = "session_marks";
  std::string set_down = "allowed_down";
  std::string rate_up = "rate_up";
  std::string rate_down = "rate_down";
  std::string chain = "intercept";

  const std::string& set_for(const Key& key) const {
    if (!key.ip) return set;
    return key.ip->is_v4() ? set_ip4 : set_ip6;
  }
  // A copy whose `set` is the set of `key` (the builders name `set`).
  Names for_key(const Key& key) const {
    Names n = *this;
    n.set = set_for(key);
    return n;
  }
};

// true when every name is 1..kMaxName bytes with no NUL.
bool names_valid(const Names& names);

}  // namespace captive::nft
