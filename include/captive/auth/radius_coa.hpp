// The Disconnect/CoA listener (RFC 5176; docs/radius.md "Disconnect and
// CoA"): a UDP socket on --coa-port on the event loop. A datagram from an
// address that is not one of the RADIUS servers, or that fails the checks
// of radius::parse_coa_request (wrong secret, bad Message-Authenticator,
// stale Event-Timestamp), is dropped without an answer, counted and logged
// (rate-limited: one line per reason per minute). A Disconnect-Request ends
// every session it names (Acct-Terminate-Cause Admin-Reset); a CoA-Request
// gives them the new Session-Timeout, Idle-Timeout and WISPr rates. The
// answer is the ACK, or a NAK with Error-Cause (503 when no session
// matches).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "captive/auth/backend.hpp"
#include "captive/radius/coa.hpp"
#include "captive/session/registry.hpp"

namespace captive::auth {

struct CoaListenerSettings {
  std::uint16_t port = 3799;  // RFC 5176 §3.6
  // The only sources taken (--radius-server and --radius-acct-server hosts).
  std::vector<packet::IpAddr> servers;
  std::string secret;
};

struct CoaListenerStats {
  std::uint64_t disconnect_acked = 0;
  std::uint64_t disconnect_naked = 0;
  std::uint64_t coa_acked = 0;
  std::uint64_t coa_naked = 0;
  // Retransmissions of a request already taken (same source, Identifier
  // and Authenticator): answered again from memory, not done twice.
  std::uint64_t duplicates = 0;
  std::array<std::uint64_t, radius::kCoaDropKinds> dropped{};  // by radius::CoaDrop
};

// RFC 5080 §2.2.2 duplicate detection: how long and how many answers are
// kept. A server retransmits within seconds (radclient: 3 s per try).
inline constexpr std::chrono::seconds kCoaDuplicateWindow{30};
inline constexpr std::size_t kCoaDuplicateEntries = 256;

// What the listener does to sessions: the registry in captived, a fake in
// the unit tests.
struct SessionControl {
  std::function<std::vector<session::Client>()> sessions;  // session::Registry::known
  std::function<void(const packet::MacAddr&, session::Done<void>)> disconnect;
  std::function<void(const packet::MacAddr&, std::optional<std::chrono::seconds> timeout, const session::Limits&,
                     session::Done<void>)>
      change;
};

// The sessions `who` names: every attribute given must match.
std::vector<packet::MacAddr> matching_sessions(const radius::SessionSelector& who,
                                               const std::vector<session::Client>& sessions);

class CoaListener {
 public:
  CoaListener(boost::asio::io_context& io, CoaListenerSettings settings, SessionControl control,
              std::function<std::int64_t()> wall = nullptr);
  ~CoaListener();
  CoaListener(const CoaListener&) = delete;
  CoaListener& operator=(const CoaListener&) = delete;

  // Binds the port (IPv6 with IPv4-mapped, else IPv4) and starts receiving.
  // Before the privilege drop: 3799 is no privileged port, but the socket
  // is made with the others.
  Result<void> open();
  std::uint16_t port() const;
  const CoaListenerStats& stats() const { return stats_; }
  void counters(Counters& out) const;

 private:
  void receive();
  void on_datagram(std::size_t size);
  void answer(const radius::CoaRequest& request, bool ack, std::optional<std::uint32_t> cause,
              const boost::asio::ip::udp::endpoint& to);
  void drop(radius::CoaDrop why, const boost::asio::ip::udp::endpoint& from);
  // The entry of a request taken recently, or null.
  struct Taken {
    boost::asio::ip::udp::endpoint from;
    std::uint8_t identifier = 0;
    radius::Authenticator authenticator{};
    std::vector<std::byte> answer;  // empty while the request is being done
    std::chrono::steady_clock::time_point at;
  };
  Taken* taken(const boost::asio::ip::udp::endpoint& from, std::uint8_t identifier,
               const radius::Authenticator& authenticator);

  boost::asio::io_context& io_;
  CoaListenerSettings settings_;
  SessionControl control_;
  std::function<std::int64_t()> wall_;
  boost::asio::ip::udp::socket socket_;
  boost::asio::ip::udp::endpoint from_;
  std::array<std::byte, radius::kMaxPacketSize> buffer_{};
  CoaListenerStats stats_;
  std::array<std::chrono::steady_clock::time_point, radius::kCoaDropKinds> last_logged_{};
  std::deque<Taken> taken_;  // oldest first
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace captive::auth
