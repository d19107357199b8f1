#include "captive/http/link_signature.hpp"

#include <sodium.h>

#include <cstring>

#include "captive/http/original_url.hpp"

namespace captive::http {
namespace {

static_assert(kLinkKeyBytes == crypto_shorthash_KEYBYTES);
static_assert(kLinkSignatureChars == crypto_shorthash_BYTES * 2);

constexpr char kHexDigits[] = "0123456789abcdef";

}  // namespace

LinkSignature sign_link(const LinkKey& key, const packet::MacAddr& client, std::string_view url) {
  // MAC (6 bytes, fixed) . URL: the fixed-length prefix makes the encoding
  // unambiguous. A URL past the cap signs as empty under a flag byte no
  // rendered link can produce, so it never verifies as any real link.
  std::uint8_t input[1 + 6 + kMaxOriginalUrl];
  const bool fits = url.size() <= kMaxOriginalUrl;
  input[0] = fits ? 1 : 0;
  std::memcpy(input + 1, client.bytes.data(), 6);
  const std::size_t length = fits ? url.size() : 0;
  if (length != 0) std::memcpy(input + 7, url.data(), length);
  std::uint8_t tag[crypto_shorthash_BYTES];
  crypto_shorthash(tag, input, 7 + length, key.data());
  LinkSignature hex;
  for (std::size_t i = 0; i < sizeof tag; ++i) {
    hex[2 * i] = kHexDigits[tag[i] >> 4];
    hex[2 * i + 1] = kHexDigits[tag[i] & 0x0f];
  }
  return hex;
}

bool link_signature_valid(const LinkKey& key, const packet::MacAddr& client, std::string_view url,
                          std::string_view signature) {
  if (signature.size() != kLinkSignatureChars || url.size() > kMaxOriginalUrl) return false;
  const LinkSignature expected = sign_link(key, client, url);
  return sodium_memcmp(expected.data(), signature.data(), expected.size()) == 0;
}

}  // namespace captive::http
