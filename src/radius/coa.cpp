#include "captive/radius/coa.hpp"

#include <cctype>

#include "captive/radius/crypto.hpp"

namespace captive::radius {

namespace {

constexpr std::uint8_t kNasIpv6Address = 95;  // RFC 3162 §2.1
constexpr std::uint8_t kFramedIpv6Address = 168;  // RFC 6911 §3.1
constexpr std::uint8_t kChargeableUserIdentity = 89;  // RFC 4372

// The attributes of RFC 5176 §3.5's table captived reads or may ignore
// without changing what it does; anything else in a request is "401
// Unsupported Attribute" (§3.5: "MUST ... respond with a ... NAK").
bool understood(std::uint8_t type) {
  switch (type) {
    case attr::user_name:
    case attr::nas_ip_address:
    case attr::nas_port:
    case attr::framed_ip_address:
    case attr::called_station_id:
    case attr::calling_station_id:
    case attr::nas_identifier:
    case attr::proxy_state:
    case attr::state:
    case attr::class_:
    case attr::acct_session_id:
    case attr::acct_multi_session_id:
    case attr::acct_terminate_cause:
    case attr::event_timestamp:
    case attr::nas_port_type:
    case attr::nas_port_id:
    case attr::message_authenticator:
    case attr::session_timeout:
    case attr::idle_timeout:
    case attr::vendor_specific:  // checked by vendor below
    case kNasIpv6Address:
    case kFramedIpv6Address:
    case kChargeableUserIdentity:
      return true;
    default:
      return false;
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// WISPr rates are bits per second; captived's rates bytes per second.
std::uint64_t bytes_per_second(std::uint32_t bits) { return (static_cast<std::uint64_t>(bits) + 7) / 8; }

}  // namespace

std::string_view to_string(CoaDrop drop) {
  switch (drop) {
    case CoaDrop::unknown_source: return "unknown_source";
    case CoaDrop::malformed: return "malformed";
    case CoaDrop::not_a_request: return "not_a_request";
    case CoaDrop::bad_authenticator: return "bad_authenticator";
    case CoaDrop::bad_message_authenticator: return "bad_message_authenticator";
    case CoaDrop::stale: return "stale";
  }
  return "unknown";
}

std::optional<packet::MacAddr> parse_station_id(std::string_view text) {
  if (auto mac = packet::MacAddr::parse(text)) return mac;
  if (text.size() != 12) return std::nullopt;
  packet::MacAddr mac;
  for (std::size_t i = 0; i < 6; ++i) {
    const int hi = hex_digit(text[2 * i]);
    const int lo = hex_digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    mac.bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return mac;
}

std::variant<CoaRequest, CoaDrop> parse_coa_request(std::span<const std::byte> bytes, std::string_view secret,
                                                    std::int64_t now) {
  auto view = PacketView::parse(bytes);
  if (!view) return CoaDrop::malformed;
  if (view->code() != Code::disconnect_request && view->code() != Code::coa_request) return CoaDrop::not_a_request;
  // RFC 5176 §3.1 "the NAS MUST silently discard" a request whose
  // Message-Authenticator is invalid; it is optional (§3.2) otherwise.
  if (const auto bad = verify(*view, secret, {}, false)) {
    return *bad == VerifyError::bad_authenticator ? CoaDrop::bad_authenticator : CoaDrop::bad_message_authenticator;
  }
  // RFC 5176 §3.4: with Event-Timestamp, "a NAS ... MUST silently discard"
  // a request outside its window.
  if (const auto ts = view->find_u32(attr::event_timestamp)) {
    const auto skew = now - static_cast<std::int64_t>(*ts);
    if (skew > kCoaReplayWindow || -skew > kCoaReplayWindow) return CoaDrop::stale;
  }

  CoaRequest r;
  r.code = view->code();
  r.identifier = view->identifier();
  std::copy(view->authenticator().begin(), view->authenticator().end(), r.authenticator.begin());
  const bool coa = r.code == Code::coa_request;
  view->for_each([&](const Attribute& a) {
    if (a.type == attr::proxy_state) r.proxy_state.emplace_back(a.value.begin(), a.value.end());
    if (r.refuse) return;
    if (!understood(a.type)) {
      r.refuse = error_cause::unsupported_attribute;
      return;
    }
    switch (a.type) {
      case attr::acct_session_id:
        r.who.acct_session_id = std::string(as_text(a.value));
        break;
      case attr::user_name:
        r.who.user_name = std::string(as_text(a.value));
        break;
      case attr::calling_station_id:
        if (auto mac = parse_station_id(as_text(a.value)))
          r.who.calling_station_id = *mac;
        else
          r.refuse = error_cause::invalid_request;
        break;
      case attr::framed_ip_address:
        if (a.value.size() == 4) {
          std::uint8_t b[4];
          for (int i = 0; i < 4; ++i) b[i] = std::to_integer<std::uint8_t>(a.value[i]);
          r.who.framed_ip = packet::IpAddr::v4(b);
        } else {
          r.refuse = error_cause::invalid_request;
        }
        break;
      case attr::vendor_specific:
        if (!for_each_vendor(a.value, [&](const VendorAttribute& v) {
              const bool rate = v.vendor == wispr::kVendor &&
                                (v.type == wispr::bandwidth_max_up || v.type == wispr::bandwidth_max_down);
              if (!rate || !coa) {
                r.refuse = error_cause::unsupported_attribute;
                return;
              }
              if (v.value.size() != 4) {
                r.refuse = error_cause::invalid_request;
                return;
              }
              std::uint32_t bits = 0;
              for (const auto b : v.value) bits = (bits << 8) | std::to_integer<std::uint32_t>(b);
              (v.type == wispr::bandwidth_max_up ? r.changes.rate_up : r.changes.rate_down) = bytes_per_second(bits);
            }))
          r.refuse = error_cause::unsupported_attribute;
        break;
      default:
        break;
    }
  });
  if (r.refuse) return r;
  if (coa) {
    // RFC 2865 §5.27/§5.28; a 0 would mean "end now"/"never idle":
    // refused rather than guessed.
    if (const auto t = view->find_u32(attr::session_timeout)) {
      if (*t == 0) r.refuse = error_cause::invalid_request;
      r.changes.session_timeout = *t;
    }
    if (const auto t = view->find_u32(attr::idle_timeout)) {
      if (*t == 0) r.refuse = error_cause::invalid_request;
      r.changes.idle_timeout = *t;
    }
    if ((r.changes.rate_up && *r.changes.rate_up == 0) || (r.changes.rate_down && *r.changes.rate_down == 0))
      r.refuse = error_cause::invalid_request;
  } else if (view->find(attr::session_timeout) || view->find(attr::idle_timeout)) {
    r.refuse = error_cause::unsupported_attribute;  // authorization attributes in a Disconnect (§3.5 table: 0)
  }
  // RFC 5176 §3: at least one session identification attribute.
  if (!r.refuse && r.who.empty()) r.refuse = error_cause::missing_attribute;
  return r;
}

std::vector<std::byte> coa_answer(const CoaRequest& request, bool ack, std::optional<std::uint32_t> cause,
                                  std::string_view secret) {
  Code code;
  if (request.code == Code::disconnect_request)
    code = ack ? Code::disconnect_ack : Code::disconnect_nak;
  else
    code = ack ? Code::coa_ack : Code::coa_nak;
  Builder b(code, request.identifier);
  b.add_message_authenticator();
  if (cause) b.add_u32(attr::error_cause, *cause);
  for (const auto& p : request.proxy_state) b.add(attr::proxy_state, p);
  auto packet = std::move(b).finish();
  (void)sign(packet, secret, request.authenticator);  // a Builder's output always parses
  return packet;
}

}  // namespace captive::radius
