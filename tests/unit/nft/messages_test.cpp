// Round trips of every nft message builder: build into a buffer, walk it with
// libmnl, parse the objects back with libnftnl, compare (libnftnl tests/
// style). No kernel, no root.
#include "captive/nft/messages.hpp"

// <arpa/inet.h> before the <linux/...> headers: glibc guards the uapi
// definitions of in_addr & co. only in that order.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace captive::nft {
namespace {

using std::chrono::milliseconds;

constexpr std::uint16_t nft_type(int msg) {
  return static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg);
}

struct Msg {
  const nlmsghdr* nlh;
  std::uint16_t type;
  std::uint16_t flags;
  std::uint32_t seq;
  std::uint8_t family;
  std::uint16_t res_id;
};

std::vector<Msg> walk(const std::byte* buf, std::size_t len) {
  std::vector<Msg> out;
  int left = static_cast<int>(len);
  auto* nlh = reinterpret_cast<const nlmsghdr*>(buf);
  for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
    auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
    out.push_back({nlh, nlh->nlmsg_type, nlh->nlmsg_flags, nlh->nlmsg_seq, nfg->nfgen_family,
                   ntohs(nfg->res_id)});
  }
  EXPECT_EQ(left, 0) << "trailing bytes after the last message";
  return out;
}

void expect_batch_frame(const std::vector<Msg>& m, std::uint32_t seq) {
  ASSERT_GE(m.size(), 2u);
  EXPECT_EQ(m.front().type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(m.front().res_id, NFNL_SUBSYS_NFTABLES);
  EXPECT_EQ(m.front().seq, seq);
  EXPECT_EQ(m.back().type, NFNL_MSG_BATCH_END);
  EXPECT_EQ(m.back().seq, seq + m.size() - 1);
  for (std::size_t i = 1; i + 1 < m.size(); ++i) {
    EXPECT_EQ(m[i].seq, seq + i);
    EXPECT_EQ(m[i].family, NFPROTO_INET);
    EXPECT_TRUE(m[i].flags & NLM_F_REQUEST);
    EXPECT_TRUE(m[i].flags & NLM_F_ACK) << "every message in a batch is acked";
  }
}

struct ParsedElems {
  std::string table, set;
  std::vector<std::vector<std::uint8_t>> keys;
  std::vector<std::optional<std::uint64_t>> timeouts;
};

ParsedElems parse_elems(const nlmsghdr* nlh) {
  ParsedElems p;
  nftnl_set* s = nftnl_set_alloc();
  EXPECT_EQ(nftnl_set_elems_nlmsg_parse(nlh, s), 0);
  p.table = nftnl_set_get_str(s, NFTNL_SET_TABLE);
  p.set = nftnl_set_get_str(s, NFTNL_SET_NAME);
  nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(s);
  for (nftnl_set_elem* e = nftnl_set_elems_iter_next(it); e; e = nftnl_set_elems_iter_next(it)) {
    std::uint32_t len = 0;
    auto* k = static_cast<const std::uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
    p.keys.emplace_back(k, k + len);
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT))
      p.timeouts.emplace_back(nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT));
    else
      p.timeouts.emplace_back(std::nullopt);
  }
  nftnl_set_elems_iter_destroy(it);
  nftnl_set_free(s);
  return p;
}

struct Buf {
  alignas(8) std::array<std::byte, kBatchBufferSize> b{};
  std::span<std::byte> span() { return b; }
};

const packet::MacAddr kMac{{0x02, 0x00, 0x5e, 0x10, 0x20, 0xfe}};

std::vector<std::uint8_t> key(const packet::MacAddr& m) { return {m.bytes.begin(), m.bytes.end()}; }

