// TCP by the RFC (issue 8 item 3): the responder never sends a segment
// larger than the MSS the client advertised (RFC 9293 §3.7.1), never past
// the window the client advertised (RFC 9293 §3.8.6), and answers only
// unicast source MACs.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "captive/packet/ethernet_view.hpp"
#include "captive/packet/tcp_view.hpp"
#include "captive/responder/responder.hpp"
#include "responder_fixture.hpp"

namespace captive::responder {
namespace {

using namespace captive::responder::testing;  // NOLINT
using packet::kTcpAck;
using packet::kTcpFin;
using packet::kTcpPsh;
using packet::kTcpSyn;

constexpr std::uint64_t kNow = 64 * 2000 + 7;
constexpr std::string_view kRequest = "GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\n\r\n";

class TcpRfcTest : public ::testing::Test {
 protected:
  Settings settings_ = test_settings();
  std::unique_ptr<Responder> responder_ = std::make_unique<Responder>(settings_);
  std::unique_ptr<Output> out_ = std::make_unique<Output>();

  Outcome handle(const Client& c, const std::vector<std::byte>& l3) {
    return responder_->handle(c.packet_of(l3), kNow, *out_);
  }

  // SYN with `mss` (0: no option); our ISN, or nullopt without a SYN-ACK.
  std::optional<std::uint32_t> connect(const Client& c, std::uint16_t mss) {
    if (handle(c, c.segment(kTcpSyn, c.isn, 0, {}, mss)) != Outcome::syn_ack) return std::nullopt;
    EXPECT_EQ(out_->count, 1u);
    return read_frame(out_->frame(0), c, settings_).seg.tcp().seq();
  }

