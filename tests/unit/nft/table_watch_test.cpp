// The classification of nftables events (noticing a flush, a reload, a
// deleted queue rule) by the table watch. No kernel, no root.
#include "captive/nft/table_watch.hpp"

#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cstddef>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace captive::nft {
namespace {

// An nftables event as the kernel multicasts it.
std::vector<std::byte> event(int msg, std::uint32_t portid, std::uint8_t family,
                             std::vector<std::pair<std::uint16_t, std::string>> attrs) {
  std::vector<std::byte> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg);
  nlh->nlmsg_pid = portid;
  auto* gen = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  gen->nfgen_family = family;
  for (auto& [type, value] : attrs) mnl_attr_put_strz(nlh, type, value.c_str());
  buf.resize(nlh->nlmsg_len);
  return buf;
}

TEST(TableWatch, ClassifiesWhatTakesOurTableApart) {
  const Names n;
  const std::uint32_t us = 4242, them = 99;
  auto c = [&](std::vector<std::byte> msg) { return classify_event(msg, n, us); };
  EXPECT_EQ(c(event(NFT_MSG_DELTABLE, them, NFPROTO_INET, {{NFTA_TABLE_NAME, "captive"}})), Change::sessions);
  EXPECT_EQ(c(event(NFT_MSG_DELCHAIN, them, NFPROTO_INET, {{NFTA_CHAIN_TABLE, "captive"}, {NFTA_CHAIN_NAME, "forward"}})),
            Change::sessions);
  EXPECT_EQ(c(event(NFT_MSG_DELSET, them, NFPROTO_INET, {{NFTA_SET_TABLE, "captive"}, {NFTA_SET_NAME, "allowed"}})),
            Change::sessions);
  EXPECT_EQ(c(event(NFT_MSG_DELRULE, them, NFPROTO_INET, {{NFTA_RULE_TABLE, "captive"}, {NFTA_RULE_CHAIN, "intercept"}})),
            Change::queue_rule);
  // Not ours, or not a loss.
  EXPECT_EQ(c(event(NFT_MSG_DELTABLE, us, NFPROTO_INET, {{NFTA_TABLE_NAME, "captive"}})), Change::none);
  EXPECT_EQ(c(event(NFT_MSG_DELTABLE, them, NFPROTO_INET, {{NFTA_TABLE_NAME, "fw4"}})), Change::none);
  EXPECT_EQ(c(event(NFT_MSG_DELTABLE, them, NFPROTO_IPV4, {{NFTA_TABLE_NAME, "captive"}})), Change::none);
  // `nft flush table inet captive` deletes the rules of every chain: the
  // reconcile must look (check_ruleset finds chain forward empty).
  EXPECT_EQ(c(event(NFT_MSG_DELRULE, them, NFPROTO_INET, {{NFTA_RULE_TABLE, "captive"}, {NFTA_RULE_CHAIN, "forward"}})),
            Change::queue_rule);
  EXPECT_EQ(c(event(NFT_MSG_DELRULE, them, NFPROTO_INET, {{NFTA_RULE_TABLE, "fw4"}, {NFTA_RULE_CHAIN, "forward"}})),
            Change::none);
  EXPECT_EQ(c(event(NFT_MSG_DELSET, them, NFPROTO_INET, {{NFTA_SET_TABLE, "captive"}, {NFTA_SET_NAME, "other"}})),
            Change::none);
  EXPECT_EQ(c(event(NFT_MSG_NEWTABLE, them, NFPROTO_INET, {{NFTA_TABLE_NAME, "captive"}})), Change::none);
  EXPECT_EQ(c(event(NFT_MSG_DELSETELEM, them, NFPROTO_INET, {{NFTA_SET_ELEM_LIST_TABLE, "captive"}})), Change::none);
  EXPECT_EQ(c(event(NFT_MSG_DELTABLE, them, NFPROTO_INET, {{NFTA_TABLE_NAME, "captivex"}})), Change::none);
}

TEST(TableWatch, NewGenEndsATransaction) {
  EXPECT_TRUE(is_transaction_end(event(NFT_MSG_NEWGEN, 99, NFPROTO_UNSPEC, {})));
  EXPECT_FALSE(is_transaction_end(event(NFT_MSG_DELTABLE, 99, NFPROTO_INET, {{NFTA_TABLE_NAME, "captive"}})));
  EXPECT_FALSE(is_transaction_end({}));
  // NEWGEN is no change in itself.
  EXPECT_EQ(classify_event(event(NFT_MSG_NEWGEN, 99, NFPROTO_UNSPEC, {}), Names{}, 1), Change::none);
}

TEST(TableWatch, NeverReadsPastTruncatedOrHostileMessages) {
  auto full = event(NFT_MSG_DELTABLE, 1, NFPROTO_INET, {{NFTA_TABLE_NAME, "captive"}});
  for (std::size_t len = 0; len <= full.size(); ++len) {
    std::vector<std::byte> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
    Change got = classify_event(cut, Names{}, 2);
    if (len < full.size()) {
      EXPECT_NE(got, Change::queue_rule);
    }
  }
  std::mt19937 rng(3);
  for (int i = 0; i < 5000; ++i) {
    std::vector<std::byte> junk(rng() % 96);
    for (auto& b : junk) b = static_cast<std::byte>(rng());
    (void)classify_event(junk, Names{}, 2);
  }
}

}  // namespace
}  // namespace captive::nft
