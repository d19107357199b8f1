#include "captive/http/text.hpp"

#include <gtest/gtest.h>

#include <array>

namespace captive::http {
namespace {

TEST(Text, UrlEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(url_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(url_encode("http://a/b?c=d&e f"), "http%3A%2F%2Fa%2Fb%3Fc%3Dd%26e%20f");
  EXPECT_EQ(url_encode("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(url_encode(std::string_view("\0", 1)), "%00");
  EXPECT_EQ(url_encode(""), "");
}

TEST(Text, UrlDecode) {
  EXPECT_EQ(url_decode("a%20b+c"), "a b c");
  EXPECT_EQ(url_decode("%c3%A9"), "\xc3\xa9");
  EXPECT_FALSE(url_decode("%"));
  EXPECT_FALSE(url_decode("%4"));
  EXPECT_FALSE(url_decode("%zz"));
  EXPECT_FALSE(url_decode("ab%"));
  EXPECT_EQ(url_decode(""), "");
}

TEST(Text, UrlRoundTrip) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(url_decode(url_encode(all)), all);
}

TEST(Text, HtmlEscape) {
  EXPECT_EQ(html_escape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  EXPECT_EQ(html_escape("plain"), "plain");
}

TEST(Text, FormValue) {
  EXPECT_EQ(form_value("a=1&url=http%3A%2F%2Fx%2F&b=", "url"), "http://x/");
  EXPECT_EQ(form_value("a=1&b=", "b"), "");
  EXPECT_EQ(form_value("a=1&a=2", "a"), "1");
  EXPECT_EQ(form_value("x+y=1", "x y"), "1");
  EXPECT_EQ(form_value("flag&c=3", "flag"), "");
  EXPECT_FALSE(form_value("a=1", "b"));
  EXPECT_FALSE(form_value("", "a"));
  EXPECT_FALSE(form_value("a=%zz", "a"));
  EXPECT_EQ(form_value("&&a=1&", "a"), "1");
}

TEST(Text, IntoWritersDoNotOverflow) {
  std::array<char, 5> buf{};
  BufferWriter w(buf);
  url_encode_into(w, "a b c");
  EXPECT_TRUE(w.overflowed());
  EXPECT_EQ(w.size(), 9u);
  EXPECT_EQ(w.view(), "a%20b");
  BufferWriter h(buf);
  html_escape_into(h, "<>");
  EXPECT_EQ(h.size(), 8u);
  EXPECT_EQ(h.view(), "&lt;&");
}

TEST(BufferWriter, PutUint) {
  std::array<char, 32> buf{};
  BufferWriter w(buf);
  w.put_uint(0);
  w.put(' ');
  w.put_uint(18446744073709551615ull);
  EXPECT_EQ(w.view(), "0 18446744073709551615");
  EXPECT_FALSE(w.overflowed());
}

}  // namespace
}  // namespace captive::http
