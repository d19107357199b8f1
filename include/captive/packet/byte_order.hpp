// Network byte order loads and stores at a byte pointer. The caller has
// checked the bounds; these never assume alignment (packets start anywhere in
// a netlink buffer) and compile to a load and a bswap on little-endian.
#pragma once

#include <cstddef>
#include <cstdint>

namespace captive::packet {

inline std::uint8_t load_u8(const std::byte* p) { return static_cast<std::uint8_t>(*p); }

inline std::uint16_t load_be16(const std::byte* p) {
  return static_cast<std::uint16_t>((static_cast<unsigned>(p[0]) << 8) | static_cast<unsigned>(p[1]));
}

inline std::uint32_t load_be32(const std::byte* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | static_cast<std::uint32_t>(p[3]);
}

inline void store_u8(std::byte* p, std::uint8_t v) { *p = static_cast<std::byte>(v); }

inline void store_be16(std::byte* p, std::uint16_t v) {
  p[0] = static_cast<std::byte>(v >> 8);
  p[1] = static_cast<std::byte>(v & 0xff);
}

inline void store_be32(std::byte* p, std::uint32_t v) {
  p[0] = static_cast<std::byte>(v >> 24);
  p[1] = static_cast<std::byte>((v >> 16) & 0xff);
  p[2] = static_cast<std::byte>((v >> 8) & 0xff);
  p[3] = static_cast<std::byte>(v & 0xff);
}

}  // namespace captive::packet
