// Disconnect-Request and CoA-Request (RFC 5176) as captived's listener
// checks them: only with the right secret (Request Authenticator, §2.3;
// Message-Authenticator, §3.2), inside the Event-Timestamp window (§3.4),
// naming a session (§3), with only attributes captived can honour (§3.5);
// and the answers a server can verify.
#include "captive/radius/coa.hpp"

#include <gtest/gtest.h>

#include "captive/radius/crypto.hpp"

namespace captive::radius {
namespace {

constexpr std::string_view kSecret = "coa-secret";
constexpr std::int64_t kNow = 1'700'000'000;

template <class F>
std::vector<std::byte> request(Code code, F&& add, std::string_view secret = kSecret, bool message_auth = false) {
  Builder b(code, 42);
  if (message_auth) b.add_message_authenticator();
  add(b);
  auto p = std::move(b).finish();
  EXPECT_TRUE(sign(p, secret));
  return p;
}

std::vector<std::byte> disconnect_by_session(std::string_view secret = kSecret) {
  return request(Code::disconnect_request, [](Builder& b) { b.add(attr::acct_session_id, "0123456789ABCDEF"); },
                 secret);
}

TEST(RadiusCoa, AcceptsADisconnectWithTheRightSecret) {
  auto r = parse_coa_request(disconnect_by_session(), kSecret, kNow);
  ASSERT_TRUE(std::holds_alternative<CoaRequest>(r));
  const auto& req = std::get<CoaRequest>(r);
  EXPECT_EQ(req.code, Code::disconnect_request);
  EXPECT_EQ(req.identifier, 42);
  EXPECT_EQ(req.who.acct_session_id, "0123456789ABCDEF");
  EXPECT_FALSE(req.refuse);
}

TEST(RadiusCoa, DropsAWrongSecretOrATamperedPacket) {
  auto r = parse_coa_request(disconnect_by_session("not-the-secret"), kSecret, kNow);
  ASSERT_TRUE(std::holds_alternative<CoaDrop>(r));
  EXPECT_EQ(std::get<CoaDrop>(r), CoaDrop::bad_authenticator);

  auto p = disconnect_by_session();
  p.back() ^= std::byte{1};
  EXPECT_EQ(std::get<CoaDrop>(parse_coa_request(p, kSecret, kNow)), CoaDrop::bad_authenticator);

  // Message-Authenticator signed with another secret, Request Authenticator
  // recomputed with ours (what §3.2 exists for).
  auto m = request(Code::coa_request, [](Builder& b) { b.add(attr::user_name, "alice"); }, kSecret, true);
  auto view = PacketView::parse(m);
  ASSERT_TRUE(view);
  m[view->message_authenticator_offset()] ^= std::byte{1};
  std::fill(m.begin() + 4, m.begin() + 20, std::byte{0});
  const auto a = accounting_request_authenticator(m, kSecret);
  std::copy(a.begin(), a.end(), m.begin() + 4);
  EXPECT_EQ(std::get<CoaDrop>(parse_coa_request(m, kSecret, kNow)), CoaDrop::bad_message_authenticator);
  // The same with a right Message-Authenticator passes.
  auto good = request(Code::coa_request, [](Builder& b) { b.add(attr::user_name, "alice"); }, kSecret, true);
  EXPECT_TRUE(std::holds_alternative<CoaRequest>(parse_coa_request(good, kSecret, kNow)));
}

TEST(RadiusCoa, DropsWhatIsNotARequest) {
  const std::vector<std::byte> junk(10, std::byte{40});
  EXPECT_EQ(std::get<CoaDrop>(parse_coa_request(junk, kSecret, kNow)), CoaDrop::malformed);
  auto ack = request(Code::accounting_request, [](Builder& b) { b.add(attr::user_name, "x"); });
  EXPECT_EQ(std::get<CoaDrop>(parse_coa_request(ack, kSecret, kNow)), CoaDrop::not_a_request);
}

TEST(RadiusCoa, DropsAReplayOutsideTheEventTimestampWindow) {
  for (auto [ts, fresh] : {std::pair{kNow, true}, {kNow - 300, true}, {kNow + 300, true}, {kNow - 301, false},
                           {kNow + 301, false}, {0, false}}) {
    auto p = request(Code::disconnect_request, [ts = ts](Builder& b) {
      b.add(attr::user_name, "alice");
      b.add_u32(attr::event_timestamp, static_cast<std::uint32_t>(ts));
    });
    auto r = parse_coa_request(p, kSecret, kNow);
    EXPECT_EQ(std::holds_alternative<CoaRequest>(r), fresh) << ts;
    if (!fresh) {
      EXPECT_EQ(std::get<CoaDrop>(r), CoaDrop::stale);
    }
  }
}

TEST(RadiusCoa, ReadsTheSessionAndTheNewLimits) {
  auto p = request(Code::coa_request, [](Builder& b) {
    b.add(attr::calling_station_id, "02-00-00-00-00-0A");
    b.add_ipv4(attr::framed_ip_address, {192, 0, 2, 10});
    b.add_u32(attr::session_timeout, 600);
    b.add_u32(attr::idle_timeout, 120);
    b.add_vendor_u32(wispr::kVendor, wispr::bandwidth_max_down, 1'000'000);  // bits/s
    b.add_vendor_u32(wispr::kVendor, wispr::bandwidth_max_up, 100'001);
  });
  auto r = parse_coa_request(p, kSecret, kNow);
  ASSERT_TRUE(std::holds_alternative<CoaRequest>(r));
  const auto& req = std::get<CoaRequest>(r);
  EXPECT_FALSE(req.refuse);
  EXPECT_EQ(req.who.calling_station_id, packet::MacAddr::parse("02:00:00:00:00:0a"));
  EXPECT_EQ(req.who.framed_ip, packet::IpAddr::parse("192.0.2.10"));
  EXPECT_EQ(req.changes.session_timeout, 600u);
  EXPECT_EQ(req.changes.idle_timeout, 120u);
  EXPECT_EQ(req.changes.rate_down, 125'000u);  // bytes/s
  EXPECT_EQ(req.changes.rate_up, 12'501u);     // rounded up: never below what was asked
}

TEST(RadiusCoa, RefusesWhatItCannotHonourWithAnErrorCause) {
  // §3: no session identification attribute.
  auto none = request(Code::disconnect_request, [](Builder& b) { b.add(attr::nas_identifier, "router-1"); });
  EXPECT_EQ(std::get<CoaRequest>(parse_coa_request(none, kSecret, kNow)).refuse, error_cause::missing_attribute);
  // §3.5: an attribute captived does not support (Filter-Id).
  auto filter = request(Code::coa_request, [](Builder& b) {
    b.add(attr::user_name, "alice");
    b.add(11, "guests");
  });
  EXPECT_EQ(std::get<CoaRequest>(parse_coa_request(filter, kSecret, kNow)).refuse,
            error_cause::unsupported_attribute);
  // A rate in a Disconnect-Request.
  auto rate = request(Code::disconnect_request, [](Builder& b) {
    b.add(attr::user_name, "alice");
    b.add_vendor_u32(wispr::kVendor, wispr::bandwidth_max_down, 1000);
  });
  EXPECT_EQ(std::get<CoaRequest>(parse_coa_request(rate, kSecret, kNow)).refuse,
            error_cause::unsupported_attribute);
  // A Calling-Station-Id that is no MAC, a zero timeout.
  auto bad_mac = request(Code::disconnect_request, [](Builder& b) { b.add(attr::calling_station_id, "nope"); });
  EXPECT_EQ(std::get<CoaRequest>(parse_coa_request(bad_mac, kSecret, kNow)).refuse, error_cause::invalid_request);
  auto zero = request(Code::coa_request, [](Builder& b) {
    b.add(attr::user_name, "alice");
    b.add_u32(attr::session_timeout, 0);
  });
  EXPECT_EQ(std::get<CoaRequest>(parse_coa_request(zero, kSecret, kNow)).refuse, error_cause::invalid_request);
}

TEST(RadiusCoa, AnswersAreSignedForTheRequestAndEchoProxyState) {
  auto p = request(Code::disconnect_request, [](Builder& b) {
    b.add(attr::proxy_state, "abc");
    b.add(attr::user_name, "alice");
    b.add(attr::proxy_state, "de");
  });
  const auto req = std::get<CoaRequest>(parse_coa_request(p, kSecret, kNow));
  for (const bool ack : {true, false}) {
    const auto answer = coa_answer(req, ack, ack ? std::nullopt : std::optional(error_cause::session_context_not_found),
                                   kSecret);
    auto v = PacketView::parse(answer);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->code(), ack ? Code::disconnect_ack : Code::disconnect_nak);
    EXPECT_EQ(v->identifier(), 42);
    // §2.3 Response Authenticator over the request's; §3.2 Message-Authenticator.
    EXPECT_FALSE(verify(*v, kSecret, req.authenticator, true));
    EXPECT_TRUE(verify(*v, "other", req.authenticator, true));
    EXPECT_EQ(v->find_u32(attr::error_cause), ack ? std::nullopt : std::optional(503u));
    std::vector<std::string> states;
    v->for_each([&](const Attribute& a) {
      if (a.type == attr::proxy_state) states.emplace_back(as_text(a.value));
    });
    EXPECT_EQ(states, (std::vector<std::string>{"abc", "de"}));
  }
  CoaRequest coa = req;
  coa.code = Code::coa_request;
  EXPECT_EQ(PacketView::parse(coa_answer(coa, true, std::nullopt, kSecret))->code(), Code::coa_ack);
}

TEST(RadiusCoa, ReadsStationIdsInTheFormsServersUse) {
  const auto mac = packet::MacAddr::parse("aa:bb:cc:dd:ee:0f");
  EXPECT_EQ(parse_station_id("AA-BB-CC-DD-EE-0F"), mac);
  EXPECT_EQ(parse_station_id("aa:bb:cc:dd:ee:0f"), mac);
  EXPECT_EQ(parse_station_id("AABBCCDDEE0F"), mac);
  EXPECT_FALSE(parse_station_id("AABBCCDDEE0"));
  EXPECT_FALSE(parse_station_id("AABBCCDDEE0G"));
}

}  // namespace
}  // namespace captive::radius
