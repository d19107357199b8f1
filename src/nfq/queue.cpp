// NFQUEUE intake: one netlink socket, one queue, batch receive, one batch
// verdict per drain. See docs/nfq.md for the why of every knob.
#include "captive/nfq/queue.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netfilter.h>  // NF_DROP
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "captive/util/log.hpp"

namespace captive::nfq {
namespace {

// Each queued packet arrives as its own datagram (nfnetlink_unicast() per
// packet in net/netfilter/nfnetlink_queue.c): at most the copy range
// (<= kMaxCopyRange) plus a few hundred bytes of attributes. 256 KiB leaves
// ample room; a datagram that still does not fit comes back as MSG_TRUNC
// (libmnl: ENOSPC) and is counted as a parse error.
constexpr std::size_t kReceiveBufferSize = 256 * 1024;

// NFQNL_MAX_COPY_RANGE in the kernel (0xffff - NLA_HDRLEN); larger values
// are silently clamped there, we clamp here so the log says what is in use.
constexpr std::uint32_t kMaxCopyRange = 0xffff - NLA_HDRLEN;

constexpr std::uint16_t kPacketMessageType = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET;

// The longest a queued packet waits for its verdict once we read it: the
// kernel holds it (and counts it against the queue's max length) until then.
constexpr std::uint64_t kVerdictDeadlineNs = 1'000'000;
// How often (in packets) the deadline is checked: a clock read per packet
// would cost more than it saves.
constexpr std::size_t kDeadlineCheckEvery = 8;

std::uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

// "<verb> queue <n>[ <object>]" with errno captured before the string is
// built (allocating may touch errno).
Error errno_step(const char* verb, std::uint16_t queue_num, const char* object = nullptr) {
  const int err = errno;
  std::string what = std::string(verb) + " queue " + std::to_string(queue_num);
  if (object != nullptr) what += std::string(" ") + object;
  return make_error(err, std::move(what));
}

// Attribute payload of at least `size` bytes, or nullptr. nfq_nlmsg_parse
// validates lengths too, but which ones depends on the library version.
const void* payload_of(const nlattr* attr, std::size_t size) {
  if (attr == nullptr || mnl_attr_get_payload_len(attr) < size) return nullptr;
  return mnl_attr_get_payload(attr);
}

bool read_be32(const nlattr* attr, std::uint32_t& out) {
  const void* p = payload_of(attr, sizeof(std::uint32_t));
  if (p == nullptr) return false;
  std::memcpy(&out, p, sizeof(out));
  out = ntohl(out);
  return true;
}

bool fits(std::span<std::byte> buf) { return buf.size() >= kControlMessageSize; }

char* as_chars(std::span<std::byte> buf) { return reinterpret_cast<char*>(buf.data()); }

std::size_t finish(nlmsghdr* nlh, std::uint32_t seq) {
  nlh->nlmsg_seq = seq;
  return nlh->nlmsg_len;
}

}  // namespace

std::size_t build_verdict_batch(std::span<std::byte> buf, std::uint16_t queue_num,
                                std::uint32_t id, std::uint32_t verdict, std::uint32_t seq) {
  if (!fits(buf)) return 0;
  // nfq_nlmsg_put: nlmsghdr (NLM_F_REQUEST) + nfgenmsg {AF_UNSPEC, v0, htons(queue)}.
  nlmsghdr* nlh = nfq_nlmsg_put(as_chars(buf), NFQNL_MSG_VERDICT_BATCH, queue_num);
  // NFQA_VERDICT_HDR {htonl(verdict), htonl(id)}
  nfq_nlmsg_verdict_put(nlh, static_cast<int>(id), static_cast<int>(verdict));
  return finish(nlh, seq);
}

std::size_t build_config_command(std::span<std::byte> buf, std::uint16_t queue_num,
                                 std::uint8_t command, std::uint32_t seq) {
  if (!fits(buf)) return 0;
  nlmsghdr* nlh = nfq_nlmsg_put(as_chars(buf), NFQNL_MSG_CONFIG, queue_num);
  nlh->nlmsg_flags |= NLM_F_ACK;
  // NFQA_CFG_CMD. pf is ignored for BIND/UNBIND (PF_BIND/PF_UNBIND are
  // no-ops since Linux 3.8); AF_UNSPEC says so.
  nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, command);
  return finish(nlh, seq);
}

