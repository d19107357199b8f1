// The vouchers over the control protocol (what captivectl voucher asks) and
// the printed sheet.
#include <gtest/gtest.h>
#include <sodium.h>

#include <boost/json.hpp>

#include "../fakes/fakes.hpp"
#include "captive/control/protocol.hpp"
#include "captive/control/vouchers.hpp"

namespace captive::control {
namespace {
using captive::testing::FakeSet;
using captive::testing::mac;
namespace json = boost::json;
using namespace std::chrono_literals;

const auth::VoucherClock::time_point kT0{std::chrono::seconds(1'800'000'000)};

class VoucherRequests : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    vouchers.store = &store;
    vouchers.now = [this] { return now; };
    vouchers.network = [] { return std::string("Café <Wi-Fi>"); };
    vouchers.save = [this](std::function<void(Result<void>)> done) {
      ++saves;
      done(save_result);
    };
    context.vouchers = &vouchers;
  }
  json::object ask(const std::string& line) {
    std::optional<std::string> reply;
    handle_request(line, context, [&](std::string r) { reply = std::move(r); });
    EXPECT_TRUE(reply) << "no answer to " << line;
    if (!reply) return {};
    EXPECT_EQ(reply->find('\n'), std::string::npos);
    return json::parse(*reply).as_object();
  }
  std::vector<std::string> create(const VoucherCreate& c) {
    auto reply = ask(make_voucher_create_request(c));
    EXPECT_TRUE(reply.at("ok").as_bool()) << json::serialize(reply);
    std::vector<std::string> codes;
    if (auto* rows = reply.if_contains("vouchers"))
      for (const auto& v : rows->as_array()) codes.emplace_back(v.at("code").as_string());
    return codes;
  }

  FakeSet set;
  session::Registry registry{set};
  auth::VoucherStore store;
  VoucherContext vouchers;
  Context context{registry, {}};
  auth::VoucherClock::time_point now = kT0;
  Result<void> save_result;
  int saves = 0;
};

TEST_F(VoucherRequests, CreateListShow) {
  VoucherCreate c;
  c.count = 3;
  c.seconds = 7200;
  c.devices = 2;
  c.quota_bytes = 1'000'000'000;
  c.rate_down = 250'000;
  auto codes = create(c);
  ASSERT_EQ(codes.size(), 3u);
  EXPECT_EQ(saves, 1);  // answered after the save
  for (const auto& code : codes) {
    EXPECT_EQ(code.size(), 12u);
    EXPECT_TRUE(auth::normalize_code(code)) << code;
  }
  auto list = ask(make_voucher_list_request());
  ASSERT_TRUE(list.at("ok").as_bool());
  EXPECT_EQ(list.at("network").as_string(), "Café <Wi-Fi>");
  ASSERT_EQ(list.at("vouchers").as_array().size(), 3u);
  const auto& v = list.at("vouchers").as_array()[0].as_object();
  EXPECT_EQ(v.at("seconds").to_number<std::int64_t>(), 7200);
  EXPECT_EQ(v.at("devices").to_number<std::int64_t>(), 2);
  EXPECT_EQ(v.at("quota_bytes").to_number<std::uint64_t>(), 1'000'000'000u);
  EXPECT_EQ(v.at("rate_down").to_number<std::uint64_t>(), 250'000u);
  EXPECT_TRUE(v.at("rate_up").is_null());
  EXPECT_EQ(v.at("state").as_string(), "unused");
  EXPECT_TRUE(v.at("expires_at").is_null());

  ASSERT_TRUE(store.redeem(codes[0], mac("02:00:00:00:00:01"), kT0 + 10min).redeemed);
  // Any spelling finds it.
  std::string lower = codes[0];
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto show = ask(make_voucher_show_request(lower));
  ASSERT_TRUE(show.at("ok").as_bool()) << json::serialize(show);
  const auto& s = show.at("voucher").as_object();
  EXPECT_EQ(s.at("code").as_string(), codes[0]);
  EXPECT_EQ(s.at("state").as_string(), "active");
  EXPECT_EQ(s.at("first_used_at").to_number<std::int64_t>(), 1'800'000'600);
  EXPECT_EQ(s.at("expires_at").to_number<std::int64_t>(), 1'800'000'600 + 7200);
  EXPECT_EQ(s.at("macs").as_array().size(), 1u);

  auto missing = ask(make_voucher_show_request("ACDE-FG34-HJ"));
  EXPECT_FALSE(missing.at("ok").as_bool());
  auto malformed = ask(make_voucher_show_request("nope"));
  EXPECT_FALSE(malformed.at("ok").as_bool());
  EXPECT_NE(std::string(malformed.at("error").as_string()).find("not a voucher code"), std::string::npos);
}

TEST_F(VoucherRequests, CreateRefusesBadArgumentsAndUnsavedCodes) {
  EXPECT_FALSE(ask(R"({"cmd":"voucher_create","count":1})").at("ok").as_bool());  // no duration
  EXPECT_FALSE(ask(R"({"cmd":"voucher_create","count":0,"seconds":60})").at("ok").as_bool());
  EXPECT_FALSE(ask(R"({"cmd":"voucher_create","count":1001,"seconds":60})").at("ok").as_bool());
  EXPECT_FALSE(ask(R"({"cmd":"voucher_create","count":1,"seconds":60,"devices":101})").at("ok").as_bool());
  EXPECT_FALSE(ask(R"({"cmd":"voucher_create","count":1,"seconds":-5})").at("ok").as_bool());
  EXPECT_TRUE(store.vouchers().empty());
  // A save that fails takes the codes back: none is printed that a restart forgets.
  save_result = make_error(ENOSPC, "write vouchers.json");
  auto reply = ask(R"({"cmd":"voucher_create","count":5,"seconds":60})");
  EXPECT_FALSE(reply.at("ok").as_bool());
  EXPECT_NE(std::string(reply.at("error").as_string()).find("not saved"), std::string::npos);
  EXPECT_TRUE(store.vouchers().empty());
}

TEST_F(VoucherRequests, RevokeEndsOnlyTheVouchersSessions) {
  VoucherCreate c;
  c.count = 1;
  c.seconds = 3600;
  c.devices = 2;
  const std::string code = create(c).at(0);
  const auto a = mac("02:00:00:00:00:01"), b = mac("02:00:00:00:00:02"), other = mac("02:00:00:00:00:03");
  bool ok = true;
  for (const auto& m : {a, b}) {
    ASSERT_TRUE(store.redeem(code, m, kT0).redeemed);
    registry.sign_in(m, std::nullopt, session::SignIn{1h, "voucher", code, {}}, [&](Result<void> r) { ok = ok && r; });
  }
  // b since signed in otherwise: that session is not the voucher's.
  registry.sign_in(b, std::nullopt, session::SignIn{1h, "admin", "", {}}, [&](Result<void> r) { ok = ok && r; });
  registry.sign_in(other, std::nullopt, session::SignIn{1h, "click-through", "", {}}, [&](Result<void> r) { ok = ok && r; });
  ASSERT_TRUE(ok);
  auto reply = ask(make_voucher_revoke_request(code));
  ASSERT_TRUE(reply.at("ok").as_bool()) << json::serialize(reply);
  EXPECT_TRUE(reply.at("changed").as_bool());
  EXPECT_EQ(reply.at("sessions_ended").to_number<int>(), 1);
  EXPECT_FALSE(registry.find(a));
  EXPECT_TRUE(registry.find(b));
  EXPECT_TRUE(registry.find(other));
  EXPECT_EQ(store.redeem(code, a, kT0 + 1min).refusal, auth::Refusal::revoked);
  auto again = ask(make_voucher_revoke_request(code));
  ASSERT_TRUE(again.at("ok").as_bool());
  EXPECT_FALSE(again.at("changed").as_bool());
}

TEST_F(VoucherRequests, WithoutVouchersOrWithABrokenStoreEveryRequestSaysWhy) {
  context.vouchers = nullptr;
  auto off = ask(make_voucher_list_request());
  EXPECT_FALSE(off.at("ok").as_bool());
  EXPECT_NE(std::string(off.at("error").as_string()).find("not enabled"), std::string::npos);
  context.vouchers = &vouchers;
  vouchers.store = nullptr;
  vouchers.problem = "/var/lib/captive/vouchers.json: voucher 3: \"macs\": not a MAC address";
  auto broken = ask(make_voucher_create_request(VoucherCreate{1, 60, {}, {}, {}, {}}));
  EXPECT_FALSE(broken.at("ok").as_bool());
  EXPECT_NE(std::string(broken.at("error").as_string()).find("voucher 3"), std::string::npos);
}

TEST(VoucherSheet, CardsAreEscapedAndSelfContained) {
  std::vector<VoucherCard> cards{{"ACDE-FG34-HJ", "2 hours", "2 devices"}, {"<b>", "1 day", ""}};
  std::string html = voucher_sheet_html(cards, "Café \"Zur Post\" <&>");
  EXPECT_NE(html.find("ACDE-FG34-HJ"), std::string::npos);
  EXPECT_NE(html.find("<strong>2 hours</strong> from first use<br><span class=\"extras\">2 devices</span>"),
            std::string::npos);
  EXPECT_NE(html.find("Café &quot;Zur Post&quot; &lt;&amp;&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;"), std::string::npos);
  EXPECT_NE(html.find("size: A4"), std::string::npos);
  // Nothing fetched from elsewhere: it prints offline.
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  // One card per voucher.
  std::size_t n = 0;
  for (std::size_t at = 0; (at = html.find("class=\"card\"", at)) != std::string::npos; ++at) ++n;
  EXPECT_EQ(n, 2u);
}

TEST(VoucherSheet, HumanDurations) {
  EXPECT_EQ(human_duration(7200), "2 hours");
  EXPECT_EQ(human_duration(5400), "1 hour 30 minutes");
  EXPECT_EQ(human_duration(86400 + 12 * 3600), "1 day 12 hours");
  EXPECT_EQ(human_duration(90), "1 minute 30 seconds");
  EXPECT_EQ(human_duration(45), "45 seconds");
  EXPECT_EQ(human_duration(7 * 86400), "7 days");
}

}  // namespace
}  // namespace captive::control
