#include "captive/control/protocol.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "../fakes/fakes.hpp"

namespace captive::control {
namespace {
using captive::testing::FakeSet;
using captive::testing::ip;
using captive::testing::mac;
namespace json = boost::json;
using namespace std::chrono_literals;

// Without executors the registry answers before handle_request returns.
std::string answer_to(std::string_view line, Context& context) {
  std::optional<std::string> reply;
  handle_request(line, context, [&](std::string r) { reply = std::move(r); });
  EXPECT_TRUE(reply) << "no answer";
  return reply.value_or("{}");
}

json::object reply_of(std::string_view line, session::Registry& registry) {
  Context context{registry, {}};
  std::string reply = answer_to(line, context);
  EXPECT_EQ(reply.find('\n'), std::string::npos);
  return json::parse(reply).as_object();
}

bool signed_in(session::Registry& registry, const packet::MacAddr& m, std::optional<packet::IpAddr> a) {
  bool ok = false;
  registry.sign_in(m, a, 60s, "click-through", [&](Result<void> r) { ok = r.has_value(); });
  return ok;
}

TEST(Protocol, ListShowsClients) {
  FakeSet set;
  session::Registry registry(set);
  ASSERT_TRUE(signed_in(registry, mac("02:00:00:00:00:01"), ip("2001:db8:1::2")));
  auto reply = reply_of(make_list_request(), registry);
  ASSERT_TRUE(reply.at("ok").as_bool());
  const auto& clients = reply.at("clients").as_array();
  ASSERT_EQ(clients.size(), 1u);
  const auto& c = clients[0].as_object();
  EXPECT_EQ(c.at("mac").as_string(), "02:00:00:00:00:01");
  EXPECT_EQ(c.at("ip").as_string(), "2001:db8:1::2");
  EXPECT_TRUE(c.at("signed_in_at").is_int64());
  EXPECT_TRUE(c.at("expires_at").is_int64());
  EXPECT_EQ(c.at("bytes").to_number<std::uint64_t>(), 1000u);
  EXPECT_EQ(c.at("method").as_string(), "click-through");
}

TEST(Protocol, RevokeRemovesFromKernelSet) {
  FakeSet set;
  session::Registry registry(set);
  ASSERT_TRUE(signed_in(registry, mac("02:00:00:00:00:01"), std::nullopt));
  auto reply = reply_of(make_revoke_request("02:00:00:00:00:01"), registry);
  EXPECT_TRUE(reply.at("ok").as_bool());
  EXPECT_TRUE(set.elements.empty());
  auto again = reply_of(make_revoke_request("02:00:00:00:00:01"), registry);
  EXPECT_FALSE(again.at("ok").as_bool());
  EXPECT_EQ(again.at("error").as_string(), "02:00:00:00:00:01 is not signed in");
}

TEST(Protocol, BadRequestsGetErrorsNotCrashes) {
  FakeSet set;
  session::Registry registry(set);
  for (std::string_view line : {"", "{", "[]", "42", "{\"cmd\":1}", "{\"cmd\":\"reboot\"}", "{\"cmd\":\"revoke\"}",
                                "{\"cmd\":\"revoke\",\"mac\":\"zz:00:00:00:00:01\"}", "{\"cmd\":\"revoke\",\"mac\":7}",
                                "\xff\xfe", "{\"cmd\":\"list\"} trailing"}) {
    auto reply = reply_of(line, registry);
    EXPECT_FALSE(reply.at("ok").as_bool()) << line;
    EXPECT_TRUE(reply.at("error").is_string()) << line;
  }
  std::string huge(kMaxLineBytes + 1, ' ');
  EXPECT_FALSE(reply_of(huge, registry).at("ok").as_bool());
}

TEST(Protocol, StatsReportsEveryCounterInOrder) {
  FakeSet set;
  session::Registry registry(set);
  Context context{registry, [] { return Counters{{"responder.syn_ack", 12}, {"queue.enobufs", 0}}; }};
  auto reply = json::parse(answer_to(make_stats_request(), context)).as_object();
  ASSERT_TRUE(reply.at("ok").as_bool());
  const auto& stats = reply.at("stats").as_object();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats.begin()->key(), "responder.syn_ack");
  EXPECT_EQ(stats.at("responder.syn_ack").to_number<std::uint64_t>(), 12u);
  EXPECT_EQ(stats.at("queue.enobufs").to_number<std::uint64_t>(), 0u);
}

TEST(Protocol, KernelErrorsAreReported) {
  FakeSet set;
  session::Registry registry(set);
  auto reply = reply_of("{\"cmd\":\"revoke\",\"mac\":\"02:00:00:00:00:05\"}", registry);
  EXPECT_FALSE(reply.at("ok").as_bool());
}

}  // namespace
}  // namespace captive::control

