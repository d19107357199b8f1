// The responder as a whole: a sequence of packets from one or more clients,
// each handed to Responder::handle with its own flags, copy range and time.
//
// Packets are either raw bytes or built (build_tcp_frame) from fuzzed
// fields; a built packet may take its ack from the last SYN-ACK we sent
// (cookie + 1 + delta), which a fuzzer would never guess, so the request
// path (parse_request, render_answer, the MSS split) is reached. Afterwards
// bytes may be flipped and the copy range may cut the packet short.
//
// Invariants on every output: at most kMaxFrames frames, each 1..kMaxFrameSize
// bytes; each parses back as Ethernet + IPv4/IPv6 + TCP, complete, with a
// correct TCP checksum (and IPv4 header checksum), to the client's MAC from
// ours, answering the 4-tuple it came on; and the outcome agrees with what
// was sent. TCP by the RFC: every data segment is <= the MSS the client
// advertised in the SYN its cookie came from (RFC 9293 §3.7.1; 536/1220
// without the option), however small; a SYN advertising less than 64 gets
// nothing; the data and FIN of one answer fit the window of the segment that
// asked (RFC 9293 §3.8.6); a group source MAC gets nothing.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "captive/packet/ethernet_view.hpp"
#include "captive/packet/ipv4_view.hpp"
#include "captive/packet/segment_view.hpp"
#include "captive/packet/tcp_frame.hpp"
#include "captive/packet/tcp_view.hpp"
#include "captive/responder/responder.hpp"
#include "captive/responder/syn_cookie.hpp"
#include "fuzz_check.hpp"

using namespace captive;
using namespace captive::packet;
using responder::Outcome;

