// The abuse limits (auth::Limiter, auth::Gate): per-MAC delays and lockout,
// the global cap, and a Gate that holds answers back and routes by method.
#include "captive/auth/limiter.hpp"

#include <gtest/gtest.h>

#include "captive/auth/gate.hpp"
#include "../fakes/fakes.hpp"

namespace captive::auth {
namespace {
using captive::testing::ip;
using captive::testing::mac;
using namespace std::chrono_literals;

struct FakeClock {
  Limiter::Clock::time_point now{};
  std::function<Limiter::Clock::time_point()> fn() {
    return [this] { return now; };
  }
};

TEST(Limiter, DelaysDoubleThenLockOutAndOthersStayOpen) {
  FakeClock clock;
  Limiter limiter(LimiterSettings{}, clock.fn());
  const auto a = mac("02:00:00:00:00:01"), b = mac("02:00:00:00:00:02");
  std::chrono::milliseconds expected = 500ms;
  for (unsigned n = 1; n <= 4; ++n) {
    ASSERT_TRUE(limiter.check(a).open()) << n;
    auto p = limiter.failed(a);
    EXPECT_EQ(p.delay, expected) << n;
    EXPECT_FALSE(p.locked_out);
    // Meanwhile another try of the same MAC is refused unjudged...
    EXPECT_EQ(limiter.check(a).outcome, Limiter::Check::Outcome::wait);
    // ...and another MAC is not affected.
    EXPECT_TRUE(limiter.check(b).open());
    clock.now += expected;
    expected *= 2;
  }
  ASSERT_TRUE(limiter.check(a).open());
  auto fifth = limiter.failed(a);
  EXPECT_TRUE(fifth.locked_out);
  EXPECT_EQ(fifth.failures, 5u);
  auto locked = limiter.check(a);
  EXPECT_EQ(locked.outcome, Limiter::Check::Outcome::locked);
  EXPECT_EQ(locked.retry_after, 300s);
  EXPECT_TRUE(limiter.check(b).open());
  clock.now += 299s;
  EXPECT_FALSE(limiter.check(a).open());
  clock.now += 1s;
  EXPECT_TRUE(limiter.check(a).open());
  // After the lockout the count starts again: one failure is a short delay.
  EXPECT_EQ(limiter.failed(a).delay, 500ms);
  EXPECT_EQ(limiter.stats().lockouts, 1u);
  EXPECT_EQ(limiter.stats().failures, 6u);
}

TEST(Limiter, SuccessAndTimeForgetFailures) {
  FakeClock clock;
  Limiter limiter(LimiterSettings{}, clock.fn());
  const auto a = mac("02:00:00:00:00:01");
  limiter.failed(a);
  clock.now += 1s;
  limiter.failed(a);
  clock.now += 2s;
  limiter.succeeded(a);
  EXPECT_EQ(limiter.failed(a).delay, 500ms);
  clock.now += 901s;
  EXPECT_TRUE(limiter.check(a).open());
  EXPECT_EQ(limiter.failed(a).delay, 500ms);
}

TEST(Limiter, GlobalCapHoldsAcrossChangingMacs) {
  FakeClock clock;
  LimiterSettings settings;
  settings.global_per_second = 10;
  settings.global_burst = 10;
  Limiter limiter(settings, clock.fn());
  // A guesser with a new MAC for every try: each MAC is fresh, the cap is not.
  unsigned judged = 0;
  for (unsigned i = 0; i < 100; ++i) {
    packet::MacAddr m = mac("02:00:00:00:00:00");
    m.bytes[4] = static_cast<std::uint8_t>(i >> 8);
    m.bytes[5] = static_cast<std::uint8_t>(i);
    if (!limiter.check(m).open()) continue;
    ++judged;
    limiter.failed(m);
  }
  EXPECT_EQ(judged, 10u);
  EXPECT_EQ(limiter.stats().refused_global, 90u);
  // It refills at the cap's rate.
  clock.now += 500ms;
  unsigned more = 0;
  for (unsigned i = 200; i < 300; ++i) {
    packet::MacAddr m = mac("02:00:00:00:01:00");
    m.bytes[5] = static_cast<std::uint8_t>(i);
    if (limiter.check(m).open()) {
      ++more;
      limiter.failed(m);
    }
  }
  EXPECT_EQ(more, 5u);
}

// A crowd at the door (bench crowd, docs/performance.md): 1 000 people
// within a second, 1 in 20 mistypes the code. Their 50 failures must not
// empty the global bucket and refuse the others' right codes; a guesser
// changing MACs still gets no more than the rate once the burst is spent.
TEST(Limiter, CrowdTyposDoNotRefuseOthersButTheRateStillHolds) {
  FakeClock clock;
  Limiter limiter(LimiterSettings{}, clock.fn());
  unsigned refused = 0;
  for (unsigned i = 0; i < 1000; ++i) {
    packet::MacAddr m = mac("02:00:00:00:00:00");
    m.bytes[4] = static_cast<std::uint8_t>(i >> 8);
    m.bytes[5] = static_cast<std::uint8_t>(i);
    if (!limiter.check(m).open()) {
      ++refused;
      continue;
    }
    if (i % 20 == 19) limiter.failed(m);
    else limiter.succeeded(m);
    clock.now += 1ms;
  }
  EXPECT_EQ(refused, 0u);
  EXPECT_EQ(limiter.stats().refused_global, 0u);
  // A guesser with a fresh MAC per try, for 60 s: the burst once, then the rate.
  unsigned judged = 0;
  for (unsigned i = 0; i < 60 * 1000; ++i) {
    packet::MacAddr m = mac("02:00:00:01:00:00");
    m.bytes[4] = static_cast<std::uint8_t>(i >> 8);
    m.bytes[5] = static_cast<std::uint8_t>(i);
    if (limiter.check(m).open()) {
      ++judged;
      limiter.failed(m);
    }
    clock.now += 1ms;
  }
  const LimiterSettings d;
  EXPECT_LE(judged, d.global_burst + 60 * d.global_per_second + 1);
  EXPECT_GE(judged, 60 * d.global_per_second);
}

TEST(Limiter, MemoryIsBounded) {
  FakeClock clock;
  LimiterSettings settings;
  settings.max_tracked = 64;
  settings.global_per_second = 1'000'000;
  Limiter limiter(settings, clock.fn());
  const auto locked = mac("02:00:00:00:ff:ff");
  for (int i = 0; i < 5; ++i) {
    clock.now += 10s;
    limiter.failed(locked);
  }
  for (unsigned i = 0; i < 1000; ++i) {
    packet::MacAddr m = mac("02:00:00:00:00:00");
    m.bytes[4] = static_cast<std::uint8_t>(i >> 8);
    m.bytes[5] = static_cast<std::uint8_t>(i);
    limiter.failed(m);
    ASSERT_LE(limiter.tracked(), 64u);
  }
  // Entries that are not locked out are forgotten first.
  EXPECT_EQ(limiter.check(locked).outcome, Limiter::Check::Outcome::locked);
}

// A backend that answers what it is told, counting calls.
class Scripted final : public Backend {
 public:
  explicit Scripted(std::string name) : name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  std::vector<Form> forms() const override { return {Form{name_, "<input name=\"x\">", "Go"}}; }
  void judge(const Attempt&, Verdict done) override {
    ++calls;
    done(next);
  }
  Decision next = Decision::refuse(Decision::Outcome::wrong_credentials, "Wrong.");
  int calls = 0;

