// Anti-forgery tokens for the sign-in form: a keyed MAC (libsodium
// crypto_auth, HMAC-SHA-512-256) over the client's MAC address and a one-hour
// time slot. A token is only good for the device it was rendered for, and for
// one to two hours; nothing is stored per client.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "captive/packet/address.hpp"

namespace captive::auth {

class TokenIssuer {
 public:
  static constexpr std::uint64_t kSlotSeconds = 3600;
  using Key = std::array<std::uint8_t, 32>;

  explicit TokenIssuer(const Key& key) : key_(key) {}

  // 64 lower-case hex characters.
  std::string issue(const packet::MacAddr& mac, std::uint64_t now_seconds) const;
  // True for a token issued for `mac` in this slot or the one before, compared
  // in constant time.
  bool verify(std::string_view token, const packet::MacAddr& mac, std::uint64_t now_seconds) const;

 private:
  std::string issue_for_slot(const packet::MacAddr& mac, std::uint64_t slot) const;
  Key key_;
};

}  // namespace captive::auth
