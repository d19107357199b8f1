#include "captive/control/server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <memory>

#include "captive/control/protocol.hpp"
#include "captive/util/log.hpp"

namespace captive::control {
namespace asio = boost::asio;
using Local = asio::local::stream_protocol;

namespace {

// One admin connection: request lines in, reply lines out, until EOF.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Local::socket socket, Context& context)
      : socket_(std::move(socket)), buffer_(kMaxLineBytes + 1), context_(context) {}

  void read() {
    asio::async_read_until(socket_, buffer_, '\n',
                           [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                             self->on_line(ec, n);
                           });
  }

 private:
  void on_line(boost::system::error_code ec, std::size_t n) {
    if (ec) return;  // EOF, or a line longer than we take: drop the connection
    std::string line(asio::buffers_begin(buffer_.data()), asio::buffers_begin(buffer_.data()) + static_cast<std::ptrdiff_t>(n) - 1);
    buffer_.consume(n);
    // The reply may come later (list and revoke wait for the kernel worker);
    // the connection lives on in the completion until then.
    handle_request(line, context_, [self = shared_from_this()](std::string reply) { self->write(std::move(reply)); });
  }

  void write(std::string reply) {
    reply_ = std::move(reply);
    reply_.push_back('\n');
    asio::async_write(socket_, asio::buffer(reply_),
                      [self = shared_from_this()](boost::system::error_code wec, std::size_t) {
                        if (!wec) self->read();
                      });
  }

  Local::socket socket_;
  asio::streambuf buffer_;
  std::string reply_;
  Context& context_;
};

bool live_socket_at(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof addr.sun_path - 1);
  bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return live;
}

}  // namespace

Server::Server(asio::io_context& io, std::string path, Context& context)
    : acceptor_(io), path_(std::move(path)), context_(context) {}

Server::~Server() {
  boost::system::error_code ec;
  acceptor_.close(ec);
  ::unlink(path_.c_str());
}

Result<std::unique_ptr<Server>> Server::start(asio::io_context& io, const std::string& path,
                                              Context& context) {
  if (path.size() >= sizeof(sockaddr_un{}.sun_path))
    return make_error(ENAMETOOLONG, "control socket " + path);
  // The default, /run/captive/captived.sock, is in a directory that a stock
  // system does not have (/run is a fresh tmpfs at every boot): make the
  // missing levels, 0700 like the socket's own mode (root only).
  for (std::size_t at = path.find('/', 1); at != std::string::npos; at = path.find('/', at + 1)) {
    const std::string dir = path.substr(0, at);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      return make_error(errno, "create directory " + dir + " for control socket " + path);
  }
  if (live_socket_at(path))
    return make_error(EADDRINUSE, "control socket " + path + " (is another captived running?)");
  ::unlink(path.c_str());

  std::unique_ptr<Server> server(new Server(io, path, context));
  boost::system::error_code ec;
  server->acceptor_.open(Local(), ec);
  if (!ec) {
    // Nobody but root may even connect; SO_PEERCRED below is the real check.
    mode_t old = ::umask(0177);
    server->acceptor_.bind(Local::endpoint(path), ec);
    ::umask(old);
  }
  if (!ec) server->acceptor_.listen(16, ec);
  if (ec) {
    Error error = make_error(ec.value(), "control socket " + path);
    server->path_.clear();
    return error;
  }
  server->accept();
  return server;
}

void Server::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, Local::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      ucred cred{};
      socklen_t len = sizeof cred;
      if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
          cred.uid == 0) {
        std::make_shared<Connection>(std::move(socket), context_)->read();
      } else {
        LOG_WARN("control: refused a connection from uid %u (root only)", static_cast<unsigned>(cred.uid));
      }
    }
    accept();
  });
}

}  // namespace captive::control
