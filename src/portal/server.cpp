#include "captive/portal/server.hpp"

#include <sys/socket.h>

#include <boost/asio/ip/v6_only.hpp>
#if CAPTIVE_PORTAL_TLS
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <openssl/ssl.h>
#endif
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <list>
#include <map>
#include <optional>

#include "captive/http/request_parser.hpp"
#include "captive/util/log.hpp"
#include "captive/util/file.hpp"

namespace captive::portal {
namespace asio = boost::asio;
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

class Session;

// net.core.somaxconn of this network namespace: the kernel's cap on a
// listen backlog. 0 if unreadable.
long somaxconn() { return util::read_number("/proc/sys/net/core/somaxconn").value_or(0); }

}  // namespace

#if CAPTIVE_PORTAL_TLS
struct TlsContext {
  asio::ssl::context ssl{asio::ssl::context::tls_server};
};

Result<std::shared_ptr<TlsContext>> tls_context(const std::string& cert_file, const std::string& key_file) {
  auto tls = std::make_shared<TlsContext>();
  auto* context = &tls->ssl;
  boost::system::error_code ec;
  // TLS 1.2 at least (RFC 8996 deprecates 1.0 and 1.1); no compression (CRIME).
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression |
                           asio::ssl::context::single_dh_use,
                       ec);
  if (ec) return make_error(ec.value(), "TLS context: " + ec.message());
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) return make_error(EINVAL, "--tls-cert " + cert_file + ": " + ec.message());
  context->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) return make_error(EINVAL, "--tls-key " + key_file + ": " + ec.message());
  if (::SSL_CTX_check_private_key(context->native_handle()) != 1)
    return make_error(EINVAL, "--tls-key " + key_file + ": does not match the certificate in " + cert_file);
  return tls;
}
#else
struct TlsContext {};

Result<std::shared_ptr<TlsContext>> tls_context(const std::string& cert_file, const std::string&) {
  return make_error(ENOTSUP, "--tls-cert " + cert_file + ": this build has no TLS (built with -Dportal_tls=disabled)");
}
#endif

LimitKey limit_key(const packet::IpAddr& address, const std::optional<packet::MacAddr>& mac) {
  LimitKey key{};
  if (mac) {
    key[0] = 0;
    std::copy(mac->bytes.begin(), mac->bytes.end(), key.begin() + 1);
  } else if (address.is_v4()) {
    key[0] = 4;
    std::copy_n(address.bytes.begin(), 4, key.begin() + 1);
  } else {
    key[0] = 6;
    std::copy_n(address.bytes.begin(), 8, key.begin() + 1);  // the /64
  }
  return key;
}

// Every open connection in the order it was accepted, and how many each
// client holds. Shared with the sessions, which leave it when they end or
// are evicted (all on the io_context's thread).
struct Server::Open {
  std::list<std::weak_ptr<Session>> order;
  std::map<LimitKey, std::size_t> per_client;
  // Here rather than in Server: a peer lookup's answer may arrive (posted to
  // the io_context) after the Server is gone.
  std::uint64_t refused = 0;
  std::uint64_t evicted = 0;
  std::uint64_t pauses = 0;  // at the limit, or an accept error (then also logged, every 10 s at most)
  std::chrono::steady_clock::time_point accept_error_logged{};
  // The server while it lives (its acceptor at the cap waits for a slot).
  Server* server = nullptr;
  // Set while the acceptor is paused: the next connection to leave posts
  // the resumption (never inline: a connection leaves from within
  // Server::take too).
  std::function<void()> slot_freed;

  void left() {
    if (!slot_freed) return;
    auto notify = std::move(slot_freed);
    slot_freed = nullptr;
    notify();
  }

  std::size_t of(const LimitKey& key) const {
    auto it = per_client.find(key);
    return it == per_client.end() ? 0 : it->second;
  }
};

