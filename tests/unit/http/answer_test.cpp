#include "captive/http/answer.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "captive/http/link_signature.hpp"
#include "captive/http/text.hpp"

namespace captive::http {
namespace {

LinkKey test_key() {
  LinkKey k;
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(0x40 + i);
  return k;
}

const packet::MacAddr kClient = *packet::MacAddr::parse("02:00:00:00:00:07");

std::string sig_of(std::string_view url) {
  const auto s = sign_link(test_key(), kClient, url);
  return std::string(s.data(), s.size());
}

struct Rendered {
  std::string head;  // status line + headers, without the blank line
  std::string body;
};

Rendered render(AnswerKind kind, std::string_view request, std::string_view portal,
                std::string_view dst = "192.0.2.9", std::size_t url_cap = kMaxOriginalUrl) {
  std::array<char, 16384> buf{};
  AnswerContext ctx;
  ctx.portal_url = portal;
  ctx.destination = *packet::IpAddr::parse(dst);
  ctx.link_key = test_key();
  ctx.client_mac = kClient;
  ctx.max_original_url = url_cap;
  const auto n = render_answer(buf, kind, parse_request(request), ctx);
  EXPECT_GT(n, 0u);
  const std::string all(buf.data(), n);
  const auto split = all.find("\r\n\r\n");
  EXPECT_NE(split, std::string::npos);
  return {all.substr(0, split), all.substr(split + 4)};
}

// Android's probe gets the 302 it needs to offer "Sign in" (it reads a 511
// as "no internet"); a request without Host stays a 511.
TEST(Answer, AndroidProbeGets302OtherRequests511) {
  auto table = parse_probe_table("connectivitycheck.gstatic.com /generate_204 302 android\n", "t");
  ASSERT_TRUE(table);
  EXPECT_EQ(choose_answer(&*table, parse_request("GET /generate_204 HTTP/1.1\r\nHost: connectivitycheck.gstatic.com\r\n\r\n")).kind,
            AnswerKind::probe_redirect);
  EXPECT_EQ(choose_answer(&*table, parse_request("GET / HTTP/1.1\r\n\r\n")).kind,
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
  const std::string link = "http://192.0.2.1:8511/?url=http%3A%2F%2Fexample.com%2Fsome%2Fpath%3Fx%3D1&amp;sig=" +
                           sig_of("http://example.com/some/path?x=1");
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
  EXPECT_NE(r.body.find("href=\"http://p/login?lang=en&amp;x=&quot;&lt;&gt;&amp;url=http%3A%2F%2F192.0.2.9%2F&amp;sig=" +
                        sig_of("http://192.0.2.9/") + "\""),
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
      "Location: http://192.0.2.1:8511/Set-Cookie: x?url=http%3A%2F%2Fconnectivitycheck.gstatic.com%2Fgenerate_204&sig=" +
      sig_of("http://connectivitycheck.gstatic.com/generate_204") +
      "\r\n"
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
  // No URL, nothing to sign: the link is as short as it can be.
  EXPECT_NE(all.find("href=\"http://p/?url=\""), std::string::npos);
  EXPECT_EQ(all.find("sig="), std::string::npos);
}

// The query of the sign-in link in the 511's <a href>, as the browser
// sends it to the portal (HTML entities undone).
std::string link_query(const std::string& body) {
  const std::string_view start = "<a href=\"http://p/?";
  const auto at = body.find(start) + start.size();
  std::string query = body.substr(at, body.find('"', at) - at);
  for (std::size_t amp; (amp = query.find("&amp;")) != std::string::npos;) query.replace(amp, 5, "&");
  return query;
}

TEST(Answer, LinkCarriesSignatureOfItsUrlForThisClient) {
  const auto r = render(AnswerKind::network_authentication_required,
                        "GET /a%20b?c=d&e=<f> HTTP/1.1\r\nHost: example.com\r\n\r\n", "http://p/");
  const auto query = link_query(r.body);
  const auto url = form_value(query, "url");
  const auto sig = form_value(query, "sig");
  ASSERT_TRUE(url && sig);
  EXPECT_EQ(*url, "http://example.com/a%20b?c=d&e=<f>");
  EXPECT_TRUE(link_signature_valid(test_key(), kClient, *url, *sig));
  // Another URL, another device, another key, a cut signature: none verifies.
  EXPECT_FALSE(link_signature_valid(test_key(), kClient, "http://evil.example/", *sig));
  EXPECT_FALSE(link_signature_valid(test_key(), kClient, *url + "x", *sig));
  EXPECT_FALSE(link_signature_valid(test_key(), *packet::MacAddr::parse("02:00:00:00:00:08"), *url, *sig));
  LinkKey other = test_key();
  other[0] ^= 1;
  EXPECT_FALSE(link_signature_valid(other, kClient, *url, *sig));
  EXPECT_FALSE(link_signature_valid(test_key(), kClient, *url, sig->substr(0, 15)));
  EXPECT_FALSE(link_signature_valid(test_key(), kClient, *url, ""));
  // The meta refresh carries the same link.
  EXPECT_NE(r.body.find("url=http://p/?" + std::string(query).replace(query.find("&sig="), 1, "&amp;")),
            std::string::npos);
}

TEST(Answer, SignatureCoversTheUrlAsCut) {
  const auto r = render(AnswerKind::network_authentication_required,
                        "GET /0123456789abcdef HTTP/1.1\r\nHost: example.com\r\n\r\n", "http://p/", "192.0.2.9",
                        24);
  const auto query = link_query(r.body);
  const auto url = form_value(query, "url");
  const auto sig = form_value(query, "sig");
  ASSERT_TRUE(url && sig);
  EXPECT_EQ(*url, "http://example.com/01234");
  EXPECT_TRUE(link_signature_valid(test_key(), kClient, *url, *sig));
  EXPECT_FALSE(link_signature_valid(test_key(), kClient, "http://example.com/0123456789abcdef", *sig));
}

TEST(LinkSignature, SixteenLowerHexDigitsAndOverlongUrlsNeverVerify) {
  const auto s = sign_link(test_key(), kClient, "http://example.com/");
  for (char c : s) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << c;
  EXPECT_EQ(s, sign_link(test_key(), kClient, "http://example.com/"));
  const std::string overlong(kMaxOriginalUrl + 1, 'a');
  const auto t = sign_link(test_key(), kClient, overlong);
  EXPECT_FALSE(link_signature_valid(test_key(), kClient, overlong, std::string_view(t.data(), t.size())));
  // An overlong URL does not sign like the empty one.
  EXPECT_NE(t, sign_link(test_key(), kClient, ""));
}

}  // namespace
}  // namespace captive::http
