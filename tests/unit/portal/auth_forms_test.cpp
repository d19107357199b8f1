// The portal with several backends behind an auth::Gate: one form per
// backend (token, method, no-store), the Decision's user, time and limits
// reach the session, and the abuse limits answer 429/503 with Retry-After.
#include <gtest/gtest.h>

#include <regex>

#include "../fakes/fakes.hpp"
#include "captive/auth/gate.hpp"
#include "captive/http/text.hpp"
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

// Stands in for the users backend: "secret" is the password of alice.
class Passwords final : public auth::Backend {
 public:
  std::string_view name() const override { return "users"; }
  std::vector<auth::Form> forms() const override {
    return {auth::Form{"users", "<input name=\"user\"><input type=\"password\" name=\"password\">", "Sign in"}};
  }
  void judge(const auth::Attempt& a, auth::Verdict done) override {
    if (busy) {
      auto d = auth::Decision::refuse(auth::Decision::Outcome::busy, "Busy.");
      d.retry_after = 2s;
      return done(d);
    }
    if (captive::http::form_value(a.form, "password") == std::optional<std::string>("secret")) {
      auto d = auth::Decision::accept("user", "alice");
      d.duration = 90s;
      d.limits.quota_bytes = 1'000'000;
      return done(d);
    }
    done(auth::Decision::refuse(auth::Decision::Outcome::wrong_credentials, "Wrong user name or password."));
  }
  bool busy = false;
};

class PortalAuthForms : public ::testing::Test {
 protected:
  PortalAuthForms() {
    peers_.table[{ip("192.0.2.2"), 40000}] = mac("02:00:00:00:00:02");
    neighbours_.table[ip("192.0.2.2")] = mac("02:00:00:00:00:02");
    std::vector<std::unique_ptr<auth::Backend>> backends;
    backends.push_back(std::make_unique<auth::ClickThrough>());
    auto p = std::make_unique<Passwords>();
    passwords_ = p.get();
    backends.push_back(std::move(p));
    gate_.emplace(std::move(backends), limiter_);  // no timer: held answers go at once
    handler_.emplace(HandlerSettings{3600s, "Test", {"192.0.2.1"}},
                     Handler::Deps{registry_, peers_, neighbours_, tokens_, *gate_, [] { return 1'700'000'000ull; }});
  }
  Response send(Request r) {
    r.set(http::field::host, "192.0.2.1");
    r.prepare_payload();
    std::optional<Response> out;
    handler_->handle(r, Client{ip("192.0.2.2"), 40000}, [&](Response x) { out = std::move(x); });
    EXPECT_TRUE(out);
    return out.value_or(Response{});
  }
  Response page() { return send(Request{http::verb::get, "/", 11}); }
  Response post(const std::string& fields) {
    std::smatch m;
    const std::string body = page().body();
    std::regex_search(body, m, std::regex("name=\"token\" value=\"([0-9a-f]{64})\""));
    Request r{http::verb::post, "/login", 11};
    r.body() = "token=" + std::string(m[1]) + "&" + fields;
    return send(std::move(r));
  }

  FakePeers peers_;
  FakeNeighbours neighbours_;
  FakeSet set_;
  session::Registry registry_{set_};
  auth::TokenIssuer tokens_{auth::TokenIssuer::Key{}};
  auth::Limiter::Clock::time_point now_{};
  auth::Limiter limiter_{auth::LimiterSettings{}, [this] { return now_; }};
  Passwords* passwords_ = nullptr;
  std::optional<auth::Gate> gate_;
  std::optional<Handler> handler_;
};

TEST_F(PortalAuthForms, OneFormPerBackendEachWithTokenAndMethod) {
  Response r = page();
  ASSERT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(r[http::field::cache_control], "no-store");
  const std::string& body = r.body();
  auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto at = body.find(needle); at != std::string::npos; at = body.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("<form method=\"post\" action=\"/login\">"), 2u);
  EXPECT_EQ(count("name=\"token\""), 2u);
  EXPECT_EQ(count("name=\"method\" value=\"click\""), 1u);
  EXPECT_EQ(count("name=\"method\" value=\"users\""), 1u);
  EXPECT_EQ(count("name=\"accept_terms\""), 1u);
  EXPECT_LT(body.find("value=\"click\""), body.find("value=\"users\""));  // --auth order
}

TEST_F(PortalAuthForms, TheUsersSessionCarriesItsNameTimeAndLimits) {
  ASSERT_EQ(post("method=users&user=alice&password=secret").result(), http::status::ok);
  auto c = registry_.find(mac("02:00:00:00:00:02"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->method, "user");
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->limits.quota_bytes, 1'000'000u);
  auto left = *c->expires_at - session::Clock::now();
  EXPECT_GT(left, 80s);
  EXPECT_LE(left, 91s);
}

TEST_F(PortalAuthForms, ClickThroughStillWorksWithoutMethodField) {
  ASSERT_EQ(post("accept_terms=yes").result(), http::status::ok);
  EXPECT_EQ(registry_.find(mac("02:00:00:00:00:02"))->method, "click-through");
}

TEST_F(PortalAuthForms, LockoutIs429WithRetryAfterAndNoStore) {
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(post("method=users&user=alice&password=guess").result(), http::status::forbidden) << i;
    now_ += 10s;
  }
  Response locked = post("method=users&user=alice&password=guess");
  EXPECT_EQ(locked.result(), http::status::too_many_requests);
  EXPECT_EQ(locked[http::field::retry_after], "300");
  EXPECT_EQ(locked[http::field::cache_control], "no-store");
  EXPECT_NE(locked.body().find("name=\"token\""), std::string::npos);  // the form again, with a token
  // The right password too, while locked out; and nothing reached the set.
  EXPECT_EQ(post("method=users&user=alice&password=secret").result(), http::status::too_many_requests);
  EXPECT_FALSE(registry_.find(mac("02:00:00:00:00:02")));
  EXPECT_EQ(handler_->stats().locked_out, 2u);
}

TEST_F(PortalAuthForms, BusyPoolIs503WithRetryAfter) {
  passwords_->busy = true;
  Response r = post("method=users&user=alice&password=secret");
  EXPECT_EQ(r.result(), http::status::service_unavailable);
  EXPECT_EQ(r[http::field::retry_after], "2");
  EXPECT_EQ(handler_->stats().busy, 1u);
}

}  // namespace
}  // namespace captive::portal