namespace {

// One stream type for HTTP and HTTPS, so the session below is compiled once
// (with Beast it was instantiated for the TCP stream and again for the TLS
// stream: a fifth of captived on a router, docs/performance.md "Size").
class Transport {
 public:
  using Done = std::function<void(boost::system::error_code, std::size_t)>;
  explicit Transport(tcp::socket socket) : socket_(std::move(socket)) {}
  virtual ~Transport() = default;
  virtual void handshake(std::function<void(boost::system::error_code)> done) { done({}); }
  virtual void read_some(asio::mutable_buffer buffer, Done done) { socket_.async_read_some(buffer, std::move(done)); }
  virtual void write(asio::const_buffer buffer, Done done) { asio::async_write(socket_, buffer, std::move(done)); }
  // After the answer: FIN (TLS: close_notify first). `done` holds the
  // session until then.
  virtual void finish(std::function<void()> done) {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    done();
  }
  void close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 protected:
  tcp::socket socket_;
};

#if CAPTIVE_PORTAL_TLS
class TlsTransport final : public Transport {
 public:
  TlsTransport(tcp::socket socket, asio::ssl::context& context) : Transport(std::move(socket)), tls_(socket_, context) {}
  void handshake(std::function<void(boost::system::error_code)> done) override {
    tls_.async_handshake(asio::ssl::stream_base::server, std::move(done));
  }
  void read_some(asio::mutable_buffer buffer, Done done) override { tls_.async_read_some(buffer, std::move(done)); }
  void write(asio::const_buffer buffer, Done done) override { asio::async_write(tls_, buffer, std::move(done)); }
  // close_notify (RFC 8446 §6.1); the session's deadline bounds the wait
  // for the client's, and the socket closes when the session goes.
  void finish(std::function<void()> done) override {
    tls_.async_shutdown([done = std::move(done)](boost::system::error_code) { done(); });
  }

