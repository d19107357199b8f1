#include "captive/worker/worker.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <array>
#include <cstring>

#include "captive/util/log.hpp"

namespace captive::worker {

void add_counter(Counters& out, const std::string& name, std::uint64_t value) {
  for (auto& [n, v] : out) {
    if (n == name) {
      v += value;
      return;
    }
  }
  out.emplace_back(name, value);
}

std::uint64_t boottime_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec);
}

std::optional<std::size_t> find_lan(std::span<const int> ifindexes, std::uint32_t indev) {
  for (std::size_t i = 0; i < ifindexes.size(); ++i)
    if (static_cast<std::uint32_t>(ifindexes[i]) == indev) return i;
  return std::nullopt;
}

Worker::Worker(std::uint16_t queue_num, std::span<const LanPath> lans, nfq::Source& source, Clock clock)
    : queue_num_(queue_num), source_(source), clock_(clock != nullptr ? clock : boottime_seconds) {
  for (const LanPath& lan : lans) {
    ifindexes_.push_back(lan.ifindex);
    lans_.push_back(std::make_unique<Lan>(lan));
  }
}

Worker::Worker(std::uint16_t queue_num, const responder::Settings& settings, nfq::Source& source,
               inject::Sender& sender, Clock clock)
    : Worker(queue_num, std::span<const LanPath>(std::array<LanPath, 1>{LanPath{0, settings, sender}}), source,
             clock) {}

bool Worker::step() {
  now_ = clock_();
  auto round = source_.drain_round(*this);
  flush_frames();
  if (!round) {
    if (drain_errors_++ == 0)
      LOG_WARN("queue %u: %s (counting further errors)", queue_num_, round.error().message().c_str());
    return false;
  }
  return round->more;
}

void Worker::on_packet(const nfq::QueuedPacket& p) {
  if (!p.hwaddr) {
    ++no_hwaddr_;  // not from an Ethernet-like device: nobody to answer
    return;
  }
  const auto lan = find_lan(ifindexes_, p.indev);
  if (!lan) {
    ++unknown_lan_;  // not from a LAN of ours (the ruleset queues only theirs)
    return;
  }
  // A batch goes out of one LAN's socket: another LAN's frames start a new one.
  if (batch_->count > 0 && *lan != batch_lan_) flush_frames();
  batch_lan_ = *lan;
  // The responder builds its frames in the batch itself: room for a whole
  // answer first.
  if (kBatchFrames - batch_->count < responder::kMaxFrames) flush_frames();
  responder::FrameSink sink;
  sink.frames = batch_->frames.data() + batch_->count;
  sink.lengths = batch_->lengths.data() + batch_->count;
  sink.capacity = responder::kMaxFrames;
  const responder::Packet in{p.payload, p.original_length, *p.hwaddr, p.checksum_not_ready};
  lans_[*lan]->responder.handle(in, now_, sink);
  batch_->count += sink.count;
}

void Worker::flush_frames() {
  Batch& b = *batch_;
  if (b.count == 0) return;
  inject::Sender& sender = lans_[batch_lan_]->sender;
  for (std::size_t i = 0; i < b.count; ++i) b.views[i] = std::span<const std::byte>(b.frames[i].data(), b.lengths[i]);
  std::span<const std::span<const std::byte>> pending(b.views.data(), b.count);
  while (!pending.empty()) {
    auto sent = sender.send_batch(pending);
    if (!sent) {
      // Count this frame as lost and go on with the rest.
      if (send_errors_++ == 0)
        LOG_WARN("queue %u: %s (counting further send errors)", queue_num_, sent.error().message().c_str());
      pending = pending.subspan(1);
      continue;
    }
    if (*sent == 0) {  // a sender that takes nothing and says no error: do not spin
      ++send_errors_;
      pending = pending.subspan(1);
      continue;
    }
    frames_sent_ += *sent;
    pending = pending.subspan(*sent);
  }
  b.count = 0;
}

