#include "captive/packet/address.hpp"

#include <arpa/inet.h>  // inet_pton/inet_ntop: pure string conversions, no sockets

#include <cstring>

namespace captive::packet {
namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<MacAddr> MacAddr::parse(std::string_view text) {
  // Exactly six two-digit groups: "aa:bb:cc:dd:ee:ff".
  if (text.size() != 17) return std::nullopt;
  MacAddr mac;
  for (std::size_t i = 0; i < 6; ++i) {
    std::size_t at = i * 3;
    int hi = hex_value(text[at]);
    int lo = hex_value(text[at + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    if (i < 5 && text[at + 2] != ':' && text[at + 2] != '-') return std::nullopt;
    mac.bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return mac;
}

std::string MacAddr::to_string() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(17, ':');
  for (std::size_t i = 0; i < 6; ++i) {
    out[i * 3] = kHex[bytes[i] >> 4];
    out[i * 3 + 1] = kHex[bytes[i] & 0x0f];
  }
  return out;
}

bool MacAddr::is_zero() const {
  for (auto b : bytes)
    if (b != 0) return false;
  return true;
}

IpAddr IpAddr::v4(const std::uint8_t (&b)[4]) { return v4(&b[0]); }

IpAddr IpAddr::v4(const std::uint8_t* b) {
  IpAddr a;
  a.family = Family::v4;
  std::memcpy(a.bytes.data(), b, 4);
  return a;
}

IpAddr IpAddr::v6(const std::uint8_t* b) {
  IpAddr a;
  a.family = Family::v6;
  std::memcpy(a.bytes.data(), b, 16);
  return a;
}

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
  char buf[64];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::uint8_t raw[16];
  if (inet_pton(AF_INET, buf, raw) == 1) return v4(raw);
  if (inet_pton(AF_INET6, buf, raw) == 1) return v6(raw).unmapped();
  return std::nullopt;
}

std::string IpAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  const char* s = inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return s ? std::string(s) : std::string();
}

IpAddr IpAddr::unmapped() const {
  static constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (family == Family::v6 && std::memcmp(bytes.data(), kMappedPrefix, 12) == 0)
    return v4(bytes.data() + 12);
  return *this;
}

}  // namespace captive::packet
