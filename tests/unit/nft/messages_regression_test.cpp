// Findings of fuzz/nft_setelems_fuzzer.cpp (docs/fuzzing.md), kept as tests.
#include <gtest/gtest.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "captive/nft/messages.hpp"

namespace captive::nft {
namespace {

// crash-5e2b8503: a NEWSETELEM whose element attributes libnftnl's
// validation refuses; libnftnl then calls exit() ("kernel ABI is broken")
// instead of returning an error, which would end captived. parse_setelems
// now checks the message first and answers EINVAL.
constexpr std::array<unsigned char, 176> kExits = {
    0x88, 0x00, 0x00, 0x00, 0x0c, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x01, 0x00,
    0x63, 0x61, 0x70, 0x74, 0x69, 0x76, 0x65, 0x00, 0x04, 0x00, 0x02, 0x00,
    0x61, 0x6c, 0x6c, 0x6f, 0x77, 0x65, 0x64, 0x00, 0x5c, 0x00, 0x03, 0x80,
    0x58, 0x00, 0x01, 0xb0, 0x00, 0x00, 0x00, 0x4c, 0x0a, 0x00, 0x00, 0x01,
    0x00, 0x00, 0xb3, 0xb3, 0xb3, 0xb3, 0xb3, 0xb3, 0xb3, 0xb3, 0xb3, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x01, 0x00,
    0x63, 0x61, 0x70, 0x74, 0x80, 0x10, 0x00, 0x01, 0x80, 0x0a, 0x00, 0x02,
    0x00, 0x00, 0x69, 0x76, 0x65, 0x00, 0x0c, 0x00, 0x6c, 0x6c, 0x6c, 0x6c,
    0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x00,
    0x00, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c,
    0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x00, 0x00, 0x00, 0x00, 0x6c,
    0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c,
    0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x75, 0x6c, 0x02, 0x00, 0x61, 0x6c, 0x6c,
    0x6f, 0x77, 0x00, 0x00, 0x01, 0x00, 0x65, 0x00};

std::vector<Element> parse_bytes(const std::vector<unsigned char>& bytes, Result<void>& r) {
  auto buf = std::make_unique<std::byte[]>(bytes.size());  // exactly the message: ASan sees overreads
  std::memcpy(buf.get(), bytes.data(), bytes.size());
  std::vector<Element> out;
  r = parse_setelems({buf.get(), bytes.size()}, out);
  return out;
}

// Netlink attributes, as the kernel lays them out (host order headers).
void put_attr(std::vector<unsigned char>& m, std::uint16_t type, const void* data, std::size_t len) {
  const std::uint16_t hdr[2] = {static_cast<std::uint16_t>(4 + len), type};
  m.insert(m.end(), reinterpret_cast<const unsigned char*>(hdr), reinterpret_cast<const unsigned char*>(hdr) + 4);
  m.insert(m.end(), static_cast<const unsigned char*>(data), static_cast<const unsigned char*>(data) + len);
  m.resize((m.size() + 3) & ~std::size_t{3});
}
void put_nest(std::vector<unsigned char>& m, std::uint16_t type, const std::vector<unsigned char>& inner) {
  put_attr(m, type | NLA_F_NESTED, inner.data(), inner.size());
}
std::vector<unsigned char> message(const std::vector<unsigned char>& elem) {
  std::vector<unsigned char> m(16, 0);
  const unsigned char nfg[4] = {1, 0, 0, 0};  // NFPROTO_INET, NFNETLINK_V0
  m.insert(m.end(), nfg, nfg + 4);
  put_attr(m, NFTA_SET_ELEM_LIST_TABLE, "captive", 8);
  put_attr(m, NFTA_SET_ELEM_LIST_SET, "allowed", 8);
  std::vector<unsigned char> list;
  put_nest(list, NFTA_LIST_ELEM, elem);
  put_nest(m, NFTA_SET_ELEM_LIST_ELEMENTS, list);
  const std::uint32_t len = static_cast<std::uint32_t>(m.size());
  const std::uint16_t type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM;
  std::memcpy(m.data(), &len, 4);
  std::memcpy(m.data() + 4, &type, 2);
  return m;
}
std::vector<unsigned char> key(const unsigned char (&mac)[6]) {
  std::vector<unsigned char> k;
  put_attr(k, NFTA_DATA_VALUE, mac, 6);
  return k;
}
constexpr unsigned char kMac[6] = {2, 0, 0, 0, 0, 1};

TEST(MessagesRegression, AttributesLibnftnlWouldExitOnAreEinval) {
  Result<void> r;
  (void)parse_bytes({kExits.begin(), kExits.end()}, r);  // returns instead of exiting
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EINVAL);

