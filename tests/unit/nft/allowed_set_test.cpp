// The real Netlink class against the kernel, in a network namespace of its own.
//
// Isolation: SetUpTestSuite moves this test process into a fresh network
// namespace with unshare(2) before anything touches nft, so the host's
// ruleset is never seen or changed, and the namespace (with our table) goes
// away when the process exits, even if a test fails or crashes:
//   - with CAP_SYS_ADMIN (root): unshare(CLONE_NEWNET);
//   - otherwise: unshare(CLONE_NEWUSER | CLONE_NEWNET) and map our uid/gid
//     to 0, as `unshare -Urn` does (KERNEL-NOTES: nft works there).
// gtest runs single-threaded, which CLONE_NEWUSER requires. Other tests of
// this binary are pure and do not care which namespace they run in.
// The ruleset is loaded with the real scripts/install-ruleset (`--lan lo`),
// so the installer is exercised too. If the namespace cannot be made, the
// tests skip - except under CI=true, where a skip would hide a regression,
// so they fail.
#include <gtest/gtest.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <map>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "captive/nft/allowed_set.hpp"
#include "captive/nft/rules.hpp"

namespace captive::nft {
namespace {

using namespace std::chrono_literals;

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

// The queue expression of one rule of chain `intercept`, as the kernel
// holds it: read with our own rule dump and libnftnl, not from `nft list`,
// whose text of an xt target needs the iptables package's libxtables
// extensions (without them: "XT target NFQUEUE not found"; issue 8, item 11).
struct QueueExpr {
  std::string expr;  // "queue" (native) or "target" (xt, nft_compat)
  std::string target;  // NFTA_TARGET_NAME
  std::uint32_t revision = 0;  // NFTA_TARGET_REV
  std::uint16_t num = 0, total = 0, flags = 0;
};

// One entry per rule of the chain; a rule without a queue expression gives
// an entry with an empty `expr`.
std::vector<QueueExpr> intercept_rules() {
  std::vector<QueueExpr> out;
  mnl_socket* nl = mnl_socket_open(NETLINK_NETFILTER);
  if (nl == nullptr || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    ADD_FAILURE() << "netlink socket: " << std::strerror(errno);
    if (nl != nullptr) mnl_socket_close(nl);
    return out;
  }
  alignas(8) std::array<std::byte, kBatchBufferSize> tx{};
  const std::size_t len = build_rule_dump(tx, 1, Names{});
  std::vector<char> rx(64 * 1024);
  bool done = len == 0 || mnl_socket_sendto(nl, tx.data(), len) < 0;
  EXPECT_NE(len, 0u);
  while (!done) {
    const ssize_t n = mnl_socket_recvfrom(nl, rx.data(), rx.size());
    if (n <= 0) break;
    int left = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(rx.data()); mnl_nlmsg_ok(nlh, left);
         nlh = mnl_nlmsg_next(nlh, &left)) {
      if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
        done = true;
        break;
      }
      nftnl_rule* r = nftnl_rule_alloc();
      if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
        ADD_FAILURE() << "unparsable rule";
        nftnl_rule_free(r);
        continue;
      }
      QueueExpr q;
      nftnl_expr_iter* it = nftnl_expr_iter_create(r);
      for (nftnl_expr* e = nftnl_expr_iter_next(it); e != nullptr; e = nftnl_expr_iter_next(it)) {
        const char* expr_name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
        const std::string name = expr_name != nullptr ? expr_name : "";
        if (name == "queue") {
          q.expr = name;
          q.num = nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_NUM);
          q.total = nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_TOTAL);
          q.flags = nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_FLAGS);
        } else if (name == "target") {
          q.expr = name;
          const char* target = nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME);
          q.target = target != nullptr ? target : "";
          q.revision = nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV);
          std::uint32_t info_len = 0;
          const void* info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &info_len);
          // struct xt_NFQ_info_v3 { u16 queuenum; u16 queues_total; u16 flags; }
          if (info != nullptr && info_len >= 6) {
            std::memcpy(&q.num, static_cast<const char*>(info), 2);
            std::memcpy(&q.total, static_cast<const char*>(info) + 2, 2);
            std::memcpy(&q.flags, static_cast<const char*>(info) + 4, 2);
          }
        }
      }
      nftnl_expr_iter_destroy(it);
      nftnl_rule_free(r);
      out.push_back(q);
    }
  }
  mnl_socket_close(nl);
  return out;
}

