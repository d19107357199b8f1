// The kernel worker: one thread that runs captived's kernel round trips
// (netlink requests that wait for the kernel's ack, up to 5 s; the `nft -f`
// child process of a ruleset load; a bulk restore of 100 000 elements), one
// job at a time in the order they were posted, so that none of them ever
// stalls the event loop (sign-in pages, control socket, table watch).
// Results go back to the event loop with asio::post, by the jobs themselves.
// captived runs two: "captived-kernel" (the nft socket: sessions, reconcile)
// and "captived-lookup" (the portal's peer-map and neighbour lookups, so a
// page load never queues behind a restore batch; docs/design.md "Threads").
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace captive::daemon {

class KernelWorker {
 public:
  using Job = std::function<void()>;

  // Start::later: the thread starts at start() (captived makes its threads
  // after the privilege drop, which must be the process's only thread:
  // privileges.hpp). Jobs posted before then wait.
  enum class Start { now, later };
  // `name` (at most 15 bytes) shows in `top -H` and perf.
  explicit KernelWorker(const char* name = "captived-kernel", Start start = Start::now);
  // Starts the thread of a Start::later worker; idempotent.
  void start();
  // Runs the jobs already posted, then joins the thread.
  ~KernelWorker();
  KernelWorker(const KernelWorker&) = delete;
  KernelWorker& operator=(const KernelWorker&) = delete;

  // Queues `job`; never blocks on the kernel. Thread-safe.
  void post(Job job);
  // From inside a job (on the worker thread only): runs the jobs queued
  // before this call, in order, then returns. A long job (a bulk restore)
  // calls it between its batches so others wait for one batch, not all.
  void run_queued();
  // Runs what is queued, then stops the thread; later posts are dropped.
  // Idempotent.
  void stop();
  // Jobs run so far (for tests and counters).
  std::uint64_t done() const;

 private:
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::uint64_t done_ = 0;
  const char* name_;
  std::thread thread_;
};

}  // namespace captive::daemon
