#include "captive/responder/responder.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "captured_frames.hpp"
#include "captive/packet/byte_order.hpp"
#include "captive/packet/checksum.hpp"
#include "responder_fixture.hpp"

namespace captive::responder {
namespace {

using namespace captive::responder::testing;  // NOLINT
using packet::kTcpAck;
using packet::kTcpFin;
using packet::kTcpPsh;
using packet::kTcpRst;
using packet::kTcpSyn;

constexpr std::uint64_t kNow = 64 * 1000 + 5;
constexpr std::string_view kRequest =
    "GET /some/path?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test\r\n\r\n";

class ResponderTest : public ::testing::Test {
 protected:
  Settings settings_ = test_settings();
  Responder responder_{settings_};
  std::unique_ptr<Output> out_ = std::make_unique<Output>();

  Outcome handle(const Client& c, const std::vector<std::byte>& l3, std::uint64_t now = kNow) {
    return responder_.handle(c.packet_of(l3), now, *out_);
  }

  // SYN -> SYN-ACK; returns our ISN.
  std::uint32_t connect(const Client& c, std::uint16_t mss = 1460, std::uint64_t now = kNow) {
    EXPECT_EQ(handle(c, c.segment(kTcpSyn, c.isn, 0, {}, mss), now), Outcome::syn_ack);
    EXPECT_EQ(out_->count, 1u);
    return read_frame(out_->frame(0), c, settings_).seg.tcp().seq();
  }