 private:
  asio::ssl::stream<tcp::socket&> tls_;
};
#endif

// The handler's request from the parser's.
Request to_request(::captive::http::ParsedRequest& parsed) {
  Request request;
  request.method_string(parsed.method);
  request.target(parsed.target);
  request.version(parsed.version);
  for (const auto& [name, value] : parsed.fields) request.insert(name, value);
  request.body() = std::move(parsed.body);
  return request;
}

// The response as bytes: our own Content-Length (RFC 9110 §8.6) and
// Connection: close (RFC 9112 §9.6: every answer ends its connection);
// a HEAD answer has the GET answer's fields but the length, and no body
// (RFC 9110 §9.3.2).
std::string serialize(const Response& response, bool head) {
  std::string out;
  out.reserve(256 + response.body().size());
  out += "HTTP/1.1 ";
  out += std::to_string(response.result_int());
  out += ' ';
  out += response.reason();
  out += "\r\n";
  // The framing fields are the server's, whatever the handler set.
  const auto framing = [](std::string_view name) {
    web::Fields one;
    one.insert(name, "");
    return one.count(http::field::content_length) + one.count(http::field::transfer_encoding) +
               one.count(http::field::connection) > 0;
  };
  for (const auto& [name, value] : response) {
    if (framing(name)) continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  // HEAD: no Content-Length (RFC 9110 §8.6: only the GET answer's length
  // may be sent, and the handler answers HEAD without building that body).
  if (!head) out += "Content-Length: " + std::to_string(response.body().size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  if (!head) out += response.body();
  return out;
}

// What the parser refuses is answered with its status and a line of text.
Response refusal(int status) {
  Response response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, "text/plain; charset=UTF-8");
  switch (status) {
    case 413: response.body() = "Request too large.\n"; break;
    case 431: response.body() = "Request header fields too large.\n"; break;
    case 411: response.body() = "A request body needs a Content-Length.\n"; break;
    case 501: response.body() = "Transfer-Encoding not implemented.\n"; break;
    case 505: response.body() = "HTTP/1.1 only.\n"; break;
    default: response.body() = "Bad request.\n"; break;
  }
  return response;
}

// One HTTP exchange per connection: read a request (bounded size and time,
// ::captive::http::RequestParser), answer, close. Sign-in traffic is a
// handful of requests per client.
class Session : public std::enable_shared_from_this<Session> {
 public:
  using Open = Server::Open;
  Session(tcp::socket socket, const Client& client, const LimitKey& key, const ServerSettings& settings,
          Handler& handler, std::shared_ptr<Open> open)
      : timer_(socket.get_executor()), settings_(settings), handler_(handler), open_(std::move(open)),
        parser_({8 * 1024, settings.max_body}), client_(client), key_(key) {
#if CAPTIVE_PORTAL_TLS
    if (settings_.tls) {
      transport_ = std::make_unique<TlsTransport>(std::move(socket), settings_.tls->ssl);
      return;
    }
#endif
    transport_ = std::make_unique<Transport>(std::move(socket));
  }
  ~Session() { leave(); }

  void start() {
    accepted_at_ = std::chrono::steady_clock::now();
    ++open_->per_client[key_];
    place_ = open_->order.insert(open_->order.end(), weak_from_this());
    in_open_ = true;
    // One deadline for the handshake and the request: a TLS client that
    // stalls in the handshake is as idle as one that stalls in its request.
    expire_after(settings_.request_timeout);
    transport_->handshake([self = shared_from_this()](boost::system::error_code ec) {
      // A bad handshake (plain HTTP to the TLS port, a client that does not
      // trust the certificate, a timeout) ends this connection only.
      if (ec) return;
      self->read();
    });
  }

  // Idle: still waiting for (the rest of) its request. Once the request is
  // read the connection is answered and closed within the write timeout.
  bool idle() const { return idle_; }
  std::chrono::steady_clock::time_point accepted_at() const { return accepted_at_; }
  const LimitKey& key() const { return key_; }

  // Counts the connection under `key` from now on (its MAC, once the peer
  // map has answered). Nothing if it has already left.
  void rekey(const LimitKey& key) {
    if (!in_open_ || key == key_) return;
    auto it = open_->per_client.find(key_);
    if (it != open_->per_client.end() && --it->second == 0) open_->per_client.erase(it);
    key_ = key;
    ++open_->per_client[key_];
  }
  bool open() const { return in_open_; }

  // Gives the slot back at once and closes the socket; the pending read ends
  // with operation_aborted and the session goes away.
  void evict() {
    leave();
    transport_->close();
  }

 private:
  void leave() {
    if (!in_open_) return;
    in_open_ = false;
    open_->order.erase(place_);
    auto it = open_->per_client.find(key_);
    if (it != open_->per_client.end() && --it->second == 0) open_->per_client.erase(it);
    open_->left();
  }

  // At the deadline the socket closes, which ends whatever is pending.
  void expire_after(std::chrono::steady_clock::duration timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->transport_->close();
    });
  }

  void read() {
    transport_->read_some(asio::buffer(input_), [self = shared_from_this()](boost::system::error_code ec,
                                                                            std::size_t n) {
      if (ec) return;  // timeout, reset, eviction: just close
      using State = ::captive::http::RequestParser::State;
      switch (self->parser_.feed(std::string_view(self->input_.data(), n))) {
        case State::need_more: return self->read();
        case State::error: return self->answer(refusal(self->parser_.error_status()));
        case State::complete: return self->handle();
      }
    });
  }

  void handle() {
    idle_ = false;
    head_ = parser_.request().method == "HEAD";
    request_ = to_request(parser_.request());
    // A sign-in answers when the kernel has the MAC; until then the
    // completion holds this session (and the request it reads) alive.
    handler_.handle(request_, client_, [self = shared_from_this()](Response response) {
      self->answer(std::move(response));
    });
  }

