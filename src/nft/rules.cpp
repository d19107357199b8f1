// The queue rule of chain `intercept`, its flush and the rule dump. See
// rules.hpp.
#include "captive/nft/rules.hpp"

#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/netlink.h>

#include <cstdlib>
#include <cstring>

#include "nftnl_ptr.hpp"

namespace captive::nft {
namespace {

static_assert(NFT_QUEUE_FLAG_BYPASS == NFQ_FLAG_BYPASS);
static_assert(NFT_QUEUE_FLAG_CPU_FANOUT == NFQ_FLAG_CPU_FANOUT);
static_assert(sizeof(xt_NFQ_info_v3) <= kNfqInfoSize);

using detail::RulePtr;

RulePtr make_rule(const Names& names) {
  RulePtr r(nftnl_rule_alloc());
  if (!r) return r;
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, kFamily);
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, names.table.c_str());  // NFTA_RULE_TABLE
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, names.chain.c_str());  // NFTA_RULE_CHAIN
  return r;
}

bool put_flush(MessageWriter& w, std::uint32_t seq, const Names& names) {
  RulePtr r = make_rule(names);
  if (!r) return false;
  // NFT_MSG_DELRULE without NFTA_RULE_HANDLE/ID deletes every rule of the
  // chain (nf_tables_delrule -> nft_delrule_by_chain).
  nlmsghdr* nlh = begin_message(w, NFT_MSG_DELRULE, NLM_F_ACK, seq);
  if (nlh == nullptr) return false;
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  w.commit(nlh);
  return true;
}

nftnl_expr* make_queue_expr(const QueueRule& rule, QueueKind kind) {
  if (kind == QueueKind::native) {
    nftnl_expr* e = nftnl_expr_alloc("queue");
    if (e == nullptr) return nullptr;
    nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, rule.queue_num);       // NFTA_QUEUE_NUM
    nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, rule.queues_total);  // NFTA_QUEUE_TOTAL
    nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS, queue_flags(rule));  // NFTA_QUEUE_FLAGS
    return e;
  }
  nftnl_expr* e = nftnl_expr_alloc("target");
  if (e == nullptr) return nullptr;
  // libnftnl takes ownership of the NFTNL_EXPR_TG_INFO pointer (it frees it
  // with the expression), so it must come from malloc.
  void* info = std::malloc(kNfqInfoSize);
  if (info == nullptr) {
    nftnl_expr_free(e);
    return nullptr;
  }
  const auto bytes = nfq_info_v3(rule);
  std::memcpy(info, bytes.data(), bytes.size());
  nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");  // NFTA_TARGET_NAME
  nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);           // NFTA_TARGET_REV
  nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, kNfqInfoSize);  // NFTA_TARGET_INFO
  return e;
}

}  // namespace

const char* queue_kind_name(QueueKind kind) {
  switch (kind) {
    case QueueKind::native:
      return "native nft queue";
    case QueueKind::compat:
      return "xt NFQUEUE (nft_compat)";
  }
  return "?";
}

std::array<std::byte, kNfqInfoSize> nfq_info_v3(const QueueRule& rule) {
  xt_NFQ_info_v3 info{};
  info.queuenum = rule.queue_num;
  info.queues_total = rule.queues_total;
  info.flags = queue_flags(rule);
  std::array<std::byte, kNfqInfoSize> out{};
  std::memcpy(out.data(), &info, sizeof(info));
  return out;
}

std::uint16_t queue_flags(const QueueRule& rule) {
  std::uint16_t flags = 0;
  if (rule.bypass) flags |= NFQ_FLAG_BYPASS;
  if (rule.queues_total > 1) flags |= NFQ_FLAG_CPU_FANOUT;
  return flags;
}

std::size_t build_queue_rule(std::span<std::byte> buf, std::uint32_t seq, const Names& names,
                             const QueueRule& rule, QueueKind kind) {
  if (!names_valid(names)) return 0;
  MessageWriter w(buf);
  if (!batch_begin(w, seq) || !put_flush(w, seq + 1, names)) return 0;
  RulePtr r = make_rule(names);
  nftnl_expr* e = r ? make_queue_expr(rule, kind) : nullptr;
  if (e == nullptr) return 0;
  nftnl_rule_add_expr(r.get(), e);  // the rule owns e now
  nlmsghdr* nlh = begin_message(w, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, seq + 2);
  if (nlh == nullptr) return 0;
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  w.commit(nlh);
  return batch_end(w, seq + 3) ? w.length() : 0;
}

std::size_t build_chain_flush(std::span<std::byte> buf, std::uint32_t seq, const Names& names) {
  if (!names_valid(names)) return 0;
  MessageWriter w(buf);
  bool ok = batch_begin(w, seq) && put_flush(w, seq + 1, names) && batch_end(w, seq + 2);
  return ok ? w.length() : 0;
}

std::size_t build_rule_dump(std::span<std::byte> buf, std::uint32_t seq, const Names& names) {
  if (!names_valid(names)) return 0;
  MessageWriter w(buf);
  RulePtr r = make_rule(names);
  if (!r) return 0;
  nlmsghdr* nlh = begin_message(w, NFT_MSG_GETRULE, NLM_F_DUMP, seq);
  if (nlh == nullptr) return 0;
  nftnl_rule_nlmsg_build_payload(nlh, r.get());  // NFTA_RULE_TABLE, NFTA_RULE_CHAIN: this chain only
  w.commit(nlh);
  return w.length();
}

}  // namespace captive::nft
