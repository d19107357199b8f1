#include "captive/auth/radius_client.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>

#include "captive/radius/crypto.hpp"
#include "captive/util/log.hpp"

namespace captive::auth {

namespace asio = boost::asio;
using asio::ip::udp;

struct RadiusClient::Pending {
  Pending(asio::io_context& io, Build b, Done d) : timer(io), build(std::move(b)), done(std::move(d)) {}
  asio::steady_timer timer;
  Build build;
  Done done;
  std::size_t server = 0;     // the index into servers_ now tried
  std::size_t servers_tried = 0;
  std::uint8_t identifier = 0;
  radius::Authenticator authenticator{};
  std::vector<std::byte> packet;
  unsigned tries = 0;         // on this server
  bool finished = false;
};

struct RadiusClient::Server {
  explicit Server(asio::io_context& io, udp::endpoint ep) : endpoint(ep), socket(io) {}
  udp::endpoint endpoint;
  udp::socket socket;
  udp::endpoint local;
  std::array<std::byte, radius::kMaxPacketSize + 1> buffer{};
  // RFC 2865 §3: the Identifier matches an answer to its request; 256 of
  // them per (source address and port, server), i.e. per socket here.
  std::map<std::uint8_t, std::shared_ptr<Pending>> in_flight;
  std::uint8_t next_identifier = 0;
};

RadiusClient::RadiusClient(asio::io_context& io, RadiusClientSettings settings)
    : io_(io), settings_(std::move(settings)) {}

RadiusClient::~RadiusClient() {
  *alive_ = false;
  for (auto& s : servers_) {
    boost::system::error_code ec;
    s->socket.close(ec);
    for (auto& [id, p] : s->in_flight) p->timer.cancel();
  }
}

Result<void> RadiusClient::open() {
  for (const auto& ep : settings_.servers) {
    auto s = std::make_unique<Server>(io_, ep);
    boost::system::error_code ec;
    s->socket.open(ep.protocol(), ec);
    // A connected socket takes datagrams from that server only (the kernel
    // drops the rest) and learns of an ICMP port unreachable
    // (ECONNREFUSED): a server that is down is left at once, not after
    // the timeouts.
    if (!ec) s->socket.connect(ep, ec);
    if (!ec) s->local = s->socket.local_endpoint(ec);
    if (ec)
      return make_error(ec.value(), "radius server " + ep.address().to_string() + ":" + std::to_string(ep.port()) +
                                        ": " + ec.message());
    servers_.push_back(std::move(s));
    receive(servers_.size() - 1);
  }
  if (servers_.empty()) return make_error(EINVAL, "no --radius-server");
  return {};
}

void RadiusClient::send(Build build, Done done) {
  ++stats_.requests;
  auto p = std::make_shared<Pending>(io_, std::move(build), std::move(done));
  p->server = servers_.empty() ? 0 : preferred_ % servers_.size();
  if (servers_.empty()) {
    asio::post(io_, [p] { p->done(make_error(ENETUNREACH, "no RADIUS server")); });
    return;
  }
  // Never answer before send returns (the caller's state may not be set).
  asio::post(io_, [this, alive = alive_, p] {
    if (*alive) start_on(p);
  });
}

void RadiusClient::start_on(std::shared_ptr<Pending> p) {
  Server& s = *servers_[p->server];
  // A free Identifier on this server, if any.
  std::optional<std::uint8_t> id;
  for (int i = 0; i < 256 && !id; ++i) {
    const auto candidate = static_cast<std::uint8_t>(s.next_identifier + i);
    if (!s.in_flight.contains(candidate)) id = candidate;
  }
  if (!id) {
    ++stats_.busy;
    return next_server(std::move(p));
  }
  s.next_identifier = static_cast<std::uint8_t>(*id + 1);
  p->identifier = *id;
  p->authenticator = radius::random_authenticator();
  p->packet = p->build(p->identifier, p->authenticator, s.local);
  if (auto signed_ok = radius::sign(p->packet, settings_.secret, p->authenticator); !signed_ok)
    return finish(p, signed_ok.error());
  // An Accounting-Request's authenticator is a hash of the packet (RFC 2866
  // §3), set by sign(): the answer is checked against what was sent.
  if (p->packet.size() >= radius::kHeaderSize)
    std::copy_n(p->packet.begin() + 4, radius::kAuthenticatorSize, p->authenticator.begin());
  p->tries = 0;
  s.in_flight[*id] = p;
  transmit(p);
}

void RadiusClient::transmit(const std::shared_ptr<Pending>& p) {
  Server& s = *servers_[p->server];
  ++p->tries;
  ++stats_.sent;
  if (p->tries > 1) ++stats_.retransmits;
  boost::system::error_code ec;
  s.socket.send(asio::buffer(p->packet.data(), p->packet.size()), 0, ec);
  if (ec && ec != asio::error::would_block) {
    // ECONNREFUSED from an earlier ICMP unreachable, or no route: this
    // server is not there now.
    LOG_DEBUG("radius: send to %s: %s", s.endpoint.address().to_string().c_str(), ec.message().c_str());
    s.in_flight.erase(p->identifier);
    return next_server(p);
  }
  p->timer.expires_after(settings_.timeout);
  p->timer.async_wait([this, alive = alive_, p](boost::system::error_code wait_ec) {
    if (wait_ec || !*alive || p->finished) return;
    Server& srv = *servers_[p->server];
    if (p->tries <= settings_.retries) return transmit(p);
    srv.in_flight.erase(p->identifier);
    LOG_WARN("radius: no answer from %s:%u after %u tries", srv.endpoint.address().to_string().c_str(),
             srv.endpoint.port(), p->tries);
    next_server(p);
  });
}

void RadiusClient::next_server(std::shared_ptr<Pending> p) {
  p->timer.cancel();
  if (++p->servers_tried >= servers_.size()) {
    ++stats_.unanswered;
    return finish(p, make_error(ETIMEDOUT, "no RADIUS server answered"));
  }
  ++stats_.failovers;
  p->server = (p->server + 1) % servers_.size();
  start_on(std::move(p));
}

void RadiusClient::receive(std::size_t server) {
  Server& s = *servers_[server];
  s.socket.async_receive(asio::buffer(s.buffer), [this, alive = alive_, server](boost::system::error_code ec, std::size_t n) {
    if (!*alive || ec == asio::error::operation_aborted) return;
    Server& srv = *servers_[server];
    if (ec == asio::error::connection_refused) {
      // RFC 1122 §4.1.3.3: the ICMP port unreachable of a datagram we sent;
      // whatever waits on this server goes to the next one now.
      LOG_WARN("radius: %s:%u refused (nothing listening)", srv.endpoint.address().to_string().c_str(),
               srv.endpoint.port());
      auto waiting = std::move(srv.in_flight);
      srv.in_flight.clear();
      for (auto& [id, p] : waiting) next_server(p);
    } else if (ec) {
      LOG_WARN("radius: receive from %s: %s", srv.endpoint.address().to_string().c_str(), ec.message().c_str());
    } else {
      on_datagram(server, n);
    }
    receive(server);
  });
}

void RadiusClient::on_datagram(std::size_t server, std::size_t size) {
  Server& s = *servers_[server];
  const auto from = s.endpoint.address().to_string();
  auto view = radius::PacketView::parse(std::span<const std::byte>(s.buffer.data(), size));
  if (!view) {
    ++stats_.dropped_malformed;
    LOG_WARN("radius: dropped from %s: %s", from.c_str(), view.error().message().c_str());
    return;
  }
  auto it = s.in_flight.find(view->identifier());
  if (it == s.in_flight.end()) {
    // A late answer to a request already answered or given up: harmless.
    ++stats_.dropped_unknown_id;
    LOG_DEBUG("radius: dropped from %s: no request with Identifier %u", from.c_str(), view->identifier());
    return;
  }
  auto p = it->second;
  // RFC 3579 §3.2: a Message-Authenticator is checked on every answer and
  // required (it is what stops forged Access-Accepts; the Response
  // Authenticator alone is MD5 over a guessable packet, "Blast-RADIUS",
  // CVE-2024-3596).
  if (auto bad = radius::verify(*view, settings_.secret, p->authenticator, settings_.require_message_authenticator)) {
    switch (*bad) {
      case radius::VerifyError::bad_authenticator: ++stats_.dropped_bad_authenticator; break;
      case radius::VerifyError::missing_message_authenticator: ++stats_.dropped_no_message_authenticator; break;
      default: ++stats_.dropped_bad_message_authenticator; break;
    }
    LOG_WARN("radius: dropped answer %u from %s: %.*s (wrong secret, or forged)", view->identifier(), from.c_str(),
             static_cast<int>(radius::to_string(*bad).size()), radius::to_string(*bad).data());
    return;
  }
  s.in_flight.erase(it);
  p->timer.cancel();
  preferred_ = server;
  ++stats_.answered;
  finish(p, std::vector<std::byte>(view->bytes().begin(), view->bytes().end()));
}

void RadiusClient::finish(const std::shared_ptr<Pending>& p, Result<std::vector<std::byte>> r) {
  if (p->finished) return;
  p->finished = true;
  p->timer.cancel();
  auto done = std::move(p->done);
  done(std::move(r));
}

}  // namespace captive::auth