TEST(NftMessages, NfqInfoV3GoldenBytes) {
  // struct xt_NFQ_info_v3 { u16 queuenum, queues_total, flags } + 2 bytes
  // XT_ALIGN padding, host order.
  auto a = nfq_info_v3({.queue_num = 0, .queues_total = 1, .bypass = true});
  auto b = nfq_info_v3({.queue_num = 0x0105, .queues_total = 4, .bypass = false});
  auto c = nfq_info_v3({.queue_num = 7, .queues_total = 2, .bypass = true});
  auto bytes = [](std::initializer_list<int> l) {
    std::array<std::byte, kNfqInfoSize> o{};
    std::size_t i = 0;
    for (int v : l) o[i++] = std::byte(v);
    return o;
  };
  if constexpr (std::endian::native == std::endian::little) {
    EXPECT_EQ(a, bytes({0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00}));
    EXPECT_EQ(b, bytes({0x05, 0x01, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00}));  // fanout, no bypass
    EXPECT_EQ(c, bytes({0x07, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00}));  // bypass|fanout
  } else {
    EXPECT_EQ(a, bytes({0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00}));
    EXPECT_EQ(b, bytes({0x01, 0x05, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00}));
    EXPECT_EQ(c, bytes({0x00, 0x07, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00}));
  }
  EXPECT_EQ(queue_flags({.queue_num = 0, .queues_total = 1, .bypass = false}), 0);
}

TEST(NftMessages, SetelemAddIsCreateDeleteCreateExcl) {
  Buf buf;
  std::size_t len = build_setelem_add(buf.span(), 1000, Names{}, kMac, milliseconds(3'600'000));
  ASSERT_GT(len, 0u);
  auto m = walk(buf.b.data(), len);
  ASSERT_EQ(m.size(), 5u);
  expect_batch_frame(m, 1000);
  EXPECT_EQ(m[1].type, nft_type(NFT_MSG_NEWSETELEM));
  EXPECT_EQ(m[1].flags & (NLM_F_CREATE | NLM_F_EXCL), NLM_F_CREATE);
  EXPECT_EQ(m[2].type, nft_type(NFT_MSG_DELSETELEM));
  EXPECT_EQ(m[2].flags & (NLM_F_CREATE | NLM_F_EXCL), 0);
  EXPECT_EQ(m[3].type, nft_type(NFT_MSG_NEWSETELEM));
  EXPECT_EQ(m[3].flags & (NLM_F_CREATE | NLM_F_EXCL), NLM_F_CREATE | NLM_F_EXCL);
  for (int i : {1, 2, 3}) {
    auto p = parse_elems(m[i].nlh);
    EXPECT_EQ(p.table, "captive");
    EXPECT_EQ(p.set, "allowed");
    ASSERT_EQ(p.keys.size(), 1u);
    EXPECT_EQ(p.keys[0], key(kMac));
    if (i == 2)
      EXPECT_FALSE(p.timeouts[0].has_value()) << "delete carries the key only";
    else
      EXPECT_EQ(p.timeouts[0], 3'600'000u);
  }
}

TEST(NftMessages, SetelemAddWithoutTimeoutHasNoTimeoutAttribute) {
  Buf buf;
  std::size_t len = build_setelem_add(buf.span(), 1, Names{}, kMac, milliseconds(0));
  auto m = walk(buf.b.data(), len);
  ASSERT_EQ(m.size(), 5u);
  EXPECT_FALSE(parse_elems(m[3].nlh).timeouts[0].has_value());
}