  // What a client does: the request, then the same request again (our parts
  // leave it unacknowledged) acknowledging what arrived, until the answer
  // ends with our FIN. Checks every segment against `mss` and the window.
  struct Exchange {
    std::string text;
    int rounds = 0;
    bool fin = false;
    std::size_t largest_segment = 0;
  };
  Exchange exchange(const Client& c, std::uint32_t cookie, std::size_t mss, std::string_view request,
                    int max_rounds = 200) {
    Exchange ex;
    const std::uint32_t request_end = c.isn + 1 + static_cast<std::uint32_t>(request.size());
    while (!ex.fin && ex.rounds < max_rounds) {
      const std::uint32_t ack = cookie + 1 + static_cast<std::uint32_t>(ex.text.size());
      const auto o = handle(c, c.segment(kTcpAck | kTcpPsh, c.isn + 1, ack, request));
      ++ex.rounds;
      if (o == Outcome::window_full) {
        EXPECT_EQ(out_->count, 0u);
        break;
      }
      EXPECT_TRUE(o == Outcome::answered || o == Outcome::answered_part) << outcome_name(o);
      if (out_->count == 0) break;
      std::size_t in_flight = 0;
      std::uint32_t seq = ack;
      for (std::size_t i = 0; i < out_->count; ++i) {
        const auto sent = read_frame(out_->frame(i), c, settings_);
        const auto& tcp = sent.seg.tcp();
        EXPECT_EQ(tcp.seq(), seq);
        // RFC 9293 §3.7.1: never more than the client's MSS.
        EXPECT_LE(sent.data.size(), mss);
        ex.largest_segment = std::max(ex.largest_segment, sent.data.size());
        in_flight += sent.data.size();
        seq += static_cast<std::uint32_t>(sent.data.size());
        // The request is acknowledged with the last part only.
        EXPECT_EQ(tcp.ack(), o == Outcome::answered ? request_end : c.isn + 1);
        if (tcp.flags() & kTcpFin) {
          EXPECT_EQ(i + 1, out_->count);
          EXPECT_EQ(o, Outcome::answered);
          ex.fin = true;
          ++in_flight;  // the FIN takes a sequence number inside the window
        }
        ex.text += sent.data;
      }
      // Never past the window the request segment advertised.
      EXPECT_LE(in_flight, c.window);
    }
    return ex;
  }
};

// Before: any MSS below 256 got 256-byte segments.
TEST_F(TcpRfcTest, SmallMssIsNeverExceeded) {
  for (const std::uint16_t mss : {64, 65, 100, 127, 128, 200, 255, 256, 300, 535}) {
    auto c = Client::v4();
    c.port = static_cast<std::uint16_t>(41000 + mss);
    const auto cookie = connect(c, mss);
    ASSERT_TRUE(cookie) << mss;
    const auto ex = exchange(c, *cookie, mss, kRequest);
    EXPECT_TRUE(ex.fin) << mss;
    EXPECT_LE(ex.largest_segment, mss);
    EXPECT_EQ(ex.text.rfind("HTTP/1.1 511 ", 0), 0u) << mss;
    EXPECT_EQ(ex.rounds, 1) << mss;  // a 64-byte MSS still carries the 511 in one window
  }
}

// Below 64 bytes we do not serve: no SYN-ACK at all, counted.
TEST_F(TcpRfcTest, MssTooSmallGetsNoSynAck) {
  for (const std::uint16_t mss : {1, 2, 20, 40, 63}) {
    const auto c = Client::v6();
    EXPECT_EQ(handle(c, c.segment(kTcpSyn, c.isn, 0, {}, mss)), Outcome::mss_too_small) << mss;
    EXPECT_EQ(out_->count, 0u);
  }
  EXPECT_EQ(responder_->stats().get(Outcome::mss_too_small), 5u);
  EXPECT_STREQ(outcome_name(Outcome::mss_too_small), "mss_too_small");
}

// A window smaller than the answer: send what fits, leave the request
// unacknowledged; its retransmission brings the rest. The parts put
// together are the answer a large window gets at once.
TEST_F(TcpRfcTest, SmallWindowIsRespectedAndTheRestFollows) {
  auto big = Client::v4();
  const auto big_cookie = connect(big, 1460);
  ASSERT_TRUE(big_cookie);
  const auto whole = exchange(big, *big_cookie, 1460, kRequest);
  ASSERT_TRUE(whole.fin);
  ASSERT_EQ(whole.rounds, 1);

  // Exactly the answer's size: no room for the FIN, which then comes alone.
  const auto exact = static_cast<std::uint16_t>(whole.text.size());
  for (const std::uint16_t window : {std::uint16_t{1}, std::uint16_t{7}, std::uint16_t{100}, std::uint16_t{200},
                                     std::uint16_t{511}, std::uint16_t{512}, exact}) {
    auto c = big;  // same tuple, same cookie, same answer
    c.window = window;
    const auto ex = exchange(c, *big_cookie, 1460, kRequest, 2000);
    EXPECT_TRUE(ex.fin) << window;
    EXPECT_EQ(ex.text, whole.text) << window;
    EXPECT_GT(ex.rounds, 1) << window;
  }
}

// A closed window takes nothing; a window of a few bytes takes them.
TEST_F(TcpRfcTest, ClosedWindowSendsNothingTinyWindowItsBytes) {
  auto c = Client::v4();
  const auto cookie = connect(c, 1460);
  ASSERT_TRUE(cookie);
  c.window = 0;
  EXPECT_EQ(handle(c, c.segment(kTcpAck | kTcpPsh, c.isn + 1, *cookie + 1, kRequest)), Outcome::window_full);
  EXPECT_EQ(out_->count, 0u);
  c.window = 3;
  EXPECT_EQ(handle(c, c.segment(kTcpAck | kTcpPsh, c.isn + 1, *cookie + 1, kRequest)), Outcome::answered_part);
  ASSERT_EQ(out_->count, 1u);
  EXPECT_EQ(read_frame(out_->frame(0), c, settings_).data, "HTT");
}

// A client that acknowledges bytes we never sent (odd offsets, not a
// multiple of 8) still never gets segments above its MSS.
TEST_F(TcpRfcTest, OddAckNeverRaisesTheMss) {
  auto c = Client::v4();
  const auto cookie = connect(c, 100);
  ASSERT_TRUE(cookie);
  for (std::uint32_t delta = 1; delta < 64; ++delta) {
    const auto o = handle(c, c.segment(kTcpAck | kTcpPsh, c.isn + 1, *cookie + 1 + delta, kRequest));
    EXPECT_TRUE(o == Outcome::answered || o == Outcome::answered_part) << delta;
    for (std::size_t i = 0; i < out_->count; ++i)
      EXPECT_LE(read_frame(out_->frame(i), c, settings_).data.size(), 100u) << delta;
  }
}

// An ack past all of our answer and FIN: nothing more to send.
TEST_F(TcpRfcTest, RequestAfterTheWholeAnswerGetsNothing) {
  auto c = Client::v4();
  const auto cookie = connect(c, 1460);
  ASSERT_TRUE(cookie);
  const auto whole = exchange(c, *cookie, 1460, kRequest);
  ASSERT_TRUE(whole.fin);
  const auto past = *cookie + 1 + static_cast<std::uint32_t>(whole.text.size()) + 1;
  EXPECT_EQ(handle(c, c.segment(kTcpAck | kTcpPsh, c.isn + 1 + 50, past, kRequest)), Outcome::ignored_ack);
  EXPECT_EQ(out_->count, 0u);
}

// IEEE 802: the I/G bit set is a group address, never a sender.
TEST_F(TcpRfcTest, GroupSourceMacGetsNothing) {
  for (const char* mac : {"ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "33:33:00:00:00:01", "03:00:00:00:00:02"}) {
    auto c = Client::v4();
    c.mac = *packet::MacAddr::parse(mac);
    EXPECT_EQ(handle(c, c.segment(kTcpSyn, c.isn, 0, {}, 1460)), Outcome::not_unicast) << mac;
    EXPECT_EQ(out_->count, 0u);
    EXPECT_EQ(handle(c, c.segment(kTcpAck, 5, 6)), Outcome::not_unicast) << mac;
    EXPECT_EQ(out_->count, 0u);
  }
  EXPECT_EQ(responder_->stats().get(Outcome::not_unicast), 8u);
  // A locally administered unicast MAC is a client like any other.
  auto c = Client::v4();
  c.mac = *packet::MacAddr::parse("02:11:22:33:44:55");
  EXPECT_EQ(handle(c, c.segment(kTcpSyn, c.isn, 0, {}, 1460)), Outcome::syn_ack);
}

// The probe answer (302) is one more answer body: the same MSS and window
// rules hold for it, and the parts put together are the whole 302.
TEST_F(TcpRfcTest, ProbeAnswerKeepsMssAndWindowRules) {
  auto table = http::parse_probe_table("connectivitycheck.gstatic.com /generate_204 302 android\n", "t");
  ASSERT_TRUE(table);
  settings_.probes = std::make_shared<const http::ProbeTable>(*table);
  responder_ = std::make_unique<Responder>(settings_);
  constexpr std::string_view kProbe =
      "GET /generate_204 HTTP/1.1\r\nHost: connectivitycheck.gstatic.com\r\n"
      "User-Agent: Dalvik/2.1.0 (Linux; U; Android 14)\r\n\r\n";
  auto big = Client::v4();
  const auto big_cookie = connect(big, 1460);
  ASSERT_TRUE(big_cookie);
  const auto whole = exchange(big, *big_cookie, 1460, kProbe);
  ASSERT_TRUE(whole.fin);
  EXPECT_EQ(whole.rounds, 1);
  ASSERT_EQ(whole.text.rfind("HTTP/1.1 302 Found\r\nLocation: http://192.0.2.1:8511/?url=", 0), 0u) << whole.text;
  EXPECT_EQ(responder_->stats().probe_redirects.load(), 1u);  // counted once per request
  for (const std::uint16_t mss : {64, 100, 256, 536}) {
    auto c = Client::v4();
    c.port = static_cast<std::uint16_t>(42000 + mss);
    const auto cookie = connect(c, mss);
    ASSERT_TRUE(cookie) << mss;
    const auto ex = exchange(c, *cookie, mss, kProbe);
    EXPECT_TRUE(ex.fin) << mss;
    EXPECT_LE(ex.largest_segment, mss);
    EXPECT_EQ(ex.text.rfind("HTTP/1.1 302 Found\r\n", 0), 0u) << mss;
  }
  for (const std::uint16_t window : {std::uint16_t{1}, std::uint16_t{100}, std::uint16_t{300}}) {
    auto c = big;
    c.window = window;
    const auto ex = exchange(c, *big_cookie, 1460, kProbe, 2000);
    EXPECT_TRUE(ex.fin) << window;
    EXPECT_EQ(ex.text, whole.text) << window;
  }
}

// Property: any advertised MSS 1..65535 and window 0..65535: no segment is
// larger than the MSS, nothing goes past the window, and an answer that
// starts always completes to the same bytes within a bounded number of
// rounds (for any open window).
TEST_F(TcpRfcTest, PropertyRandomMssAndWindow) {
  std::mt19937 rng(20261130);
  std::string reference_v4;
  for (int i = 0; i < 3000; ++i) {
    auto c = (i & 1) ? Client::v6() : Client::v4();
    c.port = static_cast<std::uint16_t>(20000 + i);
    const auto mss = static_cast<std::uint16_t>(1 + rng() % 65535);
    switch (rng() % 3) {
      case 0: c.window = static_cast<std::uint16_t>(rng() % 65536); break;
      case 1: c.window = static_cast<std::uint16_t>(rng() % 1500); break;
      default: c.window = static_cast<std::uint16_t>(rng() % 64); break;
    }
    const auto cookie = connect(c, mss);
    if (mss < kMinServedMss) {
      EXPECT_FALSE(cookie) << mss;
      continue;
    }
    ASSERT_TRUE(cookie) << mss;
    const auto ex = exchange(c, *cookie, mss, kRequest, 2000);
    if (c.window == 0) {
      EXPECT_FALSE(ex.fin);
      EXPECT_TRUE(ex.text.empty());
      continue;
    }
    ASSERT_TRUE(ex.fin) << "mss " << mss << " window " << c.window;
    EXPECT_LE(ex.largest_segment, mss);
    EXPECT_EQ(ex.text.rfind("HTTP/1.1 511 ", 0), 0u);
    const auto split = ex.text.find("\r\n\r\n");
    ASSERT_NE(split, std::string::npos);
    EXPECT_NE(ex.text.find("Content-Length: " + std::to_string(ex.text.size() - split - 4) + "\r\n"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace captive::responder
