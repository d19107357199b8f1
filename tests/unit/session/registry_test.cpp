#include "captive/session/registry.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <set>

#include "../fakes/fakes.hpp"

namespace captive::session {
namespace {
using captive::testing::FakeSet;
using captive::testing::ip;
using captive::testing::mac;
using namespace std::chrono_literals;

// The registry answers through callbacks; without executors they run
// before the call returns.
Result<void> sign_in(Registry& r, const packet::MacAddr& m, std::optional<packet::IpAddr> a, std::chrono::seconds t,
                     std::string method) {
  std::optional<Result<void>> out;
  r.sign_in(m, a, t, std::move(method), [&](Result<void> x) { out = std::move(x); });
  EXPECT_TRUE(out) << "no answer without executors";
  return out ? std::move(*out) : Result<void>(make_error(EINPROGRESS, "no answer"));
}

Result<void> revoke(Registry& r, const packet::MacAddr& m) {
  std::optional<Result<void>> out;
  r.revoke(m, [&](Result<void> x) { out = std::move(x); });
  EXPECT_TRUE(out) << "no answer without executors";
  return out ? std::move(*out) : Result<void>(make_error(EINPROGRESS, "no answer"));
}

Result<std::vector<Client>> list(Registry& r) {
  std::optional<Result<std::vector<Client>>> out;
  r.list([&](Result<std::vector<Client>> x) { out = std::move(x); });
  EXPECT_TRUE(out) << "no answer without executors";
  return out ? std::move(*out) : Result<std::vector<Client>>(make_error(EINPROGRESS, "no answer"));
}

// Both clocks, stepped by hand: the wall clock as NTP or an admin would,
// the session clock only forward.
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

TEST(Registry, SignInAddsToKernelSetWithTimeout) {
  FakeSet set;
  Registry registry(set);
  ASSERT_TRUE(sign_in(registry, mac("02:00:00:00:00:01"), ip("192.0.2.2"), 3600s, "click-through"));
  ASSERT_EQ(set.elements.size(), 1u);
  EXPECT_EQ(set.elements.at(mac("02:00:00:00:00:01")), 3600s);
}

TEST(Registry, ListJoinsKernelAndMetadata) {
  FakeSet set;
  TestClocks time;
  Clock::time_point t0 = time.wall;
  Registry registry(set, time.clocks());
  ASSERT_TRUE(sign_in(registry, mac("02:00:00:00:00:01"), ip("192.0.2.2"), 60s, "click-through"));
  set.elements[mac("02:00:00:00:00:09")] = 30s;  // added outside captived
  auto clients = list(registry);
  ASSERT_TRUE(clients);
  ASSERT_EQ(clients->size(), 2u);
  const Client& ours = (*clients)[0];
  EXPECT_EQ(ours.mac, mac("02:00:00:00:00:01"));
  ASSERT_TRUE(ours.ip);
  EXPECT_EQ(*ours.ip, ip("192.0.2.2"));
  EXPECT_EQ(ours.signed_in_at, t0);
  EXPECT_EQ(ours.expires_at, t0 + 59s);
  EXPECT_EQ(ours.method, "click-through");
  EXPECT_EQ(ours.traffic.bytes_up, 1000u);
  EXPECT_EQ(ours.traffic.packets_up, 10u);
  // RFC 2866 §5.5: an Interim-Update (made from this list) names the
  // session with the Acct-Session-Id its Start had.
  EXPECT_FALSE(ours.acct_session_id.empty());
  ASSERT_EQ(registry.known().size(), 1u);
  EXPECT_EQ(ours.acct_session_id, registry.known()[0].acct_session_id);
  const Client& foreign = (*clients)[1];
  EXPECT_FALSE(foreign.ip);
  EXPECT_FALSE(foreign.signed_in_at);
  EXPECT_TRUE(foreign.expires_at);
}

TEST(Registry, ListForgetsSessionsTheKernelExpired) {
  FakeSet set;
  Registry registry(set);
  ASSERT_TRUE(sign_in(registry, mac("02:00:00:00:00:01"), ip("192.0.2.2"), 60s, "click-through"));
  set.elements.clear();  // the kernel timed the element out
  ASSERT_TRUE(list(registry));
  EXPECT_FALSE(registry.find(mac("02:00:00:00:00:01")));
}

TEST(Registry, RevokeRemovesAndReportsUnknown) {
  FakeSet set;
  Registry registry(set);
  ASSERT_TRUE(sign_in(registry, mac("02:00:00:00:00:01"), std::nullopt, 60s, "x"));
  EXPECT_TRUE(registry.find(mac("02:00:00:00:00:01")));
  ASSERT_TRUE(revoke(registry, mac("02:00:00:00:00:01")));
  EXPECT_TRUE(set.elements.empty());
  EXPECT_FALSE(registry.find(mac("02:00:00:00:00:01")));
  auto again = revoke(registry, mac("02:00:00:00:00:01"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ENOENT);
}

// The hook the daemon cuts conntrack flows in: once per session that ended,
// with the address it signed in from and the cause, after the element went.
TEST(Registry, EveryEndCallsOnEndAfterTheElementIsGone) {
  FakeSet set;
  std::vector<SessionEnd> ended;
  std::vector<std::size_t> elements_then;
  Executors ex;
  ex.on_end = [&](const SessionEnd& e) {
    ended.push_back(e);
    elements_then.push_back(set.elements.size());
  };
  Registry registry(set, Clocks{}, Binding::mac, ex);
  ASSERT_TRUE(sign_in(registry, mac("02:00:00:00:00:01"), ip("192.0.2.2"), 60s, "x"));
  ASSERT_TRUE(sign_in(registry, mac("02:00:00:00:00:02"), std::nullopt, 60s, "x"));
  ASSERT_TRUE(revoke(registry, mac("02:00:00:00:00:01")));
  std::optional<Result<void>> out;
  registry.revoke(mac("02:00:00:00:00:02"), EndCause::logout, [&](Result<void> r) { out = std::move(r); });
  ASSERT_TRUE(out && *out);
  ASSERT_EQ(ended.size(), 2u);
  EXPECT_EQ(ended[0].mac, mac("02:00:00:00:00:01"));
  EXPECT_EQ(ended[0].ip, ip("192.0.2.2"));
  EXPECT_EQ(ended[0].cause, EndCause::revoke);
  EXPECT_EQ(ended[1].mac, mac("02:00:00:00:00:02"));
  EXPECT_FALSE(ended[1].ip);
  EXPECT_EQ(ended[1].cause, EndCause::logout);
  EXPECT_EQ(elements_then, (std::vector<std::size_t>{1u, 0u})) << "on_end ran before the element was removed";
  // Nothing ended: no call.
  EXPECT_FALSE(revoke(registry, mac("02:00:00:00:00:01")));
  out.reset();
  registry.revoke(mac("02:00:00:00:00:09"), EndCause::logout, [&](Result<void> r) { out = std::move(r); });
  ASSERT_TRUE(out);
  EXPECT_FALSE(*out);
  EXPECT_EQ(ended.size(), 2u);
}

// on_end runs in the kernel job, before the answer goes home: a revoke's
// answer means the flows are cut.
TEST(RegistryAsync, OnEndRunsOnTheKernelThreadBeforeTheAnswer) {
  FakeSet set;
  std::deque<Job> kernel, home;
  int ends = 0;
  Executors ex{[&](Job j) { kernel.push_back(std::move(j)); }, [&](Job j) { home.push_back(std::move(j)); }, {},
               [&](const SessionEnd&) { ++ends; }};
  Registry registry(set, Clocks{}, Binding::mac, ex);
  auto run = [](std::deque<Job>& q) {
    while (!q.empty()) {
      Job j = std::move(q.front());
      q.pop_front();
      j();
    }
  };
  registry.sign_in(mac("02:00:00:00:00:01"), std::nullopt, 60s, "x", [](Result<void>) {});
  run(kernel);
  run(home);
  std::optional<Result<void>> revoked;
  registry.revoke(mac("02:00:00:00:00:01"), [&](Result<void> r) { revoked = std::move(r); });
  EXPECT_EQ(ends, 0) << "cut on the caller's thread";
  run(kernel);
  EXPECT_EQ(ends, 1);
  EXPECT_FALSE(revoked);
  run(home);
  ASSERT_TRUE(revoked && *revoked);
}

TEST(Registry, FailedKernelAddRecordsNothing) {
  FakeSet set;
  set.fail_next = true;
  Registry registry(set);
  auto r = sign_in(registry, mac("02:00:00:00:00:01"), std::nullopt, 60s, "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOBUFS);
  EXPECT_FALSE(registry.find(mac("02:00:00:00:00:01")));
}

TEST(Registry, FindIgnoresExpiredRecords) {
  FakeSet set;
  TestClocks time;
  Registry registry(set, time.clocks());
  ASSERT_TRUE(sign_in(registry, mac("02:00:00:00:00:01"), std::nullopt, 60s, "x"));
  time.pass(61s);
  EXPECT_FALSE(registry.find(mac("02:00:00:00:00:01")));
}

TEST(Registry, RestorePutsBackUnexpiredSessionsWithTimeLeft) {
  FakeSet set;
  TestClocks time;
  Registry registry(set, time.clocks());
  ASSERT_TRUE(sign_in(registry, mac("02:00:00:00:00:01"), std::nullopt, 3600s, "x"));
  ASSERT_TRUE(sign_in(registry, mac("02:00:00:00:00:02"), std::nullopt, 60s, "x"));
  time.pass(100s);            // the second session is over
  set.elements.clear();   // `nft flush ruleset`
  auto restored = registry.restore();
  ASSERT_TRUE(restored);
  EXPECT_EQ(*restored, 1u);
  EXPECT_EQ(set.bulk_adds, 1);
  ASSERT_EQ(set.elements.size(), 1u);
  EXPECT_EQ(set.elements.at(mac("02:00:00:00:00:01")), 3500s);
  EXPECT_FALSE(registry.find(mac("02:00:00:00:00:02")));
}

TEST(Registry, RestoreOfNothingTouchesNothing) {
  FakeSet set;
  Registry registry(set);
  auto restored = registry.restore();
  ASSERT_TRUE(restored);
  EXPECT_EQ(*restored, 0u);
  EXPECT_EQ(set.bulk_adds, 0);
}

TEST(Registry, BindIpKeysTheSessionByMacAndAddress) {
  FakeSet set;
  Registry registry(set, Clocks{}, Binding::mac_ip);
  ASSERT_TRUE(sign_in(registry, mac("02:00:00:00:00:01"), ip("192.0.2.2"), 60s, "x"));
  ASSERT_EQ(set.elements.size(), 1u);
  EXPECT_EQ(set.elements.count(nft::Key(mac("02:00:00:00:00:01"), ip("192.0.2.2"))), 1u);
  EXPECT_EQ(set.elements.count(nft::Key(mac("02:00:00:00:00:01"))), 0u) << "not the MAC alone";
  // Signing in again from another address moves the binding.
  ASSERT_TRUE(sign_in(registry, mac("02:00:00:00:00:01"), ip("2001:db8:1::2"), 60s, "x"));
  ASSERT_EQ(set.elements.size(), 1u);
  EXPECT_EQ(set.elements.count(nft::Key(mac("02:00:00:00:00:01"), ip("2001:db8:1::2"))), 1u);
  auto clients = list(registry);
  ASSERT_TRUE(clients);
  ASSERT_EQ(clients->size(), 1u);
  EXPECT_EQ((*clients)[0].ip, ip("2001:db8:1::2"));
  ASSERT_TRUE(revoke(registry, mac("02:00:00:00:00:01")));
  EXPECT_TRUE(set.elements.empty());
}

TEST(Registry, BindIpNeedsAnAddress) {
  FakeSet set;
  Registry registry(set, Clocks{}, Binding::mac_ip);
  auto r = sign_in(registry, mac("02:00:00:00:00:01"), std::nullopt, 60s, "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EINVAL);
  EXPECT_TRUE(set.elements.empty());
}

TEST(Registry, RevokeFindsUnrecordedElementsOfTheMacInAnySet) {
  FakeSet set;
  set.elements[nft::Key(mac("02:00:00:00:00:01"), ip("192.0.2.2"))] = 60s;  // from before a restart
  set.elements[nft::Key(mac("02:00:00:00:00:01"))] = 60s;
  set.elements[nft::Key(mac("02:00:00:00:00:02"))] = 60s;
  Registry registry(set);
  ASSERT_TRUE(revoke(registry, mac("02:00:00:00:00:01")));
  ASSERT_EQ(set.elements.size(), 1u);
  EXPECT_EQ(set.elements.count(nft::Key(mac("02:00:00:00:00:02"))), 1u);
  EXPECT_EQ(revoke(registry, mac("02:00:00:00:00:01")).error().code, ENOENT);
}

// A session from before a restart (or crash) is only in the kernel set: the
// new daemon takes it over, so a flush restores it (e2e 090).
// Right after a bulk add the kernel resizes the set's hash table, and a dump
// that meets the resize misses elements: adopt() takes over the union of
// dumps until one finds nobody new.
TEST(Registry, AdoptTakesOverWhatATornDumpMissed) {
  FakeSet set;
  for (unsigned i = 0; i < 30; ++i)
    set.elements[nft::Key(packet::MacAddr{{2, 0, 0, 0, 0, static_cast<std::uint8_t>(i)}})] = 3600s;
  set.torn_lists = 2;  // the first two dumps each miss another third
  Registry registry(set);
  auto adopted = registry.adopt();
  ASSERT_TRUE(adopted);
  EXPECT_EQ(*adopted, 30u);
  EXPECT_EQ(set.lists, 3) << "dumps until one finds nobody new";

  FakeSet steady;
  steady.elements[nft::Key(mac("02:00:00:00:00:01"))] = 3600s;
  Registry other(steady);
  EXPECT_EQ(*other.adopt(), 1u);
  EXPECT_EQ(steady.lists, 2) << "a consistent set costs one more dump, not more";
}

// list() forgets the records of sessions the kernel no longer has; a torn
// dump (elements missed, others repeated) must not make it forget live ones.
TEST(Registry, ATornDumpForgetsNobody) {
  FakeSet set;
  Registry registry(set);
  for (unsigned i = 0; i < 9; ++i)
    ASSERT_TRUE(sign_in(registry, packet::MacAddr{{2, 0, 0, 0, 0, static_cast<std::uint8_t>(i)}}, std::nullopt,
                        3600s, "x"));
  set.torn_lists = set.lists + 1;  // the next dump is torn
  auto torn = list(registry);
  ASSERT_TRUE(torn);
  std::set<packet::MacAddr> listed;
  for (const auto& c : *torn) EXPECT_TRUE(listed.insert(c.mac).second) << "listed twice: " << c.mac.to_string();
  for (unsigned i = 0; i < 9; ++i)
    EXPECT_TRUE(registry.find(packet::MacAddr{{2, 0, 0, 0, 0, static_cast<std::uint8_t>(i)}}))
        << "forgot a live session after a torn dump";
  set.elements.erase(nft::Key(packet::MacAddr{{2, 0, 0, 0, 0, 0}}));  // deleted by somebody else
  ASSERT_TRUE(list(registry));                                       // an honest dump
  EXPECT_FALSE(registry.find(packet::MacAddr{{2, 0, 0, 0, 0, 0}}));
}

TEST(Registry, AdoptedSessionsFromBeforeARestartAreRestored) {
  FakeSet set;
  TestClocks time;
  set.elements[nft::Key(mac("02:00:00:00:00:01"))] = 3600s;                    // the old daemon's
  set.elements[nft::Key(mac("02:00:00:00:00:02"), ip("192.0.2.3"))] = 600s;  // a bound one
  Registry registry(set, time.clocks());
  ASSERT_TRUE(sign_in(registry, mac("02:00:00:00:00:03"), ip("192.0.2.4"), 60s, "click-through"));
  auto adopted = registry.adopt();
  ASSERT_TRUE(adopted);
  EXPECT_EQ(*adopted, 2u);  // not the one we signed in ourselves
  auto found = registry.find(mac("02:00:00:00:00:01"));
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->signed_in_at);
  EXPECT_EQ(registry.find(mac("02:00:00:00:00:03"))->method, "click-through");
  EXPECT_EQ(*registry.adopt(), 0u);  // twice is harmless
  time.pass(10s);
  set.elements.clear();  // `nft flush ruleset`
  auto restored = registry.restore();
  ASSERT_TRUE(restored);
  EXPECT_EQ(*restored, 3u);
  // FakeSet::list() reports 1 s less than the timeout as time left.
  EXPECT_EQ(set.elements.at(nft::Key(mac("02:00:00:00:00:01"))), 3589s);
  EXPECT_EQ(set.elements.at(nft::Key(mac("02:00:00:00:00:02"), ip("192.0.2.3"))), 589s);
  EXPECT_EQ(set.elements.at(nft::Key(mac("02:00:00:00:00:03"))), 50s);
}

TEST(Registry, RestoreKeepsBindingsAndGroupsBySet) {
  FakeSet set;
  Registry registry(set, Clocks{}, Binding::mac_ip);
  ASSERT_TRUE(sign_in(registry, mac("02:00:00:00:00:01"), ip("2001:db8:1::2"), 600s, "x"));
  ASSERT_TRUE(sign_in(registry, mac("02:00:00:00:00:02"), ip("192.0.2.3"), 600s, "x"));
  set.elements.clear();
  auto restored = registry.restore();
  ASSERT_TRUE(restored);
  EXPECT_EQ(*restored, 2u);
  EXPECT_EQ(set.elements.count(nft::Key(mac("02:00:00:00:00:01"), ip("2001:db8:1::2"))), 1u);
  EXPECT_EQ(set.elements.count(nft::Key(mac("02:00:00:00:00:02"), ip("192.0.2.3"))), 1u);
}

// Routers without a real-time clock step the wall clock at boot (NTP): a
// step either way must neither end nor extend a session (issue 8, item 6).
TEST(Registry, WallClockStepsChangeNoSessionTime) {
  FakeSet set;
  TestClocks time;
  Registry registry(set, time.clocks());
  ASSERT_TRUE(sign_in(registry, mac("02:00:00:00:00:01"), std::nullopt, 3600s, "x"));
  time.pass(100s);
  time.wall += 24h;  // NTP's first answer
  auto found = registry.find(mac("02:00:00:00:00:01"));
  ASSERT_TRUE(found) << "a step forward ended the session";
  EXPECT_EQ(*found->expires_at, time.wall + 3500s) << "shown in wall time: now + time left";
  set.elements.clear();
  ASSERT_EQ(*registry.restore(), 1u);
  EXPECT_EQ(set.elements.at(mac("02:00:00:00:00:01")), 3500s);
  time.wall -= 48h;  // and a step back
  set.elements.clear();
  ASSERT_EQ(*registry.restore(), 1u);
  EXPECT_EQ(set.elements.at(mac("02:00:00:00:00:01")), 3500s) << "a step back extended the session";
  time.session += 3500s;  // the time is really over
  EXPECT_FALSE(registry.find(mac("02:00:00:00:00:01")));
  set.elements.clear();
  EXPECT_EQ(*registry.restore(), 0u);
}

// Kernel jobs and their completions, run when the test says (the daemon's
// KernelWorker and event loop, one step at a time).
struct QueuedExecutors {
  std::deque<Job> kernel;
  std::deque<Job> home;
  int yields = 0;
  Executors executors() {
    return Executors{[this](Job j) { kernel.push_back(std::move(j)); }, [this](Job j) { home.push_back(std::move(j)); },
                     [this] {
                       ++yields;
                       run_kernel();
                     }};
  }
  void run_kernel() {
    while (!kernel.empty()) {
      Job j = std::move(kernel.front());
      kernel.pop_front();
      j();
    }
  }
  void run_home() {
    while (!home.empty()) {
      Job j = std::move(home.front());
      home.pop_front();
      j();
    }
  }
};

TEST(RegistryAsync, KernelWorkWaitsForTheWorkerAndAnswersAtHome) {
  FakeSet set;
  QueuedExecutors ex;
  Registry registry(set, Clocks{}, Binding::mac, ex.executors());
  std::optional<Result<void>> answer;
  registry.sign_in(mac("02:00:00:00:00:01"), std::nullopt, 60s, "x", [&](Result<void> r) { answer = std::move(r); });
  EXPECT_TRUE(set.elements.empty()) << "the caller's thread talked to the kernel";
  EXPECT_FALSE(answer);
  ex.run_kernel();
  EXPECT_EQ(set.elements.size(), 1u);
  EXPECT_FALSE(answer) << "answered off the home thread";
  ex.run_home();
  ASSERT_TRUE(answer);
  EXPECT_TRUE(*answer);
}

TEST(RegistryAsync, RevokeIssuedBeforeTheSignInAnswersStillWins) {
  FakeSet set;
  QueuedExecutors ex;
  Registry registry(set, Clocks{}, Binding::mac, ex.executors());
  std::optional<Result<void>> signed_in, revoked;
  registry.sign_in(mac("02:00:00:00:00:01"), std::nullopt, 60s, "x", [&](Result<void> r) { signed_in = std::move(r); });
  registry.revoke(mac("02:00:00:00:00:01"), [&](Result<void> r) { revoked = std::move(r); });
  ex.run_kernel();
  ex.run_home();
  ASSERT_TRUE(signed_in && revoked);
  EXPECT_TRUE(*signed_in);
  EXPECT_TRUE(*revoked) << revoked->error().message();
  EXPECT_TRUE(set.elements.empty()) << "the revoke reached the kernel before the sign-in";
  EXPECT_FALSE(registry.find(mac("02:00:00:00:00:01")));
}

TEST(RegistryAsync, ListAnsweredBeforeASignInForgetsNotTheNewRecord) {
  FakeSet set;
  QueuedExecutors ex;
  Registry registry(set, Clocks{}, Binding::mac, ex.executors());
  std::optional<Result<std::vector<Client>>> listed;
  registry.list([&](Result<std::vector<Client>> r) { listed = std::move(r); });
  ex.run_kernel();  // the kernel answers the list: nobody in
  registry.sign_in(mac("02:00:00:00:00:01"), std::nullopt, 60s, "x", [](Result<void>) {});
  ex.run_home();    // the list's answer arrives after the sign-in was issued
  ASSERT_TRUE(listed && *listed);
  EXPECT_TRUE((*listed)->empty());
  EXPECT_TRUE(registry.find(mac("02:00:00:00:00:01"))) << "the list's older answer forgot a newer sign-in";
  ex.run_kernel();
  ex.run_home();
  EXPECT_EQ(set.elements.size(), 1u);
}

TEST(RegistryAsync, FailedSignInTakesBackItsRecordOnly) {
  FakeSet set;
  QueuedExecutors ex;
  Registry registry(set, Clocks{}, Binding::mac, ex.executors());
  registry.sign_in(mac("02:00:00:00:00:01"), std::nullopt, 60s, "first", [](Result<void>) {});
  ex.run_kernel();
  ex.run_home();
  set.fail_next = true;
  std::optional<Result<void>> answer;
  registry.sign_in(mac("02:00:00:00:00:01"), std::nullopt, 600s, "again", [&](Result<void> r) { answer = std::move(r); });
  ex.run_kernel();
  ex.run_home();
  ASSERT_TRUE(answer);
  EXPECT_FALSE(*answer);
  auto found = registry.find(mac("02:00:00:00:00:01"));
  ASSERT_TRUE(found) << "the kernel still has the first session";
  EXPECT_EQ(found->method, "first");
}

// A set that lets the test act between two bulk batches, as the event loop
// does while the kernel worker restores (and records what reached it).
class BatchHookSet final : public nft::SetWriter {
 public:
  explicit BatchHookSet(FakeSet& inner) : inner_(inner) {}
  Result<void> add_many(std::span<const nft::ElementSpec> specs) override {
    ++batches;
    if (batches == 2 && between) between();
    return inner_.add_many(specs);
  }
  Result<void> add(const nft::Key& key, std::chrono::seconds timeout) override { return inner_.add(key, timeout); }
  Result<void> remove(const nft::Key& key) override { return inner_.remove(key); }
  Result<std::vector<nft::Element>> list() override { return inner_.list(); }
  std::function<void()> between;
  int batches = 0;

 private:
  FakeSet& inner_;
};

packet::MacAddr nth_mac(unsigned i) {
  return packet::MacAddr{{2, 0, 0, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                          static_cast<std::uint8_t>(i)}};
}

// A big restore runs in batches; a sign-in and a revoke issued meanwhile run
// between two batches (they wait for one batch, not all) and are not undone
// by a later batch: the revoked MAC stays out, the new session keeps its
// new timeout.
TEST(RegistryAsync, RestoreYieldsBetweenBatchesAndKeepsLaterChanges) {
  FakeSet fake;
  BatchHookSet set(fake);
  QueuedExecutors ex;
  TestClocks time;
  Registry registry(set, time.clocks(), Binding::mac, ex.executors());
  const unsigned n = 3 * Registry::kRestoreBatch;
  for (unsigned i = 0; i < n; ++i) registry.sign_in(nth_mac(i), std::nullopt, 600s, "x", [](Result<void>) {});
  ex.run_kernel();
  ex.run_home();
  time.pass(100s);
  fake.elements.clear();  // `nft flush ruleset`
  const packet::MacAddr late = nth_mac(n - 1);        // in the last batch
  const packet::MacAddr again = nth_mac(n - 2);       // in the last batch too
  std::optional<Result<void>> revoked, signed_in;
  set.between = [&] {  // the event loop, while batch 2 is about to be written
    registry.revoke(late, [&](Result<void> r) { revoked = std::move(r); });
    registry.sign_in(again, std::nullopt, 3600s, "again", [&](Result<void> r) { signed_in = std::move(r); });
  };
  auto restored = registry.restore();
  ASSERT_TRUE(restored);
  EXPECT_EQ(set.batches, 3);
  EXPECT_GE(ex.yields, 2);
  EXPECT_EQ(*restored, n - 2);
  ex.run_home();
  ASSERT_TRUE(revoked && signed_in);
  EXPECT_TRUE(*revoked) << "a revoke of a session still to be restored is no 'not signed in'";
  EXPECT_TRUE(*signed_in);
  EXPECT_EQ(fake.elements.count(late), 0u) << "the restore put a revoked session back";
  EXPECT_EQ(fake.elements.at(again), 3600s) << "the restore overwrote a newer sign-in";
  EXPECT_EQ(fake.elements.at(nth_mac(0)), 500s);
  EXPECT_EQ(fake.elements.size(), n - 1);
}

}  // namespace
}  // namespace captive::session