TEST(NftMessages, SetelemRoundTripRandomised) {
  std::mt19937_64 rng(20240611);
  for (int round = 0; round < 500; ++round) {
    packet::MacAddr mac;
    for (auto& b : mac.bytes) b = static_cast<std::uint8_t>(rng());
    milliseconds timeout(rng() % 2 ? 0 : static_cast<std::int64_t>(rng() % (400ull * 86'400'000)));
    Names names;
    names.table = "t" + std::to_string(rng() % 1000);
    names.set = std::string(1 + rng() % kMaxName, 's');
    auto seq = static_cast<std::uint32_t>(rng());
    Buf buf;
    std::size_t len = build_setelem_add(buf.span(), seq, names, mac, timeout);
    ASSERT_GT(len, 0u);
    auto m = walk(buf.b.data(), len);
    ASSERT_EQ(m.size(), 5u);
    expect_batch_frame(m, seq);
    // Our own parser reads what our builder wrote (same layout as a dump).
    std::vector<Element> got;
    ASSERT_TRUE(parse_setelems({reinterpret_cast<const std::byte*>(m[3].nlh), m[3].nlh->nlmsg_len},
                               got));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].mac, mac);
    if (timeout.count() == 0)
      EXPECT_FALSE(got[0].timeout.has_value());
    else
      EXPECT_EQ(got[0].timeout, timeout);
    EXPECT_FALSE(got[0].expires.has_value());
    EXPECT_EQ(parse_elems(m[1].nlh).set, names.set);

    len = build_setelem_del(buf.span(), seq, names, mac);
    m = walk(buf.b.data(), len);
    ASSERT_EQ(m.size(), 3u);
    expect_batch_frame(m, seq);
    EXPECT_EQ(m[1].type, nft_type(NFT_MSG_DELSETELEM));
    auto p = parse_elems(m[1].nlh);
    EXPECT_EQ(p.table, names.table);
    EXPECT_EQ(p.keys.at(0), key(mac));
  }
}

struct ParsedRule {
  std::string table, chain;
  std::vector<nftnl_expr*> exprs;
  nftnl_rule* rule = nullptr;
  ~ParsedRule() {
    if (rule) nftnl_rule_free(rule);
  }
};

void parse_rule(const nlmsghdr* nlh, ParsedRule& p) {
  p.rule = nftnl_rule_alloc();
  ASSERT_EQ(nftnl_rule_nlmsg_parse(nlh, p.rule), 0);
  EXPECT_EQ(nftnl_rule_get_u32(p.rule, NFTNL_RULE_FAMILY), NFPROTO_INET);
  p.table = nftnl_rule_get_str(p.rule, NFTNL_RULE_TABLE);
  p.chain = nftnl_rule_get_str(p.rule, NFTNL_RULE_CHAIN);
  EXPECT_FALSE(nftnl_rule_is_set(p.rule, NFTNL_RULE_HANDLE));
  nftnl_expr_iter* it = nftnl_expr_iter_create(p.rule);
  for (nftnl_expr* e = nftnl_expr_iter_next(it); e; e = nftnl_expr_iter_next(it))
    p.exprs.push_back(e);
  nftnl_expr_iter_destroy(it);
}

TEST(NftMessages, QueueRuleNative) {
  Buf buf;
  QueueRule rule{.queue_num = 3, .queues_total = 1, .bypass = true};
  std::size_t len = build_queue_rule(buf.span(), 77, Names{}, rule, QueueKind::native);
  auto m = walk(buf.b.data(), len);
  ASSERT_EQ(m.size(), 4u);
  expect_batch_frame(m, 77);
  EXPECT_EQ(m[1].type, nft_type(NFT_MSG_DELRULE));
  ParsedRule flush;
  parse_rule(m[1].nlh, flush);
  EXPECT_EQ(flush.table, "captive");
  EXPECT_EQ(flush.chain, "intercept");
  EXPECT_TRUE(flush.exprs.empty()) << "table + chain only = flush";

  EXPECT_EQ(m[2].type, nft_type(NFT_MSG_NEWRULE));
  EXPECT_TRUE(m[2].flags & NLM_F_CREATE);
  EXPECT_TRUE(m[2].flags & NLM_F_APPEND);
  ParsedRule add;
  parse_rule(m[2].nlh, add);
  EXPECT_EQ(add.chain, "intercept");
  ASSERT_EQ(add.exprs.size(), 1u);
  EXPECT_STREQ(nftnl_expr_get_str(add.exprs[0], NFTNL_EXPR_NAME), "queue");
  EXPECT_EQ(nftnl_expr_get_u16(add.exprs[0], NFTNL_EXPR_QUEUE_NUM), 3);
  EXPECT_EQ(nftnl_expr_get_u16(add.exprs[0], NFTNL_EXPR_QUEUE_TOTAL), 1);
  EXPECT_EQ(nftnl_expr_get_u16(add.exprs[0], NFTNL_EXPR_QUEUE_FLAGS), NFT_QUEUE_FLAG_BYPASS);
}

