// The template engine (include/captive/http/template.hpp) and the choice of
// language by Accept-Language (RFC 9110 §12.5.4).
#include "captive/http/template.hpp"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <random>

namespace captive::http {
namespace {

Catalog english() {
  auto c = parse_catalog("hello = Hello, {name}!\nplain = a < b & \"c\" 'd'\nbye = Goodbye\n", "en", "en.txt");
  EXPECT_TRUE(c) << c.error().message();
  return *c;
}

const Schema kSchema{{"name", "note", "empty"}, {"html"}};

Result<Template> compile(std::string_view source, std::map<std::string, std::string> files = {}) {
  static const Catalog en = english();
  return Template::compile(source, "page.html", kSchema, en,
                           [files](std::string_view name) -> std::optional<std::string> {
                             auto it = files.find(std::string(name));
                             if (it == files.end()) return std::nullopt;
                             return it->second;
                           });
}

std::string render(std::string_view source, std::array<std::string_view, 4> values,
                   std::map<std::string, std::string> files = {}) {
  auto t = compile(source, std::move(files));
  EXPECT_TRUE(t) << t.error().message();
  if (!t) return {};
  const Catalog en = english();
  return t->render(en, en, values);
}

std::string error_of(std::string_view source, std::map<std::string, std::string> files = {}) {
  auto t = compile(source, std::move(files));
  return t ? std::string("compiled") : t.error().message();
}

TEST(Template, ValuesAreEscapedForTextAndQuotedAttributes) {
  const std::string hostile = "<script>alert(1)</script>\"' onload=x &amp;";
  const auto out = render("<p title=\"{{name}}\" data-x='{{name}}'>{{name}}</p>", {hostile, "", "", ""});
  EXPECT_EQ(out.find("<script>"), std::string::npos) << out;
  EXPECT_EQ(out.find("\" onload"), std::string::npos) << out;
  EXPECT_EQ(out.find("' onload"), std::string::npos) << out;
  EXPECT_NE(out.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39; onload=x &amp;amp;"), std::string::npos) << out;
  // Only the template's own quotes remain: 2 double, 2 single.
  EXPECT_EQ(std::count(out.begin(), out.end(), '"'), 2);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\''), 2);
}

TEST(Template, MessagesAreEscapedAndTheirPlaceholdersToo) {
  EXPECT_EQ(render("{{@hello}}", {"<b>", "", "", ""}), "Hello, &lt;b&gt;!");
  EXPECT_EQ(render("{{@plain}}", {"", "", "", ""}), "a &lt; b &amp; &quot;c&quot; &#39;d&#39;");
}

TEST(Template, SectionsShowOnNonEmptyInvertedOnEmpty) {
  const char* src = "{{#note}}[{{note}}]{{/note}}{{^note}}none{{/note}}";
  EXPECT_EQ(render(src, {"", "x", "", ""}), "[x]");
  EXPECT_EQ(render(src, {"", "", "", ""}), "none");
  EXPECT_EQ(render("a{{! a comment {with braces} }}b", {"", "", "", ""}), "ab");
}

TEST(Template, HtmlValuesAreOnlyThoseTheSchemaNames) {
  EXPECT_EQ(render("{{html}}", {"", "", "", "<i>ok</i>"}), "<i>ok</i>");
}

TEST(Template, UnknownVariablesAndMessagesAreErrorsWithFileAndLine) {
  EXPECT_EQ(error_of("line 1\nline 2 {{nmae}}"), "page.html:2: unknown variable {{nmae}}");
  EXPECT_EQ(error_of("\n\n{{@nope}}"), "page.html:3: unknown message {{@nope}}");
  EXPECT_EQ(error_of("{{#note}}\n"), "page.html:1: {{#note}} is never closed");
  EXPECT_EQ(error_of("{{/note}}"), "page.html:1: {{/note}} closes nothing");
  EXPECT_EQ(error_of("{{#note}}{{#name}}{{/note}}{{/name}}"), "page.html:1: {{/note}} where {{/name}} was due");
  EXPECT_EQ(error_of("a {{name"), "page.html:1: {{ without }}");
  EXPECT_EQ(error_of("{{ na-me }}"), "page.html:1: not a variable name: {{na-me}}");
  EXPECT_EQ(error_of("{{}}"), "page.html:1: empty {{}}");
  EXPECT_EQ(error_of(std::string_view("a\n\0b", 4)), "page.html:2: a NUL byte (a template is text)");
}

TEST(Template, IncludesOnlyPlainNamesOfTheDirectory) {
  EXPECT_EQ(render("<{{>part.html}}>", {"n", "", "", ""}, {{"part.html", "{{name}}"}}), "<n>");
  for (const char* bad : {"{{>../etc/passwd}}", "{{>/etc/passwd}}", "{{>..}}", "{{>.hidden}}", "{{>a/b.html}}",
                          "{{>a\\b}}"})
    EXPECT_NE(error_of(bad).find("refused include"), std::string::npos) << bad << ": " << error_of(bad);
  EXPECT_EQ(error_of("x\n{{>missing.html}}"), "page.html:2: no such template to include: missing.html");
  // An error inside an include names the included file.
  EXPECT_EQ(error_of("{{>part.html}}", {{"part.html", "\n{{oops}}"}}), "part.html:2: unknown variable {{oops}}");
  // Loops are cut off by the depth limit.
  EXPECT_NE(error_of("{{>a}}", {{"a", "{{>a}}"}}).find("nested deeper"), std::string::npos);
}

TEST(Template, FlatLeavesOnlyTheDynamicValuesAsHoles) {
  auto t = compile("<a href=\"{{html}}\">{{@hello}}</a>{{#note}}!{{/note}}");
  ASSERT_TRUE(t);
  const Catalog en = english();
  const std::array<std::string_view, 4> values = {std::string_view("A\0B", 3), "x", "", ""};
  static constexpr std::string_view kDynamic[] = {"html"};
  const auto flat = t->flatten(en, en, values, kDynamic);
  std::array<char, 256> buf{};
  BufferWriter w(buf);
  flat.render(w, [](BufferWriter& out, std::size_t i) {
    EXPECT_EQ(i, 0u);
    out.put("LINK");
  });
  // The NUL byte of a value is dropped (it would pass for a hole's marker).
  EXPECT_EQ(w.view(), "<a href=\"LINK\">Hello, AB!</a>!");
}

TEST(Catalog, ParsesKeysAndRefusesMistakes) {
  auto c = parse_catalog("# c\n\na.b = x \\n y\n", "DE-ch", "de.txt");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->tag, "de-ch");
  EXPECT_EQ(*c->find("a.b"), "x \n y");
  EXPECT_EQ(parse_catalog("a = 1\na = 2\n", "en", "en.txt").error().message(), "en.txt:2: key given twice: a");
  EXPECT_EQ(parse_catalog("no equals\n", "en", "en.txt").error().message(), "en.txt:1: expected `key = text`");
  EXPECT_EQ(parse_catalog("Bad Key = 1\n", "en", "en.txt").error().message(), "en.txt:1: not a message key: Bad Key");
  EXPECT_FALSE(parse_catalog("", "../x", "x.txt"));
  EXPECT_FALSE(parse_catalog("", "e", "x.txt"));
  EXPECT_TRUE(language_tag_valid("pt-BR"));
  EXPECT_TRUE(language_tag_valid("zh-hant-tw"));
  EXPECT_FALSE(language_tag_valid("en_US"));
  EXPECT_FALSE(language_tag_valid("en-"));
}

