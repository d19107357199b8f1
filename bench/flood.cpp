// SYN flooder for scripts/bench: raw Ethernet frames through AF_PACKET, from
// random locally administered source MACs and random source addresses in
// 192.0.2.0/24, to one destination (the gateway's MAC, an address:port
// behind it). Bounded by --count and --seconds, whichever comes first.
// Only ever run inside a network namespace made by scripts/bench.
//
//   flood --ifname eth0 --dst-mac 02:00:00:00:01:01 --dst-ip 198.51.100.2
//         [--dst-port 80] [--count N] [--seconds S] [--macs N]
//
// Prints one JSON line: {"sent": N, "seconds": S, "pps": R, "errors": E}.
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Rng {  // xorshift64*: fast, good enough for spoofed headers
  std::uint64_t s;
  std::uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
};

std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t acc = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) acc += (std::uint32_t(p[i]) << 8) | p[i + 1];
  if (n & 1) acc += std::uint32_t(p[n - 1]) << 8;
  return acc;
}
std::uint16_t fold(std::uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(~acc);
}

bool parse_mac(const char* s, std::uint8_t out[6]) {
  unsigned v[6];
  if (std::sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return false;
  for (int i = 0; i < 6; ++i) out[i] = static_cast<std::uint8_t>(v[i]);
  return true;
}

constexpr std::size_t kFrame = 14 + 20 + 24;  // Ethernet + IPv4 + TCP with the MSS option
constexpr int kBatch = 256;

}  // namespace

int main(int argc, char** argv) {
  std::string ifname = "eth0";
  std::uint8_t dst_mac[6] = {};
  in_addr dst_ip{};
  std::uint16_t dst_port = 80;
  unsigned long long count = 100000;
  double seconds = 5;
  unsigned macs = 65536;
  bool have_mac = false, have_ip = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--ifname") ifname = v;
    else if (k == "--dst-mac") have_mac = parse_mac(v, dst_mac);
    else if (k == "--dst-ip") have_ip = inet_pton(AF_INET, v, &dst_ip) == 1;
    else if (k == "--dst-port") dst_port = static_cast<std::uint16_t>(std::atoi(v));
    else if (k == "--count") count = std::strtoull(v, nullptr, 10);
    else if (k == "--seconds") seconds = std::atof(v);
    else if (k == "--macs") macs = static_cast<unsigned>(std::atoi(v));
    else { std::fprintf(stderr, "flood: unknown flag %s\n", k.c_str()); return 2; }
  }
  if (!have_mac || !have_ip || macs == 0 || seconds <= 0 || seconds > 600) {
    std::fprintf(stderr, "flood: need --dst-mac, --dst-ip; --seconds in (0, 600]\n");
    return 2;
  }
  const unsigned ifindex = if_nametoindex(ifname.c_str());
  if (ifindex == 0) { std::perror("flood: if_nametoindex"); return 1; }
  const int fd = socket(AF_PACKET, SOCK_RAW, 0);  // protocol 0: we never receive
  if (fd < 0) { std::perror("flood: socket"); return 1; }
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = static_cast<int>(ifindex);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) { std::perror("flood: bind"); return 1; }
  const int one = 1;
  (void)setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);

  Rng rng{static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1};
  // A pool of source MACs: random, locally administered, unicast. Bounded so
  // the bridge's forwarding database stays bounded too.
  std::vector<std::uint8_t> pool(static_cast<std::size_t>(macs) * 6);
  for (unsigned m = 0; m < macs; ++m) {
    std::uint64_t r = rng.next();
    for (int b = 0; b < 6; ++b) pool[m * 6 + b] = static_cast<std::uint8_t>(r >> (8 * b));
    pool[m * 6] = static_cast<std::uint8_t>((pool[m * 6] & 0xfc) | 0x02);
  }

  std::vector<std::uint8_t> frames(kBatch * kFrame);
  iovec iov[kBatch];
  mmsghdr msgs[kBatch];
  for (int i = 0; i < kBatch; ++i) {
    std::uint8_t* f = &frames[i * kFrame];
    std::memcpy(f, dst_mac, 6);
    f[12] = 0x08; f[13] = 0x00;
    std::uint8_t* ip = f + 14;
    ip[0] = 0x45; ip[1] = 0; ip[2] = 0; ip[3] = 44;  // total length 20 + 24
    ip[6] = 0x40; ip[7] = 0; ip[8] = 64; ip[9] = 6;    // DF, TTL 64, TCP
    ip[12] = 192; ip[13] = 0; ip[14] = 2;
    std::memcpy(ip + 16, &dst_ip, 4);
    std::uint8_t* tcp = ip + 20;
    tcp[2] = static_cast<std::uint8_t>(dst_port >> 8); tcp[3] = static_cast<std::uint8_t>(dst_port);
    tcp[8] = tcp[9] = tcp[10] = tcp[11] = 0;           // ack 0
    tcp[12] = 6 << 4; tcp[13] = 0x02;                  // data offset 24 bytes, SYN
    tcp[14] = 0xfa; tcp[15] = 0xf0;                    // window 64240
    tcp[18] = tcp[19] = 0;
    tcp[20] = 2; tcp[21] = 4; tcp[22] = 0x05; tcp[23] = 0xb4;  // MSS 1460
    iov[i] = {f, kFrame};
    std::memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }

  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  unsigned long long sent = 0, errors = 0;
  std::uint16_t ip_id = 1;
  while (sent < count) {
    const int n = static_cast<int>(count - sent < kBatch ? count - sent : kBatch);
    for (int i = 0; i < n; ++i) {
      std::uint8_t* f = &frames[i * kFrame];
      const std::uint64_t r = rng.next();
      std::memcpy(f + 6, &pool[(r % macs) * 6], 6);
      std::uint8_t* ip = f + 14;
      // 192.0.2.4 .. 192.0.2.254: not the gateway (.1) or the real clients (.2, .3)
      ip[15] = static_cast<std::uint8_t>(4 + (r >> 32) % 251);
      ip[4] = static_cast<std::uint8_t>(ip_id >> 8); ip[5] = static_cast<std::uint8_t>(ip_id); ++ip_id;
      ip[10] = ip[11] = 0;
      const std::uint16_t ics = fold(sum16(ip, 20));
      ip[10] = static_cast<std::uint8_t>(ics >> 8); ip[11] = static_cast<std::uint8_t>(ics);
      std::uint8_t* tcp = ip + 20;
      const std::uint16_t sport = static_cast<std::uint16_t>(1024 + (r >> 40) % 64000);
      tcp[0] = static_cast<std::uint8_t>(sport >> 8); tcp[1] = static_cast<std::uint8_t>(sport);
      const std::uint32_t seq = static_cast<std::uint32_t>(rng.next());
      std::memcpy(tcp + 4, &seq, 4);
      tcp[16] = tcp[17] = 0;
      std::uint32_t acc = sum16(ip + 12, 8);  // pseudo header: addresses, protocol, length
      acc += 6 + 24;
      const std::uint16_t tcs = fold(sum16(tcp, 24, acc));
      tcp[16] = static_cast<std::uint8_t>(tcs >> 8); tcp[17] = static_cast<std::uint8_t>(tcs);
    }
    const int m = sendmmsg(fd, msgs, static_cast<unsigned>(n), 0);
    if (m < 0) ++errors; else sent += static_cast<unsigned long long>(m);
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"sent\": %llu, \"seconds\": %.3f, \"pps\": %.0f, \"errors\": %llu}\n", sent, took,
              took > 0 ? static_cast<double>(sent) / took : 0.0, errors);
  close(fd);
  return 0;
}
