// How long a session end's conntrack cut takes (conntrack::Conntrack::cut:
// one dump of the whole table, one delete per match) against the size of
// the table. Run as root inside a network namespace of its own, e.g.
//   ip netns add ctb && ip netns exec ctb build/bench-conntrack-cut 1000 10000 50000; ip netns del ctb
// It fills the namespace's table with ESTABLISHED TCP entries from
// documentation-range sources (NFCT_Q_CREATE) and cuts one client's 20,
// five times per size (putting them back in between).
#include <arpa/inet.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "captive/conntrack/flows.hpp"

namespace {

bool create(nfct_handle* h, std::uint32_t src_host, std::uint16_t sport) {
  nf_conntrack* ct = nfct_new();
  std::uint32_t src = htonl(src_host), dst = htonl(0xcb0071feu);  // 203.0.113.254
  nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
  nfct_set_attr_u32(ct, ATTR_IPV4_SRC, src);
  nfct_set_attr_u32(ct, ATTR_IPV4_DST, dst);
  nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_TCP);
  nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(sport));
  nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(80));
  nfct_setobjopt(ct, NFCT_SOPT_SETUP_REPLY);
  nfct_set_attr_u8(ct, ATTR_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
  nfct_set_attr_u32(ct, ATTR_TIMEOUT, 600);
  bool ok = nfct_query(h, NFCT_Q_CREATE, ct) == 0;
  nfct_destroy(ct);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  nfct_handle* h = nfct_open(CONNTRACK, 0);
  if (!h) return std::perror("nfct_open"), 1;
  auto cutter = captive::conntrack::Conntrack::open();
  if (!cutter) return std::fprintf(stderr, "%s\n", cutter.error().message().c_str()), 1;
  // The five clients cut: 192.0.2.2-6, 20 entries each. The rest: sources
  // in 198.51.100.0/24 and 203.0.113.0/24, a source port per entry.
  std::size_t have = 0;
  for (std::uint32_t c = 0; c < 5; ++c)
    for (std::uint16_t p = 0; p < 20; ++p)
      if (create(h, 0xc0000202u + c, static_cast<std::uint16_t>(10000 + p))) ++have;
  std::uint32_t next = 0;
  for (int a = 1; a < argc; ++a) {
    std::size_t want = std::strtoul(argv[a], nullptr, 10);
    for (; have < want; ++next) {
      std::uint32_t slot = next % 508;
      std::uint32_t host = slot < 254 ? 0xc6336401u + slot : 0xcb007101u + (slot - 254);
      if (!create(h, host, static_cast<std::uint16_t>(1024 + next / 508))) return std::perror("create"), 1;
      ++have;
    }
    std::vector<double> ms;
    for (int round = 0; round < 5; ++round) {
      std::uint32_t host = 0xc0000200u + 2 + static_cast<std::uint32_t>(round);
      std::uint8_t b[4];
      std::uint32_t be = htonl(host);
      std::memcpy(b, &be, 4);
      std::vector<captive::packet::IpAddr> sources{captive::packet::IpAddr::v4(b)};
      auto t0 = std::chrono::steady_clock::now();
      auto report = cutter->cut(sources, {});
      auto t1 = std::chrono::steady_clock::now();
      if (!report) return std::fprintf(stderr, "%s\n", report.error().message().c_str()), 1;
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      have -= report->deleted;
      for (std::uint16_t p = 0; p < 20; ++p)  // put them back: the same table size for the next round
        if (create(h, host, static_cast<std::uint16_t>(10000 + p))) ++have;
    }
    std::sort(ms.begin(), ms.end());
    std::printf("table %zu entries: cut of one client's 20: median %.2f ms, max %.2f ms\n", have, ms[2], ms[4]);
    std::fflush(stdout);
  }
  nfct_close(h);
  return 0;
}
