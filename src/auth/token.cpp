#include "captive/auth/token.hpp"

#include <sodium.h>

namespace captive::auth {

std::string TokenIssuer::issue_for_slot(const packet::MacAddr& mac, std::uint64_t slot) const {
  std::uint8_t message[6 + 8];
  for (std::size_t i = 0; i < 6; ++i) message[i] = mac.bytes[i];
  for (std::size_t i = 0; i < 8; ++i) message[6 + i] = static_cast<std::uint8_t>(slot >> (8 * i));
  std::uint8_t tag[crypto_auth_BYTES];
  crypto_auth(tag, message, sizeof message, key_.data());
  char hex[crypto_auth_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, tag, sizeof tag);
  return std::string(hex);
}

std::string TokenIssuer::issue(const packet::MacAddr& mac, std::uint64_t now_seconds) const {
  return issue_for_slot(mac, now_seconds / kSlotSeconds);
}

bool TokenIssuer::verify(std::string_view token, const packet::MacAddr& mac,
                         std::uint64_t now_seconds) const {
  if (token.size() != crypto_auth_BYTES * 2) return false;
  std::uint64_t slot = now_seconds / kSlotSeconds;
  for (std::uint64_t s : {slot, slot - 1}) {
    std::string expected = issue_for_slot(mac, s);
    if (sodium_memcmp(expected.data(), token.data(), expected.size()) == 0) return true;
  }
  return false;
}

}  // namespace captive::auth
