#include "captive/http/request.hpp"

namespace captive::http {
namespace {

// How much of a non-request we look at to tell text from binary.
constexpr std::size_t kSniffLength = 64;

// RFC 9110 §5.6.2 tchar.
bool is_tchar(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// Visible ASCII (RFC 5234 VCHAR); what a request-target is made of.
bool is_vchar(char c) { return c > 0x20 && c < 0x7f; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Header text of a later segment, or a body: printable ASCII, whitespace and
// UTF-8. Binary protocols (TLS on port 80, SSH probes) fail this at once.
RequestKind classify_non_request(std::string_view s) {
  const auto n = s.size() < kSniffLength ? s.size() : kSniffLength;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != 0x7f) continue;
    if (c == '\r' || c == '\n' || c == '\t') continue;
    return RequestKind::not_http;
  }
  return n == 0 ? RequestKind::not_http : RequestKind::continuation;
}

// Reads the header lines after the request line for Host (and the first
// Accept-Language). Only complete lines count: a value cut off by the end
// of the data is not used.
std::string_view find_host(std::string_view headers, std::string_view& accept_language) {
  std::string_view host;
  bool language_seen = false;
  bool seen = false;
  while (!headers.empty()) {
    const auto eol = headers.find('\n');
    if (eol == std::string_view::npos) break;  // incomplete last line
    auto line = headers.substr(0, eol);
    headers.remove_prefix(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the header section
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    // RFC 9112 §5.1: no whitespace between field name and colon.
    if (!language_seen && iequals(line.substr(0, colon), "accept-language")) {
      language_seen = true;
      accept_language = trim_ows(line.substr(colon + 1));
      continue;
    }
    if (!iequals(line.substr(0, colon), "host")) continue;
    if (seen) return {};  // RFC 9112 §3.2: more than one Host is invalid
    seen = true;
    host = trim_ows(line.substr(colon + 1));
  }
  return host_valid(host) ? host : std::string_view();
}

Request parse_request_line_and_host(std::string_view s);

}  // namespace

bool host_valid(std::string_view host) {
  if (host.empty() || host.size() > kMaxHostLength) return false;
  for (char c : host) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

Request parse_request(std::string_view s) {
  const Request r = parse_request_line_and_host(s);
  // Only a request has parts worth looking at.
  if (r.kind != RequestKind::request) return Request{r.kind, {}, {}, false, {}, {}};
  return r;
}

Request parse_request(std::span<const std::byte> payload) {
  return parse_request(
      std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()));
}

namespace {

Request parse_request_line_and_host(std::string_view s) {
  Request r;
  // method SP (RFC 9112 §3)
  std::size_t i = 0;
  while (i < s.size() && i <= kMaxMethodLength && is_tchar(s[i])) ++i;
  if (i == 0 || i > kMaxMethodLength || i >= s.size() || s[i] != ' ') {
    r.kind = classify_non_request(s);
    return r;
  }
  r.method = s.substr(0, i);
  ++i;

  // request-target
  const std::size_t target_start = i;
  while (i < s.size() && is_vchar(s[i])) ++i;
  r.target = s.substr(target_start, i - target_start);
  if (i == s.size()) {
    // Cut off inside the target: answer anyway, with what we have.
    r.kind = r.target.empty() ? RequestKind::continuation : RequestKind::request;
    return r;
  }
  if (r.target.empty() || s[i] != ' ') {
    // HTTP/0.9 ("GET /\r\n") or a control byte in the target.
    r.kind = RequestKind::not_http;
    return r;
  }
  ++i;
  r.target_complete = true;

  // HTTP-version: "HTTP/1." DIGIT; a prefix of it when the data ends there.
  constexpr std::string_view kVersion = "HTTP/1.";
  for (std::size_t k = 0; k < kVersion.size(); ++k, ++i) {
    if (i == s.size()) {
      r.kind = RequestKind::request;
      return r;
    }
    if (s[i] != kVersion[k]) {
      r.kind = RequestKind::not_http;  // HTTP/2 prior knowledge, RTSP, ...
      return r;
    }
  }
  if (i < s.size() && !(s[i] >= '0' && s[i] <= '9')) {
    r.kind = RequestKind::not_http;
    return r;
  }
  r.kind = RequestKind::request;
  if (i == s.size()) return r;
  ++i;
  // CRLF (RFC 9112 §2.2 lets a recipient accept a bare LF).
  if (i < s.size() && s[i] == '\r') ++i;
  if (i < s.size() && s[i] != '\n') {
    r.kind = RequestKind::not_http;
    return r;
  }
  if (i == s.size()) return r;
  r.host = find_host(s.substr(i + 1), r.accept_language);
  return r;
}

}  // namespace

}  // namespace captive::http