std::string describe(const std::vector<QueueExpr>& rules) {
  std::string s = std::to_string(rules.size()) + " rule(s):";
  for (const auto& q : rules)
    s += " [" + q.expr + " " + q.target + " rev " + std::to_string(q.revision) + " num " +
         std::to_string(q.num) + " total " + std::to_string(q.total) + " flags " + std::to_string(q.flags) + "]";
  return s;
}

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

packet::MacAddr mac(std::uint8_t last) { return packet::MacAddr{{0x02, 0x00, 0x00, 0x00, 0x00, last}}; }

class NftNetns : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* root = std::getenv("CAPTIVE_SOURCE_ROOT");
    if (root == nullptr) {
      unavailable_ = new std::string("CAPTIVE_SOURCE_ROOT not set (run through meson test)");
      return;
    }
    std::string why = enter_private_netns();
    if (!why.empty()) {
      unavailable_ = new std::string("no private network namespace: " + why);
      return;
    }
    script_ = new std::string(std::string(root) + "/scripts/install-ruleset");
  }

  void SetUp() override {
    if (unavailable_ != nullptr) {
      if (in_ci()) FAIL() << *unavailable_ << " (CI=true: this must run)";
      GTEST_SKIP() << *unavailable_;
    }
    std::string out = run(*script_ + " --lan lo --portal-port 8511");
    ASSERT_EQ(out.find("[exit"), std::string::npos) << out;
    auto nl = Netlink::open();
    ASSERT_TRUE(nl) << nl.error().message();
    nl_.emplace(std::move(nl).value());
  }

  static std::string list_table() { return run("nft list table inet captive"); }

  static inline std::string* unavailable_ = nullptr;
  static inline std::string* script_ = nullptr;
  std::optional<Netlink> nl_;
};

