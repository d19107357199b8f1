// One NFQUEUE and the thread that serves it: drain a burst of queued
// packets, answer each through the responder, send the frames, one batch
// verdict per burst. With --queues N there are N of these, one per queue,
// sharing nothing but the seen-addresses table.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "captive/inject/sender.hpp"
#include "captive/nfq/queue.hpp"
#include "captive/responder/responder.hpp"
#include "captive/session/seen_addresses.hpp"
#include "captive/util/result.hpp"

namespace captive::daemon {

using Counters = std::vector<std::pair<std::string, std::uint64_t>>;

class PacketWorker {
 public:
  // Binds the queue and opens this worker's own AF_PACKET socket.
  static Result<std::unique_ptr<PacketWorker>> open(std::uint16_t queue_num, const responder::Settings& settings,
                                                    const inject::Device& device, session::SeenAddresses& seen);
  ~PacketWorker();  // stops and joins

  void start();
  void stop();

  // Adds this worker's counters to `out` (summing names already there).
  void add_counters(Counters& out) const;

 private:
  PacketWorker(std::uint16_t queue_num, nfq::Queue queue, inject::PacketSocketSender sender,
               const responder::Settings& settings, session::SeenAddresses& seen, int stop_fd);
  void run();
  void on_packet(const nfq::QueuedPacket& packet, std::uint64_t now);
  // Sends what a drain produced in as few system calls as possible.
  void flush_frames();

  std::uint16_t queue_num_;
  nfq::Queue queue_;
  inject::PacketSocketSender sender_;
  responder::Responder responder_;
  std::unique_ptr<responder::Output> output_ = std::make_unique<responder::Output>();
  // Frames of the current drain, sent together at its end (or when full).
  static constexpr std::size_t kBatchFrames = 64;
  struct Batch {
    std::array<std::array<std::byte, responder::kMaxFrameSize>, kBatchFrames> frames;
    std::array<std::span<const std::byte>, kBatchFrames> views;
    std::size_t count = 0;
  };
  std::unique_ptr<Batch> batch_ = std::make_unique<Batch>();
  session::SeenAddresses& seen_;
  int stop_fd_ = -1;  // eventfd: the thread's way out of poll()
  std::thread thread_;
  std::atomic<std::uint64_t> no_hwaddr_{0};
  std::atomic<std::uint64_t> frames_sent_{0};
  std::atomic<std::uint64_t> send_errors_{0};
  std::atomic<std::uint64_t> drain_errors_{0};
};

// Adds `value` to the counter `name` in `out`, appending it if new.
void add_counter(Counters& out, const std::string& name, std::uint64_t value);

}  // namespace captive::daemon
