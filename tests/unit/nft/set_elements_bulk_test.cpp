// The bulk add of set elements (restoring sessions) and the key encoding.
// No kernel, no root.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <array>
#include <map>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "captive/nft/set_elements.hpp"

namespace captive::nft {
namespace {

struct Elem {
  std::vector<std::uint8_t> key;
  std::optional<std::uint64_t> timeout_ms;
  std::vector<std::uint8_t> data;  // NFTA_SET_ELEM_DATA's value (session_marks)
  bool has_expr = false;           // NFTA_SET_ELEM_EXPR (a rate's `limit`)
};

// libnftnl 1.2.4 cannot parse its own multi-element messages back, so the
// attributes are walked with libmnl: NFTA_SET_ELEM_LIST_ELEMENTS { ELEM {
// KEY { DATA_VALUE }, TIMEOUT (be64) } ... }.
// The nested attributes of `parent` (libmnl's for_each macros are C only).
std::vector<const nlattr*> children(const void* payload, std::size_t len) {
  std::vector<const nlattr*> out;
  int left = static_cast<int>(len);
  for (auto* a = static_cast<const nlattr*>(payload); mnl_attr_ok(a, left); a = mnl_attr_next(a))
    out.push_back(a), left -= static_cast<int>(MNL_ALIGN(a->nla_len));
  return out;
}
std::vector<const nlattr*> children(const nlattr* parent) {
  return children(mnl_attr_get_payload(parent), mnl_attr_get_payload_len(parent));
}

std::vector<Elem> elements_of(const nlmsghdr* nlh) {
  std::vector<Elem> out;
  const std::size_t header = MNL_ALIGN(sizeof(nfgenmsg));
  for (const nlattr* attr : children(static_cast<const char*>(mnl_nlmsg_get_payload(nlh)) + header,
                                     mnl_nlmsg_get_payload_len(nlh) - header)) {
    if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS) continue;
    for (const nlattr* elem : children(attr)) {
      Elem e;
      for (const nlattr* field : children(elem)) {
        if (mnl_attr_get_type(field) == NFTA_SET_ELEM_KEY) {
          for (const nlattr* data : children(field)) {
            auto* p = static_cast<const std::uint8_t*>(mnl_attr_get_payload(data));
            e.key.assign(p, p + mnl_attr_get_payload_len(data));
          }
        } else if (mnl_attr_get_type(field) == NFTA_SET_ELEM_TIMEOUT) {
          e.timeout_ms = be64toh(mnl_attr_get_u64(field));
        } else if (mnl_attr_get_type(field) == NFTA_SET_ELEM_DATA) {
          for (const nlattr* data : children(field)) {
            auto* p = static_cast<const std::uint8_t*>(mnl_attr_get_payload(data));
            e.data.assign(p, p + mnl_attr_get_payload_len(data));
          }
        } else if (mnl_attr_get_type(field) == NFTA_SET_ELEM_EXPR) {
          e.has_expr = true;
        }
      }
      out.push_back(e);
    }
  }
  return out;
}

std::string set_of(const nlmsghdr* nlh) {
  const std::size_t header = MNL_ALIGN(sizeof(nfgenmsg));
  for (const nlattr* attr : children(static_cast<const char*>(mnl_nlmsg_get_payload(nlh)) + header,
                                     mnl_nlmsg_get_payload_len(nlh) - header))
    if (mnl_attr_get_type(attr) == NFTA_SET_ELEM_LIST_SET) return mnl_attr_get_str(attr);
  return "";
}

std::vector<std::uint8_t> mark_bytes(Mark m) {
  std::vector<std::uint8_t> out(4);
  std::memcpy(out.data(), &m, 4);
  return out;
}

std::vector<ElementSpec> random_specs(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<ElementSpec> specs(n);
  Mark mark = 0;
  for (auto& s : specs) {
    for (auto& b : s.key.mac.bytes) b = static_cast<std::uint8_t>(rng());
    s.key.mac.bytes[0] = (s.key.mac.bytes[0] & 0xfe) | 0x02;
    s.timeout = std::chrono::seconds(rng() % 100000);  // 0 = no timeout
    s.mark = ++mark;
    if (rng() % 3 == 0) s.limits.rate_up = 1000 + rng() % 100000;
    if (rng() % 4 == 0) s.limits.rate_down = 1000 + rng() % 100000;
  }
  return specs;
}

TEST(NftBulk, EveryElementInOrderWithItsTimeoutAcrossMessages) {
  std::vector<std::byte> buf(192 * 1024);
  auto specs = random_specs(10000, 7);
  // Bound elements too: MAC . IPv6 is the longest key.
  for (std::size_t i = 5000; i < 6000; ++i) specs[i].key.ip = packet::IpAddr::parse("2001:db8::77");
  std::size_t done = 0;
  std::uint32_t seq = 500;
  int batches = 0;
  while (done < specs.size()) {
    BulkBatch batch = build_setelem_add_many(buf, seq, Names{}, std::span(specs).subspan(done));
    ASSERT_GT(batch.elements, 0u);
    ASSERT_LE(batch.length, buf.size());
    ++batches;
    int left = static_cast<int>(batch.length);
    auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data());
    std::vector<const nlmsghdr*> msgs;
    for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) msgs.push_back(nlh);
    ASSERT_EQ(left, 0);
    ASSERT_EQ(msgs.size(), batch.messages + 2);
    ASSERT_LE(batch.messages, kMaxBulkMessages);
    EXPECT_EQ(msgs.front()->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
    EXPECT_EQ(msgs.back()->nlmsg_type, NFNL_MSG_BATCH_END);
    EXPECT_EQ(msgs.back()->nlmsg_seq, seq + batch.messages + 1);
    // Per set, in order: the specs of this batch (with a rate, for rate_*).
    std::map<std::string, std::vector<Elem>> by_set;
    for (std::size_t i = 1; i + 1 < msgs.size(); ++i) {
      EXPECT_EQ(msgs[i]->nlmsg_type, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM);
      EXPECT_EQ(msgs[i]->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK), NLM_F_CREATE | NLM_F_ACK);
      EXPECT_EQ(msgs[i]->nlmsg_seq, seq + i);
      auto elems = elements_of(msgs[i]);
      EXPECT_LE(elems.size(), kElementsPerMessage);
      const std::string set = set_of(msgs[i]);
      auto& list = by_set[set];
      list.insert(list.end(), elems.begin(), elems.end());
      // The builder reserved this much before libnftnl wrote the message.
      const std::size_t bound = set == "allowed" || set == "allowed_ip4" || set == "allowed_ip6" ? kMaxElementBytes
                                : set == "session_marks"                                       ? kMaxMarkElementBytes
                                : set == "allowed_down"                                        ? kMaxDownElementBytes
                                                                                               : kMaxRateElementBytes;
      EXPECT_LE(msgs[i]->nlmsg_len, kMaxMessage + elems.size() * bound) << set;
    }
    std::size_t at = done;
    std::size_t up = 0, down = 0;
    const std::string key_set = Names{}.set_for(specs[done].key);
    ASSERT_EQ(by_set[key_set].size(), batch.elements);
    ASSERT_EQ(by_set["session_marks"].size(), batch.elements);
    ASSERT_EQ(by_set["allowed_down"].size(), batch.elements);
    for (std::size_t k = 0; k < batch.elements; ++k, ++at) {
      const ElementSpec& spec = specs[at];
      const std::vector<std::uint8_t> mac(spec.key.mac.bytes.begin(), spec.key.mac.bytes.end());
      const Elem& e = by_set[key_set][k];
      std::array<std::uint8_t, 24> kb{};
      const std::size_t klen = key_bytes(spec.key, kb);
      EXPECT_EQ(e.key, std::vector<std::uint8_t>(kb.begin(), kb.begin() + static_cast<long>(klen)));
      EXPECT_TRUE(e.data.empty());
      if (spec.timeout.count() == 0) {
        EXPECT_FALSE(e.timeout_ms);
      } else {
        EXPECT_EQ(e.timeout_ms, static_cast<std::uint64_t>(spec.timeout.count()) * 1000);
      }
      EXPECT_EQ(by_set["session_marks"][k].key, mac);
      EXPECT_EQ(by_set["session_marks"][k].data, mark_bytes(spec.mark));
      EXPECT_EQ(by_set["session_marks"][k].timeout_ms, e.timeout_ms) << "the mark lives as long as the session";
      EXPECT_EQ(by_set["allowed_down"][k].key, mark_bytes(spec.mark));
      EXPECT_EQ(by_set["allowed_down"][k].timeout_ms, e.timeout_ms);
      if (spec.limits.rate_up) {
        ASSERT_LT(up, by_set["rate_up"].size());
        EXPECT_EQ(by_set["rate_up"][up].key, mac);
        EXPECT_TRUE(by_set["rate_up"][up].has_expr) << "a rate element carries its own limit";
        ++up;
      }
      if (spec.limits.rate_down) {
        ASSERT_LT(down, by_set["rate_down"].size());
        EXPECT_EQ(by_set["rate_down"][down].key, mark_bytes(spec.mark));
        EXPECT_TRUE(by_set["rate_down"][down].has_expr);
        ++down;
      }
    }
    EXPECT_EQ(up, by_set["rate_up"].size()) << "no rate element for a session without a rate";
    EXPECT_EQ(down, by_set["rate_down"].size());
    EXPECT_EQ(at, done + batch.elements);
    done += batch.elements;
    seq += 100;
  }
  EXPECT_GE(batches, 3) << "10000 elements need several batches";
}

