// The portal's pages (portal::Pages, docs/templates.md): the shipped
// templates and languages, and an operator's --templates directory.
#include "captive/portal/pages.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace captive::portal {
namespace {

namespace fs = std::filesystem;

const std::string kHostile = "<script>alert(\"x\")</script>' onmouseover='y' &amp;";

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every page of language `lang` with hostile values wherever a value goes.
std::vector<std::string> all_pages(const Pages& pages, std::size_t lang) {
  const Common common{kHostile};
  SignInValues in;
  in.notice = kHostile;
  in.token = "0123abcd";
  in.url = kHostile;
  in.user = kHostile;
  in.code = kHostile;
  in.forms = {{"click", {}}, {"users", {}}, {"voucher", {}}};
  return {pages.sign_in(lang, common, in),
          pages.online(lang, common, OnlineValues{"2026-12-01 10:00 UTC", kHostile, "0123abcd", kHostile}),
          pages.blocked(lang, common, "02:00:00:00:00:01"),
          pages.logged_out(lang, common),
          pages.error(lang, common, ErrorKind::unknown_client, kHostile),
          pages.error(lang, common, ErrorKind::sign_in_failed)};
}

TEST(Pages, ShippedTemplatesCompileInEveryLanguageUnder10KB) {
  auto pages = Pages::builtin();
  ASSERT_TRUE(pages) << pages.error().message();
  const std::vector<std::string> expected = {"en", "de", "es", "fr"};
  EXPECT_EQ((*pages)->languages(), expected);
  for (std::size_t lang = 0; lang < expected.size(); ++lang) {
    for (const auto& page : all_pages(**pages, lang)) {
      EXPECT_LT(page.size(), 10u * 1024) << page;
      EXPECT_EQ(page.find("<script>"), std::string::npos) << page;
      EXPECT_EQ(page.find("' onmouseover"), std::string::npos) << page;
      EXPECT_NE(page.find("&lt;script&gt;"), std::string::npos) << page;
      EXPECT_NE(page.find("<html lang=\"" + expected[lang] + "\">"), std::string::npos);
      // No external assets: nothing fetched from elsewhere.
      EXPECT_EQ(page.find("http://"), std::string::npos) << page;
      EXPECT_EQ(page.find("https://"), std::string::npos) << page;
      EXPECT_EQ(page.find("{{"), std::string::npos) << page;
      // Nothing before the doctype (a comment closed early would leave text there).
      EXPECT_TRUE(page.starts_with("<!DOCTYPE html>\n")) << page.substr(0, 40);
    }
  }
  auto bodies = (*pages)->answer_bodies(Common{kHostile});
  ASSERT_TRUE(bodies) << bodies.error().message();
  EXPECT_EQ((*bodies)->tags(), expected);
}

TEST(Pages, EveryMessageKeyInEveryShippedLanguage) {
  const fs::path dir = fs::path(CAPTIVE_TEMPLATES) / "messages";
  auto keys_of = [&](const std::string& tag) {
    auto c = http::parse_catalog(read(dir / (tag + ".txt")), tag, tag + ".txt");
    EXPECT_TRUE(c) << c.error().message();
    std::set<std::string> keys;
    if (c)
      for (const auto& [k, v] : c->messages) keys.insert(k);
    return keys;
  };
  const auto english = keys_of("en");
  EXPECT_GT(english.size(), 40u);
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    ++files;
    const std::string tag = entry.path().stem();
    EXPECT_EQ(keys_of(tag), english) << tag << ".txt must have exactly the keys of en.txt";
  }
  EXPECT_GE(files, 3u);
}

TEST(Pages, AcceptLanguageChoosesTheLanguage) {
  auto pages = *Pages::builtin();
  EXPECT_EQ(pages->languages()[pages->language("de-CH,de;q=0.9")], "de");
  EXPECT_EQ(pages->languages()[pages->language("es-419")], "es");
  EXPECT_EQ(pages->languages()[pages->language("fr;q=0.4, ja")], "fr");
  EXPECT_EQ(pages->languages()[pages->language("ja")], "en");
  const Common common{"Cafe"};
  EXPECT_NE(pages->logged_out(pages->language("de"), common).find("Sie sind abgemeldet"), std::string::npos);
  EXPECT_NE(pages->logged_out(pages->language("fr"), common).find("Vous êtes déconnecté"), std::string::npos);
  EXPECT_NE(pages->logged_out(pages->language("es"), common).find("Has cerrado la sesión"), std::string::npos);
}

class TemplatesDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/captive-pages-test.XXXXXX";
    ASSERT_NE(::mkdtemp(name), nullptr);
    root_ = name;
    dir_ = root_ / "templates";
    fs::create_directories(dir_ / "messages");
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const fs::path& rel, const std::string& text, const fs::path& base = {}) {
    std::ofstream(base.empty() ? dir_ / rel : base / rel) << text;
  }
  std::string error_of() {
    auto p = Pages::load(dir_.string());
    return p ? std::string("loaded") : p.error().message();
  }
  fs::path root_, dir_;
};

TEST_F(TemplatesDir, ReplacesPagesFileByFileAndAddsLanguagesAndLogo) {
  write("logged-out.html", "{{>head.html}}<h1>{{@loggedout.heading}}</h1><p>{{@bye}}</p>{{>foot.html}}");
  write("messages/en.txt", "bye = See you, {site_name}!\n");
  write("messages/nl.txt", "loggedout.heading = U bent afgemeld\nbye = Tot ziens, {site_name}!\n");
  write("logo.png", std::string("\x89PNG\r\n\x1a\n", 8));
  auto pages = Pages::load(dir_.string());
  ASSERT_TRUE(pages) << pages.error().message();
  const auto& p = **pages;
  const std::vector<std::string> tags = {"en", "de", "es", "fr", "nl"};
  EXPECT_EQ(p.languages(), tags);
  const auto nl = p.logged_out(p.language("nl-BE"), Common{"<Cafe>"});
  EXPECT_NE(nl.find("<h1>U bent afgemeld</h1><p>Tot ziens, &lt;Cafe&gt;!</p>"), std::string::npos) << nl;
  EXPECT_NE(nl.find("<img src=\"/logo.png\""), std::string::npos) << nl;
  // A key the new language leaves out is said in English.
  EXPECT_NE(p.blocked(p.language("nl"), Common{"x"}, "m").find("This device is blocked"), std::string::npos);
  ASSERT_TRUE(p.logo());
  EXPECT_EQ(p.logo()->content_type, "image/png");
  EXPECT_EQ(p.logo()->bytes.size(), 8u);
}

TEST_F(TemplatesDir, ABadTemplateIsRefusedNamingFileAndLine) {
  write("signin.html", "{{>head.html}}\n<p>{{site_nmae}}</p>\n{{>foot.html}}");
  EXPECT_EQ(error_of(), dir_.string() + "/signin.html:2: unknown variable {{site_nmae}}");
  write("signin.html", "{{>../secret}}");
  EXPECT_NE(error_of().find("signin.html:1: refused include {{>../secret}}"), std::string::npos) << error_of();
  write("signin.html", "{{>nothere.html}}");
  EXPECT_NE(error_of().find("no such template to include: nothere.html"), std::string::npos) << error_of();
}

TEST_F(TemplatesDir, MessageFilesAreChecked) {
  write("messages/de.txt", "signin.titel = Anmelden\n");
  EXPECT_EQ(error_of(), "messages/de.txt: signin.titel: no such key in English (en.txt)");
  fs::remove(dir_ / "messages/de.txt");
  write("messages/de.txt", "signin.title Anmelden\n");
  EXPECT_EQ(error_of(), dir_.string() + "/messages/de.txt:1: expected `key = text`");
}

TEST_F(TemplatesDir, SymlinksOutOfTheDirectoryAreRefused) {
  write("outside.html", "{{>head.html}}stolen{{>foot.html}}", root_);
  fs::create_symlink(root_ / "outside.html", dir_ / "blocked.html");
  EXPECT_NE(error_of().find("a link out of the templates directory"), std::string::npos) << error_of();
  fs::remove(dir_ / "blocked.html");
  // Within the directory a link is fine.
  write("mine.html", "{{>head.html}}<p>mine {{mac}}</p>{{>foot.html}}");
  fs::create_symlink("mine.html", dir_ / "blocked.html");
  auto pages = Pages::load(dir_.string());
  ASSERT_TRUE(pages) << pages.error().message();
  EXPECT_NE((*pages)->blocked(0, Common{"x"}, "m1").find("<p>mine m1</p>"), std::string::npos);
  // A missing directory is an error, not the built-in pages.
  EXPECT_FALSE(Pages::load((root_ / "nope").string()));
}

TEST_F(TemplatesDir, A511ThatCannotFitTheAnswerIsRefused) {
  write("511.html", "<p>" + std::string(5000, 'x') + "</p><a href=\"{{link}}\">go</a>");
  auto pages = Pages::load(dir_.string());
  ASSERT_TRUE(pages) << pages.error().message();
  auto bodies = (*pages)->answer_bodies(Common{"x"});
  ASSERT_FALSE(bodies);
  EXPECT_NE(bodies.error().message().find("511.html (en): 5024 bytes of text; at most 4096"), std::string::npos)
      << bodies.error().message();
}

}  // namespace
}  // namespace captive::portal
