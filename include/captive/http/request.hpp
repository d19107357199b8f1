// What the responder needs of an intercepted HTTP/1.x request: the request
// line (RFC 9112 §3) and the Host header (RFC 9112 §3.2), read from the first
// TCP segment's data, which may be cut short by the copy range or by the
// client's segmentation. Views into the payload; nothing is copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace captive::http {

inline constexpr std::size_t kMaxMethodLength = 20;  // longest registered: "BASELINE-CONTROL" (16)
inline constexpr std::size_t kMaxHostLength = 255;   // RFC 1035 §2.3.4 name length

enum class RequestKind : std::uint8_t {
  request,       // starts with `token SP target [SP HTTP/1.x]`
  continuation,  // text that does not start a request: a later segment of one
  not_http,      // binary, or a request line that is not HTTP/1.x
};

struct Request {
  RequestKind kind = RequestKind::not_http;
  std::string_view method;
  // As far as present: when the data ends inside the request line this is the
  // target's beginning and target_complete is false.
  std::string_view target;
  bool target_complete = false;
  // Empty when absent, repeated, invalid (chars outside [A-Za-z0-9.:[]-] or
  // longer than 255) or cut short: a wrong Host is worse than none, since the
  // destination address is the fallback.
  std::string_view host;
  // The first Accept-Language field's value (RFC 9110 §12.5.4), from a
  // complete line; empty when absent. Picks the 511's language only.
  std::string_view accept_language;
};

// Never reads outside `payload`, never allocates. The returned views point
// into `payload`.
Request parse_request(std::span<const std::byte> payload);
// The same over text.
Request parse_request(std::string_view payload);

// True for a Host value we will put into a URL: 1-255 chars of
// [A-Za-z0-9.-:[]] (names, IPv4, bracketed IPv6, optional port).
bool host_valid(std::string_view host);

}  // namespace captive::http