  // All data segments sent, checked for seq/ack/flags; returns the text.
  std::string reassemble(const Client& c, std::uint32_t cookie, std::uint32_t client_next,
                         std::size_t mss) {
    std::string text;
    std::uint32_t seq = cookie + 1;
    for (std::size_t i = 0; i < out_->count; ++i) {
      const auto sent = read_frame(out_->frame(i), c, settings_);
      const bool last = i + 1 == out_->count;
      EXPECT_EQ(sent.seg.tcp().seq(), seq);
      EXPECT_EQ(sent.seg.tcp().ack(), client_next);
      EXPECT_EQ(sent.seg.tcp().flags(), kTcpAck | kTcpPsh | (last ? kTcpFin : 0));
      EXPECT_EQ(sent.seg.tcp().window(), 65535);
      EXPECT_LE(sent.data.size(), mss);
      if (!last) {
        EXPECT_EQ(sent.data.size(), mss);
      }
      EXPECT_FALSE(sent.data.empty());
      seq += static_cast<std::uint32_t>(sent.data.size());
      text += sent.data;
    }
    return text;
  }
};

void expect_valid_511(const std::string& text, std::string_view encoded_url) {
  ASSERT_EQ(text.rfind("HTTP/1.1 511 Network Authentication Required\r\n", 0), 0u) << text;
  const auto split = text.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  const auto body_size = text.size() - split - 4;
  EXPECT_NE(text.find("Content-Length: " + std::to_string(body_size) + "\r\n"), std::string::npos);
  EXPECT_NE(text.find("Cache-Control: no-store\r\n"), std::string::npos);
  EXPECT_NE(text.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(text.find(encoded_url), std::string::npos) << text;
}

TEST_F(ResponderTest, CapturedSynGetsCookieSynAckIpv4) {
  const auto l3 = fixtures::l3_bytes(fixtures::kV4SynFrame);
  Packet p;
  p.l3 = l3;
  p.original_length = static_cast<std::uint32_t>(l3.size());
  p.client_mac = *packet::MacAddr::parse("c6:54:7e:3e:dc:6c");
  p.checksum_not_ready = true;  // as captured: CHECKSUM_PARTIAL
  ASSERT_EQ(responder_.handle(p, kNow, *out_), Outcome::syn_ack);
  ASSERT_EQ(out_->count, 1u);
  Client c{*packet::IpAddr::parse("192.0.2.10"), *packet::IpAddr::parse("192.0.2.9"), 53906, 80,
           p.client_mac};
  const auto sent = read_frame(out_->frame(0), c, settings_);
  EXPECT_EQ(sent.seg.tcp().flags(), kTcpSyn | kTcpAck);
  EXPECT_EQ(sent.seg.tcp().ack(), 3787142566u + 1);
  EXPECT_EQ(sent.seg.tcp().mss(), 1460);
  EXPECT_EQ(sent.seg.tcp().window(), 65535);
  EXPECT_EQ(sent.seg.tcp().header_length(), 24u);  // MSS only: no wscale/SACK/timestamps
  EXPECT_EQ(kMssTable[sent.seg.tcp().seq() & 7], 1460);
  EXPECT_TRUE(sent.data.empty());
  // Without CSUMNOTREADY the partial checksum does not verify.
  p.checksum_not_ready = false;
  EXPECT_EQ(responder_.handle(p, kNow, *out_), Outcome::bad_checksum);
  EXPECT_EQ(out_->count, 0u);
}

TEST_F(ResponderTest, CapturedCurlExchangeIpv4AndIpv6) {
  struct Case {
    std::span<const unsigned char> syn, request;
    std::string_view encoded;
  };
  const Case cases[] = {
      {fixtures::kV4SynFrame, fixtures::kV4RequestFrame, "?url=http%3A%2F%2F192.0.2.9%2Fsome%2Fpath%3Fx%3D1"},
      {fixtures::kV6SynFrame, fixtures::kV6RequestFrame,
       "?url=http%3A%2F%2F%5B2001%3Adb8%3A%3A9%5D%2Fsome%2Fpath%3Fx%3D1"},
  };
  for (const auto& cs : cases) {
    const auto syn = fixtures::l3_bytes(cs.syn);
    Packet p;
    p.l3 = syn;
    p.client_mac = *packet::MacAddr::parse("c6:54:7e:3e:dc:6c");
    p.checksum_not_ready = true;
    ASSERT_EQ(responder_.handle(p, kNow, *out_), Outcome::syn_ack);
    const auto eth = packet::EthernetView::parse(out_->frame(0));
    ASSERT_TRUE(eth);
    const auto synack = packet::SegmentView::parse(eth->payload());
    ASSERT_TRUE(synack);
    // Read now: out_ is reused by the next handle().
    const std::uint32_t cookie = synack->tcp().seq();
    const std::size_t mss = synack->tcp().mss().value();
    const bool v4 = synack->is_v4();
    // The captured request acks the real server's ISN; make it ack ours.
    const auto captured = fixtures::l3_bytes(cs.request);
    std::vector<std::byte> req(captured.begin(), captured.end());
    const std::size_t ip_header = v4 ? 20 : 40;
    packet::store_be32(req.data() + ip_header + 8, cookie + 1);
    // Captured against a server that agreed window scaling, its window
    // field is scaled (502 << 7); with us (no WS option) a client sends
    // the window unscaled (RFC 7323 §2.2).
    packet::store_be16(req.data() + ip_header + 14, 64256);
    p.l3 = req;
    ASSERT_EQ(responder_.handle(p, kNow, *out_), Outcome::answered);
    const auto seg = *packet::SegmentView::parse(req);
    Client c{seg.src(), seg.dst(), seg.tcp().src_port(), 80, p.client_mac};
    const auto text = reassemble(c, cookie, seg.tcp().seq() + static_cast<std::uint32_t>(seg.payload_length()), mss);
    expect_valid_511(text, cs.encoded);
    EXPECT_NE(text.find(v4 ? "http://192.0.2.1:8511/?url=" : "http://[2001:db8:1::1]:8511/?url="),
              std::string::npos);
  }
}

TEST_F(ResponderTest, RequestAnsweredWith511Ipv4) {
  const auto c = Client::v4();
  const auto cookie = connect(c);
  ASSERT_EQ(handle(c, c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1, kRequest)), Outcome::answered);
  ASSERT_GE(out_->count, 1u);
  const auto text = reassemble(c, cookie, c.isn + 1 + static_cast<std::uint32_t>(kRequest.size()), 1460);
  expect_valid_511(text, "http://192.0.2.1:8511/?url=http%3A%2F%2Fexample.com%2Fsome%2Fpath%3Fx%3D1");
}

TEST_F(ResponderTest, AnswerFitsOneSegmentAtMss536) {
  // One segment: if it is lost, the client's retransmitted request gets it
  // again; nothing has to be kept to resend a lost middle segment.
  const auto c = Client::v4();
  const auto cookie = connect(c, 536);
  EXPECT_EQ(kMssTable[cookie & 7], 536);
  ASSERT_EQ(handle(c, c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1, kRequest)), Outcome::answered);
  ASSERT_EQ(out_->count, 1u);
  const auto text = reassemble(c, cookie, c.isn + 1 + static_cast<std::uint32_t>(kRequest.size()), 536);
  EXPECT_LE(text.size(), 536u);
  expect_valid_511(text, "http://192.0.2.1:8511/?url=");
}

TEST_F(ResponderTest, LongUrlIsShortenedToFitOneSegment) {
  const auto c = Client::v4();
  const auto cookie = connect(c);  // MSS 1460
  const std::string req = "GET /" + std::string(900, 'a') + " HTTP/1.1\r\nHost: example.com\r\n\r\n";
  ASSERT_EQ(handle(c, c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1, req)), Outcome::answered);
  ASSERT_EQ(out_->count, 1u);
  const auto text = reassemble(c, cookie, c.isn + 1 + static_cast<std::uint32_t>(req.size()), 1460);
  EXPECT_LE(text.size(), 1460u);
  // As much of the original URL as fits: its start survives.
  expect_valid_511(text, "?url=http%3A%2F%2Fexample.com%2Faaaa");
}

