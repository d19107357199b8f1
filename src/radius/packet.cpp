#include "captive/radius/packet.hpp"

#include <cerrno>

namespace captive::radius {
namespace {

std::uint32_t read_u32(std::span<const std::byte> b) {
  return (std::to_integer<std::uint32_t>(b[0]) << 24) | (std::to_integer<std::uint32_t>(b[1]) << 16) |
         (std::to_integer<std::uint32_t>(b[2]) << 8) | std::to_integer<std::uint32_t>(b[3]);
}

std::array<std::byte, 4> u32_bytes(std::uint32_t v) {
  return {std::byte(v >> 24), std::byte(v >> 16), std::byte(v >> 8), std::byte(v)};
}

}  // namespace

Result<PacketView> PacketView::parse(std::span<const std::byte> bytes) {
  if (bytes.size() < kHeaderSize)
    return make_error(EBADMSG, "radius packet: " + std::to_string(bytes.size()) + " bytes, below the 20 of a header");
  const std::size_t length = (std::to_integer<std::size_t>(bytes[2]) << 8) | std::to_integer<std::size_t>(bytes[3]);
  // RFC 2865 §3: Length below 20 or above 4096, or longer than what was
  // received, and the packet is silently discarded.
  if (length < kHeaderSize || length > kMaxPacketSize)
    return make_error(EBADMSG, "radius packet: Length " + std::to_string(length) + " outside 20..4096");
  if (length > bytes.size())
    return make_error(EBADMSG, "radius packet: Length " + std::to_string(length) + " but " +
                                   std::to_string(bytes.size()) + " bytes received");
  const auto packet = bytes.first(length);
  std::size_t at = kHeaderSize;
  while (at < length) {
    if (length - at < 2)
      return make_error(EBADMSG, "radius packet: attribute header cut at offset " + std::to_string(at));
    const auto len = std::to_integer<std::size_t>(packet[at + 1]);
    if (len < 2 || len > length - at)
      return make_error(EBADMSG, "radius packet: attribute " + std::to_string(std::to_integer<int>(packet[at])) +
                                     " at offset " + std::to_string(at) + " has Length " + std::to_string(len));
    at += len;
  }
  return PacketView(packet);
}

std::optional<Attribute> PacketView::find(std::uint8_t type) const {
  std::optional<Attribute> found;
  for_each([&](const Attribute& a) {
    if (!found && a.type == type) found = a;
  });
  return found;
}

std::size_t PacketView::count(std::uint8_t type) const {
  std::size_t n = 0;
  for_each([&](const Attribute& a) { n += a.type == type; });
  return n;
}

std::optional<VendorAttribute> PacketView::find_vendor(std::uint32_t vendor, std::uint8_t type) const {
  std::optional<VendorAttribute> found;
  for_each([&](const Attribute& a) {
    if (found || a.type != attr::vendor_specific) return;
    for_each_vendor(a.value, [&](const VendorAttribute& v) {
      if (!found && v.vendor == vendor && v.type == type) found = v;
    });
  });
  return found;
}

std::optional<std::uint32_t> PacketView::find_u32(std::uint8_t type) const {
  auto a = find(type);
  if (!a || a->value.size() != 4) return std::nullopt;
  return read_u32(a->value);
}

std::optional<std::uint32_t> PacketView::find_vendor_u32(std::uint32_t vendor, std::uint8_t type) const {
  auto v = find_vendor(vendor, type);
  if (!v || v->value.size() != 4) return std::nullopt;
  return read_u32(v->value);
}

std::optional<std::string_view> PacketView::find_text(std::uint8_t type) const {
  auto a = find(type);
  if (!a) return std::nullopt;
  return as_text(a->value);
}

std::size_t PacketView::message_authenticator_offset() const {
  std::size_t at = kHeaderSize;
  while (at < bytes_.size()) {
    const auto len = std::to_integer<std::size_t>(bytes_[at + 1]);
    if (std::to_integer<std::uint8_t>(bytes_[at]) == attr::message_authenticator)
      return len == 2 + kAuthenticatorSize ? at + 2 : 0;
    at += len;
  }
  return 0;
}

Builder::Builder(Code code, std::uint8_t identifier, const Authenticator& authenticator) {
  bytes_.reserve(256);
  bytes_.push_back(std::byte(static_cast<std::uint8_t>(code)));
  bytes_.push_back(std::byte(identifier));
  bytes_.push_back(std::byte(0));
  bytes_.push_back(std::byte(kHeaderSize));
  bytes_.insert(bytes_.end(), authenticator.begin(), authenticator.end());
}

bool Builder::reserve(std::size_t value_size) {
  if (!ok_) return false;
  if (value_size > kMaxAttributeValue || bytes_.size() + 2 + value_size > kMaxPacketSize) {
    ok_ = false;
    return false;
  }
  return true;
}

bool Builder::add(std::uint8_t type, std::span<const std::byte> value) {
  if (!reserve(value.size())) return false;
  bytes_.push_back(std::byte(type));
  bytes_.push_back(std::byte(2 + value.size()));
  bytes_.insert(bytes_.end(), value.begin(), value.end());
  return true;
}

bool Builder::add(std::uint8_t type, std::string_view text) { return add(type, as_bytes(text)); }

bool Builder::add_u32(std::uint8_t type, std::uint32_t value) {
  const auto b = u32_bytes(value);
  return add(type, b);
}

bool Builder::add_ipv4(std::uint8_t type, std::array<std::uint8_t, 4> address) {
  return add(type, std::as_bytes(std::span(address)));
}

bool Builder::add_vendor(std::uint32_t vendor, std::uint8_t type, std::span<const std::byte> value) {
  if (value.size() > kMaxAttributeValue - 6) {
    ok_ = false;
    return false;
  }
  std::vector<std::byte> vsa;
  vsa.reserve(6 + value.size());
  const auto v = u32_bytes(vendor);
  vsa.insert(vsa.end(), v.begin(), v.end());
  vsa.push_back(std::byte(type));
  vsa.push_back(std::byte(2 + value.size()));
  vsa.insert(vsa.end(), value.begin(), value.end());
  return add(attr::vendor_specific, vsa);
}

bool Builder::add_vendor_u32(std::uint32_t vendor, std::uint8_t type, std::uint32_t value) {
  const auto b = u32_bytes(value);
  return add_vendor(vendor, type, b);
}

bool Builder::add_message_authenticator() {
  const Authenticator zero{};
  return add(attr::message_authenticator, zero);
}

std::vector<std::byte> Builder::finish() && {
  bytes_[2] = std::byte(bytes_.size() >> 8);
  bytes_[3] = std::byte(bytes_.size() & 0xff);
  return std::move(bytes_);
}

std::vector<std::byte> Builder::finish() const& {
  auto copy = *this;
  return std::move(copy).finish();
}

}  // namespace captive::radius