std::size_t build_config_params(std::span<std::byte> buf, const Options& options,
                                std::uint32_t seq) {
  if (!fits(buf)) return 0;
  nlmsghdr* nlh = nfq_nlmsg_put(as_chars(buf), NFQNL_MSG_CONFIG, options.queue_num);
  nlh->nlmsg_flags |= NLM_F_ACK;
  // NFQA_CFG_PARAMS {htonl(copy_range), NFQNL_COPY_PACKET}
  nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, static_cast<int>(options.copy_range));
  // NFQA_CFG_QUEUE_MAXLEN
  nfq_nlmsg_cfg_put_qmaxlen(nlh, options.max_len);
  std::uint32_t flags = 0;
  if (options.fail_open) flags |= NFQA_CFG_F_FAIL_OPEN;  // accept, not drop, when full
  if (options.gso) flags |= NFQA_CFG_F_GSO;              // no checksum/segmentation work for us
  // NFQA_CFG_MASK names the flags this message changes; NFQA_CFG_FLAGS their values.
  mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO));
  mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
  return finish(nlh, seq);
}

Result<QueuedPacket> parse_packet(std::span<const std::byte> message) {
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(message.data());
  if (message.size() > static_cast<std::size_t>(INT32_MAX) ||
      !mnl_nlmsg_ok(nlh, static_cast<int>(message.size())) ||
      // mnl_nlmsg_ok compares (int)nlmsg_len: a length >= 2^31 passes it (fuzz findings).
      // Nor may the attribute walk (to MNL_ALIGN(nlmsg_len)) leave the span.
      ((std::size_t{nlh->nlmsg_len} + 3) & ~std::size_t{3}) > message.size()) {
    return make_error(EBADMSG, "parse packet: truncated netlink message");
  }
  if (nlh->nlmsg_type != kPacketMessageType) {
    return make_error(EBADMSG, "parse packet: not NFQNL_MSG_PACKET");
  }
  if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(nfgenmsg)) {
    return make_error(EBADMSG, "parse packet: no nfgenmsg");
  }
  // Sized from the kernel header we build against, which may know more
  // attributes than the library did; nfq_nlmsg_parse ignores those.
  nlattr* attr[NFQA_MAX + 1] = {};
  if (nfq_nlmsg_parse(nlh, attr) < 0) {
    return make_error(EBADMSG, "parse packet: malformed attributes");
  }
  nfqnl_msg_packet_hdr ph;
  const void* hdr = payload_of(attr[NFQA_PACKET_HDR], sizeof(ph));
  if (hdr == nullptr) return make_error(EBADMSG, "parse packet: no NFQA_PACKET_HDR");

  QueuedPacket pkt;
  // NFQA_PACKET_HDR: nfqnl_msg_packet_hdr {__be32 packet_id; __be16 hw_protocol; __u8 hook}
  // (copied: the struct is packed).
  std::memcpy(&ph, hdr, sizeof(ph));
  pkt.id = ntohl(ph.packet_id);
  pkt.hw_protocol = ntohs(ph.hw_protocol);

  if (const nlattr* a = attr[NFQA_PAYLOAD]) {
    pkt.payload = std::span<const std::byte>(
        static_cast<const std::byte*>(mnl_attr_get_payload(a)), mnl_attr_get_payload_len(a));
  }
  // NFQA_CAP_LEN is only present when the packet was longer than the copy range.
  if (!read_be32(attr[NFQA_CAP_LEN], pkt.original_length)) {
    pkt.original_length = static_cast<std::uint32_t>(pkt.payload.size());
  }
  nfqnl_msg_packet_hw hw;
  if (const void* p = payload_of(attr[NFQA_HWADDR], sizeof(hw))) {
    // nfqnl_msg_packet_hw {__be16 hw_addrlen; __u16 _pad; __u8 hw_addr[8]}
    std::memcpy(&hw, p, sizeof(hw));
    if (ntohs(hw.hw_addrlen) == 6) {
      packet::MacAddr mac;
      std::memcpy(mac.bytes.data(), hw.hw_addr, 6);
      pkt.hwaddr = mac;
    }
  }
  if (std::uint32_t info = 0; read_be32(attr[NFQA_SKB_INFO], info)) {
    // NFQA_SKB_CSUMNOTREADY: with NFQA_CFG_F_GSO the kernel hands us
    // CHECKSUM_PARTIAL packets as they are; the L4 checksum is not filled in.
    pkt.checksum_not_ready = (info & NFQA_SKB_CSUMNOTREADY) != 0;
  }
  (void)read_be32(attr[NFQA_IFINDEX_INDEV], pkt.indev);
  return pkt;
}

