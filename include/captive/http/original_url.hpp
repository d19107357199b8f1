// The URL the client asked for, rebuilt from an intercepted request so the
// sign-in page can send the browser back to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "captive/http/request.hpp"
#include "captive/packet/address.hpp"

namespace captive::http {

// Bounded so that answers are bounded: 1024 bytes of URL become at most
// 3072 url-encoded bytes, twice in the 511 body.
inline constexpr std::size_t kMaxOriginalUrl = 1024;

// "http://" + Host (or the destination address, IPv6 in brackets, with
// ":port" when not 80) + target for an origin-form target (RFC 9112 §3.2.1);
// an absolute-form target (§3.2.2) as it is; "/" in place of authority- and
// asterisk-form targets. Writes at most out.size() bytes (the rest is cut
// off) and returns the length written. Never allocates.
std::size_t original_url(std::span<char> out, const Request& request,
                         const packet::IpAddr& destination, std::uint16_t destination_port);

}  // namespace captive::http
