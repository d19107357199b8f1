// Anti-forgery tokens for the sign-in form: a keyed MAC (libsodium
// crypto_auth, HMAC-SHA-512-256) over the client's MAC address, a one-hour
// time slot and the return URL the form carries. A token is only good for the
// device it was rendered for, for one to two hours, and for that URL: a form
// whose `url` was changed after we rendered it is refused. Nothing is stored
// per client.
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

  // 64 lower-case hex characters. `url` may be empty (no return URL).
  std::string issue(const packet::MacAddr& mac, std::string_view url, std::uint64_t now_seconds) const;
  // True for a token issued for `mac` and exactly `url` in this slot or the
  // one before, compared in constant time.
  bool verify(std::string_view token, const packet::MacAddr& mac, std::string_view url,
              std::uint64_t now_seconds) const;

 private:
  std::string issue_for_slot(const packet::MacAddr& mac, std::string_view url, std::uint64_t slot) const;
  Key key_;
};

}  // namespace captive::auth
