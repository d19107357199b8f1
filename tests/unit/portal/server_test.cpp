// portal::Server with real sockets on loopback (no root, no namespace): the
// per-client connection limit counts per MAC (two addresses of one device
// share it), and when it is full the oldest idle connection is closed to
// make room for the new one instead of the new one being refused; the same
// for the total. limit_key: per MAC, else per IPv4 address or IPv6 /64.
#include "captive/portal/server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#if CAPTIVE_PORTAL_TLS
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#endif

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>

#include "../fakes/fakes.hpp"
#include "fake_peers.hpp"

namespace captive::portal {
namespace {
using captive::testing::ip;
using captive::testing::mac;
using namespace std::chrono_literals;

// The wire MAC by address alone (any port): all of a device's connections.
class PeersByAddress final : public nft::PeerResolver {
 public:
  Result<std::optional<packet::MacAddr>> lookup(const nft::PortalPeer& peer) override {
    if (gate) gate->pass();
    auto it = table.find(peer.address.unmapped());
    if (it == table.end()) return std::optional<packet::MacAddr>();
    return std::optional<packet::MacAddr>(it->second);
  }
  std::map<packet::IpAddr, packet::MacAddr> table;
  testing::Gate* gate = nullptr;  // if set, every lookup passes it first
};

TEST(LimitKey, PerMacElsePerAddressOrSlash64) {
  const auto m = mac("02:00:00:00:00:01");
  EXPECT_EQ(limit_key(ip("192.0.2.2"), m), limit_key(ip("2001:db8::9"), m));
  EXPECT_NE(limit_key(ip("192.0.2.2"), m), limit_key(ip("192.0.2.2"), mac("02:00:00:00:00:02")));
  EXPECT_NE(limit_key(ip("192.0.2.2"), std::nullopt), limit_key(ip("192.0.2.3"), std::nullopt));
  EXPECT_EQ(limit_key(ip("2001:db8:1:2::1"), std::nullopt), limit_key(ip("2001:db8:1:2:ffff::7"), std::nullopt));
  EXPECT_NE(limit_key(ip("2001:db8:1:2::1"), std::nullopt), limit_key(ip("2001:db8:1:3::1"), std::nullopt));
  EXPECT_NE(limit_key(ip("192.0.2.2"), std::nullopt), limit_key(ip("192.0.2.2"), m));
}

class PortalServer : public ::testing::Test {
 protected:
  // `async`: lookups on a thread of their own, answers posted to the
  // io_context (as captived runs them); else inline.
  void start(std::size_t total, std::size_t per_client, bool async = false,
             std::shared_ptr<TlsContext> tls = nullptr, std::chrono::seconds timeout = 5s) {
    ServerSettings settings;
    settings.device = "";  // no SO_BINDTODEVICE: loopback, no privilege
    settings.port = 0;
    settings.request_timeout = timeout;
    settings.tls = std::move(tls);
    settings.max_connections = total;
    settings.max_connections_per_client = per_client;
    Executors executors;
    if (async)
      executors = Executors{[this](Executors::Job job) { lookups_.post(std::move(job)); },
                            [this](Executors::Job job) { boost::asio::post(io_, std::move(job)); }};
    handler_.emplace(HandlerSettings{3600s, "Test", {"127.0.0.1"}},
                     Handler::Deps{registry_, peers_, neighbours_, tokens_, backend_, [] { return 1'700'000'000ull; },
                                   executors});
    auto server = Server::start(io_, settings, *handler_, peers_, executors);
    ASSERT_TRUE(server) << server.error().message();
    server_ = std::move(*server);
    port_ = server_->port();
    ASSERT_NE(port_, 0);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    for (int fd : fds_) ::close(fd);
    stop();
  }
  // Ends the io thread; the server's counters are read after this (they
  // are the io thread's).
  void stop() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // A connection from 127.0.0.N (blocking, connected when this returns).
  int open_from(const char* source) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &src.sin_addr);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src), 0);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(port_);
    ::inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst), 0);
    fds_.push_back(fd);
    // The server accepts asynchronously: wait until it counted this one.
    return fd;
  }

  // True if the server closed `fd` (EOF or reset) within `wait`.
  static bool closed_within(int fd, std::chrono::milliseconds wait) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
    char c;
    return ::recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
  }

  // Sends a request and reads the status line of the answer.
  static std::string status_line(int fd, const std::string& target = "/") {
    const std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) return "send failed";
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 3000) <= 0) return "no answer";
    char buf[64] = {};
    ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return "closed";
    std::string s(buf, static_cast<std::size_t>(n));
    return s.substr(0, s.find('\r'));
  }

  // Gives the io thread time to accept what was connected.
  static void settle() { std::this_thread::sleep_for(150ms); }

  testing::FakeSet set_;
  testing::FakeNeighbours neighbours_;
  PeersByAddress peers_;
  session::Registry registry_{set_};
  auth::TokenIssuer tokens_{auth::TokenIssuer::Key{}};
  auth::ClickThrough backend_;
  std::optional<Handler> handler_;
  boost::asio::io_context io_{1};
  testing::JobThread lookups_;
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::vector<int> fds_;
};

