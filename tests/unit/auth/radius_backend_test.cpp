// --auth radius without a network: the Access-Request's attributes, the
// Access-Accept's attributes as a Decision, and the client's matching,
// checking and failover against fake servers on loopback UDP sockets.
#include "captive/auth/radius_backend.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <chrono>
#include <optional>
#include <set>

#include "captive/radius/crypto.hpp"

namespace captive::auth {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
namespace a = radius::attr;

Attempt attempt() {
  Attempt at;
  at.mac = packet::MacAddr{{0x02, 0x00, 0x5e, 0x10, 0xab, 0xcd}};
  at.ip = *packet::IpAddr::parse("192.0.2.7");
  return at;
}

TEST(RadiusBackend, AccessRequestCarriesTheListedAttributes) {
  RadiusNas nas{"lobby", "02-00-5E-00-00-01:Guest Wi-Fi", false};
  const auto auth = radius::random_authenticator();
  const udp::endpoint local(asio::ip::make_address("198.51.100.1"), 40000);
  auto bytes = RadiusBackend::access_request(nas, attempt(), "alice", "alice pw", "0123456789ABCDEF", "s3cret", 42,
                                             auth, local);
  ASSERT_TRUE(radius::sign(bytes, "s3cret"));
  auto p = radius::PacketView::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code(), radius::Code::access_request);
  EXPECT_EQ(p->identifier(), 42);
  EXPECT_EQ(p->find_text(a::user_name), "alice");
  EXPECT_EQ(radius::unhide_password(p->find(a::user_password)->value, "s3cret", auth), "alice pw");
  EXPECT_EQ(p->find_text(a::calling_station_id), "02-00-5E-10-AB-CD");  // RFC 3580 §3.21
  EXPECT_EQ(p->find_text(a::called_station_id), "02-00-5E-00-00-01:Guest Wi-Fi");
  EXPECT_EQ(p->find_text(a::nas_identifier), "lobby");
  EXPECT_EQ(p->find_u32(a::nas_ip_address), 0xc6336401u);
  EXPECT_EQ(p->find_u32(a::framed_ip_address), 0xc0000207u);
  EXPECT_EQ(p->find_u32(a::nas_port_type), 19u);
  EXPECT_EQ(p->find_text(a::acct_session_id), "0123456789ABCDEF");
  // RFC 3579 §3.2, and first in the packet.
  EXPECT_EQ(p->message_authenticator_offset(), radius::kHeaderSize + 2);
  EXPECT_FALSE(radius::verify(*p, "s3cret", {}, true));
}

std::vector<std::byte> answer(radius::Code code, std::uint8_t id, const radius::Authenticator& request,
                              const std::function<void(radius::Builder&)>& attrs, bool with_ma = true,
                              std::string_view secret = "s3cret") {
  radius::Builder b(code, id);
  if (with_ma) b.add_message_authenticator();
  attrs(b);
  auto bytes = std::move(b).finish();
  EXPECT_TRUE(radius::sign(bytes, secret, request));
  return bytes;
}