  // NFTA_SET_ELEM_TIMEOUT of 4 bytes instead of 8.
  std::vector<unsigned char> elem;
  put_nest(elem, NFTA_SET_ELEM_KEY, key(kMac));
  const std::uint32_t short_timeout = 1000;
  put_attr(elem, NFTA_SET_ELEM_TIMEOUT, &short_timeout, 4);
  (void)parse_bytes(message(elem), r);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EINVAL);

  // A counter whose NFTA_COUNTER_BYTES is 2 bytes.
  std::vector<unsigned char> data, expr, bad;
  const std::uint16_t two = 7;
  put_attr(data, NFTA_COUNTER_BYTES, &two, 2);
  put_attr(expr, NFTA_EXPR_NAME, "counter", 8);
  put_nest(expr, NFTA_EXPR_DATA, data);
  put_nest(bad, NFTA_SET_ELEM_KEY, key(kMac));
  put_nest(bad, NFTA_SET_ELEM_EXPR, expr);
  (void)parse_bytes(message(bad), r);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EINVAL);
}

TEST(MessagesRegression, WellFormedElementStillParses) {
  std::vector<unsigned char> elem, data, expr;
  put_nest(elem, NFTA_SET_ELEM_KEY, key(kMac));
  const std::uint64_t timeout = __builtin_bswap64(60000), bytes = __builtin_bswap64(1000),
                      packets = __builtin_bswap64(10);
  put_attr(elem, NFTA_SET_ELEM_TIMEOUT, &timeout, 8);
  put_attr(data, NFTA_COUNTER_BYTES, &bytes, 8);
  put_attr(data, NFTA_COUNTER_PACKETS, &packets, 8);
  put_attr(expr, NFTA_EXPR_NAME, "counter", 8);
  put_nest(expr, NFTA_EXPR_DATA, data);
  put_nest(elem, NFTA_SET_ELEM_EXPR, expr);
  Result<void> r;
  auto out = parse_bytes(message(elem), r);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].mac.to_string(), "02:00:00:00:00:01");
  EXPECT_EQ(out[0].bytes, 1000u);
  EXPECT_EQ(out[0].packets, 10u);
}

TEST(MessagesRegression, MessageLengthOver2GiBIsRefused) {
  std::vector<unsigned char> elem;
  put_nest(elem, NFTA_SET_ELEM_KEY, key(kMac));
  auto m = message(elem);
  const std::uint32_t huge = 0x80000000u;  // passes libmnl's (int) comparison
  std::memcpy(m.data(), &huge, 4);
  Result<void> r;
  (void)parse_bytes(m, r);
  EXPECT_FALSE(r);
}

// crash-b962f281: an element holding an attribute of type 15, above
// NFTA_SET_ELEM_MAX (11). libnftnl wrote past its attribute table on the
// caller's stack: parse_setelems crashed on its own unique_ptr afterwards.
constexpr std::array<unsigned char, 136> kUnknownElementAttribute = {
    0x88, 0x00, 0x00, 0x00, 0x0c, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x01, 0x00,
    0x63, 0x61, 0x70, 0x74, 0x69, 0x76, 0x65, 0x00, 0x0c, 0x00, 0x02, 0x00,
    0x61, 0x6c, 0x6c, 0x6f, 0x77, 0x65, 0x64, 0x00, 0x5c, 0x00, 0x03, 0x80,
    0x58, 0x00, 0x01, 0x80, 0x10, 0x00, 0x01, 0x80, 0x0a, 0x00, 0x01, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x0c, 0x00, 0x04, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x05, 0x26, 0x5c, 0x00, 0x0c, 0x00, 0x05, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x41, 0x80, 0x2c, 0x00, 0x0f, 0x80,
    0x0c, 0x00, 0x01, 0x00, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x65, 0x72, 0x00,
    0x1c, 0x00, 0x02, 0x80, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x03, 0xe8, 0x0c, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x0a};

TEST(MessagesRegression, ElementAttributeAboveMaxIsEinval) {
  Result<void> r;
  (void)parse_bytes({kUnknownElementAttribute.begin(), kUnknownElementAttribute.end()}, r);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EINVAL);
}

}  // namespace
}  // namespace captive::nft