namespace captive::control {
namespace {

// `doctor`: the client log's entries for the MAC, whether it opened the
// page and is signed in, and the verdict that follows.
TEST(ProtocolDoctor, ListsEntriesAndSaysWhy) {
  FakeSet set;
  session::Registry registry(set);
  auto table = http::parse_probe_table("connectivitycheck.gstatic.com /generate_204 302 android\n", "t");
  ASSERT_TRUE(table);
  auto log = responder::ClientLog::create(std::make_shared<const http::ProbeTable>(*table));
  const auto phone = mac("02:00:00:00:00:21");
  log->record(phone, 990, responder::ClientEvent::answer_302, "connectivitycheck.gstatic.com", "/generate_204", 0);
  Context context{registry, {}, log.get(), [] { return std::uint64_t{1000}; }};

  auto reply = json::parse(answer_to(make_doctor_request("02:00:00:00:00:21"), context)).as_object();
  ASSERT_TRUE(reply.at("ok").as_bool());
  EXPECT_EQ(reply.at("mac").as_string(), "02:00:00:00:00:21");
  EXPECT_FALSE(reply.at("signed_in").as_bool());
  EXPECT_FALSE(reply.at("opened_portal").as_bool());
  const auto& entries = reply.at("entries").as_array();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].at("ago").to_number<std::uint64_t>(), 10u);
  EXPECT_EQ(entries[0].at("event").as_string(), "302");
  EXPECT_EQ(entries[0].at("probe").as_string(), "android");
  EXPECT_EQ(entries[0].at("host").as_string(), "connectivitycheck.gstatic.com");
  EXPECT_EQ(std::string(reply.at("verdict").as_string()).rfind("sent android probes, got 302, never opened the sign-in page", 0),
            0u);

  log->record(phone, 995, responder::ClientEvent::portal_page, "192.0.2.1:8511", "/?url=x");
  reply = json::parse(answer_to(make_doctor_request("02:00:00:00:00:21"), context)).as_object();
  EXPECT_TRUE(reply.at("opened_portal").as_bool());
  EXPECT_EQ(std::string(reply.at("verdict").as_string()), "opened the sign-in page but has not signed in (yet)");

  ASSERT_TRUE(signed_in(registry, phone, std::nullopt));
  reply = json::parse(answer_to(make_doctor_request("02:00:00:00:00:21"), context)).as_object();
  EXPECT_TRUE(reply.at("signed_in").as_bool());
  EXPECT_EQ(std::string(reply.at("verdict").as_string()).rfind("signed in:", 0), 0u);

  reply = json::parse(answer_to(make_doctor_request("02:00:00:00:00:99"), context)).as_object();
  EXPECT_TRUE(reply.at("entries").as_array().empty());
  EXPECT_EQ(std::string(reply.at("verdict").as_string()).rfind("no HTTP seen from this device", 0), 0u);

  for (std::string_view bad : {R"({"cmd":"doctor"})", R"({"cmd":"doctor","mac":"nope"})"}) {
    reply = json::parse(answer_to(bad, context)).as_object();
    EXPECT_FALSE(reply.at("ok").as_bool()) << bad;
  }
}

TEST(ProtocolDoctor, Verdicts) {
  using responder::ClientEntry;
  using responder::ClientEvent;
  auto entry = [](ClientEvent e, std::string label = {}) {
    ClientEntry x;
    x.event = e;
    x.probe_label = std::move(label);
    return x;
  };
  EXPECT_EQ(doctor_verdict({entry(ClientEvent::answer_511)}, false).rfind("only ordinary web requests (511)", 0), 0u);
  EXPECT_EQ(doctor_verdict({entry(ClientEvent::answer_302, "apple"), entry(ClientEvent::answer_302, "apple")}, false)
                .rfind("sent apple probes, got 302", 0),
            0u);
  EXPECT_EQ(doctor_verdict({entry(ClientEvent::answer_511, "kiosk")}, false).rfind("sent kiosk probes, answered 511", 0),
            0u);
  EXPECT_EQ(doctor_verdict({entry(ClientEvent::portal_page), entry(ClientEvent::sign_in_refused)}, false)
                .rfind("opened the sign-in page and tried to sign in, but was refused", 0),
            0u);
  EXPECT_EQ(doctor_verdict({entry(ClientEvent::signed_in)}, false).rfind("signed in earlier but not now", 0), 0u);
}

}  // namespace
}  // namespace captive::control