 private:
  std::string name_;
};

struct GateFixture : ::testing::Test {
  GateFixture() {
    auto one = std::make_unique<Scripted>("click");
    auto two = std::make_unique<Scripted>("users");
    click = one.get();
    users = two.get();
    std::vector<std::unique_ptr<Backend>> backends;
    backends.push_back(std::move(one));
    backends.push_back(std::move(two));
    gate.emplace(std::move(backends), limiter,
                 GateExecutors{[this](std::chrono::milliseconds d, GateExecutors::Job job) {
                   delays.push_back(d);
                   held.push_back(std::move(job));
                 }});
  }
  Decision judge(std::string form, bool* answered = nullptr) {
    Decision out;
    bool got = false;
    gate->judge(Attempt{mac("02:00:00:00:00:01"), ip("192.0.2.2"), std::move(form)}, [&](Decision d) {
      out = std::move(d);
      got = true;
    });
    if (answered) *answered = got;
    return out;
  }
  FakeClock clock;
  Limiter limiter{LimiterSettings{}, clock.fn()};
  Scripted* click = nullptr;
  Scripted* users = nullptr;
  std::vector<std::chrono::milliseconds> delays;
  std::vector<GateExecutors::Job> held;
  std::optional<Gate> gate;
};

TEST_F(GateFixture, RoutesByMethodDefaultFirstUnknownRefused) {
  click->next = Decision::accept("click-through");
  EXPECT_TRUE(judge("accept_terms=yes").accepted());  // no method: the first backend
  EXPECT_EQ(click->calls, 1);
  users->next = Decision::accept("user", "alice");
  Decision d = judge("method=users&user=alice");
  EXPECT_TRUE(d.accepted());
  EXPECT_EQ(d.user, "alice");
  EXPECT_EQ(users->calls, 1);
  Decision unknown = judge("method=radius");
  EXPECT_EQ(unknown.outcome, Decision::Outcome::refused);
  EXPECT_EQ(click->calls + users->calls, 2);
  auto forms = gate->forms();
  ASSERT_EQ(forms.size(), 2u);
  EXPECT_EQ(forms[0].name, "click");
  EXPECT_EQ(forms[1].name, "users");
}

TEST_F(GateFixture, WrongCredentialsAreHeldBackThenLockOut) {
  bool answered = true;
  judge("method=users", &answered);
  EXPECT_FALSE(answered);  // held back by the timer, not answered at once
  ASSERT_EQ(delays.size(), 1u);
  EXPECT_EQ(delays[0], 500ms);
  // During the delay: refused without asking the backend.
  Decision during = judge("method=users", &answered);
  EXPECT_TRUE(answered);
  EXPECT_EQ(during.outcome, Decision::Outcome::locked_out);
  EXPECT_EQ(users->calls, 1);
  for (int i = 1; i < 5; ++i) {
    clock.now += 10s;
    judge("method=users");
  }
  EXPECT_EQ(users->calls, 5);
  EXPECT_EQ(held.size(), 4u);  // the fifth is answered at once: locked out
  clock.now += 1s;
  users->next = Decision::accept("user", "alice");
  Decision locked = judge("method=users");
  EXPECT_EQ(locked.outcome, Decision::Outcome::locked_out);
  EXPECT_GE(locked.retry_after, 1s);
  EXPECT_EQ(users->calls, 5);
  Counters counters;
  gate->counters(counters);
  EXPECT_EQ(counters[1], (std::pair<std::string, std::uint64_t>{"auth.lockouts", 1}));
}

TEST_F(GateFixture, ClickThroughIsNeverLockedOut) {
  std::vector<std::unique_ptr<Backend>> backends;
  backends.push_back(std::make_unique<ClickThrough>());
  auto s = std::make_unique<Scripted>("users");
  Scripted* pw = s.get();
  backends.push_back(std::move(s));
  LimiterSettings tight;
  tight.global_per_second = 1;
  Limiter limiter2(tight, clock.fn());
  Gate g(std::move(backends), limiter2);
  auto run = [&](std::string form) {
    Decision out;
    g.judge(Attempt{mac("02:00:00:00:00:01"), ip("192.0.2.2"), std::move(form)}, [&](Decision d) { out = d; });
    return out;
  };
  for (int i = 0; i < 5; ++i) {
    run("method=users");
    clock.now += 10s;
  }
  EXPECT_EQ(run("method=users").outcome, Decision::Outcome::locked_out);
  EXPECT_EQ(pw->calls, 5);
  EXPECT_TRUE(run("method=click&accept_terms=yes").accepted());  // same MAC, bucket empty
}

TEST_F(GateFixture, RefusalsThatAreNotCredentialsAreNotCounted) {
  users->next = Decision::refuse(Decision::Outcome::refused, "Voucher used up.");
  for (int i = 0; i < 20; ++i) EXPECT_EQ(judge("method=users").outcome, Decision::Outcome::refused);
  EXPECT_EQ(limiter.stats().failures, 0u);
  EXPECT_TRUE(delays.empty());
}

}  // namespace
}  // namespace captive::auth
