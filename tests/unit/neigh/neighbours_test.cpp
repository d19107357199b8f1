// neigh: request builders round-trip through libmnl; match_neighbour is fed
// RTM_NEWNEIGH messages shaped like neigh_fill_info()'s.
#include "captive/neigh/neighbours.hpp"

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <random>
#include <vector>

namespace captive::neigh {
namespace {

using packet::IpAddr;
using packet::MacAddr;

struct Buffer {
  alignas(nlmsghdr) std::array<std::byte, 512> bytes{};
  const nlmsghdr* nlh() const { return reinterpret_cast<const nlmsghdr*>(bytes.data()); }
  std::span<const std::byte> view(std::size_t len) const { return {bytes.data(), len}; }
};

const IpAddr kClient4 = *IpAddr::parse("192.0.2.2");
const IpAddr kClient6 = *IpAddr::parse("2001:db8:1::2");
const MacAddr kMac = *MacAddr::parse("02:00:00:00:00:02");

ndmsg ndm_of(const nlmsghdr* nlh) {
  ndmsg ndm;
  std::memcpy(&ndm, mnl_nlmsg_get_payload(nlh), sizeof(ndm));
  return ndm;
}

TEST(Requests, GetRoundTrip) {
  for (const IpAddr& addr : {kClient4, kClient6}) {
    Buffer buf;
    const std::size_t len = build_get_request(buf.bytes, 7, addr, 31);
    ASSERT_GT(len, 0u);
    const nlmsghdr* nlh = buf.nlh();
    ASSERT_TRUE(mnl_nlmsg_ok(nlh, static_cast<int>(len)));
    EXPECT_EQ(nlh->nlmsg_type, RTM_GETNEIGH);
    EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);  // no NLM_F_DUMP
    EXPECT_EQ(nlh->nlmsg_seq, 31u);
    const ndmsg ndm = ndm_of(nlh);
    EXPECT_EQ(ndm.ndm_family, addr.is_v4() ? AF_INET : AF_INET6);
    EXPECT_EQ(ndm.ndm_ifindex, 7);
    // neigh_valid_get_req() rejects anything else set in the header.
    EXPECT_EQ(ndm.ndm_state, 0);
    EXPECT_EQ(ndm.ndm_flags, 0);
    EXPECT_EQ(ndm.ndm_type, 0);
    int count = 0;
    const nlattr* dst = nullptr;
    const auto cb = [](const nlattr* attr, void* data) -> int {
      auto* d = static_cast<std::pair<int*, const nlattr**>*>(data);
      ++*d->first;
      if (mnl_attr_get_type(attr) == NDA_DST) *d->second = attr;
      return MNL_CB_OK;
    };
    std::pair<int*, const nlattr**> ctx{&count, &dst};
    ASSERT_GE(mnl_attr_parse(nlh, sizeof(ndmsg), cb, &ctx), MNL_CB_OK);
    EXPECT_EQ(count, 1);  // NDA_DST is the only attribute allowed
    ASSERT_NE(dst, nullptr);
    ASSERT_EQ(mnl_attr_get_payload_len(dst), addr.size());
    EXPECT_EQ(std::memcmp(mnl_attr_get_payload(dst), addr.bytes.data(), addr.size()), 0);
  }
}

TEST(Requests, Dump) {
  Buffer buf;
  const std::size_t len = build_dump_request(buf.bytes, IpAddr::Family::v6, 5);
  ASSERT_EQ(len, mnl_nlmsg_size(sizeof(ndmsg)));
  EXPECT_EQ(buf.nlh()->nlmsg_type, RTM_GETNEIGH);
  EXPECT_EQ(buf.nlh()->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ(ndm_of(buf.nlh()).ndm_family, AF_INET6);
}

TEST(Requests, RefuseShortBuffer) {
  alignas(nlmsghdr) std::array<std::byte, kRequestSize - 1> small{};
  EXPECT_EQ(build_get_request(small, 1, kClient6, 1), 0u);
  EXPECT_EQ(build_dump_request(small, IpAddr::Family::v4, 1), 0u);
}

struct FakeNeigh {
  int family = AF_INET;
  int ifindex = 7;
  std::uint16_t state = NUD_REACHABLE;
  std::vector<std::uint8_t> dst{192, 0, 2, 2};
  std::vector<std::uint8_t> lladdr{2, 0, 0, 0, 0, 2};
  bool with_lladdr = true;
  std::uint16_t type = RTM_NEWNEIGH;

  std::size_t build(Buffer& buf) const {
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.bytes.data());
    nlh->nlmsg_type = type;
    auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
    ndm->ndm_family = static_cast<std::uint8_t>(family);
    ndm->ndm_ifindex = ifindex;
    ndm->ndm_state = state;
    mnl_attr_put(nlh, NDA_DST, dst.size(), dst.data());
    if (with_lladdr) mnl_attr_put(nlh, NDA_LLADDR, lladdr.size(), lladdr.data());
    mnl_attr_put_u32(nlh, NDA_PROBES, 0);
    return nlh->nlmsg_len;
  }
};

TEST(Match, UsableStates) {
  for (std::uint16_t state : {NUD_REACHABLE, NUD_STALE, NUD_DELAY, NUD_PROBE, NUD_PERMANENT,
                              NUD_NOARP}) {
    FakeNeigh n;
    n.state = state;
    Buffer buf;
    EXPECT_EQ(match_neighbour(buf.view(n.build(buf)), 7, kClient4), kMac) << state;
  }
}

TEST(Match, UnusableStates) {
  for (std::uint16_t state : {NUD_NONE, NUD_INCOMPLETE, NUD_FAILED}) {
    FakeNeigh n;
    n.state = state;
    Buffer buf;
    EXPECT_FALSE(match_neighbour(buf.view(n.build(buf)), 7, kClient4)) << state;
  }
}

TEST(Match, Ipv6) {
  FakeNeigh n;
  n.family = AF_INET6;
  n.dst.assign(kClient6.bytes.begin(), kClient6.bytes.end());
  Buffer buf;
  const std::size_t len = n.build(buf);
  EXPECT_EQ(match_neighbour(buf.view(len), 7, kClient6), kMac);
  EXPECT_FALSE(match_neighbour(buf.view(len), 7, kClient4));
}

TEST(Match, Mismatches) {
  const auto no = [](FakeNeigh n) {
    Buffer buf;
    return !match_neighbour(buf.view(n.build(buf)), 7, kClient4).has_value();
  };
  FakeNeigh n;
  n.ifindex = 8;
  EXPECT_TRUE(no(n));
  n = {};
  n.dst = {192, 0, 2, 3};
  EXPECT_TRUE(no(n));
  n = {};
  n.family = AF_INET6;
  EXPECT_TRUE(no(n));
  n = {};
  n.with_lladdr = false;
  EXPECT_TRUE(no(n));
  n = {};
  n.lladdr = {1, 2, 3, 4, 5, 6, 7, 8};  // not Ethernet
  EXPECT_TRUE(no(n));
  n = {};
  n.type = RTM_DELNEIGH;
  EXPECT_TRUE(no(n));
}

TEST(Match, TruncationAndDamage) {
  FakeNeigh n;
  Buffer good;
  const std::size_t len = n.build(good);
  for (std::size_t cut = 0; cut < len; ++cut) {
    std::vector<std::byte> copy(good.bytes.begin(), good.bytes.begin() + static_cast<long>(cut));
    EXPECT_FALSE(match_neighbour(copy, 7, kClient4)) << cut;
  }
  std::mt19937 rng(11);
  for (int i = 0; i < 20000; ++i) {
    Buffer buf = good;
    buf.bytes[4 + rng() % (len - 4)] = static_cast<std::byte>(rng());
    (void)match_neighbour(buf.view(len), 7, kClient4);
  }
}

// parse_neighbour: one entry of a dump (captivectl list --all), any address.
TEST(ParseNeighbour, AddressAndMacOfUsableEntriesOnTheDevice) {
  FakeNeigh n;
  Buffer buf;
  auto got = parse_neighbour(buf.view(n.build(buf)), 7);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->ip, kClient4);
  EXPECT_EQ(got->mac, kMac);
  n.family = AF_INET6;
  n.dst.assign(kClient6.bytes.begin(), kClient6.bytes.end());
  got = parse_neighbour(buf.view(n.build(buf)), 7);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->ip, kClient6);
  const auto no = [](FakeNeigh bad) {
    Buffer b;
    return !parse_neighbour(b.view(bad.build(b)), 7).has_value();
  };
  n = {};
  n.ifindex = 8;
  EXPECT_TRUE(no(n));
  for (std::uint16_t state : {NUD_NONE, NUD_INCOMPLETE, NUD_FAILED}) {
    n = {};
    n.state = state;
    EXPECT_TRUE(no(n)) << state;
  }
  n = {};
  n.family = AF_INET6;  // 4-byte address in an IPv6 entry
  EXPECT_TRUE(no(n));
  n = {};
  n.with_lladdr = false;
  EXPECT_TRUE(no(n));
  n = {};
  n.type = RTM_DELNEIGH;
  EXPECT_TRUE(no(n));
  Buffer good;
  const std::size_t len = FakeNeigh{}.build(good);
  for (std::size_t cut = 0; cut < len; ++cut) {
    std::vector<std::byte> copy(good.bytes.begin(), good.bytes.begin() + static_cast<long>(cut));
    EXPECT_FALSE(parse_neighbour(copy, 7)) << cut;
  }
}

// The real kernel, read only: nobody has a neighbour entry on lo, so the
// per-address get answers ENOENT, which is "no entry", not an error.
TEST(NeighbourTable, LoopbackHasNoNeighbours) {
  auto table = NeighbourTable::open(static_cast<int>(if_nametoindex("lo")));
  ASSERT_TRUE(table) << table.error().message();
  for (const IpAddr& addr : {kClient4, kClient6, *IpAddr::parse("::ffff:192.0.2.2")}) {
    auto r = table->lookup(addr);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_FALSE(r->has_value());
  }
  NeighbourTable moved = std::move(*table);
  auto r = moved.lookup(kClient4);
  ASSERT_TRUE(r) << r.error().message();
}

}  // namespace
}  // namespace captive::neigh