struct Queue::Impl {
  Options options;
  mnl_socket* nl = nullptr;
  bool bound = false;
  unsigned portid = 0;
  std::uint32_t seq = 0;
  Stats stats;
  std::unique_ptr<std::byte[]> rx;  // kReceiveBufferSize, new[]: aligned for nlmsghdr
  // rx cut into slots of one datagram each for recvmmsg: one system call
  // takes a whole burst (measured: one recvmsg per packet was 19 % of the
  // daemon's CPU under load). Set up at open; nothing is allocated per drain.
  std::size_t slot_size = 0;
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iovs;
  alignas(nlmsghdr) std::byte tx[kControlMessageSize];

  // Per-round state, used by the mnl callback (no captures, no allocation).
  PacketHandler* handler = nullptr;
  std::size_t handled = 0;
  std::uint64_t round_start_ns = 0;
  bool deadline_passed = false;
  bool flush_now = false;
  std::optional<std::uint32_t> last_id;

  ~Impl() {
    if (nl == nullptr) return;
    if (!bound) {
      mnl_socket_close(nl);
      return;
    }
    // Closing the socket unbinds too (NETLINK_URELEASE), but saying so is
    // cheaper for the kernel and shows up in a trace. Best effort, no ack.
    const std::size_t len = build_config_command(tx, options.queue_num, NFQNL_CFG_CMD_UNBIND, ++seq);
    reinterpret_cast<nlmsghdr*>(tx)->nlmsg_flags &= ~NLM_F_ACK;
    if (mnl_socket_sendto(nl, tx, len) < 0) {
      LOG_DEBUG("unbind queue %u: %s", options.queue_num, std::strerror(errno));
    }
    mnl_socket_close(nl);
  }

  // Sends the message in tx and waits for its ack. Packets queued meanwhile
  // (after BIND; metadata only until the params apply) are not handed on but
  // remembered, so the next flush_verdict() drops them too.
  Result<void> request(std::size_t len, const char* verb, const char* object = nullptr) {
    if (mnl_socket_sendto(nl, tx, len) < 0) return errno_step(verb, options.queue_num, object);
    const std::uint32_t want = reinterpret_cast<nlmsghdr*>(tx)->nlmsg_seq;
    for (;;) {
      const ssize_t n = mnl_socket_recvfrom(nl, rx.get(), kReceiveBufferSize);
      if (n < 0) {
        if (errno == EINTR || errno == ENOBUFS) continue;
        return errno_step(verb, options.queue_num, object);
      }
      const int ret = mnl_cb_run(rx.get(), static_cast<std::size_t>(n), want, portid,
                                 &Impl::on_early_message, this);
      if (ret < 0) return errno_step(verb, options.queue_num, object);
      if (ret == MNL_CB_STOP) return {};  // the ack (NLMSG_ERROR with error 0)
    }
  }

