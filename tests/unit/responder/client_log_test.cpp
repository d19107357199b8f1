// The client log behind `captivectl doctor`: what was recorded reads back
// per MAC, oldest first, the last kEntries only, cut to fixed sizes; other
// MACs do not mix in; writers on several threads never tear an entry a
// reader copies out.
#include "captive/responder/client_log.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace captive::responder {
namespace {

packet::MacAddr mac_of(unsigned n) {
  packet::MacAddr m;
  m.bytes = {0x02, 0x00, 0x00, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
             static_cast<std::uint8_t>(n)};
  return m;
}

TEST(ClientLog, RecordsReadBackPerMacOldestFirst) {
  auto table = http::parse_probe_table("connectivitycheck.gstatic.com /generate_204 302 android\n", "t");
  ASSERT_TRUE(table);
  auto log = ClientLog::create(std::make_shared<const http::ProbeTable>(*table));
  const auto a = mac_of(1), b = mac_of(2);
  EXPECT_TRUE(log->history(a).empty());
  log->record(a, 100, ClientEvent::answer_302, "connectivitycheck.gstatic.com", "/generate_204", 0);
  log->record(b, 101, ClientEvent::answer_511, "example.com", "/");
  log->record(a, 102, ClientEvent::portal_page, "192.0.2.1:8511", "/?url=x");
  const auto h = log->history(a);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].when, 100u);
  EXPECT_EQ(h[0].event, ClientEvent::answer_302);
  EXPECT_EQ(h[0].host, "connectivitycheck.gstatic.com");
  EXPECT_EQ(h[0].path, "/generate_204");
  EXPECT_EQ(h[0].probe, std::optional<std::size_t>(0));
  EXPECT_EQ(h[0].probe_label, "android");
  EXPECT_EQ(h[1].event, ClientEvent::portal_page);
  EXPECT_FALSE(h[1].probe);
  ASSERT_EQ(log->history(b).size(), 1u);
  EXPECT_EQ(log->history(b)[0].host, "example.com");
}

TEST(ClientLog, KeepsTheLastEntriesCutToSize) {
  auto log = ClientLog::create(nullptr);
  const auto a = mac_of(7);
  const std::string long_host(300, 'h'), long_path = "/" + std::string(300, 'p');
  for (unsigned i = 0; i < 3 * ClientLog::kEntries; ++i)
    log->record(a, i, ClientEvent::answer_511, long_host, long_path + std::to_string(i));
  const auto h = log->history(a);
  ASSERT_EQ(h.size(), ClientLog::kEntries);
  EXPECT_EQ(h.front().when, 2 * ClientLog::kEntries);
  EXPECT_EQ(h.back().when, 3 * ClientLog::kEntries - 1);
  EXPECT_EQ(h[0].host, long_host.substr(0, ClientLog::kHostBytes));
  EXPECT_EQ(h[0].path, long_path.substr(0, ClientLog::kPathBytes));
}

// More MACs than slots: old ones are forgotten, never mixed into another's.
TEST(ClientLog, ManyClientsEvictWithoutMixing) {
  auto log = ClientLog::create(nullptr);
  const unsigned n = 4 * ClientLog::kSlots;
  for (unsigned i = 0; i < n; ++i) log->record(mac_of(i), i, ClientEvent::answer_511, "h" + std::to_string(i), "/");
  std::size_t kept = 0;
  for (unsigned i = 0; i < n; ++i) {
    const auto h = log->history(mac_of(i));
    ASSERT_LE(h.size(), 1u);
    if (h.empty()) continue;
    ++kept;
    EXPECT_EQ(h[0].host, "h" + std::to_string(i));
  }
  EXPECT_GE(kept, ClientLog::kSlots / 2);
  EXPECT_LE(kept, ClientLog::kSlots);
  // The most recent client is always there.
  EXPECT_EQ(log->history(mac_of(n - 1)).size(), 1u);
}

// Four writers (the queue threads and the portal) on the same few MACs and
// a reader: every entry read is whole (its host and path belong together).
TEST(ClientLog, ConcurrentWritersNeverTearAnEntry) {
  auto log = ClientLog::create(nullptr);
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (unsigned t = 0; t < 2; ++t) {
    writers.emplace_back([&, t] {
      for (unsigned i = 0; i < 200000; ++i) {
        const unsigned v = t * 100000 + i;
        const std::string s = std::string(1 + v % 40, static_cast<char>('a' + v % 26)) + std::to_string(v);
        log->record(mac_of(i % 2), v, ClientEvent::answer_511, s, "/" + s);
      }
    });
  }
  std::size_t seen = 0;
  std::thread reader([&] {
    while (!stop.load()) {
      for (unsigned m = 0; m < 2; ++m) {
        for (const auto& e : log->history(mac_of(m))) {
          ++seen;
          ASSERT_EQ(e.path, "/" + e.host.substr(0, ClientLog::kPathBytes - 1));
          ASSERT_EQ(e.host.substr(e.host.find_first_of("0123456789")), std::to_string(e.when));
        }
      }
    }
  });
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  EXPECT_GT(seen, 0u);
  for (unsigned m = 0; m < 2; ++m) EXPECT_EQ(log->history(mac_of(m)).size(), ClientLog::kEntries);
}

}  // namespace
}  // namespace captive::responder
