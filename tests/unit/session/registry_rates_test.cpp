// The registry hands each session's limits (captived's --rate-down/--rate-up
// defaults, or the sign-in's own) to the kernel with the session, and puts
// them back with it on restore (issue 9, item 4).
#include <gtest/gtest.h>

#include <vector>

#include "../fakes/fakes.hpp"
#include "captive/session/registry.hpp"

namespace captive::session {
namespace {
using captive::testing::mac;
using namespace std::chrono_literals;

// Records what reaches the kernel, limits included.
class RecordingSet final : public nft::SetWriter {
 public:
  Result<void> add(const nft::Key& key, std::chrono::seconds timeout) override {
    return add(nft::ElementSpec{key, timeout});
  }
  Result<void> add(const nft::ElementSpec& spec) override {
    added.push_back(spec);
    return inner.add(spec.key, spec.timeout);
  }
  Result<void> add_many(std::span<const nft::ElementSpec> specs) override {
    restored.assign(specs.begin(), specs.end());
    return inner.add_many(specs);
  }
  Result<void> remove(const nft::Key& key) override { return inner.remove(key); }
  Result<std::vector<nft::Element>> list() override { return inner.list(); }
  captive::testing::FakeSet inner;
  std::vector<nft::ElementSpec> added, restored;
};

TEST(RegistryRates, DefaultsAndPerSessionRatesReachTheKernelAndComeBackOnRestore) {
  RecordingSet set;
  Registry registry(set);
  const auto c1 = mac("02:00:00:00:00:01"), c2 = mac("02:00:00:00:00:02"), c3 = mac("02:00:00:00:00:03");
  registry.sign_in(c1, std::nullopt, 60s, "click-through", [](Result<void> r) { ASSERT_TRUE(r); });
  ASSERT_EQ(set.added.size(), 1u);
  EXPECT_EQ(set.added[0].limits, Limits{}) << "no --rate-*: unlimited";

  registry.set_default_limits(Limits{std::nullopt, std::nullopt, 2'500'000, 1'250'000});
  registry.sign_in(c2, std::nullopt, 60s, "click-through", [](Result<void> r) { ASSERT_TRUE(r); });
  ASSERT_EQ(set.added.size(), 2u);
  EXPECT_EQ(set.added[1].limits.rate_down, 2'500'000u);
  EXPECT_EQ(set.added[1].limits.rate_up, 1'250'000u);

  // A session's own limits win over the defaults (captivectl allow --rate-*).
  // Field by field: the one it does not set comes from the defaults.
  registry.sign_in(c3, std::nullopt, SignIn{60s, "admin", "", Limits{std::nullopt, std::nullopt, 125'000, std::nullopt}},
                   [](Result<void> r) { ASSERT_TRUE(r); });
  ASSERT_EQ(set.added.size(), 3u);
  EXPECT_EQ(set.added[2].limits.rate_down, 125'000u);
  EXPECT_EQ(set.added[2].limits.rate_up, 1'250'000u);

  // The set was emptied (a flush): each comes back with its own rates, and
  // where it has none, with the defaults in force now (a reload changes
  // them for new sessions and for re-created elements).
  set.inner.elements.clear();
  auto restored = registry.restore();
  ASSERT_TRUE(restored);
  ASSERT_EQ(set.restored.size(), 3u);
  for (const auto& spec : set.restored) {
    if (spec.key.mac == c1) {
      EXPECT_EQ(spec.limits.rate_down, 2'500'000u);
    } else if (spec.key.mac == c2) {
      EXPECT_EQ(spec.limits.rate_down, 2'500'000u);
    } else {
      EXPECT_EQ(spec.limits.rate_down, 125'000u);
    }
  }
}

}  // namespace
}  // namespace captive::session
