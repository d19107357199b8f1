#include "captive/daemon/kernel_worker.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <vector>

#include "captive/session/registry.hpp"
#include "../fakes/fakes.hpp"

namespace captive::daemon {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using captive::testing::mac;

TEST(KernelWorker, RunsJobsInOrderOffTheCallersThread) {
  std::vector<int> order;
  std::promise<std::thread::id> ran_on;
  {
    KernelWorker worker;
    worker.post([&] { ran_on.set_value(std::this_thread::get_id()); });
    for (int i = 0; i < 100; ++i) worker.post([&order, i] { order.push_back(i); });
  }  // the destructor runs what is queued
  EXPECT_NE(ran_on.get_future().get(), std::this_thread::get_id());
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
}

// A long job lets the jobs queued meanwhile run in its middle, in order.
TEST(KernelWorker, RunQueuedFromALongJob) {
  std::vector<int> order;
  std::promise<void> queued;
  auto go = queued.get_future();
  KernelWorker worker;
  worker.post([&] {
    order.push_back(1);
    go.wait();  // the test queues 2 and 3
    worker.run_queued();
    order.push_back(4);
  });
  worker.post([&] { order.push_back(2); });
  worker.post([&] { order.push_back(3); });
  queued.set_value();
  worker.run_queued();  // not the worker's thread: runs nothing
  worker.stop();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

// The point of the worker: a kernel that takes long to answer (here: a job
// that waits for the test) leaves the event loop free.
TEST(KernelWorker, ASlowJobLeavesTheEventLoopRunning) {
  asio::io_context io;
  KernelWorker worker;
  std::promise<void> release;
  auto released = release.get_future().share();
  bool slow_done = false;
  worker.post([&, released] {
    released.wait();
    asio::post(io, [&] { slow_done = true; });
  });
  int ticks = 0;
  asio::steady_timer timer(io);
  std::function<void()> tick = [&] {
    timer.expires_after(1ms);
    timer.async_wait([&](boost::system::error_code) {
      if (++ticks == 20) release.set_value();
      if (!slow_done) tick();
    });
  };
  tick();
  io.run_for(5s);
  EXPECT_TRUE(slow_done);
  EXPECT_GE(ticks, 20) << "the event loop stood still while the kernel job ran";
}

// A registry wired as in captived: kernel jobs on the worker, answers
// posted back to the loop; restore from the worker asks the loop for the plan.
TEST(KernelWorker, RegistryOverTheWorker) {
  asio::io_context io;
  testing::FakeSet set;
  KernelWorker worker;
  session::Registry registry(set, session::Clocks{}, session::Binding::mac,
                             session::Executors{[&](session::Job j) { worker.post(std::move(j)); },
                                                [&](session::Job j) { asio::post(io, std::move(j)); },
                                                [&] { worker.run_queued(); }});
  std::optional<Result<void>> signed_in;
  std::optional<Result<std::size_t>> restored;
  registry.sign_in(mac("02:00:00:00:00:01"), std::nullopt, 600s, "x", [&](Result<void> r) {
    signed_in = std::move(r);
    set.elements.clear();  // the kernel worker is idle now: safe to touch the fake
    worker.post([&] {
      auto r2 = registry.restore_from_kernel_thread();
      asio::post(io, [&, r2 = std::move(r2)]() mutable {
        restored = std::move(r2);
        io.stop();
      });
    });
  });
  auto busy = asio::make_work_guard(io);  // answers arrive from the worker
  io.run_for(2s);
  ASSERT_TRUE(signed_in && *signed_in);
  ASSERT_TRUE(restored);
  ASSERT_TRUE(*restored) << restored->error().message();
  EXPECT_EQ(**restored, 1u);
  EXPECT_EQ(set.elements.size(), 1u);
}

}  // namespace
}  // namespace captive::daemon

namespace captive::daemon {
namespace {

TEST(KernelWorker, StartLaterMakesNoThreadUntilStarted) {
  // captived drops privileges while it is the only thread (privileges.hpp):
  // a worker made with Start::later must not have one yet.
  auto threads = [] {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) n += e.is_directory() ? 1 : 0;
    return n;
  };
  const int before = threads();
  std::promise<std::thread::id> ran_on;
  KernelWorker worker("test-later", KernelWorker::Start::later);
  worker.post([&] { ran_on.set_value(std::this_thread::get_id()); });
  EXPECT_EQ(threads(), before);
  auto ran = ran_on.get_future();
  EXPECT_EQ(ran.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);  // waits for start()
  worker.start();
  EXPECT_EQ(threads(), before + 1);
  ASSERT_EQ(ran.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_NE(ran.get(), std::this_thread::get_id());
  worker.start();  // idempotent
}

}  // namespace
}  // namespace captive::daemon
