// The nft adapter: owns one NETLINK_NETFILTER socket; messages come from the
// pure builders of set_elements.cpp, rules.cpp and objects.cpp. Every change is one batch whose messages all
// carry NLM_F_ACK; we wait for one answer per message and report the first
// kernel error with what we tried. See docs/ruleset.md.
#include "captive/nft/netlink.hpp"

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <cerrno>
#include <ctime>
#include <functional>
#include <map>
#include <random>
#include <unordered_map>

#include "captive/nft/batch.hpp"
#include "captive/nft/objects.hpp"
#include "captive/nft/rules.hpp"
#include "captive/nft/set_elements.hpp"
#include "captive/util/log.hpp"

namespace captive::nft {
namespace {

// Dumps come in datagrams of up to 32 KiB (netlink_dump: max(16 KiB,
// recvmsg size)); a smaller buffer would truncate them (MSG_TRUNC).
constexpr std::size_t kRecvBufferSize = 64 * 1024;
// The kernel always answers a request; this only bounds a wait on a wedged
// kernel so the daemon's event loop does not hang forever.
constexpr int kRecvTimeoutSeconds = 5;
// One batch holds at most this many acked messages (build_setelem_add: 3;
// a bulk batch: kBulkBufferSize / kMaxBulkMessage).
constexpr std::size_t kMaxAcked = 16;
// Bulk adds go out in batches of at most this size (4 groups of 256
// sessions, 3 elements each, without rates), under the default netlink
// send buffer (wmem_default, 208 KiB; a bigger message is EMSGSIZE).
constexpr std::size_t kBulkBufferSize = 192 * 1024;
static_assert(kMaxBulkMessages < kMaxAcked);

// Called for every message of an answer that is not an error/ack/done.
using DataFn = std::function<Result<void>(std::span<const std::byte>)>;

}  // namespace

struct Netlink::Impl {
  mnl_socket* nl = nullptr;
  std::uint32_t portid = 0;
  std::uint32_t seq = 0;
  Names names;
  // The mark of each session we added or listed (a re-add keeps it: the
  // first NEWSETELEM of build_session_add must carry the element's mark),
  // and which marks are taken.
  std::map<packet::MacAddr, Mark> marks;
  std::unordered_map<Mark, packet::MacAddr> owners;
  Mark next_mark = 0;
  alignas(8) std::array<std::byte, kSessionBatchBufferSize> tx{};
  std::vector<std::byte> rx = std::vector<std::byte>(kRecvBufferSize);

  ~Impl() {
    if (nl != nullptr) mnl_socket_close(nl);
  }

  std::string set_name() const { return "set inet " + names.table + " " + names.set; }
  std::string set_name(const Key& key) const { return "set inet " + names.table + " " + names.set_for(key); }
  std::string chain_name() const { return "chain inet " + names.table + " " + names.chain; }

  // Next sequence number block; a batch uses seq .. seq+16.
  std::uint32_t next_seq() {
    seq += 32;
    return seq;
  }

  // The key's mark if we know one, else a free one (never 0).
  Mark mark_for(const packet::MacAddr& key) {
    if (auto it = marks.find(key); it != marks.end()) return it->second;
    do ++next_mark;
    while (next_mark == 0 || owners.count(next_mark) != 0);
    return next_mark;
  }
  void remember(const packet::MacAddr& key, Mark mark) {
    if (auto it = marks.find(key); it != marks.end() && it->second != mark) owners.erase(it->second);
    if (auto it = owners.find(mark); it != owners.end() && it->second != key) marks.erase(it->second);
    marks[key] = mark;
    owners[mark] = key;
  }
  void forget(const packet::MacAddr& key) {
    if (auto it = marks.find(key); it != marks.end()) {
      owners.erase(it->second);
      marks.erase(it);
    }
  }

  Result<void> send(std::size_t len, const std::string& what) { return send(std::span(tx.data(), len), what); }

