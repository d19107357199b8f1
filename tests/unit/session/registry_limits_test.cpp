// Counters both ways across re-created elements, the sweep (idle, quota,
// expiry), end causes, extend, and resuming from the state file.
#include <gtest/gtest.h>

#include <map>

#include "../fakes/fakes.hpp"
#include "captive/session/registry.hpp"
#include "captive/session/state_file.hpp"

namespace captive::session {
namespace {
using captive::testing::ip;
using captive::testing::mac;
using namespace std::chrono_literals;

// A set whose elements count what the test says, and which, like the
// kernel, starts an element's counter at 0 whenever it is (re-)created.
class CountingSet final : public nft::SetWriter {
 public:
  struct Entry {
    std::chrono::seconds timeout{0};
    std::uint64_t bytes = 0;
    std::uint64_t packets = 0;
  };
  Result<void> add(const nft::Key& key, std::chrono::seconds timeout) override {
    elements[key] = Entry{timeout, 0, 0};
    ++adds;
    return {};
  }
  // The limits in force of the last element added (the rates go to the kernel).
  Result<void> add(const nft::ElementSpec& spec) override {
    last_spec = spec;
    return add(spec.key, spec.timeout);
  }
  Result<void> add_many(std::span<const nft::ElementSpec> specs) override {
    for (const auto& spec : specs) elements[spec.key] = Entry{spec.timeout, 0, 0};
    bulk_added += specs.size();
    return {};
  }
  Result<void> remove(const nft::Key& key) override {
    if (elements.erase(key) == 0) return make_error(ENOENT, "delete " + key.to_string());
    return {};
  }
  Result<std::vector<nft::Element>> list() override {
    std::vector<nft::Element> out;
    for (const auto& [key, entry] : elements) {
      nft::Element e;
      e.mac = key.mac;
      e.ip = key.ip;
      e.timeout = entry.timeout;
      e.expires = entry.timeout;
      e.traffic.bytes_up = entry.bytes;
      e.traffic.packets_up = entry.packets;
      out.push_back(e);
    }
    return out;
  }
  void count(const packet::MacAddr& m, std::uint64_t bytes) {
    auto& e = elements.at(nft::Key(m));
    e.bytes += bytes;
    e.packets += 1;
  }
  std::map<nft::Key, Entry> elements;
  nft::ElementSpec last_spec;
  int adds = 0;
  std::size_t bulk_added = 0;
};

struct TestClocks {
  Clock::time_point wall = Clock::time_point(std::chrono::seconds(1'700'000'000));
  SessionClock::time_point session = SessionClock::time_point(std::chrono::hours(5));
  Clocks clocks() {
    return Clocks{[this] { return session; }, [this] { return wall; }};
  }
  void pass(std::chrono::seconds d) {
    wall += d;
    session += d;
  }
};

struct Fixture {
  CountingSet set;
  TestClocks time;
  Registry registry{set, time.clocks()};
  std::vector<Ended> ends;
  int urgent_changes = 0;
  Fixture() {
    registry.set_hooks(Hooks{[this](const Ended& e) { ends.push_back(e); },
                             [this](bool urgent) { urgent_changes += urgent ? 1 : 0; }});
  }
  void sign_in(const packet::MacAddr& m, std::chrono::seconds t, Limits limits = {}) {
    std::optional<Result<void>> out;
    registry.sign_in(m, ip("192.0.2.2"), SignIn{t, "click-through", "", limits}, [&](Result<void> r) { out = r; });
    ASSERT_TRUE(out && *out);
  }
  std::vector<Client> list() {
    std::optional<Result<std::vector<Client>>> out;
    registry.list([&](Result<std::vector<Client>> r) { out = std::move(r); });
    EXPECT_TRUE(out && *out);
    return out && *out ? **out : std::vector<Client>{};
  }
  Traffic traffic(const packet::MacAddr& m) {
    for (const auto& c : list())
      if (c.mac == m) return c.traffic;
    ADD_FAILURE() << "not listed: " << m.to_string();
    return {};
  }
  std::size_t sweep() {
    std::optional<Result<std::size_t>> out;
    registry.sweep([&](Result<std::size_t> r) { out = std::move(r); });
    EXPECT_TRUE(out && *out);
    return out && *out ? **out : 0;
  }
};

const packet::MacAddr kA = mac("02:00:00:00:00:0a");
const packet::MacAddr kB = mac("02:00:00:00:00:0b");

TEST(RegistryCounters, TotalsNeverGoBackWhenTheElementIsRecreated) {
  Fixture f;
  f.sign_in(kA, 3600s);
  f.set.count(kA, 500);
  EXPECT_EQ(f.traffic(kA).bytes_up, 500u);
  // A flush and our restore: the element is new, its counter 0.
  f.set.elements.clear();
  ASSERT_TRUE(f.registry.restore());
  EXPECT_EQ(f.set.elements.at(nft::Key(kA)).bytes, 0u);
  f.set.count(kA, 100);
  EXPECT_EQ(f.traffic(kA).bytes_up, 600u);
  EXPECT_EQ(f.traffic(kA).packets_up, 2u);
  // Re-created by somebody else (nft by hand): the counter went back.
  f.set.elements.at(nft::Key(kA)) = CountingSet::Entry{3000s, 40, 1};
  EXPECT_EQ(f.traffic(kA).bytes_up, 640u);
  // Signing in again re-creates it too: the session's counts go on.
  f.sign_in(kA, 3600s);
  f.set.count(kA, 10);
  EXPECT_EQ(f.traffic(kA).bytes_up, 650u);
}

TEST(RegistryCounters, ExtendAddsTimeAndKeepsTheCounts) {
  Fixture f;
  f.sign_in(kA, 600s);
  f.set.count(kA, 700);  // not listed yet: extend reads it from the kernel
  std::optional<Result<std::chrono::seconds>> out;
  f.registry.extend(kA, 3600s, [&](Result<std::chrono::seconds> r) { out = r; });
  ASSERT_TRUE(out && *out);
  EXPECT_EQ(**out, 4200s);
  EXPECT_EQ(f.set.elements.at(nft::Key(kA)).timeout, 4200s);
  f.set.count(kA, 1);
  EXPECT_EQ(f.traffic(kA).bytes_up, 701u);
  f.registry.extend(mac("02:00:00:00:00:99"), 60s, [&](Result<std::chrono::seconds> r) { out = r; });
  ASSERT_FALSE(*out);
  EXPECT_EQ(out->error().code, ENOENT);
  f.registry.extend(kA, 0s, [&](Result<std::chrono::seconds> r) { out = r; });
  ASSERT_FALSE(*out);
  EXPECT_EQ(out->error().code, EINVAL);
}

// RADIUS CoA (RFC 5176): new rates or a new Session-Timeout for a session
// that is on. The element is re-created with them, and what it counted is
// not lost.
TEST(RegistryCounters, ChangeSetsTheLimitsInTheKernelAndKeepsTheCounts) {
  Fixture f;
  f.registry.set_default_limits(Limits{{}, {}, 500'000, {}});
  f.sign_in(kA, 600s, Limits{{}, {}, {}, 100'000});
  f.set.count(kA, 700);
  std::optional<Result<void>> out;
  f.registry.change(kA, std::nullopt, Limits{{}, {}, 2'000'000, {}}, [&](Result<void> r) { out = r; });
  ASSERT_TRUE(out && *out);
  EXPECT_EQ(f.set.last_spec.timeout, 600s);  // the kernel's time left, unchanged
  EXPECT_EQ(f.set.last_spec.limits.rate_down, 2'000'000u);
  EXPECT_EQ(f.set.last_spec.limits.rate_up, 100'000u);  // its own, kept
  f.set.count(kA, 1);
  EXPECT_EQ(f.traffic(kA).bytes_up, 701u);

  // A new Session-Timeout; the changed rate is the session's own now.
  out.reset();
  f.registry.change(kA, 60s, Limits{}, [&](Result<void> r) { out = r; });
  ASSERT_TRUE(out && *out);
  EXPECT_EQ(f.set.elements.at(nft::Key(kA)).timeout, 60s);
  EXPECT_EQ(f.set.last_spec.limits.rate_down, 2'000'000u);
  EXPECT_EQ(f.traffic(kA).bytes_up, 701u);

  f.registry.change(mac("02:00:00:00:00:99"), 60s, Limits{}, [&](Result<void> r) { out = r; });
  ASSERT_FALSE(*out);
  EXPECT_EQ(out->error().code, ENOENT);
  f.registry.change(kA, 0s, Limits{}, [&](Result<void> r) { out = r; });
  ASSERT_FALSE(*out);
  EXPECT_EQ(out->error().code, EINVAL);
}

TEST(RegistrySweep, IdleSessionsEndOthersStay) {
  Fixture f;
  f.registry.set_default_limits(Limits{600s, {}, {}, {}});
  f.sign_in(kA, 3600s);
  f.sign_in(kB, 3600s, Limits{120s, {}, {}, {}});  // its own, shorter
  f.time.pass(100s);
  f.set.count(kA, 1);
  EXPECT_EQ(f.sweep(), 0u);
  f.time.pass(30s);  // B: 130 s without a counter moving
  EXPECT_EQ(f.sweep(), 1u);
  ASSERT_EQ(f.ends.size(), 1u);
  EXPECT_EQ(f.ends[0].mac, kB);
  EXPECT_EQ(f.ends[0].cause, EndCause::idle);
  EXPECT_EQ(f.set.elements.count(nft::Key(kB)), 0u);
  f.time.pass(569s);  // A: 599 s since it last counted (at 100 s)
  EXPECT_EQ(f.sweep(), 0u);
  f.time.pass(1s);
  EXPECT_EQ(f.sweep(), 1u);
  ASSERT_EQ(f.ends.size(), 2u);
  EXPECT_EQ(f.ends[1].mac, kA);
  EXPECT_EQ(f.ends[1].cause, EndCause::idle);
}

TEST(RegistrySweep, QuotaCountsUpAndDownOverRecreations) {
  Fixture f;
  f.registry.set_default_limits(Limits{{}, 1000, {}, {}});
  f.sign_in(kA, 3600s);
  f.set.count(kA, 600);
  EXPECT_EQ(f.sweep(), 0u);
  f.set.elements.clear();
  ASSERT_TRUE(f.registry.restore());  // counter back to 0; the session's total is not
  f.set.count(kA, 399);
  EXPECT_EQ(f.sweep(), 0u);
  f.set.count(kA, 1);
  EXPECT_EQ(f.sweep(), 1u);
  ASSERT_EQ(f.ends.size(), 1u);
  EXPECT_EQ(f.ends[0].cause, EndCause::quota);
  EXPECT_EQ(f.ends[0].traffic.bytes_up, 1000u);
  EXPECT_TRUE(f.set.elements.empty());
  EXPECT_EQ(f.sweep(), 0u);
  EXPECT_EQ(f.ends.size(), 1u) << "one end line per session";
}

TEST(RegistrySweep, ExpiryInTheKernelIsLoggedAsTimeout) {
  Fixture f;
  f.sign_in(kA, 60s);
  f.sign_in(kB, 3600s);
  f.time.pass(60s);
  f.set.elements.erase(nft::Key(kA));  // the kernel timed it out
  f.set.elements.erase(nft::Key(kB));  // somebody deleted it by hand
  EXPECT_EQ(f.sweep(), 0u);
  ASSERT_EQ(f.ends.size(), 2u);
  EXPECT_EQ(f.ends[0].mac, kA);
  EXPECT_EQ(f.ends[0].cause, EndCause::timeout);
  EXPECT_EQ(f.ends[1].mac, kB);
  EXPECT_EQ(f.ends[1].cause, EndCause::admin);
}

TEST(RegistryEnd, RevokeCarriesItsCauseAndLineHasTheFields) {
  Fixture f;
  f.sign_in(kA, 3600s);
  f.set.count(kA, 1234);
  (void)f.list();
  f.time.pass(90s);
  std::optional<Result<void>> out;
  f.registry.revoke(kA, EndCause::logout, [&](Result<void> r) { out = r; });
  ASSERT_TRUE(out && *out);
  ASSERT_EQ(f.ends.size(), 1u);
  EXPECT_EQ(end_line(f.ends[0]),
            "session end mac=02:00:00:00:00:0a ip=192.0.2.2 cause=logout method=click-through duration=90s "
            "bytes_up=1234 bytes_down=0 packets_up=1 packets_down=0");
  f.registry.revoke(kA, [&](Result<void> r) { out = r; });
  ASSERT_FALSE(*out);
  EXPECT_EQ(out->error().code, ENOENT);
  EXPECT_EQ(f.ends.size(), 1u) << "no end for a session that was not there";
}

TEST(RegistryState, SnapshotAndResumeAfterAReboot) {
  Fixture before;
  before.sign_in(kA, 3600s, Limits{300s, 5'000'000, {}, {}});
  before.sign_in(kB, 60s);
  before.set.count(kA, 900);
  (void)before.list();
  auto stored = before.registry.snapshot();
  ASSERT_EQ(stored.size(), 2u);
  // Through the file's text, as at a restart.
  auto parsed = parse_state(format_state(stored));
  ASSERT_TRUE(parsed);

  // Two minutes later the machine is back, the set empty except for a
  // session somebody added by hand.
  Fixture after;
  after.time.wall = before.time.wall + 120s;
  const packet::MacAddr kC = mac("02:00:00:00:00:0c");
  after.set.elements[nft::Key(kC)] = CountingSet::Entry{500s, 0, 0};
  auto resumed = after.registry.resume(*parsed);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->restored, 1u);
  EXPECT_EQ(resumed->expired, 1u);
  EXPECT_EQ(resumed->kept, 0u);
  EXPECT_EQ(resumed->adopted, 1u);
  ASSERT_EQ(after.ends.size(), 1u);
  EXPECT_EQ(after.ends[0].mac, kB);
  EXPECT_EQ(after.ends[0].cause, EndCause::timeout);
  ASSERT_EQ(after.set.elements.count(nft::Key(kA)), 1u);
  EXPECT_EQ(after.set.elements.at(nft::Key(kA)).timeout, 3480s);
  EXPECT_EQ(after.set.elements.count(nft::Key(kB)), 0u);
  auto a = after.registry.find(kA);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->method, "click-through");
  EXPECT_EQ(a->signed_in_at, before.time.wall);
  EXPECT_EQ(a->limits.idle_timeout, 300s);
  EXPECT_EQ(a->limits.quota_bytes, 5'000'000u);
  after.set.count(kA, 100);
  EXPECT_EQ(after.traffic(kA).bytes_up, 1000u);
}

TEST(RegistryState, ResumeAfterARestartKeepsTheKernelsCounterAndTime) {
  Fixture before;
  before.sign_in(kA, 3600s);
  before.set.count(kA, 900);
  (void)before.list();
  auto stored = before.registry.snapshot();
  // captived restarts; the kernel kept the element and counted on.
  Fixture after;
  after.set.elements[nft::Key(kA)] = CountingSet::Entry{3000s, 950, 2};
  auto resumed = after.registry.resume(stored);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->kept, 1u);
  EXPECT_EQ(resumed->restored, 0u);
  EXPECT_EQ(after.set.bulk_added, 0u);
  EXPECT_EQ(after.traffic(kA).bytes_up, 950u);
  auto a = after.registry.find(kA);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->expires_at, after.time.wall + 3000s);
}

}  // namespace
}  // namespace captive::session