TEST(NftMessages, QueueRuleCompatIsXtNfqueueRev3) {
  Buf buf;
  QueueRule rule{.queue_num = 10, .queues_total = 4, .bypass = true};
  std::size_t len = build_queue_rule(buf.span(), 5, Names{}, rule, QueueKind::compat);
  auto m = walk(buf.b.data(), len);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1].type, nft_type(NFT_MSG_DELRULE));
  ParsedRule add;
  parse_rule(m[2].nlh, add);
  ASSERT_EQ(add.exprs.size(), 1u);
  nftnl_expr* e = add.exprs[0];
  EXPECT_STREQ(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "target");
  EXPECT_STREQ(nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME), "NFQUEUE");
  EXPECT_EQ(nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV), 3u);
  std::uint32_t info_len = 0;
  auto* info = static_cast<const std::byte*>(nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &info_len));
  ASSERT_EQ(info_len, kNfqInfoSize);
  auto want = nfq_info_v3(rule);
  EXPECT_EQ(std::memcmp(info, want.data(), want.size()), 0);
  EXPECT_EQ(queue_flags(rule), NFT_QUEUE_FLAG_BYPASS | NFT_QUEUE_FLAG_CPU_FANOUT);
}

TEST(NftMessages, ChainFlush) {
  Buf buf;
  Names names;
  names.chain = "other";
  std::size_t len = build_chain_flush(buf.span(), 9, names);
  auto m = walk(buf.b.data(), len);
  ASSERT_EQ(m.size(), 3u);
  expect_batch_frame(m, 9);
  EXPECT_EQ(m[1].type, nft_type(NFT_MSG_DELRULE));
  ParsedRule flush;
  parse_rule(m[1].nlh, flush);
  EXPECT_EQ(flush.chain, "other");
  EXPECT_TRUE(flush.exprs.empty());
}

// NUL-terminated string attributes of an nfgenmsg message, by type.
std::vector<std::pair<std::uint16_t, std::string>> string_attrs(const nlmsghdr* nlh) {
  std::vector<std::pair<std::uint16_t, std::string>> out;
  mnl_attr_parse(
      nlh, sizeof(nfgenmsg),
      [](const nlattr* a, void* data) -> int {
        auto* o = static_cast<std::vector<std::pair<std::uint16_t, std::string>>*>(data);
        if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
          o->emplace_back(mnl_attr_get_type(a), mnl_attr_get_str(a));
        return MNL_CB_OK;
      },
      &out);
  return out;
}

TEST(NftMessages, SetelemDumpRequest) {
  Buf buf;
  std::size_t len = build_setelem_dump(buf.span(), 42, Names{});
  auto m = walk(buf.b.data(), len);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].type, nft_type(NFT_MSG_GETSETELEM));
  EXPECT_EQ(m[0].flags & NLM_F_DUMP, NLM_F_DUMP);
  EXPECT_EQ(m[0].seq, 42u);
  EXPECT_EQ(m[0].family, NFPROTO_INET);
  auto attrs = string_attrs(m[0].nlh);
  std::vector<std::pair<std::uint16_t, std::string>> want = {
      {NFTA_SET_ELEM_LIST_SET, "allowed"}, {NFTA_SET_ELEM_LIST_TABLE, "captive"}};
  std::sort(attrs.begin(), attrs.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(attrs, want);
}

