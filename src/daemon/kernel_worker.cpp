#include "captive/daemon/kernel_worker.hpp"

#include <pthread.h>

namespace captive::daemon {

KernelWorker::KernelWorker(const char* name, Start start) : name_(name) {
  if (start == Start::now) this->start();
}

void KernelWorker::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
  }
  thread_ = std::thread([this] { run(); });
  // Named, so `top -H` and perf show where the kernel waits are.
  ::pthread_setname_np(thread_.native_handle(), name_);
}

KernelWorker::~KernelWorker() { stop(); }

void KernelWorker::post(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void KernelWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t KernelWorker::done() const {
  std::lock_guard lock(mutex_);
  return done_;
}

void KernelWorker::run_queued() {
  if (std::this_thread::get_id() != thread_.get_id()) return;  // only the worker may run jobs
  std::size_t n;
  {
    std::lock_guard lock(mutex_);
    n = jobs_.size();
  }
  while (n-- > 0) {
    Job job;
    {
      std::lock_guard lock(mutex_);
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
    std::lock_guard lock(mutex_);
    ++done_;
  }
}

void KernelWorker::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
    std::lock_guard lock(mutex_);
    ++done_;
  }
}

}  // namespace captive::daemon
