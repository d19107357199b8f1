// A fake nft::PeerResolver: (address, port) -> MAC, as nft::PortalPeers
// would read it from the ruleset's maps.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "captive/nft/portal_peers.hpp"

namespace captive::testing {

// Holds lookups until released (a slow kernel answer). Bounded: after
// `limit` a held lookup goes on anyway, so code that blocks the event loop
// on a lookup makes its test fail instead of hang.
class Gate {
 public:
  explicit Gate(std::chrono::milliseconds limit = std::chrono::seconds(4)) : limit_(limit) {}
  void close() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    changed_.notify_all();
  }
  // In the lookup: counts it and waits while closed.
  void pass() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait_for(lock, limit_, [this] { return open_; });
    --waiting_;
    ++passed_;
    lookup_thread_ = std::this_thread::get_id();
  }
  // Until a lookup is held at the gate (bounded by `limit`).
  bool wait_for_held() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit_, [this] { return waiting_ > 0; });
  }
  int passed() const {
    std::lock_guard lock(mutex_);
    return passed_;
  }
  std::thread::id lookup_thread() const {
    std::lock_guard lock(mutex_);
    return lookup_thread_;
  }

 private:
  std::chrono::milliseconds limit_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = true;
  int waiting_ = 0;
  int passed_ = 0;
  std::thread::id lookup_thread_;
};

class FakePeers final : public nft::PeerResolver {
 public:
  Result<std::optional<packet::MacAddr>> lookup(const nft::PortalPeer& peer) override {
    if (gate) gate->pass();
    ++lookups;
    if (fail_next) {
      fail_next = false;
      return make_error(EIO, "fake peer lookup");
    }
    auto it = table.find({peer.address.unmapped(), peer.port});
    if (it == table.end()) return std::optional<packet::MacAddr>();
    return std::optional<packet::MacAddr>(it->second);
  }
  std::map<std::pair<packet::IpAddr, std::uint16_t>, packet::MacAddr> table;
  bool fail_next = false;
  int lookups = 0;
  Gate* gate = nullptr;  // if set, every lookup passes it first
};

// One thread that runs jobs in order, like daemon::KernelWorker (which
// lives in the daemon, not linked here).
class JobThread {
 public:
  using Job = std::function<void()>;
  JobThread() : thread_([this] { run(); }) {}
  ~JobThread() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  void post(Job job) {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
  }

 private:
  void run() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace captive::testing
