#include "captive/portal/handler.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "captive/http/answer.hpp"
#include "captive/http/link_signature.hpp"
#include "captive/http/text.hpp"
#include "../fakes/fakes.hpp"
#include "fake_peers.hpp"

namespace captive::portal {
namespace {
using captive::testing::FakeNeighbours;
using captive::testing::FakePeers;
using captive::testing::FakeSet;
using captive::testing::ip;
using captive::testing::mac;
using namespace std::chrono_literals;

constexpr std::uint16_t kPort = 40000;  // the client's source port of "the" connection

class PortalHandler : public ::testing::Test {
 protected:
  PortalHandler()
      : registry_(set_),
        tokens_(key()),
        handler_(HandlerSettings{3600s, "Cafe <Test>", hosts(), link_key(), "https://192.0.2.1:8443/",
                                 "https://[2001:db8:1::1]:8443/", ""},
                 Handler::Deps{registry_, peers_, neighbours_, tokens_, backend_, [this] { return now_; }, {}, {},
                               client_log_.get(), [this] { return session::Clock::now() + handler_wall_offset_; }}) {
    // 192.0.2.2 is 02:..:02 on the wire (its connections) and in the
    // neighbour table.
    connect("192.0.2.2", kPort, "02:00:00:00:00:02");
    neighbours_.table[ip("192.0.2.2")] = mac("02:00:00:00:00:02");
  }

  static std::vector<std::string> hosts() {
    const packet::IpAddr lan[] = {ip("192.0.2.1"), ip("2001:db8:1::1")};
    return accepted_hosts(lan, 8511, "");
  }

  // The ruleset saw an established connection from (address, port) with this MAC.
  void connect(const char* address, std::uint16_t port, const char* m) {
    peers_.table[{ip(address), port}] = mac(m);
  }

  static captive::http::LinkKey link_key() {
    captive::http::LinkKey k{};
    k[3] = 9;
    return k;
  }

  // The query of the link a 511 rendered for the device `for_mac` carries
  // (url-encoded url, its signature).
  static std::string signed_query(std::string_view url, const char* for_mac = "02:00:00:00:00:02",
                                  const captive::http::LinkKey& k = link_key()) {
    const auto sig = captive::http::sign_link(k, mac(for_mac), url);
    return "url=" + captive::http::url_encode(url) + "&sig=" + std::string(sig.data(), sig.size());
  }

  static captive::http::LinkKey key_of_another_gateway() {
    captive::http::LinkKey k = link_key();
    k[0] ^= 0x80;
    return k;
  }

  static auth::TokenIssuer::Key key() {
    auth::TokenIssuer::Key k{};
    k[0] = 7;
    return k;
  }

  Response get(std::string target, const char* from = "192.0.2.2", std::uint16_t port = kPort,
               const char* host = "192.0.2.1:8511") {
    Request r{http::verb::get, target, 11};
    if (host != nullptr) r.set(http::field::host, host);
    return answer(r, Client{ip(from), port});
  }

  Response post(std::string body, const char* from = "192.0.2.2", std::string target = "/login",
                std::uint16_t port = kPort, const char* host = "192.0.2.1:8511") {
    Request r{http::verb::post, target, 11};
    if (host != nullptr) r.set(http::field::host, host);
    r.set(http::field::content_type, "application/x-www-form-urlencoded");
    r.body() = std::move(body);
    r.prepare_payload();
    return answer(r, Client{ip(from), port});
  }