// Two addresses of one device (same MAC) share its limit of 3; the fourth
// connection closes the device's oldest idle one and is itself served.
TEST_F(PortalServer, PerMacLimitEvictsTheOldestIdle) {
  peers_.table[ip("127.0.0.1")] = mac("02:00:00:00:00:01");
  peers_.table[ip("127.0.0.2")] = mac("02:00:00:00:00:01");
  start(256, 3);
  int first = open_from("127.0.0.1");
  settle();
  int second = open_from("127.0.0.2");
  settle();
  int third = open_from("127.0.0.1");
  settle();
  int fourth = open_from("127.0.0.2");
  EXPECT_TRUE(closed_within(first, 2000ms)) << "the oldest idle connection of the MAC was not evicted";
  EXPECT_FALSE(closed_within(second, 200ms));
  EXPECT_FALSE(closed_within(third, 200ms));
  EXPECT_EQ(status_line(fourth), "HTTP/1.1 200 OK");
  stop();
  EXPECT_EQ(server_->connections_evicted(), 1u);
  EXPECT_EQ(server_->connections_refused(), 0u);
}

// Another device is not touched by one device's eviction.
TEST_F(PortalServer, EvictionStaysWithinTheClient) {
  peers_.table[ip("127.0.0.1")] = mac("02:00:00:00:00:01");
  peers_.table[ip("127.0.0.3")] = mac("02:00:00:00:00:03");
  start(256, 2);
  int other = open_from("127.0.0.3");
  settle();
  int a1 = open_from("127.0.0.1");
  settle();
  int a2 = open_from("127.0.0.1");
  settle();
  int a3 = open_from("127.0.0.1");
  EXPECT_TRUE(closed_within(a1, 2000ms));
  EXPECT_FALSE(closed_within(other, 200ms)) << "another client's connection was evicted";
  EXPECT_FALSE(closed_within(a2, 100ms));
  EXPECT_EQ(status_line(a3), "HTTP/1.1 200 OK");
  EXPECT_EQ(status_line(other), "HTTP/1.1 200 OK");
}

// Without a known MAC each IPv4 address is a client; when the total is full
// the oldest idle connection of anyone makes room.
TEST_F(PortalServer, TotalLimitEvictsTheOldestIdleOfAnyone) {
  start(3, 16);
  int first = open_from("127.0.0.11");
  settle();
  int second = open_from("127.0.0.12");
  settle();
  int third = open_from("127.0.0.13");
  settle();
  int fourth = open_from("127.0.0.14");
  EXPECT_TRUE(closed_within(first, 2000ms));
  EXPECT_FALSE(closed_within(second, 200ms));
  EXPECT_FALSE(closed_within(third, 100ms));
  // Unknown on the wire: served, with the "cannot identify" page.
  EXPECT_EQ(status_line(fourth), "HTTP/1.1 403 Forbidden");
  stop();
  EXPECT_EQ(server_->connections_evicted(), 1u);
}

// As captived runs it: the peer lookup of each new connection on the lookup
// thread. Until it answers a connection counts under its address, then
// under its MAC: two addresses of one device still share its limit.
TEST_F(PortalServer, PerMacLimitHoldsWithAsynchronousLookups) {
  peers_.table[ip("127.0.0.1")] = mac("02:00:00:00:00:01");
  peers_.table[ip("127.0.0.2")] = mac("02:00:00:00:00:01");
  start(256, 3, true);
  int first = open_from("127.0.0.1");
  settle();
  int second = open_from("127.0.0.2");
  settle();
  int third = open_from("127.0.0.1");
  settle();
  int fourth = open_from("127.0.0.2");
  EXPECT_TRUE(closed_within(first, 2000ms)) << "the oldest idle connection of the MAC was not evicted";
  EXPECT_FALSE(closed_within(second, 200ms));
  EXPECT_FALSE(closed_within(third, 200ms));
  EXPECT_EQ(status_line(fourth), "HTTP/1.1 200 OK");
  stop();
  EXPECT_EQ(server_->connections_evicted(), 1u);
  EXPECT_EQ(server_->connections_refused(), 0u);
}

