// NFQUEUE intake over libmnl + libnetfilter_queue's nlmsg helpers.
//
// The daemon drops every packet it is queued (it answers them itself through
// inject), so a drain round ends with one NFQNL_MSG_VERDICT_BATCH DROP for
// the highest id seen: every queued packet gets exactly one verdict. A round
// is one recvmmsg (at most 32 packets); its verdict goes out at its end, or
// as soon as 1 ms has passed since it began (then a second one at the end),
// so a flood cannot hold verdicts back.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "captive/packet/address.hpp"
#include "captive/util/result.hpp"

namespace captive::nfq {

struct Options {
  std::uint16_t queue_num = 0;
  // NFQA_CFG_QUEUE_MAXLEN. The kernel's default 1024 overflowed under a
  // 64-connection wrk load (fail-open then drops at forward, and the client
  // waits for its 200 ms RTO): 4096 rides out a descheduled worker.
  std::uint32_t max_len = 4096;
  std::uint32_t copy_range = 4096;     // bytes of each packet copied to us
  bool fail_open = true;               // NFQA_CFG_F_FAIL_OPEN
  bool gso = true;                     // NFQA_CFG_F_GSO
  int receive_buffer = 4 << 20;        // SO_RCVBUFFORCE (falls back to SO_RCVBUF)
};

struct QueuedPacket {
  std::uint32_t id = 0;
  std::uint16_t hw_protocol = 0;             // ETH_P_IP / ETH_P_IPV6, host order
  std::span<const std::byte> payload;        // NFQA_PAYLOAD: from the IP header
  std::uint32_t original_length = 0;         // NFQA_CAP_LEN if truncated, else payload size
  std::optional<packet::MacAddr> hwaddr;     // NFQA_HWADDR
  bool checksum_not_ready = false;           // NFQA_SKB_INFO & NFQA_SKB_CSUMNOTREADY
  std::uint32_t indev = 0;                   // NFQA_IFINDEX_INDEV
};

// Written by the queue's thread, read by the control socket's: atomics.
struct Stats {
  std::atomic<std::uint64_t> packets{0};
  std::atomic<std::uint64_t> enobufs{0};       // the kernel dropped messages for us: counted, not fatal
  std::atomic<std::uint64_t> parse_errors{0};
  std::atomic<std::uint64_t> verdict_batches{0};
  std::atomic<std::uint64_t> verdict_errors{0};
};

// What the kernel dropped for a queue, from /proc/net/netfilter/nfnetlink_queue
// (net/netfilter/nfnetlink_queue.c seq_show).
// The kernel counts a drop only without NFQA_CFG_F_FAIL_OPEN: with it (our
// default) a packet that finds the queue full, or that cannot be sent to our
// socket, is accepted and counted nowhere (__nfqnl_enqueue_packet); then
// `queue_total` at its maximum is the sign of a full queue.
struct KernelDrops {
  std::uint64_t queue_total = 0;    // packets waiting for our verdict now
  std::uint64_t queue_dropped = 0;  // found the queue full (NFQA_CFG_QUEUE_MAXLEN)
  std::uint64_t user_dropped = 0;   // could not be sent to us (our socket buffer full)
};

// The line of `queue_num` in the text of /proc/net/netfilter/nfnetlink_queue:
// "queue portid total copy_mode copy_range queue_dropped user_dropped id 1".
// nullopt when no line is for that queue or the line is malformed. Pure.
std::optional<KernelDrops> parse_kernel_drops(std::string_view proc_text, std::uint16_t queue_num);
// Reads and parses the file (in the daemon's network namespace). Not for the
// packet path: it opens a file and allocates. Errors: "read <path>: ...".
Result<KernelDrops> read_kernel_drops(std::uint16_t queue_num,
                                      const std::string& path = "/proc/net/netfilter/nfnetlink_queue");

// Receives each packet of a drain round. Must not throw (it runs inside
// libmnl's C callback loop).
class PacketHandler {
 public:
  virtual void on_packet(const QueuedPacket& packet) = 0;