  // Without executors the registry answers a sign-in before handle returns.
  Response answer(const Request& r, const Client& client) {
    std::optional<Response> out;
    handler_.handle(r, client, [&](Response response) { out = std::move(response); });
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
  FakePeers peers_;
  FakeNeighbours neighbours_;
  session::Registry registry_;
  auth::TokenIssuer tokens_;
  auth::ClickThrough backend_;
  std::uint64_t now_ = 1'700'000'000;
  std::unique_ptr<responder::ClientLog> client_log_ = responder::ClientLog::create(nullptr);
  std::chrono::seconds handler_wall_offset_{0};
  Handler handler_;
};

TEST_F(PortalHandler, FormCarriesTokenAndOriginalUrl) {
  auto page = get("/?" + signed_query("http://example.com/a?b=1&c=<x>"));
  EXPECT_EQ(page.result(), http::status::ok);
  EXPECT_EQ(page[http::field::cache_control], "no-store");
  EXPECT_EQ(page[http::field::content_type], "text/html; charset=UTF-8");
  EXPECT_FALSE(token_in(page).empty());
  EXPECT_NE(page.body().find("value=\"http://example.com/a?b=1&amp;c=&lt;x&gt;\""), std::string::npos);
  EXPECT_NE(page.body().find("Cafe &lt;Test&gt;"), std::string::npos);
  EXPECT_EQ(page.body().find("<Test>"), std::string::npos);
}

TEST_F(PortalHandler, SignInAddsMacAndRedirectsToOriginalUrl) {
  const std::string url = captive::http::url_encode("http://198.51.100.2/page");
  std::string token = token_in(get("/?" + signed_query("http://198.51.100.2/page")));
  auto r = post("token=" + token + "&url=" + url + "&accept_terms=yes");
  EXPECT_EQ(r.result(), http::status::see_other);
  EXPECT_EQ(r[http::field::location], "http://198.51.100.2/page");
  ASSERT_EQ(set_.elements.count(mac("02:00:00:00:00:02")), 1u);
  EXPECT_EQ(set_.elements.at(mac("02:00:00:00:00:02")), 3600s);
  EXPECT_EQ(handler_.stats().sign_ins, 1u);
  // Once in, the page says so instead of showing the form.
  auto again = get("/");
  EXPECT_NE(again.body().find("signed in until"), std::string::npos);
  EXPECT_EQ(again.body().find("action=\"/login\""), std::string::npos);
}

// --- logout (issue 9, item 6) ---

TEST_F(PortalHandler, OnlinePageHasALogoutFormWithAToken) {
  std::string token = token_in(get("/"));
  auto online = post("token=" + token + "&accept_terms=yes");
  ASSERT_EQ(online.result(), http::status::ok);
  EXPECT_NE(online.body().find("action=\"/logout\""), std::string::npos);
  EXPECT_NE(online.body().find("method=\"post\""), std::string::npos);
  auto page = get("/");
  EXPECT_NE(page.body().find("action=\"/logout\""), std::string::npos);
  EXPECT_FALSE(token_in(page).empty());
}

TEST_F(PortalHandler, LogoutEndsTheSessionOfThisDevice) {
  connect("192.0.2.3", kPort, "02:00:00:00:00:03");
  ASSERT_EQ(post("token=" + token_in(get("/")) + "&accept_terms=yes").result(), http::status::ok);
  ASSERT_EQ(post("token=" + token_in(get("/", "192.0.2.3")) + "&accept_terms=yes", "192.0.2.3").result(),
            http::status::ok);
  ASSERT_EQ(set_.elements.size(), 2u);
  std::string logout_token = token_in(get("/"));
  auto r = post("token=" + logout_token, "192.0.2.2", "/logout");
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_NE(r.body().find("logged out"), std::string::npos);
  EXPECT_EQ(set_.elements.count(mac("02:00:00:00:00:02")), 0u);
  EXPECT_EQ(set_.elements.count(mac("02:00:00:00:00:03")), 1u) << "another device was logged out";
  EXPECT_FALSE(registry_.find(mac("02:00:00:00:00:02")));
  EXPECT_EQ(handler_.stats().logouts, 1u);
  // Back to the sign-in form.
  EXPECT_NE(get("/").body().find("action=\"/login\""), std::string::npos);
}

// CSRF: without this device's logout token nothing happens.
TEST_F(PortalHandler, LogoutWithoutAValidTokenIsRefused) {
  connect("192.0.2.3", kPort, "02:00:00:00:00:03");
  ASSERT_EQ(post("token=" + token_in(get("/")) + "&accept_terms=yes").result(), http::status::ok);
  ASSERT_EQ(post("token=" + token_in(get("/", "192.0.2.3")) + "&accept_terms=yes", "192.0.2.3").result(),
            http::status::ok);
  const std::string theirs = token_in(get("/", "192.0.2.3"));  // 02:..:03's logout token
  const std::string sign_in_token = tokens_.issue(mac("02:00:00:00:00:02"), "", now_);
  const std::string stale = tokens_.issue(mac("02:00:00:00:00:02"), kLogoutPurpose, now_ - 3 * 3600);
  for (const std::string& body : {std::string(""), "token=" + std::string(64, 'a'), "token=" + theirs,
                                  "token=" + sign_in_token, "token=" + stale}) {
    auto r = post(body, "192.0.2.2", "/logout");
    EXPECT_EQ(r.result(), http::status::forbidden) << body;
  }
  EXPECT_EQ(set_.elements.size(), 2u);
  EXPECT_TRUE(registry_.find(mac("02:00:00:00:00:02")));
  EXPECT_EQ(handler_.stats().logouts, 0u);
  EXPECT_EQ(handler_.stats().bad_token, 5u);
  // Nor does a logout token sign anyone in.
  ASSERT_EQ(post("token=" + token_in(get("/")), "192.0.2.2", "/logout").result(), http::status::ok);
  const std::string logout_token = tokens_.issue(mac("02:00:00:00:00:02"), kLogoutPurpose, now_);
  EXPECT_EQ(post("token=" + logout_token + "&accept_terms=yes").result(), http::status::forbidden);
  EXPECT_EQ(set_.elements.count(mac("02:00:00:00:00:02")), 0u);
}

// The device is who the connection says, never the form.
TEST_F(PortalHandler, LogoutIdentityComesFromTheConnection) {
  EXPECT_EQ(post("token=" + std::string(64, 'a'), "192.0.2.50", "/logout").result(), http::status::forbidden);
  EXPECT_EQ(handler_.stats().unknown_client, 1u);
  connect("192.0.2.3", kPort, "02:00:00:00:00:03");
  ASSERT_EQ(post("token=" + token_in(get("/", "192.0.2.3")) + "&accept_terms=yes", "192.0.2.3").result(),
            http::status::ok);
  // 192.0.2.2 presents its own valid logout token and names 02:..:03 in the form.
  const std::string own = tokens_.issue(mac("02:00:00:00:00:02"), kLogoutPurpose, now_);
  auto r = post("token=" + own + "&mac=02:00:00:00:00:03&ip=192.0.2.3", "192.0.2.2", "/logout");
  EXPECT_EQ(r.result(), http::status::ok);  // 02:..:02 was not signed in: out either way
  EXPECT_EQ(set_.elements.count(mac("02:00:00:00:00:03")), 1u);
  EXPECT_EQ(handler_.stats().logouts, 0u);
}

TEST_F(PortalHandler, LogoutOnlyByPost) {
  EXPECT_EQ(get("/logout").result(), http::status::method_not_allowed);
}

TEST_F(PortalHandler, WithoutUrlSaysOnline) {
  std::string token = token_in(get("/"));
  auto r = post("token=" + token + "&accept_terms=yes");
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(set_.elements.size(), 1u);
}

TEST_F(PortalHandler, UnsafeReturnUrlIsDropped) {
  const std::string url = captive::http::url_encode("javascript:alert(1)");
  auto page = get("/?url=" + url);
  EXPECT_EQ(page.body().find("javascript"), std::string::npos);
  auto r = post("token=" + token_in(page) + "&accept_terms=yes&url=" + url);
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(r[http::field::location], "");
}

// The token vouches for the URL the form was rendered with: a form whose url
// was swapped for another (a crafted sign-in form) signs no one in and sends
// the browser nowhere; the form shown again carries no URL.
TEST_F(PortalHandler, ReturnUrlSwappedAfterRenderingIsRefused) {
  const std::string a = captive::http::url_encode("http://example.com/a");
  const std::string b = captive::http::url_encode("http://evil.example/");
  std::string token = token_in(get("/?" + signed_query("http://example.com/a")));
  auto r = post("token=" + token + "&accept_terms=yes&url=" + b);
  EXPECT_EQ(r.result(), http::status::forbidden);
  EXPECT_EQ(r[http::field::location], "");
  EXPECT_EQ(r.body().find("evil.example"), std::string::npos);
  EXPECT_TRUE(set_.elements.empty());
  EXPECT_EQ(handler_.stats().bad_token, 1u);
  // Dropping the URL is a change too.
  EXPECT_EQ(post("token=" + token + "&accept_terms=yes").result(), http::status::forbidden);
  // The one it was rendered with works.
  r = post("token=" + token + "&accept_terms=yes&url=" + a);
  EXPECT_EQ(r.result(), http::status::see_other);
  EXPECT_EQ(r[http::field::location], "http://example.com/a");
}

// A sign-in link with a url of somebody's choosing (crafted, or rendered by
// the gateway for another device, or signed with another key) gets the form
// without that url: accepting it says "you are online" and redirects nowhere.
TEST_F(PortalHandler, LinkWithoutOurSignatureLosesItsUrl) {
  const std::string evil = "http://evil.example/";
  const std::string wrong_sig = signed_query("http://example.com/a");
  const std::string queries[] = {
      "url=" + captive::http::url_encode(evil),                                   // no sig
      "url=" + captive::http::url_encode(evil) + wrong_sig.substr(wrong_sig.find("&sig=")),  // another URL's
      signed_query(evil, "02:00:00:00:00:99"),                                    // another device's link
      signed_query(evil, "02:00:00:00:00:02", key_of_another_gateway()),          // another key
      signed_query(evil) + "x",                                                   // sig not 16 digits
      "url=" + captive::http::url_encode(evil) + "&sig=",
  };
  std::uint64_t n = 0;
  for (const auto& query : queries) {
    SCOPED_TRACE(query);
    auto page = get("/?" + query);
    EXPECT_EQ(page.result(), http::status::ok);
    EXPECT_EQ(page.body().find("evil.example"), std::string::npos);
    EXPECT_NE(page.body().find("name=\"url\" value=\"\""), std::string::npos);
    EXPECT_EQ(handler_.stats().unsigned_url, ++n);
    // Its form signs in, to "you are online", no 303 anywhere.
    auto r = post("token=" + token_in(page) + "&accept_terms=yes&url=");
    EXPECT_EQ(r.result(), http::status::ok);
    EXPECT_EQ(r[http::field::location], "");
    EXPECT_EQ(r.body().find("evil.example"), std::string::npos);
    // Nor does its token cover the crafted url.
    EXPECT_EQ(post("token=" + token_in(page) + "&accept_terms=yes&url=" + captive::http::url_encode(evil)).result(),
              http::status::forbidden);
    registry_.revoke(mac("02:00:00:00:00:02"), [](Result<void>) {});
  }
  // The same URL in a link signed for this device is kept.
  auto page = get("/?" + signed_query(evil));
  EXPECT_NE(page.body().find("value=\"http://evil.example/\""), std::string::npos);
  EXPECT_EQ(handler_.stats().unsigned_url, n);
}

// The whole way: the link of a 511 the responder would render for this
// device, followed and signed in through, ends with a 303 to the page asked for.
TEST_F(PortalHandler, LinkFromA511KeepsItsUrl) {
  std::array<char, 8192> buf{};
  captive::http::AnswerContext context;
  context.portal_url = "http://192.0.2.1:8511/";
  context.destination = ip("198.51.100.7");
  context.link_key = link_key();
  context.client_mac = mac("02:00:00:00:00:02");
  const auto n = captive::http::render_answer(
      buf, captive::http::AnswerKind::network_authentication_required,
      captive::http::parse_request("GET /news?id=1&x=%41 HTTP/1.1\r\nHost: example.com\r\n\r\n"), context);
  ASSERT_GT(n, 0u);
  const std::string answer(buf.data(), n);
  const std::string start = "<a href=\"http://192.0.2.1:8511";
  const auto at = answer.find(start);
  ASSERT_NE(at, std::string::npos);
  std::string target = answer.substr(at + start.size(), answer.find('"', at + start.size()) - at - start.size());
  for (std::size_t amp; (amp = target.find("&amp;")) != std::string::npos;) target.replace(amp, 5, "&");

  auto page = get(target);
  EXPECT_EQ(handler_.stats().unsigned_url, 0u);
  auto r = post("token=" + token_in(page) + "&accept_terms=yes&url=" +
                captive::http::url_encode("http://example.com/news?id=1&x=%41"));
  EXPECT_EQ(r.result(), http::status::see_other);
  EXPECT_EQ(r[http::field::location], "http://example.com/news?id=1&x=%41");
}

// `captivectl doctor` learns from the portal: the page load, the refusal,
// the sign-in, each under the MAC of the connection.
TEST_F(PortalHandler, PageLoadsAndSignInsAreNotedForDoctor) {
  using responder::ClientEvent;
  const auto phone = mac("02:00:00:00:00:02");
  std::string token = token_in(get("/?" + signed_query("http://198.51.100.2/page")));
  const std::string url = "&url=" + captive::http::url_encode("http://198.51.100.2/page");
  post("token=" + token + url);  // terms not accepted
  EXPECT_EQ(post("token=" + token + url + "&accept_terms=yes").result(), http::status::see_other);
  const auto noted = client_log_->history(phone);
  ASSERT_EQ(noted.size(), 3u);
  EXPECT_EQ(noted[0].event, ClientEvent::portal_page);
  EXPECT_EQ(noted[0].host, "192.0.2.1:8511");
  EXPECT_EQ(noted[0].path.rfind("/?url=", 0), 0u);
  EXPECT_EQ(noted[0].when, now_);
  EXPECT_EQ(noted[1].event, ClientEvent::sign_in_refused);
  EXPECT_EQ(noted[2].event, ClientEvent::signed_in);
  EXPECT_EQ(noted[2].path, "/login");
  // Nobody else's history.
  EXPECT_TRUE(client_log_->history(mac("02:00:00:00:00:03")).empty());
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
  connect("192.0.2.3", kPort, "02:00:00:00:00:03");
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

// The identity is the wire MAC of this connection; no neighbour entry is needed.
TEST_F(PortalHandler, WireMacIdentifiesWithoutNeighbourEntry) {
  connect("2001:db8:1::5", 41000, "02:00:00:00:00:05");
  std::string token = token_in(get("/", "2001:db8:1::5", 41000, "[2001:db8:1::1]:8511"));
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(post("token=" + token + "&accept_terms=yes", "2001:db8:1::5", "/login", 41000,
                 "[2001:db8:1::1]:8511").result(),
            http::status::ok);
  EXPECT_EQ(set_.elements.count(mac("02:00:00:00:00:05")), 1u);
}

// A neighbour entry alone identifies no one: that address's portal
// connection was not seen established on the LAN (or the ruleset lacks the
// map), and a MAC learnt from other packets may be a spoofer's.
TEST_F(PortalHandler, NeighbourEntryWithoutWireEntryIsUnknown) {
  neighbours_.table[ip("192.0.2.7")] = mac("02:00:00:00:00:07");
  EXPECT_EQ(get("/", "192.0.2.7").result(), http::status::forbidden);
  EXPECT_EQ(post("accept_terms=yes", "192.0.2.7").result(), http::status::forbidden);
  EXPECT_TRUE(set_.elements.empty());
  EXPECT_EQ(handler_.stats().unknown_client, 2u);
}

// The element is per connection: the same address on another source port
// (an attacker's spoofed, never-established connection) is not identified.
TEST_F(PortalHandler, IdentityIsPerConnection) {
  EXPECT_EQ(get("/", "192.0.2.2", kPort + 1).result(), http::status::forbidden);
  // A form rendered on one connection is posted on another of the same device.
  connect("192.0.2.2", kPort + 2, "02:00:00:00:00:02");
  std::string token = token_in(get("/"));
  EXPECT_EQ(post("token=" + token + "&accept_terms=yes", "192.0.2.2", "/login", kPort + 2).result(),
            http::status::ok);
  EXPECT_EQ(set_.elements.count(mac("02:00:00:00:00:02")), 1u);
}

// Wire and neighbour table disagree: refused with a page saying why, counted,
// nobody signed in - neither the wire MAC nor the table's.
TEST_F(PortalHandler, NeighbourMismatchIsRefusedAndCounted) {
  connect("192.0.2.9", kPort, "02:00:00:00:00:99");  // the wire says 99
  neighbours_.table[ip("192.0.2.9")] = mac("02:00:00:00:00:09");
  auto page = get("/", "192.0.2.9");
  EXPECT_EQ(page.result(), http::status::forbidden);
  EXPECT_NE(page.body().find("same address"), std::string::npos);
  EXPECT_TRUE(token_in(page).empty());
  // Even with a token the wire MAC would have had.
  std::string token = tokens_.issue(mac("02:00:00:00:00:99"), "", now_);
  EXPECT_EQ(post("token=" + token + "&accept_terms=yes", "192.0.2.9").result(), http::status::forbidden);
  EXPECT_TRUE(set_.elements.empty());
  EXPECT_EQ(handler_.stats().identity_mismatch, 2u);
  EXPECT_EQ(handler_.stats().unknown_client, 0u);
}

TEST_F(PortalHandler, PeerLookupFailureIsUnknownNotSignedIn) {
  std::string token = token_in(get("/"));
  peers_.fail_next = true;
  EXPECT_EQ(post("token=" + token + "&accept_terms=yes").result(), http::status::forbidden);
  EXPECT_TRUE(set_.elements.empty());
}

// DNS rebinding: a page of another origin whose name now resolves to the
// router reaches us with its own name in Host. It gets 421 and no form,
// whatever else the request carries.
TEST_F(PortalHandler, ForeignHostIsMisdirected) {
  for (const char* host : {"evil.example", "evil.example:8511", "192.0.2.1.evil.example", "192.0.2.1:80",
                           "", "[2001:db8:1::2]:8511"}) {
    auto r = get("/", "192.0.2.2", kPort, host);
    EXPECT_EQ(r.result(), http::status::misdirected_request) << host;
    EXPECT_TRUE(token_in(r).empty()) << host;
    EXPECT_EQ(r[http::field::cache_control], "no-store");
  }
  std::string token = token_in(get("/"));
  EXPECT_EQ(post("token=" + token + "&accept_terms=yes", "192.0.2.2", "/login", kPort, "evil.example").result(),
            http::status::misdirected_request);
  EXPECT_TRUE(set_.elements.empty());
  // RFC 9112 §3.2: no Host at all (or two) is a bad request.
  EXPECT_EQ(get("/", "192.0.2.2", kPort, nullptr).result(), http::status::bad_request);
  Request twice{http::verb::get, "/", 11};
  twice.insert(http::field::host, "192.0.2.1");
  twice.insert(http::field::host, "evil.example");
  EXPECT_EQ(answer(twice, Client{ip("192.0.2.2"), kPort}).result(), http::status::bad_request);
  EXPECT_EQ(handler_.stats().wrong_host, 9u);
}

TEST_F(PortalHandler, OwnHostsAreServed) {
  for (const char* host : {"192.0.2.1", "192.0.2.1:8511", "[2001:db8:1::1]", "[2001:DB8:1::1]:8511"})
    EXPECT_EQ(get("/", "192.0.2.2", kPort, host).result(), http::status::ok) << host;
}

TEST(AcceptedHosts, LanAddressesAndPortalUrl) {
  const packet::IpAddr lan[] = {ip("192.0.2.1"), ip("2001:db8:1::1")};
  auto hosts = accepted_hosts(lan, 8511, "http://Portal.Example:8080/signin?x=1");
  const std::vector<std::string> want = {"192.0.2.1",         "192.0.2.1:8511",      "[2001:db8:1::1]",
                                         "[2001:db8:1::1]:8511", "portal.example:8080", "portal.example"};
  EXPECT_EQ(hosts, want);
  hosts = accepted_hosts({}, 8511, "https://[2001:db8::9]/");
  EXPECT_EQ(hosts, (std::vector<std::string>{"[2001:db8::9]", "[2001:db8::9]:8511"}));
  EXPECT_TRUE(accepted_hosts({}, 8511, "").empty());
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
  head.set(http::field::host, "192.0.2.1:8511");
  auto r = answer(head, Client{ip("192.0.2.2"), kPort});
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_TRUE(r.body().empty());
}

// --- RFC 8908 API ---

std::optional<std::uint64_t> seconds_remaining(const Response& r) {
  std::smatch m;
  static const std::regex kField("\"seconds-remaining\":([0-9]+)");
  if (!std::regex_search(r.body(), m, kField)) return std::nullopt;
  return std::stoull(m[1]);
}

bool says_captive(const Response& r, bool captive) {
  return r.body().starts_with(captive ? "{\"captive\":true," : "{\"captive\":false,");
}

TEST_F(PortalHandler, ApiIsCaptiveJsonNotCached) {
  auto r = get("/api");
  EXPECT_EQ(r.result(), http::status::ok);
  // RFC 8908 §5: the media type, and a cache control (no-store: the answer
  // flips at sign-in and must not be served from a cache after it).
  EXPECT_EQ(r[http::field::content_type], "application/captive+json");
  EXPECT_EQ(r[http::field::cache_control], "no-store");
  EXPECT_EQ(r.body(),
            "{\"captive\":true,\"user-portal-url\":\"https://192.0.2.1:8443/\",\"can-extend-session\":false}\n");
  EXPECT_EQ(handler_.stats().api_requests, 1u);
}

TEST_F(PortalHandler, ApiCaptiveUntilSignInThenFalseThenTrueAfterRevoke) {
  EXPECT_TRUE(says_captive(get("/api"), true));
  EXPECT_FALSE(seconds_remaining(get("/api")));  // no session, no time left to report
  std::string token = token_in(get("/"));
  ASSERT_EQ(post("token=" + token + "&accept_terms=yes").result(), http::status::ok);
  // Right after the sign-in's answer: iOS asks the API instead of probing
  // and must not see `captive: true` any more.
  auto after = get("/api");
  EXPECT_TRUE(says_captive(after, false)) << after.body();
  auto left = seconds_remaining(after);
  ASSERT_TRUE(left) << after.body();
  EXPECT_LE(*left, 3600u);
  EXPECT_GT(*left, 3590u);
  EXPECT_EQ(after.body().find("bytes-remaining"), std::string::npos);  // no quota: no field
  bool revoked = false;
  registry_.revoke(mac("02:00:00:00:00:02"), [&](Result<void> r) { revoked = r.has_value(); });
  ASSERT_TRUE(revoked);
  EXPECT_TRUE(says_captive(get("/api"), true));
}

// Under captived's --quota the API says how much is left (RFC 8908 §5).
TEST_F(PortalHandler, ApiBytesRemainingUnderAQuota) {
  registry_.set_default_limits(session::Limits{std::nullopt, 5000, std::nullopt, std::nullopt});
  std::string token = token_in(get("/"));
  ASSERT_EQ(post("token=" + token + "&accept_terms=yes").result(), http::status::ok);
  auto after = get("/api");
  EXPECT_NE(after.body().find("\"bytes-remaining\":5000,"), std::string::npos) << after.body();
}

TEST_F(PortalHandler, ApiSecondsRemainingCountsDown) {
  std::string token = token_in(get("/"));
  ASSERT_EQ(post("token=" + token + "&accept_terms=yes").result(), http::status::ok);
  auto first = seconds_remaining(get("/api"));
  ASSERT_TRUE(first);
  // The wall clock the handler reads moves on 100 s; the registry's expiry does not.
  handler_wall_offset_ = 100s;
  auto later = seconds_remaining(get("/api"));
  ASSERT_TRUE(later);
  EXPECT_LE(*later + 99, *first);
  EXPECT_GE(*later + 101, *first);
}

TEST_F(PortalHandler, ApiShowsOnlyTheRequestersOwnSession) {
  // c1 (192.0.2.2) signs in; another device, 192.0.2.3 with its own MAC,
  // asks: it is captive and hears nothing of c1's session.
  std::string token = token_in(get("/"));
  ASSERT_EQ(post("token=" + token + "&accept_terms=yes").result(), http::status::ok);
  connect("192.0.2.3", kPort, "02:00:00:00:00:03");
  auto other = get("/api", "192.0.2.3");
  EXPECT_TRUE(says_captive(other, true)) << other.body();
  EXPECT_FALSE(seconds_remaining(other));
  // An unidentified connection from c1's own address (no peer entry for
  // this port) is not taken for c1 either.
  auto unknown = get("/api", "192.0.2.2", kPort + 1);
  EXPECT_TRUE(says_captive(unknown, true)) << unknown.body();
  // Nor is one whose address the neighbour table gives to another MAC.
  connect("192.0.2.2", kPort + 2, "02:00:00:00:00:02");
  neighbours_.table[ip("192.0.2.2")] = mac("02:00:00:00:00:99");
  auto mismatch = get("/api", "192.0.2.2", kPort + 2);
  EXPECT_TRUE(says_captive(mismatch, true)) << mismatch.body();
}

TEST_F(PortalHandler, ApiPortalUrlByFamilyAndVenue) {
  connect("2001:db8:1::2", kPort, "02:00:00:00:00:02");
  auto v6 = get("/api", "2001:db8:1::2", kPort, "[2001:db8:1::1]:8511");
  EXPECT_NE(v6.body().find("\"user-portal-url\":\"https://[2001:db8:1::1]:8443/\""), std::string::npos) << v6.body();
  EXPECT_EQ(v6.body().find("venue-info-url"), std::string::npos);
  ApiState state;
  state.user_portal_url = "https://portal.example/";
  state.venue_info_url = "https://venue.example/\"x\"";
  state.bytes_remaining = 42;
  state.seconds_remaining = 7;
  EXPECT_EQ(api_json(state),
            "{\"captive\":true,\"user-portal-url\":\"https://portal.example/\",\"venue-info-url\":"
            "\"https://venue.example/\\\"x\\\"\",\"seconds-remaining\":7,\"bytes-remaining\":42,"
            "\"can-extend-session\":false}\n");
}

TEST(BytesRemaining, QuotaMinusTrafficBothWays) {
  session::Client r;
  EXPECT_FALSE(bytes_remaining(r));  // no quota: no field
  r.limits.quota_bytes = 1000;
  EXPECT_EQ(bytes_remaining(r), 1000u);
  r.traffic.bytes_up = 300;
  r.traffic.bytes_down = 600;
  EXPECT_EQ(bytes_remaining(r), 100u);
  r.traffic.bytes_down = 5000;  // over (the sweep ends it within seconds)
  EXPECT_EQ(bytes_remaining(r), 0u);
}

TEST_F(PortalHandler, ApiMethodsAndHost) {
  EXPECT_EQ(post("x", "192.0.2.2", "/api").result(), http::status::method_not_allowed);
  Request head{http::verb::head, "/api", 11};
  head.set(http::field::host, "192.0.2.1:8511");
  auto r = answer(head, Client{ip("192.0.2.2"), kPort});
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(r[http::field::content_type], "application/captive+json");
  EXPECT_TRUE(r.body().empty());
  // DNS rebinding: another origin's page must not read the API either.
  EXPECT_EQ(get("/api", "192.0.2.2", kPort, "evil.example").result(), http::status::misdirected_request);
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
