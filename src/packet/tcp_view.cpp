#include "captive/packet/tcp_view.hpp"

#include "captive/packet/byte_order.hpp"

namespace captive::packet {

ParseResult<TcpView> TcpView::parse(std::span<const std::byte> segment) {
  if (segment.size() < kTcpMinHeaderSize) return ParseError::truncated;
  const std::size_t header_length = static_cast<std::size_t>(load_u8(segment.data() + 12) >> 4) * 4;
  if (header_length < kTcpMinHeaderSize) return ParseError::bad_data_offset;
  if (header_length > segment.size()) return ParseError::truncated;
  // Port 0 is reserved (RFC 6335 §6); nothing legitimate sends from or to it.
  if (load_be16(segment.data()) == 0 || load_be16(segment.data() + 2) == 0)
    return ParseError::bad_port;
  return TcpView(segment, header_length);
}

std::uint16_t TcpView::src_port() const { return load_be16(bytes_.data()); }
std::uint16_t TcpView::dst_port() const { return load_be16(bytes_.data() + 2); }
std::uint32_t TcpView::seq() const { return load_be32(bytes_.data() + 4); }
std::uint32_t TcpView::ack() const { return load_be32(bytes_.data() + 8); }
std::uint8_t TcpView::flags() const { return load_u8(bytes_.data() + 13); }
std::uint16_t TcpView::window() const { return load_be16(bytes_.data() + 14); }
std::uint16_t TcpView::checksum() const { return load_be16(bytes_.data() + 16); }
std::uint16_t TcpView::urgent_pointer() const { return load_be16(bytes_.data() + 18); }

std::span<const std::byte> TcpView::options() const {
  return bytes_.subspan(kTcpMinHeaderSize, header_length_ - kTcpMinHeaderSize);
}

std::optional<std::uint16_t> TcpView::mss() const {
  const auto opts = options();
  std::size_t i = 0;
  while (i < opts.size()) {
    const auto kind = load_u8(opts.data() + i);
    if (kind == kTcpOptEnd) break;
    if (kind == kTcpOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= opts.size()) break;
    const std::size_t length = load_u8(opts.data() + i + 1);
    if (length < 2 || i + length > opts.size()) break;
    if (kind == kTcpOptMss) {
      if (length != 4) break;
      return load_be16(opts.data() + i + 2);
    }
    i += length;
  }
  return std::nullopt;
}

}  // namespace captive::packet
