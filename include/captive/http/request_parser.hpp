// The portal's HTTP/1.1 request reader (RFC 9112), fed what a connection
// reads, in pieces of any size: request line, header fields, and a body of
// Content-Length bytes. Pure (no sockets): the portal server runs it over
// Asio, the fuzzer and the unit tests over bytes. Replaces Boost.Beast's
// parser (docs/design.md, "Portal server").
//
// What it refuses, as the status to answer before closing:
//   400  a bad request line, a field line that is not `token ":" value`,
//        whitespace before the colon (§5.1), obs-fold (§5.2), a control
//        character in a value, a Content-Length that is not one decimal
//        number given once (§6.3: repeated or list values, even equal ones,
//        are refused: no two readings of one message), Transfer-Encoding in
//        HTTP/1.0 (§6.1), an HTTP/1.1 request without exactly one Host (§3.2)
//   411  Transfer-Encoding chunked (we take a body only with Content-Length)
//   413  a Content-Length above max_body (RFC 9110 §15.5.14)
//   431  a request line and header section above max_header (RFC 6585 §5)
//   501  any other Transfer-Encoding (§6.1: one we do not implement)
//   505  an HTTP version other than 1.0 and 1.1
// After an error the connection closes (its framing is unknown).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace captive::http {

struct RequestLimits {
  std::size_t max_header = 8 * 1024;  // request line and fields, with CRLFs
  std::size_t max_body = 16 * 1024;   // a sign-in form is a few hundred bytes
};

struct ParsedRequest {
  std::string method;
  std::string target;
  unsigned version = 11;  // 10 or 11
  std::vector<std::pair<std::string, std::string>> fields;  // as sent, OWS trimmed
  std::string body;
  // RFC 9112 §9.3: HTTP/1.1 persists unless `Connection: close`; HTTP/1.0
  // closes (we do not offer its keep-alive extension).
  bool keep_alive = true;
};

class RequestParser {
 public:
  enum class State { need_more, complete, error };

  explicit RequestParser(RequestLimits limits = {}) : limits_(limits) {}

  // Adds bytes read from the connection; bytes after a complete request
  // (pipelined, RFC 9112 §9.3.2) are kept for the next one.
  State feed(std::string_view bytes);
  State state() const { return state_; }
  // When complete.
  const ParsedRequest& request() const { return request_; }
  ParsedRequest& request() { return request_; }
  // When error: 400, 411, 413, 431, 501 or 505.
  int error_status() const { return error_; }
  // Drops the complete request and starts on the bytes after it: the next
  // state (complete again when a whole pipelined request was there).
  State next();
  // True when nothing of a next request has arrived (an idle connection).
  bool empty() const { return buffer_.empty(); }

 private:
  State parse();
  State fail(int status);
  State parse_head(std::string_view head);

  RequestLimits limits_;
  std::string buffer_;
  std::size_t scanned_ = 0;      // where the search for the blank line goes on
  std::size_t head_length_ = 0;  // through the blank line; 0 until found
  std::size_t body_length_ = 0;
  bool in_method_ = true;        // no SP seen yet in the request line
  ParsedRequest request_;
  State state_ = State::need_more;
  int error_ = 0;
};

}  // namespace captive::http
