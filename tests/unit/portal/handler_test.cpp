#include "captive/portal/handler.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "captive/http/text.hpp"
#include "../fakes/fakes.hpp"

namespace captive::portal {
namespace {
using captive::testing::FakeNeighbours;
using captive::testing::FakeSet;
using captive::testing::ip;
using captive::testing::mac;
using namespace std::chrono_literals;

class PortalHandler : public ::testing::Test {
 protected:
  PortalHandler()
      : registry_(set_),
        tokens_(key()),
        handler_(HandlerSettings{3600s, "Cafe <Test>"},
                 Handler::Deps{registry_, neighbours_, *seen_, tokens_, backend_, [this] { return now_; }}) {
    neighbours_.table[ip("192.0.2.2")] = mac("02:00:00:00:00:02");
  }

  static auth::TokenIssuer::Key key() {
    auth::TokenIssuer::Key k{};
    k[0] = 7;
    return k;
  }

  Response get(std::string target, const char* from = "192.0.2.2") {
    Request r{http::verb::get, target, 11};
    return answer(r, from);
  }

  Response post(std::string body, const char* from = "192.0.2.2", std::string target = "/login") {
    Request r{http::verb::post, target, 11};
    r.set(http::field::content_type, "application/x-www-form-urlencoded");
    r.body() = std::move(body);
    r.prepare_payload();
    return answer(r, from);
  }

  // Without executors the registry answers a sign-in before handle returns.
  Response answer(const Request& r, const char* from) {
    std::optional<Response> out;
    handler_.handle(r, ip(from), [&](Response response) { out = std::move(response); });
    EXPECT_TRUE(out) << "no answer";
    return out ? std::move(*out) : Response{};
  }

  static std::string token_in(const Response& page) {
    std::smatch m;
    static const std::regex kToken("name=\"token\" value=\"([0-9a-f]{64})\"");
    if (!std::regex_search(page.body(), m, kToken)) return {};
    return m[1];
  }

