// The portal's pages through the handler: the language from the request's
// Accept-Language (RFC 9110 §12.5.4), the templates' logo, and new pages
// taken on reload (Handler::set_pages).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../fakes/fakes.hpp"
#include "captive/portal/handler.hpp"
#include "fake_peers.hpp"

namespace captive::portal {
namespace {
using captive::testing::FakeNeighbours;
using captive::testing::FakePeers;
using captive::testing::FakeSet;
using captive::testing::ip;
using captive::testing::mac;
using namespace std::chrono_literals;

class HandlerPages : public ::testing::Test {
 protected:
  HandlerPages()
      : registry_(set_),
        tokens_(auth::TokenIssuer::Key{}),
        handler_(HandlerSettings{3600s, "Caf\xc3\xa9 <Post>", accepted_hosts(lan(), 8511, ""), {}},
                 Handler::Deps{registry_, peers_, neighbours_, tokens_, backend_, [] { return 1'700'000'000ull; }}) {
    peers_.table[{ip("192.0.2.2"), 40000}] = mac("02:00:00:00:00:02");
  }
  static std::vector<packet::IpAddr> lan() { return {ip("192.0.2.1")}; }

  Response ask(http::verb verb, std::string target, std::string language = {}, std::string body = {}) {
    Request r{verb, target, 11};
    r.set(http::field::host, "192.0.2.1:8511");
    if (!language.empty()) r.set(http::field::accept_language, language);
    if (!body.empty()) {
      r.set(http::field::content_type, "application/x-www-form-urlencoded");
      r.body() = std::move(body);
      r.prepare_payload();
    }
    std::optional<Response> out;
    handler_.handle(r, Client{ip("192.0.2.2"), 40000}, [&](Response response) { out = std::move(response); });
    EXPECT_TRUE(out);
    return out ? std::move(*out) : Response{};
  }

  FakeSet set_;
  FakePeers peers_;
  FakeNeighbours neighbours_;
  session::Registry registry_;
  auth::TokenIssuer tokens_;
  auth::ClickThrough backend_;
  Handler handler_;
};

TEST_F(HandlerPages, EachPageInTheLanguageAsked) {
  const struct {
    const char* accept;
    const char* lang;
    const char* button;
  } cases[] = {{"", "en", "Connect"},
               {"de-AT,de;q=0.9", "de", "Verbinden"},
               {"fr-CA", "fr", "Se connecter"},
               {"es;q=0.9, en;q=0.3", "es", "Conectar"},
               {"ja", "en", "Connect"}};
  for (const auto& c : cases) {
    const auto page = ask(http::verb::get, "/", c.accept).body();
    EXPECT_NE(page.find(std::string("<html lang=\"") + c.lang + "\">"), std::string::npos) << c.accept;
    EXPECT_NE(page.find(std::string("<button type=\"submit\">") + c.button + "</button>"), std::string::npos)
        << c.accept;
    EXPECT_NE(page.find("Caf\xc3\xa9 &lt;Post&gt;"), std::string::npos);
  }
  // The error pages too (404 without asking the kernel).
  EXPECT_NE(ask(http::verb::get, "/nope", "de").body().find("Nicht gefunden"), std::string::npos);
}

// A backend's refusal in the page's language (Decision::reason_key); in
// English the backend's own words.
TEST_F(HandlerPages, RefusalReasonsInTheLanguageAsked) {
  const std::string page = ask(http::verb::get, "/").body();
  const auto at = page.find("name=\"token\" value=\"");
  ASSERT_NE(at, std::string::npos);
  const std::string token = page.substr(at + 20, 64);
  const std::string form = "token=" + token + "&url=&method=click";
  const auto de = ask(http::verb::post, "/login", "de", form);
  EXPECT_EQ(de.result(), http::status::forbidden);
  EXPECT_NE(de.body().find("Bitte akzeptieren Sie die Nutzungsbedingungen, um fortzufahren."), std::string::npos)
      << de.body();
  const auto en = ask(http::verb::post, "/login", "en", form);
  EXPECT_NE(en.body().find("Please accept the terms of use to continue."), std::string::npos);
}

TEST_F(HandlerPages, LogoOfTheTemplatesIsServedAndNewPagesTakenOnReload) {
  EXPECT_EQ(ask(http::verb::get, "/logo.svg").result(), http::status::not_found);
  char name[] = "/tmp/captive-handler-pages.XXXXXX";
  ASSERT_NE(::mkdtemp(name), nullptr);
  const std::filesystem::path dir = name;
  std::ofstream(dir / "logo.svg") << "<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
  std::ofstream(dir / "logged-out.html") << "x";
  std::ofstream(dir / "signin.html") << "{{>head.html}}<h1>Ours</h1>{{forms}}{{>foot.html}}";
  auto pages = Pages::load(dir.string());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(pages) << pages.error().message();
  handler_.set_pages(*pages);
  const auto logo = ask(http::verb::get, "/logo.svg");
  EXPECT_EQ(logo.result(), http::status::ok);
  EXPECT_EQ(logo[http::field::content_type], "image/svg+xml");
  EXPECT_EQ(logo["X-Content-Type-Options"], "nosniff");
  EXPECT_NE(std::string(logo["Content-Security-Policy"]).find("sandbox"), std::string::npos);
  EXPECT_EQ(logo.body(), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
  const auto page = ask(http::verb::get, "/").body();
  EXPECT_NE(page.find("<h1>Ours</h1>"), std::string::npos);
  EXPECT_NE(page.find("<img src=\"/logo.svg\" alt=\"\">"), std::string::npos);
  EXPECT_NE(page.find("name=\"accept_terms\""), std::string::npos);
  handler_.set_pages(nullptr);  // ignored: the pages stay
  EXPECT_NE(ask(http::verb::get, "/").body().find("<h1>Ours</h1>"), std::string::npos);
}

}  // namespace
}  // namespace captive::portal
