// trust / block / unblock / untrust / lists over the control protocol: the
// daemon's lists change, the change is handed on to be persisted and put in
// the kernel, a blocked client loses its session, and refusals are words.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "../fakes/fakes.hpp"
#include "captive/control/protocol.hpp"

namespace captive::control {
namespace {
using captive::testing::FakeSet;
using captive::testing::mac;
namespace json = boost::json;
using namespace std::chrono_literals;

struct Fixture {
  FakeSet set;
  session::Registry registry{set};
  session::MacLists lists = *session::MacLists::from_config({mac("02:00:00:00:00:0a")}, {mac("02:00:00:00:00:0b")});
  int commits = 0;
  std::optional<Error> fail_commit;
  ListsContext lists_context{lists,
                             [this](std::function<void(Result<void>)> done) {
                               ++commits;
                               if (fail_commit) return done(*fail_commit);
                               done({});
                             },
                             {"203.0.113.0/28"},
                             {"garden.example"}};
  Context context{registry, {}, &lists_context};

  json::object ask(const std::string& line) {
    std::optional<std::string> reply;
    handle_request(line, context, [&](std::string r) { reply = std::move(r); });
    EXPECT_TRUE(reply) << "no answer to " << line;
    return json::parse(reply.value_or("{}")).as_object();
  }
};

TEST(ListsProtocol, TrustBlockUnblockUntrust) {
  Fixture f;
  auto r = f.ask(make_list_change_request("trust", "02:00:00:00:00:01"));
  ASSERT_TRUE(r.at("ok").as_bool()) << json::serialize(r);
  EXPECT_TRUE(r.at("changed").as_bool());
  EXPECT_TRUE(f.lists.is_trusted(mac("02:00:00:00:00:01")));
  EXPECT_EQ(f.commits, 1);
  // Again: nothing to do, nothing written.
  r = f.ask(make_list_change_request("trust", "02:00:00:00:00:01"));
  EXPECT_TRUE(r.at("ok").as_bool());
  EXPECT_FALSE(r.at("changed").as_bool());
  EXPECT_EQ(f.commits, 1);
  r = f.ask(make_list_change_request("block", "02:00:00:00:00:01"));
  EXPECT_TRUE(r.at("ok").as_bool());
  EXPECT_TRUE(f.lists.is_blocked(mac("02:00:00:00:00:01")));
  EXPECT_FALSE(f.lists.is_trusted(mac("02:00:00:00:00:01")));
  r = f.ask(make_list_change_request("unblock", "02:00:00:00:00:01"));
  EXPECT_TRUE(r.at("ok").as_bool());
  EXPECT_FALSE(f.lists.is_blocked(mac("02:00:00:00:00:01")));
  r = f.ask(make_list_change_request("unblock", "02:00:00:00:00:01"));
  EXPECT_FALSE(r.at("ok").as_bool());
  EXPECT_EQ(r.at("error").as_string(), "02:00:00:00:00:01 is not blocked");
  r = f.ask(make_list_change_request("untrust", "02:00:00:00:00:01"));
  EXPECT_EQ(r.at("error").as_string(), "02:00:00:00:00:01 is not trusted");
  EXPECT_EQ(f.commits, 3);
}

TEST(ListsProtocol, BlockEndsTheSession) {
  Fixture f;
  bool in = false;
  f.registry.sign_in(mac("02:00:00:00:00:01"), std::nullopt, 60s, "click-through",
                     [&](Result<void> r) { in = r.has_value(); });
  ASSERT_TRUE(in);
  auto r = f.ask(make_list_change_request("block", "02:00:00:00:00:01"));
  ASSERT_TRUE(r.at("ok").as_bool()) << json::serialize(r);
  EXPECT_TRUE(f.set.elements.empty()) << "a blocked client keeps its element in @allowed";
  EXPECT_FALSE(f.registry.find(mac("02:00:00:00:00:01")));
  // Blocking a MAC without a session is no error.
  r = f.ask(make_list_change_request("block", "02:00:00:00:00:02"));
  EXPECT_TRUE(r.at("ok").as_bool()) << json::serialize(r);
}

TEST(ListsProtocol, RefusalsAreSentences) {
  Fixture f;
  auto r = f.ask(make_list_change_request("trust", "02:00:00:00:00:0b"));
  EXPECT_FALSE(r.at("ok").as_bool());
  EXPECT_NE(std::string(r.at("error").as_string()).find("blocked in the configuration"), std::string::npos);
  r = f.ask(make_list_change_request("unblock", "02:00:00:00:00:0b"));
  EXPECT_NE(std::string(r.at("error").as_string()).find("remove it there"), std::string::npos);
  r = f.ask(make_list_change_request("block", "nonsense"));
  EXPECT_EQ(r.at("error").as_string(), "block: not a MAC address: nonsense");
  r = f.ask(make_list_change_request("block", "ff:ff:ff:ff:ff:ff"));
  EXPECT_FALSE(r.at("ok").as_bool());
  r = f.ask(R"({"cmd":"trust"})");
  EXPECT_EQ(r.at("error").as_string(), "trust: \"mac\" (a string) is required");
  r = f.ask(R"({"cmd":"trust","mac":7})");
  EXPECT_FALSE(r.at("ok").as_bool());
  EXPECT_EQ(f.commits, 0);
}

TEST(ListsProtocol, AFailedCommitIsReported) {
  Fixture f;
  f.fail_commit = make_error(0, "set the lists: nft exit status 1");
  auto r = f.ask(make_list_change_request("trust", "02:00:00:00:00:01"));
  EXPECT_FALSE(r.at("ok").as_bool());
  EXPECT_EQ(r.at("error").as_string(), "set the lists: nft exit status 1");
}

TEST(ListsProtocol, ListsShowsBothSourcesAndTheGarden) {
  Fixture f;
  (void)f.ask(make_list_change_request("trust", "02:00:00:00:00:01"));
  auto r = f.ask(make_lists_request());
  ASSERT_TRUE(r.at("ok").as_bool());
  const auto& trusted = r.at("trusted").as_array();
  ASSERT_EQ(trusted.size(), 2u);
  EXPECT_EQ(trusted[0].at("mac").as_string(), "02:00:00:00:00:0a");
  EXPECT_EQ(trusted[0].at("source").as_string(), "config");
  EXPECT_EQ(trusted[1].at("mac").as_string(), "02:00:00:00:00:01");
  EXPECT_EQ(trusted[1].at("source").as_string(), "runtime");
  EXPECT_EQ(r.at("blocked").as_array().size(), 1u);
  EXPECT_EQ(r.at("allow_ip").as_array()[0].as_string(), "203.0.113.0/28");
  EXPECT_EQ(r.at("allow_domain").as_array()[0].as_string(), "garden.example");
}

TEST(ListsProtocol, WithoutListsNotAvailable) {
  FakeSet set;
  session::Registry registry{set};
  Context context{registry, {}};
  std::optional<std::string> reply;
  handle_request(make_list_change_request("trust", "02:00:00:00:00:01"), context,
                 [&](std::string r) { reply = std::move(r); });
  ASSERT_TRUE(reply);
  EXPECT_NE(reply->find("not available"), std::string::npos);
}

}  // namespace
}  // namespace captive::control
