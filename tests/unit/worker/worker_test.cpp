// worker::Worker against fakes: captured frames in, golden frames and batch
// verdicts out (issue 8 item 9), and the clock it times cookies with.
#include "captive/worker/worker.hpp"

#include <gtest/gtest.h>
#include <linux/netfilter.h>

#include <ctime>
#include <map>
#include <memory>

#include "captive/packet/ethernet_view.hpp"
#include "captive/packet/segment_view.hpp"
#include "captive/packet/tcp_view.hpp"
#include "captive/responder/syn_cookie.hpp"
#include "fakes/packet_path.hpp"
#include "worker_fixture.hpp"

namespace captive::worker {
namespace {

using namespace captive::worker::testing;  // NOLINT
using captive::testing::FakeSender;
using captive::testing::FakeSource;

// What the worker sent for the captured SYNs with the fixed key and clock:
// Ethernet (to the client's MAC, from ours) + IP + TCP SYN-ACK, ISN = our
// cookie, ack = their ISN + 1, window 65535, MSS 1460 (v4) / 1440 (v6) and
// no other option. Checked field by field below too; the bytes pin the
// whole frame (checksums included).
constexpr const char* kGoldenSynAckV4 =
    "c6547e3edc6c020000000001080045"
    "00002c000040004006b6b8c0000209c000020a"
    "0050d2924ac8253fe1bb35a76012ffffb9b50000020405b4";
constexpr const char* kGoldenSynAckV6 =
    "c6547e3edc6c02000000000186dd"
    "600000000018064020010db800000000000000000000000920010db8000000000000000000000010"
    "0050e9f62a8a93a65fe106fa6012ffff2d4d0000020405a0";

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override { g_now = 64 * 5000 + 3; }

  FakeSource source_{32};
  FakeSender sender_;
  std::unique_ptr<Worker> worker_ = std::make_unique<Worker>(0, settings(), source_, sender_, test_clock);

