// The sign-in web server (Boost.Beast): one dual-stack listening socket bound
// to the LAN device, so the portal is reachable from the LAN only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "captive/portal/handler.hpp"
#include "captive/util/result.hpp"

namespace captive::portal {

struct ServerSettings {
  std::string device;      // SO_BINDTODEVICE
  std::uint16_t port = 8511;
  std::chrono::seconds request_timeout{10};
  std::size_t max_body = 16 * 1024;   // a sign-in form is a few hundred bytes
  std::size_t max_connections = 256;  // beyond that new connections are closed at once
  // Per source address, so one client cannot hold all of them (measured:
  // 300 idle connections from one client locked every other out for 10 s).
  std::size_t max_connections_per_client = 16;
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> start(boost::asio::io_context& io, const ServerSettings& settings,
                                               Handler& handler);
  std::uint64_t connections_refused() const { return refused_; }

  // Open connections, in all and per client; shared with the sessions, which
  // give theirs back when they end (all on the io_context's thread).
  struct Open {
    std::size_t total = 0;
    std::map<packet::IpAddr, std::size_t> per_client;
  };

 private:
  Server(boost::asio::io_context& io, ServerSettings settings, Handler& handler);
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  ServerSettings settings_;
  Handler& handler_;
  std::shared_ptr<Open> open_ = std::make_shared<Open>();
  std::uint64_t refused_ = 0;
};

}  // namespace captive::portal
