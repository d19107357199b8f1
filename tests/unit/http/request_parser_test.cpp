// http::RequestParser, the portal's HTTP/1.1 request reader: RFC 9112's
// framing rules (request line, field lines, Content-Length, no
// Transfer-Encoding), the limits of docs/security.md (8 KiB of header
// section -> 431, 16 KiB of body -> 413), any split of the bytes, and
// pipelined requests kept for next().
#include "captive/http/request_parser.hpp"

#include <gtest/gtest.h>

#include <string>

namespace captive::http {
namespace {

using State = RequestParser::State;

// The parser's state after `bytes` in one piece.
RequestParser parsed(const std::string& bytes, RequestLimits limits = {}) {
  RequestParser parser(limits);
  parser.feed(bytes);
  return parser;
}

int refused_with(const std::string& bytes) {
  auto parser = parsed(bytes);
  return parser.state() == State::error ? parser.error_status() : 0;
}

TEST(RequestParser, SimpleGet) {
  auto p = parsed("GET /a?b=c HTTP/1.1\r\nHost: 192.0.2.1\r\nAccept:  */* \r\n\r\n");
  ASSERT_EQ(p.state(), State::complete);
  EXPECT_EQ(p.request().method, "GET");
  EXPECT_EQ(p.request().target, "/a?b=c");
  EXPECT_EQ(p.request().version, 11u);
  ASSERT_EQ(p.request().fields.size(), 2u);
  EXPECT_EQ(p.request().fields[1].first, "Accept");
  EXPECT_EQ(p.request().fields[1].second, "*/*");  // OWS trimmed (§5.1)
  EXPECT_TRUE(p.request().keep_alive);
  EXPECT_EQ(p.request().body, "");
}

TEST(RequestParser, BodyByContentLength) {
  auto p = parsed("POST /login HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\na=1&b");
  ASSERT_EQ(p.state(), State::complete);
  EXPECT_EQ(p.request().body, "a=1&b");
  // The body is bytes: NULs, bare LFs, anything (found by e2e 085's forms).
  const std::string body("\0\n\r\x7f\xff\0", 6);
  RequestParser split;
  split.feed("POST /login HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r");
  ASSERT_EQ(split.feed("\n" + body), State::complete);
  EXPECT_EQ(split.request().body, body);
}

// Every split of a request, byte by byte: the same request.
TEST(RequestParser, AnySplit) {
  const std::string req = "POST /login HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\ntoken=x";
  for (std::size_t cut = 0; cut <= req.size(); ++cut) {
    RequestParser p;
    p.feed(req.substr(0, cut));
    if (cut < req.size()) {
      EXPECT_EQ(p.state(), State::need_more) << cut;
    }
    ASSERT_EQ(p.feed(req.substr(cut)), State::complete) << cut;
    EXPECT_EQ(p.request().body, "token=x");
  }
  RequestParser p;
  for (char c : req) p.feed(std::string(1, c));
  ASSERT_EQ(p.state(), State::complete);
  EXPECT_EQ(p.request().target, "/login");
}

// RFC 9112 §9.3.2: pipelined requests are answered in order; the bytes of
// the next request wait for next().
TEST(RequestParser, Pipelined) {
  RequestParser p;
  ASSERT_EQ(p.feed("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nokGET /3"),
            State::complete);
  EXPECT_EQ(p.request().target, "/1");
  ASSERT_EQ(p.next(), State::complete);
  EXPECT_EQ(p.request().target, "/2");
  EXPECT_EQ(p.request().body, "ok");
  EXPECT_EQ(p.next(), State::need_more);
  EXPECT_FALSE(p.empty());
  ASSERT_EQ(p.feed(" HTTP/1.1\r\nHost: h\r\n\r\n"), State::complete);
  EXPECT_EQ(p.request().target, "/3");
  EXPECT_EQ(p.next(), State::need_more);
  EXPECT_TRUE(p.empty());
}

// §2.2: empty lines before the request line are skipped.
TEST(RequestParser, LeadingEmptyLines) {
  auto p = parsed("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(p.state(), State::complete);
  EXPECT_EQ(p.request().method, "GET");
}

// §9.3: HTTP/1.1 persists unless Connection: close; HTTP/1.0 closes.
TEST(RequestParser, Persistence) {
  EXPECT_FALSE(parsed("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n").request().keep_alive);
  auto old = parsed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_EQ(old.state(), State::complete);  // no Host needed in 1.0
  EXPECT_EQ(old.request().version, 10u);
  EXPECT_FALSE(old.request().keep_alive);
}

TEST(RequestParser, MissingContentLengthIsNoBody) {
  // §6.3 (7): a request without Content-Length or Transfer-Encoding has no
  // body; what follows is the next request.
  auto p = parsed("POST /login HTTP/1.1\r\nHost: h\r\n\r\ntoken=x");
  ASSERT_EQ(p.state(), State::complete);
  EXPECT_EQ(p.request().body, "");
}

// §6.3 (5): a Content-Length given twice (even with the same number) or as
// a list, or not a number, is refused: the framing is ambiguous.
TEST(RequestParser, ContentLengthOnceAndANumber) {
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"), 400);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"), 400);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc"), 400);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -5\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nabcde"), 400);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n"), 400);
}

