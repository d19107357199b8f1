#include "captive/auth/work_pool.hpp"

#include <pthread.h>

namespace captive::auth {

WorkPool::WorkPool(std::size_t threads, std::size_t capacity, const char* name, Start when)
    : capacity_(capacity), thread_count_(threads == 0 ? 1 : threads), name_(name) {
  if (when == Start::now) start();
}

void WorkPool::start() {
  if (!threads_.empty()) return;
  threads_.reserve(thread_count_);
  for (std::size_t i = 0; i < thread_count_; ++i) {
    threads_.emplace_back([this] { run(); });
    ::pthread_setname_np(threads_.back().native_handle(), name_);
  }
}

WorkPool::~WorkPool() { stop(); }

bool WorkPool::try_post(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || jobs_.size() >= capacity_) {
      ++rejected_;
      return false;
    }
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void WorkPool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    // A waiting job's answer would go to an event loop that is stopping.
    jobs_.clear();
  }
  wake_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void WorkPool::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
      ++started_;
    }
    job();
    ++done_;
  }
}

}  // namespace captive::auth
