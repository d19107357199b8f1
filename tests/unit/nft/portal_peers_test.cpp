// nft::PortalPeers: the pure get/element builders and the parser round-trip
// (build, parse back, compare), the parser refuses what is not exactly the
// asked-for element, and - in a network namespace of this process's own, as
// allowed_set_test.cpp does it - the real kernel answers the get for an
// element that `nft add element` wrote into the real ruleset's map (so the
// key layout is the one nft uses), and ENOENT (nullopt) for one it lacks.
#include "captive/nft/portal_peers.hpp"

#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

namespace captive::nft {
namespace {

packet::IpAddr ip(const char* text) { return *packet::IpAddr::parse(text); }
packet::MacAddr mac(const char* text) { return *packet::MacAddr::parse(text); }

struct Buffer {
  alignas(4) std::byte bytes[kPortalPeerMessageSize];
};

TEST(PortalPeerKey, PortFirstPaddedThenAddress) {
  std::uint8_t key[kPortalPeerKeyMax];
  ASSERT_EQ(portal_peer_key({ip("192.0.2.2"), 40000}, key), 8u);
  const std::uint8_t want4[] = {0x9c, 0x40, 0, 0, 192, 0, 2, 2};
  EXPECT_EQ(std::memcmp(key, want4, 8), 0);
  ASSERT_EQ(portal_peer_key({ip("2001:db8::5"), 80}, key), 20u);
  EXPECT_EQ(key[0], 0);
  EXPECT_EQ(key[1], 80);
  EXPECT_EQ(key[4], 0x20);
  EXPECT_EQ(key[19], 5);
  EXPECT_EQ(portal_peers_set({ip("192.0.2.2"), 1}), "portal_peers4");
  EXPECT_EQ(portal_peers_set({ip("2001:db8::5"), 1}), "portal_peers6");
}

// The get request, parsed back by libnftnl: GETSETELEM, family inet, no
// NLM_F_DUMP, table/map names and exactly our key, no data.
TEST(PortalPeerMessages, GetRequestParsesBackThroughLibnftnl) {
  Buffer b;
  const PortalPeer peer{ip("2001:db8::7"), 51234};
  std::size_t len = build_portal_peer_get(b.bytes, 42, "captive", peer);
  ASSERT_GT(len, 0u);
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(b.bytes);
  EXPECT_EQ(nlh->nlmsg_type, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM);
  EXPECT_EQ(nlh->nlmsg_seq, 42u);
  EXPECT_EQ(nlh->nlmsg_flags & NLM_F_DUMP, 0);
  EXPECT_NE(nlh->nlmsg_flags & NLM_F_REQUEST, 0);
  nftnl_set* s = nftnl_set_alloc();
  ASSERT_GE(nftnl_set_elems_nlmsg_parse(nlh, s), 0);
  EXPECT_STREQ(nftnl_set_get_str(s, NFTNL_SET_TABLE), "captive");
  EXPECT_STREQ(nftnl_set_get_str(s, NFTNL_SET_NAME), "portal_peers6");
  EXPECT_EQ(nftnl_set_get_u32(s, NFTNL_SET_FAMILY), 1u);  // NFPROTO_INET
  nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(s);
  nftnl_set_elem* e = nftnl_set_elems_iter_next(it);
  ASSERT_NE(e, nullptr);
  std::uint32_t key_len = 0;
  const void* key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &key_len);
  std::uint8_t want[kPortalPeerKeyMax];
  ASSERT_EQ(key_len, portal_peer_key(peer, want));
  EXPECT_EQ(std::memcmp(key, want, key_len), 0);
  EXPECT_FALSE(nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA));
  EXPECT_EQ(nftnl_set_elems_iter_next(it), nullptr);
  nftnl_set_elems_iter_destroy(it);
  nftnl_set_free(s);
}

TEST(PortalPeerMessages, ElementRoundTrips) {
  Buffer b;
  for (const char* address : {"192.0.2.2", "2001:db8:1::2"}) {
    const PortalPeer peer{ip(address), 40001};
    std::size_t len = build_portal_peer_element(b.bytes, 1, "captive", peer, mac("02:00:00:00:00:02"));
    ASSERT_GT(len, 0u);
    auto parsed = parse_portal_peer(std::span(b.bytes, len), "captive", peer);
    ASSERT_TRUE(parsed) << address;
    EXPECT_EQ(*parsed, mac("02:00:00:00:00:02"));
  }
}

// An answer about anything but the asked-for element identifies no one.
TEST(PortalPeerMessages, ParserRefusesOtherElementsTablesAndMessages) {
  Buffer b;
  const PortalPeer peer{ip("192.0.2.2"), 40001};
  std::size_t len = build_portal_peer_element(b.bytes, 1, "captive", peer, mac("02:00:00:00:00:02"));
  std::span<const std::byte> msg(b.bytes, len);
  EXPECT_FALSE(parse_portal_peer(msg, "captive", {ip("192.0.2.2"), 40002}));
  EXPECT_FALSE(parse_portal_peer(msg, "captive", {ip("192.0.2.3"), 40001}));
  EXPECT_FALSE(parse_portal_peer(msg, "other", peer));
  EXPECT_FALSE(parse_portal_peer(msg.first(len - 4), "captive", peer));
  EXPECT_FALSE(parse_portal_peer(msg.first(10), "captive", peer));
  // The get request itself (no data) is not an answer.
  len = build_portal_peer_get(b.bytes, 1, "captive", peer);
  EXPECT_FALSE(parse_portal_peer(std::span(b.bytes, len), "captive", peer));
}

