#include "captive/packet/tcp_frame.hpp"

#include <cstring>

#include "captive/packet/byte_order.hpp"
#include "captive/packet/checksum.hpp"
#include "captive/packet/ethernet_view.hpp"
#include "captive/packet/ipv4_view.hpp"
#include "captive/packet/ipv6_view.hpp"
#include "captive/packet/tcp_view.hpp"

namespace captive::packet {
namespace {

std::size_t tcp_header_size(const TcpFrameSpec& spec) {
  return kTcpMinHeaderSize + (spec.mss != 0 ? 4 : 0);
}

std::size_t ip_header_size(const TcpFrameSpec& spec) {
  return spec.src.is_v4() ? kIpv4MinHeaderSize : kIpv6HeaderSize;
}

}  // namespace

std::size_t tcp_frame_size(const TcpFrameSpec& spec) {
  return kEthernetHeaderSize + ip_header_size(spec) + tcp_header_size(spec) + spec.payload.size();
}

std::size_t build_tcp_frame(std::span<std::byte> out, const TcpFrameSpec& spec) {
  if (spec.src.family != spec.dst.family) return 0;
  const std::size_t size = tcp_frame_size(spec);
  const std::size_t tcp_size = tcp_header_size(spec) + spec.payload.size();
  const std::size_t ip_size = ip_header_size(spec) + tcp_size;
  if (size > out.size()) return 0;
  if ((spec.src.is_v4() ? ip_size : tcp_size) > 0xffff) return 0;

  std::byte* p = out.data();
  std::memcpy(p, spec.dst_mac.bytes.data(), 6);
  std::memcpy(p + 6, spec.src_mac.bytes.data(), 6);
  store_be16(p + 12, spec.src.is_v4() ? kEtherTypeIpv4 : kEtherTypeIpv6);
  p += kEthernetHeaderSize;

  if (spec.src.is_v4()) {
    store_u8(p, 0x45);                 // version 4, IHL 5
    store_u8(p + 1, 0);                // DSCP/ECN
    store_be16(p + 2, static_cast<std::uint16_t>(ip_size));
    store_be16(p + 4, 0);              // identification: see header
    store_be16(p + 6, 0x4000);         // DF, offset 0
    store_u8(p + 8, kDefaultTtl);
    store_u8(p + 9, kIpProtoTcp);
    store_be16(p + 10, 0);
    std::memcpy(p + 12, spec.src.bytes.data(), 4);
    std::memcpy(p + 16, spec.dst.bytes.data(), 4);
    store_be16(p + 10, internet_checksum(std::span<const std::byte>(p, kIpv4MinHeaderSize)));
    p += kIpv4MinHeaderSize;
  } else {
    store_be32(p, 0x60000000u);        // version 6, traffic class 0, flow label 0
    store_be16(p + 4, static_cast<std::uint16_t>(tcp_size));
    store_u8(p + 6, kIpProtoTcp);
    store_u8(p + 7, kDefaultTtl);
    std::memcpy(p + 8, spec.src.bytes.data(), 16);
    std::memcpy(p + 24, spec.dst.bytes.data(), 16);
    p += kIpv6HeaderSize;
  }

  std::byte* tcp = p;
  const std::size_t header = tcp_header_size(spec);
  store_be16(tcp, spec.src_port);
  store_be16(tcp + 2, spec.dst_port);
  store_be32(tcp + 4, spec.seq);
  store_be32(tcp + 8, spec.ack);
  store_u8(tcp + 12, static_cast<std::uint8_t>((header / 4) << 4));
  store_u8(tcp + 13, spec.flags);
  store_be16(tcp + 14, spec.window);
  store_be16(tcp + 16, 0);
  store_be16(tcp + 18, 0);
  if (spec.mss != 0) {
    store_u8(tcp + 20, kTcpOptMss);
    store_u8(tcp + 21, 4);
    store_be16(tcp + 22, spec.mss);
  }
  if (!spec.payload.empty()) std::memcpy(tcp + header, spec.payload.data(), spec.payload.size());
  store_be16(tcp + 16, tcp_checksum(spec.src, spec.dst, std::span<const std::byte>(tcp, tcp_size)));
  return size;
}

}  // namespace captive::packet
