#include "captive/session/registry.hpp"

#include <gtest/gtest.h>

#include "../fakes/fakes.hpp"

namespace captive::session {
namespace {
using captive::testing::FakeSet;
using captive::testing::ip;
using captive::testing::mac;
using namespace std::chrono_literals;

TEST(Registry, SignInAddsToKernelSetWithTimeout) {
  FakeSet set;
  Registry registry(set);
  ASSERT_TRUE(registry.sign_in(mac("02:00:00:00:00:01"), ip("192.0.2.2"), 3600s, "click-through"));
  ASSERT_EQ(set.elements.size(), 1u);
  EXPECT_EQ(set.elements.at(mac("02:00:00:00:00:01")), 3600s);
}

TEST(Registry, ListJoinsKernelAndMetadata) {
  FakeSet set;
  Clock::time_point t0 = Clock::time_point(std::chrono::seconds(1'700'000'000));
  Registry registry(set, [&] { return t0; });
  ASSERT_TRUE(registry.sign_in(mac("02:00:00:00:00:01"), ip("192.0.2.2"), 60s, "click-through"));
  set.elements[mac("02:00:00:00:00:09")] = 30s;  // added outside captived
  auto clients = registry.list();
  ASSERT_TRUE(clients);
  ASSERT_EQ(clients->size(), 2u);
  const Client& ours = (*clients)[0];
  EXPECT_EQ(ours.mac, mac("02:00:00:00:00:01"));
  ASSERT_TRUE(ours.ip);
  EXPECT_EQ(*ours.ip, ip("192.0.2.2"));
  EXPECT_EQ(ours.signed_in_at, t0);
  EXPECT_EQ(ours.expires_at, t0 + 59s);
  EXPECT_EQ(ours.method, "click-through");
  EXPECT_EQ(ours.bytes, 1000u);
  const Client& foreign = (*clients)[1];
  EXPECT_FALSE(foreign.ip);
  EXPECT_FALSE(foreign.signed_in_at);
  EXPECT_TRUE(foreign.expires_at);
}

TEST(Registry, ListForgetsSessionsTheKernelExpired) {
  FakeSet set;
  Registry registry(set);
  ASSERT_TRUE(registry.sign_in(mac("02:00:00:00:00:01"), ip("192.0.2.2"), 60s, "click-through"));
  set.elements.clear();  // the kernel timed the element out
  ASSERT_TRUE(registry.list());
  EXPECT_FALSE(registry.find(mac("02:00:00:00:00:01")));
}

TEST(Registry, RevokeRemovesAndReportsUnknown) {
  FakeSet set;
  Registry registry(set);
  ASSERT_TRUE(registry.sign_in(mac("02:00:00:00:00:01"), std::nullopt, 60s, "x"));
  EXPECT_TRUE(registry.find(mac("02:00:00:00:00:01")));
  ASSERT_TRUE(registry.revoke(mac("02:00:00:00:00:01")));
  EXPECT_TRUE(set.elements.empty());
  EXPECT_FALSE(registry.find(mac("02:00:00:00:00:01")));
  auto again = registry.revoke(mac("02:00:00:00:00:01"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ENOENT);
}

TEST(Registry, FailedKernelAddRecordsNothing) {
  FakeSet set;
  set.fail_next = true;
  Registry registry(set);
  auto r = registry.sign_in(mac("02:00:00:00:00:01"), std::nullopt, 60s, "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOBUFS);
  EXPECT_FALSE(registry.find(mac("02:00:00:00:00:01")));
}

TEST(Registry, FindIgnoresExpiredRecords) {
  FakeSet set;
  Clock::time_point now = Clock::time_point(std::chrono::seconds(1'700'000'000));
  Registry registry(set, [&] { return now; });
  ASSERT_TRUE(registry.sign_in(mac("02:00:00:00:00:01"), std::nullopt, 60s, "x"));
  now += 61s;
  EXPECT_FALSE(registry.find(mac("02:00:00:00:00:01")));
}

TEST(Registry, RestorePutsBackUnexpiredSessionsWithTimeLeft) {
  FakeSet set;
  Clock::time_point now = Clock::time_point(std::chrono::seconds(1'700'000'000));
  Registry registry(set, [&] { return now; });
  ASSERT_TRUE(registry.sign_in(mac("02:00:00:00:00:01"), std::nullopt, 3600s, "x"));
  ASSERT_TRUE(registry.sign_in(mac("02:00:00:00:00:02"), std::nullopt, 60s, "x"));
  now += 100s;            // the second session is over
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
  Registry registry(set, [] { return Clock::now(); }, Binding::mac_ip);
  ASSERT_TRUE(registry.sign_in(mac("02:00:00:00:00:01"), ip("192.0.2.2"), 60s, "x"));
  ASSERT_EQ(set.elements.size(), 1u);
  EXPECT_EQ(set.elements.count(nft::Key(mac("02:00:00:00:00:01"), ip("192.0.2.2"))), 1u);
  EXPECT_EQ(set.elements.count(nft::Key(mac("02:00:00:00:00:01"))), 0u) << "not the MAC alone";
  // Signing in again from another address moves the binding.
  ASSERT_TRUE(registry.sign_in(mac("02:00:00:00:00:01"), ip("2001:db8:1::2"), 60s, "x"));
  ASSERT_EQ(set.elements.size(), 1u);
  EXPECT_EQ(set.elements.count(nft::Key(mac("02:00:00:00:00:01"), ip("2001:db8:1::2"))), 1u);
  auto clients = registry.list();
  ASSERT_TRUE(clients);
  ASSERT_EQ(clients->size(), 1u);
  EXPECT_EQ((*clients)[0].ip, ip("2001:db8:1::2"));
  ASSERT_TRUE(registry.revoke(mac("02:00:00:00:00:01")));
  EXPECT_TRUE(set.elements.empty());
}

TEST(Registry, BindIpNeedsAnAddress) {
  FakeSet set;
  Registry registry(set, [] { return Clock::now(); }, Binding::mac_ip);
  auto r = registry.sign_in(mac("02:00:00:00:00:01"), std::nullopt, 60s, "x");
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
  ASSERT_TRUE(registry.revoke(mac("02:00:00:00:00:01")));
  ASSERT_EQ(set.elements.size(), 1u);
  EXPECT_EQ(set.elements.count(nft::Key(mac("02:00:00:00:00:02"))), 1u);
  EXPECT_EQ(registry.revoke(mac("02:00:00:00:00:01")).error().code, ENOENT);
}

// A session from before a restart (or crash) is only in the kernel set: the
// new daemon takes it over, so a flush restores it (e2e 090).
TEST(Registry, AdoptedSessionsFromBeforeARestartAreRestored) {
  FakeSet set;
  Clock::time_point now = Clock::time_point(std::chrono::seconds(1'700'000'000));
  set.elements[nft::Key(mac("02:00:00:00:00:01"))] = 3600s;                    // the old daemon's
  set.elements[nft::Key(mac("02:00:00:00:00:02"), ip("192.0.2.3"))] = 600s;  // a bound one
  Registry registry(set, [&] { return now; });
  ASSERT_TRUE(registry.sign_in(mac("02:00:00:00:00:03"), ip("192.0.2.4"), 60s, "click-through"));
  auto adopted = registry.adopt();
  ASSERT_TRUE(adopted);
  EXPECT_EQ(*adopted, 2u);  // not the one we signed in ourselves
  auto found = registry.find(mac("02:00:00:00:00:01"));
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->signed_in_at);
  EXPECT_EQ(registry.find(mac("02:00:00:00:00:03"))->method, "click-through");
  EXPECT_EQ(*registry.adopt(), 0u);  // twice is harmless
  now += 10s;
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
  Registry registry(set, [] { return Clock::now(); }, Binding::mac_ip);
  ASSERT_TRUE(registry.sign_in(mac("02:00:00:00:00:01"), ip("2001:db8:1::2"), 600s, "x"));
  ASSERT_TRUE(registry.sign_in(mac("02:00:00:00:00:02"), ip("192.0.2.3"), 600s, "x"));
  set.elements.clear();
  auto restored = registry.restore();
  ASSERT_TRUE(restored);
  EXPECT_EQ(*restored, 2u);
  EXPECT_EQ(set.elements.count(nft::Key(mac("02:00:00:00:00:01"), ip("2001:db8:1::2"))), 1u);
  EXPECT_EQ(set.elements.count(nft::Key(mac("02:00:00:00:00:02"), ip("192.0.2.3"))), 1u);
}

}  // namespace
}  // namespace captive::session