  FakeSet set_;
  FakeNeighbours neighbours_;
  std::unique_ptr<session::SeenAddresses> seen_ = std::make_unique<session::SeenAddresses>();
  session::Registry registry_;
  auth::TokenIssuer tokens_;
  auth::ClickThrough backend_;
  std::uint64_t now_ = 1'700'000'000;
  Handler handler_;
};

TEST_F(PortalHandler, FormCarriesTokenAndOriginalUrl) {
  auto page = get("/?url=" + captive::http::url_encode("http://example.com/a?b=1&c=<x>"));
  EXPECT_EQ(page.result(), http::status::ok);
  EXPECT_EQ(page[http::field::cache_control], "no-store");
  EXPECT_EQ(page[http::field::content_type], "text/html; charset=UTF-8");
  EXPECT_FALSE(token_in(page).empty());
  EXPECT_NE(page.body().find("value=\"http://example.com/a?b=1&amp;c=&lt;x&gt;\""), std::string::npos);
  EXPECT_NE(page.body().find("Cafe &lt;Test&gt;"), std::string::npos);
  EXPECT_EQ(page.body().find("<Test>"), std::string::npos);
}

TEST_F(PortalHandler, SignInAddsMacAndRedirectsToOriginalUrl) {
  std::string token = token_in(get("/"));
  auto r = post("token=" + token + "&url=" + captive::http::url_encode("http://198.51.100.2/page") + "&accept_terms=yes");
  EXPECT_EQ(r.result(), http::status::see_other);
  EXPECT_EQ(r[http::field::location], "http://198.51.100.2/page");
  ASSERT_EQ(set_.elements.count(mac("02:00:00:00:00:02")), 1u);
  EXPECT_EQ(set_.elements.at(mac("02:00:00:00:00:02")), 3600s);
  EXPECT_EQ(handler_.stats().sign_ins, 1u);
  // Once in, the page says so instead of showing the form.
  auto again = get("/");
  EXPECT_NE(again.body().find("signed in until"), std::string::npos);
  EXPECT_TRUE(token_in(again).empty());
}

TEST_F(PortalHandler, WithoutUrlSaysOnline) {
  std::string token = token_in(get("/"));
  auto r = post("token=" + token + "&accept_terms=yes");
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(set_.elements.size(), 1u);
}

TEST_F(PortalHandler, UnsafeReturnUrlIsDropped) {
  std::string token = token_in(get("/"));
  auto r = post("token=" + token + "&accept_terms=yes&url=" + captive::http::url_encode("javascript:alert(1)"));
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(r[http::field::location], "");
}

TEST_F(PortalHandler, TermsMustBeAccepted) {
  std::string token = token_in(get("/"));
  auto r = post("token=" + token);
  EXPECT_EQ(r.result(), http::status::forbidden);
  EXPECT_TRUE(set_.elements.empty());
  EXPECT_FALSE(token_in(r).empty());  // the form again, with the reason
  EXPECT_NE(r.body().find("accept the terms"), std::string::npos);
}

TEST_F(PortalHandler, ForgedOrForeignTokenIsRefused) {
  neighbours_.table[ip("192.0.2.3")] = mac("02:00:00:00:00:03");
  std::string theirs = token_in(get("/", "192.0.2.3"));
  auto r = post("token=" + theirs + "&accept_terms=yes");  // 192.0.2.2 replays 192.0.2.3's token
  EXPECT_EQ(r.result(), http::status::forbidden);
  EXPECT_TRUE(set_.elements.empty());
  r = post("token=" + std::string(64, 'a') + "&accept_terms=yes");
  EXPECT_EQ(r.result(), http::status::forbidden);
  r = post("accept_terms=yes");
  EXPECT_EQ(r.result(), http::status::forbidden);
  EXPECT_TRUE(set_.elements.empty());
  EXPECT_EQ(handler_.stats().bad_token, 3u);
}

TEST_F(PortalHandler, ExpiredTokenIsRefused) {
  std::string token = token_in(get("/"));
  now_ += 3 * auth::TokenIssuer::kSlotSeconds;
  EXPECT_EQ(post("token=" + token + "&accept_terms=yes").result(), http::status::forbidden);
  EXPECT_TRUE(set_.elements.empty());
}

TEST_F(PortalHandler, MacComesFromTheKernelNotTheForm) {
  std::string token = token_in(get("/"));
  auto r = post("token=" + token + "&accept_terms=yes&mac=02:00:00:00:00:99&ip=192.0.2.99");
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(set_.elements.count(mac("02:00:00:00:00:02")), 1u);
  EXPECT_EQ(set_.elements.count(mac("02:00:00:00:00:99")), 0u);
}

TEST_F(PortalHandler, UnknownClientCannotSignIn) {
  EXPECT_EQ(get("/", "192.0.2.50").result(), http::status::forbidden);
  EXPECT_EQ(post("accept_terms=yes", "192.0.2.50").result(), http::status::forbidden);
  EXPECT_TRUE(set_.elements.empty());
  EXPECT_EQ(handler_.stats().unknown_client, 2u);
}

TEST_F(PortalHandler, SeenOnQueueIdentifiesWithoutNeighbourEntry) {
  seen_->record(ip("2001:db8:1::5"), mac("02:00:00:00:00:05"), now_);
  std::string token = token_in(get("/", "2001:db8:1::5"));
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(post("token=" + token + "&accept_terms=yes", "2001:db8:1::5").result(), http::status::ok);
  EXPECT_EQ(set_.elements.count(mac("02:00:00:00:00:05")), 1u);
}

TEST_F(PortalHandler, KernelFailureIsReportedNotSignedIn) {
  std::string token = token_in(get("/"));
  set_.fail_next = true;
  auto r = post("token=" + token + "&accept_terms=yes");
  EXPECT_EQ(r.result(), http::status::service_unavailable);
  EXPECT_FALSE(registry_.find(mac("02:00:00:00:00:02")));
}

TEST_F(PortalHandler, OtherPathsAndMethods) {
  EXPECT_EQ(get("/etc/passwd").result(), http::status::not_found);
  EXPECT_EQ(get("/login").result(), http::status::method_not_allowed);
  EXPECT_EQ(post("x", "192.0.2.2", "/").result(), http::status::method_not_allowed);
  EXPECT_EQ(post("x", "192.0.2.2", "/elsewhere").result(), http::status::not_found);
  Request head{http::verb::head, "/", 11};
  auto r = answer(head, "192.0.2.2");
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_TRUE(r.body().empty());
}

TEST(ReturnUrl, OnlyHttpWithoutControlCharacters) {
  EXPECT_EQ(return_url("http://example.com/x"), "http://example.com/x");
  EXPECT_EQ(return_url("https://example.com/"), "https://example.com/");
  EXPECT_FALSE(return_url("javascript:alert(1)"));
  EXPECT_FALSE(return_url("//evil.example/"));
  EXPECT_FALSE(return_url("http://a/\r\nSet-Cookie: x"));
  EXPECT_FALSE(return_url("http://a/ b"));
  EXPECT_FALSE(return_url("http://a/" + std::string(3000, 'x')));
}

}  // namespace
}  // namespace captive::portal