  // The message with its alignment padding. The kernel does not pad the
  // last attribute (NFQA_PAYLOAD of an odd-length packet leaves nlmsg_len
  // unaligned, and the datagram ends there), but parse_packet wants the
  // aligned length inside its span; those <= 3 bytes are in our buffer.
  std::span<const std::byte> message_span(const nlmsghdr* nlh) const {
    const auto* start = reinterpret_cast<const std::byte*>(nlh);
    const std::size_t room = static_cast<std::size_t>(rx.get() + kReceiveBufferSize - start);
    return {start, std::min<std::size_t>(MNL_ALIGN(nlh->nlmsg_len), room)};
  }

  static int on_early_message(const nlmsghdr* nlh, void* data) {
    auto* self = static_cast<Impl*>(data);
    if (nlh->nlmsg_type != kPacketMessageType) return MNL_CB_OK;
    auto parsed = parse_packet(self->message_span(nlh));
    if (parsed) self->last_id = parsed->id;
    return MNL_CB_OK;
  }

  static int on_message(const nlmsghdr* nlh, void* data) {
    auto* self = static_cast<Impl*>(data);
    if (nlh->nlmsg_type != kPacketMessageType) return MNL_CB_OK;
    auto parsed = parse_packet(self->message_span(nlh));
    if (!parsed) {
      ++self->stats.parse_errors;
      LOG_DEBUG("queue %u: %s", self->options.queue_num, parsed.error().message().c_str());
      return MNL_CB_OK;
    }
    ++self->stats.packets;
    ++self->handled;
    self->last_id = parsed->id;
    self->handler->on_packet(*parsed);
    // A round that has taken 1 ms gives its verdict now (drain_round).
    if (!self->deadline_passed && self->handled % kDeadlineCheckEvery == 0 &&
        monotonic_ns() - self->round_start_ns >= kVerdictDeadlineNs) {
      self->deadline_passed = true;
      self->flush_now = true;
    }
    return MNL_CB_OK;
  }

  // One NF_DROP for everything up to the last id we saw. Ids grow by one per
  // packet (wrapping); the kernel compares them wrap-safely, so the last id
  // received is "the highest".
  Result<void> flush_verdict() {
    if (!last_id) return {};
    const std::size_t len =
        build_verdict_batch(tx, options.queue_num, *last_id, NF_DROP, ++seq);
    last_id.reset();
    for (;;) {
      if (mnl_socket_sendto(nl, tx, len) >= 0) break;
      if (errno == EINTR) continue;
      ++stats.verdict_errors;
      return errno_step("verdict", options.queue_num);
    }
    ++stats.verdict_batches;
    return {};
  }
};

Queue::Queue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Queue::Queue(Queue&&) noexcept = default;
Queue& Queue::operator=(Queue&&) noexcept = default;
Queue::~Queue() = default;

int Queue::fd() const { return mnl_socket_get_fd(impl_->nl); }
const Stats& Queue::stats() const { return impl_->stats; }

