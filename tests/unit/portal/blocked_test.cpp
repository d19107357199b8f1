// A blocked device (issue 9, item 9): the sign-in page says it is blocked,
// and a sign-in POST, even with a valid token, is refused and never reaches
// the kernel set.
#include <gtest/gtest.h>

#include <regex>
#include <set>

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

class BlockedDevice : public ::testing::Test {
 protected:
  BlockedDevice()
      : registry_(set_),
        tokens_(auth::TokenIssuer::Key{}),
        handler_(HandlerSettings{3600s, "Cafe", accepted_hosts(lan(), 8511, ""), {}},
                 Handler::Deps{registry_, peers_, neighbours_, tokens_, backend_, [] { return 1'700'000'000ull; },
                               {}, [this](const packet::MacAddr& m) { return blocked_.contains(m); }}) {
    peers_.table[{ip("192.0.2.2"), 40000}] = mac("02:00:00:00:00:02");
  }
  static std::vector<packet::IpAddr> lan() { return {ip("192.0.2.1")}; }

  Response ask(http::verb verb, std::string target, std::string body = {}) {
    Request r{verb, target, 11};
    r.set(http::field::host, "192.0.2.1:8511");
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

  std::string token_of_page() {
    std::smatch m;
    static const std::regex kToken("name=\"token\" value=\"([0-9a-f]{64})\"");
    std::string body = ask(http::verb::get, "/").body();
    return std::regex_search(body, m, kToken) ? std::string(m[1]) : std::string();
  }

  std::set<packet::MacAddr> blocked_;
  FakeSet set_;
  FakePeers peers_;
  FakeNeighbours neighbours_;
  session::Registry registry_;
  auth::TokenIssuer tokens_;
  auth::ClickThrough backend_;
  Handler handler_;
};

TEST_F(BlockedDevice, PageSaysBlocked) {
  blocked_.insert(mac("02:00:00:00:00:02"));
  auto page = ask(http::verb::get, "/");
  EXPECT_EQ(page.result(), http::status::forbidden);
  EXPECT_NE(page.body().find("This device is blocked"), std::string::npos);
  EXPECT_NE(page.body().find("02:00:00:00:00:02"), std::string::npos);
  EXPECT_EQ(page.body().find("name=\"token\""), std::string::npos) << "a blocked device gets no form";
  EXPECT_EQ(handler_.stats().blocked, 1u);
}

TEST_F(BlockedDevice, SignInRefusedEvenWithAValidToken) {
  // The form was fetched before the block (a token that verifies).
  std::string token = token_of_page();
  ASSERT_FALSE(token.empty());
  blocked_.insert(mac("02:00:00:00:00:02"));
  auto answer = ask(http::verb::post, "/login", "token=" + token + "&url=&accept_terms=yes");
  EXPECT_EQ(answer.result(), http::status::forbidden);
  EXPECT_NE(answer.body().find("This device is blocked"), std::string::npos);
  EXPECT_TRUE(set_.elements.empty()) << "a blocked MAC went into @allowed";
  EXPECT_EQ(handler_.stats().sign_ins, 0u);
}

TEST_F(BlockedDevice, OthersAndUnblockedSignIn) {
  blocked_.insert(mac("02:00:00:00:00:09"));
  std::string token = token_of_page();
  ASSERT_FALSE(token.empty());
  auto answer = ask(http::verb::post, "/login", "token=" + token + "&url=&accept_terms=yes");
  EXPECT_EQ(answer.result(), http::status::ok);
  EXPECT_EQ(set_.elements.size(), 1u);
  EXPECT_EQ(handler_.stats().blocked, 0u);
}

}  // namespace
}  // namespace captive::portal
