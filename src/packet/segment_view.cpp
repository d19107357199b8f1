#include "captive/packet/segment_view.hpp"

#include "captive/packet/byte_order.hpp"
#include "captive/packet/checksum.hpp"
#include "captive/packet/ipv4_view.hpp"
#include "captive/packet/ipv6_view.hpp"

namespace captive::packet {

ParseResult<SegmentView> SegmentView::parse(std::span<const std::byte> l3) {
  if (l3.empty()) return ParseError::truncated;
  SegmentView s;
  std::span<const std::byte> upper;
  const auto version = load_u8(l3.data()) >> 4;
  if (version == 4) {
    auto ip = Ipv4View::parse(l3);
    if (!ip) return ip.error();
    if (ip->protocol() != kIpProtoTcp) return ParseError::not_tcp;
    // RFC 791: only the fragment at offset 0 holds the TCP header.
    if (ip->fragment_offset() != 0) return ParseError::fragment;
    s.src_ = ip->src();
    s.dst_ = ip->dst();
    s.tcp_length_ = ip->payload_length();
    s.ip_length_ = ip->total_length();
    upper = ip->payload();
  } else if (version == 6) {
    auto ip = Ipv6View::parse(l3);
    if (!ip) return ip.error();
    if (ip->is_later_fragment()) return ParseError::fragment;
    if (ip->upper_protocol() != kIpProtoTcp) return ParseError::not_tcp;
    s.src_ = ip->src();
    s.dst_ = ip->dst();
    s.tcp_length_ = ip->upper_length();
    s.ip_length_ = kIpv6HeaderSize + ip->payload_length();
    upper = ip->upper();
  } else {
    return ParseError::bad_version;
  }
  auto tcp = TcpView::parse(upper);
  if (!tcp) {
    // A header the IP layer says is longer than the packet is malformed,
    // not merely cut short by the copy range.
    if (tcp.error() == ParseError::truncated && upper.size() >= s.tcp_length_)
      return ParseError::bad_data_offset;
    return tcp.error();
  }
  if (tcp->header_length() > s.tcp_length_) return ParseError::bad_data_offset;
  s.tcp_ = *tcp;
  return s;
}

bool SegmentView::checksum_valid() const {
  if (truncated()) return false;
  return tcp_checksum_valid(src_, dst_, tcp_.bytes());
}

}  // namespace captive::packet
