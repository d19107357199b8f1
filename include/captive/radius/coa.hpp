// Dynamic Authorization (RFC 5176): the Disconnect-Request and CoA-Request
// a RADIUS server sends to captived's --coa-port, checked and decoded, and
// the ACK/NAK answers. Pure: the listener (coa_listener.hpp) owns the
// socket and decides which source addresses are servers.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "captive/packet/address.hpp"
#include "captive/radius/packet.hpp"

namespace captive::radius {

// RFC 5176 §3.5 Error-Cause values captived sends.
namespace error_cause {
inline constexpr std::uint32_t unsupported_attribute = 401;
inline constexpr std::uint32_t missing_attribute = 402;
inline constexpr std::uint32_t invalid_request = 404;
inline constexpr std::uint32_t session_context_not_found = 503;
inline constexpr std::uint32_t resources_unavailable = 506;
}  // namespace error_cause

// Why a datagram on the CoA port is dropped without an answer (RFC 5176
// §3: "silently discarded"); each is counted and logged.
enum class CoaDrop {
  unknown_source,             // not from a configured server
  malformed,                  // not a RADIUS packet (RFC 2865 §3 bounds)
  not_a_request,              // a code other than Disconnect-Request or CoA-Request
  bad_authenticator,          // RFC 5176 §3: the Request Authenticator is wrong (wrong secret)
  bad_message_authenticator,  // RFC 5176 §3.2 / RFC 3579 §3.2: present and wrong, or twice
  stale,                      // RFC 5176 §3.4: Event-Timestamp outside the window (a replay)
};
std::string_view to_string(CoaDrop drop);
inline constexpr std::size_t kCoaDropKinds = 6;

// Which session a request names (RFC 5176 §3 "session identification
// attributes"). Every one given must match the same session.
struct SessionSelector {
  std::optional<std::string> acct_session_id;
  std::optional<packet::MacAddr> calling_station_id;  // as a MAC ("AA-BB-CC-DD-EE-FF" or with ':')
  std::optional<std::string> user_name;
  std::optional<packet::IpAddr> framed_ip;
  bool empty() const { return !acct_session_id && !calling_station_id && !user_name && !framed_ip; }
};

// What a CoA-Request changes (the attributes of an Access-Accept that
// captived honours, docs/radius.md).
struct SessionChanges {
  std::optional<std::uint32_t> session_timeout;  // seconds from now (RFC 2865 §5.27)
  std::optional<std::uint32_t> idle_timeout;     // seconds (RFC 2865 §5.28)
  std::optional<std::uint64_t> rate_up;          // bytes per second (WISPr-Bandwidth-Max-Up is bits/s)
  std::optional<std::uint64_t> rate_down;        // bytes per second (WISPr-Bandwidth-Max-Down)
  bool empty() const { return !session_timeout && !idle_timeout && !rate_up && !rate_down; }
};

struct CoaRequest {
  Code code = Code::disconnect_request;
  std::uint8_t identifier = 0;
  Authenticator authenticator{};
  SessionSelector who;
  SessionChanges changes;
  // Set when the request is well formed but cannot be done as asked: the
  // NAK's Error-Cause (401 an attribute captived does not support in a
  // CoA; 402 no session identification attribute; 404 a bad value).
  std::optional<std::uint32_t> refuse;
  // RFC 2865 §5.33 / RFC 5176 §3: Proxy-State values, copied into the
  // answer unmodified and in order.
  std::vector<std::vector<std::byte>> proxy_state;
};

// RFC 5176 §3.4: a request whose Event-Timestamp is this far from our
// clock is refused as a replay ("300 seconds is a reasonable default").
inline constexpr std::uint32_t kCoaReplayWindow = 300;

// Checks and decodes a datagram from a known server sharing `secret`:
// its Request Authenticator (RFC 5176 §2.3, as RFC 2866 §3), its
// Message-Authenticator when present, its Event-Timestamp when present
// (against `now`, wall-clock seconds). Never throws, never reads past
// `bytes`.
std::variant<CoaRequest, CoaDrop> parse_coa_request(std::span<const std::byte> bytes, std::string_view secret,
                                                    std::int64_t now);

// The answer to `request`: Disconnect-ACK/NAK or CoA-ACK/NAK (RFC 5176
// §3), with Error-Cause when given, a Message-Authenticator, and the
// Response Authenticator over the request's authenticator.
std::vector<std::byte> coa_answer(const CoaRequest& request, bool ack, std::optional<std::uint32_t> cause,
                                  std::string_view secret);

// A Calling-Station-Id as a MAC: "AA-BB-CC-DD-EE-FF", "aa:bb:..", or 12
// hex digits ("AABBCCDDEEFF", what some servers store).
std::optional<packet::MacAddr> parse_station_id(std::string_view text);

}  // namespace captive::radius