TEST(NftMessages, GetRequests) {
  Buf buf;
  struct Case {
    Object o;
    int type;
    std::vector<std::pair<std::uint16_t, std::string>> attrs;
  };
  const Case cases[] = {
      {Object::table, NFT_MSG_GETTABLE, {{NFTA_TABLE_NAME, "captive"}}},
      {Object::set, NFT_MSG_GETSET, {{NFTA_SET_TABLE, "captive"}, {NFTA_SET_NAME, "allowed"}}},
      {Object::chain, NFT_MSG_GETCHAIN, {{NFTA_CHAIN_TABLE, "captive"}, {NFTA_CHAIN_NAME, "intercept"}}},
  };
  for (const Case& c : cases) {
    std::size_t len = build_get(buf.span(), 3, Names{}, c.o);
    auto m = walk(buf.b.data(), len);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].type, nft_type(c.type));
    EXPECT_TRUE(m[0].flags & NLM_F_ACK);
    EXPECT_FALSE(m[0].flags & NLM_F_DUMP);
    auto attrs = string_attrs(m[0].nlh);
    auto want = c.attrs;
    std::sort(attrs.begin(), attrs.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(attrs, want);
  }
}

TEST(NftMessages, BuildersRefuseSmallMisalignedOrBadNames) {
  Buf buf;
  auto small = buf.span().first(kBatchBufferSize - 1);
  EXPECT_EQ(build_setelem_add(small, 1, Names{}, kMac, milliseconds(1)), 0u);
  EXPECT_EQ(build_setelem_dump(small, 1, Names{}), 0u);
  std::vector<std::byte> big(kBatchBufferSize + 8);
  auto misaligned = std::span<std::byte>(big).subspan(
      reinterpret_cast<std::uintptr_t>(big.data()) % 4 == 0 ? 1 : 0, kBatchBufferSize);
  EXPECT_EQ(build_setelem_del(misaligned, 1, Names{}, kMac), 0u);
  Names bad;
  bad.set = "";
  EXPECT_EQ(build_setelem_del(buf.span(), 1, bad, kMac), 0u);
  bad.set = std::string(kMaxName + 1, 'x');
  EXPECT_FALSE(names_valid(bad));
  EXPECT_EQ(build_queue_rule(buf.span(), 1, bad, {}, QueueKind::native), 0u);
  bad.set = std::string("a\0b", 3);
  EXPECT_FALSE(names_valid(bad));
  bad.set = std::string(kMaxName, 'x');
  EXPECT_TRUE(names_valid(bad));
  // The longest names still fit the biggest batch.
  bad.table = bad.chain = bad.set;
  EXPECT_GT(build_setelem_add(buf.span(), 1, bad, kMac, milliseconds(1)), 0u);
  EXPECT_GT(build_queue_rule(buf.span(), 1, bad, {}, QueueKind::compat), 0u);
}

// A NEWSETELEM message as the kernel dumps it, with one element.
nlmsghdr* dump_msg(std::byte* buf, const void* key, std::uint32_t key_len, nftnl_expr* counter) {
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(reinterpret_cast<char*>(buf), NFT_MSG_NEWSETELEM,
                                        NFPROTO_INET, NLM_F_MULTI, 1);
  nftnl_set* s = nftnl_set_alloc();
  nftnl_set_set_str(s, NFTNL_SET_TABLE, "captive");
  nftnl_set_set_str(s, NFTNL_SET_NAME, "allowed");
  nftnl_set_elem* e = nftnl_set_elem_alloc();
  nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, key_len);
  nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, 60'000);
  if (counter != nullptr) nftnl_set_elem_add_expr(e, counter);  // NFTA_SET_ELEM_EXPR
  nftnl_set_elem_add(s, e);
  // (One element per message: libnftnl 1.2.4 numbers the nests of further
  // elements 2, 3, .. and its own parser then refuses them; the kernel
  // always uses NFTA_LIST_ELEM.)
  nftnl_set_elems_nlmsg_build_payload(nlh, s);
  nftnl_set_free(s);
  return nlh;
}

