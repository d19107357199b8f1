// RADIUS packets (RFC 2865 §3, §5): decode with bounds checks, encode into a
// growing buffer, and the attribute numbers captive sends and honours.
//
// Pure: no socket, no Asio, no kernel. The hashes (MD5, HMAC-MD5) are in
// crypto.hpp. The auth client (auth::RadiusClient), accounting and the
// Disconnect/CoA listener all build and read their packets here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "captive/util/result.hpp"

namespace captive::radius {

// RFC 2865 §3: "The minimum length is 20 and maximum length is 4096."
inline constexpr std::size_t kHeaderSize = 20;
inline constexpr std::size_t kMaxPacketSize = 4096;
// RFC 2865 §5: an attribute is Type, Length (counting both), Value; the
// Value is 0..253 octets (most types say at least 1).
inline constexpr std::size_t kMaxAttributeValue = 253;
inline constexpr std::size_t kAuthenticatorSize = 16;

using Authenticator = std::array<std::byte, kAuthenticatorSize>;

// RFC 2865 §4, RFC 2866 §4, RFC 5176 §3.
enum class Code : std::uint8_t {
  access_request = 1,
  access_accept = 2,
  access_reject = 3,
  accounting_request = 4,
  accounting_response = 5,
  access_challenge = 11,
  status_server = 12,
  disconnect_request = 40,
  disconnect_ack = 41,
  disconnect_nak = 42,
  coa_request = 43,
  coa_ack = 44,
  coa_nak = 45,
};

// Attribute types (IANA "RADIUS Types"; RFC 2865 §5, RFC 2866 §5, RFC 2869,
// RFC 3579, RFC 5176).
namespace attr {
inline constexpr std::uint8_t user_name = 1;
inline constexpr std::uint8_t user_password = 2;
inline constexpr std::uint8_t nas_ip_address = 4;
inline constexpr std::uint8_t nas_port = 5;
inline constexpr std::uint8_t service_type = 6;
inline constexpr std::uint8_t framed_ip_address = 8;
inline constexpr std::uint8_t reply_message = 18;
inline constexpr std::uint8_t state = 24;
inline constexpr std::uint8_t class_ = 25;
inline constexpr std::uint8_t vendor_specific = 26;
inline constexpr std::uint8_t session_timeout = 27;
inline constexpr std::uint8_t idle_timeout = 28;
inline constexpr std::uint8_t termination_action = 29;
inline constexpr std::uint8_t called_station_id = 30;
inline constexpr std::uint8_t calling_station_id = 31;
inline constexpr std::uint8_t nas_identifier = 32;
inline constexpr std::uint8_t proxy_state = 33;
inline constexpr std::uint8_t acct_status_type = 40;
inline constexpr std::uint8_t acct_delay_time = 41;
inline constexpr std::uint8_t acct_input_octets = 42;
inline constexpr std::uint8_t acct_output_octets = 43;
inline constexpr std::uint8_t acct_session_id = 44;
inline constexpr std::uint8_t acct_authentic = 45;
inline constexpr std::uint8_t acct_session_time = 46;
inline constexpr std::uint8_t acct_input_packets = 47;
inline constexpr std::uint8_t acct_output_packets = 48;
inline constexpr std::uint8_t acct_terminate_cause = 49;
inline constexpr std::uint8_t acct_multi_session_id = 50;
inline constexpr std::uint8_t acct_input_gigawords = 52;   // RFC 2869 §5.1
inline constexpr std::uint8_t acct_output_gigawords = 53;  // RFC 2869 §5.2
inline constexpr std::uint8_t event_timestamp = 55;        // RFC 2869 §5.3
inline constexpr std::uint8_t nas_port_type = 61;
inline constexpr std::uint8_t acct_interim_interval = 85;  // RFC 2869 §5.16
inline constexpr std::uint8_t nas_port_id = 87;
inline constexpr std::uint8_t message_authenticator = 80;  // RFC 3579 §3.2
inline constexpr std::uint8_t error_cause = 101;           // RFC 5176 §3.5
}  // namespace attr

// RFC 2865 §5.41 NAS-Port-Type values.
inline constexpr std::uint32_t kNasPortTypeWireless80211 = 19;
inline constexpr std::uint32_t kNasPortTypeEthernet = 15;

// Vendor-Specific (RFC 2865 §5.26) sub-attributes of the vendors we read.
// WISPr (Wi-Fi Alliance, "WISPr best current practices"; FreeRADIUS
// dictionary.wispr): rates in bits per second.
namespace wispr {
inline constexpr std::uint32_t kVendor = 14122;
inline constexpr std::uint8_t bandwidth_max_up = 7;
inline constexpr std::uint8_t bandwidth_max_down = 8;
inline constexpr std::uint8_t session_terminate_time = 9;
}  // namespace wispr
// ChilliSpot / CoovaChilli (FreeRADIUS dictionary.chillispot): the data
// quota every hotspot RADIUS setup knows, in octets (+ gigawords * 2^32).
namespace chillispot {
inline constexpr std::uint32_t kVendor = 14559;
inline constexpr std::uint8_t max_input_octets = 1;
inline constexpr std::uint8_t max_output_octets = 2;
inline constexpr std::uint8_t max_total_octets = 3;
inline constexpr std::uint8_t max_input_gigawords = 21;
inline constexpr std::uint8_t max_output_gigawords = 22;
inline constexpr std::uint8_t max_total_gigawords = 23;
}  // namespace chillispot

struct Attribute {
  std::uint8_t type = 0;
  std::span<const std::byte> value;
};

// A Vendor-Specific attribute's content in the RFC 2865 §5.26 suggested
// format: Vendor-Id (4 octets), then type/length/value sub-attributes.
struct VendorAttribute {
  std::uint32_t vendor = 0;
  std::uint8_t type = 0;
  std::span<const std::byte> value;
};

// A decoded packet: views into the caller's bytes, valid while they are.
// parse() checked every length, so walking the attributes cannot read past
// the packet.
class PacketView {
 public:
  // RFC 2865 §3: a Length below 20 or above 4096, or above the bytes
  // received, is an error (the packet is "silently discarded"); bytes past
  // Length are padding and ignored. Every attribute's Length is >= 2 and
  // the attributes end exactly at Length.
  static Result<PacketView> parse(std::span<const std::byte> bytes);

