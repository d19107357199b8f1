#include "captive/daemon/packet_worker.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "captive/util/log.hpp"

namespace captive::daemon {
namespace {

// The source address of a queued IPv4/IPv6 packet, for the seen-addresses table.
std::optional<packet::IpAddr> source_of(std::span<const std::byte> l3) {
  if (l3.empty()) return std::nullopt;
  auto* b = reinterpret_cast<const std::uint8_t*>(l3.data());
  if ((b[0] >> 4) == 4 && l3.size() >= 20) return packet::IpAddr::v4(b + 12);
  if ((b[0] >> 4) == 6 && l3.size() >= 40) return packet::IpAddr::v6(b + 8);
  return std::nullopt;
}

}  // namespace

void add_counter(Counters& out, const std::string& name, std::uint64_t value) {
  for (auto& [n, v] : out) {
    if (n == name) {
      v += value;
      return;
    }
  }
  out.emplace_back(name, value);
}

Result<std::unique_ptr<PacketWorker>> PacketWorker::open(std::uint16_t queue_num, const responder::Settings& settings,
                                                         const inject::Device& device, session::SeenAddresses& seen) {
  nfq::Options options;
  options.queue_num = queue_num;
  auto queue = nfq::Queue::open(options);
  if (!queue) return queue.error();
  auto sender = inject::PacketSocketSender::open(device);
  if (!sender) return sender.error();
  int stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd < 0) return errno_error("eventfd for queue " + std::to_string(queue_num));
  return std::unique_ptr<PacketWorker>(
      new PacketWorker(queue_num, std::move(*queue), std::move(*sender), settings, seen, stop_fd));
}

PacketWorker::PacketWorker(std::uint16_t queue_num, nfq::Queue queue, inject::PacketSocketSender sender,
                           const responder::Settings& settings, session::SeenAddresses& seen, int stop_fd)
    : queue_num_(queue_num),
      queue_(std::move(queue)),
      sender_(std::move(sender)),
      responder_(settings),
      seen_(seen),
      stop_fd_(stop_fd) {}

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
  pollfd fds[2] = {{queue_.fd(), POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      LOG_ERROR("queue %u: poll: %s", queue_num_, std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    std::uint64_t now = static_cast<std::uint64_t>(std::time(nullptr));
    auto drained = queue_.drain([this, now](const nfq::QueuedPacket& p) { on_packet(p, now); });
    flush_frames();
    if (!drained && drain_errors_++ == 0) LOG_WARN("%s (counting further errors)", drained.error().message().c_str());
  }
}

void PacketWorker::on_packet(const nfq::QueuedPacket& p, std::uint64_t now) {
  if (!p.hwaddr) {
    ++no_hwaddr_;  // not from an Ethernet-like device: nobody to answer
    return;
  }
  responder::Packet in{p.payload, p.original_length, *p.hwaddr, p.checksum_not_ready};
  const auto outcome = responder_.handle(in, now, *output_);
  // Only a well-formed segment says whose MAC its source address is: a
  // packet with a bad checksum or bad headers naming another client's
  // address must not make the portal take that client for its sender.
  if (responder::well_formed(outcome))
    if (auto source = source_of(p.payload)) seen_.record(*source, *p.hwaddr, now);
  for (std::size_t i = 0; i < output_->count; ++i) {
    if (batch_->count == kBatchFrames) flush_frames();
    auto frame = output_->frame(i);
    auto& slot = batch_->frames[batch_->count];
    std::memcpy(slot.data(), frame.data(), frame.size());
    batch_->views[batch_->count++] = std::span<const std::byte>(slot.data(), frame.size());
  }
}

void PacketWorker::flush_frames() {
  std::span<const std::span<const std::byte>> pending(batch_->views.data(), batch_->count);
  while (!pending.empty()) {
    auto sent = sender_.send_batch(pending);
    if (!sent) {
      // Count this frame as lost and go on with the rest.
      if (send_errors_++ == 0) LOG_WARN("%s (counting further send errors)", sent.error().message().c_str());
      pending = pending.subspan(1);
      continue;
    }
    frames_sent_ += *sent;
    pending = pending.subspan(*sent);
  }
  batch_->count = 0;
}

void PacketWorker::add_counters(Counters& out) const {
  const auto& r = responder_.stats();
  for (std::size_t i = 0; i < static_cast<std::size_t>(responder::Outcome::count_); ++i) {
    auto outcome = static_cast<responder::Outcome>(i);
    add_counter(out, std::string("responder.") + responder::outcome_name(outcome), r.get(outcome));
  }
  const auto& q = queue_.stats();
  add_counter(out, "queue.packets", q.packets.load(std::memory_order_relaxed));
  add_counter(out, "queue.enobufs", q.enobufs.load(std::memory_order_relaxed));
  add_counter(out, "queue.parse_errors", q.parse_errors.load(std::memory_order_relaxed));
  add_counter(out, "queue.verdict_batches", q.verdict_batches.load(std::memory_order_relaxed));
  add_counter(out, "queue.verdict_errors", q.verdict_errors.load(std::memory_order_relaxed));
  add_counter(out, "queue.drain_errors", drain_errors_.load(std::memory_order_relaxed));
  add_counter(out, "queue.no_hwaddr", no_hwaddr_.load(std::memory_order_relaxed));
  add_counter(out, "inject.frames_sent", frames_sent_.load(std::memory_order_relaxed));
  add_counter(out, "inject.send_errors", send_errors_.load(std::memory_order_relaxed));
}

}  // namespace captive::daemon