TEST(RadiusBackend, AcceptAttributesBecomeTheSessionsTimeAndLimits) {
  const auto req = radius::random_authenticator();
  const auto bytes = answer(radius::Code::access_accept, 1, req, [](radius::Builder& b) {
    b.add_u32(a::session_timeout, 3600);
    b.add_u32(a::idle_timeout, 600);
    b.add_vendor_u32(radius::chillispot::kVendor, radius::chillispot::max_total_octets, 705032704);
    b.add_vendor_u32(radius::chillispot::kVendor, radius::chillispot::max_total_gigawords, 1);
    b.add_vendor_u32(radius::wispr::kVendor, radius::wispr::bandwidth_max_down, 8'000'000);
    b.add_vendor_u32(radius::wispr::kVendor, radius::wispr::bandwidth_max_up, 2'000'000);
    b.add(a::reply_message, "Hello");
    b.add(a::reply_message, "<b>you</b>");
  });
  auto p = radius::PacketView::parse(bytes);
  ASSERT_TRUE(p);
  const auto d = decision_of(*p, "alice", "radius", "SID");
  ASSERT_TRUE(d.accepted());
  EXPECT_EQ(d.user, "alice");
  EXPECT_EQ(d.acct_session_id, "SID");
  EXPECT_EQ(d.duration, std::chrono::seconds(3600));
  EXPECT_EQ(d.limits.idle_timeout, std::chrono::seconds(600));
  EXPECT_EQ(d.limits.quota_bytes, 5'000'000'000u);  // 2^32 + 705032704
  EXPECT_EQ(d.limits.rate_down, 1'000'000u);        // bits/s -> bytes/s
  EXPECT_EQ(d.limits.rate_up, 250'000u);
  EXPECT_EQ(d.message, "Hello <b>you</b>");  // the page escapes it
}

TEST(RadiusBackend, AcceptWithoutAttributesTakesCaptivedsDefaults) {
  const auto bytes = answer(radius::Code::access_accept, 1, {}, [](radius::Builder&) {});
  auto p = radius::PacketView::parse(bytes);
  const auto d = decision_of(*p, "bob", "radius", "SID");
  ASSERT_TRUE(d.accepted());
  EXPECT_FALSE(d.duration);
  EXPECT_EQ(d.limits, session::Limits{});
}

TEST(RadiusBackend, RejectIsAWrongCredentialWithTheServersMessage) {
  auto bytes = answer(radius::Code::access_reject, 1, {}, [](radius::Builder& b) { b.add(a::reply_message, "Expired"); });
  auto d = decision_of(*radius::PacketView::parse(bytes), "bob", "radius", "SID");
  EXPECT_EQ(d.outcome, Decision::Outcome::wrong_credentials);
  EXPECT_EQ(d.reason, "Expired");
  bytes = answer(radius::Code::access_challenge, 1, {}, [](radius::Builder&) {});
  d = decision_of(*radius::PacketView::parse(bytes), "bob", "radius", "SID");
  EXPECT_FALSE(d.accepted());
}

// A fake server: answers each request with what `reply` makes of it.
struct FakeServer {
  explicit FakeServer(asio::io_context& io) : socket(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  udp::socket socket;
  udp::endpoint peer;
  std::array<std::byte, 4096> buf{};
  int received = 0;
  std::function<std::vector<std::vector<std::byte>>(const radius::PacketView&)> reply;
  void serve() {
    socket.async_receive_from(asio::buffer(buf), peer, [this](boost::system::error_code ec, std::size_t n) {
      if (ec) return;
      ++received;
      auto p = radius::PacketView::parse(std::span<const std::byte>(buf.data(), n));
      if (p && reply)
        for (const auto& out : reply(*p)) socket.send_to(asio::buffer(out), peer);
      serve();
    });
  }
};

radius::Authenticator request_auth(const radius::PacketView& p) {
  radius::Authenticator r{};
  std::copy(p.authenticator().begin(), p.authenticator().end(), r.begin());
  return r;
}

struct ClientRun {
  std::optional<Result<std::vector<std::byte>>> result;
  std::chrono::milliseconds took{};
};

ClientRun run(asio::io_context& io, RadiusClient& client) {
  ClientRun r;
  const auto start = std::chrono::steady_clock::now();
  client.send(
      [](std::uint8_t id, const radius::Authenticator& auth, const udp::endpoint&) {
        radius::Builder b(radius::Code::access_request, id, auth);
        b.add_message_authenticator();
        b.add(a::user_name, "alice");
        return std::move(b).finish();
      },
      [&](Result<std::vector<std::byte>> out) {
        r.result = std::move(out);
        r.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        io.stop();
      });
  io.restart();
  io.run_for(std::chrono::seconds(5));
  return r;
}

TEST(RadiusClient, DropsForgedAndStrayAnswersAndTakesTheRightOne) {
  asio::io_context io;
  FakeServer server(io);
  server.reply = [](const radius::PacketView& req) {
    const auto ra = request_auth(req);
    const auto id = req.identifier();
    return std::vector<std::vector<std::byte>>{
        answer(radius::Code::access_accept, id, ra, [](radius::Builder&) {}, false),            // no MA
        answer(radius::Code::access_accept, id, ra, [](radius::Builder&) {}, true, "wrong"),     // wrong secret
        answer(radius::Code::access_accept, static_cast<std::uint8_t>(id + 1), ra, [](radius::Builder&) {}),  // other id
        {std::byte(2), std::byte(id), std::byte(0), std::byte(3)},                               // malformed
        answer(radius::Code::access_accept, id, ra,
               [](radius::Builder& b) { b.add_u32(a::session_timeout, 60); }),                   // the real one
    };
  };
  server.serve();
  RadiusClient client(io, RadiusClientSettings{{server.socket.local_endpoint()}, "s3cret", std::chrono::milliseconds(500), 0});
  ASSERT_TRUE(client.open());
  auto r = run(io, client);
  ASSERT_TRUE(r.result && *r.result) << (r.result ? r.result->error().message() : "no answer");
  auto p = radius::PacketView::parse(**r.result);
  EXPECT_EQ(p->find_u32(a::session_timeout), 60u);
  EXPECT_EQ(client.stats().dropped_no_message_authenticator, 1u);
  EXPECT_EQ(client.stats().dropped_bad_authenticator, 1u);
  EXPECT_EQ(client.stats().dropped_unknown_id, 1u);
  EXPECT_EQ(client.stats().dropped_malformed, 1u);
  EXPECT_EQ(client.stats().answered, 1u);
}

TEST(RadiusClient, RetransmitsThenFailsOverToTheNextServer) {
  asio::io_context io;
  FakeServer silent(io), good(io);
  good.reply = [](const radius::PacketView& req) {
    return std::vector<std::vector<std::byte>>{
        answer(radius::Code::access_accept, req.identifier(), request_auth(req), [](radius::Builder&) {})};
  };
  silent.serve();
  good.serve();
  RadiusClient client(io, RadiusClientSettings{{silent.socket.local_endpoint(), good.socket.local_endpoint()}, "s3cret",
                                               std::chrono::milliseconds(100), 2});
  ASSERT_TRUE(client.open());
  auto r = run(io, client);
  ASSERT_TRUE(r.result && *r.result);
  EXPECT_EQ(silent.received, 3);  // first try and 2 retransmissions
  EXPECT_EQ(good.received, 1);
  EXPECT_EQ(client.stats().retransmits, 2u);
  EXPECT_EQ(client.stats().failovers, 1u);
  EXPECT_GE(r.took, std::chrono::milliseconds(300));
  // The next request starts at the server that answered.
  r = run(io, client);
  ASSERT_TRUE(r.result && *r.result);
  EXPECT_EQ(silent.received, 3);
  EXPECT_EQ(good.received, 2);
}

TEST(RadiusClient, NoServerAnsweringIsAnErrorWithinTheTimeouts) {
  asio::io_context io;
  FakeServer a1(io), a2(io);
  a1.serve();
  a2.serve();
  RadiusClient client(io, RadiusClientSettings{{a1.socket.local_endpoint(), a2.socket.local_endpoint()}, "s3cret",
                                               std::chrono::milliseconds(100), 0});
  ASSERT_TRUE(client.open());
  auto r = run(io, client);
  ASSERT_TRUE(r.result);
  EXPECT_FALSE(*r.result);
  EXPECT_EQ(client.stats().unanswered, 1u);
  EXPECT_LT(r.took, std::chrono::milliseconds(1000));
}

TEST(RadiusClient, ManyRequestsAtOnceGetDistinctIdentifiers) {
  asio::io_context io;
  FakeServer server(io);
  std::set<int> ids;
  server.reply = [&](const radius::PacketView& req) {
    ids.insert(req.identifier());
    return std::vector<std::vector<std::byte>>{
        answer(radius::Code::access_accept, req.identifier(), request_auth(req), [](radius::Builder&) {})};
  };
  server.serve();
  RadiusClient client(io, RadiusClientSettings{{server.socket.local_endpoint()}, "s3cret", std::chrono::milliseconds(1000), 0});
  ASSERT_TRUE(client.open());
  int answered = 0;
  for (int i = 0; i < 50; ++i)
    client.send(
        [](std::uint8_t id, const radius::Authenticator& auth, const udp::endpoint&) {
          radius::Builder b(radius::Code::access_request, id, auth);
          b.add_message_authenticator();
          return std::move(b).finish();
        },
        [&](Result<std::vector<std::byte>> out) {
          answered += out.has_value();
          if (answered == 50) io.stop();
        });
  io.run_for(std::chrono::seconds(5));
  EXPECT_EQ(answered, 50);
  EXPECT_EQ(ids.size(), 50u);
}

}  // namespace
}  // namespace captive::auth

namespace captive::auth {
namespace {

// The client carries Accounting-Requests too (docs/radius.md): their
// authenticator is the packet's hash (RFC 2866 §3), and the answer is
// checked against it.
TEST(RadiusClient, AccountingRequestAnswerCheckedAgainstTheHashedAuthenticator) {
  asio::io_context io;
  FakeServer server(io);
  server.reply = [](const radius::PacketView& req) {
    EXPECT_FALSE(radius::verify(req, "s3cret", {}, false));  // a right RFC 2866 §3 authenticator
    return std::vector<std::vector<std::byte>>{
        answer(radius::Code::accounting_response, req.identifier(), request_auth(req), [](radius::Builder&) {}, false)};
  };
  server.serve();
  RadiusClientSettings settings{{server.socket.local_endpoint()}, "s3cret", std::chrono::milliseconds(500), 0};
  settings.require_message_authenticator = false;
  RadiusClient client(io, settings);
  ASSERT_TRUE(client.open());
  std::optional<Result<std::vector<std::byte>>> got;
  client.send(
      [](std::uint8_t id, const radius::Authenticator&, const udp::endpoint&) {
        radius::Builder b(radius::Code::accounting_request, id);
        b.add_u32(a::acct_status_type, 1);
        b.add(a::acct_session_id, "0123456789ABCDEF");
        return std::move(b).finish();
      },
      [&](Result<std::vector<std::byte>> r) {
        got = std::move(r);
        io.stop();
      });
  io.run_for(std::chrono::seconds(3));
  ASSERT_TRUE(got && *got) << (got ? got->error().message() : "no answer");
  EXPECT_EQ(client.stats().dropped_bad_authenticator, 0u);
}

}  // namespace
}  // namespace captive::auth