  void answer(Response response) {
    idle_ = false;
    output_ = serialize(response, head_);
    expire_after(settings_.request_timeout);
    transport_->write(asio::buffer(output_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return;
      // The answer is out, the slot should not stay taken: at most 2 s
      // more for TLS's close_notify.
      self->expire_after(std::min<std::chrono::steady_clock::duration>(self->settings_.request_timeout,
                                                                       std::chrono::seconds(2)));
      self->transport_->finish([self] {});
    });
  }

  std::unique_ptr<Transport> transport_;
  asio::steady_timer timer_;
  const ServerSettings& settings_;
  Handler& handler_;
  std::shared_ptr<Open> open_;
  std::array<char, 4096> input_;
  ::captive::http::RequestParser parser_;
  Request request_;
  std::string output_;
  bool head_ = false;
  Client client_;
  LimitKey key_;
  std::list<std::weak_ptr<Session>>::iterator place_;
  std::chrono::steady_clock::time_point accepted_at_{};
  bool in_open_ = false;
  bool idle_ = true;
};

// The oldest idle connection, of `key` if given.
std::shared_ptr<Session> oldest_idle(Server::Open& open, const LimitKey* key) {
  for (const auto& weak : open.order) {
    auto s = weak.lock();
    if (s && s->idle() && (key == nullptr || s->key() == *key)) return s;
  }
  return nullptr;
}

// What a connection counts under while its peer lookup is pending: 1 (IPv4)
// or 2 (IPv6) + the whole address; never equal to a limit_key.
LimitKey pending_key(const packet::IpAddr& address) {
  LimitKey key{};
  key[0] = address.is_v4() ? 1 : 2;
  std::copy_n(address.bytes.begin(), std::min<std::size_t>(address.bytes.size(), key.size() - 1), key.begin() + 1);
  return key;
}

// Makes room for one more connection of `key` when the client is at its
// limit: closes the client's oldest idle connection, however young (one
// device's connections: a browser opens a few at a time, not 16), so a
// client that holds its slots idle (slowloris) loses its own oldest, never
// another client's. False when every one of them is busy being answered.
// (The total is Server::take's: it never accepts beyond it.)
bool make_room(Server::Open& open, const LimitKey& key, const ServerSettings& settings) {
  if (open.of(key) < settings.max_connections_per_client) return true;
  auto victim = oldest_idle(open, &key);
  if (!victim) return false;
  victim->evict();
  ++open.evicted;
  return true;
}

// At the total limit: the connection a newcomer may take the slot of, the
// oldest idle one if it has been idle for the grace (the oldest is the
// first to turn stale, so no other can be); else null, and `stale_at` is
// when the oldest idle one will be (max() if none is idle).
std::shared_ptr<Session> stale_idle(Server::Open& open, const ServerSettings& settings,
                                    std::chrono::steady_clock::time_point now,
                                    std::chrono::steady_clock::time_point& stale_at) {
  stale_at = std::chrono::steady_clock::time_point::max();
  auto oldest = oldest_idle(open, nullptr);
  if (!oldest) return nullptr;
  stale_at = oldest->accepted_at() + settings.idle_grace;
  return stale_at <= now ? oldest : nullptr;
}

// The peer map answered for `session`: count it under its MAC from now on.
// When that MAC is at its limit the MAC's oldest idle connection goes, or,
// if all of them are busy, this one (if still idle) - as if it had been
// refused at accept.
void settle_key(Server::Open& open, Session& session, const LimitKey& key, const ServerSettings& settings) {
  if (!session.open() || session.key() == key) return;
  if (!make_room(open, key, settings)) {
    if (session.idle()) {
      session.evict();
      ++open.refused;
      return;
    }
    // Past reading its request: answered and closed within the write
    // timeout; the client is one over its limit until then.
  }
  session.rekey(key);
}

}  // namespace

Server::Server(asio::io_context& io, ServerSettings settings, Handler& handler, nft::PeerResolver& peers,
               Executors executors)
    : acceptor_(io), resume_timer_(io), settings_(std::move(settings)), handler_(handler), peers_(peers),
      executors_(std::move(executors)), open_(std::make_shared<Open>()) {
  open_->server = this;
}