Result<Queue> Queue::open(const Options& requested) {
  auto impl = std::make_unique<Impl>();
  Options& o = impl->options;
  o = requested;
  const std::uint16_t q = o.queue_num;
  // Validated and clamped once, here.
  o.copy_range = std::clamp<std::uint32_t>(o.copy_range, 64, kMaxCopyRange);
  o.max_len = std::max<std::uint32_t>(o.max_len, 1);
  impl->rx.reset(new std::byte[kReceiveBufferSize]);
  // A queued packet's message is its copy range plus < 1 KiB of attributes.
  impl->slot_size = std::max<std::size_t>(8192, NLMSG_ALIGN(o.copy_range + 1024));
  const std::size_t slots = std::max<std::size_t>(1, kReceiveBufferSize / impl->slot_size);
  impl->msgs.resize(slots);
  impl->iovs.resize(slots);

  // Blocking while we configure (we wait for acks), non-blocking afterwards.
  impl->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (impl->nl == nullptr) return errno_step("open socket for", q);
  const int fd = mnl_socket_get_fd(impl->nl);

  // NETLINK_NO_ENOBUFS stays off on purpose: ENOBUFS is how we learn the
  // socket overflowed (packets were dropped, or accepted if fail-open); we
  // count it. SO_RCVBUFFORCE needs CAP_NET_ADMIN, which binding needs too;
  // SO_RCVBUF is capped by net.core.rmem_max.
  if (o.receive_buffer > 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &o.receive_buffer, sizeof(o.receive_buffer)) < 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o.receive_buffer, sizeof(o.receive_buffer)) < 0) {
    LOG_WARN("queue %u: SO_RCVBUF %d: %s", q, o.receive_buffer, std::strerror(errno));
  }
  // NETLINK_CAP_ACK: error replies (e.g. for a verdict) carry only the
  // header of our request, not all of it. Best effort.
  int one = 1;
  (void)mnl_socket_setsockopt(impl->nl, NETLINK_CAP_ACK, &one, sizeof(one));
  // NETLINK_EXT_ACK: the kernel's reason text on errors, for debugging.
  (void)mnl_socket_setsockopt(impl->nl, NETLINK_EXT_ACK, &one, sizeof(one));

  if (mnl_socket_bind(impl->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    return errno_step("bind socket for", q);
  }
  impl->portid = mnl_socket_get_portid(impl->nl);

  std::size_t len = build_config_command(impl->tx, q, NFQNL_CFG_CMD_BIND, ++impl->seq);
  // Not bound on failure: ~Impl must not UNBIND a queue someone else owns.
  // (Another socket holding the queue is EPERM, not EBUSY: nfqnl_recv_config.)
  if (auto r = impl->request(len, "bind"); !r) return r.error();
  impl->bound = true;
  len = build_config_params(impl->tx, o, ++impl->seq);
  if (auto r = impl->request(len, "set", "params"); !r) return r.error();  // ~Impl unbinds
  if (auto r = impl->flush_verdict(); !r) return r.error();  // packets queued before params

  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return errno_step("set", q, "non-blocking");
  }

  int rcvbuf = 0;
  socklen_t rcvbuf_len = sizeof(rcvbuf);
  (void)getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &rcvbuf_len);
  LOG_INFO("queue %u bound: copy range %u, max len %u, fail-open %s, gso %s, rcvbuf %d", q,
           o.copy_range, o.max_len, o.fail_open ? "on" : "off", o.gso ? "on" : "off", rcvbuf);
  return Queue(std::move(impl));
}