TEST_F(ResponderTest, LongUrlWithTinyMssStillFits) {
  const auto c = Client::v4();
  const auto cookie = connect(c, 100);  // -> 64-byte segments (rounded down), at most 16 of them
  EXPECT_EQ(kMssTable[cookie & 7], 64);
  const std::string req = "GET /" + std::string(2000, '%') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  ASSERT_EQ(handle(c, c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1, req)), Outcome::answered);
  EXPECT_LE(out_->count, kMaxFrames);
  const auto text = reassemble(c, cookie, c.isn + 1 + static_cast<std::uint32_t>(req.size()), 64);
  expect_valid_511(text, "?url=http%3A%2F%2Fh%2F");
}

TEST_F(ResponderTest, RetransmittedRequestGetsIdenticalAnswer) {
  const auto c = Client::v4();
  const auto cookie = connect(c);
  const auto req = c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1, kRequest);
  ASSERT_EQ(handle(c, req), Outcome::answered);
  std::vector<std::vector<std::byte>> first;
  for (std::size_t i = 0; i < out_->count; ++i)
    first.emplace_back(out_->frame(i).begin(), out_->frame(i).end());
  // Later, and across a slot boundary: still the same bytes.
  ASSERT_EQ(handle(c, req, kNow + 70), Outcome::answered);
  ASSERT_EQ(out_->count, first.size());
  for (std::size_t i = 0; i < out_->count; ++i)
    EXPECT_TRUE(std::equal(first[i].begin(), first[i].end(), out_->frame(i).begin(), out_->frame(i).end()));
}

TEST_F(ResponderTest, StaleAckGetsRst) {
  const auto c = Client::v4();
  const std::uint32_t ack = 0xdeadbeef;
  ASSERT_EQ(handle(c, c.segment(kTcpAck, 5000, ack)), Outcome::reset);
  ASSERT_EQ(out_->count, 1u);
  const auto sent = read_frame(out_->frame(0), c, settings_);
  EXPECT_EQ(sent.seg.tcp().flags(), kTcpRst);
  EXPECT_EQ(sent.seg.tcp().seq(), ack);
}

