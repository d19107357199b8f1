// In-memory stand-ins for the packet path's kernel adapters (nfq::Source,
// inject::Sender), for tests of worker::Worker. They keep what they are
// given in storage reserved up front, so a test can count allocations over
// the worker alone.
#pragma once

#include <linux/netfilter.h>  // NF_DROP

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "captive/inject/sender.hpp"
#include "captive/nfq/queue.hpp"
#include "captive/responder/responder.hpp"

namespace captive::testing {

// A queue that hands over the packets it is loaded with, at most `burst` a
// round, and records the batch verdict that ends each round.
class FakeSource final : public nfq::Source {
 public:
  struct Verdict {
    std::uint32_t id = 0;  // every packet up to this id
    std::uint32_t verdict = 0;
    bool operator==(const Verdict&) const = default;
  };

  explicit FakeSource(std::size_t burst = 32, std::size_t max_rounds = 1024) : burst_(burst) {
    verdicts.reserve(max_rounds);
  }

  void load(std::vector<nfq::QueuedPacket> packets) {
    pending_ = std::move(packets);
    next_ = 0;
  }
  std::size_t left() const { return pending_.size() - next_; }

  int fd() const override { return -1; }
  Result<nfq::Round> drain_round(nfq::PacketHandler& handler) override {
    ++rounds;
    std::size_t handled = 0;
    std::optional<std::uint32_t> last;
    while (next_ < pending_.size() && handled < burst_) {
      const auto& p = pending_[next_++];
      stats_.packets.fetch_add(1, std::memory_order_relaxed);
      handler.on_packet(p);
      last = p.id;
      ++handled;
    }
    if (last) {
      verdicts.push_back({*last, NF_DROP});  // within the reserved capacity
      stats_.verdict_batches.fetch_add(1, std::memory_order_relaxed);
    }
    if (fail_next_round) {
      fail_next_round = false;
      return make_error(ENOBUFS, "recv queue 0");
    }
    return nfq::Round{handled, next_ < pending_.size()};
  }
  const nfq::Stats& stats() const override { return stats_; }
  std::optional<nfq::KernelDrops> kernel_drops() const override { return drops; }

  std::vector<Verdict> verdicts;
  std::size_t rounds = 0;
  bool fail_next_round = false;
  std::optional<nfq::KernelDrops> drops;

 private:
  std::size_t burst_;
  std::vector<nfq::QueuedPacket> pending_;
  std::size_t next_ = 0;
  nfq::Stats stats_;
};

// A packet socket that keeps every frame (up to its capacity) and counts the
// batches; `refuse` frames are refused (EAGAIN, as a full socket buffer).
class FakeSender final : public inject::Sender {
 public:
  explicit FakeSender(std::size_t capacity = 4096) : slots_(capacity), lengths_(capacity) {}

  Result<void> send(std::span<const std::byte> frame) override {
    if (refuse > 0) {
      --refuse;
      return make_error(EAGAIN, "send on fake0");
    }
    if (count_ == slots_.size() || frame.size() > responder::kMaxFrameSize)
      return make_error(ENOBUFS, "send on fake0");
    std::memcpy(slots_[count_].data(), frame.data(), frame.size());
    lengths_[count_++] = frame.size();
    return {};
  }
  Result<std::size_t> send_batch(std::span<const std::span<const std::byte>> frames) override {
    ++batches;
    return Sender::send_batch(frames);
  }

  std::size_t count() const { return count_; }
  std::span<const std::byte> frame(std::size_t i) const { return {slots_[i].data(), lengths_[i]}; }
  void clear() { count_ = 0; }

  std::size_t batches = 0;
  std::size_t refuse = 0;

 private:
  std::vector<responder::FrameSlot> slots_;
  std::vector<std::size_t> lengths_;
  std::size_t count_ = 0;
};

}  // namespace captive::testing
