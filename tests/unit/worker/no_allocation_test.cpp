// The whole worker step must not allocate (STYLE.md rule 6), not only the
// responder: drain round, responder into the send batch, send. The global
// operator new is replaced in this test binary (fakes/counting_new.hpp) and
// counts while `g_counting` is set; the fakes reserve their storage first.
#include <gtest/gtest.h>

#include "captive/packet/ethernet_view.hpp"
#include "captive/packet/segment_view.hpp"
#include "captive/packet/tcp_view.hpp"
#include "captive/worker/worker.hpp"
#include "fakes/packet_path.hpp"
#include "worker_fixture.hpp"
#include "fakes/counting_new.hpp"

namespace captive::worker {
namespace {

using namespace captive::worker::testing;  // NOLINT
using captive::testing::FakeSender;
using captive::testing::FakeSource;

TEST(WorkerNoAllocation, TheCounterSeesAnAllocation) { EXPECT_EQ(count_one_allocation(), 1u); }

TEST(WorkerNoAllocation, StepDoesNotAllocate) {
  FakeSource source(8);
  FakeSender sender(8192);
  // With the probe table and the client log the daemon gives every worker.
  auto with_probes = settings();
  auto table = http::parse_probe_table("192.0.2.9 /some/path 302 test\n", "t");
  ASSERT_TRUE(table);
  with_probes.probes = std::make_shared<const http::ProbeTable>(*table);
  auto client_log = responder::ClientLog::create(with_probes.probes);
  with_probes.client_log = client_log.get();
  Worker worker(0, with_probes, source, sender, test_clock);

  // The cookies, learnt before counting starts.
  const auto syn4 = fixtures::l3_bytes(fixtures::kV4SynFrame);
  const auto syn6 = fixtures::l3_bytes(fixtures::kV6SynFrame);
  source.load({queued(1, syn4), queued(2, syn6)});
  worker.step();
  ASSERT_EQ(sender.count(), 2u);
  auto cookie_of = [&](std::size_t i) {
    return packet::SegmentView::parse(packet::EthernetView::parse(sender.frame(i))->payload())->tcp().seq();
  };
  const auto req4 = request_for(fixtures::kV4RequestFrame, cookie_of(0));
  const auto req6 = request_for(fixtures::kV6RequestFrame, cookie_of(1));
  auto small_window = req4;
  packet::store_be16(small_window.data() + 20 + 14, 100);  // answered in parts
  const std::vector<std::byte> garbage(9);
  std::vector<nfq::QueuedPacket> packets;
  std::uint32_t id = 10;
  for (int i = 0; i < 40; ++i) {
    packets.push_back(queued(id++, syn4));
    packets.push_back(queued(id++, syn6));
    packets.push_back(queued(id++, req4));
    packets.push_back(queued(id++, req6));
    packets.push_back(queued(id++, small_window));
    packets.push_back(queued(id++, garbage));
    packets.push_back(queued(id++, syn4, false));
  }
  source.load(packets);
  sender.clear();

  g_allocations = 0;
  g_counting = true;
  std::size_t rounds = 0;
  while (worker.step()) ++rounds;
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0u);
  EXPECT_EQ(rounds + 1, packets.size() / 8 + (packets.size() % 8 != 0));
  EXPECT_EQ(source.left(), 0u);
  // SYN-ACKs, answers (the IPv4 request is a probe here: its 302) and the
  // small window's parts all went out, and the answers were noted.
  EXPECT_GE(sender.count(), 40u * 5);
  std::size_t redirects = 0;
  for (std::size_t i = 0; i < sender.count(); ++i) {
    const auto f = sender.frame(i);
    const std::string_view text(reinterpret_cast<const char*>(f.data()), f.size());
    redirects += text.find("HTTP/1.1 302 Found") != std::string_view::npos;
  }
  EXPECT_GE(redirects, 40u);
  EXPECT_FALSE(client_log->history(*packet::MacAddr::parse("c6:54:7e:3e:dc:6c")).empty());
}

}  // namespace
}  // namespace captive::worker