TEST(NftMessages, ParseSetelemsReadsCountersAndSkipsForeignKeys) {
  alignas(8) std::array<std::byte, 4096> b{};
  nftnl_expr* ctr = nftnl_expr_alloc("counter");
  nftnl_expr_set_u64(ctr, NFTNL_EXPR_CTR_PACKETS, 12);
  nftnl_expr_set_u64(ctr, NFTNL_EXPR_CTR_BYTES, 3456);
  nlmsghdr* nlh = dump_msg(b.data(), kMac.bytes.data(), 6, ctr);

  std::vector<Element> got;
  auto ok = parse_setelems({b.data(), nlh->nlmsg_len}, got);
  ASSERT_TRUE(ok) << ok.error().message();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].mac, kMac);
  EXPECT_EQ(got[0].timeout, milliseconds(60'000));
  EXPECT_EQ(got[0].traffic.packets_up, 12u);
  EXPECT_EQ(got[0].traffic.bytes_up, 3456u);

  // A 4-byte key is not a MAC: skipped, not misread.
  alignas(8) std::array<std::byte, 4096> f{};
  const std::uint8_t ip[4] = {192, 0, 2, 1};
  nlmsghdr* foreign = dump_msg(f.data(), ip, 4, nullptr);
  ASSERT_TRUE(parse_setelems({f.data(), foreign->nlmsg_len}, got));
  EXPECT_EQ(got.size(), 1u);

  // Truncated: never reads past the span.
  auto r = parse_setelems({b.data(), nlh->nlmsg_len - 1}, got);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EINVAL);
  EXPECT_FALSE(parse_setelems({b.data(), 8}, got));
}

// --- sessions: everything of one session in one batch ---

struct BigBuf {
  alignas(8) std::array<std::byte, kSessionBatchBufferSize> b{};
  std::span<std::byte> span() { return b; }
};

std::vector<std::uint8_t> mark_key(Mark m) {
  std::vector<std::uint8_t> out(4);
  std::memcpy(out.data(), &m, 4);  // `type mark`: host byte order
  return out;
}

// (type, set, key, has data, has expr, create-excl) of each message.
struct SessionMsg {
  std::uint16_t type;
  std::string set;
  std::vector<std::uint8_t> key;
  bool data = false;
  bool expr = false;
  bool excl = false;
  std::optional<std::uint64_t> timeout;
  std::uint64_t rate = 0;
};

std::vector<SessionMsg> session_msgs(const std::vector<Msg>& m) {
  std::vector<SessionMsg> out;
  for (std::size_t i = 1; i + 1 < m.size(); ++i) {
    SessionMsg sm;
    sm.type = m[i].type;
    sm.excl = (m[i].flags & NLM_F_EXCL) != 0;
    nftnl_set* s = nftnl_set_alloc();
    EXPECT_EQ(nftnl_set_elems_nlmsg_parse(m[i].nlh, s), 0);
    sm.set = nftnl_set_get_str(s, NFTNL_SET_NAME);
    nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(s);
    nftnl_set_elem* e = nftnl_set_elems_iter_next(it);
    EXPECT_NE(e, nullptr);
    if (e != nullptr) {
      std::uint32_t len = 0;
      auto* k = static_cast<const std::uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
      sm.key.assign(k, k + len);
      sm.data = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA);
      if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT)) sm.timeout = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT);
      nftnl_set_elem_expr_foreach(
          e,
          [](nftnl_expr* x, void* arg) -> int {
            auto* out = static_cast<SessionMsg*>(arg);
            out->expr = true;
            if (std::strcmp(nftnl_expr_get_str(x, NFTNL_EXPR_NAME), "limit") == 0) {
              out->rate = nftnl_expr_get_u64(x, NFTNL_EXPR_LIMIT_RATE);
              EXPECT_EQ(nftnl_expr_get_u32(x, NFTNL_EXPR_LIMIT_TYPE), static_cast<std::uint32_t>(NFT_LIMIT_PKT_BYTES));
              EXPECT_EQ(nftnl_expr_get_u32(x, NFTNL_EXPR_LIMIT_FLAGS), static_cast<std::uint32_t>(NFT_LIMIT_F_INV))
                  << "the element matches (and the rule drops) what is over the rate";
              EXPECT_EQ(nftnl_expr_get_u64(x, NFTNL_EXPR_LIMIT_UNIT), 1u);
            }
            return 0;
          },
          &sm);
    }
    nftnl_set_elems_iter_destroy(it);
    nftnl_set_free(s);
    out.push_back(sm);
  }
  return out;
}

