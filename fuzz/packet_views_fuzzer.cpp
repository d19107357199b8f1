// The packet views over arbitrary bytes: Ethernet, IPv4, IPv6 (extension
// header walk), TCP (options, MSS), and SegmentView, which the responder
// parses every queued packet with. Checks the views stay inside the input
// and agree with the lengths they declare, and that a complete segment
// survives a rebuild with build_tcp_frame (the responder's builder).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "captive/packet/checksum.hpp"
#include "captive/packet/ethernet_view.hpp"
#include "captive/packet/ipv4_view.hpp"
#include "captive/packet/ipv6_view.hpp"
#include "captive/packet/segment_view.hpp"
#include "captive/packet/tcp_frame.hpp"
#include "captive/packet/tcp_view.hpp"
#include "fuzz_check.hpp"

using namespace captive::packet;

namespace {

bool inside(std::span<const std::byte> part, std::span<const std::byte> whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void check_ipv4(std::span<const std::byte> in) {
  auto v = Ipv4View::parse(in);
  if (!v) {
    (void)parse_error_name(v.error());
    return;
  }
  FUZZ_CHECK(v->header_length() >= kIpv4MinHeaderSize && v->header_length() <= 60);
  FUZZ_CHECK(v->total_length() >= v->header_length());
  FUZZ_CHECK(inside(v->header(), in) && inside(v->payload(), in));
  FUZZ_CHECK(v->payload().size() <= v->payload_length());
  if (!v->truncated()) FUZZ_CHECK(v->payload().size() == v->payload_length());
  (void)v->identification(), (void)v->dont_fragment(), (void)v->more_fragments();
  (void)v->fragment_offset(), (void)v->ttl(), (void)v->protocol();
  (void)v->src().to_string(), (void)v->dst().to_string();
  (void)v->header_checksum_valid();
}

void check_ipv6(std::span<const std::byte> in) {
  auto v = Ipv6View::parse(in);
  if (!v) return;
  FUZZ_CHECK(v->upper_offset() >= kIpv6HeaderSize);
  FUZZ_CHECK(v->upper_offset() <= kIpv6HeaderSize + v->payload_length());
  FUZZ_CHECK(inside(v->upper(), in));
  FUZZ_CHECK(v->upper().size() <= v->upper_length());
  if (!v->truncated()) FUZZ_CHECK(v->upper().size() == v->upper_length());
  (void)v->traffic_class(), (void)v->flow_label(), (void)v->hop_limit(), (void)v->next_header();
  (void)v->src().to_string(), (void)v->dst().to_string();
  (void)v->has_fragment_header(), (void)v->is_later_fragment(), (void)v->upper_protocol();
}

void check_tcp(std::span<const std::byte> in) {
  auto v = TcpView::parse(in);
  if (!v) return;
  FUZZ_CHECK(v->header_length() >= kTcpMinHeaderSize && v->header_length() <= kTcpMaxHeaderSize);
  FUZZ_CHECK(v->header_length() <= in.size());
  FUZZ_CHECK(v->src_port() != 0 && v->dst_port() != 0);
  FUZZ_CHECK(v->options().size() == v->header_length() - kTcpMinHeaderSize);
  FUZZ_CHECK(inside(v->options(), in) && inside(v->payload(), in));
  (void)v->mss(), (void)v->seq(), (void)v->ack(), (void)v->flags(), (void)v->window();
  (void)v->checksum(), (void)v->urgent_pointer();
}

void check_segment(std::span<const std::byte> in) {
  auto s = SegmentView::parse(in);
  if (!s) return;
  const TcpView& tcp = s->tcp();
  FUZZ_CHECK(s->src().family == s->dst().family);
  FUZZ_CHECK(s->tcp_length() >= tcp.header_length());
  FUZZ_CHECK(s->ip_length() >= s->tcp_length());
  FUZZ_CHECK(inside(tcp.bytes(), in) && inside(s->payload(), in));
  FUZZ_CHECK(s->payload().size() <= s->payload_length());
  FUZZ_CHECK(tcp.bytes().size() <= s->tcp_length());
  const bool valid = s->checksum_valid();
  if (s->truncated()) {
    FUZZ_CHECK(!valid);
    return;
  }

  // Rebuild what the view shows (without options but the MSS) and parse it
  // back: the builder and the views must agree field by field.
  TcpFrameSpec spec;
  spec.src = s->src();
  spec.dst = s->dst();
  spec.src_port = tcp.src_port();
  spec.dst_port = tcp.dst_port();
  spec.seq = tcp.seq();
  spec.ack = tcp.ack();
  spec.flags = tcp.flags();
  spec.window = tcp.window();
  spec.mss = tcp.mss().value_or(0);
  spec.payload = s->payload();
  std::vector<std::byte> frame(tcp_frame_size(spec));
  const std::size_t n = build_tcp_frame(frame, spec);
  if (n == 0) return;  // over 65535 bytes of IP packet
  FUZZ_CHECK(n == frame.size());
  auto eth = EthernetView::parse(frame);
  FUZZ_CHECK(eth);
  FUZZ_CHECK(eth->ether_type() == (s->is_v4() ? kEtherTypeIpv4 : kEtherTypeIpv6));
  auto back = SegmentView::parse(eth->payload());
  FUZZ_CHECK(back);
  FUZZ_CHECK(!back->truncated() && back->checksum_valid());
  FUZZ_CHECK(back->src() == s->src() && back->dst() == s->dst());
  FUZZ_CHECK(back->tcp().src_port() == tcp.src_port() && back->tcp().dst_port() == tcp.dst_port());
  FUZZ_CHECK(back->tcp().seq() == tcp.seq() && back->tcp().ack() == tcp.ack());
  FUZZ_CHECK(back->tcp().flags() == tcp.flags() && back->tcp().window() == tcp.window());
  FUZZ_CHECK(back->tcp().mss() == (spec.mss ? tcp.mss() : std::nullopt));
  FUZZ_CHECK(back->payload_length() == s->payload_length());
  FUZZ_CHECK(back->payload().size() == s->payload().size() &&
             (s->payload().empty() ||
              std::memcmp(back->payload().data(), s->payload().data(), s->payload().size()) == 0));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A heap copy of exactly `size` bytes, so ASan sees any read past the end.
  std::vector<std::byte> copy(size);
  if (size != 0) std::memcpy(copy.data(), data, size);
  const std::span<const std::byte> in(copy);

  if (auto eth = EthernetView::parse(in)) {
    (void)eth->dst().to_string(), (void)eth->src().is_multicast();
    FUZZ_CHECK(eth->payload().size() + kEthernetHeaderSize == in.size());
    check_segment(eth->payload());
  }
  check_ipv4(in);
  check_ipv6(in);
  check_tcp(in);
  check_segment(in);
  // The checksum of data that holds its own checksum is 0 (RFC 1071).
  if (size >= 2 && size % 2 == 0) {
    std::vector<std::byte> summed(copy);
    summed[0] = summed[1] = std::byte{0};
    const std::uint16_t sum = internet_checksum(summed);
    summed[0] = static_cast<std::byte>(sum >> 8);
    summed[1] = static_cast<std::byte>(sum & 0xff);
    FUZZ_CHECK(internet_checksum(summed) == 0);
  }
  return 0;
}
