#include "captive/auth/token.hpp"

#include <sodium.h>

namespace captive::auth {
namespace {

void put_u64(std::uint8_t* out, std::uint64_t v) {
  for (std::size_t i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

}  // namespace

std::string TokenIssuer::issue_for_slot(const packet::MacAddr& mac, std::string_view url,
                                        std::uint64_t slot) const {
  // MAC (6) . slot (8) . URL length (8) . URL: the length makes the encoding
  // unambiguous, so no (slot, url) pair can pose as another.
  std::uint8_t head[6 + 8 + 8];
  for (std::size_t i = 0; i < 6; ++i) head[i] = mac.bytes[i];
  put_u64(head + 6, slot);
  put_u64(head + 14, url.size());
  // crypto_auth is HMAC-SHA-512-256; its streaming form gives the same tag
  // without copying the URL into one buffer.
  crypto_auth_hmacsha512256_state state;
  crypto_auth_hmacsha512256_init(&state, key_.data(), key_.size());
  crypto_auth_hmacsha512256_update(&state, head, sizeof head);
  crypto_auth_hmacsha512256_update(&state, reinterpret_cast<const unsigned char*>(url.data()), url.size());
  std::uint8_t tag[crypto_auth_hmacsha512256_BYTES];
  crypto_auth_hmacsha512256_final(&state, tag);
  sodium_memzero(&state, sizeof state);
  char hex[sizeof tag * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, tag, sizeof tag);
  return std::string(hex);
}

std::string TokenIssuer::issue(const packet::MacAddr& mac, std::string_view url, std::uint64_t now_seconds) const {
  return issue_for_slot(mac, url, now_seconds / kSlotSeconds);
}

bool TokenIssuer::verify(std::string_view token, const packet::MacAddr& mac, std::string_view url,
                         std::uint64_t now_seconds) const {
  if (token.size() != crypto_auth_hmacsha512256_BYTES * 2) return false;
  std::uint64_t slot = now_seconds / kSlotSeconds;
  for (std::uint64_t s : {slot, slot - 1}) {
    std::string expected = issue_for_slot(mac, url, s);
    if (sodium_memcmp(expected.data(), token.data(), expected.size()) == 0) return true;
  }
  return false;
}

}  // namespace captive::auth
