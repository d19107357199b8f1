// The signature of the return URL in the sign-in links we render (the 511
// body, the probe redirect): `&sig=` + 16 hex digits of SipHash-2-4 (libsodium
// crypto_shorthash) keyed with the link key, over the client's MAC address and
// the original URL exactly as the link carries it (after any truncation,
// before url-encoding). The portal honours a link's `url` only when `sig`
// verifies for the MAC of the device that follows it, so nobody can hand a
// user a sign-in link that sends them to a site of the link author's choosing:
// not by crafting one, and not by passing on a link the gateway rendered for
// their own device. docs/security.md explains the choice of SipHash.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "captive/packet/address.hpp"

namespace captive::http {

inline constexpr std::size_t kLinkKeyBytes = 16;  // crypto_shorthash_KEYBYTES
inline constexpr std::size_t kLinkSignatureChars = 16;  // 64-bit tag, lower-case hex
using LinkKey = std::array<std::uint8_t, kLinkKeyBytes>;
using LinkSignature = std::array<char, kLinkSignatureChars>;

// Signs `url` for the device `client`. `url` must be at most kMaxOriginalUrl
// bytes (what the responder renders); longer ones get a signature nothing
// verifies. Never allocates.
LinkSignature sign_link(const LinkKey& key, const packet::MacAddr& client, std::string_view url);
// Whether `signature` is sign_link(key, client, url), compared in constant time.
bool link_signature_valid(const LinkKey& key, const packet::MacAddr& client, std::string_view url,
                          std::string_view signature);

}  // namespace captive::http
