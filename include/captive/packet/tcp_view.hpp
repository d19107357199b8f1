// A validated view of a TCP header (RFC 9293 §3.1) and its options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "captive/packet/parse_result.hpp"

namespace captive::packet {

inline constexpr std::size_t kTcpMinHeaderSize = 20;
inline constexpr std::size_t kTcpMaxHeaderSize = 60;

// Control bits (RFC 9293 §3.1, RFC 3168 for CWR/ECE).
inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpRst = 0x04;
inline constexpr std::uint8_t kTcpPsh = 0x08;
inline constexpr std::uint8_t kTcpAck = 0x10;
inline constexpr std::uint8_t kTcpUrg = 0x20;
inline constexpr std::uint8_t kTcpEce = 0x40;
inline constexpr std::uint8_t kTcpCwr = 0x80;

// Option kinds (RFC 9293 §3.2).
inline constexpr std::uint8_t kTcpOptEnd = 0;
inline constexpr std::uint8_t kTcpOptNop = 1;
inline constexpr std::uint8_t kTcpOptMss = 2;

class TcpView {
 public:
  TcpView() = default;
  // `segment` starts at the TCP header; it may be cut short after the header.
  // Checks 20 <= data offset <= bytes present, and ports != 0.
  static ParseResult<TcpView> parse(std::span<const std::byte> segment);

  std::uint16_t src_port() const;
  std::uint16_t dst_port() const;
  std::uint32_t seq() const;
  std::uint32_t ack() const;
  // Header length in bytes (data offset x 4).
  std::size_t header_length() const { return header_length_; }
  std::uint8_t flags() const;
  bool has(std::uint8_t flag) const { return (flags() & flag) != 0; }
  std::uint16_t window() const;
  std::uint16_t checksum() const;
  std::uint16_t urgent_pointer() const;
  std::span<const std::byte> options() const;
  // The data bytes present.
  std::span<const std::byte> payload() const { return bytes_.subspan(header_length_); }
  std::span<const std::byte> bytes() const { return bytes_; }

  // The MSS option (kind 2, length 4), if present and well formed. A
  // malformed option list ends the search (RFC 9293 §3.2: length covers kind
  // and length bytes, so a length < 2 or past the header is malformed).
  std::optional<std::uint16_t> mss() const;

 private:
  TcpView(std::span<const std::byte> bytes, std::size_t header_length)
      : bytes_(bytes), header_length_(header_length) {}
  std::span<const std::byte> bytes_;
  std::size_t header_length_ = 0;
};

}  // namespace captive::packet