TEST_F(NftNetns, FullCycle) {
  Netlink& nl = *nl_;
  ASSERT_TRUE(nl.check_ruleset()) << nl.check_ruleset().error().message();

  auto kind = nl.install_queue_rule({.queue_num = 0, .queues_total = 1, .bypass = true});
  ASSERT_TRUE(kind) << kind.error().message();
  std::printf("queue rule: %s\n", queue_kind_name(*kind));
  // What the kernel holds: the expression captived said it installed, with
  // queue 0, one queue, bypass (NFT_QUEUE_FLAG_BYPASS == NFQ_FLAG_BYPASS == 1).
  const std::string expected_expr = *kind == QueueKind::native ? "queue" : "target";
  auto rules = intercept_rules();
  ASSERT_EQ(rules.size(), 1u) << describe(rules);
  EXPECT_EQ(rules[0].expr, expected_expr) << describe(rules);
  if (*kind == QueueKind::compat) {
    EXPECT_EQ(rules[0].target, "NFQUEUE");
    EXPECT_EQ(rules[0].revision, 3u);
  }
  EXPECT_EQ(rules[0].num, 0u);
  EXPECT_EQ(rules[0].total, 1u);
  EXPECT_EQ(rules[0].flags, 0x01) << "bypass only";
  EXPECT_TRUE(*nl.queue_rule_present());
  // Installing again replaces, never duplicates (a crashed daemon's stale rule).
  kind = nl.install_queue_rule({.queue_num = 2, .queues_total = 2, .bypass = true});
  ASSERT_TRUE(kind) << kind.error().message();
  rules = intercept_rules();
  ASSERT_EQ(rules.size(), 1u) << describe(rules);
  EXPECT_EQ(rules[0].expr, expected_expr) << describe(rules);
  EXPECT_EQ(rules[0].num, 2u);    // queues 2-3
  EXPECT_EQ(rules[0].total, 2u);
  EXPECT_EQ(rules[0].flags, 0x03) << "bypass and CPU fanout";
  kind = nl.install_queue_rule({.queue_num = 0, .queues_total = 1, .bypass = true});
  ASSERT_TRUE(kind) << kind.error().message();

  ASSERT_TRUE(nl.add(mac(1), 3600s));
  ASSERT_TRUE(nl.add(mac(2), 60s));
  ASSERT_TRUE(nl.add(mac(3), 0s));  // no timeout
  auto els = nl.list();
  ASSERT_TRUE(els) << els.error().message();
  ASSERT_EQ(els->size(), 3u);
  std::sort(els->begin(), els->end(), [](auto& a, auto& b) { return a.mac < b.mac; });
  EXPECT_EQ((*els)[0].mac, mac(1));
  EXPECT_EQ((*els)[0].timeout, 3600s);
  ASSERT_TRUE((*els)[0].expires.has_value());
  EXPECT_LE(*(*els)[0].expires, 3600s);
  EXPECT_GT(*(*els)[0].expires, 3590s);
  EXPECT_EQ((*els)[1].timeout, 60s);
  EXPECT_GT(*(*els)[1].expires, 50s);
  EXPECT_FALSE((*els)[2].timeout.has_value());
  EXPECT_FALSE((*els)[2].expires.has_value());
  std::string table = list_table();
  std::printf("%s\n", table.c_str());
  // The set's `counter` is cloned into each element the kernel creates.
  EXPECT_NE(table.find("02:00:00:00:00:01 counter packets 0 bytes 0 timeout 1h"), std::string::npos)
      << table;

  ASSERT_TRUE(nl.remove(mac(2)));
  auto missing = nl.remove(mac(2));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ENOENT);
  EXPECT_NE(missing.error().what.find("remove 02:00:00:00:00:02 from set inet captive allowed"),
            std::string::npos)
      << missing.error().what;

  // Refresh: an existing element gets the new timeout, and a timeout can be
  // taken away again; never a duplicate, never an error.
  ASSERT_TRUE(nl.add(mac(1), 7200s));
  ASSERT_TRUE(nl.add(mac(3), 30s));
  ASSERT_TRUE(nl.add(mac(1), 0s));
  ASSERT_TRUE(nl.add(mac(1), 7200s));
  els = nl.list();
  ASSERT_TRUE(els);
  ASSERT_EQ(els->size(), 2u);
  std::sort(els->begin(), els->end(), [](auto& a, auto& b) { return a.mac < b.mac; });
  EXPECT_EQ((*els)[0].mac, mac(1));
  EXPECT_EQ((*els)[0].timeout, 7200s);
  EXPECT_GT(*(*els)[0].expires, 7190s);
  EXPECT_EQ((*els)[1].mac, mac(3));
  EXPECT_EQ((*els)[1].timeout, 30s);

  // Reloading the ruleset while the (compat) queue rule is in: works, and
  // leaves `intercept` empty and @allowed empty (captived re-adds both).
  std::string out = run(*script_ + " --lan lo");
  ASSERT_EQ(out.find("[exit"), std::string::npos) << out;
  EXPECT_TRUE(intercept_rules().empty()) << describe(intercept_rules());
  EXPECT_FALSE(*nl.queue_rule_present());
  els = nl.list();
  ASSERT_TRUE(els);
  EXPECT_TRUE(els->empty());
  ASSERT_TRUE(nl.install_queue_rule({}));

  ASSERT_TRUE(nl.remove_queue_rule());
  EXPECT_TRUE(intercept_rules().empty()) << describe(intercept_rules());
  EXPECT_TRUE(nl.remove_queue_rule()) << "flushing an empty chain is fine";
}