// Builders refuse what would not fit or is not a name.
TEST(PortalPeerMessages, BuildersRefuseSmallBuffersAndBadNames) {
  Buffer b;
  const PortalPeer peer{ip("192.0.2.2"), 1};
  EXPECT_EQ(build_portal_peer_get(std::span(b.bytes, 100), 1, "captive", peer), 0u);
  EXPECT_EQ(build_portal_peer_get(b.bytes, 1, "", peer), 0u);
  EXPECT_EQ(build_portal_peer_get(b.bytes, 1, std::string(256, 'x'), peer), 0u);
  EXPECT_EQ(build_portal_peer_get(std::span(b.bytes + 1, kPortalPeerMessageSize - 1), 1, "captive", peer), 0u);
}

// Random bytes and random corruptions of a valid answer: never a crash, and
// a MAC only for an intact answer (checked under ASan in the sanitizer run).
TEST(PortalPeerMessages, ParserPropertyOverCorruptions) {
  std::mt19937 rng(8);
  Buffer b;
  const PortalPeer peer{ip("192.0.2.2"), 40001};
  const std::size_t len = build_portal_peer_element(b.bytes, 1, "captive", peer, mac("02:00:00:00:00:02"));
  ASSERT_GT(len, 0u);
  for (int round = 0; round < 5000; ++round) {
    Buffer c = b;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) c.bytes[rng() % len] = static_cast<std::byte>(rng());
    // A MAC may still come out (the flips can hit only the MAC's bytes or
    // padding); reading within the span and not crashing is the point.
    (void)parse_portal_peer(std::span(c.bytes, len), "captive", peer);
  }
}

// --- against the kernel ---

bool write_file(const char* path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  f.close();
  return static_cast<bool>(f);
}

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

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return "popen failed";
  char line[512];
  while (fgets(line, sizeof(line), p) != nullptr) out += line;
  int rc = pclose(p);
  if (rc != 0) out += "[exit " + std::to_string(rc) + "]";
  return out;
}

TEST(PortalPeersKernel, ReadsTheElementNftWrote) {
  const char* root = std::getenv("CAPTIVE_SOURCE_ROOT");
  const char* ci = std::getenv("CI");
  const bool in_ci = ci != nullptr && std::string(ci) == "true";
  std::string why = root == nullptr ? "CAPTIVE_SOURCE_ROOT not set (run through meson test)" : enter_private_netns();
  if (!why.empty()) {
    if (in_ci) FAIL() << why << " (CI=true: this must run)";
    GTEST_SKIP() << why;
  }
  std::string out = run(std::string(root) + "/scripts/install-ruleset --lan lo --portal-port 8511");
  ASSERT_EQ(out.find("[exit"), std::string::npos) << out;
  out = run("nft add element inet captive portal_peers4 '{ 40000 . 192.0.2.2 : 02:00:00:00:00:02 }' && "
            "nft add element inet captive portal_peers6 '{ 40000 . 2001:db8::2 : 02:00:00:00:00:06 }'");
  ASSERT_EQ(out.find("[exit"), std::string::npos) << out;

  auto peers = PortalPeers::open();
  ASSERT_TRUE(peers) << peers.error().message();
  auto four = peers->lookup({ip("192.0.2.2"), 40000});
  ASSERT_TRUE(four) << four.error().message();
  ASSERT_TRUE(four->has_value());
  EXPECT_EQ(**four, mac("02:00:00:00:00:02"));
  auto mapped = peers->lookup({ip("::ffff:192.0.2.2"), 40000});
  ASSERT_TRUE(mapped && mapped->has_value());
  EXPECT_EQ(**mapped, mac("02:00:00:00:00:02"));
  auto six = peers->lookup({ip("2001:db8::2"), 40000});
  ASSERT_TRUE(six && six->has_value());
  EXPECT_EQ(**six, mac("02:00:00:00:00:06"));
  // Another port of the same address, another address: no element.
  for (PortalPeer absent : {PortalPeer{ip("192.0.2.2"), 40001}, PortalPeer{ip("192.0.2.3"), 40000}}) {
    auto r = peers->lookup(absent);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_FALSE(r->has_value());
  }
  // Without our table (flushed): no one is identified, and no error.
  run("nft delete table inet captive");
  auto gone = peers->lookup({ip("192.0.2.2"), 40000});
  ASSERT_TRUE(gone) << gone.error().message();
  EXPECT_FALSE(gone->has_value());
}

}  // namespace
}  // namespace captive::nft