std::uint64_t Server::connections_refused() const { return open_->refused; }
std::uint64_t Server::connections_evicted() const { return open_->evicted; }
std::uint64_t Server::accept_pauses() const { return open_->pauses; }

// Sessions outlive the server (their completions may still be queued):
// what they would tell it goes nowhere from now on.
Server::~Server() {
  open_->server = nullptr;
  open_->slot_freed = nullptr;
}

std::uint16_t Server::port() const {
  boost::system::error_code ec;
  auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

Result<std::unique_ptr<Server>> Server::start(asio::io_context& io, const ServerSettings& settings,
                                              Handler& handler, nft::PeerResolver& peers, Executors executors) {
  std::unique_ptr<Server> server(new Server(io, settings, handler, peers, std::move(executors)));
  auto& acceptor = server->acceptor_;
  std::string what = "portal: listen on [::]:" + std::to_string(settings.port) + " (" + settings.device + ")";
  boost::system::error_code ec;
  acceptor.open(tcp::v6(), ec);
  if (ec) return make_error(ec.value(), what);
  // Dual-stack: IPv4 clients arrive as ::ffff:a.b.c.d.
  acceptor.set_option(asio::ip::v6_only(false), ec);
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!settings.device.empty() &&
      ::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_BINDTODEVICE, settings.device.c_str(),
                   static_cast<socklen_t>(settings.device.size())) != 0)
    return errno_error(what + ": SO_BINDTODEVICE");
  acceptor.bind(tcp::endpoint(tcp::v6(), settings.port), ec);
  // The backlog holds a crowd while the server is at its total limit:
  // SOMAXCONN (4096), which the kernel caps at net.core.somaxconn (per
  // network namespace; 4096 by default since Linux 5.4). When it is full
  // the kernel drops new SYNs (and handshakes' last ACKs; SYN cookies are
  // for the SYN queue, not this one), and clients retransmit after their
  // initial RTO (1 s, RFC 6298 §2.1): late, not lost.
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  // A low sysctl (some images set 128) makes a crowd at the cap wait for
  // SYN retransmits (1 s, 3 s, ...) instead of in the backlog.
  if (const long cap = somaxconn(); cap > 0 && cap < 1024)
    LOG_WARN("portal: net.core.somaxconn is %ld: a crowd beyond %zu connections waits for TCP retransmits; "
             "4096 is the kernel default",
             cap, settings.max_connections);
  // Accepted here one by one (take): a non-blocking accept says when the
  // backlog is empty.
  if (!ec) acceptor.non_blocking(true, ec);
  if (ec) return make_error(ec.value(), what);
  server->take();
  return server;
}

// Asio's reactor is edge-triggered: a wait fires for connections that
// arrive after it was armed, so take() empties the backlog (or stops at
// the limit) before waiting again.
void Server::wait_for_clients() {
  // Through open_, not `this`: a completion already queued when the
  // server goes must find nothing.
  acceptor_.async_wait(tcp::acceptor::wait_read, [open = open_](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted || !open->server) return;
    open->server->take();
  });
}

