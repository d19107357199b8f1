#include "captive/http/answer.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "captive/http/text.hpp"

namespace captive::http {
namespace {

struct Rendered {
  std::string head;  // status line + headers, without the blank line
  std::string body;
};

Rendered render(AnswerKind kind, std::string_view request, std::string_view portal,
                std::string_view dst = "192.0.2.9") {
  std::array<char, 16384> buf{};
  AnswerContext ctx;
  ctx.portal_url = portal;
  ctx.destination = *packet::IpAddr::parse(dst);
  const auto n = render_answer(buf, kind, parse_request(request), ctx);
  EXPECT_GT(n, 0u);
  const std::string all(buf.data(), n);
  const auto split = all.find("\r\n\r\n");
  EXPECT_NE(split, std::string::npos);
  return {all.substr(0, split), all.substr(split + 4)};
}

TEST(Answer, ChooseIs511ForEverythingToday) {
  EXPECT_EQ(choose_answer(parse_request("GET /generate_204 HTTP/1.1\r\nHost: connectivitycheck.gstatic.com\r\n\r\n")),
            AnswerKind::network_authentication_required);
  EXPECT_EQ(choose_answer(parse_request("GET / HTTP/1.1\r\n\r\n")),
            AnswerKind::network_authentication_required);
  EXPECT_STREQ(answer_kind_name(AnswerKind::probe_redirect), "probe_redirect");
}

TEST(Answer, Exact511Headers) {
  const auto r = render(AnswerKind::network_authentication_required,
                        "GET /some/path?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
                        "http://192.0.2.1:8511/");
  const std::string expected_head =
      "HTTP/1.1 511 Network Authentication Required\r\n"
      "Content-Type: text/html; charset=UTF-8\r\n"
      "Cache-Control: no-store\r\n"
      "Connection: close\r\n"
      "Content-Length: " +
      std::to_string(r.body.size());
  EXPECT_EQ(r.head, expected_head);
  const std::string link = "http://192.0.2.1:8511/?url=http%3A%2F%2Fexample.com%2Fsome%2Fpath%3Fx%3D1";
  EXPECT_NE(r.body.find("<meta http-equiv=\"refresh\" content=\"0; url=" + link + "\">"), std::string::npos);
  EXPECT_NE(r.body.find("<a href=\"" + link + "\">"), std::string::npos);
}

TEST(Answer, LinkDecodesBackToOriginalUrl) {
  const auto r = render(AnswerKind::network_authentication_required,
                        "GET /a%20b?c=d&e=<f> HTTP/1.1\r\nHost: example.com\r\n\r\n", "http://p/");
  const auto at = r.body.find("href=\"http://p/?") + 16;
  const auto end = r.body.find('"', at);
  EXPECT_EQ(form_value(r.body.substr(at, end - at), "url"), "http://example.com/a%20b?c=d&e=<f>");
}

TEST(Answer, PortalUrlIsEscapedAndJoinedWithAmpersand) {
  const auto r = render(AnswerKind::network_authentication_required, "GET / HTTP/1.1\r\n\r\n",
                        "http://p/login?lang=en&x=\"<>");
  EXPECT_NE(r.body.find("href=\"http://p/login?lang=en&amp;x=&quot;&lt;&gt;&amp;url=http%3A%2F%2F192.0.2.9%2F\""),
            std::string::npos);
  EXPECT_EQ(r.body.find("<>"), std::string::npos);
}

TEST(Answer, NoHostIpv6UsesBracketedDestination) {
  const auto r = render(AnswerKind::network_authentication_required, "GET /x HTTP/1.0\r\n\r\n",
                        "http://[2001:db8::1]:8511/", "2001:db8::9");
  EXPECT_NE(r.body.find("?url=http%3A%2F%2F%5B2001%3Adb8%3A%3A9%5D%2Fx"), std::string::npos);
}

TEST(Answer, ProbeRedirect) {
  const auto r = render(AnswerKind::probe_redirect,
                        "GET /generate_204 HTTP/1.1\r\nHost: connectivitycheck.gstatic.com\r\n\r\n",
                        "http://192.0.2.1:8511/\r\nSet-Cookie: x");
  const std::string expected_head =
      "HTTP/1.1 302 Found\r\n"
      "Location: http://192.0.2.1:8511/Set-Cookie: x?url=http%3A%2F%2Fconnectivitycheck.gstatic.com%2Fgenerate_204\r\n"
      "Content-Type: text/html; charset=UTF-8\r\n"
      "Cache-Control: no-store\r\n"
      "Connection: close\r\n"
      "Content-Length: " +
      std::to_string(r.body.size());
  EXPECT_EQ(r.head, expected_head);  // CR LF in the configured URL cannot split headers
  EXPECT_GT(r.body.size(), 4u);
}

TEST(Answer, BoundedForHugeUrlsAndRefusesSmallBuffers) {
  const std::string req = "GET /" + std::string(5000, '"') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  const auto r = render(AnswerKind::network_authentication_required, req, "http://p/");
  EXPECT_LT(r.head.size() + r.body.size(), 8192u - 4);
  // The 1024-byte URL cap: 1024 - len("http://h/") quotes, each %22, twice.
  EXPECT_EQ(r.body.find("\"\""), std::string::npos);

  std::array<char, 100> tiny{};
  AnswerContext ctx;
  ctx.portal_url = "http://p/";
  ctx.destination = *packet::IpAddr::parse("192.0.2.9");
  EXPECT_EQ(render_answer(tiny, AnswerKind::network_authentication_required,
                          parse_request("GET / HTTP/1.1\r\n\r\n"), ctx),
            0u);
}

TEST(Answer, SmallerUrlCap) {
  std::array<char, 8192> buf{};
  AnswerContext ctx;
  ctx.portal_url = "http://p/";
  ctx.destination = *packet::IpAddr::parse("192.0.2.9");
  ctx.max_original_url = 0;
  const auto n = render_answer(buf, AnswerKind::network_authentication_required,
                               parse_request("GET /abc HTTP/1.1\r\n\r\n"), ctx);
  const std::string all(buf.data(), n);
  EXPECT_NE(all.find("href=\"http://p/?url=\""), std::string::npos);
}

}  // namespace
}  // namespace captive::http
