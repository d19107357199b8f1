// The answer to an intercepted request, chosen in one place and rendered into
// a caller's buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "captive/http/link_signature.hpp"
#include "captive/http/original_url.hpp"
#include "captive/http/request.hpp"
#include "captive/packet/address.hpp"

namespace captive::http {

enum class AnswerKind : std::uint8_t {
  // 511 (RFC 6585 §6) with a link and a meta refresh to the sign-in page.
  network_authentication_required,
  // 302 Found with an absolute Location to the sign-in page: what the OS
  // connectivity probes of Android/ChromeOS need to offer "Sign in".
  probe_redirect,
};

const char* answer_kind_name(AnswerKind kind);

// THE choice of answer per request. Today: the 511 for everything.
// TODO(P2): a probe table (Host + path -> probe_redirect), operator-editable.
AnswerKind choose_answer(const Request& request);

struct AnswerContext {
  // Sign-in page, absolute ("http://192.0.2.1:8511/"). The original URL is
  // appended as the query parameter `url` (with '?' or '&' as fits), then
  // its signature as `sig` (link_signature.hpp).
  std::string_view portal_url;
  // Key and device the link is signed for: the source MAC of the request's
  // frame, which is the MAC the portal will see the link followed from.
  LinkKey link_key{};
  packet::MacAddr client_mac;
  // Where the request went: the original URL's authority when there is no Host.
  packet::IpAddr destination;
  std::uint16_t destination_port = 80;
  // Cap of the original URL before encoding (<= kMaxOriginalUrl).
  std::size_t max_original_url = kMaxOriginalUrl;
};

// Writes the whole HTTP response (status line, headers, body) into `out` and
// returns its length; 0 when it does not fit. Both kinds carry
// `Cache-Control: no-store`, `Connection: close`, a text/html UTF-8 body that
// is never empty, and an exact Content-Length. Never allocates.
std::size_t render_answer(std::span<char> out, AnswerKind kind, const Request& request,
                          const AnswerContext& context);

}  // namespace captive::http
