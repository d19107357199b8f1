// The control socket: a Unix stream socket (mode 0600) accepting root only,
// checked with SO_PEERCRED on every connection.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <string>

#include "captive/control/protocol.hpp"
#include "captive/util/result.hpp"

namespace captive::control {

class Server {
 public:
  // Binds `path` (a stale socket file left by a dead daemon is replaced; a
  // live one is an error) and starts accepting.
  static Result<std::unique_ptr<Server>> start(boost::asio::io_context& io, const std::string& path,
                                               Context& context);
  ~Server();  // removes the socket file

 private:
  Server(boost::asio::io_context& io, std::string path, Context& context);
  void accept();

  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::string path_;
  Context& context_;
};

}  // namespace captive::control