TEST(AcceptLanguage, QValuesThenOrderThenFallback) {
  const std::string_view tags[] = {"en", "de", "es", "fr"};
  auto pick = [&](std::string_view h) { return tags[pick_language(h, tags)]; };
  EXPECT_EQ(pick(""), "en");
  EXPECT_EQ(pick("de"), "de");
  EXPECT_EQ(pick("de-CH"), "de");                        // a range served by its language
  EXPECT_EQ(pick("FR-fr,fr;q=0.9,en;q=0.8"), "fr");
  EXPECT_EQ(pick("en;q=0.5, es;q=0.7"), "es");           // q decides, not the order
  EXPECT_EQ(pick("fr, de"), "fr");                       // equal q: the first
  EXPECT_EQ(pick("ja, de;q=0.1"), "de");                 // unknown ranges are skipped
  EXPECT_EQ(pick("ja, zh"), "en");                       // nothing served: English
  EXPECT_EQ(pick("de;q=0, fr;q=0.001"), "fr");           // q=0: not acceptable
  EXPECT_EQ(pick("*"), "en");
  EXPECT_EQ(pick("d"), "en");                            // a prefix must end at '-'
  EXPECT_EQ(pick("de;q=1.5, es"), "es");                 // invalid qvalue: skipped
  EXPECT_EQ(pick("de;q=0.5555, es;q=0.1"), "es");        // more than 3 decimals: invalid
  EXPECT_EQ(pick(",,;;q=,de"), "de");
  const std::string_view regional[] = {"en", "pt", "pt-br"};
  EXPECT_EQ(regional[pick_language("pt-BR", regional)], "pt-br");  // the exact tag beats its language
  EXPECT_EQ(regional[pick_language("pt-PT", regional)], "pt");
  EXPECT_EQ(regional[pick_language("pt", regional)], "pt");
}

TEST(AcceptLanguage, NeverOutOfRangeOnRandomHeaders) {
  const std::string_view tags[] = {"en", "de", "fr"};
  std::mt19937 rng(12);
  const std::string alphabet = "defnr-;q=0.1,* \t";
  for (int i = 0; i < 20000; ++i) {
    std::string h(rng() % 40, ' ');
    for (auto& c : h) c = alphabet[rng() % alphabet.size()];
    EXPECT_LT(pick_language(h, tags), 3u) << h;
  }
}

// Property: whatever the value, the output holds no '<', '>' or quote that
// the template did not have.
TEST(Template, RandomValuesNeverAddMarkup) {
  auto t = compile("<a title=\"{{name}}\">{{@hello}}{{#note}}{{note}}{{/note}}</a>");
  ASSERT_TRUE(t);
  const Catalog en = english();
  std::mt19937 rng(7);
  const std::string alphabet("<>\"'&;ab{}\0/=", 13);
  for (int i = 0; i < 5000; ++i) {
    std::string a(rng() % 20, ' '), b(rng() % 20, ' ');
    for (auto& c : a) c = alphabet[rng() % alphabet.size()];
    for (auto& c : b) c = alphabet[rng() % alphabet.size()];
    const std::array<std::string_view, 4> values = {a, b, "", ""};
    const auto out = t->render(en, en, values);
    for (char special : {'<', '>', '"', '\''})
      EXPECT_EQ(std::count(out.begin(), out.end(), special), special == '<' || special == '>' ? 2 : special == '"' ? 2 : 0)
          << out;
  }
}

}  // namespace
}  // namespace captive::http
