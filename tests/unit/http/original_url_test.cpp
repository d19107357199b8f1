#include "captive/http/original_url.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace captive::http {
namespace {

std::string url_of(std::string_view request, std::string_view dst, std::uint16_t port = 80,
                   std::size_t cap = kMaxOriginalUrl) {
  std::array<char, kMaxOriginalUrl> buf{};
  const auto r = parse_request(request);
  const auto n = original_url(std::span(buf.data(), cap), r, *packet::IpAddr::parse(dst), port);
  return std::string(buf.data(), n);
}

TEST(OriginalUrl, HostAndOriginForm) {
  EXPECT_EQ(url_of("GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\n\r\n", "192.0.2.9"),
            "http://example.com/a?b=1");
}

TEST(OriginalUrl, DestinationWhenNoHost) {
  EXPECT_EQ(url_of("GET /a HTTP/1.0\r\n\r\n", "192.0.2.9"), "http://192.0.2.9/a");
  EXPECT_EQ(url_of("GET /a HTTP/1.0\r\n\r\n", "2001:db8::9"), "http://[2001:db8::9]/a");
  EXPECT_EQ(url_of("GET /a HTTP/1.0\r\n\r\n", "192.0.2.9", 8080), "http://192.0.2.9:8080/a");
}

TEST(OriginalUrl, AbsoluteFormAsIs) {
  EXPECT_EQ(url_of("GET HTTP://Other.example/x HTTP/1.1\r\nHost: example.com\r\n\r\n", "192.0.2.9"),
            "HTTP://Other.example/x");
}

TEST(OriginalUrl, AuthorityAndAsteriskForm) {
  EXPECT_EQ(url_of("OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n", "192.0.2.9"), "http://a.example/");
  EXPECT_EQ(url_of("CONNECT a.example:443 HTTP/1.1\r\n\r\n", "192.0.2.9"), "http://192.0.2.9/");
}

TEST(OriginalUrl, CappedAt1024) {
  const std::string req = "GET /" + std::string(3000, 'x') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  const auto url = url_of(req, "192.0.2.9");
  EXPECT_EQ(url.size(), kMaxOriginalUrl);
  EXPECT_EQ(url.substr(0, 10), "http://h/x");
  EXPECT_EQ(url_of(req, "192.0.2.9", 80, 16), "http://h/xxxxxxx");
}

}  // namespace
}  // namespace captive::http
