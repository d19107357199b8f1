#include "captive/http/request.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "captured_frames.hpp"

namespace captive::http {
namespace {

TEST(Request, CapturedCurlRequestIpv4) {
  // TCP payload of the captured IPv4 request: 14 + 20 + 32 bytes in.
  const auto frame = fixtures::frame_bytes(fixtures::kV4RequestFrame);
  const auto r = parse_request(frame.subspan(14 + 20 + 32));
  EXPECT_EQ(r.kind, RequestKind::request);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/some/path?x=1");
  EXPECT_TRUE(r.target_complete);
  EXPECT_EQ(r.host, "192.0.2.9");
}

TEST(Request, CapturedCurlRequestIpv6) {
  const auto frame = fixtures::frame_bytes(fixtures::kV6RequestFrame);
  const auto r = parse_request(frame.subspan(14 + 40 + 32));
  EXPECT_EQ(r.kind, RequestKind::request);
  EXPECT_EQ(r.host, "[2001:db8::9]");
}

TEST(Request, HostIsCaseInsensitiveAndTrimmed) {
  const auto r = parse_request("GET / HTTP/1.1\r\nAccept: */*\r\nhOsT: \t example.com:8080 \t\r\n\r\n");
  EXPECT_EQ(r.host, "example.com:8080");
}

TEST(Request, NoHost) {
  const auto r = parse_request("GET /x HTTP/1.0\r\nUser-Agent: a\r\n\r\n");
  EXPECT_EQ(r.kind, RequestKind::request);
  EXPECT_TRUE(r.host.empty());
}

TEST(Request, WeirdHostIsAbsent) {
  for (const char* req : {
           "GET / HTTP/1.1\r\nHost: evil.com\"><script>\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: \r\n\r\n",
           "GET / HTTP/1.1\r\nHost: user@host\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a.com\r\nHost: b.com\r\n\r\n",  // two Hosts
           "GET / HTTP/1.1\r\nHost : a.com\r\n\r\n",                // space before colon
       }) {
    const auto r = parse_request(req);
    EXPECT_EQ(r.kind, RequestKind::request) << req;
    EXPECT_TRUE(r.host.empty()) << req;
  }
  const std::string long_host = "GET / HTTP/1.1\r\nHost: " + std::string(256, 'a') + "\r\n\r\n";
  EXPECT_TRUE(parse_request(long_host).host.empty());
  const std::string max_host = "GET / HTTP/1.1\r\nHost: " + std::string(255, 'a') + "\r\n\r\n";
  EXPECT_EQ(parse_request(max_host).host.size(), 255u);
}

TEST(Request, HostAfterEndOfHeadersIsIgnored) {
  const auto r = parse_request("GET / HTTP/1.1\r\n\r\nHost: body.example\r\n");
  EXPECT_TRUE(r.host.empty());
}

TEST(Request, BareLfAccepted) {
  const auto r = parse_request("GET /a HTTP/1.1\nHost: x.example\n\n");
  EXPECT_EQ(r.kind, RequestKind::request);
  EXPECT_EQ(r.host, "x.example");
}

TEST(Request, AbsoluteForm) {
  const auto r = parse_request("GET http://example.com/a?b HTTP/1.1\r\nHost: example.com\r\n\r\n");
  EXPECT_EQ(r.target, "http://example.com/a?b");
}

TEST(Request, TruncatedInsideTheTarget) {
  const auto r = parse_request("GET /very/long/pa");
  EXPECT_EQ(r.kind, RequestKind::request);
  EXPECT_EQ(r.target, "/very/long/pa");
  EXPECT_FALSE(r.target_complete);
  EXPECT_TRUE(r.host.empty());
}

TEST(Request, TruncatedInsideVersionOrHost) {
  auto r = parse_request("GET /a HTT");
  EXPECT_EQ(r.kind, RequestKind::request);
  EXPECT_TRUE(r.target_complete);
  r = parse_request("GET /a HTTP/1.1\r\nHost: exam");
  EXPECT_EQ(r.kind, RequestKind::request);
  EXPECT_TRUE(r.host.empty());  // a cut-off Host is not used
  r = parse_request("GET /a HTTP/1.1\r\nHost: example.com\r\nAcc");
  EXPECT_EQ(r.host, "example.com");
}

TEST(Request, Continuation) {
  EXPECT_EQ(parse_request("Accept: */*\r\n\r\n").kind, RequestKind::continuation);
  EXPECT_EQ(parse_request("/rest/of/a/long/url HTTP/1.1\r\n").kind, RequestKind::continuation);
  EXPECT_EQ(parse_request("name=value&x=1").kind, RequestKind::continuation);
  EXPECT_EQ(parse_request("GET").kind, RequestKind::continuation);  // no SP yet
}

TEST(Request, NotHttp) {
  const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
  EXPECT_EQ(parse_request(std::string_view(tls, sizeof tls - 1)).kind, RequestKind::not_http);
  EXPECT_EQ(parse_request("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").kind, RequestKind::not_http);
  EXPECT_EQ(parse_request("GET / RTSP/1.0\r\n").kind, RequestKind::not_http);
  EXPECT_EQ(parse_request("GET /\r\n").kind, RequestKind::not_http);  // HTTP/0.9
  EXPECT_EQ(parse_request("GET / HTTP/1.x\r\n").kind, RequestKind::not_http);
  EXPECT_EQ(parse_request("GET / HTTP/1.1 junk\r\n").kind, RequestKind::not_http);
  EXPECT_EQ(parse_request(std::string_view("GET /a\x01 HTTP/1.1", 16)).kind, RequestKind::not_http);
  EXPECT_EQ(parse_request("").kind, RequestKind::not_http);
  EXPECT_EQ(parse_request(std::string(30, 'A') + " / HTTP/1.1\r\n").kind, RequestKind::continuation);
}

TEST(Request, HostValid) {
  EXPECT_TRUE(host_valid("a-b.example.com"));
  EXPECT_TRUE(host_valid("[2001:db8::1]:80"));
  EXPECT_FALSE(host_valid(""));
  EXPECT_FALSE(host_valid("a/b"));
  EXPECT_FALSE(host_valid("a%2e"));
}

TEST(RequestProperty, RandomAndTruncatedInputsStayInside) {
  std::mt19937 rng(7);
  const std::string base = "GET /p?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
  const std::string alphabet = "GET /HTTP1.\r\n: host[]\x80\x01";
  for (int i = 0; i < 5000; ++i) {
    std::string s;
    if (i % 3 == 0) {
      s.resize(rng() % 100);
      for (auto& c : s) c = static_cast<char>(rng());
    } else if (i % 3 == 1) {
      s = base.substr(0, rng() % (base.size() + 1));
    } else {
      s = base;
      for (int k = 0; k < 3; ++k) s[rng() % s.size()] = alphabet[rng() % alphabet.size()];
      s.resize(rng() % (s.size() + 1));
    }
    std::vector<char> exact(s.begin(), s.end());  // heap, exactly sized
    const std::string_view in(exact.data(), exact.size());
    const auto r = parse_request(in);
    for (auto part : {r.method, r.target, r.host}) {
      if (part.empty()) continue;
      EXPECT_GE(part.data(), in.data());
      EXPECT_LE(part.data() + part.size(), in.data() + in.size());
    }
    if (!r.host.empty()) {
      EXPECT_TRUE(host_valid(r.host));
    }
    if (r.kind != RequestKind::request) {
      EXPECT_TRUE(r.method.empty());
    }
  }
}

// The 511's language comes from the first Accept-Language field of a
// complete line (RFC 9110 §12.5.4), a view into the payload.
TEST(ParseRequest, AcceptLanguageOfACompleteLine) {
  auto r = parse_request(std::string_view(
      "GET / HTTP/1.1\r\nhost: a.example\r\naccept-language:  de-CH, de;q=0.9 \r\nAccept-Language: fr\r\n\r\n"));
  EXPECT_EQ(r.host, "a.example");
  EXPECT_EQ(r.accept_language, "de-CH, de;q=0.9");
  EXPECT_EQ(parse_request(std::string_view("GET / HTTP/1.1\r\nAccept-Language: de")).accept_language, "");
  EXPECT_EQ(parse_request(std::string_view("GET / HTTP/1.1\r\nHost: a\r\n\r\n")).accept_language, "");
}

}  // namespace
}  // namespace captive::http
