// The RADIUS accounting service and the Disconnect/CoA listener over real
// loopback UDP sockets: a fake accounting server that answers (or stays
// silent), a fake Dynamic Authorization client that sends RFC 5176 requests.
// What is faked is the registry (SessionControl, the session lists), not
// the code under test.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "captive/auth/radius_accounting.hpp"
#include "captive/auth/radius_client.hpp"
#include "captive/auth/radius_coa.hpp"
#include "captive/radius/crypto.hpp"

namespace captive::auth {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
namespace a = radius::attr;

constexpr std::string_view kSecret = "acct-secret";
constexpr std::int64_t kNow = 1'700'000'000;

// What the fake accounting server saw of one Accounting-Request.
struct Seen {
  std::uint32_t status = 0;
  std::string session_id;
  std::optional<std::uint32_t> input_octets, output_octets, input_giga, output_giga, cause, delay;
};

struct FakeAccountingServer {
  explicit FakeAccountingServer(asio::io_context& io)
      : socket(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  udp::socket socket;
  udp::endpoint peer;
  std::array<std::byte, 4096> buf{};
  bool answering = true;
  int ignored = 0;
  std::vector<Seen> recorded;  // acknowledged, in order
  void serve() {
    socket.async_receive_from(asio::buffer(buf), peer, [this](boost::system::error_code ec, std::size_t n) {
      if (ec) return;
      auto p = radius::PacketView::parse(std::span<const std::byte>(buf.data(), n));
      if (p && p->code() == radius::Code::accounting_request) {
        // RFC 2866 §3: the Request Authenticator is the hash with the secret.
        EXPECT_FALSE(radius::verify(*p, kSecret, {}, false));
        if (!answering) {
          ++ignored;
        } else {
          Seen s;
          s.status = p->find_u32(a::acct_status_type).value_or(0);
          s.session_id = std::string(p->find_text(a::acct_session_id).value_or(""));
          s.input_octets = p->find_u32(a::acct_input_octets);
          s.output_octets = p->find_u32(a::acct_output_octets);
          s.input_giga = p->find_u32(a::acct_input_gigawords);
          s.output_giga = p->find_u32(a::acct_output_gigawords);
          s.cause = p->find_u32(a::acct_terminate_cause);
          s.delay = p->find_u32(a::acct_delay_time);
          // A retransmission of an acknowledged record is recorded once.
          if (recorded.empty() || last_id != p->identifier() || recorded.back().session_id != s.session_id ||
              recorded.back().status != s.status)
            recorded.push_back(s);
          last_id = p->identifier();
          radius::Authenticator req{};
          std::copy(p->authenticator().begin(), p->authenticator().end(), req.begin());
          radius::Builder b(radius::Code::accounting_response, p->identifier());
          auto out = std::move(b).finish();
          EXPECT_TRUE(radius::sign(out, kSecret, req));
          socket.send_to(asio::buffer(out), peer);
        }
      }
      serve();
    });
  }
  std::uint8_t last_id = 0;
};

session::Client client(std::string sid, std::uint8_t last) {
  session::Client c;
  c.mac = packet::MacAddr{{0x02, 0x00, 0x5e, 0x10, 0x00, last}};
  c.ip = *packet::IpAddr::parse("192.0.2." + std::to_string(last));
  c.signed_in_at = session::Clock::time_point(std::chrono::seconds(kNow - 100));
  c.method = "radius";
  c.user = "alice";
  c.acct_session_id = std::move(sid);
  return c;
}

session::Ended ended_of(const session::Client& c, session::EndCause cause, session::Traffic traffic) {
  session::Ended e;
  e.mac = c.mac;
  e.ip = c.ip;
  e.cause = cause;
  e.method = c.method;
  e.signed_in_at = c.signed_in_at;
  e.ended_at = session::Clock::time_point(std::chrono::seconds(kNow));
  e.traffic = traffic;
  e.user = c.user;
  e.acct_session_id = c.acct_session_id;
  return e;
}

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/captive-acct-test.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

// The service with its own RadiusClient towards `server`.
struct Accounting {
  Accounting(asio::io_context& io, const udp::endpoint& server, const std::string& dir, std::int64_t* wall)
      : client(io, settings(server)),
        service(
            io, [this](RadiusClient::Build b, RadiusClient::Done d) { client.send(std::move(b), std::move(d)); },
            [](session::Done<std::vector<session::Client>> done) { done(std::vector<session::Client>{}); },
            service_settings(dir), [wall] { return *wall; }) {
    EXPECT_TRUE(client.open());
    auto opened = service.open();
    EXPECT_TRUE(opened) << (opened ? "" : opened.error().message());
    service.start();
  }
  static RadiusClientSettings settings(const udp::endpoint& server) {
    RadiusClientSettings s{{server}, std::string(kSecret), std::chrono::milliseconds(100), 0};
    s.require_message_authenticator = false;  // an Accounting-Response carries none
    return s;
  }
  static RadiusAccountingSettings service_settings(const std::string& dir) {
    RadiusAccountingSettings s;
    s.queue_dir = dir + "/acct-queue";
    s.interval = std::chrono::seconds(0);  // the tests call interim() themselves
    s.retry_after = std::chrono::seconds(1);  // the shortest
    s.secret = std::string(kSecret);
    s.nas_identifier = "lobby";
    return s;
  }
  RadiusClient client;
  RadiusAccounting service;
};

// Runs `io` until `done()` or `limit`.
template <class F>
bool run_until(asio::io_context& io, F done, std::chrono::milliseconds limit = std::chrono::milliseconds(8000)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < end) {
    io.restart();
    io.run_for(std::chrono::milliseconds(20));
  }
  return done();
}

TEST(RadiusAccountingService, StartInterimStopReachTheServerInOrderWithGigawords) {
  asio::io_context io;
  FakeAccountingServer server(io);
  server.serve();
  TempDir dir;
  std::int64_t wall = kNow;
  Accounting acct(io, server.socket.local_endpoint(), dir.path, &wall);
  auto c = client("00000000000000A1", 7);
  acct.service.session_started(c);
  c.traffic = session::Traffic{5'000'000'000ull, 10, 1234, 3};  // up: 2^32 + 705032704
  acct.service.interim({c});
  acct.service.session_ended(ended_of(c, session::EndCause::logout, session::Traffic{5'000'000'100ull, 11, 2000, 5}));
  ASSERT_TRUE(run_until(io, [&] { return acct.service.stats().delivered == 3 && acct.service.stats().queued == 0; }))
      << "delivered " << acct.service.stats().delivered << " queued " << acct.service.stats().queued;
  ASSERT_EQ(server.recorded.size(), 3u);
  EXPECT_EQ(server.recorded[0].status, 1u);  // Start
  EXPECT_EQ(server.recorded[1].status, 3u);  // Interim-Update
  EXPECT_EQ(server.recorded[2].status, 2u);  // Stop
  for (const auto& s : server.recorded) EXPECT_EQ(s.session_id, "00000000000000A1");
  EXPECT_FALSE(server.recorded[0].input_octets);
  // RFC 2866 §5.3 "Input" is what the client sent (up); RFC 2869 §5.1
  // Gigawords: how often the 32-bit counter wrapped.
  EXPECT_EQ(server.recorded[1].input_octets, 705032704u);
  EXPECT_EQ(server.recorded[1].input_giga, 1u);
  EXPECT_EQ(server.recorded[1].output_octets, 1234u);
  EXPECT_EQ(server.recorded[2].input_octets, 705032804u);
  EXPECT_EQ(server.recorded[2].output_octets, 2000u);
  EXPECT_EQ(server.recorded[2].cause, 1u);  // User-Request (§5.10)
  EXPECT_TRUE(std::filesystem::is_empty(dir.path + "/acct-queue"));
}

TEST(RadiusAccountingService, HeldOnDiskWhileNoServerAnswersThenDeliveredInOrderWithTheDelay) {
  asio::io_context io;
  FakeAccountingServer server(io);
  server.answering = false;
  server.serve();
  TempDir dir;
  std::int64_t wall = kNow;
  {
    Accounting acct(io, server.socket.local_endpoint(), dir.path, &wall);
    for (int i = 0; i < 3; ++i) {
      auto c = client("00000000000000B" + std::to_string(i), static_cast<std::uint8_t>(10 + i));
      acct.service.session_ended(ended_of(c, session::EndCause::revoke, {}));
    }
    ASSERT_TRUE(run_until(io, [&] { return acct.service.stats().unanswered >= 1 && acct.service.stats().queued == 3; }));
    EXPECT_EQ(acct.service.stats().delivered, 0u);
  }
  // captived stops and starts again 60 s later; the server is back.
  wall = kNow + 60;
  server.answering = true;
  Accounting again(io, server.socket.local_endpoint(), dir.path, &wall);
  ASSERT_TRUE(run_until(io, [&] { return again.service.stats().delivered == 3; }))
      << "delivered " << again.service.stats().delivered << " queued " << again.service.stats().queued;
  ASSERT_EQ(server.recorded.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(server.recorded[i].session_id, "00000000000000B" + std::to_string(i));
    EXPECT_EQ(server.recorded[i].cause, 6u);  // Admin-Reset
    // RFC 2866 §5.2: how many seconds late the record is.
    EXPECT_EQ(server.recorded[i].delay, 60u);
  }
  EXPECT_GT(server.ignored, 0);
}

// captived stopping right after a revoke: the disk worker had not written
// the Stop yet (here: never started). The record is on disk all the same.
TEST(RadiusAccountingService, RecordsMadeJustBeforeStopAreKeptOnDisk) {
  asio::io_context io;
  TempDir dir;
  {
    RadiusAccounting service(
        io, [](RadiusClient::Build, RadiusClient::Done) { ADD_FAILURE() << "nothing is sent before start()"; },
        [](session::Done<std::vector<session::Client>>) {}, Accounting::service_settings(dir.path),
        [] { return kNow; });
    ASSERT_TRUE(service.open());
    for (int i = 0; i < 2; ++i)
      service.session_ended(ended_of(client("00000000000000F" + std::to_string(i), 1), session::EndCause::revoke, {}));
    EXPECT_EQ(service.stats().records, 2u);
  }
  auto queue = radius::AccountingQueue::open(dir.path + "/acct-queue", 100);
  ASSERT_TRUE(queue);
  EXPECT_EQ(queue->size(), 2u);
}

TEST(RadiusAccountingService, EveryEndCauseHasItsTerminateCause) {
  using C = session::EndCause;
  using T = radius::TerminateCause;
  EXPECT_EQ(RadiusAccounting::terminate_cause(C::logout), T::user_request);
  EXPECT_EQ(RadiusAccounting::terminate_cause(C::idle), T::idle_timeout);
  EXPECT_EQ(RadiusAccounting::terminate_cause(C::timeout), T::session_timeout);
  EXPECT_EQ(RadiusAccounting::terminate_cause(C::revoke), T::admin_reset);
  EXPECT_EQ(RadiusAccounting::terminate_cause(C::admin), T::admin_reset);
  EXPECT_EQ(RadiusAccounting::terminate_cause(C::quota), T::nas_request);
}

// --- the Disconnect/CoA listener ---

struct FakeRegistry {
  std::vector<session::Client> clients;
  std::vector<packet::MacAddr> disconnected;
  std::vector<std::pair<packet::MacAddr, session::Limits>> changed;
  std::optional<std::chrono::seconds> timeout;
  SessionControl control() {
    SessionControl c;
    c.sessions = [this] { return clients; };
    c.disconnect = [this](const packet::MacAddr& mac, session::Done<void> done) {
      disconnected.push_back(mac);
      done(Result<void>{});
    };
    c.change = [this](const packet::MacAddr& mac, std::optional<std::chrono::seconds> t, const session::Limits& l,
                      session::Done<void> done) {
      changed.emplace_back(mac, l);
      timeout = t;
      done(Result<void>{});
    };
    return c;
  }
};

// A Dynamic Authorization client (the RADIUS server's side).
struct DaClient {
  explicit DaClient(asio::io_context& io, const char* from = "127.0.0.1")
      : socket(io, udp::endpoint(asio::ip::make_address(from), 0)) {}
  udp::socket socket;
  std::optional<std::vector<std::byte>> ask(asio::io_context& io, std::uint16_t port, std::vector<std::byte> request) {
    socket.send_to(asio::buffer(request), udp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    std::array<std::byte, 4096> buf{};
    udp::endpoint peer;
    std::optional<std::vector<std::byte>> got;
    socket.async_receive_from(asio::buffer(buf), peer, [&](boost::system::error_code ec, std::size_t n) {
      if (!ec) got.emplace(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    });
    run_until(io, [&] { return got.has_value(); }, std::chrono::milliseconds(500));
    socket.cancel();
    io.restart();
    io.poll();
    return got;
  }
};

template <class F>
std::vector<std::byte> da_request(radius::Code code, F&& add, std::string_view secret = kSecret) {
  radius::Builder b(code, 42);
  b.add_message_authenticator();
  add(b);
  auto p = std::move(b).finish();
  EXPECT_TRUE(radius::sign(p, secret));
  return p;
}

struct Listener {
  Listener(asio::io_context& io, FakeRegistry& registry, std::vector<const char*> servers)
      : coa(io, settings(servers), registry.control(), [] { return kNow; }) {
    auto opened = coa.open();
    EXPECT_TRUE(opened) << (opened ? "" : opened.error().message());
  }
  static CoaListenerSettings settings(const std::vector<const char*>& servers) {
    CoaListenerSettings s;
    s.port = 0;  // any free port
    s.secret = std::string(kSecret);
    for (const auto* server : servers) s.servers.push_back(*packet::IpAddr::parse(server));
    return s;
  }
  CoaListener coa;
};

TEST(CoaListener, DisconnectFromAServerWithTheSecretEndsTheNamedSessionOnly) {
  asio::io_context io;
  FakeRegistry registry;
  registry.clients = {client("00000000000000C1", 1), client("00000000000000C2", 2)};
  Listener l(io, registry, {"127.0.0.1"});
  DaClient server(io);
  auto answer = server.ask(io, l.coa.port(), da_request(radius::Code::disconnect_request, [](radius::Builder& b) {
                             b.add(a::acct_session_id, "00000000000000C2");
                             b.add_u32(a::event_timestamp, static_cast<std::uint32_t>(kNow - 10));
                           }));
  ASSERT_TRUE(answer);
  auto p = radius::PacketView::parse(*answer);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code(), radius::Code::disconnect_ack);
  EXPECT_EQ(p->identifier(), 42);
  ASSERT_EQ(registry.disconnected.size(), 1u);
  EXPECT_EQ(registry.disconnected[0], registry.clients[1].mac);
  EXPECT_EQ(l.coa.stats().disconnect_acked, 1u);
}

// RFC 5080 §2.2.2: the server did not get the ACK and sends the same
// request again; it gets the same ACK, and the session is not ended twice
// (a second try would find none and NAK).
TEST(CoaListener, ARetransmissionGetsTheSameAnswerAndIsNotDoneTwice) {
  asio::io_context io;
  FakeRegistry registry;
  registry.clients = {client("00000000000000C1", 1)};
  Listener l(io, registry, {"127.0.0.1"});
  DaClient server(io);
  const auto request = da_request(radius::Code::disconnect_request,
                                  [](radius::Builder& b) { b.add(a::acct_session_id, "00000000000000C1"); });
  auto first = server.ask(io, l.coa.port(), request);
  registry.clients.clear();  // ended
  auto again = server.ask(io, l.coa.port(), request);
  ASSERT_TRUE(first && again);
  EXPECT_EQ(*first, *again);
  EXPECT_EQ(radius::PacketView::parse(*again)->code(), radius::Code::disconnect_ack);
  EXPECT_EQ(registry.disconnected.size(), 1u);
  EXPECT_EQ(l.coa.stats().duplicates, 1u);
  // A new request (another Identifier) is done again: NAK, no session.
  auto other = request;
  other[1] = std::byte{43};
  ASSERT_TRUE(radius::sign(other, kSecret));
  auto third = server.ask(io, l.coa.port(), other);
  ASSERT_TRUE(third);
  EXPECT_EQ(radius::PacketView::parse(*third)->code(), radius::Code::disconnect_nak);
}

TEST(CoaListener, WrongSecretUnknownSourceAndReplayAreDroppedWithoutAnAnswer) {
  asio::io_context io;
  FakeRegistry registry;
  registry.clients = {client("00000000000000D1", 1)};
  auto by_id = [](radius::Builder& b) { b.add(a::acct_session_id, "00000000000000D1"); };
  {
    Listener l(io, registry, {"127.0.0.1"});
    DaClient server(io);
    EXPECT_FALSE(server.ask(io, l.coa.port(), da_request(radius::Code::disconnect_request, by_id, "wrong")));
    EXPECT_EQ(l.coa.stats().dropped[static_cast<std::size_t>(radius::CoaDrop::bad_authenticator)], 1u);
    // RFC 5176 §3.4: an Event-Timestamp outside the window is a replay.
    EXPECT_FALSE(server.ask(io, l.coa.port(), da_request(radius::Code::disconnect_request, [](radius::Builder& b) {
                              b.add(a::acct_session_id, "00000000000000D1");
                              b.add_u32(a::event_timestamp, static_cast<std::uint32_t>(kNow - 3600));
                            })));
    EXPECT_EQ(l.coa.stats().dropped[static_cast<std::size_t>(radius::CoaDrop::stale)], 1u);
  }
  {
    // The right secret, but 127.0.0.1 is no configured server.
    Listener l(io, registry, {"198.51.100.10"});
    DaClient stranger(io);
    EXPECT_FALSE(stranger.ask(io, l.coa.port(), da_request(radius::Code::disconnect_request, by_id)));
    EXPECT_EQ(l.coa.stats().dropped[static_cast<std::size_t>(radius::CoaDrop::unknown_source)], 1u);
  }
  EXPECT_TRUE(registry.disconnected.empty());
}

TEST(CoaListener, CoaChangesRatesAndTimeoutAndUnknownSessionIsANak503) {
  asio::io_context io;
  FakeRegistry registry;
  registry.clients = {client("00000000000000E1", 1)};
  Listener l(io, registry, {"127.0.0.1"});
  DaClient server(io);
  auto answer = server.ask(io, l.coa.port(), da_request(radius::Code::coa_request, [](radius::Builder& b) {
                             b.add(a::calling_station_id, "02-00-5E-10-00-01");
                             b.add_u32(a::session_timeout, 600);
                             b.add_vendor_u32(radius::wispr::kVendor, radius::wispr::bandwidth_max_down, 8'000'000);
                           }));
  ASSERT_TRUE(answer);
  EXPECT_EQ(radius::PacketView::parse(*answer)->code(), radius::Code::coa_ack);
  ASSERT_EQ(registry.changed.size(), 1u);
  EXPECT_EQ(registry.changed[0].first, registry.clients[0].mac);
  EXPECT_EQ(registry.changed[0].second.rate_down, 1'000'000u);  // bits/s -> bytes/s
  EXPECT_FALSE(registry.changed[0].second.rate_up);
  EXPECT_EQ(registry.timeout, std::chrono::seconds(600));

  answer = server.ask(io, l.coa.port(), da_request(radius::Code::coa_request, [](radius::Builder& b) {
                        b.add(a::acct_session_id, "no-such-session");
                        b.add_u32(a::session_timeout, 600);
                      }));
  ASSERT_TRUE(answer);
  auto nak = radius::PacketView::parse(*answer);
  EXPECT_EQ(nak->code(), radius::Code::coa_nak);
  EXPECT_EQ(nak->find_u32(a::error_cause), 503u);  // Session Context Not Found
  EXPECT_EQ(registry.changed.size(), 1u);
}

}  // namespace
}  // namespace captive::auth
