#include "captive/radius/accounting.hpp"

#include <cerrno>
#include <limits>

#include "captive/radius/crypto.hpp"

namespace captive::radius {

namespace {

std::uint32_t saturate32(std::uint64_t n) {
  return n > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                       : static_cast<std::uint32_t>(n);
}

}  // namespace

Result<std::vector<std::byte>> accounting_attributes(const AccountingRecord& r) {
  // Built in a Builder (its bounds checks), then cut off its header.
  Builder b(Code::accounting_request, 0);
  b.add_u32(attr::acct_status_type, static_cast<std::uint32_t>(r.status));
  b.add(attr::acct_session_id, r.session_id);
  if (!r.user_name.empty()) b.add(attr::user_name, r.user_name);
  if (!r.calling_station_id.empty()) b.add(attr::calling_station_id, r.calling_station_id);
  if (!r.called_station_id.empty()) b.add(attr::called_station_id, r.called_station_id);
  if (!r.nas_identifier.empty()) b.add(attr::nas_identifier, r.nas_identifier);
  if (r.framed_ip) b.add_ipv4(attr::framed_ip_address, *r.framed_ip);
  b.add_u32(attr::nas_port_type, kNasPortTypeWireless80211);
  // RFC 2866 §5.6: RADIUS when the session was authenticated by RADIUS,
  // Local otherwise; captived's other backends are local.
  b.add_u32(attr::acct_authentic, r.authenticated_by_radius ? 1 : 2);
  b.add_u32(attr::event_timestamp, r.event_timestamp);
  if (r.status != AcctStatusType::start) {
    // RFC 2866 §5.3-§5.8: "can only be present in Accounting-Request
    // records where the Acct-Status-Type is set to Stop" — and, by RFC
    // 2869 §2.1, Interim-Update.
    const auto in = split_octets(r.counters.input_octets);
    const auto out = split_octets(r.counters.output_octets);
    b.add_u32(attr::acct_session_time, r.session_time);
    b.add_u32(attr::acct_input_octets, in.octets);
    b.add_u32(attr::acct_output_octets, out.octets);
    b.add_u32(attr::acct_input_gigawords, in.gigawords);
    b.add_u32(attr::acct_output_gigawords, out.gigawords);
    b.add_u32(attr::acct_input_packets, saturate32(r.counters.input_packets));
    b.add_u32(attr::acct_output_packets, saturate32(r.counters.output_packets));
  }
  if (r.status == AcctStatusType::stop && r.cause)
    b.add_u32(attr::acct_terminate_cause, static_cast<std::uint32_t>(*r.cause));
  if (r.session_id.empty() || !b.ok())
    return make_error(EINVAL, "accounting record: a field is empty or too long (Acct-Session-Id \"" +
                                  excerpt(r.session_id) + "\")");
  auto bytes = std::move(b).finish();
  return std::vector<std::byte>(bytes.begin() + kHeaderSize, bytes.end());
}

Result<std::vector<std::byte>> accounting_request(std::span<const std::byte> attributes, std::uint8_t identifier,
                                                  std::uint32_t delay_seconds,
                                                  std::optional<std::array<std::uint8_t, 4>> nas_ip,
                                                  std::string_view secret) {
  Builder b(Code::accounting_request, identifier);
  // Re-add each stored attribute: a corrupt one fails the walk below
  // instead of going out.
  std::size_t at = 0;
  while (at < attributes.size()) {
    if (attributes.size() - at < 2) return make_error(EINVAL, "accounting record: a cut attribute");
    const auto len = std::to_integer<std::size_t>(attributes[at + 1]);
    if (len < 2 || len > attributes.size() - at) return make_error(EINVAL, "accounting record: a bad attribute length");
    const auto type = std::to_integer<std::uint8_t>(attributes[at]);
    if (type == attr::acct_delay_time || type == attr::nas_ip_address || type == attr::message_authenticator)
      return make_error(EINVAL, "accounting record: an attribute added per try is stored");
    b.add(type, attributes.subspan(at + 2, len - 2));
    at += len;
  }
  b.add_u32(attr::acct_delay_time, delay_seconds);
  if (nas_ip) b.add_ipv4(attr::nas_ip_address, *nas_ip);
  if (!b.ok()) return make_error(EMSGSIZE, "accounting request: more than 4096 octets");
  auto packet = std::move(b).finish();
  auto signed_ok = sign(packet, secret);
  if (!signed_ok) return signed_ok.error();
  return packet;
}

std::uint32_t acct_delay(std::int64_t event_time, std::int64_t now) {
  if (now <= event_time) return 0;
  const auto d = static_cast<std::uint64_t>(now - event_time);
  return saturate32(d);
}

}  // namespace captive::radius
