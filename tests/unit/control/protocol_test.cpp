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

// An error quotes at most 64 bytes of the request, cut between characters:
// a reply with half a UTF-8 character is not JSON (RFC 8259 §8.1).
TEST(Protocol, QuotedTextIsCutBetweenCharacters) {
  FakeSet set;
  session::Registry registry(set);
  std::string name = "a";
  for (int i = 0; i < 40; ++i) name += "\xc3\xa9";  // é: byte 64 is the middle of one
  auto reply = reply_of("{\"cmd\":\"" + name + "\"}", registry);
  ASSERT_FALSE(reply.at("ok").as_bool());
  const std::string error(reply.at("error").as_string());
  EXPECT_NE(error.find("unknown command: a\xc3\xa9"), std::string::npos) << error;
  EXPECT_EQ(error.find(name.substr(0, 65)), std::string::npos) << "more than 64 bytes quoted";
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

// --- the commands of issue 9 ------------------------------------------------

json::object answer_of(std::string_view line, Context& context) {
  std::string reply = answer_to(line, context);
  EXPECT_EQ(reply.find('\n'), std::string::npos);
  return json::parse(reply).as_object();
}

std::string error_of(const json::object& reply) {
  EXPECT_FALSE(reply.at("ok").as_bool());
  return reply.contains("error") ? std::string(reply.at("error").as_string()) : "";
}

TEST(Protocol, ShowFindsAClientByMacOrAddress) {
  FakeSet set;
  session::Registry registry(set);
  ASSERT_TRUE(signed_in(registry, mac("02:00:00:00:00:01"), ip("192.0.2.2")));
  ASSERT_TRUE(signed_in(registry, mac("02:00:00:00:00:02"), ip("2001:db8:1::3")));
  Context context(registry);
  for (std::string_view who : {"02:00:00:00:00:02", "2001:db8:1::3", "2001:DB8:1:0::3"}) {
    auto reply = answer_of(make_show_request(who), context);
    ASSERT_TRUE(reply.at("ok").as_bool()) << who;
    EXPECT_EQ(reply.at("client").at("mac").as_string(), "02:00:00:00:00:02") << who;
    EXPECT_EQ(reply.at("client").at("ip").as_string(), "2001:db8:1::3");
  }
  EXPECT_EQ(error_of(answer_of(make_show_request("192.0.2.9"), context)), "192.0.2.9 is not signed in");
  EXPECT_EQ(error_of(answer_of(make_show_request("02:00:00:00:00:09"), context)), "02:00:00:00:00:09 is not signed in");
  EXPECT_EQ(error_of(answer_of(make_show_request("nobody"), context)), "show: not a MAC or IP address: nobody");
  EXPECT_EQ(error_of(answer_of(R"({"cmd":"show"})", context)), "show: \"client\" (a MAC or an IP address) is required");
}

TEST(Protocol, AllowSignsInForTheGivenTimeOrTheDaemonsDefault) {
  FakeSet set;
  session::Registry registry(set);
  Context context(registry);
  context.session_timeout = [] { return std::chrono::seconds(2 * 3600); };
  auto reply = answer_of(make_allow_request("02:00:00:00:00:07", {}), context);
  ASSERT_TRUE(reply.at("ok").as_bool()) << json::serialize(reply);
  EXPECT_EQ(reply.at("seconds").to_number<std::uint64_t>(), 7200u);
  EXPECT_EQ(set.elements.at(nft::Key(mac("02:00:00:00:00:07"))), 2h);
  EXPECT_EQ(registry.find(mac("02:00:00:00:00:07"))->method, "admin");

  AllowOptions options;
  options.seconds = 90;
  options.ip = "192.0.2.7";
  reply = answer_of(make_allow_request("02:00:00:00:00:08", options), context);
  ASSERT_TRUE(reply.at("ok").as_bool()) << json::serialize(reply);
  EXPECT_EQ(set.elements.at(nft::Key(mac("02:00:00:00:00:08"))), 90s);
  EXPECT_EQ(registry.find(mac("02:00:00:00:00:08"))->ip, ip("192.0.2.7"));

  EXPECT_EQ(error_of(answer_of(R"({"cmd":"allow","mac":"02:00:00:00:00:09","seconds":0})", context)),
            "allow: \"seconds\" must be from 1 to 31536000 (365 days)");
  EXPECT_EQ(error_of(answer_of(R"({"cmd":"allow","mac":"02:00:00:00:00:09","seconds":31536001})", context)),
            "allow: \"seconds\" must be from 1 to 31536000 (365 days)");
  EXPECT_EQ(error_of(answer_of(R"({"cmd":"allow","mac":"02:00:00:00:00:09","ip":"192.0.2"})", context)),
            "allow: \"ip\" is not an IP address");
  EXPECT_EQ(error_of(answer_of(R"({"cmd":"allow","mac":"nope"})", context)), "allow: not a MAC address: nope");
  EXPECT_FALSE(set.elements.count(nft::Key(mac("02:00:00:00:00:09"))));
  set.fail_next = true;
  EXPECT_EQ(error_of(answer_of(make_allow_request("02:00:00:00:00:0a", {}), context)).rfind("allow 02:00:00:00:00:0a: ", 0), 0u);
}

TEST(Protocol, AllowWithRatesGoesThroughItsHookOrIsRefused) {
  FakeSet set;
  session::Registry registry(set);
  Context context(registry);
  AllowOptions options;
  options.seconds = 600;
  options.rate_down = 1'000'000;
  EXPECT_EQ(error_of(answer_of(make_allow_request("02:00:00:00:00:07", options), context)),
            "allow --rate-down/--rate-up: not supported by this captived");
  EXPECT_TRUE(set.elements.empty()) << "refused means nobody signed in without the limits";
  std::optional<Allow> got;
  context.allow_with_limits = [&](const Allow& a, Done<void> done) {
    got = a;
    done({});
  };
  options.rate_up = 250'000;
  auto reply = answer_of(make_allow_request("02:00:00:00:00:07", options), context);
  ASSERT_TRUE(reply.at("ok").as_bool());
  ASSERT_TRUE(got);
  EXPECT_EQ(got->mac, mac("02:00:00:00:00:07"));
  EXPECT_EQ(got->duration, 600s);
  EXPECT_EQ(got->limits.rate_down, 1'000'000u);
  EXPECT_EQ(got->limits.rate_up, 250'000u);
  EXPECT_FALSE(got->limits.quota_bytes);
}

TEST(Protocol, RevokeByAddressRevokesThatClientsMac) {
  FakeSet set;
  session::Registry registry(set);
  ASSERT_TRUE(signed_in(registry, mac("02:00:00:00:00:01"), ip("192.0.2.2")));
  ASSERT_TRUE(signed_in(registry, mac("02:00:00:00:00:02"), ip("192.0.2.3")));
  Context context(registry);
  EXPECT_EQ(make_revoke_request("192.0.2.3"), R"({"cmd":"revoke","ip":"192.0.2.3"})");
  auto reply = answer_of(make_revoke_request("192.0.2.3"), context);
  ASSERT_TRUE(reply.at("ok").as_bool()) << json::serialize(reply);
  EXPECT_EQ(reply.at("mac").as_string(), "02:00:00:00:00:02");
  EXPECT_EQ(set.elements.size(), 1u);
  EXPECT_TRUE(set.elements.count(nft::Key(mac("02:00:00:00:00:01"))));
  EXPECT_EQ(error_of(answer_of(make_revoke_request("192.0.2.3"), context)), "192.0.2.3 is not signed in");
  EXPECT_EQ(error_of(answer_of(R"({"cmd":"revoke","ip":"300.0.0.1"})", context)), "revoke: not an IP address: 300.0.0.1");
}

TEST(Protocol, HooksNotWiredAnswerNotSupported) {
  FakeSet set;
  session::Registry registry(set);
  Context context(registry);
  EXPECT_EQ(error_of(answer_of(make_extend_request("02:00:00:00:00:01", 60), context)), "extend: not supported by this captived");
  EXPECT_EQ(error_of(answer_of(make_mac_request("trust", "02:00:00:00:00:01"), context)), "trust: lists are not available");
  EXPECT_EQ(error_of(answer_of(make_mac_request("block", "02:00:00:00:00:01"), context)), "block: lists are not available");
  EXPECT_EQ(error_of(answer_of(make_mac_request("unblock", "02:00:00:00:00:01"), context)), "unblock: lists are not available");
  EXPECT_EQ(error_of(answer_of(make_reload_request(), context)), "reload: not supported by this captived");
  EXPECT_EQ(error_of(answer_of(make_list_request(true), context)), "list --all: not supported by this captived");
  EXPECT_EQ(error_of(answer_of(R"({"cmd":"extend","mac":"02:00:00:00:00:01"})", context)),
            "extend: \"seconds\" from 1 to 31536000 (365 days) is required");
}

TEST(Protocol, HooksGetTheirArgumentsAndTheirErrorsAreReported) {
  FakeSet set;
  session::Registry registry(set);
  Context context(registry);
  std::vector<std::string> calls;
  context.extend = [&](const packet::MacAddr& m, std::chrono::seconds s, Done<void> done) {
    calls.push_back("extend " + m.to_string() + " " + std::to_string(s.count()));
    done(make_error(ENOENT, "extend"));
  };
  EXPECT_EQ(error_of(answer_of(make_extend_request("02:00:00:00:00:01", 3600), context)), "02:00:00:00:00:01 is not signed in");
  // trust/block/unblock without the lists (unit tests): refused, one line.
  EXPECT_EQ(error_of(answer_of(make_mac_request("trust", "02:00:00:00:00:02"), context)).find('\n'), std::string::npos);
  EXPECT_FALSE(answer_of(make_mac_request("trust", "02:00:00:00:00:02"), context).at("ok").as_bool());
  EXPECT_EQ(calls, (std::vector<std::string>{"extend 02:00:00:00:00:01 3600"}));
}

TEST(Protocol, StatusSaysWhatRunsAndSumsTheCounters) {
  FakeSet set;
  session::Registry registry(set);
  ASSERT_TRUE(signed_in(registry, mac("02:00:00:00:00:01"), std::nullopt));
  ASSERT_TRUE(signed_in(registry, mac("02:00:00:00:00:02"), std::nullopt));
  Context context(registry, [] {
    return Counters{{"queue.packets", 40}, {"portal.sign_ins", 2}, {"queue.enobufs", 3}, {"inject.send_errors", 1},
                    {"queue.kernel_full_drops", 5}, {"nft.restore_failures", 1}, {"responder.syn_ack", 12}};
  });
  context.info = [] {
    return DaemonInfo{"0.1.0", std::chrono::seconds(3725), "compat",
                      {LanInfo{"br-guest", mac("02:00:00:00:01:01"), 1500, "http://192.0.2.1:8511/", ""},
                       LanInfo{"br-hotel", mac("02:00:00:00:02:01"), 1400, "http://203.0.113.1:8511/",
                               "http://[2001:db8:3::1]:8511/"}}};
  };
  auto reply = answer_of(make_status_request(), context);
  ASSERT_TRUE(reply.at("ok").as_bool());
  const auto& status = reply.at("status").as_object();
  EXPECT_EQ(status.at("version").as_string(), "0.1.0");
  EXPECT_EQ(status.at("uptime_seconds").to_number<std::int64_t>(), 3725);
  EXPECT_EQ(status.at("queue_mode").as_string(), "compat");
  EXPECT_EQ(status.at("sessions").to_number<std::uint64_t>(), 2u);
  // Every LAN captived serves (--lan repeated), in order.
  const auto& lans = status.at("lans").as_array();
  ASSERT_EQ(lans.size(), 2u);
  EXPECT_EQ(lans[0].at("name").as_string(), "br-guest");
  EXPECT_EQ(lans[0].at("mac").as_string(), "02:00:00:00:01:01");
  EXPECT_EQ(lans[0].at("mtu").to_number<std::uint64_t>(), 1500u);
  EXPECT_EQ(lans[1].at("name").as_string(), "br-hotel");
  EXPECT_EQ(lans[1].at("mtu").to_number<std::uint64_t>(), 1400u);
  EXPECT_EQ(lans[1].at("portal_url_v4").as_string(), "http://203.0.113.1:8511/");
  EXPECT_EQ(lans[1].at("portal_url_v6").as_string(), "http://[2001:db8:3::1]:8511/");
  const auto& counters = status.at("counters").as_object();
  EXPECT_EQ(counters.at("queued_packets").to_number<std::uint64_t>(), 40u);
  EXPECT_EQ(counters.at("sign_ins").to_number<std::uint64_t>(), 2u);
  EXPECT_EQ(counters.at("errors").to_number<std::uint64_t>(), 3u + 1 + 5 + 1);
}

TEST(Protocol, ReloadAnswersWhatChangedOrWhyNot) {
  FakeSet set;
  session::Registry registry(set);
  Context context(registry);
  bool fail = false;
  context.reload = [&](Done<ReloadOutcome> done) {
    if (fail) return done(make_error(0, "/etc/captived.conf:3: unknown key: frobnicate; keeping the running configuration"));
    done(ReloadOutcome{"/etc/captived.conf", {"session-timeout"}, {"portal-port"}});
  };
  auto reply = answer_of(make_reload_request(), context);
  ASSERT_TRUE(reply.at("ok").as_bool());
  EXPECT_EQ(reply.at("file").as_string(), "/etc/captived.conf");
  EXPECT_EQ(json::serialize(reply.at("changed")), R"(["session-timeout"])");
  EXPECT_EQ(json::serialize(reply.at("restart_needed")), R"(["portal-port"])");
  fail = true;
  EXPECT_EQ(error_of(answer_of(make_reload_request(), context)),
            "reload: /etc/captived.conf:3: unknown key: frobnicate; keeping the running configuration");
}

TEST(Protocol, ListAllAddsClientsSeenButNotSignedIn) {
  FakeSet set;
  session::Registry registry(set);
  ASSERT_TRUE(signed_in(registry, mac("02:00:00:00:00:01"), ip("192.0.2.2")));
  Context context(registry);
  context.seen = [](Done<std::vector<Seen>> done) {
    done(std::vector<Seen>{{mac("02:00:00:00:00:01"), ip("192.0.2.2")}, {mac("02:00:00:00:00:05"), ip("192.0.2.5")}});
  };
  auto reply = answer_of(make_list_request(true), context);
  ASSERT_TRUE(reply.at("ok").as_bool());
  EXPECT_EQ(reply.at("clients").as_array().size(), 1u);
  const auto& seen = reply.at("seen").as_array();
  ASSERT_EQ(seen.size(), 1u) << "a signed-in client is not listed twice";
  EXPECT_EQ(seen[0].at("mac").as_string(), "02:00:00:00:00:05");
  EXPECT_EQ(seen[0].at("ip").as_string(), "192.0.2.5");
  EXPECT_FALSE(answer_of(make_list_request(false), context).contains("seen"));
  EXPECT_EQ(error_of(answer_of(R"({"cmd":"list","all":1})", context)), "list: \"all\" must be true or false");
}

TEST(Protocol, RequestsAreOneLineOfJson) {
  AllowOptions options;
  options.seconds = 60;
  options.ip = "2001:db8::1";
  options.rate_down = 125000;
  for (const std::string& line :
       {make_list_request(), make_list_request(true), make_show_request("192.0.2.2"),
        make_allow_request("02:00:00:00:00:01", options), make_revoke_request("02:00:00:00:00:01"),
        make_extend_request("02:00:00:00:00:01", 60), make_status_request(), make_stats_request(), make_reload_request(),
        make_mac_request("trust", "02:00:00:00:00:01")}) {
    EXPECT_EQ(line.find('\n'), std::string::npos);
    auto v = json::parse(line);
    EXPECT_TRUE(v.at("cmd").is_string()) << line;
  }
  EXPECT_EQ(make_revoke_request("02:00:00:00:00:01"), R"({"cmd":"revoke","mac":"02:00:00:00:00:01"})");
}

TEST(Units, Rates) {
  EXPECT_EQ(parse_rate("8mbit"), 1'000'000u);
  EXPECT_EQ(parse_rate("500kbit"), 62'500u);
  EXPECT_EQ(parse_rate("1gbit"), 125'000'000u);
  EXPECT_EQ(parse_rate("8Mbit"), 1'000'000u) << "the unit's case is free";
  EXPECT_EQ(parse_rate("800bit"), 100u);
  EXPECT_EQ(parse_rate("7bit"), 1u) << "at least 1 byte/s: 0 would mean no limit";
  EXPECT_EQ(parse_rate("100gbit"), 12'500'000'000u);
  // Bits only: byte units ("mbps" is megabytes to tc, megabits to people)
  // and bare numbers are a factor of 8 too easy to get wrong.
  for (const char* bad : {"", "8", "mbit", "0mbit", "1mbps", "64kbps", "100bps", "101gbit", "1.5mbit", "-1mbit",
                          "8 mbit", "8mb", "1M", "99999999999999999999kbit"})
    EXPECT_FALSE(parse_rate(bad)) << bad;
  EXPECT_EQ(parse_duration("15m"), 15min);
  EXPECT_FALSE(parse_duration("0"));
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
  Context context(registry);
  context.client_log = log.get();
  context.now_seconds = [] { return std::uint64_t{1000}; };

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
