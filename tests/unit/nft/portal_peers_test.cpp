// nft::PortalPeers: the pure get/element builders and the parser round-trip
// (build, parse back, compare), the parser refuses what is not exactly the
// asked-for element, and - in a network namespace of this process's own, as
// allowed_set_test.cpp does it - the real kernel answers the get for
// elements that `nft add element` wrote into the real ruleset's maps (so the
// key layout is the one nft uses), and ENOENT (nullopt) for one it lacks.
// That the ruleset's own rules write these keys is e2e 036's part.
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

const packet::MacAddr kMac = *packet::MacAddr::parse("02:00:00:00:00:02");
std::span<const std::uint8_t> mac_bytes() { return {kMac.bytes.data(), 6}; }

TEST(PortalPeerKey, LayoutAsNftConcatenatesFields) {
  ElementKey k = portal_peer_key({ip("192.0.2.2"), 40000});
  EXPECT_EQ(k.set, "portal_peers4");
  const std::uint8_t want4[] = {0x9c, 0x40, 0, 0, 192, 0, 2, 2};  // port (padded) . address
  ASSERT_EQ(k.length, 8u);
  EXPECT_EQ(std::memcmp(k.bytes.data(), want4, 8), 0);

  k = portal_peer_key({ip("2001:db8::5"), 80});
  EXPECT_EQ(k.set, "portal_macs6");
  ASSERT_EQ(k.length, 16u);  // the address alone: see portal_peers.hpp
  EXPECT_EQ(k.bytes[0], 0x20);
  EXPECT_EQ(k.bytes[15], 5);

  k = portal_peer_confirm_key({ip("2001:db8::5"), 80}, kMac);
  EXPECT_EQ(k.set, "portal_peers6");
  ASSERT_EQ(k.length, 28u);  // MAC (padded to 8) . port (padded to 4) . address
  const std::uint8_t head[] = {2, 0, 0, 0, 0, 2, 0, 0, 0, 80, 0, 0, 0x20, 0x01};
  EXPECT_EQ(std::memcmp(k.bytes.data(), head, sizeof head), 0);
  EXPECT_EQ(k.bytes[27], 5);
}

// The get request, parsed back by libnftnl: GETSETELEM, family inet, no
// NLM_F_DUMP, table/set names and exactly our key, no data.
TEST(PortalPeerMessages, GetRequestParsesBackThroughLibnftnl) {
  Buffer b;
  const ElementKey key = portal_peer_confirm_key({ip("2001:db8::7"), 51234}, kMac);
  std::size_t len = build_element_get(b.bytes, 42, "captive", key);
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
  const void* got = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &key_len);
  ASSERT_EQ(key_len, key.length);
  EXPECT_EQ(std::memcmp(got, key.bytes.data(), key_len), 0);
  EXPECT_FALSE(nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA));
  EXPECT_EQ(nftnl_set_elems_iter_next(it), nullptr);
  nftnl_set_elems_iter_destroy(it);
  nftnl_set_free(s);
}

TEST(PortalPeerMessages, ElementRoundTrips) {
  Buffer b;
  for (const ElementKey& key : {portal_peer_key({ip("192.0.2.2"), 40001}), portal_peer_key({ip("2001:db8:1::2"), 40001})}) {
    std::size_t len = build_element(b.bytes, 1, "captive", key, mac_bytes());
    ASSERT_GT(len, 0u);
    auto parsed = parse_element(std::span(b.bytes, len), "captive", key);
    ASSERT_TRUE(parsed) << key.set;
    ASSERT_EQ(parsed->length, 6u);
    EXPECT_EQ(std::memcmp(parsed->bytes.data(), kMac.bytes.data(), 6), 0);
  }
  // A set element without data.
  const ElementKey confirm = portal_peer_confirm_key({ip("2001:db8:1::2"), 40001}, kMac);
  std::size_t len = build_element(b.bytes, 1, "captive", confirm, {});
  auto parsed = parse_element(std::span(b.bytes, len), "captive", confirm);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->length, 0u);
}

