// An asynchronous RADIUS client on captived's event loop (docs/radius.md):
// one connected UDP socket per server, requests retransmitted on a timer
// and failed over to the next server, answers matched to their request by
// Identifier and checked (Response Authenticator, Message-Authenticator
// required). Never blocks: a round trip is a pending entry and a timer.
//
// Not radcli: its rc_aaa()/rc_auth() block the calling thread for the
// whole round trip (timeouts and retries included); it would need a thread
// per concurrent sign-in, while this is a few sockets on the one loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "captive/radius/packet.hpp"
#include "captive/util/result.hpp"

namespace captive::auth {

struct RadiusClientSettings {
  // In the order tried (--radius-server); a request starts at the server
  // that answered last and walks the list from there once.
  std::vector<boost::asio::ip::udp::endpoint> servers;
  std::string secret;
  // Per try (RFC 5080 §2.2.1: a retransmission keeps Identifier and
  // Authenticator); `retries` more tries per server before the next one.
  std::chrono::milliseconds timeout{3000};
  unsigned retries = 2;
  // Answers without a right Message-Authenticator are dropped (RFC 3579
  // §3.2; Blast-RADIUS). Access-Request answers: always. An accounting
  // client may turn it off: RFC 2866 servers need not sign
  // Accounting-Responses that way (the Response Authenticator still holds).
  bool require_message_authenticator = true;
};

struct RadiusClientStats {
  std::uint64_t requests = 0;        // requests asked for
  std::uint64_t sent = 0;            // datagrams sent, retransmissions included
  std::uint64_t retransmits = 0;
  std::uint64_t failovers = 0;       // a server given up for the next
  std::uint64_t answered = 0;
  std::uint64_t unanswered = 0;      // no server answered
  std::uint64_t busy = 0;            // no Identifier free on any server
  std::uint64_t dropped_malformed = 0;       // not a RADIUS packet (RFC 2865 §3 bounds)
  std::uint64_t dropped_unknown_id = 0;      // no request pending with that Identifier
  std::uint64_t dropped_bad_authenticator = 0;
  std::uint64_t dropped_no_message_authenticator = 0;
  std::uint64_t dropped_bad_message_authenticator = 0;
};

class RadiusClient {
 public:
  // Builds the request for one server: its Identifier and a fresh random
  // Request Authenticator (User-Password is hidden with it; an
  // Accounting-Request ignores it: sign() hashes its own). The result goes
  // through radius::sign, which fills its Message-Authenticator if it has one.
  using Build = std::function<std::vector<std::byte>(std::uint8_t identifier, const radius::Authenticator& authenticator,
                                                     const boost::asio::ip::udp::endpoint& local)>;
  // The checked answer's bytes, or why there is none. On the home thread.
  using Done = std::function<void(Result<std::vector<std::byte>>)>;

  RadiusClient(boost::asio::io_context& io, RadiusClientSettings settings);
  ~RadiusClient();
  RadiusClient(const RadiusClient&) = delete;
  RadiusClient& operator=(const RadiusClient&) = delete;

  // Opens the sockets (connect() picks each server's source address).
  Result<void> open();
  // Sends a request; `done` runs exactly once, never before send returns.
  void send(Build build, Done done);

  const RadiusClientStats& stats() const { return stats_; }
  const RadiusClientSettings& settings() const { return settings_; }

 private:
  struct Pending;
  struct Server;
  void start_on(std::shared_ptr<Pending> p);
  void transmit(const std::shared_ptr<Pending>& p);
  void next_server(std::shared_ptr<Pending> p);
  void receive(std::size_t server);
  void on_datagram(std::size_t server, std::size_t size);
  void finish(const std::shared_ptr<Pending>& p, Result<std::vector<std::byte>> r);

  boost::asio::io_context& io_;
  RadiusClientSettings settings_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::size_t preferred_ = 0;
  RadiusClientStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace captive::auth
