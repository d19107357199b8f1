#include "captive/auth/radius_backend.hpp"

#include <cstdio>

#include "captive/http/text.hpp"
#include "captive/radius/crypto.hpp"
#include "captive/util/log.hpp"

namespace captive::auth {

namespace {
enum Count { kAccepted, kRejected, kUnreachable, kOther };
constexpr std::size_t kMaxField = 128;  // RFC 2865 §5.2: a password is at most 128 octets
}  // namespace

std::string station_id(const packet::MacAddr& mac) {
  char out[18];
  std::snprintf(out, sizeof out, "%02X-%02X-%02X-%02X-%02X-%02X", mac.bytes[0], mac.bytes[1], mac.bytes[2],
                mac.bytes[3], mac.bytes[4], mac.bytes[5]);
  return out;
}

std::string new_acct_session_id() {
  const auto a = radius::random_authenticator();
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string id;
  for (std::size_t i = 0; i < 8; ++i) {
    id += kHex[std::to_integer<unsigned>(a[i]) >> 4];
    id += kHex[std::to_integer<unsigned>(a[i]) & 0xf];
  }
  return id;
}

std::vector<Form> RadiusBackend::forms() const {
  std::vector<Form> forms{Form{"radius",
                              "<p><label for=\"radius-user\">User name</label><br>"
                              "<input id=\"radius-user\" name=\"user\" type=\"text\" autocomplete=\"username\" "
                              "autocapitalize=\"none\" maxlength=\"128\" required></p>"
                              "<p><label for=\"radius-password\">Password</label><br>"
                              "<input id=\"radius-password\" name=\"password\" type=\"password\" "
                              "autocomplete=\"current-password\" maxlength=\"128\" required></p>",
                              "Sign in"}};
  if (nas_.vouchers)
    forms.push_back(Form{"radius",
                         "<p><label for=\"radius-code\">Voucher code</label><br>"
                         "<input id=\"radius-code\" name=\"code\" type=\"text\" autocomplete=\"off\" "
                         "autocapitalize=\"characters\" autocorrect=\"off\" spellcheck=\"false\" maxlength=\"64\" "
                         "required></p>",
                         "Sign in with voucher"});
  return forms;
}

std::vector<std::byte> RadiusBackend::access_request(const RadiusNas& nas, const Attempt& attempt,
                                                     std::string_view user, std::string_view password,
                                                     std::string_view acct_session_id, std::string_view secret,
                                                     std::uint8_t identifier,
                                                     const radius::Authenticator& authenticator,
                                                     const boost::asio::ip::udp::endpoint& local,
                                                     std::uint32_t service_type) {
  namespace a = radius::attr;
  radius::Builder b(radius::Code::access_request, identifier, authenticator);
  // RFC 3579 §3.2 / RFC 5080 §2.2.2: first, so a server that reads it
  // before the rest (and the Blast-RADIUS fix) sees it.
  b.add_message_authenticator();
  b.add(a::user_name, user);
  b.add(a::user_password, radius::hide_password(password, secret, authenticator));
  b.add(a::calling_station_id, station_id(attempt.mac));
  if (!nas.called_station_id.empty()) b.add(a::called_station_id, nas.called_station_id);
  if (!nas.nas_identifier.empty()) b.add(a::nas_identifier, nas.nas_identifier);
  // RFC 2865 §5.4/§5.32: NAS-IP-Address is the address the server sees us
  // from (the connected socket's source address).
  if (local.address().is_v4()) {
    b.add_ipv4(a::nas_ip_address, local.address().to_v4().to_bytes());
  } else if (local.address().is_v6()) {
    const auto v6 = local.address().to_v6().to_bytes();
    b.add(95, std::as_bytes(std::span(v6)));  // NAS-IPv6-Address (RFC 3162 §2.1)
  }
  if (attempt.ip.is_v4() && attempt.ip != packet::IpAddr{})
    b.add_ipv4(a::framed_ip_address, {attempt.ip.bytes[0], attempt.ip.bytes[1], attempt.ip.bytes[2], attempt.ip.bytes[3]});
  b.add_u32(a::nas_port_type, radius::kNasPortTypeWireless80211);
  b.add_u32(a::service_type, service_type);  // RFC 2865 §5.6
  b.add(a::acct_session_id, acct_session_id);
  return std::move(b).finish();
}

Decision decision_of(const radius::PacketView& answer, std::string user, std::string method,
                     std::string acct_session_id) {
  namespace a = radius::attr;
  // RFC 2865 §5.18: Reply-Message may appear several times; shown joined.
  std::string message;
  answer.for_each([&](const radius::Attribute& attr) {
    if (attr.type != a::reply_message) return;
    if (!message.empty()) message += ' ';
    message += radius::as_text(attr.value);
  });
  if (answer.code() != radius::Code::access_accept) {
    // Access-Reject, and Access-Challenge (no second round on this page):
    // a credential failure for the abuse limits.
    Decision d = Decision::refuse(Decision::Outcome::wrong_credentials,
                                  message.empty() ? "Wrong user name or password." : message);
    return d;
  }
  Decision d = Decision::accept(std::move(method), std::move(user));
  d.message = std::move(message);
  d.acct_session_id = std::move(acct_session_id);
  // RFC 2865 §5.27: the most seconds of service before termination.
  if (auto t = answer.find_u32(a::session_timeout); t && *t > 0) d.duration = std::chrono::seconds(*t);
  if (auto t = answer.find_u32(a::idle_timeout); t && *t > 0) d.limits.idle_timeout = std::chrono::seconds(*t);
  // ChilliSpot-Max-Total-Octets (+ Gigawords * 2^32): up plus down, as
  // captive's --quota; Max-Input/Output-Octets are not honoured.
  auto total = answer.find_vendor_u32(radius::chillispot::kVendor, radius::chillispot::max_total_octets);
  auto giga = answer.find_vendor_u32(radius::chillispot::kVendor, radius::chillispot::max_total_gigawords);
  if (total || giga) {
    const std::uint64_t bytes = (std::uint64_t{giga.value_or(0)} << 32) | total.value_or(0);
    if (bytes > 0) d.limits.quota_bytes = bytes;
  }
  // WISPr rates are in bits per second; session::Limits in bytes per second.
  if (auto up = answer.find_vendor_u32(radius::wispr::kVendor, radius::wispr::bandwidth_max_up); up && *up > 0)
    d.limits.rate_up = std::max<std::uint64_t>(1, *up / 8);
  if (auto down = answer.find_vendor_u32(radius::wispr::kVendor, radius::wispr::bandwidth_max_down); down && *down > 0)
    d.limits.rate_down = std::max<std::uint64_t>(1, *down / 8);
  return d;
}

void RadiusBackend::judge(const Attempt& attempt, Verdict done) {
  std::string user, password, method = "radius";
  if (auto code = http::form_value(attempt.form, "code"); code && nas_.vouchers) {
    // A voucher is a RADIUS user whose password is its code (docs/radius.md).
    user = password = *code;
    method = "radius-voucher";
  } else {
    user = http::form_value(attempt.form, "user").value_or("");
    password = http::form_value(attempt.form, "password").value_or("");
  }
  if (user.empty() || user.size() > kMaxField || password.size() > kMaxField) {
    ++counts_[kOther];
    return done(Decision::refuse(Decision::Outcome::wrong_credentials, "Wrong user name or password."));
  }
  auto session_id = new_acct_session_id();
  const std::string secret = client_.settings().secret;
  auto build = [nas = nas_, attempt, user, password, session_id, secret](
                   std::uint8_t id, const radius::Authenticator& auth, const boost::asio::ip::udp::endpoint& local) {
    return access_request(nas, attempt, user, password, session_id, secret, id, auth, local);
  };
  client_.send(std::move(build), [counts = counts_, user, method, session_id, mac = attempt.mac,
                                  done = std::move(done)](Result<std::vector<std::byte>> answer) mutable {
    if (!answer) {
      ++counts[kUnreachable];
      LOG_WARN("radius: sign-in of %s: %s", mac.to_string().c_str(), answer.error().message().c_str());
      return done(Decision::refuse(Decision::Outcome::refused,
                                   "The sign-in service cannot be reached right now. Please try again in a minute."));
    }
    auto view = radius::PacketView::parse(*answer);
    if (!view) return done(Decision::refuse(Decision::Outcome::refused, "The sign-in service gave no answer."));
    Decision d = decision_of(*view, user, method, session_id);
    ++counts[d.accepted() ? kAccepted : kRejected];
    done(std::move(d));
  });
}

void RadiusBackend::counters(Counters& out) const {
  out.emplace_back("auth.radius.accepted", counts_[kAccepted]);
  out.emplace_back("auth.radius.rejected", counts_[kRejected]);
  out.emplace_back("auth.radius.unreachable", counts_[kUnreachable]);
  out.emplace_back("auth.radius.malformed_form", counts_[kOther]);
  const auto& s = client_.stats();
  out.emplace_back("auth.radius.requests", s.requests);
  out.emplace_back("auth.radius.sent", s.sent);
  out.emplace_back("auth.radius.retransmits", s.retransmits);
  out.emplace_back("auth.radius.failovers", s.failovers);
  out.emplace_back("auth.radius.answered", s.answered);
  out.emplace_back("auth.radius.unanswered", s.unanswered);
  out.emplace_back("auth.radius.busy", s.busy);
  out.emplace_back("auth.radius.dropped_malformed", s.dropped_malformed);
  out.emplace_back("auth.radius.dropped_unknown_id", s.dropped_unknown_id);
  out.emplace_back("auth.radius.dropped_bad_authenticator", s.dropped_bad_authenticator);
  out.emplace_back("auth.radius.dropped_no_message_authenticator", s.dropped_no_message_authenticator);
  out.emplace_back("auth.radius.dropped_bad_message_authenticator", s.dropped_bad_message_authenticator);
}

void RadiusMacAuth::check(const packet::MacAddr& mac) {
  std::uint64_t key = 0;
  for (auto b : mac.bytes) key = (key << 8) | b;
  if (!asked_.insert(key).second) return;
  order_.push_back(key);
  if (order_.size() > kRemembered) {
    asked_.erase(order_.front());
    order_.pop_front();
  }
  ++counts_[0];
  Attempt attempt;
  attempt.mac = mac;
  const std::string id = station_id(mac);
  auto session_id = new_acct_session_id();
  const std::string secret = client_.settings().secret;
  client_.send(
      [nas = nas_, attempt, id, session_id, secret](std::uint8_t identifier, const radius::Authenticator& auth,
                                                    const boost::asio::ip::udp::endpoint& local) {
        return RadiusBackend::access_request(nas, attempt, id, id, session_id, secret, identifier, auth, local,
                                             10 /* Call-Check */);
      },
      [counts = counts_, sign_in = sign_in_, mac, id, session_id](Result<std::vector<std::byte>> answer) {
        if (!answer) {
          ++counts[3];
          LOG_WARN("radius: MAC authentication of %s: %s", mac.to_string().c_str(), answer.error().message().c_str());
          return;
        }
        auto view = radius::PacketView::parse(*answer);
        if (!view) return;
        Decision d = decision_of(*view, id, "radius-mac", session_id);
        if (!d.accepted()) {
          ++counts[2];
          LOG_DEBUG("radius: MAC %s not known to the server: the page decides", mac.to_string().c_str());
          return;
        }
        ++counts[1];
        sign_in(mac, std::move(d));
      });
}

void RadiusMacAuth::counters(Counters& out) const {
  out.emplace_back("auth.radius_mac.asked", counts_[0]);
  out.emplace_back("auth.radius_mac.accepted", counts_[1]);
  out.emplace_back("auth.radius_mac.rejected", counts_[2]);
  out.emplace_back("auth.radius_mac.unreachable", counts_[3]);
}

}  // namespace captive::auth