// §6.1: we read no chunked bodies: 411 asks for a Content-Length; other
// codings are 501; in HTTP/1.0 Transfer-Encoding is faulty framing (400).
TEST(RequestParser, TransferEncodingRefused) {
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 411);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 411);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"), 411);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"), 501);
  EXPECT_EQ(refused_with("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
}

// §5.2: obs-fold is refused; §5.1: no whitespace before the colon; no
// control characters in values (response splitting, smuggling).
TEST(RequestParser, FieldLineSyntax) {
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n\tb\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: h\r\nNo colon\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: h\r\n: empty name\r\n\r\n"), 400);
  EXPECT_EQ(refused_with(std::string("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0b\r\n\r\n", 37)), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\nb\r\n\r\n"), 400);
  // obs-text (0x80-0xff) is a valid value byte (RFC 9110 §5.5).
  EXPECT_EQ(parsed("GET / HTTP/1.1\r\nHost: h\r\nX-A: caf\xc3\xa9\r\n\r\n").state(), State::complete);
}

// §3.2: one Host in HTTP/1.1, never two.
TEST(RequestParser, Host) {
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
}

TEST(RequestParser, BadRequestLine) {
  EXPECT_EQ(refused_with("GET /\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);   // empty target
  EXPECT_EQ(refused_with("G T / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1 \r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / http/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(refused_with(std::string("\x16\x03\x01\x00\xa5\r\n\r\n", 9)), 400);
  EXPECT_EQ(refused_with("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(refused_with("GET / HTTP/9.9\r\n\r\n"), 505);
}

// RFC 6585 §5: a header section over the limit is 431, whether one field is
// huge, there are many, or the target is long; found before the blank line.
TEST(RequestParser, HeaderLimit431) {
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(9000, 'h') + "\r\n\r\n"), 431);
  std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 2000; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(refused_with(many + "\r\n"), 431);
  EXPECT_EQ(refused_with("GET /" + std::string(9000, 'p') + " HTTP/1.1\r\nHost: h\r\n\r\n"), 431);
  // Without the end in sight, as soon as the buffer passes the limit.
  RequestParser p;
  p.feed("GET / HTTP/1.1\r\nX: " + std::string(8 * 1024, 'a'));
  EXPECT_EQ(p.state(), State::error);
  EXPECT_EQ(p.error_status(), 431);
  // Exactly at the limit: read.
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
  head += std::string(8 * 1024 - head.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(head.size(), 8u * 1024);
  EXPECT_EQ(parsed(head).state(), State::complete);
}

// RFC 9110 §15.5.14: a body over the limit is 413, refused from its
// Content-Length before any of it is read.
TEST(RequestParser, BodyLimit413) {
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 16385\r\n\r\n"), 413);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000000000\r\n\r\n"), 413);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999999999\r\n\r\n"), 413);
  auto p = parsed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 16384\r\n\r\n" + std::string(16384, 'b'));
  ASSERT_EQ(p.state(), State::complete);
  EXPECT_EQ(p.request().body.size(), 16384u);
}

// What is not HTTP is refused as soon as it shows (binary, a TLS hello,
// NULs, bare LFs), not after 8 KiB or the client's deadline.
TEST(RequestParser, JunkRefusedAtOnce) {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
  for (const std::string& junk : {binary, std::string(16, '\0'), std::string("\x16\x03\x01\x00\xa5\x01", 6),
                                  std::string(16, '\n'), std::string("GE\x80T / HTTP/1.1"), std::string("GET /\r\r"),
                                  std::string("GET / HTTP/1.1\nHost: h")}) {
    RequestParser p;
    EXPECT_EQ(p.feed(junk.substr(0, 16)), State::error) << junk.substr(0, 16);
    EXPECT_EQ(p.error_status(), 400);
  }
  // A CR and its LF in different pieces is fine.
  RequestParser p;
  EXPECT_EQ(p.feed("\r"), State::need_more);
  EXPECT_EQ(p.feed("\nGET / HTTP/1.1\r"), State::need_more);
  EXPECT_EQ(p.feed("\nHost: h\r\n\r\n"), State::complete);
}

// After an error the parser stays refused: the framing is unknown.
TEST(RequestParser, ErrorIsFinal) {
  RequestParser p;
  EXPECT_EQ(p.feed("BAD\r\n\r\n"), State::error);
  EXPECT_EQ(p.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), State::error);
  EXPECT_EQ(p.next(), State::error);
  EXPECT_EQ(p.error_status(), 400);
}

}  // namespace
}  // namespace captive::http
