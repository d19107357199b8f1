#include "captive/session/state_file.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "../fakes/fakes.hpp"

namespace captive::session {
namespace {
using captive::testing::ip;
using captive::testing::mac;
using namespace std::chrono_literals;

StoredSession sample(int i) {
  StoredSession s;
  char text[32];
  std::snprintf(text, sizeof text, "02:00:00:00:%02x:%02x", (i >> 8) & 0xff, i & 0xff);
  s.mac = mac(text);
  if (i % 3 != 0) s.ip = i % 3 == 1 ? ip("192.0.2.7") : ip("2001:db8:1::7");
  s.method = i % 2 ? "click-through" : "voucher";
  s.user = i % 2 ? "" : "V-" + std::to_string(i);
  if (i % 5 != 0) s.signed_in_at = Clock::time_point(std::chrono::seconds(1'700'000'000 + i));
  s.expires_at = Clock::time_point(std::chrono::seconds(1'700'086'400 + i));
  if (i % 2) s.limits.idle_timeout = std::chrono::seconds(600 + i);
  if (i % 4 == 1) s.limits.quota_bytes = 500'000'000ull + i;
  if (i % 7 == 1) s.limits.rate_down = 1'000'000;
  if (i % 7 == 2) s.limits.rate_up = 250'000;
  s.traffic = Traffic{10'000'000'000ull + i, 7'000'000ull + i, 20'000'000'000ull + i, 9'000'000ull + i};
  s.element = Traffic{1000, 10, 2000, 20};
  return s;
}

std::vector<StoredSession> samples(int n, int salt = 0) {
  std::vector<StoredSession> out;
  for (int i = 0; i < n; ++i) {
    auto s = sample(i);
    s.traffic.bytes_up += static_cast<std::uint64_t>(salt);
    out.push_back(s);
  }
  return out;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/captive-state-test.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  void put(const std::string& name, const std::string& text) const { std::ofstream(path / name) << text; }
};

TEST(StateFile, RoundTripKeepsEveryField) {
  auto sessions = samples(40);
  auto parsed = parse_state(format_state(sessions));
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(*parsed, sessions);
  auto empty = parse_state(format_state({}));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(StateFile, RefusesJunkWithAReason) {
  const std::string good = format_state(samples(2));
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? text : text.replace(at, from.size(), to);
  };
  struct Case {
    std::string text;
    std::string says;
  };
  const Case cases[] = {
      {"", "not JSON"},
      {"[]", "not a JSON object"},
      {"{}", "version"},
      {R"({"version":2,"sessions":[]})", "version"},
      {R"({"version":1})", "sessions"},
      {R"({"version":1,"sessions":[1]})", "not an object"},
      {good.substr(0, good.size() / 2), "not JSON"},
      {with("\"mac\":\"02:00:00:00:00:00\"", "\"mac\":\"02:00:00:00:00\""), "\"mac\": not a MAC"},
      {with("\"mac\":\"02:00:00:00:00:01\"", "\"mac\":\"02:00:00:00:00:00\""), "twice"},
      {with("\"ip\":\"192.0.2.7\"", "\"ip\":\"192.0.2.300\""), "\"ip\""},
      {with("\"expires_at\":1700086400", "\"expires_at\":-5"), "expires_at"},
      {with("\"expires_at\":1700086400", "\"expires_at\":1.5"), "expires_at"},
      {with("\"expires_at\":1700086400", "\"expires_at\":99999999999999"), "not a time"},
      // fuzz_state_file finding: a time past 2262 overflowed system_clock's
      // nanoseconds (UBSan) before it was refused.
      {with("\"signed_in_at\":1700000001", "\"signed_in_at\":9700000000"), "not a time"},
      {with("\"expires_at\":1700086400", "\"expires_at\":7258118401"), "not a time"},
      {with("\"expires_at\":1700086400,", ""), "expires_at\": missing"},
      {with("\"bytes_up\":1000,", "\"bytes_up\":\"1000\","), "element.bytes_up"},
      {with("\"bytes_up\":1000,", "\"bytes_up\":10000000000001,"), "counts more than"},
      {with("\"idle_timeout\":null", "\"idle_timeout\":0"), "idle_timeout"},
      {with("\"method\":\"voucher\"", "\"method\":7"), "method"},
      {"{\"version\":1,\"sessions\":" + std::string(100, '[') + std::string(100, ']') + "}", "not JSON"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_state(c.text);
    ASSERT_FALSE(parsed) << c.text;
    EXPECT_EQ(parsed.error().code, EINVAL) << c.text;
    EXPECT_NE(parsed.error().what.find(c.says), std::string::npos) << parsed.error().what << " / wanted " << c.says;
  }
}

TEST(StateFile, WriteThenLoad) {
  TempDir dir;
  auto sessions = samples(10);
  ASSERT_TRUE(write_state_file(dir.path, format_state(sessions)));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "sessions.json.tmp"));
  auto loaded = load_state_file(dir.path);
  EXPECT_FALSE(loaded.problem);
  EXPECT_EQ(loaded.sessions, sessions);
  EXPECT_EQ(std::filesystem::status(dir.path / "sessions.json").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(StateFile, NoFileIsNoSessionAndNoProblem) {
  TempDir dir;
  auto loaded = load_state_file(dir.path);
  EXPECT_FALSE(loaded.problem);
  EXPECT_TRUE(loaded.sessions.empty());
}

// A write cut short leaves a partial temp file: it never counts.
TEST(StateFile, TruncatedTempFileNeverReplacesTheGoodOne) {
  TempDir dir;
  auto sessions = samples(3);
  ASSERT_TRUE(write_state_file(dir.path, format_state(sessions)));
  const std::string next = format_state(samples(5));
  dir.put("sessions.json.tmp", next.substr(0, next.size() / 2));
  auto loaded = load_state_file(dir.path);
  EXPECT_FALSE(loaded.problem);
  EXPECT_EQ(loaded.sessions, sessions);
  // And the next write goes through it.
  ASSERT_TRUE(write_state_file(dir.path, next));
  EXPECT_EQ(load_state_file(dir.path).sessions, samples(5));
}

TEST(StateFile, CorruptFileIsKeptAsideAndReported) {
  TempDir dir;
  dir.put("sessions.json", "{\"version\":1,\"sessions\":[{\"mac\":");
  auto loaded = load_state_file(dir.path);
  ASSERT_TRUE(loaded.problem);
  EXPECT_NE(loaded.problem->find("sessions.json: not JSON"), std::string::npos) << *loaded.problem;
  EXPECT_TRUE(loaded.sessions.empty());
  EXPECT_EQ(loaded.set_aside, (dir.path / "sessions.json.bad").string());
  EXPECT_TRUE(std::filesystem::exists(dir.path / "sessions.json.bad"));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "sessions.json"));
}

TEST(StateFile, WriteToAMissingDirectoryIsAnError) {
  auto written = write_state_file("/nonexistent-captive-dir", "{}");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ENOENT);
  EXPECT_NE(written.error().what.find("sessions.json.tmp"), std::string::npos);
}

// kill -9 at random points of a writer that keeps replacing the file: what
// is there afterwards is always one whole version (the file's own, or the
// one the writer was writing), never a mix or a truncation.
TEST(StateFile, ConsistentAfterKillAtAnyMoment) {
  TempDir dir;
  const std::string a = format_state(samples(3000, 0));
  const std::string b = format_state(samples(3000, 1));
  ASSERT_TRUE(write_state_file(dir.path, a));
  std::mt19937 random(12345);
  int kills = 0;
  for (int round = 0; round < 20; ++round) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (int i = 0;; ++i) (void)write_state_file(dir.path, i % 2 ? a : b);
    }
    ::usleep(static_cast<useconds_t>(random() % 30000));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    kills += WIFSIGNALED(status) ? 1 : 0;
    auto loaded = load_state_file(dir.path);
    ASSERT_FALSE(loaded.problem) << "round " << round << ": " << *loaded.problem;
    ASSERT_TRUE(loaded.sessions == samples(3000, 0) || loaded.sessions == samples(3000, 1)) << "round " << round;
  }
  EXPECT_EQ(kills, 20);
}

}  // namespace
}  // namespace captive::session
