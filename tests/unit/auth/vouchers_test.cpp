// The voucher store: what a code looks like, the sign-in rules (time from
// first use, expiry, device limit, a MAC coming back, revoke) and the file.
#include "captive/auth/vouchers.hpp"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

namespace captive::auth {
namespace {

using namespace std::chrono_literals;
using packet::MacAddr;

const VoucherClock::time_point kT0{std::chrono::seconds(1'800'000'000)};

MacAddr mac(std::uint8_t last) { return MacAddr{{0x02, 0, 0, 0, 0, last}}; }

VoucherSpec spec(std::chrono::seconds duration, std::uint32_t devices = 1) {
  VoucherSpec s;
  s.duration = duration;
  s.devices = devices;
  return s;
}

class Vouchers : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(sodium_init(), 0); }
  std::string make(const VoucherSpec& s) {
    auto made = store.create(s, 1, kT0);
    EXPECT_TRUE(made) << made.error().message();
    return made ? (*made)[0].code : std::string();
  }
  VoucherStore store;
};

TEST_F(Vouchers, CodesAreTenSymbolsOfTheUnambiguousAlphabet) {
  // None of the look-alikes: 0 O, 1 I L, 2 Z, 5 S, 8 B.
  for (char c : std::string_view("0O1IL2Z5S8B")) {
    bool ambiguous_pair_member = kAlphabet.find(c) != std::string_view::npos;
    // Of each look-alike pair at most one side is kept (2, 5, 8 stay; Z, S, B go).
    if (c == '2' || c == '5' || c == '8') EXPECT_TRUE(ambiguous_pair_member) << c;
    else EXPECT_FALSE(ambiguous_pair_member) << c;
  }
  EXPECT_EQ(kAlphabet.size(), 28u);
  EXPECT_EQ(std::set<char>(kAlphabet.begin(), kAlphabet.end()).size(), kAlphabet.size());
  std::map<char, int> counts;
  for (int i = 0; i < 2000; ++i) {
    std::string code = random_code();
    ASSERT_EQ(code.size(), kCodeLength);
    for (char c : code) {
      ASSERT_NE(kAlphabet.find(c), std::string_view::npos) << code;
      ++counts[c];
    }
  }
  // 20 000 symbols over 28: every symbol is drawn, none far off 1/28
  // (expected 714, sd ~26; 500..950 fails only for a broken generator).
  EXPECT_EQ(counts.size(), kAlphabet.size());
  for (auto [c, n] : counts) {
    EXPECT_GT(n, 500) << c;
    EXPECT_LT(n, 950) << c;
  }
}

TEST_F(Vouchers, CodesAreShownInGroupsAndReadInAnySpelling) {
  EXPECT_EQ(group_code("ACDEFG34HJ"), "ACDE-FG34-HJ");
  EXPECT_EQ(normalize_code("ACDE-FG34-HJ"), "ACDEFG34HJ");
  EXPECT_EQ(normalize_code("acde fg34 hj"), "ACDEFG34HJ");
  EXPECT_EQ(normalize_code(" AcDe-Fg34-hJ "), "ACDEFG34HJ");
  EXPECT_EQ(normalize_code("ACDEFG34HJ"), "ACDEFG34HJ");
  EXPECT_FALSE(normalize_code("ACDE-FG34-H"));    // short
  EXPECT_FALSE(normalize_code("ACDE-FG34-HJK"));  // long
  EXPECT_FALSE(normalize_code("ACDE-FG34-H0"));   // 0 is not a symbol
  EXPECT_FALSE(normalize_code("ACDE_FG34_HJ"));
  EXPECT_FALSE(normalize_code(""));
  EXPECT_FALSE(normalize_code(std::string(100, '-') + "ACDEFG34HJ"));
  for (int i = 0; i < 100; ++i) {
    std::string code = random_code();
    EXPECT_EQ(normalize_code(group_code(code)), code);
  }
}

TEST_F(Vouchers, TimeStartsAtFirstUseAndEndsForEveryDevice) {
  std::string code = make(spec(2h, 2));
  // Used an hour after it was made: the two hours start now.
  auto first = store.redeem(code, mac(1), kT0 + 1h);
  ASSERT_TRUE(first.redeemed);
  EXPECT_EQ(first.redeemed->remaining, 2h);
  EXPECT_TRUE(first.redeemed->changed);
  EXPECT_EQ(first.redeemed->code, code);
  ASSERT_NE(store.find(code), nullptr);
  EXPECT_EQ(store.find(code)->first_used_at, kT0 + 1h);
  // A second device half an hour later ends with the first.
  auto second = store.redeem(group_code(code), mac(2), kT0 + 90min);
  ASSERT_TRUE(second.redeemed);
  EXPECT_EQ(second.redeemed->remaining, 90min);
  EXPECT_EQ(store.find(code)->first_used_at, kT0 + 1h);  // not moved
  // At the end: expired, for a known MAC too.
  auto late = store.redeem(code, mac(1), kT0 + 3h);
  EXPECT_FALSE(late.redeemed);
  EXPECT_EQ(late.refusal, Refusal::expired);
  EXPECT_EQ(state_of(*store.find(code), kT0 + 3h), "expired");
  EXPECT_EQ(state_of(*store.find(code), kT0 + 2h), "active");
}

TEST_F(Vouchers, UnusedVoucherDoesNotExpire) {
  std::string code = make(spec(1h));
  EXPECT_EQ(state_of(*store.find(code), kT0 + 24h * 300), "unused");
  auto r = store.redeem(code, mac(1), kT0 + 24h * 300);
  ASSERT_TRUE(r.redeemed);
  EXPECT_EQ(r.redeemed->remaining, 1h);
}

TEST_F(Vouchers, DeviceLimitCountsMacsAndTheSameMacComesBack) {
  std::string code = make(spec(2h, 2));
  ASSERT_TRUE(store.redeem(code, mac(1), kT0).redeemed);
  // A phone that changed its MAC takes the second place.
  ASSERT_TRUE(store.redeem(code, mac(2), kT0 + 1min).redeemed);
  // A third MAC is refused, with the used-up message.
  auto third = store.redeem(code, mac(3), kT0 + 2min);
  EXPECT_FALSE(third.redeemed);
  EXPECT_EQ(third.refusal, Refusal::used_up);
  EXPECT_EQ(third.devices, 2u);
  // The MACs on it sign in again as often as they like, without a change.
  auto again = store.redeem(code, mac(1), kT0 + 1h);
  ASSERT_TRUE(again.redeemed);
  EXPECT_FALSE(again.redeemed->changed);
  EXPECT_EQ(again.redeemed->remaining, 1h);
  EXPECT_EQ(store.find(code)->macs, (std::vector<MacAddr>{mac(1), mac(2)}));
}

TEST_F(Vouchers, DefaultIsOneDevice) {
  VoucherSpec s;
  s.duration = 1h;
  std::string code = make(s);
  ASSERT_TRUE(store.redeem(code, mac(1), kT0).redeemed);
  auto other = store.redeem(code, mac(2), kT0);
  EXPECT_FALSE(other.redeemed);
  EXPECT_EQ(other.refusal, Refusal::used_up);
}

TEST_F(Vouchers, RevokedAndUnknownAndMalformedAreRefusedEachWithItsMessage) {
  std::string code = make(spec(2h, 3));
  ASSERT_TRUE(store.redeem(code, mac(1), kT0).redeemed);
  auto revoked = store.revoke(group_code(code));
  ASSERT_TRUE(revoked);
  EXPECT_TRUE(*revoked);
  EXPECT_FALSE(*store.revoke(code));  // already
  auto r = store.redeem(code, mac(1), kT0 + 1min);
  EXPECT_FALSE(r.redeemed);
  EXPECT_EQ(r.refusal, Refusal::revoked);
  EXPECT_EQ(state_of(*store.find(code), kT0), "revoked");
  EXPECT_EQ(store.revoke("ACDE-FG34-HJ").error().code, ENOENT);

  std::string other = code;
  other[0] = other[0] == 'A' ? 'C' : 'A';
  EXPECT_EQ(store.redeem(other, mac(1), kT0).refusal, Refusal::unknown);
  EXPECT_EQ(store.redeem("hello", mac(1), kT0).refusal, Refusal::malformed);
  std::set<std::string> messages;
  for (auto refusal : {Refusal::malformed, Refusal::unknown, Refusal::revoked, Refusal::expired, Refusal::used_up})
    messages.insert(refusal_message(refusal, 2));
  EXPECT_EQ(messages.size(), 5u);
  EXPECT_NE(refusal_message(Refusal::used_up, 3).find("3 devices"), std::string::npos);
}

TEST_F(Vouchers, CreateChecksItsArguments) {
  EXPECT_EQ(store.create(spec(1h), 0, kT0).error().code, EINVAL);
  EXPECT_EQ(store.create(spec(1h), kMaxCreate + 1, kT0).error().code, EINVAL);
  EXPECT_EQ(store.create(spec(0s), 1, kT0).error().code, EINVAL);
  EXPECT_EQ(store.create(spec(kMaxDuration + 1s), 1, kT0).error().code, EINVAL);
  EXPECT_EQ(store.create(spec(1h, 0), 1, kT0).error().code, EINVAL);
  EXPECT_EQ(store.create(spec(1h, kMaxDevices + 1), 1, kT0).error().code, EINVAL);
  auto made = store.create(spec(1h), kMaxCreate, kT0);
  ASSERT_TRUE(made);
  std::set<std::string> codes;
  for (const auto& v : *made) codes.insert(v.code);
  EXPECT_EQ(codes.size(), kMaxCreate);  // all different
  EXPECT_EQ(store.vouchers().size(), kMaxCreate);
  store.forget({(*made)[0].code});
  EXPECT_EQ(store.vouchers().size(), kMaxCreate - 1);
  EXPECT_EQ(store.find((*made)[0].code), nullptr);
  EXPECT_NE(store.find((*made)[1].code), nullptr);
}

TEST_F(Vouchers, FileRoundTrip) {
  VoucherSpec s = spec(2h, 3);
  s.limits.quota_bytes = 1'000'000'000;
  s.limits.rate_down = 250'000;
  s.limits.rate_up = 125'000;
  std::string a = make(s);
  std::string b = make(spec(30min));
  ASSERT_TRUE(store.redeem(a, mac(1), kT0 + 5min).redeemed);
  ASSERT_TRUE(store.redeem(a, mac(2), kT0 + 6min).redeemed);
  ASSERT_TRUE(*store.revoke(b));
  std::string text = store.format();
  auto back = VoucherStore::parse(text);
  ASSERT_TRUE(back) << back.error().message() << "\n" << text;
  EXPECT_EQ(back->vouchers(), store.vouchers());
  EXPECT_EQ(back->format(), text);
  // The codes in the file are grouped, as printed.
  EXPECT_NE(text.find(group_code(a)), std::string::npos);
  // And the rules go on from the file: the third place is free, a fourth MAC is not.
  ASSERT_TRUE(back->redeem(a, mac(3), kT0 + 7min).redeemed);
  EXPECT_EQ(back->redeem(a, mac(4), kT0 + 7min).refusal, Refusal::used_up);
  EXPECT_EQ(back->redeem(b, mac(1), kT0).refusal, Refusal::revoked);
}

TEST_F(Vouchers, CorruptFilesAreRefusedSayingWhere) {
  std::string code = make(spec(1h, 2));
  ASSERT_TRUE(store.redeem(code, mac(1), kT0).redeemed);
  const std::string good = store.format();
  ASSERT_TRUE(VoucherStore::parse(good));
  auto refused = [](const std::string& text, std::string_view says) {
    auto r = VoucherStore::parse(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, EINVAL);
    EXPECT_NE(r.error().what.find(says), std::string::npos) << r.error().what;
  };
  auto replaced = [&](std::string_view from, std::string_view to) {
    std::string t = good;
    auto at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) t.replace(at, from.size(), to);
    return t;
  };
  refused(good.substr(0, good.size() / 2), "not JSON");
  refused("[]", "not a JSON object");
  refused(replaced("\"version\":1", "\"version\":2"), "version");
  refused(replaced("\"seconds\":3600", "\"seconds\":0"), "voucher 0: \"seconds\"");
  refused(replaced("\"devices\":2", "\"devices\":1000"), "\"devices\"");
  refused(replaced("02:00:00:00:00:01", "02:00:00:00:00"), "\"macs\"");
  refused(replaced("\"revoked\":false", "\"revoked\":\"no\""), "\"revoked\"");
  refused(replaced(group_code(code), "ACDE-FG34-H0"), "\"code\"");
  refused(replaced("\"first_used_at\":", "\"first_use\":"), "first_used_at");
  refused(replaced("\"devices\":2", "\"devices\":0"), "\"devices\"");
  // The same code twice.
  std::string twice = good;
  auto line_start = twice.find("{\"code\"");
  auto line_end = twice.find('\n', line_start);
  twice.insert(line_end, "," + twice.substr(line_start, line_end - line_start));
  refused(twice, "twice");
}

// The file in a real directory: a round trip through load/save, no file is
// an empty store, and a corrupt file is an error naming it (and stays).
TEST_F(Vouchers, LoadAndSaveInTheStateDir) {
  char dir_template[] = "/tmp/captive-vouchers-test.XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  auto empty = load_vouchers(dir);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->vouchers().empty());
  std::string code = make(spec(1h));
  ASSERT_TRUE(save_vouchers(dir, store.format()));
  auto loaded = load_vouchers(dir);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->vouchers(), store.vouchers());
  const std::string path = dir + "/" + std::string(kVoucherFileName);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // codes are money: not for other users
  {
    std::ofstream junk(path, std::ios::trunc);
    junk << "{\"version\":1,\"vouchers\":[{\"code\":";
  }
  auto corrupt = load_vouchers(dir);
  ASSERT_FALSE(corrupt);
  EXPECT_NE(corrupt.error().what.find(path), std::string::npos) << corrupt.error().what;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_GT(st.st_size, 0);  // left as it was, not emptied
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace captive::auth
