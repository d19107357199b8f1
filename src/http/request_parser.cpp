#include "captive/http/request_parser.hpp"

#include <algorithm>

namespace captive::http {
namespace {

// RFC 9110 §5.6.2 tchar.
bool tchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return tchar(static_cast<unsigned char>(c)); });
}

// RFC 9110 §5.5 field-value: VCHAR, obs-text, SP and HTAB (no CTL: a CR, LF
// or NUL in a value is how responses get split and requests smuggled).
bool field_char(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x | 0x20 : x) == (y >= 'A' && y <= 'Z' ? y | 0x20 : y);
         });
}

// True when the comma-separated list `value` has `item` (case-insensitive).
bool has_item(std::string_view value, std::string_view item) {
  while (!value.empty()) {
    auto comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), item)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

RequestParser::State RequestParser::fail(int status) {
  error_ = status;
  state_ = State::error;
  return state_;
}

RequestParser::State RequestParser::feed(std::string_view bytes) {
  if (state_ == State::error) return state_;
  buffer_.append(bytes);
  if (state_ == State::complete) return state_;  // the next request's bytes wait for next()
  return parse();
}

RequestParser::State RequestParser::next() {
  if (state_ != State::complete) return state_;
  buffer_.erase(0, head_length_ + body_length_);
  scanned_ = head_length_ = body_length_ = 0;
  in_method_ = true;
  request_ = ParsedRequest{};
  state_ = State::need_more;
  return parse();
}

RequestParser::State RequestParser::parse() {
  if (head_length_ == 0) {
    // RFC 9112 §2.2: empty lines before a request line are ignored (some
    // clients send a CRLF after a POST body).
    std::size_t skip = 0;
    while (buffer_.compare(skip, 2, "\r\n") == 0) skip += 2;
    if (skip > 0) {
      buffer_.erase(0, skip);
      scanned_ = 0;
    }
    // What can be refused before the blank line is, as it arrives (binary,
    // TLS or junk is answered at once, not after 8 KiB or the deadline):
    // control characters (none is valid in a header section but HTAB and
    // CRLF), a CR without LF or LF without CR, a method that is no token.
    // Up to the blank line only: the body is anything.
    std::size_t end = std::string::npos;
    for (std::size_t i = scanned_; i < buffer_.size() && end == std::string::npos; ++i) {
      // The first byte past the limit decides, before what it is: the
      // same answer however the bytes were cut.
      if (i >= limits_.max_header) return fail(431);
      const auto c = static_cast<unsigned char>(buffer_[i]);
      const bool after_cr = i > 0 && buffer_[i - 1] == '\r';
      if (after_cr != (c == '\n')) return fail(400);
      if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) return fail(400);
      if (in_method_ && !(c == '\r' && i == 0)) {
        if (c == ' ') {
          in_method_ = false;
        } else if (!tchar(c)) {
          return fail(400);
        }
      }
      if (c == '\n' && i >= 3 && buffer_.compare(i - 3, 4, "\r\n\r\n") == 0) end = i - 3;
    }
    if (end == std::string::npos) {
      scanned_ = buffer_.size();
      if (buffer_.size() > limits_.max_header) return fail(431);
      return state_ = State::need_more;
    }
    if (end + 4 > limits_.max_header) return fail(431);
    head_length_ = end + 4;
    if (parse_head(std::string_view(buffer_).substr(0, end + 2)) == State::error) return state_;
  }
  if (buffer_.size() - head_length_ < body_length_) return state_ = State::need_more;
  request_.body.assign(buffer_, head_length_, body_length_);
  return state_ = State::complete;
}

RequestParser::State RequestParser::parse_head(std::string_view head) {
  // Request line (RFC 9112 §3): method SP request-target SP HTTP-version.
  auto eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  head.remove_prefix(eol + 2);
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return fail(400);
  const auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return fail(400);
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!token(method) || target.empty()) return fail(400);
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) return fail(400);
  if (version == "HTTP/1.1") {
    request_.version = 11;
  } else if (version == "HTTP/1.0") {
    request_.version = 10;
  } else if (version.size() == 8 && version.starts_with("HTTP/") && version[5] >= '0' && version[5] <= '9' &&
             version[6] == '.' && version[7] >= '0' && version[7] <= '9') {
    return fail(505);
  } else {
    return fail(400);
  }
  request_.method = method;
  request_.target = target;

  // Field lines (RFC 9112 §5): field-name ":" OWS field-value OWS.
  std::size_t hosts = 0;
  bool have_length = false;
  bool transfer_encoding = false, chunked = false;
  bool close = false;
  while (!head.empty()) {
    eol = head.find("\r\n");
    line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    // §5.2: obs-fold is refused with 400 (a field line may not begin with
    // whitespace); §5.1: no whitespace between name and colon.
    if (line.empty() || line.front() == ' ' || line.front() == '\t') return fail(400);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return fail(400);
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (!token(name)) return fail(400);
    for (char c : value)
      if (!field_char(static_cast<unsigned char>(c))) return fail(400);
    if (iequals(name, "Content-Length")) {
      // §6.3: once, one number. A repeat (even of the same number) or a
      // list is refused: two readings of a length are how requests are
      // smuggled past a proxy.
      if (have_length || value.empty()) return fail(400);
      have_length = true;
      if (!std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) return fail(400);
      std::size_t n = 0;
      for (char c : value) {
        n = n * 10 + static_cast<std::size_t>(c - '0');
        if (n > limits_.max_body) break;  // also before any overflow
      }
      body_length_ = n;
    } else if (iequals(name, "Transfer-Encoding")) {
      transfer_encoding = true;
      if (has_item(value, "chunked")) chunked = true;
    } else if (iequals(name, "Host")) {
      ++hosts;
    } else if (iequals(name, "Connection")) {
      if (has_item(value, "close")) close = true;
    }
    request_.fields.emplace_back(name, value);
  }
  // §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing; we read no
  // chunked bodies (the portal's forms are small and clients send them
  // with Content-Length): 411 asks for one; other codings are 501.
  if (transfer_encoding) {
    if (request_.version == 10) return fail(400);
    return fail(chunked ? 411 : 501);
  }
  if (body_length_ > limits_.max_body) return fail(413);
  // §3.2: an HTTP/1.1 request has exactly one Host; never two in any version.
  if (hosts > 1 || (request_.version == 11 && hosts == 0)) return fail(400);
  request_.keep_alive = request_.version == 11 && !close;
  return state_ = State::need_more;
}

}  // namespace captive::http