  Code code() const { return static_cast<Code>(bytes_[0]); }
  std::uint8_t identifier() const { return static_cast<std::uint8_t>(bytes_[1]); }
  std::size_t length() const { return bytes_.size(); }
  std::span<const std::byte, kAuthenticatorSize> authenticator() const {
    return bytes_.subspan<4, kAuthenticatorSize>();
  }
  // The whole packet, up to Length.
  std::span<const std::byte> bytes() const { return bytes_; }

  // Calls f(Attribute) for each attribute in order.
  template <class F>
  void for_each(F&& f) const {
    std::size_t at = kHeaderSize;
    while (at < bytes_.size()) {
      const auto len = static_cast<std::size_t>(bytes_[at + 1]);
      f(Attribute{static_cast<std::uint8_t>(bytes_[at]), bytes_.subspan(at + 2, len - 2)});
      at += len;
    }
  }
  // The first attribute of `type`.
  std::optional<Attribute> find(std::uint8_t type) const;
  std::size_t count(std::uint8_t type) const;
  // The first Vendor-Specific sub-attribute (vendor, type); VSAs not in
  // the §5.26 format are skipped.
  std::optional<VendorAttribute> find_vendor(std::uint32_t vendor, std::uint8_t type) const;
  // The attribute as a 4-octet integer (RFC 2865 §5 "integer"); empty when
  // absent or of another size.
  std::optional<std::uint32_t> find_u32(std::uint8_t type) const;
  std::optional<std::uint32_t> find_vendor_u32(std::uint32_t vendor, std::uint8_t type) const;
  // The attribute's value as text (RFC 2865 "text"/"string"); empty when absent.
  std::optional<std::string_view> find_text(std::uint8_t type) const;
  // The byte offset of the first Message-Authenticator's value; 0: none.
  std::size_t message_authenticator_offset() const;

 private:
  explicit PacketView(std::span<const std::byte> bytes) : bytes_(bytes) {}
  std::span<const std::byte> bytes_;
};

// Calls f(VendorAttribute) for each sub-attribute of a Vendor-Specific
// value; false when the value is not in the §5.26 format (f may have been
// called for the sub-attributes before the bad one).
template <class F>
bool for_each_vendor(std::span<const std::byte> vsa, F&& f) {
  if (vsa.size() < 4) return false;
  const std::uint32_t vendor = (std::to_integer<std::uint32_t>(vsa[0]) << 24) |
                               (std::to_integer<std::uint32_t>(vsa[1]) << 16) |
                               (std::to_integer<std::uint32_t>(vsa[2]) << 8) |
                               std::to_integer<std::uint32_t>(vsa[3]);
  std::size_t at = 4;
  if (at == vsa.size()) return false;
  while (at < vsa.size()) {
    if (vsa.size() - at < 2) return false;
    const auto len = std::to_integer<std::size_t>(vsa[at + 1]);
    if (len < 2 || len > vsa.size() - at) return false;
    f(VendorAttribute{vendor, std::to_integer<std::uint8_t>(vsa[at]), vsa.subspan(at + 2, len - 2)});
    at += len;
  }
  return true;
}

// Builds one packet. Every add returns false (and adds nothing) when the
// value is too long for an attribute or the packet would pass 4096 octets;
// ok() stays false from then on, so a caller may check once at the end.
class Builder {
 public:
  Builder(Code code, std::uint8_t identifier, const Authenticator& authenticator = {});

  bool add(std::uint8_t type, std::span<const std::byte> value);
  bool add(std::uint8_t type, std::string_view text);
  bool add_u32(std::uint8_t type, std::uint32_t value);
  // An IPv4 address in network order (RFC 2865 "address").
  bool add_ipv4(std::uint8_t type, std::array<std::uint8_t, 4> address);
  // One Vendor-Specific attribute holding one sub-attribute.
  bool add_vendor(std::uint32_t vendor, std::uint8_t type, std::span<const std::byte> value);
  bool add_vendor_u32(std::uint32_t vendor, std::uint8_t type, std::uint32_t value);
  // A Message-Authenticator of 16 zero octets, filled in by sign()
  // (crypto.hpp). RFC 3579 §3.2.
  bool add_message_authenticator();

  bool ok() const { return ok_; }
  // The packet with its Length set. The Authenticator field is what the
  // constructor got; sign() fills it for the codes that hash it.
  std::vector<std::byte> finish() &&;
  std::vector<std::byte> finish() const&;

 private:
  bool reserve(std::size_t value_size);
  std::vector<std::byte> bytes_;
  bool ok_ = true;
};

// The bytes of `text` (no copy).
inline std::span<const std::byte> as_bytes(std::string_view text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}
inline std::string_view as_text(std::span<const std::byte> value) {
  return {reinterpret_cast<const char*>(value.data()), value.size()};
}

}  // namespace captive::radius
