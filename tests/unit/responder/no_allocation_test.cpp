// handle() must not allocate (STYLE.md rule 6): the global operator new is
// replaced in this test binary and counts while `g_counting` is set.
#include <gtest/gtest.h>

#include "captive/packet/tcp_view.hpp"
#include "responder_fixture.hpp"
#include "../fakes/counting_new.hpp"

namespace captive::responder {
namespace {

using namespace captive::responder::testing;  // NOLINT
using packet::kTcpAck;
using packet::kTcpFin;
using packet::kTcpPsh;
using packet::kTcpRst;
using packet::kTcpSyn;

TEST(NoAllocation, TheCounterSeesAnAllocation) { EXPECT_EQ(count_one_allocation(), 1u); }

TEST(NoAllocation, HandleDoesNotAllocate) {
  auto settings = test_settings();
  // With the probe table: a probe's 302 is rendered on the packet path too.
  auto table = http::parse_probe_table("connectivitycheck.gstatic.com /generate_204 302 android\n", "t");
  ASSERT_TRUE(table);
  settings.probes = std::make_shared<const http::ProbeTable>(*table);
  // And the client log of `captivectl doctor`, written for each answer.
  auto client_log = ClientLog::create(settings.probes);
  settings.client_log = client_log.get();
  // And the MACs of --radius-mac-auth (seen_macs.hpp).
  SeenMacs seen;
  settings.seen_macs = &seen;
  Responder responder(settings);
  auto out = std::make_unique<Output>();
  constexpr std::uint64_t kNow = 100000;
  for (const auto& c : {Client::v4(), Client::v6()}) {
    // Inputs made before counting starts.
    const auto syn = c.segment(kTcpSyn, c.isn, 0, {}, 536);
    ASSERT_EQ(responder.handle(c.packet_of(syn), kNow, *out), Outcome::syn_ack);
    const auto cookie = read_frame(out->frame(0), c, settings).seg.tcp().seq();
    const std::string long_req = "GET /" + std::string(3000, '<') + " HTTP/1.1\r\nHost: a.example\r\n\r\n";
    const std::vector<std::vector<std::byte>> inputs = {
        syn,
        c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1, "GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n"),
        c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1, long_req),
        c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1,
                  "GET /generate_204 HTTP/1.1\r\nHost: connectivitycheck.gstatic.com\r\n\r\n"),
        c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1, "\x16\x03\x01"),
        c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1, "Accept: x\r\n"),
        c.segment(kTcpAck | kTcpFin, c.isn + 1, cookie + 900),
        c.segment(kTcpAck, c.isn + 1, 12345),
        c.segment(kTcpRst, c.isn + 1, 0),
        std::vector<std::byte>(7),
    };
    std::vector<Packet> packets;
    for (const auto& in : inputs) packets.push_back(c.packet_of(in));

    g_allocations = 0;
    g_counting = true;
    std::size_t answered = 0;
    std::size_t redirects = 0;
    for (const auto& p : packets) {
      answered += responder.handle(p, kNow, *out) == Outcome::answered;
      if (out->count > 0) {
        const auto f = out->frame(0);
        const std::string_view text(reinterpret_cast<const char*>(f.data()), f.size());
        redirects += text.find("HTTP/1.1 302 Found") != std::string_view::npos;
      }
    }
    g_counting = false;
    EXPECT_EQ(g_allocations.load(), 0u);
    EXPECT_EQ(answered, 3u);
    EXPECT_EQ(redirects, 1u);
    const auto noted = client_log->history(c.mac);
    ASSERT_GE(noted.size(), 3u);
    EXPECT_EQ(noted.back().event, ClientEvent::answer_302);
    EXPECT_EQ(noted.back().probe_label, "android");
    EXPECT_EQ(noted[noted.size() - 3].path, "/a");
    int drained = 0;
    seen.drain([&](const packet::MacAddr& mac) {
      EXPECT_EQ(mac, c.mac);
      ++drained;
    });
    EXPECT_EQ(drained, 1);  // three answers, one MAC waiting
  }
}

// With the page templates' 511 bodies (docs/templates.md): the slot is
// loaded, the language picked from the request's Accept-Language and the
// pieces written, all without allocation.
TEST(NoAllocation, TemplatedAnswerDoesNotAllocate) {
  auto settings = test_settings();
  auto en = http::parse_catalog("h = Sign in\n", "en", "en.txt");
  auto de = http::parse_catalog("h = Anmelden\n", "de", "de.txt");
  ASSERT_TRUE(en && de);
  const http::Schema schema{{}, {"link"}};
  auto t = http::Template::compile("<h1>{{@h}}</h1><a href=\"{{link}}\">{{@h}}</a>", "511.html", schema, *en, {});
  ASSERT_TRUE(t);
  static constexpr std::string_view kDynamic[] = {"link"};
  const std::string_view values[] = {{}};
  std::vector<http::Template::Flat> flats;
  flats.push_back(t->flatten(*en, *en, values, kDynamic));
  flats.push_back(t->flatten(*de, *en, values, kDynamic));
  auto slot = std::make_shared<http::AnswerBodiesSlot>();
  slot->store(std::make_shared<const http::AnswerBodies>(std::vector<std::string>{"en", "de"}, std::move(flats)));
  settings.answer_bodies = slot;
  Responder responder(settings);
  auto out = std::make_unique<Output>();
  constexpr std::uint64_t kNow = 100000;
  const auto c = Client::v4();
  const auto syn = c.segment(kTcpSyn, c.isn, 0, {}, 1460);
  ASSERT_EQ(responder.handle(c.packet_of(syn), kNow, *out), Outcome::syn_ack);
  const auto cookie = read_frame(out->frame(0), c, settings).seg.tcp().seq();
  const auto request = c.segment(kTcpAck | kTcpPsh, c.isn + 1, cookie + 1,
                                 "GET /a HTTP/1.1\r\nHost: example.com\r\nAccept-Language: de;q=0.9, en;q=0.1\r\n\r\n");
  const auto packet = c.packet_of(request);
  g_allocations = 0;
  g_counting = true;
  const auto outcome = responder.handle(packet, kNow, *out);
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0u);
  ASSERT_EQ(outcome, Outcome::answered);
  const auto f = out->frame(0);
  const std::string_view text(reinterpret_cast<const char*>(f.data()), f.size());
  EXPECT_NE(text.find("<h1>Anmelden</h1><a href=\""), std::string_view::npos);
}

}  // namespace
}  // namespace captive::responder
