#include "captive/portal/server.hpp"

#include <sys/socket.h>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>

#include "captive/util/log.hpp"

namespace captive::portal {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

packet::IpAddr to_ip(const tcp::endpoint& endpoint) {
  auto address = endpoint.address();
  if (address.is_v4()) {
    auto b = address.to_v4().to_bytes();
    return packet::IpAddr::v4(b.data());
  }
  auto b = address.to_v6().to_bytes();
  return packet::IpAddr::v6(b.data()).unmapped();
}

// One HTTP exchange per connection: read a request (bounded size and time),
// answer, close. Sign-in traffic is a handful of requests per client.
class Session : public std::enable_shared_from_this<Session> {
 public:
  using Open = Server::Open;
  Session(tcp::socket socket, const packet::IpAddr& client, const ServerSettings& settings, Handler& handler,
          std::shared_ptr<Open> open)
      : stream_(std::move(socket)), settings_(settings), handler_(handler), open_(std::move(open)), client_(client) {
    ++open_->total;
    ++open_->per_client[client_];
  }
  ~Session() {
    --open_->total;
    auto it = open_->per_client.find(client_);
    if (it != open_->per_client.end() && --it->second == 0) open_->per_client.erase(it);
  }

  void start() {
    parser_.emplace();
    parser_->body_limit(settings_.max_body);
    parser_->header_limit(8 * 1024);
    stream_.expires_after(settings_.request_timeout);
    beast::http::async_read(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code rec, std::size_t) { self->on_read(rec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec == beast::http::error::body_limit || ec == beast::http::error::header_limit) {
      response_ = Response{beast::http::status::payload_too_large, 11};
      response_.set(beast::http::field::content_type, "text/plain; charset=UTF-8");
      response_.body() = "Request too large.\n";
      response_.keep_alive(false);
      response_.prepare_payload();
      write();
      return;
    }
    if (ec) return;  // timeout, reset, malformed request: just close
    // A sign-in answers when the kernel has the MAC; until then the
    // completion holds this session (and the request it reads) alive.
    handler_.handle(parser_->get(), client_, [self = shared_from_this()](Response response) {
      self->response_ = std::move(response);
      self->write();
    });
  }

  void write() {
    beast::http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  beast::tcp_stream stream_;
  const ServerSettings& settings_;
  Handler& handler_;
  std::shared_ptr<Open> open_;
  beast::flat_buffer buffer_{8 * 1024};
  std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
  Response response_;
  packet::IpAddr client_;
};

}  // namespace

Server::Server(asio::io_context& io, ServerSettings settings, Handler& handler)
    : acceptor_(io), settings_(std::move(settings)), handler_(handler) {}

Result<std::unique_ptr<Server>> Server::start(asio::io_context& io, const ServerSettings& settings,
                                              Handler& handler) {
  std::unique_ptr<Server> server(new Server(io, settings, handler));
  auto& acceptor = server->acceptor_;
  std::string what = "portal: listen on [::]:" + std::to_string(settings.port) + " (" + settings.device + ")";
  boost::system::error_code ec;
  acceptor.open(tcp::v6(), ec);
  if (ec) return make_error(ec.value(), what);
  // Dual-stack: IPv4 clients arrive as ::ffff:a.b.c.d.
  acceptor.set_option(asio::ip::v6_only(false), ec);
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_BINDTODEVICE, settings.device.c_str(),
                   static_cast<socklen_t>(settings.device.size())) != 0)
    return errno_error(what + ": SO_BINDTODEVICE");
  acceptor.bind(tcp::endpoint(tcp::v6(), settings.port), ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error(ec.value(), what);
  server->accept();
  return server;
}

void Server::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      boost::system::error_code rec;
      auto remote = socket.remote_endpoint(rec);
      if (!rec) {
        packet::IpAddr client = to_ip(remote);
        auto it = open_->per_client.find(client);
        std::size_t mine = it == open_->per_client.end() ? 0 : it->second;
        if (open_->total >= settings_.max_connections || mine >= settings_.max_connections_per_client) {
          ++refused_;  // closing the socket answers: too many at once
        } else {
          std::make_shared<Session>(std::move(socket), client, settings_, handler_, open_)->start();
        }
      }
    }
    accept();
  });
}

}  // namespace captive::portal
