// `--auth radius`: sign-in against RADIUS servers (docs/radius.md). The
// page asks for a user name and password (PAP), and with
// --radius-vouchers also for a voucher code, sent as both User-Name and
// User-Password. The Access-Request goes out on the event loop through
// RadiusClient; the answer is the Decision (Access-Accept's Session-Timeout,
// Idle-Timeout, ChilliSpot-Max-Total-Octets and WISPr-Bandwidth-Max-Up/Down
// become the session's time and limits; Reply-Message is shown).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_set>
#include <string>

#include "captive/auth/backend.hpp"
#include "captive/auth/radius_client.hpp"
#include "captive/radius/packet.hpp"

namespace captive::auth {

struct RadiusNas {
  std::string nas_identifier;     // NAS-Identifier (--nas-id)
  std::string called_station_id;  // Called-Station-Id: "AA-BB-CC-DD-EE-FF:SSID" (RFC 3580 §3.20)
  bool vouchers = false;          // --radius-vouchers: show the voucher form too
};

// RFC 3580 §3.21: "00-10-A4-23-19-C0", upper case, dashes.
std::string station_id(const packet::MacAddr& mac);
// A fresh Acct-Session-Id: 16 hex digits from the CSPRNG (unique; the
// session keeps it, docs/radius.md).
std::string new_acct_session_id();
// An Access-Accept or Access-Reject (already verified) as a Decision.
Decision decision_of(const radius::PacketView& answer, std::string user, std::string method,
                     std::string acct_session_id);

class RadiusBackend final : public Backend {
 public:
  RadiusBackend(RadiusClient& client, RadiusNas nas) : client_(client), nas_(std::move(nas)) {}
  std::string_view name() const override { return "radius"; }
  std::vector<Form> forms() const override;
  void judge(const Attempt& attempt, Verdict done) override;
  void counters(Counters& out) const override;

  // The Access-Request for one try (RadiusClient::Build); pure (tests).
  // `service_type`: 1 Login-User (a sign-in), 10 Call-Check (MAC
  // authentication, RFC 2865 §5.6). An unspecified address (0.0.0.0) is
  // not sent as Framed-IP-Address.
  static std::vector<std::byte> access_request(const RadiusNas& nas, const Attempt& attempt, std::string_view user,
                                               std::string_view password, std::string_view acct_session_id,
                                               std::string_view secret, std::uint8_t identifier,
                                               const radius::Authenticator& authenticator,
                                               const boost::asio::ip::udp::endpoint& local,
                                               std::uint32_t service_type = 1);

 private:
  RadiusClient& client_;
  RadiusNas nas_;
  std::shared_ptr<std::uint64_t[]> counts_ = std::shared_ptr<std::uint64_t[]>(new std::uint64_t[4]{});
  // accepted, rejected, unreachable, other
};

// --radius-mac-auth (docs/radius.md): each device the gate answers is
// asked about once, off the packet path (responder::SeenMacs, drained by
// the event loop): User-Name and User-Password are its MAC as
// Calling-Station-Id writes it ("02-00-5E-10-AB-CD"), Service-Type
// Call-Check. An Access-Accept signs it in without a page (method
// "radius-mac"); a Reject leaves it to the page.
class RadiusMacAuth {
 public:
  using SignIn = std::function<void(const packet::MacAddr&, Decision)>;
  // The MACs remembered as asked (oldest forgotten first): bounded memory;
  // a forgotten device is asked again when next seen.
  static constexpr std::size_t kRemembered = 4096;

  RadiusMacAuth(RadiusClient& client, RadiusNas nas, SignIn sign_in)
      : client_(client), nas_(std::move(nas)), sign_in_(std::move(sign_in)) {}
  // On the home thread; returns at once (the answer comes later).
  void check(const packet::MacAddr& mac);
  void counters(Counters& out) const;

 private:
  RadiusClient& client_;
  RadiusNas nas_;
  SignIn sign_in_;
  std::unordered_set<std::uint64_t> asked_;
  std::deque<std::uint64_t> order_;
  std::shared_ptr<std::uint64_t[]> counts_ = std::shared_ptr<std::uint64_t[]>(new std::uint64_t[4]{});
  // asked, accepted, rejected, unreachable
};

}  // namespace captive::auth
