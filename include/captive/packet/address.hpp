// Link and network addresses as plain values: what every module passes
// around. Parsing and formatting never allocate except to_string().
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace captive::packet {

struct MacAddr {
  std::array<std::uint8_t, 6> bytes{};

  // "aa:bb:cc:dd:ee:ff" (also accepts '-' separators and upper case).
  static std::optional<MacAddr> parse(std::string_view text);
  // Lower case, colon separated.
  std::string to_string() const;
  bool is_zero() const;
  bool is_multicast() const { return (bytes[0] & 0x01) != 0; }

  auto operator<=>(const MacAddr&) const = default;
};

// An IPv4 or IPv6 address. IPv4 is kept in the first 4 bytes.
struct IpAddr {
  enum class Family : std::uint8_t { v4 = 4, v6 = 6 };

  Family family = Family::v4;
  std::array<std::uint8_t, 16> bytes{};

  static IpAddr v4(const std::uint8_t (&b)[4]);
  static IpAddr v4(const std::uint8_t* b);
  static IpAddr v6(const std::uint8_t* b);
  // Dotted quad or RFC 4291 text; "::ffff:a.b.c.d" comes back as v4.
  static std::optional<IpAddr> parse(std::string_view text);
  std::string to_string() const;
  std::size_t size() const { return family == Family::v4 ? 4 : 16; }
  bool is_v4() const { return family == Family::v4; }
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address.
  IpAddr unmapped() const;

  auto operator<=>(const IpAddr&) const = default;
};

}  // namespace captive::packet
