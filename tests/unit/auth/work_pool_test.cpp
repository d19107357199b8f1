// The auth pool: bounded, never blocks the poster, runs jobs off the
// poster's thread; the users backend answers through it on the home thread.
#include "captive/auth/work_pool.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <future>
#include <latch>
#include <thread>
#include <chrono>

#include "captive/auth/users.hpp"
#include "../fakes/fakes.hpp"

namespace captive::auth {
namespace {
using captive::testing::ip;
using captive::testing::mac;
using namespace std::chrono_literals;
namespace asio = boost::asio;

TEST(WorkPool, RunsOffThePostersThreadAndRefusesWhenFull) {
  WorkPool pool(1, 3);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::latch started(1);
  std::atomic<int> ran{0};
  std::thread::id job_thread;
  ASSERT_TRUE(pool.try_post([&] {
    job_thread = std::this_thread::get_id();
    started.count_down();
    gate.wait();
    ++ran;
  }));
  started.wait();  // the one thread is busy: what follows waits in the queue
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(pool.try_post([&] { ++ran; })) << i;
  // One running, none done, the three waiting not counted as started.
  EXPECT_EQ(pool.started(), 1u);
  EXPECT_EQ(pool.done(), 0u);
  // Full: refused at once, counted; the poster never waits.
  EXPECT_FALSE(pool.try_post([&] { ++ran; }));
  EXPECT_FALSE(pool.try_post([&] { ++ran; }));
  EXPECT_EQ(pool.rejected(), 2u);
  release.set_value();
  for (int i = 0; i < 300 && pool.done() < 4; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(pool.done(), 4u);
  EXPECT_EQ(pool.started(), 4u);
  EXPECT_EQ(ran.load(), 4);
  EXPECT_NE(job_thread, std::this_thread::get_id());
  // Room again.
  EXPECT_TRUE(pool.try_post([] {}));
}

TEST(WorkPool, StopDropsWaitingJobsAndJoins) {
  std::atomic<int> ran{0};
  {
    WorkPool pool(1, 100);
    std::latch started(1);
    pool.try_post([&] {
      started.count_down();
      std::this_thread::sleep_for(50ms);
      ++ran;
    });
    started.wait();
    for (int i = 0; i < 50; ++i) pool.try_post([&] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 1);
}

// The users backend: the hash runs on the pool, the answer comes on the
// home thread (the io_context), a full pool answers "busy" at once.
class UsersBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/captive-users-test.XXXXXX";
    const int fd = ::mkstemp(name);
    ASSERT_GE(fd, 0);
    ::close(fd);
    file_ = name;
    auto hash = hash_password("right", PwhashParams{1, 64 * 1024});
    ASSERT_TRUE(hash);
    write("alice:" + *hash + ":time=90s,quota=2G\n");
  }
  void TearDown() override { ::unlink(file_.c_str()); }
  void write(const std::string& text) {
    FILE* f = std::fopen(file_.c_str(), "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
  }
  Decision run(Users& users, const std::string& form) {
    std::optional<Decision> out;
    std::thread::id answered_on;
    asio::post(io_, [&] {
      users.judge(Attempt{mac("02:00:00:00:00:01"), ip("192.0.2.2"), form}, [&](Decision d) {
        answered_on = std::this_thread::get_id();
        out = std::move(d);
      });
    });
    auto until = std::chrono::steady_clock::now() + 5s;
    while (!out && std::chrono::steady_clock::now() < until) io_.run_one_for(20ms);
    EXPECT_TRUE(out);
    EXPECT_EQ(answered_on, std::this_thread::get_id());
    return out.value_or(Decision{});
  }
  std::string file_;
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  WorkPool pool_{1, 4};
  std::function<void(Users::Job)> home_ = [this](Users::Job job) { asio::post(io_, std::move(job)); };
};

TEST_F(UsersBackend, RightWrongUnknownAndTheEntrysLimits) {
  auto users = Users::open(file_, PwhashParams{1, 64 * 1024}, pool_, home_);
  ASSERT_TRUE(users) << users.error().message();
  Decision yes = run(**users, "method=users&user=alice&password=right");
  ASSERT_TRUE(yes.accepted()) << yes.reason;
  EXPECT_EQ(yes.method, "user");
  EXPECT_EQ(yes.user, "alice");
  EXPECT_EQ(yes.duration, std::chrono::seconds(90));
  EXPECT_EQ(yes.limits.quota_bytes, 2'000'000'000u);
  Decision wrong = run(**users, "user=alice&password=wrong");
  Decision unknown = run(**users, "user=mallory&password=right");
  EXPECT_EQ(wrong.outcome, Decision::Outcome::wrong_credentials);
  EXPECT_EQ(unknown.outcome, Decision::Outcome::wrong_credentials);
  EXPECT_EQ(wrong.reason, unknown.reason);  // nothing tells which names exist
  // Every attempt was verified on the pool, the unknown one too (dummy hash).
  // The pool counts a job once it has returned, which is after its answer
  // was posted home: the last count may land just after run() saw it.
  for (int i = 0; i < 500 && pool_.done() < 3u; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(pool_.done(), 3u);
  EXPECT_EQ((*users)->stats().unknown_user, 1u);
}

TEST_F(UsersBackend, ReloadTakesChangesAndKeepsOldOnError) {
  auto users = Users::open(file_, PwhashParams{1, 64 * 1024}, pool_, home_);
  ASSERT_TRUE(users);
  auto bob = hash_password("bobpw", PwhashParams{1, 64 * 1024});
  write("bob:" + *bob + "\n");
  ASSERT_TRUE((*users)->reload());
  EXPECT_TRUE(run(**users, "user=bob&password=bobpw").accepted());
  EXPECT_FALSE(run(**users, "user=alice&password=right").accepted());
  write("broken line\n");
  EXPECT_FALSE((*users)->reload());
  EXPECT_TRUE(run(**users, "user=bob&password=bobpw").accepted());
}

TEST_F(UsersBackend, FullPoolAnswersBusyAtOnce) {
  WorkPool tiny(1, 1);
  auto users = Users::open(file_, PwhashParams{1, 64 * 1024}, tiny, home_);
  ASSERT_TRUE(users);
  std::promise<void> release;
  std::latch started(1);
  tiny.try_post([&, f = release.get_future().share()] {
    started.count_down();
    f.wait();
  });
  started.wait();
  tiny.try_post([] {});  // the queue's one place
  bool answered = false;
  Decision d;
  (*users)->judge(Attempt{mac("02:00:00:00:00:01"), ip("192.0.2.2"), "user=alice&password=right"}, [&](Decision x) {
    answered = true;
    d = std::move(x);
  });
  EXPECT_TRUE(answered);
  EXPECT_EQ(d.outcome, Decision::Outcome::busy);
  EXPECT_GT(d.retry_after.count(), 0);
  release.set_value();
}

TEST(UsersOpen, MissingOrBadFileRefusesTheStart) {
  WorkPool pool(1, 1);
  auto missing = Users::open("/nonexistent/users", PwhashParams{1, 64 * 1024}, pool, {});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("/nonexistent/users"), std::string::npos);
}

}  // namespace
}  // namespace captive::auth
