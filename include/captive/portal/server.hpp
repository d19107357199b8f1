// The sign-in web server (HTTP/1.1 over Asio, requests read by
// http::RequestParser; docs/design.md "Why not Boost.Beast"): one
// dual-stack listening socket bound to the LAN device, so the portal is
// reachable from the LAN only. With a TLS context it speaks HTTPS (the same
// handler: sign-in page and RFC 8908 API; RFC 8908 §4 wants the API over
// TLS, and Android takes it only so).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "captive/build_config.hpp"
#include "captive/nft/portal_peers.hpp"
#include "captive/portal/handler.hpp"
#include "captive/util/result.hpp"

namespace captive::portal {

// Whether this build speaks TLS (meson -Dportal_tls, default enabled).
// Without it the server is plain HTTP only, tls_context() refuses, and
// nothing links libssl: a fifth of captived on a router (docs/performance.md).
inline constexpr bool kPortalTls = CAPTIVE_PORTAL_TLS != 0;

// A server-side TLS context (Asio's ssl::context, server.cpp): opaque here,
// so nothing outside the server includes OpenSSL.
struct TlsContext;

struct ServerSettings {
  std::string device;      // SO_BINDTODEVICE
  std::uint16_t port = 8511;
  std::chrono::seconds request_timeout{10};
  std::size_t max_body = 16 * 1024;   // a sign-in form is a few hundred bytes
  std::size_t max_connections = 256;  // in all
  // Per client, so one client cannot hold all of them (measured: 300 idle
  // connections from one client locked every other out for 10 s). A client
  // is its MAC (from the connection's own packets, nft::PeerResolver), so
  // one device cannot dodge the limit by taking many addresses (IPv6 gives
  // every device as many as it likes). Without a known MAC: its IPv4
  // address, or its IPv6 /64 (RFC 4291 §2.5.4: a /64 is one link's prefix;
  // a device picks any number of interface ids in it, RFC 8981). While the
  // peer map's answer is pending (a kernel round trip, off the event loop)
  // a connection counts under its full address, then as above.
  std::size_t max_connections_per_client = 16;
  // Set: every connection is TLS; the handshake runs under request_timeout
  // like the request (a client that opens and stays silent, or speaks
  // plain HTTP, is closed; it counts as idle meanwhile, as a slow request).
  std::shared_ptr<TlsContext> tls{};
};

// A server-side TLS context from a PEM certificate chain and its private
// key (TLS 1.2 and later). Errors name the file; called once at start.
// Without kPortalTls: always an error (ENOTSUP) that says so.
Result<std::shared_ptr<TlsContext>> tls_context(const std::string& cert_file, const std::string& key_file);

// What the per-client limit counts by: 0 + MAC, 4 + IPv4 address, or
// 6 + the first 8 bytes of the IPv6 address (its /64).
using LimitKey = std::array<std::uint8_t, 17>;
LimitKey limit_key(const packet::IpAddr& address, const std::optional<packet::MacAddr>& mac);

class Server {
 public:
  // `peers` names the client of each connection for the per-client limit;
  // it must outlive the server, and is used on executors.lookup only (the
  // answer continues on executors.home, the io_context's thread). Empty
  // executors: inline.
  static Result<std::unique_ptr<Server>> start(boost::asio::io_context& io, const ServerSettings& settings,
                                               Handler& handler, nft::PeerResolver& peers,
                                               Executors executors = {});
  ~Server();
  // New connections closed at once: the limit was full and no connection
  // in it was idle (all were past reading their request).
  std::uint64_t connections_refused() const;
  // Idle connections (still waiting for their request, oldest first) closed
  // to make room for a new one of the same client, or any when all are taken.
  std::uint64_t connections_evicted() const;
  std::uint16_t port() const;

  struct Open;  // the open connections, oldest first (server.cpp)

 private:
  Server(boost::asio::io_context& io, ServerSettings settings, Handler& handler, nft::PeerResolver& peers,
         Executors executors);
  void accept();
  void admit(boost::asio::ip::tcp::socket socket, const Client& client);

  boost::asio::ip::tcp::acceptor acceptor_;
  ServerSettings settings_;
  Handler& handler_;
  nft::PeerResolver& peers_;
  Executors executors_;
  std::shared_ptr<Open> open_;
};

}  // namespace captive::portal