TEST_F(ResponderTest, WrongCookieRequestGetsRst) {
  const auto c = Client::v4();
  const auto cookie = connect(c);
  ASSERT_EQ(handle(c, c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1 - 1000, kRequest)), Outcome::reset);
  ASSERT_EQ(out_->count, 1u);
  EXPECT_EQ(read_frame(out_->frame(0), c, settings_).seg.tcp().seq(), cookie + 1 - 1000);
  // Another tuple's cookie is no cookie of this one.
  auto other = c;
  other.port = 40001;
  ASSERT_EQ(handle(other, other.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1, kRequest)), Outcome::reset);
}

TEST_F(ResponderTest, ExpiredSlotGetsRst) {
  const auto c = Client::v4();
  const auto cookie = connect(c);
  ASSERT_EQ(handle(c, c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1, kRequest), kNow + 200), Outcome::reset);
  EXPECT_EQ(read_frame(out_->frame(0), c, settings_).seg.tcp().flags(), kTcpRst);
}

TEST_F(ResponderTest, FinGetsAck) {
  const auto c = Client::v4();
  const auto cookie = connect(c);
  ASSERT_EQ(handle(c, c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1, kRequest)), Outcome::answered);
  std::uint32_t answer_length = 0;
  for (std::size_t i = 0; i < out_->count; ++i)
    answer_length += static_cast<std::uint32_t>(read_frame(out_->frame(i), c, settings_).data.size());
  const std::uint32_t client_seq = c.isn + 1 + static_cast<std::uint32_t>(kRequest.size());
  const std::uint32_t their_ack = cookie + 1 + answer_length + 1;  // our data and FIN
  // Their pure ACK of our answer: nothing.
  EXPECT_EQ(handle(c, c.segment(kTcpAck, client_seq, their_ack)), Outcome::ignored_ack);
  EXPECT_EQ(out_->count, 0u);
  // Their FIN: ACKed.
  ASSERT_EQ(handle(c, c.segment(kTcpAck | kTcpFin, client_seq, their_ack)), Outcome::fin_ack);
  ASSERT_EQ(out_->count, 1u);
  const auto sent = read_frame(out_->frame(0), c, settings_);
  EXPECT_EQ(sent.seg.tcp().flags(), kTcpAck);
  EXPECT_EQ(sent.seg.tcp().seq(), their_ack);
  EXPECT_EQ(sent.seg.tcp().ack(), client_seq + 1);
}

TEST_F(ResponderTest, FinWithDataCountsBoth) {
  const auto c = Client::v4();
  const auto cookie = connect(c);
  ASSERT_EQ(handle(c, c.segment(kTcpAck | kTcpFin, c.isn + 1, cookie + 1 + 300, "leftover")), Outcome::fin_ack);
  EXPECT_EQ(read_frame(out_->frame(0), c, settings_).seg.tcp().ack(), c.isn + 1 + 8 + 1);
  // A request riding with a FIN: the FIN is acknowledged by the answer.
  ASSERT_EQ(handle(c, c.segment(kTcpAck | kTcpPsh | kTcpFin, c.isn + 1, cookie + 1, kRequest)), Outcome::answered);
  EXPECT_EQ(read_frame(out_->frame(0), c, settings_).seg.tcp().ack(),
            c.isn + 1 + static_cast<std::uint32_t>(kRequest.size()) + 1);
}

TEST_F(ResponderTest, RstAndPureAckAndContinuationGetNothing) {
  const auto c = Client::v4();
  const auto cookie = connect(c);
  EXPECT_EQ(handle(c, c.segment(kTcpRst, c.isn + 1, 0)), Outcome::ignored_ack);
  EXPECT_EQ(out_->count, 0u);
  EXPECT_EQ(handle(c, c.segment(kTcpRst | kTcpAck, c.isn + 1, 12345)), Outcome::ignored_ack);
  EXPECT_EQ(out_->count, 0u);
  EXPECT_EQ(handle(c, c.segment(kTcpAck, c.isn + 1, cookie + 1)), Outcome::ignored_ack);
  EXPECT_EQ(out_->count, 0u);
  EXPECT_EQ(handle(c, c.segment(kTcpAck | kTcpPsh, c.isn + 500, cookie + 1, "Accept: */*\r\n\r\n")),
            Outcome::ignored_ack);
  EXPECT_EQ(out_->count, 0u);
  // Data after our answer was acknowledged: nothing either.
  EXPECT_EQ(handle(c, c.segment(kTcpAck | kTcpPsh, c.isn + 500, cookie + 2000, kRequest)), Outcome::ignored_ack);
}

