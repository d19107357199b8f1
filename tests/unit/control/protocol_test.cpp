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
  EXPECT_EQ(c.at("bytes_up").to_number<std::uint64_t>(), 1000u);
  EXPECT_EQ(c.at("bytes_down").to_number<std::uint64_t>(), 0u);
  EXPECT_EQ(c.at("packets_up").to_number<std::uint64_t>(), 10u);
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
