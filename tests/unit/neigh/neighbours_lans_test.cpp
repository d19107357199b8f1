// NeighbourTable over more than one LAN (captived --lan A --lan B; issue 9
// item 11): a client is found on whichever LAN it is, and a device not
// named is never asked. Against the real kernel, in a private network
// namespace of this test program only (its own executable: the namespace
// would otherwise outlive the test into the others), with two veth
// devices and permanent neighbour entries made by `ip`.
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "captive/neigh/neighbours.hpp"

namespace captive::neigh {
namespace {

using packet::IpAddr;
using packet::MacAddr;

bool write_file(const char* path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  f.close();
  return static_cast<bool>(f);
}

// Empty on success, else why not.
std::string enter_private_netns() {
  if (unshare(CLONE_NEWNET) == 0) return {};
  const uid_t uid = getuid();
  const gid_t gid = getgid();
  if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0)
    return std::string("unshare(CLONE_NEWUSER|CLONE_NEWNET): ") + std::strerror(errno);
  if (!write_file("/proc/self/setgroups", "deny") ||
      !write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1\n") ||
      !write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1\n"))
    return "cannot write uid/gid map of the new user namespace";
  return {};
}

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

class NeighbourTableLans : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why = enter_private_netns();
    if (why.empty()) {
      // Two LAN-like devices (a veth pair: both ends here), a client on each.
      const char* setup =
          "ip link add lana type veth peer name lanb && ip link set lana up && ip link set lanb up && "
          "ip addr add 192.0.2.1/25 dev lana && ip addr add 192.0.2.129/25 dev lanb && "
          "ip neigh add 192.0.2.2 lladdr 02:00:00:00:0a:02 dev lana nud permanent && "
          "ip neigh add 192.0.2.130 lladdr 02:00:00:00:0b:02 dev lanb nud permanent && "
          "ip neigh add 192.0.2.131 lladdr 02:00:00:00:0b:02 dev lanb nud permanent";
      if (std::system((std::string(setup) + " >/dev/null 2>&1").c_str()) != 0) why = "ip: cannot make the devices";
    }
    if (!why.empty()) unavailable_ = new std::string(why);
    a_ = static_cast<int>(if_nametoindex("lana"));
    b_ = static_cast<int>(if_nametoindex("lanb"));
  }
  void SetUp() override {
    if (unavailable_ != nullptr) {
      if (in_ci()) FAIL() << *unavailable_ << " (CI=true: this must run)";
      GTEST_SKIP() << *unavailable_;
    }
  }
  static inline std::string* unavailable_ = nullptr;
  static inline int a_ = 0;
  static inline int b_ = 0;
};

TEST_F(NeighbourTableLans, LookupFindsAClientOnEitherLan) {
  auto both = NeighbourTable::open(std::vector<int>{a_, b_});
  ASSERT_TRUE(both) << both.error().message();
  auto on_a = both->lookup(*IpAddr::parse("192.0.2.2"));
  ASSERT_TRUE(on_a) << on_a.error().message();
  EXPECT_EQ(*on_a, MacAddr::parse("02:00:00:00:0a:02"));
  auto on_b = both->lookup(*IpAddr::parse("192.0.2.130"));
  ASSERT_TRUE(on_b) << on_b.error().message();
  EXPECT_EQ(*on_b, MacAddr::parse("02:00:00:00:0b:02"));
  auto nobody = both->lookup(*IpAddr::parse("192.0.2.140"));
  ASSERT_TRUE(nobody);
  EXPECT_FALSE(*nobody);

  // A table of LAN A only never answers with LAN B's clients.
  auto only_a = NeighbourTable::open(a_);
  ASSERT_TRUE(only_a);
  auto not_ours = only_a->lookup(*IpAddr::parse("192.0.2.130"));
  ASSERT_TRUE(not_ours);
  EXPECT_FALSE(*not_ours);
}

TEST_F(NeighbourTableLans, DumpsCoverEveryLan) {
  auto both = NeighbourTable::open(std::vector<int>{a_, b_});
  ASSERT_TRUE(both);
  auto addresses = both->addresses_of(*MacAddr::parse("02:00:00:00:0b:02"));
  ASSERT_TRUE(addresses) << addresses.error().message();
  EXPECT_EQ(addresses->size(), 2u);
  auto entries = both->entries();
  ASSERT_TRUE(entries) << entries.error().message();
  std::size_t v4 = 0;
  for (const auto& e : *entries) v4 += e.address.is_v4() ? 1 : 0;
  EXPECT_EQ(v4, 3u) << "the clients of both LANs";
  auto only_b = NeighbourTable::open(b_);
  ASSERT_TRUE(only_b);
  auto b_entries = only_b->entries();
  ASSERT_TRUE(b_entries);
  EXPECT_TRUE(std::none_of(b_entries->begin(), b_entries->end(),
                           [](const Neighbour& n) { return n.address == *IpAddr::parse("192.0.2.2"); }));
}

}  // namespace
}  // namespace captive::neigh