TEST_F(ResponderTest, NotHttpGetsRst) {
  const auto c = Client::v4();
  const auto cookie = connect(c);
  const std::string_view tls("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  ASSERT_EQ(handle(c, c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1, tls)), Outcome::not_http);
  ASSERT_EQ(out_->count, 1u);
  const auto sent = read_frame(out_->frame(0), c, settings_);
  EXPECT_EQ(sent.seg.tcp().flags(), kTcpRst);
  EXPECT_EQ(sent.seg.tcp().seq(), cookie + 1);
  EXPECT_EQ(responder_.stats().get(Outcome::not_http), 1u);
}

TEST_F(ResponderTest, Ipv6Flow) {
  const auto c = Client::v6();
  const auto cookie = connect(c, 1440);
  const auto syn_ack = read_frame(out_->frame(0), c, settings_);
  EXPECT_EQ(syn_ack.seg.tcp().mss(), 1440);
  EXPECT_EQ(syn_ack.seg.tcp().ack(), c.isn + 1);
  const std::string_view req = "GET /x HTTP/1.1\r\nUser-Agent: t\r\n\r\n";  // no Host
  ASSERT_EQ(handle(c, c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1, req)), Outcome::answered);
  const auto text = reassemble(c, cookie, c.isn + 1 + static_cast<std::uint32_t>(req.size()), 1440);
  expect_valid_511(text, "http://[2001:db8:1::1]:8511/?url=http%3A%2F%2F%5B2001%3Adb8%3A%3A9%5D%2Fx");
  ASSERT_EQ(handle(c, c.segment(kTcpAck, 1, 77)), Outcome::reset);
}

TEST_F(ResponderTest, NoMssOptionUsesDefaults) {
  auto c4 = Client::v4();
  EXPECT_EQ(kMssTable[connect(c4, 0) & 7], 536);
  auto c6 = Client::v6();
  EXPECT_EQ(kMssTable[connect(c6, 0) & 7], 1220);
}

TEST_F(ResponderTest, PortalUrlFallsBackToOtherFamily) {
  settings_.portal_url_v6.clear();
  Responder r(settings_);
  const auto c = Client::v6();
  ASSERT_EQ(r.handle(c.packet_of(c.segment(kTcpSyn, c.isn, 0, {}, 1440)), kNow, *out_), Outcome::syn_ack);
  const auto cookie = read_frame(out_->frame(0), c, settings_).seg.tcp().seq();
  ASSERT_EQ(r.handle(c.packet_of(c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1, kRequest)), kNow, *out_),
            Outcome::answered);
  EXPECT_NE(read_frame(out_->frame(0), c, settings_).data.find("http://192.0.2.1:8511/?url="), std::string::npos);
}

TEST_F(ResponderTest, TruncatedRequestUsesDeclaredLength) {
  const auto c = Client::v4();
  const auto cookie = connect(c);
  auto req = c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1, kRequest);
  Packet p = c.packet_of(req);
  p.l3 = std::span<const std::byte>(req).first(20 + 20 + 30);  // copy range cut it
  // A broken checksum does not matter: it cannot be checked.
  req[20 + 16] ^= std::byte{0xff};
  ASSERT_EQ(responder_.handle(p, kNow, *out_), Outcome::answered);
  EXPECT_EQ(read_frame(out_->frame(0), c, settings_).seg.tcp().ack(),
            c.isn + 1 + static_cast<std::uint32_t>(kRequest.size()));
  // The Host was cut off: the destination address stands in.
  std::string text;
  for (std::size_t i = 0; i < out_->count; ++i) text += read_frame(out_->frame(i), c, settings_).data;
  EXPECT_NE(text.find("?url=http%3A%2F%2F192.0.2.9%2Fsome%2Fpath%3Fx%3D1"), std::string::npos);
}

