// conntrack: which entries a revoke deletes (original source is one of the
// client's addresses), on entries built with nfct_new() as ctnetlink's
// parser fills them; and which addresses count as the client's.
#include "captive/conntrack/flows.hpp"

#include <arpa/inet.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

namespace captive::conntrack {
namespace {

using packet::IpAddr;

const IpAddr kClient4 = *IpAddr::parse("192.0.2.2");
const IpAddr kOther4 = *IpAddr::parse("192.0.2.3");
const IpAddr kUp4 = *IpAddr::parse("198.51.100.2");
const IpAddr kClient6 = *IpAddr::parse("2001:db8:1::2");
const IpAddr kPrivacy6 = *IpAddr::parse("2001:db8:1::a1b2");
const IpAddr kUp6 = *IpAddr::parse("2001:db8:2::2");

struct Freer {
  void operator()(nf_conntrack* ct) const { nfct_destroy(ct); }
};
using Entry = std::unique_ptr<nf_conntrack, Freer>;

// A TCP entry src -> dst (original direction), the reply reversed, as
// ctnetlink reports a connection the client opened.
Entry tcp_entry(const IpAddr& src, const IpAddr& dst) {
  Entry ct(nfct_new());
  const bool v4 = src.is_v4();
  nfct_set_attr_u8(ct.get(), ATTR_ORIG_L3PROTO, v4 ? AF_INET : AF_INET6);
  nfct_set_attr_u8(ct.get(), ATTR_REPL_L3PROTO, v4 ? AF_INET : AF_INET6);
  if (v4) {
    std::uint32_t s, d;
    std::memcpy(&s, src.bytes.data(), 4);
    std::memcpy(&d, dst.bytes.data(), 4);
    nfct_set_attr_u32(ct.get(), ATTR_ORIG_IPV4_SRC, s);
    nfct_set_attr_u32(ct.get(), ATTR_ORIG_IPV4_DST, d);
    nfct_set_attr_u32(ct.get(), ATTR_REPL_IPV4_SRC, d);
    nfct_set_attr_u32(ct.get(), ATTR_REPL_IPV4_DST, s);
  } else {
    nfct_set_attr(ct.get(), ATTR_ORIG_IPV6_SRC, src.bytes.data());
    nfct_set_attr(ct.get(), ATTR_ORIG_IPV6_DST, dst.bytes.data());
    nfct_set_attr(ct.get(), ATTR_REPL_IPV6_SRC, dst.bytes.data());
    nfct_set_attr(ct.get(), ATTR_REPL_IPV6_DST, src.bytes.data());
  }
  nfct_set_attr_u8(ct.get(), ATTR_ORIG_L4PROTO, IPPROTO_TCP);
  nfct_set_attr_u16(ct.get(), ATTR_ORIG_PORT_SRC, htons(40000));
  nfct_set_attr_u16(ct.get(), ATTR_ORIG_PORT_DST, htons(80));
  return ct;
}

TEST(OriginalSource, ClientsOwnConnections) {
  const std::vector<IpAddr> client{kClient4, kClient6, kPrivacy6};
  EXPECT_TRUE(original_source_in(tcp_entry(kClient4, kUp4).get(), client));
  EXPECT_TRUE(original_source_in(tcp_entry(kClient6, kUp6).get(), client));
  EXPECT_TRUE(original_source_in(tcp_entry(kPrivacy6, kUp6).get(), client));
}

TEST(OriginalSource, NotTheClients) {
  const std::vector<IpAddr> client{kClient4, kClient6};
  // Another client's connection.
  EXPECT_FALSE(original_source_in(tcp_entry(kOther4, kUp4).get(), client));
  // A connection *to* the client (its address is the original destination):
  // not one it opened; the set decides about those.
  EXPECT_FALSE(original_source_in(tcp_entry(kUp4, kClient4).get(), client));
  EXPECT_FALSE(original_source_in(tcp_entry(kUp6, kClient6).get(), client));
  // No addresses: nothing matches.
  EXPECT_FALSE(original_source_in(tcp_entry(kClient4, kUp4).get(), {}));
  // An entry without a tuple.
  Entry empty(nfct_new());
  EXPECT_FALSE(original_source_in(empty.get(), client));
}

TEST(OriginalDestination, TheRoutersOwnAddressesAreSpared) {
  const IpAddr router4 = *IpAddr::parse("192.0.2.1");
  const IpAddr router6 = *IpAddr::parse("2001:db8:1::1");
  const std::vector<IpAddr> local{router4, router6};
  EXPECT_TRUE(original_destination_in(tcp_entry(kClient4, router4).get(), local));
  EXPECT_TRUE(original_destination_in(tcp_entry(kClient6, router6).get(), local));
  EXPECT_FALSE(original_destination_in(tcp_entry(kClient4, kUp4).get(), local));
  EXPECT_FALSE(original_destination_in(tcp_entry(kClient6, kUp6).get(), local));
  EXPECT_FALSE(original_destination_in(tcp_entry(kClient4, router4).get(), {}));
  Entry empty(nfct_new());
  EXPECT_FALSE(original_destination_in(empty.get(), local));
}

// The same 4 bytes in the other family are another address: 192.0.2.2 is
// not c000:202::.
TEST(OriginalSource, FamilyMatters) {
  std::uint8_t v6_bytes[16] = {192, 0, 2, 2};
  const IpAddr look_alike = IpAddr::v6(v6_bytes);
  EXPECT_FALSE(original_source_in(tcp_entry(kClient4, kUp4).get(), std::vector<IpAddr>{look_alike}));
  EXPECT_FALSE(original_source_in(tcp_entry(look_alike, kUp6).get(), std::vector<IpAddr>{kClient4}));
}

// Random addresses: an entry matches exactly when its source is in the list.
TEST(OriginalSource, RandomisedAgreesWithTheList) {
  std::mt19937 rng(9);
  for (int round = 0; round < 2000; ++round) {
    std::vector<IpAddr> list;
    const int n = static_cast<int>(rng() % 4);
    auto random_addr = [&rng]() {
      std::uint8_t b[16];
      for (auto& x : b) x = static_cast<std::uint8_t>(rng() % 3);  // small alphabet: collisions happen
      return (rng() % 2) ? IpAddr::v4(b) : IpAddr::v6(b);
    };
    for (int i = 0; i < n; ++i) list.push_back(random_addr());
    IpAddr src = random_addr();
    IpAddr dst = src.is_v4() ? kUp4 : kUp6;
    bool expected = std::find(list.begin(), list.end(), src) != list.end();
    EXPECT_EQ(original_source_in(tcp_entry(src, dst).get(), list), expected) << src.to_string();
  }
}

TEST(ClientAddresses, SignedInFromFirstThenNeighboursOnce) {
  const std::vector<IpAddr> neighbours{kClient6, kClient4, kPrivacy6, kClient6};
  auto all = client_addresses(kClient4, neighbours);
  EXPECT_EQ(all, (std::vector<IpAddr>{kClient4, kClient6, kPrivacy6}));
}

TEST(ClientAddresses, MappedIpv4IsIpv4) {
  // The portal's dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d;
  // conntrack keeps IPv4 connections as IPv4.
  std::uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 2};
  auto all = client_addresses(IpAddr::v6(mapped), {});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], kClient4);
  EXPECT_TRUE(original_source_in(tcp_entry(kClient4, kUp4).get(), all));
}

TEST(ClientAddresses, NoneKnown) {
  EXPECT_TRUE(client_addresses(std::nullopt, {}).empty());
}

}  // namespace
}  // namespace captive::conntrack
