// The 511 rendered from a template (AnswerBodies, docs/templates.md) on the
// packet path: no allocation (STYLE.md rule 6), and a body too big for the
// buffer is refused (0), never written past the buffer's end.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>

#include "captive/http/answer.hpp"
#include "captive/http/request.hpp"
#include "captive/http/template.hpp"
#include "../fakes/counting_new.hpp"

namespace captive::http {
namespace {

std::shared_ptr<const AnswerBodies> bodies(std::string_view en_text, std::string_view de_text) {
  auto en = parse_catalog("t = " + std::string(en_text) + "\n", "en", "en.txt");
  auto de = parse_catalog("t = " + std::string(de_text) + "\n", "de", "de.txt");
  EXPECT_TRUE(en && de);
  const Schema schema{{"site_name"}, {"link"}};
  auto t = Template::compile("<p>{{site_name}}: {{@t}}</p><a href=\"{{link}}\">{{@t}}</a>", "511.html", schema, *en, {});
  EXPECT_TRUE(t) << t.error().message();
  static constexpr std::string_view kDynamic[] = {"link"};
  const std::string_view values[] = {"Caf\xc3\xa9 <&>", {}};
  std::vector<Template::Flat> flats;
  flats.push_back(t->flatten(*en, *en, values, kDynamic));
  flats.push_back(t->flatten(*de, *en, values, kDynamic));
  return std::make_shared<const AnswerBodies>(std::vector<std::string>{"en", "de"}, std::move(flats));
}

AnswerContext context(const AnswerBodies* b) {
  AnswerContext ctx;
  ctx.portal_url = "http://192.0.2.1:8511/";
  ctx.destination = *packet::IpAddr::parse("198.51.100.7");
  ctx.bodies = b;
  return ctx;
}

TEST(AnswerFromTemplate, RendersTheRequestsLanguageWithoutAllocating) {
  ASSERT_EQ(count_one_allocation(), 1u) << "the counting operator new is not linked in";
  const auto b = bodies("Sign in", "Anmelden");
  const std::string de_request =
      "GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept-Language: de-DE,de;q=0.9,en;q=0.5\r\n\r\n";
  const std::string en_request = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
  const auto ctx = context(b.get());
  std::array<char, 8192> buf;
  const Request de = parse_request(de_request);
  const Request en = parse_request(en_request);
  g_allocations = 0;
  g_counting = true;
  const auto n_de = render_answer(buf, AnswerKind::network_authentication_required, de, ctx);
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0u) << "render_answer allocated";
  const std::string de_answer(buf.data(), n_de);
  g_allocations = 0;
  g_counting = true;
  const auto n_en = render_answer(buf, AnswerKind::network_authentication_required, en, ctx);
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0u);
  const std::string en_answer(buf.data(), n_en);

  EXPECT_NE(de_answer.find("<p>Caf\xc3\xa9 &lt;&amp;&gt;: Anmelden</p><a href=\"http://192.0.2.1:8511/?url="),
            std::string::npos)
      << de_answer;
  EXPECT_NE(en_answer.find(": Sign in</p>"), std::string::npos) << en_answer;
  // Content-Length is the body's length.
  const auto body_at = en_answer.find("\r\n\r\n") + 4;
  EXPECT_NE(en_answer.find("Content-Length: " + std::to_string(en_answer.size() - body_at) + "\r\n"),
            std::string::npos);
}

TEST(AnswerFromTemplate, TooBigIsRefusedNeverWrittenPastTheBuffer) {
  const auto b = bodies(std::string(1600, 'x'), "y");
  const auto ctx = context(b.get());
  const Request r = parse_request(std::string_view("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"));
  // The buffer is the first 1000 bytes of a larger one; the rest must stay untouched.
  std::array<char, 4096> whole;
  whole.fill('\x5a');
  g_allocations = 0;
  g_counting = true;
  const auto n = render_answer(std::span(whole.data(), 1000), AnswerKind::network_authentication_required, r, ctx);
  g_counting = false;
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(g_allocations.load(), 0u);
  EXPECT_TRUE(std::all_of(whole.begin() + 1000, whole.end(), [](char c) { return c == '\x5a'; }));
  // And with room it fits.
  EXPECT_GT(render_answer(whole, AnswerKind::network_authentication_required, r, ctx), 3000u);
}

}  // namespace
}  // namespace captive::http
