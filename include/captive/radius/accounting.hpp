// RADIUS Accounting (RFC 2866) records: what captived tells the accounting
// server about a session, as attributes. Pure: no sockets, no clock (the
// caller passes the times), no disk.
//
// A record is kept as its attribute bytes without Acct-Delay-Time and
// without NAS-IP-Address (accounting_attributes); the packet is made per
// try (accounting_request): RFC 2866 §5.2 says Acct-Delay-Time is "how many
// seconds the client has been trying to send this record", so a record
// resent from the disk queue carries a larger one, and "changing the
// Acct-Delay-Time ... causes the Identifier to change" (a new packet, a new
// Request Authenticator). NAS-IP-Address is the source address the server
// sees, known only once the socket to that server is connected.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "captive/radius/packet.hpp"
#include "captive/util/result.hpp"

namespace captive::radius {

// RFC 2866 §5.1 Acct-Status-Type.
enum class AcctStatusType : std::uint32_t {
  start = 1,
  stop = 2,
  interim_update = 3,  // RFC 2866 §5.1 lists it; RFC 2869 §2.1 defines its use
  accounting_on = 7,
  accounting_off = 8,
};

// RFC 2866 §5.10 Acct-Terminate-Cause, the values captived sends.
enum class TerminateCause : std::uint32_t {
  user_request = 1,     // the user logged out (the page's "Sign out")
  idle_timeout = 4,     // no traffic for the idle timeout
  session_timeout = 5,  // the session's time was up
  admin_reset = 6,      // `captivectl revoke`, a Disconnect-Request, an element deleted by hand
  nas_request = 10,     // "NAS ended session for a non-error reason not otherwise listed": the quota
};

// What a session used, both directions, as the kernel counted it. "Input"
// is RFC 2866 §5.3's "received from the port" (what the client sent, the
// session's "up"); "output" what was sent to it (§5.4, "down").
struct AccountingCounters {
  std::uint64_t input_octets = 0;
  std::uint64_t input_packets = 0;
  std::uint64_t output_octets = 0;
  std::uint64_t output_packets = 0;
  friend bool operator==(const AccountingCounters&, const AccountingCounters&) = default;
};

struct AccountingRecord {
  AcctStatusType status = AcctStatusType::start;
  std::string session_id;          // Acct-Session-Id (RFC 2866 §5.5), the same in every record of a session
  std::string user_name;           // User-Name, if the session has one
  std::string calling_station_id;  // the client's MAC, RFC 3580 §3.21 "AA-BB-CC-DD-EE-FF"
  std::string called_station_id;   // optional
  std::string nas_identifier;      // NAS-Identifier (--nas-id), optional
  std::optional<std::array<std::uint8_t, 4>> framed_ip;  // the client's IPv4 address, if known
  std::uint32_t session_time = 0;  // Acct-Session-Time (§5.7), seconds; not in a Start
  AccountingCounters counters;     // not in a Start
  std::optional<TerminateCause> cause;  // Stop only
  bool authenticated_by_radius = false;  // Acct-Authentic (§5.6): RADIUS, else Local
  std::uint32_t event_timestamp = 0;    // Event-Timestamp (RFC 2869 §5.3): when it happened, wall clock
};

// The record's attributes in order (no header, no Acct-Delay-Time, no
// NAS-IP-Address). Octet counts above 2^32 go in Acct-Input/Output-Octets
// modulo 2^32 plus Acct-Input/Output-Gigawords (RFC 2869 §5.1, §5.2: "how
// many times the Acct-Input-Octets counter has wrapped around 2^32"; a
// count above 2^64 - 1 cannot happen). Packet counts have no gigawords
// attribute: they saturate at 2^32 - 1 rather than wrap (a server that
// does not expect a wrap would bill a smaller number). Empty strings are
// left out. Error: a field is too long for an attribute (253 octets).
Result<std::vector<std::byte>> accounting_attributes(const AccountingRecord& record);

// One Accounting-Request for one try: header with `identifier`, the stored
// `attributes`, Acct-Delay-Time `delay_seconds` and, when given,
// NAS-IP-Address; the Request Authenticator (RFC 2866 §3) signed with
// `secret`. Error: the attributes do not parse as attributes (a corrupt
// queue file) or the packet would pass 4096 octets.
Result<std::vector<std::byte>> accounting_request(std::span<const std::byte> attributes,
                                                  std::uint8_t identifier, std::uint32_t delay_seconds,
                                                  std::optional<std::array<std::uint8_t, 4>> nas_ip,
                                                  std::string_view secret);

// RFC 2866 §5.2 Acct-Delay-Time for a record of `event_time` sent at
// `now` (both wall-clock seconds): 0 when the clock went back.
std::uint32_t acct_delay(std::int64_t event_time, std::int64_t now);

// The high and low halves of an octet count (RFC 2869 §5.1).
struct SplitOctets {
  std::uint32_t octets;
  std::uint32_t gigawords;
};
constexpr SplitOctets split_octets(std::uint64_t n) {
  return {static_cast<std::uint32_t>(n & 0xffffffffu), static_cast<std::uint32_t>(n >> 32)};
}

}  // namespace captive::radius
