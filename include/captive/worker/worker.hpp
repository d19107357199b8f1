// The packet path of one NFQUEUE: drain a bounded round of queued packets
// (nfq::Source), answer each through the responder straight into the send
// batch, and send the batch (inject::Sender). With --queues N there are N
// of these, one per queue, sharing nothing: no lock on the packet path.
//
// `Worker` is the path without a thread or a kernel: it runs against fakes
// in tests (tests/unit/worker). `PacketWorker` is what the daemon runs: a
// Worker, its own queue and packet socket, and the thread that polls them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "captive/inject/sender.hpp"
#include "captive/nfq/queue.hpp"
#include "captive/responder/responder.hpp"
#include "captive/util/result.hpp"

namespace captive::worker {

using Counters = std::vector<std::pair<std::string, std::uint64_t>>;

// Adds `value` to the counter `name` in `out`, appending it if new.
void add_counter(Counters& out, const std::string& name, std::uint64_t value);

// Seconds for the SYN cookie slots: a clock NTP cannot step. A router without a real-time clock sets its wall clock
// at boot, often by years; cookies timed by it would all expire (or old ones
// revive) at that moment.
using Clock = std::uint64_t (*)();
// CLOCK_BOOTTIME in seconds: monotonic, and it keeps counting in suspend.
std::uint64_t boottime_seconds();

class Worker final : private nfq::PacketHandler {
 public:
  static constexpr std::size_t kBatchFrames = 64;

  // `clock` times the SYN cookies (nullptr: boottime_seconds).
  Worker(std::uint16_t queue_num, const responder::Settings& settings, nfq::Source& source,
         inject::Sender& sender, Clock clock = boottime_seconds);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // One round: what the source hands over (its verdict included), answered
  // and sent. Returns whether the source may hold more (call again before
  // waiting). Never allocates, never throws.
  bool step();

  // Adds this worker's counters to `out` (summing names already there).
  // Reads the kernel's drop counters: not for the packet path.
  void add_counters(Counters& out) const;

 private:
  void on_packet(const nfq::QueuedPacket& packet) override;
  // Sends what the batch holds in as few system calls as possible.
  void flush_frames();

  std::uint16_t queue_num_;
  nfq::Source& source_;
  inject::Sender& sender_;
  responder::Responder responder_;
  Clock clock_;
  std::uint64_t now_ = 0;  // of the current round, for the cookies
  // Frames of the current round, built in place by the responder and sent
  // together at its end (or when fewer than kMaxFrames slots are left).
  struct Batch {
    std::array<responder::FrameSlot, kBatchFrames> frames;
    std::array<std::size_t, kBatchFrames> lengths{};
    std::array<std::span<const std::byte>, kBatchFrames> views;
    std::size_t count = 0;
  };
  std::unique_ptr<Batch> batch_ = std::make_unique<Batch>();
  std::atomic<std::uint64_t> no_hwaddr_{0};
  std::atomic<std::uint64_t> frames_sent_{0};
  std::atomic<std::uint64_t> send_errors_{0};
  std::atomic<std::uint64_t> drain_errors_{0};
};

// A Worker on its own thread, with its own queue and AF_PACKET socket.
class PacketWorker {
 public:
  // Binds the queue and opens this worker's own AF_PACKET socket.
  static Result<std::unique_ptr<PacketWorker>> open(std::uint16_t queue_num, const responder::Settings& settings,
                                                    const inject::Device& device,
                                                    Clock clock = boottime_seconds);
  ~PacketWorker();  // stops and joins

  void start();
  void stop();
  void add_counters(Counters& out) const { worker_.add_counters(out); }

 private:
  PacketWorker(std::uint16_t queue_num, std::unique_ptr<nfq::Queue> queue,
               std::unique_ptr<inject::PacketSocketSender> sender, const responder::Settings& settings,
               Clock clock, int stop_fd);
  void run();

  std::uint16_t queue_num_;
  std::unique_ptr<nfq::Queue> queue_;
  std::unique_ptr<inject::PacketSocketSender> sender_;
  Worker worker_;
  int stop_fd_ = -1;  // eventfd: the thread's way out of poll()
  std::thread thread_;
};

}  // namespace captive::worker