 protected:
  ~PacketHandler() = default;
};

struct Round {
  std::size_t handled = 0;  // packets handed to the handler
  bool more = false;        // the round read a full batch: the socket may hold more
};

// The queue as the packet path sees it: fakes implement it in tests.
class Source {
 public:
  virtual ~Source() = default;
  virtual int fd() const = 0;  // readable when packets wait
  // One round: one recvmmsg without blocking, each queued packet to
  // `handler`, then the batch DROP verdict for them (earlier too, once 1 ms
  // has passed since the round began). EAGAIN ends a round with more =
  // false; ENOBUFS is counted. The verdict is sent even when the recv
  // failed. Never allocates.
  virtual Result<Round> drain_round(PacketHandler& handler) = 0;
  virtual const Stats& stats() const = 0;
  // The kernel's drop counters for this queue; nullopt when unavailable.
  virtual std::optional<KernelDrops> kernel_drops() const = 0;
};

class Queue final : public Source {
 public:
  // Opens a netlink socket, binds queue `queue_num`, sets copy mode, max
  // length and flags. Errors name the step and carry errno
  // ("bind queue 0: Operation not permitted").
  static Result<Queue> open(const Options& options);
  Queue(Queue&&) noexcept;
  Queue& operator=(Queue&&) noexcept;
  ~Queue() override;  // unbinds and closes

  int fd() const override;  // non-blocking; wait for readability, then drain_round()

  Result<Round> drain_round(PacketHandler& handler) override;
  std::optional<KernelDrops> kernel_drops() const override;

  // Rounds until the socket is empty (each with its verdict): for tests and
  // tools; the worker calls drain_round() itself. Returns how many packets
  // were handled; EAGAIN ends a drain, ENOBUFS is counted.
  // `payload` is valid only during the call; `on_packet` must not throw (it
  // runs inside libmnl's C callback loop). The verdict is sent even when a
  // recv fails half-way ("recv queue 0: ..."); a failed verdict send is
  // "verdict queue 0: ...", a verdict the kernel refused is counted.
  Result<std::size_t> drain(const std::function<void(const QueuedPacket&)>& on_packet);

  const Stats& stats() const override;

 private:
  struct Impl;
  explicit Queue(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Pure message builders (write into the caller's buffer, return the length);
// unit tests round-trip them through libmnl's parser. The buffer must be
// aligned for struct nlmsghdr (4 bytes) and at least kControlMessageSize
// long; a shorter buffer makes them write nothing and return 0.
inline constexpr std::size_t kControlMessageSize = 128;

// NFQNL_MSG_VERDICT_BATCH: `verdict` (NF_DROP, NF_ACCEPT) for every packet
// of queue `queue_num` whose id is <= `id`. No NLM_F_ACK: the kernel still
// reports a failure as NLMSG_ERROR, which drain() counts.
std::size_t build_verdict_batch(std::span<std::byte> buf, std::uint16_t queue_num,
                                std::uint32_t id, std::uint32_t verdict, std::uint32_t seq);

// NFQNL_MSG_CONFIG with NFQA_CFG_CMD `command` (NFQNL_CFG_CMD_BIND or
// NFQNL_CFG_CMD_UNBIND), NLM_F_ACK set.
std::size_t build_config_command(std::span<std::byte> buf, std::uint16_t queue_num,
                                 std::uint8_t command, std::uint32_t seq);

// NFQNL_MSG_CONFIG with NFQA_CFG_PARAMS (NFQNL_COPY_PACKET, copy_range),
// NFQA_CFG_QUEUE_MAXLEN and NFQA_CFG_MASK/NFQA_CFG_FLAGS for FAIL_OPEN and
// GSO (both always in the mask, so each is set or cleared explicitly),
// NLM_F_ACK set. Values are used as given: Queue::open clamps them first.
std::size_t build_config_params(std::span<std::byte> buf, const Options& options,
                                std::uint32_t seq);

// Parses one NFQNL_MSG_PACKET netlink message (header included). `payload`
// points into `message`. Fails (EBADMSG, with the reason) on a truncated
// message, a wrong type or a missing NFQA_PACKET_HDR; never reads past the
// span, never allocates on success.
Result<QueuedPacket> parse_packet(std::span<const std::byte> message);

}  // namespace captive::nfq
