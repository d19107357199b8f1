// The sign-in web server (Boost.Beast): one dual-stack listening socket bound
// to the LAN device, so the portal is reachable from the LAN only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
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
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> start(boost::asio::io_context& io, const ServerSettings& settings,
                                               Handler& handler);
  std::uint64_t connections_refused() const { return refused_; }

 private:
  Server(boost::asio::io_context& io, ServerSettings settings, Handler& handler);
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  ServerSettings settings_;
  Handler& handler_;
  std::shared_ptr<std::size_t> open_ = std::make_shared<std::size_t>(0);
  std::uint64_t refused_ = 0;
};

}  // namespace captive::portal
