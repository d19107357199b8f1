// `--auth radius`: sign-in against RADIUS servers (docs/radius.md). The
// page asks for a user name and password (PAP), and with
// --radius-vouchers also for a voucher code, sent as both User-Name and
// User-Password. The Access-Request goes out on the event loop through
// RadiusClient; the answer is the Decision (Access-Accept's Session-Timeout,
// Idle-Timeout, ChilliSpot-Max-Total-Octets and WISPr-Bandwidth-Max-Up/Down
// become the session's time and limits; Reply-Message is shown).
#pragma once

#include <cstdint>
#include <memory>
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
  static std::vector<std::byte> access_request(const RadiusNas& nas, const Attempt& attempt, std::string_view user,
                                               std::string_view password, std::string_view acct_session_id,
                                               std::string_view secret, std::uint8_t identifier,
                                               const radius::Authenticator& authenticator,
                                               const boost::asio::ip::udp::endpoint& local);

 private:
  RadiusClient& client_;
  RadiusNas nas_;
  std::shared_ptr<std::uint64_t[]> counts_ = std::shared_ptr<std::uint64_t[]>(new std::uint64_t[4]{});
  // accepted, rejected, unreachable, other
};

}  // namespace captive::auth
