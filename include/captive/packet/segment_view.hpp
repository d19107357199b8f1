// One TCP segment over IPv4 or IPv6, as NFQUEUE hands it over (starting at
// the IP header): the addresses, the TCP view, and the lengths the headers
// declare, which stay right when the copy range cut the data short.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "captive/packet/address.hpp"
#include "captive/packet/parse_result.hpp"
#include "captive/packet/tcp_view.hpp"

namespace captive::packet {

class SegmentView {
 public:
  SegmentView() = default;
  // Dispatches on the version nibble. Errors: the IP views' ones, not_tcp,
  // fragment (a non-first fragment, IPv4 or IPv6), bad_data_offset when the
  // declared TCP length is shorter than the TCP header, the TCP view's ones.
  static ParseResult<SegmentView> parse(std::span<const std::byte> l3);

  const IpAddr& src() const { return src_; }
  const IpAddr& dst() const { return dst_; }
  bool is_v4() const { return src_.is_v4(); }
  const TcpView& tcp() const { return tcp_; }
  // Declared length of the whole IP packet (IPv4 total length, IPv6 40 +
  // payload length).
  std::size_t ip_length() const { return ip_length_; }
  // Declared TCP length (header + data), from the IP header.
  std::size_t tcp_length() const { return tcp_length_; }
  // Declared data length: what the peer's sequence space advances by.
  std::size_t payload_length() const { return tcp_length_ - tcp_.header_length(); }
  // The data bytes present (possibly fewer than payload_length()).
  std::span<const std::byte> payload() const { return tcp_.payload(); }
  // Fewer bytes present than the IP header declares.
  bool truncated() const { return tcp_.bytes().size() < tcp_length_; }
  // Checks the TCP checksum; false when truncated (cannot be checked).
  bool checksum_valid() const;

 private:
  IpAddr src_;
  IpAddr dst_;
  TcpView tcp_;
  std::size_t tcp_length_ = 0;
  std::size_t ip_length_ = 0;
};

}  // namespace captive::packet