// Not in the peer map: once the (empty) answer is back the connections of
// an address count under it, as with inline lookups.
TEST_F(PortalServer, UnknownClientLimitHoldsWithAsynchronousLookups) {
  start(256, 2, true);
  int first = open_from("127.0.0.5");
  settle();
  int second = open_from("127.0.0.5");
  settle();
  int third = open_from("127.0.0.5");
  EXPECT_TRUE(closed_within(first, 2000ms)) << "the address's oldest idle connection was not evicted";
  EXPECT_FALSE(closed_within(second, 200ms));
  EXPECT_EQ(status_line(third), "HTTP/1.1 403 Forbidden");  // served: "cannot identify"
  stop();
  EXPECT_EQ(server_->connections_evicted(), 1u);
  EXPECT_EQ(server_->connections_refused(), 0u);
}

// While the peer map is slow to answer for one new connection (a kernel
// round trip held up), the event loop still accepts and answers others.
TEST_F(PortalServer, SlowPeerLookupDoesNotStallOtherConnections) {
  testing::Gate gate;
  peers_.gate = &gate;
  peers_.table[ip("127.0.0.1")] = mac("02:00:00:00:00:01");
  peers_.table[ip("127.0.0.2")] = mac("02:00:00:00:00:02");
  start(256, 16, true);
  gate.close();
  int slow = open_from("127.0.0.1");
  ASSERT_TRUE(gate.wait_for_held()) << "no peer lookup for the new connection";
  int other = open_from("127.0.0.2");
  // Answered without asking the kernel (404), while the lookup is held.
  EXPECT_EQ(status_line(other, "/nothing-here"), "HTTP/1.1 404 Not Found");
  EXPECT_EQ(gate.passed(), 0) << "the lookup was let go before the other connection was answered";
  gate.open();
  EXPECT_EQ(status_line(slow), "HTTP/1.1 200 OK");
  stop();
  EXPECT_EQ(server_->connections_evicted(), 0u);
  EXPECT_EQ(server_->connections_refused(), 0u);
}

// Sends `request` and reads until the server closes (at most 3 s).
std::string exchange(int fd, const std::string& request) {
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) return "send failed";
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 3000) <= 0) return out + "[no close]";
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

