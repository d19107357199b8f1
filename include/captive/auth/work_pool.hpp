// A small pool of threads for the CPU-heavy part of a sign-in (Argon2id
// password hashing: tens of milliseconds and megabytes each), so that the
// event loop (other clients' pages, captivectl, the table watch) never
// waits for one client's sign-in. The queue is bounded: a crowd that
// outruns the pool gets "busy, try again" at once (try_post false, counted)
// rather than an answer minutes late.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace captive::auth {

class WorkPool {
 public:
  using Job = std::function<void()>;
  // `threads` >= 1; `capacity`: jobs waiting (not running) at most.
  // `name` (at most 15 bytes) shows in `top -H`.
  // Start::later: no thread until start(), for a daemon that drops its
  // privileges first (credentials are per thread: daemon/privileges.hpp);
  // jobs posted before then wait in the queue.
  enum class Start { now, later };
  WorkPool(std::size_t threads, std::size_t capacity, const char* name = "captived-auth", Start when = Start::now);
  // Finishes the jobs running, drops those waiting, joins the threads.
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Queues `job` for a pool thread. False (counted as rejected) when
  // `capacity` jobs are already waiting or the pool is stopping. Thread-safe.
  // The job posts its own result back to the event loop.
  bool try_post(Job job);
  void start();  // once; a no-op when the threads run already
  void stop();

  // Jobs a thread has taken up; started() - done() are running now.
  std::uint64_t started() const { return started_.load(); }
  std::uint64_t done() const { return done_.load(); }
  std::uint64_t rejected() const { return rejected_.load(); }
  std::size_t capacity() const { return capacity_; }

 private:
  void run();

  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> started_{0};
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> rejected_{0};
  const std::size_t thread_count_;
  const char* const name_;
  std::vector<std::thread> threads_;
};

}  // namespace captive::auth