namespace {

IpAddr address(FuzzedDataProvider& fdp, bool v4, bool client) {
  // Mostly the two ends of one connection, so SYN and request share a tuple.
  if (fdp.ConsumeBool()) {
    if (v4) return *IpAddr::parse(client ? "192.0.2.10" : "198.51.100.9");
    return *IpAddr::parse(client ? "2001:db8:1::10" : "2001:db8:2::9");
  }
  std::uint8_t b[16];
  for (auto& x : b) x = fdp.ConsumeIntegral<std::uint8_t>();
  return v4 ? IpAddr::v4(b) : IpAddr::v6(b);
}

// A SYN-ACK we sent, and the MSS the SYN it answered advertised.
struct Handshake {
  IpAddr src, dst;
  std::uint16_t src_port = 0, dst_port = 0;
  std::uint32_t cookie = 0;
  std::uint16_t client_mss = 0;
};

struct Sent {
  std::uint32_t syn_ack_seq = 0;
  bool have = false;
  std::vector<Handshake> handshakes;
};

// The largest MSS any SYN of this connection advertised whose cookie the
// ack may stand for; 0 when no SYN of ours explains it (a random ack that
// hit a cookie: its MSS index is then whatever the bits say).
std::uint16_t advertised_mss(const Sent& sent, const SegmentView& seg) {
  std::uint16_t mss = 0;
  for (const auto& h : sent.handshakes) {
    if (!(h.src == seg.src() && h.dst == seg.dst() && h.src_port == seg.tcp().src_port() &&
          h.dst_port == seg.tcp().dst_port()))
      continue;
    if (seg.tcp().ack() - 1 - h.cookie <= responder::kMaxAckAdvance && h.client_mss > mss) mss = h.client_mss;
  }
  return mss;
}

// Checks one output against the input that caused it; returns the ISN of a
// SYN-ACK so the next packets can acknowledge it.
void check_output(const responder::Responder& r, const responder::Packet& in, Outcome outcome,
                  const responder::Output& out, Sent& sent) {
  FUZZ_CHECK(out.count <= responder::kMaxFrames);
  FUZZ_CHECK(!in.client_mac.is_multicast() || outcome == Outcome::not_unicast);
  switch (outcome) {
    case Outcome::bad_packet:
    case Outcome::bad_checksum:
    case Outcome::ignored_ack:
    case Outcome::window_full:
    case Outcome::mss_too_small:
    case Outcome::not_unicast:
      FUZZ_CHECK(out.count == 0);
      if (outcome == Outcome::mss_too_small) {
        const auto syn = SegmentView::parse(in.l3);
        FUZZ_CHECK(syn && syn->tcp().mss() && *syn->tcp().mss() < responder::kMinServedMss);
      }
      return;
    case Outcome::syn_ack:
    case Outcome::fin_ack:
      FUZZ_CHECK(out.count == 1);
      break;
    case Outcome::reset:
    case Outcome::not_http:
      FUZZ_CHECK(out.count <= 1);
      break;
    case Outcome::answered:
    case Outcome::answered_part:
      FUZZ_CHECK(out.count >= 1);
      break;
    case Outcome::count_:
      FUZZ_CHECK(false);
  }
  (void)responder::outcome_name(outcome);
  const auto in_seg = SegmentView::parse(in.l3);
  FUZZ_CHECK(in_seg);  // anything answered was parsed
  const auto& settings = r.settings();
  const bool v4 = in_seg->is_v4();
  const std::size_t overhead = v4 ? 40 : 60;
  const std::size_t mss = responder::lan_mss(v4, settings.lan_mtu);
  std::uint32_t next_seq = 0;
  std::size_t in_window = 0;  // data and FIN of this answer
  const std::uint16_t client_mss = advertised_mss(sent, *in_seg);
  for (std::size_t i = 0; i < out.count; ++i) {
    const auto frame = out.frame(i);
    FUZZ_CHECK(frame.size() > 0 && frame.size() <= responder::kMaxFrameSize);
    auto eth = EthernetView::parse(frame);
    FUZZ_CHECK(eth);
    FUZZ_CHECK(eth->dst() == in.client_mac && eth->src() == settings.lan_mac);
    FUZZ_CHECK(eth->ether_type() == (v4 ? kEtherTypeIpv4 : kEtherTypeIpv6));
    auto seg = SegmentView::parse(eth->payload());
    FUZZ_CHECK(seg);
    FUZZ_CHECK(!seg->truncated() && seg->checksum_valid());
    FUZZ_CHECK(seg->ip_length() == eth->payload().size());
    if (v4) {
      auto ip = Ipv4View::parse(eth->payload());
      FUZZ_CHECK(ip && ip->header_checksum_valid());
    }
    FUZZ_CHECK(seg->src() == in_seg->dst() && seg->dst() == in_seg->src());
    FUZZ_CHECK(seg->tcp().src_port() == in_seg->tcp().dst_port());
    FUZZ_CHECK(seg->tcp().dst_port() == in_seg->tcp().src_port());
    // Never more data in one segment than the LAN takes.
    FUZZ_CHECK(seg->payload_length() <= mss);
    FUZZ_CHECK(seg->ip_length() <= (settings.lan_mtu > overhead + mss ? settings.lan_mtu : overhead + mss) ||
               seg->tcp().has(kTcpSyn));
    const std::uint8_t flags = seg->tcp().flags();
    switch (outcome) {
      case Outcome::syn_ack:
        FUZZ_CHECK(flags == (kTcpSyn | kTcpAck));
        FUZZ_CHECK(seg->tcp().mss().has_value());
        FUZZ_CHECK(seg->tcp().ack() == in_seg->tcp().seq() + 1);
        sent.syn_ack_seq = seg->tcp().seq();
        sent.have = true;
        if (sent.handshakes.size() < 64) {
          const auto asked = in_seg->tcp().mss();
          FUZZ_CHECK(!asked || *asked >= responder::kMinServedMss);
          sent.handshakes.push_back({in_seg->src(), in_seg->dst(), in_seg->tcp().src_port(),
                                     in_seg->tcp().dst_port(), seg->tcp().seq(),
                                     asked ? *asked : static_cast<std::uint16_t>(v4 ? 536 : 1220)});
        }
        break;
      case Outcome::reset:
      case Outcome::not_http:
        FUZZ_CHECK(flags == kTcpRst);
        FUZZ_CHECK(seg->payload_length() == 0);
        break;
      case Outcome::fin_ack:
        FUZZ_CHECK(flags == kTcpAck && seg->payload_length() == 0);
        break;
      case Outcome::answered:
      case Outcome::answered_part:
        if (seg->payload_length() == 0) {
          // All data acknowledged, only our FIN left: it goes alone.
          FUZZ_CHECK(outcome == Outcome::answered && out.count == 1 && flags == (kTcpAck | kTcpFin));
        } else {
          FUZZ_CHECK((flags & ~kTcpFin) == (kTcpAck | kTcpPsh));
        }
        // Only the last part of an answer closes it.
        FUZZ_CHECK(((flags & kTcpFin) != 0) == (outcome == Outcome::answered && i + 1 == out.count));
        // RFC 9293 §3.7.1: never more than the client asked for, however little.
        if (client_mss != 0) FUZZ_CHECK(seg->payload_length() <= client_mss);
        FUZZ_CHECK(seg->payload_length() <= responder::kMssTable.back());
        // Consecutive: each segment starts where the one before ended, the
        // first where the client's ack says.
        FUZZ_CHECK(seg->tcp().seq() == (i > 0 ? next_seq : in_seg->tcp().ack()));
        next_seq = seg->tcp().seq() + static_cast<std::uint32_t>(seg->payload_length());
        in_window += seg->payload_length() + ((flags & kTcpFin) ? 1 : 0);
        break;
      default:
        break;
    }
  }
  // RFC 9293 §3.8.6: nothing past the window the request advertised
  // (unscaled: our SYN-ACK offers no window scaling).
  if (outcome == Outcome::answered || outcome == Outcome::answered_part)
    FUZZ_CHECK(in_window <= in_seg->tcp().window());
  bool fresh = false;  // the ack is exactly cookie + 1 of this connection's SYN-ACK
  for (const auto& h : sent.handshakes)
    fresh = fresh || (h.src == in_seg->src() && h.dst == in_seg->dst() && h.src_port == in_seg->tcp().src_port() &&
                      h.dst_port == in_seg->tcp().dst_port() && in_seg->tcp().ack() - 1 == h.cookie);
  if ((outcome == Outcome::answered || outcome == Outcome::answered_part) && fresh) {
    // The first segment of a fresh answer carries the status line.
    auto seg = SegmentView::parse(EthernetView::parse(out.frame(0))->payload());
    const auto p = seg->payload();
    // (or as much of it as a tiny window takes).
    const std::size_t n = p.size() < 9 ? p.size() : 9;
    FUZZ_CHECK(n >= 1 && std::memcmp(p.data(), "HTTP/1.1 ", n) == 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);

  responder::Settings settings;
  // The daemon takes the MTU from the LAN device: anything the kernel allows.
  settings.lan_mtu = fdp.ConsumeBool() ? 1500 : fdp.ConsumeIntegral<std::uint16_t>();
  settings.portal_url_v4 = "http://192.0.2.1:8511/";
  settings.portal_url_v6 = "http://[2001:db8:1::1]:8511/";
  switch (fdp.ConsumeIntegralInRange(0, 3)) {
    case 1: settings.portal_url_v6.clear(); break;
    case 2: settings.portal_url_v4.clear(); break;
    case 3:  // --portal-url takes up to 512 bytes
      settings.portal_url_v4 = settings.portal_url_v6 =
          "http://" + fdp.ConsumeRandomLengthString(505);
      break;
    default: break;
  }
  for (auto& b : settings.cookie_key) b = fdp.ConsumeIntegral<std::uint8_t>();
  // A key of its own, as the daemon's (no input consumed: corpora keep their meaning).
  for (std::size_t i = 0; i < settings.link_key.size(); ++i)
    settings.link_key[i] = static_cast<std::uint8_t>(settings.cookie_key[i] ^ 0x5a);
  settings.lan_mac = *MacAddr::parse("02:00:00:00:00:01");
  responder::Responder r(settings);

  static responder::Output out;  // 24 KB: not on the stack
  Sent sent;
  std::uint64_t now = fdp.ConsumeIntegral<std::uint32_t>();
  const int packets = fdp.ConsumeIntegralInRange(1, 8);
  for (int n = 0; n < packets && fdp.remaining_bytes() > 0; ++n) {
    const std::uint8_t mode = fdp.ConsumeIntegral<std::uint8_t>();
    now += fdp.ConsumeIntegralInRange<std::uint64_t>(0, 200);
    std::vector<std::byte> l3;
    if (mode & 0x01) {
      l3 = fdp.ConsumeBytes<std::byte>(fdp.ConsumeIntegralInRange<std::size_t>(0, 1600));
    } else {
      const bool v4 = (mode & 0x02) != 0;
      TcpFrameSpec s;
      s.src_mac = *MacAddr::parse("02:00:00:00:00:02");
      s.src = address(fdp, v4, true);
      s.dst = address(fdp, v4, false);
      s.src_port = fdp.ConsumeBool() ? 40000 : fdp.ConsumeIntegral<std::uint16_t>();
      s.dst_port = fdp.ConsumeBool() ? 80 : fdp.ConsumeIntegral<std::uint16_t>();
      s.seq = fdp.ConsumeIntegral<std::uint32_t>();
      s.ack = fdp.ConsumeIntegral<std::uint32_t>();
      if ((mode & 0x04) && sent.have)
        s.ack = sent.syn_ack_seq + 1 + fdp.ConsumeIntegralInRange<std::uint32_t>(0, 70000);
      s.flags = fdp.ConsumeIntegral<std::uint8_t>();
      s.window = fdp.ConsumeIntegral<std::uint16_t>();
      s.mss = fdp.ConsumeBool() ? fdp.ConsumeIntegral<std::uint16_t>() : 0;
      const std::string payload = fdp.ConsumeRandomLengthString(1500);
      s.payload = std::as_bytes(std::span(payload.data(), payload.size()));
      std::vector<std::byte> frame(tcp_frame_size(s));
      if (build_tcp_frame(frame, s) == 0) continue;
      l3.assign(frame.begin() + kEthernetHeaderSize, frame.end());
    }
    if ((mode & 0x08) && !l3.empty()) {  // damage a byte (the checksum will catch most)
      const auto at = fdp.ConsumeIntegralInRange<std::size_t>(0, l3.size() - 1);
      l3[at] ^= static_cast<std::byte>(fdp.ConsumeIntegralInRange(1, 255));
    }
    // A heap copy of exactly the bytes the queue would hand over.
    std::uint32_t original = static_cast<std::uint32_t>(l3.size());
    if ((mode & 0x10) && !l3.empty()) {  // cut short by the copy range
      l3.resize(fdp.ConsumeIntegralInRange<std::size_t>(0, l3.size() - 1));
      if (mode & 0x40) original = 0;  // no NFQA_CAP_LEN: l3.size() is the length
    }
    std::vector<std::byte> exact(l3.begin(), l3.end());
    exact.shrink_to_fit();

    responder::Packet in;
    in.l3 = exact;
    in.original_length = original;
    in.client_mac = (mode & 0x20) ? *MacAddr::parse("02:00:00:00:00:02")
                                  : MacAddr{{fdp.ConsumeIntegral<std::uint8_t>(), 0, 0, 0, 0, 3}};
    in.checksum_not_ready = (mode & 0x80) != 0;
    const Outcome outcome = r.handle(in, now, out);
    check_output(r, in, outcome, out, sent);
  }
  return 0;
}