// On the wire: the server's own framing (Content-Length of the body it
// sends, Connection: close, RFC 9112 §9.6), HEAD without the body
// (RFC 9110 §9.3.2), and what the parser refuses answered with its status
// and the connection closed at once (RFC 6585 §5: 431; RFC 9112 §6.1).
TEST_F(PortalServer, FramingAndRefusalsOnTheWire) {
  peers_.table[ip("127.0.0.1")] = mac("02:00:00:00:00:01");
  start(256, 16);
  const std::string get = exchange(open_from("127.0.0.1"), "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  ASSERT_TRUE(get.starts_with("HTTP/1.1 200 OK\r\n")) << get.substr(0, 100);
  const auto head_end = get.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  const std::string body = get.substr(head_end + 4);
  EXPECT_NE(get.find("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
  EXPECT_NE(get.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_EQ(get.find("Content-Length", get.find("Content-Length") + 1), std::string::npos) << "two lengths";

  const std::string head = exchange(open_from("127.0.0.1"), "HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << "HEAD with a body";
  // RFC 9110 §8.6: a HEAD answer's Content-Length may only be the GET
  // answer's; the handler does not build that body, so none is sent (Beast
  // sent "Content-Length: 0").
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nConnection: close\r\n"), std::string::npos);

  const auto status_of = [](const std::string& answer) { return answer.substr(0, answer.find('\r')); };
  EXPECT_EQ(status_of(exchange(open_from("127.0.0.1"),
                               "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n")),
            "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_EQ(status_of(exchange(open_from("127.0.0.1"),
                               "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")),
            "HTTP/1.1 411 Length Required");
  EXPECT_EQ(status_of(exchange(open_from("127.0.0.1"), "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999\r\n\r\n")),
            "HTTP/1.1 413 Payload Too Large");
  // Junk is answered at once, not at the 5 s deadline (exchange waits 3).
  EXPECT_EQ(status_of(exchange(open_from("127.0.0.1"), std::string("\x16\x03\x01\x00\xa5\x01\x00", 7))),
            "HTTP/1.1 400 Bad Request");
  // Pipelined: one answer, then the close (the second request is not read).
  const std::string two = exchange(open_from("127.0.0.1"), "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                                           "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_TRUE(two.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(two.find("HTTP/1.1 ", 1), std::string::npos);
}

#if CAPTIVE_PORTAL_TLS
// A self-signed P-256 certificate for 127.0.0.1 in a directory of its own,
// removed with the object.
struct TestCertificate {
  std::string dir, cert, key;
  TestCertificate() {
    char tmpl[] = "/tmp/captive-tls-test.XXXXXX";
    dir = ::mkdtemp(tmpl);
    cert = dir + "/cert.pem";
    key = dir + "/key.pem";
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    X509* x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, pkey, EVP_sha256());
    FILE* f = std::fopen(cert.c_str(), "w");
    PEM_write_X509(f, x);
    std::fclose(f);
    f = std::fopen(key.c_str(), "w");
    PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(x);
    EVP_PKEY_free(pkey);
  }
  ~TestCertificate() { std::filesystem::remove_all(dir); }
};

// One HTTPS request over `fd` (blocking), as a client that trusts `cert`:
// the whole answer, or what went wrong.
std::string https_get(int fd, const std::string& cert, const std::string& target) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_load_verify_locations(ctx, cert.c_str(), nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  std::string out;
  if (SSL_connect(ssl) != 1) {
    out = "handshake failed";
  } else {
    const std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    SSL_write(ssl, request.data(), static_cast<int>(request.size()));
    char buf[4096];
    int n;
    while ((n = SSL_read(ssl, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return out;
}

// True if the server ends `fd` (EOF or reset) within `wait`, whatever it
// sends first (a TLS alert).
bool ends_within(int fd, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  char buf[512];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<long>(1, left.count()))) <= 0) return false;
    if (::recv(fd, buf, sizeof buf, MSG_DONTWAIT) <= 0) return true;
  }
  return false;
}

// The sign-in page and the RFC 8908 API over TLS: the same handler.
TEST_F(PortalServer, TlsServesPageAndApi) {
  TestCertificate certificate;
  auto context = tls_context(certificate.cert, certificate.key);
  ASSERT_TRUE(context) << context.error().message();
  peers_.table[ip("127.0.0.1")] = mac("02:00:00:00:00:01");
  start(256, 16, false, *context);
  std::string api = https_get(open_from("127.0.0.1"), certificate.cert, "/api");
  EXPECT_TRUE(api.starts_with("HTTP/1.1 200 OK\r\n")) << api;
  EXPECT_NE(api.find("Content-Type: application/captive+json"), std::string::npos) << api;
  EXPECT_NE(api.find("{\"captive\":true,"), std::string::npos) << api;
  std::string page = https_get(open_from("127.0.0.1"), certificate.cert, "/");
  EXPECT_TRUE(page.starts_with("HTTP/1.1 200 OK\r\n")) << page.substr(0, 200);
  EXPECT_NE(page.find("name=\"token\""), std::string::npos);
}

// Plain HTTP, garbage and silence on the TLS port end that connection only;
// the next TLS client is served. A silent client goes at the deadline.
TEST_F(PortalServer, TlsBadHandshakesEndOnlyTheirConnection) {
  TestCertificate certificate;
  auto context = tls_context(certificate.cert, certificate.key);
  ASSERT_TRUE(context) << context.error().message();
  start(256, 16, false, *context, 1s);
  int silent = open_from("127.0.0.1");
  int plain = open_from("127.0.0.1");
  const std::string request = "GET /api HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  ASSERT_GT(::send(plain, request.data(), request.size(), MSG_NOSIGNAL), 0);
  EXPECT_TRUE(ends_within(plain, 2000ms)) << "plain HTTP on the TLS port not closed";
  int garbage = open_from("127.0.0.1");
  const char junk[] = "\x16\x03\x01\x00\x05hello-this-is-not-tls";
  ASSERT_GT(::send(garbage, junk, sizeof junk, MSG_NOSIGNAL), 0);
  EXPECT_TRUE(ends_within(garbage, 2000ms)) << "garbage on the TLS port not closed";
  EXPECT_TRUE(ends_within(silent, 2500ms)) << "a silent client outlived the handshake deadline (1 s)";
  std::string api = https_get(open_from("127.0.0.1"), certificate.cert, "/api");
  EXPECT_TRUE(api.starts_with("HTTP/1.1 200 OK\r\n")) << api;
}

// A certificate or key that cannot be loaded stops the start with the file
// named (the daemon exits with one line), never a half-configured HTTPS.
TEST(TlsContext, UnreadableFilesAreNamed) {
  auto missing = tls_context("/nonexistent/cert.pem", "/nonexistent/key.pem");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("--tls-cert /nonexistent/cert.pem"), std::string::npos)
      << missing.error().message();
}
#else
// A build without TLS (-Dportal_tls=disabled) refuses a certificate with a
// message that says why, whatever the files (config.cpp refuses earlier).
TEST(TlsContext, BuildWithoutTlsSaysSo) {
  auto refused = tls_context("/etc/captive/cert.pem", "/etc/captive/key.pem");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ENOTSUP);
  EXPECT_NE(refused.error().message().find("this build has no TLS"), std::string::npos) << refused.error().message();
}
#endif

}  // namespace
}  // namespace captive::portal
