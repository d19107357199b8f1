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
#include <optional>
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

// One LAN as the packet path sees it (captived --lan, repeatable): the
// device its packets come in on, what answers them, the socket the answers
// leave by.
struct LanPath {
  int ifindex = 0;                      // NFQA_IFINDEX_INDEV of its packets
  const responder::Settings& settings;  // its router MAC, MTU and portal URLs (copied)
  inject::Sender& sender;               // frames out of this LAN's device
};

// Which LAN a queued packet came in on: the index of `indev` (the packet's
// NFQA_IFINDEX_INDEV) in `ifindexes`, nullopt if none. By the device, never
// by address or MAC: those are the client's to choose. Pure.
std::optional<std::size_t> find_lan(std::span<const int> ifindexes, std::uint32_t indev);

class Worker final : private nfq::PacketHandler {
 public:
  static constexpr std::size_t kBatchFrames = 64;

  // `clock` times the SYN cookies (nullptr: boottime_seconds). Each packet
  // is answered by the LAN it came in on (find_lan); a packet from any
  // other device is not answered (counted as queue.unknown_lan; its verdict
  // is the source's DROP, as for every packet).
  Worker(std::uint16_t queue_num, std::span<const LanPath> lans, nfq::Source& source, Clock clock = boottime_seconds);
  // One LAN of ifindex 0, i.e. the packets that carry no NFQA_IFINDEX_INDEV:
  // the fakes of the tests. Every packet the kernel queues from prerouting
  // has its input device.
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

  struct Lan {
    explicit Lan(const LanPath& path) : sender(path.sender), responder(path.settings) {}
    inject::Sender& sender;
    responder::Responder responder;
  };

  std::uint16_t queue_num_;
  nfq::Source& source_;
  std::vector<int> ifindexes_;              // of lans_, index for index
  std::vector<std::unique_ptr<Lan>> lans_;  // made once: nothing allocated per packet
  std::size_t batch_lan_ = 0;               // whose frames the batch holds
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
  std::atomic<std::uint64_t> unknown_lan_{0};
  std::atomic<std::uint64_t> frames_sent_{0};
  std::atomic<std::uint64_t> send_errors_{0};
  std::atomic<std::uint64_t> drain_errors_{0};
};

// A LAN as the daemon knows it: its device and the responder's settings
// for it.
struct LanSettings {
  inject::Device device;
  responder::Settings settings;
};

// A Worker on its own thread, with its own queue and AF_PACKET sockets (one
// per LAN).
class PacketWorker {
 public:
  // Binds the queue and opens this worker's own AF_PACKET socket on each LAN.
  static Result<std::unique_ptr<PacketWorker>> open(std::uint16_t queue_num, std::span<const LanSettings> lans,
                                                    Clock clock = boottime_seconds);
  ~PacketWorker();  // stops and joins

  void start();
  void stop();
  void add_counters(Counters& out) const { worker_->add_counters(out); }

 private:
  PacketWorker(std::uint16_t queue_num, std::unique_ptr<nfq::Queue> queue,
               std::vector<std::unique_ptr<inject::PacketSocketSender>> senders, std::span<const LanSettings> lans,
               Clock clock, int stop_fd);
  void run();

  std::uint16_t queue_num_;
  std::unique_ptr<nfq::Queue> queue_;
  std::vector<std::unique_ptr<inject::PacketSocketSender>> senders_;  // one per LAN, in order
  std::unique_ptr<Worker> worker_;
  int stop_fd_ = -1;  // eventfd: the thread's way out of poll()
  std::thread thread_;
};

}  // namespace captive::worker