  packet::SegmentView sent_segment(std::size_t i) {
    auto eth = packet::EthernetView::parse(sender_.frame(i));
    EXPECT_TRUE(eth);
    if (!eth) return *packet::SegmentView::parse(fixtures::l3_bytes(fixtures::kV4SynFrame));
    EXPECT_EQ(eth->dst(), kClientMac);
    EXPECT_EQ(eth->src(), settings().lan_mac);
    auto seg = packet::SegmentView::parse(eth->payload());
    EXPECT_TRUE(seg);
    return *seg;
  }
};

TEST_F(WorkerTest, CapturedExchangeGoldenFramesAndVerdicts) {
  const auto syn4 = fixtures::l3_bytes(fixtures::kV4SynFrame);
  const auto syn6 = fixtures::l3_bytes(fixtures::kV6SynFrame);
  source_.load({queued(101, syn4), queued(102, syn6)});
  EXPECT_FALSE(worker_->step());
  // One batch verdict for the round: DROP up to the last id.
  ASSERT_EQ(source_.verdicts.size(), 1u);
  EXPECT_EQ(source_.verdicts[0], (FakeSource::Verdict{102, NF_DROP}));
  ASSERT_EQ(sender_.count(), 2u);
  EXPECT_EQ(sender_.batches, 1u);  // both frames in one send_batch
  EXPECT_EQ(hex(sender_.frame(0)), kGoldenSynAckV4);
  EXPECT_EQ(hex(sender_.frame(1)), kGoldenSynAckV6);
  const auto sa4 = sent_segment(0);
  const auto sa6 = sent_segment(1);
  EXPECT_EQ(sa4.tcp().flags(), packet::kTcpSyn | packet::kTcpAck);
  EXPECT_EQ(sa4.tcp().ack(), 3787142566u + 1);
  EXPECT_EQ(sa4.tcp().mss(), 1460);
  EXPECT_EQ(sa6.tcp().mss(), 1440);
  EXPECT_TRUE(sa4.checksum_valid());
  EXPECT_TRUE(sa6.checksum_valid());

  // The requests, acknowledging our cookies: the 511 in one segment each.
  const std::uint32_t cookies[2] = {sa4.tcp().seq(), sa6.tcp().seq()};  // the views die with clear()
  const auto req4 = request_for(fixtures::kV4RequestFrame, cookies[0]);
  const auto req6 = request_for(fixtures::kV6RequestFrame, cookies[1]);
  sender_.clear();
  source_.load({queued(103, req4), queued(104, req6)});
  EXPECT_FALSE(worker_->step());
  ASSERT_EQ(source_.verdicts.size(), 2u);
  EXPECT_EQ(source_.verdicts[1], (FakeSource::Verdict{104, NF_DROP}));
  ASSERT_EQ(sender_.count(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& req = i == 0 ? req4 : req6;
    const auto in = *packet::SegmentView::parse(req);
    const auto seg = sent_segment(i);
    EXPECT_EQ(seg.tcp().flags(), packet::kTcpAck | packet::kTcpPsh | packet::kTcpFin);
    EXPECT_EQ(seg.tcp().seq(), cookies[i] + 1);
    EXPECT_EQ(seg.tcp().ack(), in.tcp().seq() + in.payload_length());
    EXPECT_TRUE(seg.checksum_valid());
    const auto p = seg.payload();
    const std::string text(reinterpret_cast<const char*>(p.data()), p.size());
    EXPECT_EQ(text.rfind("HTTP/1.1 511 Network Authentication Required\r\n", 0), 0u);
    EXPECT_NE(text.find(i == 0 ? "http://192.0.2.1:8511/?url=http%3A%2F%2F192.0.2.9%2Fsome%2Fpath%3Fx%3D1"
                               : "http://[2001:db8:1::1]:8511/?url=http%3A%2F%2F%5B2001%3Adb8%3A%3A9%5D%2Fsome"),
              std::string::npos)
        << text;
  }

  Counters counters;
  worker_->add_counters(counters);
  auto value = [&](const std::string& name) {
    for (auto& [n, v] : counters)
      if (n == name) return v;
    ADD_FAILURE() << name;
    return std::uint64_t{0};
  };
  EXPECT_EQ(value("responder.syn_ack"), 2u);
  EXPECT_EQ(value("responder.answered"), 2u);
  EXPECT_EQ(value("inject.frames_sent"), 4u);
  EXPECT_EQ(value("queue.packets"), 4u);
  EXPECT_EQ(value("queue.verdict_batches"), 2u);
}

// A round is bounded: the worker takes what one round hands over, sends its
// frames and returns "more"; every round ends with its own verdict.
TEST_F(WorkerTest, EveryRoundHasItsVerdictAndItsFrames) {
  FakeSource source(2);
  Worker worker(0, settings(), source, sender_, test_clock);
  const auto syn4 = fixtures::l3_bytes(fixtures::kV4SynFrame);
  source.load({queued(1, syn4), queued(2, syn4), queued(3, syn4), queued(4, syn4), queued(5, syn4)});
  EXPECT_TRUE(worker.step());
  EXPECT_EQ(sender_.count(), 2u);  // sent before the next round is read
  EXPECT_TRUE(worker.step());
  EXPECT_FALSE(worker.step());
  EXPECT_EQ(sender_.count(), 5u);
  ASSERT_EQ(source.verdicts.size(), 3u);
  EXPECT_EQ(source.verdicts[0].id, 2u);
  EXPECT_EQ(source.verdicts[1].id, 4u);
  EXPECT_EQ(source.verdicts[2].id, 5u);
  EXPECT_EQ(sender_.batches, 3u);
}

// More answers than one send batch holds: flushed on the way, none lost.
TEST_F(WorkerTest, FullBatchIsFlushedMidRound) {
  const auto syn4 = fixtures::l3_bytes(fixtures::kV4SynFrame);
  std::vector<nfq::QueuedPacket> many;
  for (std::uint32_t id = 1; id <= 200; ++id) many.push_back(queued(id, syn4));
  FakeSource source(200);
  Worker worker(0, settings(), source, sender_, test_clock);
  source.load(many);
  EXPECT_FALSE(worker.step());
  EXPECT_EQ(sender_.count(), 200u);
  EXPECT_GE(sender_.batches, 200u / Worker::kBatchFrames);
  ASSERT_EQ(source.verdicts.size(), 1u);
  EXPECT_EQ(source.verdicts[0].id, 200u);
}

TEST_F(WorkerTest, NoHwaddrSendErrorsAndDrainErrorsAreCounted) {
  const auto syn4 = fixtures::l3_bytes(fixtures::kV4SynFrame);
  source_.load({queued(7, syn4, false), queued(8, syn4), queued(9, syn4)});
  sender_.refuse = 1;
  source_.fail_next_round = true;
  EXPECT_FALSE(worker_->step());
  EXPECT_EQ(sender_.count(), 1u);  // one refused, one sent, none for no hwaddr
  ASSERT_EQ(source_.verdicts.size(), 1u);
  EXPECT_EQ(source_.verdicts[0].id, 9u);  // the packet without a MAC is dropped too
  source_.drops = nfq::KernelDrops{4096, 17, 3};
  Counters counters;
  worker_->add_counters(counters);
  std::map<std::string, std::uint64_t> by_name(counters.begin(), counters.end());
  EXPECT_EQ(by_name["queue.no_hwaddr"], 1u);
  EXPECT_EQ(by_name["inject.send_errors"], 1u);
  EXPECT_EQ(by_name["inject.frames_sent"], 1u);
  EXPECT_EQ(by_name["queue.drain_errors"], 1u);
  EXPECT_EQ(by_name["queue.kernel_full_drops"], 17u);
  EXPECT_EQ(by_name["queue.kernel_user_drops"], 3u);
  EXPECT_EQ(by_name["queue.kernel_waiting"], 4096u);
}

// A SYN+FIN (a scan, not a client opening a connection) gets nothing back,
// and its packet still gets its verdict.
TEST_F(WorkerTest, SynFinScanGetsNothing) {
  std::vector<std::byte> bad(fixtures::l3_bytes(fixtures::kV4SynFrame).begin(),
                             fixtures::l3_bytes(fixtures::kV4SynFrame).end());
  bad[20 + 13] = std::byte{0x03};  // SYN+FIN: a scan
  source_.load({queued(1, bad)});
  worker_->step();
  EXPECT_EQ(sender_.count(), 0u);
  ASSERT_EQ(source_.verdicts.size(), 1u);
  EXPECT_EQ(source_.verdicts[0].id, 1u);
}

// Item 6: cookie slots run on the worker's clock, CLOCK_BOOTTIME by
// default, never the wall clock that NTP steps (a router without an RTC
// jumps years at boot).
TEST(WorkerClock, DefaultIsBoottimeNotWallClock) {
  timespec boot{};
  ASSERT_EQ(clock_gettime(CLOCK_BOOTTIME, &boot), 0);
  const auto ours = boottime_seconds();
  EXPECT_GE(ours, static_cast<std::uint64_t>(boot.tv_sec));
  EXPECT_LE(ours, static_cast<std::uint64_t>(boot.tv_sec) + 2);
  // Not the wall clock: seconds since boot are far from seconds since 1970.
  EXPECT_LT(ours + 1000000, static_cast<std::uint64_t>(std::time(nullptr)));

  FakeSource source;
  FakeSender sender;
  Worker worker(0, settings(), source, sender);  // default clock
  const auto syn4 = fixtures::l3_bytes(fixtures::kV4SynFrame);
  source.load({queued(1, syn4)});
  worker.step();
  ASSERT_EQ(sender.count(), 1u);
  const auto seg = *packet::SegmentView::parse(packet::EthernetView::parse(sender.frame(0))->payload());
  const auto in = *packet::SegmentView::parse(syn4);
  const responder::FourTuple tuple{in.src(), in.dst(), in.tcp().src_port(), in.tcp().dst_port()};
  responder::SynCookies cookies(settings().cookie_key);
  EXPECT_TRUE(cookies.match(tuple, boottime_seconds(), seg.tcp().seq() + 1));
  EXPECT_FALSE(cookies.match(tuple, static_cast<std::uint64_t>(std::time(nullptr)), seg.tcp().seq() + 1));
}

// With the clock injected, only it counts: the same SYN at the same worker
// time gets the same cookie whatever the wall clock does meanwhile, and the
// request is answered 100 s later (slot + 1) and reset 200 s later.
TEST_F(WorkerTest, CookieValidityFollowsTheInjectedClock) {
  const auto syn4 = fixtures::l3_bytes(fixtures::kV4SynFrame);
  source_.load({queued(1, syn4)});
  worker_->step();
  const auto cookie = sent_segment(0).tcp().seq();
  const auto req = request_for(fixtures::kV4RequestFrame, cookie);
  g_now += 100;
  sender_.clear();
  source_.load({queued(2, req)});
  worker_->step();
  ASSERT_EQ(sender_.count(), 1u);
  EXPECT_TRUE(sent_segment(0).tcp().has(packet::kTcpFin));
  g_now += 100;
  sender_.clear();
  source_.load({queued(3, req)});
  worker_->step();
  ASSERT_EQ(sender_.count(), 1u);
  EXPECT_EQ(sent_segment(0).tcp().flags(), packet::kTcpRst);
}

// More than one LAN (captived --lan A --lan B): each queued packet is
// answered as the LAN it came in on (NFQA_IFINDEX_INDEV) has it: that
// LAN's router MAC, MTU (the SYN-ACK's MSS) and portal address, sent out of
// that LAN's socket. A packet from a device that is no LAN of ours gets no
// answer (counted): never one guessed from another LAN.
TEST(WorkerLans, EachPacketIsAnsweredAsItsLan) {
  g_now = 64 * 5000 + 3;
  responder::Settings guest = settings();
  responder::Settings hotel = settings();
  hotel.lan_mac = *packet::MacAddr::parse("02:00:00:00:00:02");
  hotel.lan_mtu = 1400;
  hotel.portal_url_v4 = "http://203.0.113.1:8511/";
  FakeSource source{32};
  FakeSender guest_sender, hotel_sender;
  const LanPath lans[] = {{3, guest, guest_sender}, {7, hotel, hotel_sender}};
  Worker worker(0, lans, source, test_clock);

  const auto syn4 = fixtures::l3_bytes(fixtures::kV4SynFrame);
  auto from = [&](std::uint32_t id, std::span<const std::byte> l3, std::uint32_t indev) {
    auto p = queued(id, l3);
    p.indev = indev;
    return p;
  };
  // Interleaved in one round: each frame leaves by its own LAN's socket.
  source.load({from(1, syn4, 7), from(2, syn4, 3), from(3, syn4, 7), from(4, syn4, 9)});
  EXPECT_FALSE(worker.step());
  ASSERT_EQ(source.verdicts.size(), 1u);
  EXPECT_EQ(source.verdicts[0], (FakeSource::Verdict{4, NF_DROP})) << "every packet has its verdict";
  ASSERT_EQ(hotel_sender.count(), 2u);
  ASSERT_EQ(guest_sender.count(), 1u);
  for (std::size_t i = 0; i < 2; ++i) {
    auto eth = packet::EthernetView::parse(hotel_sender.frame(i));
    ASSERT_TRUE(eth);
    EXPECT_EQ(eth->src(), hotel.lan_mac);
    auto seg = packet::SegmentView::parse(eth->payload());
    ASSERT_TRUE(seg);
    EXPECT_EQ(seg->tcp().mss(), 1400 - 40) << "the MTU of the LAN it came in on";
  }
  auto eth = packet::EthernetView::parse(guest_sender.frame(0));
  ASSERT_TRUE(eth);
  EXPECT_EQ(eth->src(), guest.lan_mac);
  const std::uint32_t hotel_cookie = packet::SegmentView::parse(
      packet::EthernetView::parse(hotel_sender.frame(0))->payload())->tcp().seq();

  // The request on the hotel LAN: the link names the hotel LAN's portal.
  const auto req = request_for(fixtures::kV4RequestFrame, hotel_cookie);
  hotel_sender.clear();
  source.load({from(5, req, 7)});
  worker.step();
  ASSERT_EQ(hotel_sender.count(), 1u);
  auto answer = packet::SegmentView::parse(packet::EthernetView::parse(hotel_sender.frame(0))->payload());
  ASSERT_TRUE(answer);
  const std::string text(reinterpret_cast<const char*>(answer->payload().data()), answer->payload().size());
  EXPECT_NE(text.find("http://203.0.113.1:8511/?url="), std::string::npos) << text;
  EXPECT_EQ(text.find("192.0.2.1"), std::string::npos) << text;

  Counters counters;
  worker.add_counters(counters);
  std::map<std::string, std::uint64_t> by_name(counters.begin(), counters.end());
  EXPECT_EQ(by_name["queue.unknown_lan"], 1u);
  EXPECT_EQ(by_name["responder.syn_ack"], 3u) << "the LANs' responders summed";
  EXPECT_EQ(by_name["responder.answered"], 1u);
}

TEST(WorkerLans, FindLanByIfindex) {
  const int ifindexes[] = {3, 7, 12};
  EXPECT_EQ(find_lan(ifindexes, 3), std::optional<std::size_t>(0));
  EXPECT_EQ(find_lan(ifindexes, 12), std::optional<std::size_t>(2));
  EXPECT_EQ(find_lan(ifindexes, 0), std::nullopt) << "no NFQA_IFINDEX_INDEV";
  EXPECT_EQ(find_lan(ifindexes, 4), std::nullopt);
  EXPECT_EQ(find_lan({}, 3), std::nullopt);
}

}  // namespace
}  // namespace captive::worker