TEST(NftKey, BytesAsTheKernelConcatenatesThem) {
  const packet::MacAddr m{{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}};
  std::array<std::uint8_t, 24> b{};
  EXPECT_EQ(key_bytes(Key(m), b), 6u);
  EXPECT_EQ(std::vector<std::uint8_t>(b.begin(), b.begin() + 6), std::vector<std::uint8_t>(m.bytes.begin(), m.bytes.end()));
  // ether_addr . ipv4_addr: 6 bytes of MAC, 2 of padding, 4 of address.
  ASSERT_EQ(key_bytes(Key(m, *packet::IpAddr::parse("192.0.2.2")), b), 12u);
  const std::vector<std::uint8_t> v4 = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0, 192, 0, 2, 2};
  EXPECT_EQ(std::vector<std::uint8_t>(b.begin(), b.begin() + 12), v4);
  ASSERT_EQ(key_bytes(Key(m, *packet::IpAddr::parse("2001:db8::9")), b), 24u);
  EXPECT_EQ(b[8], 0x20);
  EXPECT_EQ(b[23], 0x09);
  for (const char* a : {"192.0.2.2", "2001:db8::9"}) {
    Key k(m, *packet::IpAddr::parse(a));
    std::size_t n = key_bytes(k, b);
    EXPECT_EQ(key_from_bytes(std::span<const std::uint8_t>(b.data(), n)), k);
  }
  EXPECT_FALSE(key_from_bytes(std::span<const std::uint8_t>(b.data(), 7)));
  EXPECT_EQ(Names{}.set_for(Key(m)), "allowed");
  EXPECT_EQ(Names{}.set_for(Key(m, *packet::IpAddr::parse("192.0.2.2"))), "allowed_ip4");
  EXPECT_EQ(Names{}.set_for(Key(m, *packet::IpAddr::parse("2001:db8::1"))), "allowed_ip6");
}