TEST_F(ResponderTest, BadChecksumAndBadPackets) {
  const auto c = Client::v4();
  auto syn = c.segment(kTcpSyn, c.isn, 0, {}, 1460);
  syn[25] ^= std::byte{1};  // the TCP source port
  EXPECT_EQ(handle(c, syn), Outcome::bad_checksum);
  Packet p = c.packet_of(syn);
  p.checksum_not_ready = true;
  EXPECT_EQ(responder_.handle(p, kNow, *out_), Outcome::syn_ack);
  EXPECT_EQ(handle(c, std::vector<std::byte>(10)), Outcome::bad_packet);
  EXPECT_EQ(handle(c, c.segment(kTcpSyn | kTcpFin, 1, 0)), Outcome::bad_packet);
  EXPECT_EQ(handle(c, c.segment(kTcpPsh, 1, 0, "GET / HTTP/1.1\r\n\r\n")), Outcome::bad_packet);
  EXPECT_EQ(out_->count, 0u);
  EXPECT_EQ(handle(c, c.segment(kTcpSyn | kTcpAck, 1, 2)), Outcome::reset);
  EXPECT_EQ(responder_.stats().get(Outcome::bad_packet), 3u);
  EXPECT_EQ(responder_.stats().get(Outcome::bad_checksum), 1u);
  EXPECT_STREQ(outcome_name(Outcome::ignored_ack), "ignored_ack");
}

// Random and mutated input never crashes, and whatever goes out is well formed.
TEST_F(ResponderTest, PropertyRandomInput) {
  std::mt19937 rng(12345);
  const auto c4 = Client::v4();
  const auto c6 = Client::v6();
  for (int i = 0; i < 4000; ++i) {
    const auto& c = (i & 1) ? c4 : c6;
    std::vector<std::byte> l3;
    if (i % 4 == 0) {
      l3.resize(rng() % 120);
      for (auto& b : l3) b = static_cast<std::byte>(rng());
    } else {
      const std::uint8_t flags = static_cast<std::uint8_t>(rng());
      const std::uint32_t cookie = connect(c, static_cast<std::uint16_t>(kMinServedMss + rng() % 65000));
      const std::uint32_t ack = (rng() % 2) ? cookie + 1 + rng() % 3 : static_cast<std::uint32_t>(rng());
      l3 = c.segment(flags, static_cast<std::uint32_t>(rng()), ack, (rng() % 2) ? kRequest : "xy");
      const int flips = static_cast<int>(rng() % 3);
      for (int f = 0; f < flips; ++f) l3[rng() % l3.size()] = static_cast<std::byte>(rng());
      l3.resize(l3.size() - rng() % (l3.size() / 2));
    }
    Packet p = c.packet_of(l3);
    p.checksum_not_ready = (rng() % 2) != 0;
    p.original_length = static_cast<std::uint32_t>(rng() % 2000);
    const auto o = responder_.handle(p, kNow + rng() % 200, *out_);
    EXPECT_LT(static_cast<int>(o), static_cast<int>(Outcome::count_));
    ASSERT_LE(out_->count, kMaxFrames);
    for (std::size_t f = 0; f < out_->count; ++f) {
      auto eth = packet::EthernetView::parse(out_->frame(f));
      ASSERT_TRUE(eth);
      auto seg = packet::SegmentView::parse(eth->payload());
      ASSERT_TRUE(seg);
      EXPECT_TRUE(seg->checksum_valid());
    }
  }
}

}  // namespace
}  // namespace captive::responder