// A session with rates: every element of it in the kernel after one add,
// its mark kept across a re-add, a rate it no longer has removed, and
// nothing of it left after remove (issue 9, items 2 and 4).
TEST_F(NftNetns, SessionWithRatesIsAddedAndRemovedWhole) {
  Netlink& nl = *nl_;
  ElementSpec spec{Key(mac(5), *packet::IpAddr::parse("192.0.2.5")), 600s};
  spec.limits.rate_up = 1'250'000;
  spec.limits.rate_down = 2'500'000;
  ASSERT_TRUE(nl.add(spec)) << nl.add(spec).error().message();
  auto els = nl.list();
  ASSERT_TRUE(els) << els.error().message();
  ASSERT_EQ(els->size(), 1u);
  const Mark mark = (*els)[0].mark;
  EXPECT_NE(mark, 0u);
  EXPECT_EQ((*els)[0].traffic, session::Traffic{}) << "nothing counted yet, both ways";
  std::string table = list_table();
  EXPECT_NE(table.find("02:00:00:00:00:05 limit rate over 1250000 bytes/second timeout 10m"), std::string::npos)
      << table;
  EXPECT_NE(table.find("limit rate over 2500000 bytes/second timeout 10m"), std::string::npos) << table;
  EXPECT_NE(table.find("02:00:00:00:00:05 timeout 10m"), std::string::npos) << "session_marks: " << table;

  // Re-added without the down rate: same mark, the down rate is gone.
  spec.limits.rate_down.reset();
  ASSERT_TRUE(nl.add(spec));
  els = nl.list();
  ASSERT_TRUE(els);
  ASSERT_EQ(els->size(), 1u);
  EXPECT_EQ((*els)[0].mark, mark) << "its connections keep counting to it";
  table = list_table();
  EXPECT_EQ(table.find("2500000 bytes/second"), std::string::npos) << table;
  EXPECT_NE(table.find("1250000 bytes/second"), std::string::npos) << table;

  ASSERT_TRUE(nl.remove(spec.key));
  table = list_table();
  EXPECT_EQ(table.find("02:00:00:00:00:05"), std::string::npos) << "nothing of the session left: " << table;
  EXPECT_EQ(table.find("bytes/second timeout"), std::string::npos) << table;
  EXPECT_EQ(table.find("counter packets 0 bytes 0 timeout"), std::string::npos) << "no down counter left: " << table;
}

TEST_F(NftNetns, ManyElementsListInSeveralDatagrams) {
  Netlink& nl = *nl_;
  for (int i = 0; i < 600; ++i) {
    packet::MacAddr m{{0x02, 0x11, 0x22, 0x00, static_cast<std::uint8_t>(i >> 8),
                       static_cast<std::uint8_t>(i)}};
    ASSERT_TRUE(nl.add(m, std::chrono::seconds(100 + i)));
  }
  auto els = nl.list();
  ASSERT_TRUE(els) << els.error().message();
  EXPECT_EQ(els->size(), 600u);
}

TEST_F(NftNetns, BulkAddOfTenThousandWithTimeouts) {
  Netlink& nl = *nl_;
  std::vector<ElementSpec> specs;
  for (int i = 0; i < 10000; ++i) {
    packet::MacAddr m{{0x02, 0x33, 0x00, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                       static_cast<std::uint8_t>(i)}};
    specs.push_back(ElementSpec{m, std::chrono::seconds(i % 7 == 0 ? 0 : 600 + i)});
  }
  ASSERT_TRUE(nl.add(specs[5].key, std::chrono::seconds(5)));  // one is there already
  auto added = nl.add_many(specs);
  ASSERT_TRUE(added) << added.error().message();
  auto els = nl.list();
  ASSERT_TRUE(els) << els.error().message();
  ASSERT_EQ(els->size(), 10000u);
  std::map<packet::MacAddr, Element> by_mac;
  for (const auto& e : *els) by_mac[e.mac] = e;
  for (int i : {1, 7, 4999, 9999}) {
    const auto& e = by_mac.at(specs[static_cast<std::size_t>(i)].key.mac);
    if (specs[static_cast<std::size_t>(i)].timeout.count() == 0) {
      EXPECT_FALSE(e.timeout) << i;
    } else {
      ASSERT_TRUE(e.timeout) << i;
      EXPECT_EQ(*e.timeout, std::chrono::milliseconds(specs[static_cast<std::size_t>(i)].timeout));
    }
  }
  // The set still takes ordinary changes afterwards (sequence numbers in step).
  ASSERT_TRUE(nl.remove(specs[1].key));
  EXPECT_EQ(nl.remove(specs[1].key).error().code, ENOENT);
}