// An answer about anything but the asked-for element identifies no one.
TEST(PortalPeerMessages, ParserRefusesOtherElementsTablesAndMessages) {
  Buffer b;
  const ElementKey key = portal_peer_key({ip("192.0.2.2"), 40001});
  std::size_t len = build_element(b.bytes, 1, "captive", key, mac_bytes());
  std::span<const std::byte> msg(b.bytes, len);
  EXPECT_FALSE(parse_element(msg, "captive", portal_peer_key({ip("192.0.2.2"), 40002})));
  EXPECT_FALSE(parse_element(msg, "captive", portal_peer_key({ip("192.0.2.3"), 40001})));
  ElementKey other_set = key;
  other_set.set = "allowed";
  EXPECT_FALSE(parse_element(msg, "captive", other_set));
  EXPECT_FALSE(parse_element(msg, "other", key));
  EXPECT_FALSE(parse_element(msg.first(len - 4), "captive", key));
  EXPECT_FALSE(parse_element(msg.first(10), "captive", key));
  // The confirmation of another MAC is not this one's.
  const ElementKey confirm = portal_peer_confirm_key({ip("2001:db8::2"), 1}, kMac);
  len = build_element(b.bytes, 1, "captive", confirm, {});
  EXPECT_FALSE(parse_element(std::span(b.bytes, len), "captive",
                             portal_peer_confirm_key({ip("2001:db8::2"), 1}, mac("02:00:00:00:00:03"))));
  // Two elements in one answer: not the kernel's answer to a one-element
  // get, whichever of them is ours.
  {
    alignas(4) std::byte two[kPortalPeerMessageSize];
    const ElementKey mine = portal_peer_key({ip("192.0.2.2"), 40001});
    len = build_element(two, 1, "captive", mine, mac_bytes());
    // Append a second NFTA_LIST_ELEM: copy the first one inside the
    // NFTA_SET_ELEM_LIST_ELEMENTS nest (the last attribute) and grow the
    // nest and the message by its size.
    auto* nlh = reinterpret_cast<nlmsghdr*>(two);
    auto* elements = static_cast<nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)));
    while (mnl_attr_get_type(elements) != NFTA_SET_ELEM_LIST_ELEMENTS) elements = mnl_attr_next(elements);
    auto* first = static_cast<nlattr*>(mnl_attr_get_payload(elements));
    const std::size_t size = MNL_ALIGN(first->nla_len);
    std::memcpy(reinterpret_cast<char*>(nlh) + nlh->nlmsg_len, first, size);
    elements->nla_len = static_cast<std::uint16_t>(elements->nla_len + size);
    nlh->nlmsg_len += static_cast<std::uint32_t>(size);
    EXPECT_FALSE(parse_element(std::span(two, nlh->nlmsg_len), "captive", mine));
  }
  // The get request itself is not an answer.
  len = build_element_get(b.bytes, 1, "captive", key);
  EXPECT_FALSE(parse_element(std::span(b.bytes, len), "captive", key));
}

// Builders refuse what would not fit or is not a name.
TEST(PortalPeerMessages, BuildersRefuseSmallBuffersAndBadNames) {
  Buffer b;
  const ElementKey key = portal_peer_key({ip("192.0.2.2"), 1});
  EXPECT_EQ(build_element_get(std::span(b.bytes, 100), 1, "captive", key), 0u);
  EXPECT_EQ(build_element_get(b.bytes, 1, "", key), 0u);
  EXPECT_EQ(build_element_get(b.bytes, 1, std::string(256, 'x'), key), 0u);
  EXPECT_EQ(build_element_get(std::span(b.bytes + 1, kPortalPeerMessageSize - 1), 1, "captive", key), 0u);
  EXPECT_EQ(build_element_get(b.bytes, 1, "captive", ElementKey{}), 0u);
}

// Random corruptions of a valid answer: never a read outside the span (the
// sanitizer run checks), never a crash.
TEST(PortalPeerMessages, ParserPropertyOverCorruptions) {
  std::mt19937 rng(8);
  Buffer b;
  const ElementKey key = portal_peer_key({ip("192.0.2.2"), 40001});
  const std::size_t len = build_element(b.bytes, 1, "captive", key, mac_bytes());
  ASSERT_GT(len, 0u);
  int intact = 0;
  for (int round = 0; round < 5000; ++round) {
    Buffer c = b;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) c.bytes[rng() % len] = static_cast<std::byte>(rng());
    const std::size_t cut = len - rng() % 8;
    auto parsed = parse_element(std::span(c.bytes, cut), "captive", key);
    // Whatever comes out has the asked-for key: the parser compared it.
    if (parsed) ++intact;
  }
  EXPECT_LT(intact, 5000);  // corruptions are noticed at all
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
            "nft add element inet captive portal_macs6 '{ 2001:db8::2 : 02:00:00:00:00:06 }' && "
            "nft add element inet captive portal_peers6 '{ 02:00:00:00:00:06 . 40000 . 2001:db8::2 }' && "
            "nft add element inet captive portal_macs6 '{ 2001:db8::3 : 02:00:00:00:00:07 }'");
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
  // Another port of the same address, another address, an IPv6 address
  // whose latest MAC this connection does not confirm: nobody.
  for (PortalPeer absent : {PortalPeer{ip("192.0.2.2"), 40001}, PortalPeer{ip("192.0.2.3"), 40000},
                            PortalPeer{ip("2001:db8::2"), 40001}, PortalPeer{ip("2001:db8::3"), 40000}}) {
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
