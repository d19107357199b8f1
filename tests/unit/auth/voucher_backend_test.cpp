// --auth voucher: what the backend tells the Gate and the portal for each
// kind of code, and what the session gets.
#include "captive/auth/voucher_backend.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

namespace captive::auth {
namespace {

using namespace std::chrono_literals;
using O = Decision::Outcome;

const VoucherClock::time_point kT0{std::chrono::seconds(1'800'000'000)};
const packet::MacAddr kMac{{0x02, 0, 0, 0, 0, 1}};
const packet::MacAddr kOther{{0x02, 0, 0, 0, 0, 2}};

class VoucherBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    VoucherSpec spec;
    spec.duration = 2h;
    spec.limits.quota_bytes = 500'000'000;
    spec.limits.rate_down = 1'000'000;
    code = group_code((*store.create(spec, 1, kT0))[0].code);
  }
  Decision judge(const std::string& form, const packet::MacAddr& mac = kMac) {
    VoucherBackend backend(VoucherBackend::Deps{&store, {}, [this] { return now; }, [this] { ++changes; }});
    std::optional<Decision> out;
    backend.judge(Attempt{mac, *packet::IpAddr::parse("192.0.2.2"), form}, [&](Decision d) { out = std::move(d); });
    EXPECT_TRUE(out) << "no verdict";  // answered inline: no worker needed
    return out.value_or(Decision{});
  }
  VoucherStore store;
  std::string code;
  VoucherClock::time_point now = kT0 + 1h;
  int changes = 0;
};

TEST_F(VoucherBackendTest, AcceptedWithTheVouchersTimeLimitsAndCode) {
  std::string typed = code;
  for (char& c : typed) c = c == '-' ? '+' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Decision d = judge("token=x&method=voucher&code=" + typed);  // '+' is a space in a form
  ASSERT_TRUE(d.accepted()) << d.reason;
  EXPECT_EQ(d.method, "voucher");
  EXPECT_EQ(d.user, code);
  ASSERT_TRUE(d.duration);
  EXPECT_EQ(*d.duration, 2h);
  EXPECT_EQ(d.limits.quota_bytes, 500'000'000u);
  EXPECT_EQ(d.limits.rate_down, 1'000'000u);
  EXPECT_EQ(changes, 1);  // first use: the file is written
  now += 30min;
  d = judge("code=" + code);
  ASSERT_TRUE(d.accepted());
  EXPECT_EQ(*d.duration, 90min);  // the rest of the voucher's time
  EXPECT_EQ(changes, 1);          // nothing new to write
}

TEST_F(VoucherBackendTest, UnknownAndMalformedCodesAreWrongCredentials) {
  // These count against the MAC in the Gate's limiter: guessing is slowed.
  EXPECT_EQ(judge("code=ACDE-FG34-HJ").outcome, O::wrong_credentials);
  EXPECT_EQ(judge("code=hello").outcome, O::wrong_credentials);
  EXPECT_EQ(judge("method=voucher").outcome, O::wrong_credentials);
  EXPECT_EQ(changes, 0);
}

TEST_F(VoucherBackendTest, UsedUpExpiredRevokedAreRefusalsWithTheirOwnSentence) {
  ASSERT_TRUE(judge("code=" + code).accepted());
  Decision used_up = judge("code=" + code, kOther);
  EXPECT_EQ(used_up.outcome, O::refused);
  EXPECT_EQ(used_up.reason, refusal_message(Refusal::used_up, 1));
  now += 3h;
  Decision expired = judge("code=" + code);
  EXPECT_EQ(expired.outcome, O::refused);
  EXPECT_EQ(expired.reason, refusal_message(Refusal::expired));
  ASSERT_TRUE(store.revoke(code));
  Decision revoked = judge("code=" + code);
  EXPECT_EQ(revoked.outcome, O::refused);
  EXPECT_EQ(revoked.reason, refusal_message(Refusal::revoked));
}

TEST_F(VoucherBackendTest, WithoutAStoreEveryCodeIsRefused) {
  VoucherBackend backend(VoucherBackend::Deps{nullptr, "vouchers.json: not JSON", {}, {}});
  std::optional<Decision> out;
  backend.judge(Attempt{kMac, *packet::IpAddr::parse("192.0.2.2"), "code=" + code}, [&](Decision d) { out = d; });
  ASSERT_TRUE(out);
  EXPECT_EQ(out->outcome, O::refused);
  EXPECT_NE(out->reason.find("cannot be used right now"), std::string::npos);
}

TEST_F(VoucherBackendTest, FormAsksForTheCodeWithoutAutocorrect) {
  VoucherBackend backend(VoucherBackend::Deps{&store, {}, {}, {}});
  auto forms = backend.forms();
  ASSERT_EQ(forms.size(), 1u);
  EXPECT_EQ(forms[0].name, "voucher");
  EXPECT_NE(forms[0].fields.find("name=\"code\""), std::string::npos);
  EXPECT_NE(forms[0].fields.find("autocorrect=\"off\""), std::string::npos);
  EXPECT_NE(forms[0].fields.find("spellcheck=\"false\""), std::string::npos);
}

}  // namespace
}  // namespace captive::auth