  Result<void> send(std::span<const std::byte> msg, const std::string& what) {
    std::size_t len = msg.size();
    if (len == 0) return make_error(EINVAL, what + ": message does not fit / bad names");
    ssize_t n = mnl_socket_sendto(nl, msg.data(), len);
    if (n < 0) return errno_error(what);
    if (static_cast<std::size_t>(n) != len) return make_error(EMSGSIZE, what);
    return {};
  }

  Result<std::span<const std::byte>> recv(const std::string& what) {
    ssize_t n = mnl_socket_recvfrom(nl, rx.data(), rx.size());
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return make_error(ETIMEDOUT, what + ": no answer");
      return errno_error(what);
    }
    return std::span<const std::byte>(rx.data(), static_cast<std::size_t>(n));
  }

  // Sends the batch in tx[0, len) and waits for one answer per NLM_F_ACK
  // message in it. Returns the first kernel error (the whole batch is then
  // aborted by the kernel), with `what` as context. Blocks until the kernel
  // answers (at most kRecvTimeoutSeconds).
  Result<void> talk_batch(std::size_t len, const std::string& what) {
    return talk_batch(std::span<const std::byte>(tx.data(), len), what);
  }

  Result<void> talk_batch(std::span<const std::byte> batch, const std::string& what) {
    const std::size_t len = batch.size();
    std::array<std::uint32_t, kMaxAcked> pending{};
    std::size_t npending = 0;
    // A batch refused as a whole (no CAP_NET_ADMIN: EPERM) is answered by a
    // single error for NFNL_MSG_BATCH_BEGIN and no per-message answers.
    const std::uint32_t begin_seq = len >= sizeof(nlmsghdr)
                                        ? reinterpret_cast<const nlmsghdr*>(batch.data())->nlmsg_seq
                                        : 0;
    int left = static_cast<int>(len);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(batch.data()); mnl_nlmsg_ok(nlh, left);
         nlh = mnl_nlmsg_next(nlh, &left)) {
      if ((nlh->nlmsg_flags & NLM_F_ACK) != 0 && npending < pending.size())
        pending[npending++] = nlh->nlmsg_seq;
    }
    if (auto r = send(batch, what); !r) return r;

    int first_error = 0;
    while (npending > 0) {
      auto got = recv(what);
      if (!got) return got.error();
      int n = static_cast<int>(got->size());
      for (auto* nlh = reinterpret_cast<const nlmsghdr*>(got->data()); mnl_nlmsg_ok(nlh, n);
           nlh = mnl_nlmsg_next(nlh, &n)) {
        if (nlh->nlmsg_type != NLMSG_ERROR) continue;  // no echo asked; ignore anything else
        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr))) continue;
        auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        if (nlh->nlmsg_seq == begin_seq && err->error != 0) return make_error(-err->error, what);
        for (std::size_t i = 0; i < npending; ++i) {
          if (pending[i] != nlh->nlmsg_seq) continue;
          if (err->error != 0 && first_error == 0) first_error = -err->error;
          pending[i] = pending[--npending];
          break;
        }
      }
    }
    if (first_error != 0) return make_error(first_error, what);
    return {};
  }

  // Sends the plain request in tx[0, len) and reads the answer up to its
  // ack (GET) or NLMSG_DONE (dump), handing every data message to `on_data`.
  Result<void> talk_request(std::size_t len, std::uint32_t req_seq, const std::string& what,
                            const DataFn& on_data) {
    if (auto r = send(len, what); !r) return r;
    for (;;) {
      auto got = recv(what);
      if (!got) return got.error();
      int n = static_cast<int>(got->size());
      for (auto* nlh = reinterpret_cast<const nlmsghdr*>(got->data()); mnl_nlmsg_ok(nlh, n);
           nlh = mnl_nlmsg_next(nlh, &n)) {
        if (nlh->nlmsg_seq != req_seq || nlh->nlmsg_pid != portid) continue;
        if (nlh->nlmsg_type == NLMSG_ERROR) {
          if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr))) return make_error(EBADMSG, what);
          auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
          if (err->error != 0) return make_error(-err->error, what);
          return {};  // the ack that ends a GET
        }
        if (nlh->nlmsg_type == NLMSG_DONE) {
          // A dump may end with an error code in NLMSG_DONE's payload.
          if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(int))) {
            int code = *static_cast<const int*>(mnl_nlmsg_get_payload(nlh));
            if (code < 0) return make_error(-code, what);
          }
          return {};
        }
        if (on_data) {
          auto r = on_data(std::span<const std::byte>(reinterpret_cast<const std::byte*>(nlh),
                                                      nlh->nlmsg_len));
          if (!r) return r;
        }
      }
    }
  }
};