TEST(NftMessages, SessionAddIsOneBatchOfEverySetWithRates) {
  BigBuf buf;
  ElementSpec spec{Key(kMac, *packet::IpAddr::parse("192.0.2.7")), std::chrono::seconds(3600)};
  spec.mark = 0x1234567;
  spec.limits.rate_up = 62'500;      // 500kbit
  spec.limits.rate_down = 250'000;   // 2mbit
  std::size_t len = build_session_add(buf.span(), 700, Names{}, spec);
  ASSERT_GT(len, 0u);
  auto m = walk(buf.b.data(), len);
  expect_batch_frame(m, 700);
  auto sm = session_msgs(m);
  ASSERT_EQ(sm.size(), 15u) << "5 sets x create, delete, create-exclusive";
  const std::vector<std::string> sets = {"allowed_ip4", "session_marks", "allowed_down", "rate_up", "rate_down"};
  std::array<std::uint8_t, 24> kb{};
  const std::size_t klen = key_bytes(spec.key, kb);
  const std::vector<std::vector<std::uint8_t>> keys = {
      {kb.begin(), kb.begin() + static_cast<long>(klen)}, key(kMac), mark_key(spec.mark), key(kMac), mark_key(spec.mark)};
  for (std::size_t set = 0; set < sets.size(); ++set) {
    for (std::size_t k = 0; k < 3; ++k) {
      const SessionMsg& x = sm[set * 3 + k];
      SCOPED_TRACE(sets[set] + " message " + std::to_string(k));
      EXPECT_EQ(x.set, sets[set]);
      EXPECT_EQ(x.key, keys[set]);
      EXPECT_EQ(x.type, nft_type(k == 1 ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM));
      EXPECT_EQ(x.excl, k == 2);
      if (k == 2) {
        EXPECT_EQ(x.timeout, 3'600'000u) << "every element of the session expires with it";
        EXPECT_EQ(x.data, set == 1) << "only session_marks is a map";
      }
    }
  }
  EXPECT_EQ(sm[11].rate, 62'500u);
  EXPECT_EQ(sm[14].rate, 250'000u);
  EXPECT_FALSE(sm[2].expr) << "the allowed element: no expression of ours (the set's counter)";
}

TEST(NftMessages, SessionAddWithoutRatesRemovesOldRates) {
  BigBuf buf;
  ElementSpec spec{Key(kMac), std::chrono::seconds(60)};
  spec.mark = 7;
  auto m = walk(buf.b.data(), build_session_add(buf.span(), 1, Names{}, spec));
  auto sm = session_msgs(m);
  ASSERT_EQ(sm.size(), 13u) << "rate sets: create + delete only";
  EXPECT_EQ(sm[9].set, "rate_up");
  EXPECT_EQ(sm[10].type, nft_type(NFT_MSG_DELSETELEM));
  EXPECT_EQ(sm[11].set, "rate_down");
  EXPECT_EQ(sm[12].type, nft_type(NFT_MSG_DELSETELEM));
  EXPECT_EQ(sm[12].key, mark_key(7));
  spec.mark = 0;
  EXPECT_EQ(build_session_add(buf.span(), 1, Names{}, spec), 0u) << "a session needs a mark";
  Buf small;
  spec.mark = 7;
  EXPECT_EQ(build_session_add(small.span(), 1, Names{}, spec), 0u) << "needs kSessionBatchBufferSize";
}

TEST(NftMessages, SessionDelRemovesEveryElementOfTheSession) {
  BigBuf buf;
  auto m = walk(buf.b.data(), build_session_del(buf.span(), 40, Names{}, Key(kMac), 9));
  expect_batch_frame(m, 40);
  auto sm = session_msgs(m);
  ASSERT_EQ(sm.size(), 9u);
  EXPECT_EQ(sm[0].type, nft_type(NFT_MSG_DELSETELEM)) << "first: the key, ENOENT if not signed in";
  EXPECT_EQ(sm[0].set, "allowed");
  const std::vector<std::string> rest = {"session_marks", "allowed_down", "rate_up", "rate_down"};
  for (std::size_t i = 0; i < rest.size(); ++i) {
    EXPECT_EQ(sm[1 + 2 * i].set, rest[i]);
    EXPECT_EQ(sm[1 + 2 * i].type, nft_type(NFT_MSG_NEWSETELEM)) << "create first: the delete never fails";
    EXPECT_EQ(sm[2 + 2 * i].type, nft_type(NFT_MSG_DELSETELEM));
  }
  EXPECT_EQ(sm[1].key, key(kMac));
  EXPECT_TRUE(sm[1].data) << "created with the mark it has (a map element of other data is EBUSY)";
  auto unknown = walk(buf.b.data(), build_session_del(buf.span(), 40, Names{}, Key(kMac), 0));
  EXPECT_EQ(unknown.size(), 3u) << "mark unknown: the key only";
}

TEST(NftMessages, ParseMarksAndDownCountersJoinBySession) {
  alignas(8) std::array<std::byte, 4096> a{}, b{}, c{};
  // allowed: the MAC with its up counter.
  nftnl_expr* up = nftnl_expr_alloc("counter");
  nftnl_expr_set_u64(up, NFTNL_EXPR_CTR_PACKETS, 3);
  nftnl_expr_set_u64(up, NFTNL_EXPR_CTR_BYTES, 300);
  nlmsghdr* allowed = dump_msg(a.data(), kMac.bytes.data(), 6, up);
  std::vector<Element> elements;
  ASSERT_TRUE(parse_setelems({a.data(), allowed->nlmsg_len}, elements));
  // session_marks: MAC : mark.
  nlmsghdr* marks = nftnl_nlmsg_build_hdr(reinterpret_cast<char*>(b.data()), NFT_MSG_NEWSETELEM, NFPROTO_INET, 0, 1);
  {
    nftnl_set* s = nftnl_set_alloc();
    nftnl_set_set_str(s, NFTNL_SET_TABLE, "captive");
    nftnl_set_set_str(s, NFTNL_SET_NAME, "session_marks");
    nftnl_set_elem* e = nftnl_set_elem_alloc();
    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, kMac.bytes.data(), 6);
    const Mark mark = 0xabc;
    nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, &mark, 4);
    nftnl_set_elem_add(s, e);
    nftnl_set_elems_nlmsg_build_payload(marks, s);
    nftnl_set_free(s);
  }
  std::vector<Element> mark_elements;
  auto r = parse_setelems({b.data(), marks->nlmsg_len}, mark_elements);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(mark_elements.size(), 1u);
  EXPECT_EQ(mark_elements[0].mark, 0xabcu);
  // allowed_down: the mark with its counter.
  nftnl_expr* down = nftnl_expr_alloc("counter");
  nftnl_expr_set_u64(down, NFTNL_EXPR_CTR_PACKETS, 700);
  nftnl_expr_set_u64(down, NFTNL_EXPR_CTR_BYTES, 1'048'576);
  const auto mk = mark_key(0xabc);
  nlmsghdr* downs = dump_msg(c.data(), mk.data(), 4, down);
  std::vector<MarkCounter> counters;
  ASSERT_TRUE(parse_mark_counters({c.data(), downs->nlmsg_len}, counters));
  ASSERT_EQ(counters.size(), 1u);
  EXPECT_EQ(counters[0].mark, 0xabcu);
  // A MAC key in a mark set is not a mark: skipped.
  ASSERT_TRUE(parse_mark_counters({a.data(), allowed->nlmsg_len}, counters));
  EXPECT_EQ(counters.size(), 1u);

  join_sessions(elements, mark_elements, counters);
  ASSERT_EQ(elements.size(), 1u);
  EXPECT_EQ(elements[0].mark, 0xabcu);
  EXPECT_EQ(elements[0].traffic, (session::Traffic{300, 3, 1'048'576, 700}));
}

}  // namespace
}  // namespace captive::nft