Result<Round> Queue::drain_round(PacketHandler& handler) {
  Impl& s = *impl_;
  s.handler = &handler;
  s.handled = 0;
  s.deadline_passed = false;
  s.flush_now = false;
  s.round_start_ns = monotonic_ns();
  std::optional<Error> failure;
  bool more = false;
  const int fd = mnl_socket_get_fd(s.nl);
  for (;;) {  // retries EINTR/ENOBUFS only: one recvmmsg that returns data per round
    for (std::size_t i = 0; i < s.msgs.size(); ++i) {
      s.iovs[i] = iovec{s.rx.get() + i * s.slot_size, s.slot_size};
      s.msgs[i] = mmsghdr{};
      s.msgs[i].msg_hdr.msg_iov = &s.iovs[i];
      s.msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int got = ::recvmmsg(fd, s.msgs.data(), static_cast<unsigned>(s.msgs.size()), MSG_DONTWAIT, nullptr);
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {  // the kernel dropped messages for us; keep reading
        ++s.stats.enobufs;
        continue;
      }
      failure = errno_step("recv", s.options.queue_num);
      break;
    }
    for (int i = 0; i < got; ++i) {
      const mmsghdr& m = s.msgs[static_cast<std::size_t>(i)];
      if ((m.msg_hdr.msg_flags & MSG_TRUNC) != 0) {  // larger than a slot; id unknown
        ++s.stats.parse_errors;
        continue;
      }
      // seq 0, portid 0: packet messages carry neither. An NLMSG_ERROR here is
      // the kernel refusing an earlier verdict (we send them without NLM_F_ACK).
      const int ret = mnl_cb_run(s.iovs[static_cast<std::size_t>(i)].iov_base, m.msg_len, 0, 0, &Impl::on_message, &s);
      if (ret < 0) {
        ++s.stats.verdict_errors;
        LOG_WARN("verdict queue %u: %s", s.options.queue_num, std::strerror(errno));
      }
      if (s.flush_now) {
        // 1 ms since the round began: the verdict for what was handled so
        // far goes now; what this round read besides gets the final one.
        s.flush_now = false;
        if (auto v = s.flush_verdict(); !v && !failure) failure = v.error();
      }
    }
    more = static_cast<std::size_t>(got) == s.msgs.size();
    break;
  }
  s.handler = nullptr;
  // Even when recv failed: every packet we saw gets its verdict.
  auto verdict = s.flush_verdict();
  if (failure) return *failure;
  if (!verdict) return verdict.error();
  return Round{s.handled, more};
}

Result<std::size_t> Queue::drain(const std::function<void(const QueuedPacket&)>& on_packet) {
  struct Adapter final : PacketHandler {
    const std::function<void(const QueuedPacket&)>& f;
    explicit Adapter(const std::function<void(const QueuedPacket&)>& fn) : f(fn) {}
    void on_packet(const QueuedPacket& p) override { f(p); }
  } adapter(on_packet);
  std::size_t handled = 0;
  for (;;) {
    auto round = drain_round(adapter);
    if (!round) return round.error();
    handled += round->handled;
    if (!round->more) return handled;
  }
}

std::optional<KernelDrops> Queue::kernel_drops() const {
  auto drops = read_kernel_drops(impl_->options.queue_num);
  if (!drops) return std::nullopt;
  return *drops;
}

std::optional<KernelDrops> parse_kernel_drops(std::string_view text, std::uint16_t queue_num) {
  while (!text.empty()) {
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    // Nine whitespace-separated decimal fields (the last may be negative:
    // it is the constant 1 today).
    std::uint64_t fields[8] = {};
    std::size_t n = 0;
    bool bad = false;
    while (!line.empty() && n < 9) {
      const auto start = line.find_first_not_of(" \t");
      if (start == std::string_view::npos) break;
      line.remove_prefix(start);
      const auto end = line.find_first_of(" \t");
      const std::string_view word = line.substr(0, end);
      line = end == std::string_view::npos ? std::string_view{} : line.substr(end);
      if (n < 8) {
        const auto r = std::from_chars(word.data(), word.data() + word.size(), fields[n]);
        if (r.ec != std::errc{} || r.ptr != word.data() + word.size()) {
          bad = true;
          break;
        }
      }
      ++n;
    }
    if (bad || n < 8) continue;
    if (fields[0] != queue_num) continue;
    return KernelDrops{fields[2], fields[5], fields[6]};
  }
  return std::nullopt;
}

// open/read, not std::ifstream: no iostream in the daemon (its locale and
// stream machinery would be linked for this one file; docs/performance.md, "Size").
Result<KernelDrops> read_kernel_drops(std::uint16_t queue_num, const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(errno, "read " + path);
  std::string text;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return make_error(err, "read " + path);
    }
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  auto drops = parse_kernel_drops(text, queue_num);
  if (!drops) return make_error(ENOENT, "read " + path + ": no line for queue " + std::to_string(queue_num));
  return *drops;
}

}  // namespace captive::nfq