void Worker::add_counters(Counters& out) const {
  for (const auto& lan : lans_) {
    const auto& r = lan->responder.stats();
    for (std::size_t i = 0; i < static_cast<std::size_t>(responder::Outcome::count_); ++i) {
      auto outcome = static_cast<responder::Outcome>(i);
      add_counter(out, std::string("responder.") + responder::outcome_name(outcome), r.get(outcome));
    }
    add_counter(out, "responder.probe_redirects", r.probe_redirects.load(std::memory_order_relaxed));
  }
  const auto& q = source_.stats();
  add_counter(out, "queue.packets", q.packets.load(std::memory_order_relaxed));
  add_counter(out, "queue.enobufs", q.enobufs.load(std::memory_order_relaxed));
  add_counter(out, "queue.parse_errors", q.parse_errors.load(std::memory_order_relaxed));
  add_counter(out, "queue.verdict_batches", q.verdict_batches.load(std::memory_order_relaxed));
  add_counter(out, "queue.verdict_errors", q.verdict_errors.load(std::memory_order_relaxed));
  add_counter(out, "queue.drain_errors", drain_errors_.load(std::memory_order_relaxed));
  add_counter(out, "queue.no_hwaddr", no_hwaddr_.load(std::memory_order_relaxed));
  add_counter(out, "queue.unknown_lan", unknown_lan_.load(std::memory_order_relaxed));
  // The kernel's own view: packets waiting for a verdict now, packets that
  // found the queue full and packets it could not hand to our socket (the
  // two drop counts stay 0 under fail-open: nfq::KernelDrops).
  const auto drops = source_.kernel_drops();
  add_counter(out, "queue.kernel_waiting", drops ? drops->queue_total : 0);
  add_counter(out, "queue.kernel_full_drops", drops ? drops->queue_dropped : 0);
  add_counter(out, "queue.kernel_user_drops", drops ? drops->user_dropped : 0);
  add_counter(out, "inject.frames_sent", frames_sent_.load(std::memory_order_relaxed));
  add_counter(out, "inject.send_errors", send_errors_.load(std::memory_order_relaxed));
}

Result<std::unique_ptr<PacketWorker>> PacketWorker::open(std::uint16_t queue_num, std::span<const LanSettings> lans,
                                                         Clock clock) {
  nfq::Options options;
  options.queue_num = queue_num;
  auto queue = nfq::Queue::open(options);
  if (!queue) return queue.error();
  std::vector<std::unique_ptr<inject::PacketSocketSender>> senders;
  for (const LanSettings& lan : lans) {
    auto sender = inject::PacketSocketSender::open(lan.device);
    if (!sender) return sender.error();
    senders.push_back(std::make_unique<inject::PacketSocketSender>(std::move(*sender)));
  }
  int stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd < 0) return errno_error("eventfd for queue " + std::to_string(queue_num));
  return std::unique_ptr<PacketWorker>(new PacketWorker(queue_num, std::make_unique<nfq::Queue>(std::move(*queue)),
                                                        std::move(senders), lans, clock, stop_fd));
}

PacketWorker::PacketWorker(std::uint16_t queue_num, std::unique_ptr<nfq::Queue> queue,
                           std::vector<std::unique_ptr<inject::PacketSocketSender>> senders,
                           std::span<const LanSettings> lans, Clock clock, int stop_fd)
    : queue_num_(queue_num), queue_(std::move(queue)), senders_(std::move(senders)), stop_fd_(stop_fd) {
  std::vector<LanPath> paths;
  for (std::size_t i = 0; i < lans.size(); ++i) paths.push_back(LanPath{lans[i].device.ifindex, lans[i].settings, *senders_[i]});
  worker_ = std::make_unique<Worker>(queue_num, paths, *queue_, clock);
}

PacketWorker::~PacketWorker() {
  stop();
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void PacketWorker::start() { thread_ = std::thread([this] { run(); }); }

void PacketWorker::stop() {
  if (!thread_.joinable()) return;
  std::uint64_t one = 1;
  if (::write(stop_fd_, &one, sizeof one) < 0) LOG_WARN("queue %u: cannot signal stop", queue_num_);
  thread_.join();
}

void PacketWorker::run() {
  pollfd fds[2] = {{queue_->fd(), POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      LOG_ERROR("queue %u: poll: %s", queue_num_, std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    // Round after round while the socket is full; each has its verdict and
    // its frames sent, and a stop request is seen between them.
    while (worker_->step()) {
      pollfd stop{stop_fd_, POLLIN, 0};
      if (::poll(&stop, 1, 0) > 0) return;
    }
  }
}

}  // namespace captive::worker