TEST_F(NftNetns, BoundKeysLiveInTheirOwnSets) {
  Netlink& nl = *nl_;
  const packet::MacAddr m{{0x02, 0x44, 0, 0, 0, 1}};
  const Key v4(m, *packet::IpAddr::parse("192.0.2.2"));
  const Key v6(m, *packet::IpAddr::parse("2001:db8:1::2"));
  ASSERT_TRUE(nl.add(v4, std::chrono::seconds(60)));
  ASSERT_TRUE(nl.add(v6, std::chrono::seconds(120)));
  std::vector<ElementSpec> bulk = {{Key(packet::MacAddr{{0x02, 0x44, 0, 0, 0, 2}}, *packet::IpAddr::parse("192.0.2.3")),
                                    std::chrono::seconds(30)}};
  ASSERT_TRUE(nl.add_many(bulk));
  auto els = nl.list();
  ASSERT_TRUE(els) << els.error().message();
  std::map<Key, Element> by_key;
  for (const auto& e : *els) by_key[Key(e.mac, e.ip)] = e;
  ASSERT_EQ(by_key.size(), 3u);
  EXPECT_EQ(by_key.at(v4).timeout, std::chrono::milliseconds(60'000));
  EXPECT_EQ(by_key.at(v6).timeout, std::chrono::milliseconds(120'000));
  EXPECT_EQ(by_key.count(bulk[0].key), 1u);
  EXPECT_EQ(nl.remove(Key(m)).error().code, ENOENT) << "the MAC alone is not in";
  ASSERT_TRUE(nl.remove(v4));
  ASSERT_TRUE(nl.remove(v6));
}

TEST_F(NftNetns, FlushedTableIsEnoent) {
  // `nft flush table` keeps table, sets and chains and empties every chain:
  // nothing enforced, and it must not pass for a loaded table.
  Netlink& nl = *nl_;
  ASSERT_TRUE(nl.check_ruleset()) << nl.check_ruleset().error().message();
  std::string out = run("nft flush table inet captive");
  ASSERT_EQ(out.find("[exit"), std::string::npos) << out;
  auto r = nl.check_ruleset();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOENT);
  EXPECT_NE(r.error().what.find("has no rules"), std::string::npos) << r.error().what;
}

TEST_F(NftNetns, MissingRulesetIsEnoentWithHint) {
  Netlink& nl = *nl_;
  std::string out = run(*script_ + " --remove");
  ASSERT_EQ(out.find("[exit"), std::string::npos) << out;
  auto r = nl.check_ruleset();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOENT);
  EXPECT_NE(r.error().what.find("install-ruleset --lan"), std::string::npos) << r.error().what;
  auto q = nl.install_queue_rule({});
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ENOENT);
  EXPECT_NE(q.error().what.find("install-ruleset"), std::string::npos) << q.error().what;
  auto a = nl.add(mac(9), 10s);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ENOENT);
  EXPECT_NE(a.error().what.find("add 02:00:00:00:00:09 to set inet captive allowed"),
            std::string::npos);
  auto l = nl.list();
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code, ENOENT);
  // --remove of an absent table is not an error.
  out = run(*script_ + " --remove");
  EXPECT_EQ(out.find("[exit"), std::string::npos) << out;
}

}  // namespace
}  // namespace captive::nft