Netlink::Netlink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Netlink::Netlink(Netlink&&) noexcept = default;
Netlink& Netlink::operator=(Netlink&&) noexcept = default;
Netlink::~Netlink() = default;

Result<Netlink> Netlink::open(Names names) {
  if (!names_valid(names)) return make_error(EINVAL, "nft names (table/set/chain) invalid");
  auto impl = std::make_unique<Impl>();
  impl->names = std::move(names);
  impl->nl = mnl_socket_open(NETLINK_NETFILTER);
  if (impl->nl == nullptr) return errno_error("open netlink socket NETLINK_NETFILTER");
  if (mnl_socket_bind(impl->nl, 0, MNL_SOCKET_AUTOPID) < 0) return errno_error("bind netlink socket");
  impl->portid = mnl_socket_get_portid(impl->nl);
  int one = 1;
  // Errors need not echo our whole request back (NETLINK_CAP_ACK); best effort.
  (void)mnl_socket_setsockopt(impl->nl, NETLINK_CAP_ACK, &one, sizeof(one));
  timeval tv{kRecvTimeoutSeconds, 0};
  if (setsockopt(mnl_socket_get_fd(impl->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
    return errno_error("set SO_RCVTIMEO on netlink socket");
  impl->seq = static_cast<std::uint32_t>(std::time(nullptr));
  // Marks of a daemon that ran before are learnt from the maps (list());
  // starting at random keeps a new one off them even before that.
  impl->next_mark = std::random_device{}();
  return Netlink(std::move(impl));
}

Result<void> Netlink::check_ruleset() {
  Impl& m = *impl_;
  const std::string hint = ": run scripts/install-ruleset --lan IFACE";
  struct Item {
    Object object;
    std::string name;
  };
  struct Lookup {
    Item item;
    Names names;
  };
  const auto with_set = [&m](const std::string& set) {
    Names n = m.names;
    n.set = set;
    return n;
  };
  Names ip4 = m.names, ip6 = m.names;
  ip4.set = m.names.set_ip4;
  ip6.set = m.names.set_ip6;
  const Lookup lookups[] = {
      {{Object::table, "table inet " + m.names.table}, m.names},
      {{Object::set, m.set_name()}, m.names},
      {{Object::set, "set inet " + m.names.table + " " + ip4.set}, ip4},
      {{Object::set, "set inet " + m.names.table + " " + ip6.set}, ip6},
      {{Object::set, "set inet " + m.names.table + " " + m.names.marks}, with_set(m.names.marks)},
      {{Object::set, "set inet " + m.names.table + " " + m.names.set_down}, with_set(m.names.set_down)},
      {{Object::set, "set inet " + m.names.table + " " + m.names.rate_up}, with_set(m.names.rate_up)},
      {{Object::set, "set inet " + m.names.table + " " + m.names.rate_down}, with_set(m.names.rate_down)},
      {{Object::chain, m.chain_name()}, m.names},
  };
  for (const auto& [item, names] : lookups) {
    std::uint32_t seq = m.next_seq();
    std::size_t len = build_get(m.tx, seq, names, item.object);
    auto r = m.talk_request(len, seq, "look up " + item.name, nullptr);
    if (!r) {
      if (r.error().code == ENOENT) return make_error(ENOENT, item.name + " missing" + hint);
      return r;
    }
  }
  // Every object above survives `nft flush table inet captive`, which
  // empties every chain: enforcement (forward) and interception
  // (prerouting) gone. A base chain without rules is a table to load again.
  for (const char* chain : {"prerouting", "forward"}) {
    Names n = m.names;
    n.chain = chain;
    std::uint32_t seq = m.next_seq();
    std::size_t rules = 0;
    const std::string name = "chain inet " + m.names.table + " " + chain;
    auto r = m.talk_request(build_rule_dump(m.tx, seq, n), seq, "list " + name,
                            [&rules](std::span<const std::byte> msg) -> Result<void> {
                              auto* nlh = reinterpret_cast<const nlmsghdr*>(msg.data());
                              if ((nlh->nlmsg_type & 0xff) == NFT_MSG_NEWRULE) ++rules;
                              return {};
                            });
    if (!r) return r.error().code == ENOENT ? make_error(ENOENT, name + " missing" + hint) : r;
    if (rules == 0) return make_error(ENOENT, name + " has no rules (flushed)" + hint);
  }
  return {};
}

Result<QueueKind> Netlink::install_queue_rule(const QueueRule& rule) {
  Impl& m = *impl_;
  const std::string what = "install queue rule (queue num " + std::to_string(rule.queue_num) +
                           ") in " + m.chain_name();
  std::uint32_t seq = m.next_seq();
  auto r = m.talk_batch(build_queue_rule(m.tx, seq, m.names, rule, QueueKind::native),
                        what + " with native queue");
  if (r) {
    LOG_INFO("queue rule installed: %s", queue_kind_name(QueueKind::native));
    return QueueKind::native;
  }
  // ENOENT: no expression type "queue" (kernel without CONFIG_NFT_QUEUE /
  // kmod-nft-queue) - or no chain, which the compat try reports the same way.
  if (r.error().code != ENOENT) return r.error();
  seq = m.next_seq();
  r = m.talk_batch(build_queue_rule(m.tx, seq, m.names, rule, QueueKind::compat),
                   what + " with xt NFQUEUE (nft_compat; native queue: ENOENT)");
  if (r) {
    LOG_INFO("queue rule installed: %s (no native nft queue in this kernel)",
             queue_kind_name(QueueKind::compat));
    return QueueKind::compat;
  }
  if (r.error().code == ENOENT) {
    // Tell "ruleset not installed" apart from "kernel has neither".
    if (auto c = check_ruleset(); !c) return c.error();
    return make_error(ENOENT, what + ": kernel has neither nft queue (CONFIG_NFT_QUEUE, "
                                     "kmod-nft-queue) nor xt NFQUEUE via nft_compat");
  }
  return r.error();
}

Result<void> Netlink::remove_queue_rule() {
  Impl& m = *impl_;
  std::uint32_t seq = m.next_seq();
  return m.talk_batch(build_chain_flush(m.tx, seq, m.names), "flush " + m.chain_name());
}

Result<bool> Netlink::queue_rule_present() {
  Impl& m = *impl_;
  std::uint32_t seq = m.next_seq();
  std::size_t rules = 0;
  auto r = m.talk_request(build_rule_dump(m.tx, seq, m.names), seq, "list " + m.chain_name(),
                          [&rules](std::span<const std::byte> msg) -> Result<void> {
                            auto* nlh = reinterpret_cast<const nlmsghdr*>(msg.data());
                            if ((nlh->nlmsg_type & 0xff) == NFT_MSG_NEWRULE) ++rules;
                            return {};
                          });
  if (!r) return r.error();
  return rules > 0;
}

Result<void> Netlink::add(const Key& key, std::chrono::seconds timeout) { return add(ElementSpec{key, timeout}); }

Result<void> Netlink::add(const ElementSpec& requested) {
  Impl& m = *impl_;
  const std::string what = "add " + requested.key.to_string() + " to " + m.set_name(requested.key);
  if (requested.timeout.count() < 0) return make_error(EINVAL, what + ": negative timeout");
  ElementSpec spec = requested;
  if (spec.mark == 0) spec.mark = m.mark_for(spec.key.mac);
  std::uint32_t seq = m.next_seq();
  auto r = m.talk_batch(build_session_add(m.tx, seq, m.names, spec), what);
  if (!r && r.error().code == EBUSY && requested.mark == 0) {
    // The MAC is in `session_marks` with another mark (added by a daemon
    // before us, not listed since): learn it and try once more.
    if (auto l = list(); !l) return l.error();
    spec.mark = m.mark_for(spec.key.mac);
    seq = m.next_seq();
    r = m.talk_batch(build_session_add(m.tx, seq, m.names, spec), what);
  }
  if (r) m.remember(spec.key.mac, spec.mark);
  return r;
}

Result<void> Netlink::add_many(std::span<const ElementSpec> requested) {
  Impl& m = *impl_;
  std::vector<ElementSpec> specs(requested.begin(), requested.end());  // one allocation per restore
  for (ElementSpec& spec : specs) {
    if (spec.mark == 0) spec.mark = m.mark_for(spec.key.mac);
    m.remember(spec.key.mac, spec.mark);
  }
  std::span<const ElementSpec> elements(specs);
  std::vector<std::byte> buf(kBulkBufferSize);  // one allocation per restore, not per element
  while (!elements.empty()) {
    std::uint32_t seq = m.next_seq();
    BulkBatch batch = build_setelem_add_many(buf, seq, m.names, elements);
    const std::string set = m.set_name(elements.front().key);
    if (batch.elements == 0) return make_error(EINVAL, "add elements to " + set + ": bad names");
    m.seq = seq + static_cast<std::uint32_t>(batch.messages) + 1;  // the batch used seq .. seq+messages+1
    auto r = m.talk_batch(std::span<const std::byte>(buf.data(), batch.length),
                          "add " + std::to_string(batch.elements) + " sessions to " + set);
    if (!r) return r;
    elements = elements.subspan(batch.elements);
  }
  return {};
}

std::uint32_t Netlink::portid() const { return impl_->portid; }

Result<void> Netlink::remove(const Key& key) {
  Impl& m = *impl_;
  if (m.marks.count(key.mac) == 0) {
    // Not added nor listed by us: its mark is in the kernel's map.
    if (auto l = list(); !l) return l.error();
  }
  auto known = m.marks.find(key.mac);
  const Mark mark = known != m.marks.end() ? known->second : 0;
  std::uint32_t seq = m.next_seq();
  auto r = m.talk_batch(build_session_del(m.tx, seq, m.names, key, mark),
                        "remove " + key.to_string() + " from " + m.set_name(key));
  if (r || r.error().code == ENOENT) m.forget(key.mac);
  return r;
}

Result<std::vector<Element>> Netlink::list() {
  Impl& m = *impl_;
  std::vector<Element> out;
  const auto dump = [&m](const std::string& set, const DataFn& on_data) {
    Names names = m.names;
    names.set = set;
    std::uint32_t seq = m.next_seq();
    return m.talk_request(build_setelem_dump(m.tx, seq, names), seq, "list set inet " + names.table + " " + set,
                          on_data);
  };
  for (const std::string* set : {&m.names.set, &m.names.set_ip4, &m.names.set_ip6}) {
    auto r = dump(*set, [&out](std::span<const std::byte> msg) { return parse_setelems(msg, out); });
    if (!r) return r.error();
  }
  std::vector<Element> marks;
  auto r = dump(m.names.marks, [&marks](std::span<const std::byte> msg) { return parse_setelems(msg, marks); });
  if (!r) return r.error();
  std::vector<MarkCounter> down;
  r = dump(m.names.set_down, [&down](std::span<const std::byte> msg) { return parse_mark_counters(msg, down); });
  if (!r) return r.error();
  join_sessions(out, marks, down);
  for (const Element& e : marks)
    if (e.mark != 0) m.remember(e.mac, e.mark);
  return out;
}

}  // namespace captive::nft