// Accepts what the backlog holds while there is a slot: a free one, or that
// of an idle connection older than the grace (evicted only once a newcomer
// is actually there). At the limit otherwise: pause.
void Server::take() {
  // A batch at most, then the other completions (the reads of what was
  // just accepted) run before the next.
  constexpr int kBatch = 64;
  for (int taken = 0; taken < kBatch; ++taken) {
    std::shared_ptr<Session> victim;
    if (open_->order.size() >= settings_.max_connections) {
      std::chrono::steady_clock::time_point stale_at;
      victim = stale_idle(*open_, settings_, std::chrono::steady_clock::now(), stale_at);
      if (!victim) return pause(stale_at - std::chrono::steady_clock::now());
    }
    tcp::socket socket(acceptor_.get_executor());
    tcp::endpoint remote;
    boost::system::error_code ec;
    acceptor_.accept(socket, remote, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return wait_for_clients();
    if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) return;
    if (ec == asio::error::connection_aborted) continue;  // reset while in the backlog
    if (ec) {
      // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS): the
      // connection stays in the backlog; try again shortly rather than spin.
      const auto now = std::chrono::steady_clock::now();
      if (open_->accept_error_logged == std::chrono::steady_clock::time_point{} ||
          now - open_->accept_error_logged >= std::chrono::seconds(10)) {
        open_->accept_error_logged = now;
        LOG_WARN("portal: accept: %s (retrying every 100 ms)", ec.message().c_str());
      }
      return pause(std::chrono::milliseconds(100));
    }
    if (victim) {
      victim->evict();
      ++open_->evicted;
    }
    admit(std::move(socket), Client{to_ip(remote), remote.port()});
  }
  asio::post(acceptor_.get_executor(), [open = open_] {
    if (open->server && !open->server->paused_) open->server->take();
  });
}

// Stops accepting until a connection leaves or `at_most` has passed (when
// the oldest idle connection turns stale; max(): only when one leaves).
void Server::pause(std::chrono::steady_clock::duration at_most) {
  if (paused_) return;
  paused_ = true;
  ++open_->pauses;
  open_->slot_freed = [open = open_, executor = acceptor_.get_executor()] {
    asio::post(executor, [open] {
      if (open->server) open->server->resume();
    });
  };
  if (at_most > std::chrono::hours(24)) return;
  resume_timer_.expires_after(std::max<std::chrono::steady_clock::duration>(at_most, {}));
  resume_timer_.async_wait([open = open_](boost::system::error_code ec) {
    if (ec || !open->server) return;  // cancelled: resumed already, or the server is gone
    open->server->resume();
  });
}

void Server::resume() {
  if (!paused_) return;
  paused_ = false;
  open_->slot_freed = nullptr;
  resume_timer_.cancel();
  take();
}

void Server::admit(tcp::socket socket, const Client& client) {
  if (!executors_.lookup) {
    // Inline (unit tests): the key is known before the connection counts.
    std::optional<packet::MacAddr> mac;
    if (auto wire = peers_.lookup(client); wire) mac = *wire;
    const LimitKey key = limit_key(client.address, mac);
    if (!make_room(*open_, key, settings_)) {
      ++open_->refused;  // closing the socket answers: too many at once
      return;
    }
    std::make_shared<Session>(std::move(socket), client, key, settings_, handler_, open_)->start();
    return;
  }
  // The peer map is a kernel round trip: it runs on the lookup thread, and
  // until it answers the connection counts under its own full address (not
  // the /64: every IPv6 device of the LAN shares its prefix, and a kernel
  // answer held up for a second must not let the new connections of some
  // devices evict those of others). It is read meanwhile (the handler does
  // its own lookup) and is re-keyed when the answer comes back (settle_key):
  // to its MAC, or to its IPv4 address or /64 if the map has no element.
  const LimitKey provisional = pending_key(client.address);
  if (!make_room(*open_, provisional, settings_)) {
    ++open_->refused;
    return;
  }
  auto session = std::make_shared<Session>(std::move(socket), client, provisional, settings_, handler_, open_);
  session->start();
  executors_.lookup([&peers = peers_, home = executors_.home, client, weak = std::weak_ptr<Session>(session),
                     open = open_, settings = settings_] {
    std::optional<packet::MacAddr> mac;
    if (auto wire = peers.lookup(client); wire) mac = *wire;
    auto on_home = [weak, open, client, mac, settings] {
      auto session = weak.lock();
      if (!session) return;  // already closed (or evicted)
      settle_key(*open, *session, limit_key(client.address, mac), settings);
    };
    if (home) return home(on_home);
    on_home();
  });
}

}  // namespace captive::portal