TEST(NftBulk, BatchHoldsOneSetAtATime) {
  std::vector<std::byte> buf(128 * 1024);
  std::vector<ElementSpec> specs(4);
  for (std::size_t i = 0; i < specs.size(); ++i) specs[i].mark = static_cast<Mark>(i + 1);
  specs[2].key.ip = packet::IpAddr::parse("192.0.2.2");
  specs[3].key.ip = packet::IpAddr::parse("192.0.2.3");
  BulkBatch first = build_setelem_add_many(buf, 1, Names{}, specs);
  EXPECT_EQ(first.elements, 2u) << "stops where the set changes";
  BulkBatch second = build_setelem_add_many(buf, 10, Names{}, std::span(specs).subspan(2));
  EXPECT_EQ(second.elements, 2u);
}

TEST(NftBulk, RefusesASessionWithoutMark) {
  std::vector<std::byte> buf(128 * 1024);
  auto specs = random_specs(3, 2);
  specs[0].mark = 0;  // its connections could not be told from those of no session
  EXPECT_EQ(build_setelem_add_many(buf, 1, Names{}, specs).elements, 0u);
}

TEST(NftBulk, RefusesTinyBufferAndBadNames) {
  auto specs = random_specs(10, 1);
  std::vector<std::byte> small(kBatchBufferSize);  // smaller than one bulk message
  EXPECT_EQ(build_setelem_add_many(small, 1, Names{}, specs).elements, 0u);
  std::vector<std::byte> buf(128 * 1024);
  Names bad;
  bad.set = "";
  EXPECT_EQ(build_setelem_add_many(buf, 1, bad, specs).elements, 0u);
}

}  // namespace
}  // namespace captive::nft
