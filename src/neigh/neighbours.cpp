// Source address -> MAC from the kernel's neighbour table over rtnetlink.
#include "captive/neigh/neighbours.hpp"

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <utility>

namespace captive::neigh {
namespace {

using packet::IpAddr;
using packet::MacAddr;

// Big enough for one datagram of a neighbour dump (the kernel fills up to
// min(our buffer, 32 KiB) per datagram; MNL_SOCKET_DUMP_SIZE is 32 KiB).
constexpr std::size_t kReceiveSize = 32 * 1024;

// States in which NDA_LLADDR is not (or no longer) a real answer.
constexpr std::uint16_t kUnusableStates = NUD_INCOMPLETE | NUD_FAILED;

int family_of(IpAddr::Family f) { return f == IpAddr::Family::v4 ? AF_INET : AF_INET6; }

mnl_socket* sock(void* p) { return static_cast<mnl_socket*>(p); }

Error errno_lookup(const IpAddr& addr) {
  const int err = errno;
  return make_error(err, "neighbour lookup " + addr.to_string());
}

struct Match {
  int ifindex;
  const IpAddr* addr;
  std::optional<MacAddr> mac;
};

int on_message(const nlmsghdr* nlh, void* data) {
  auto* m = static_cast<Match*>(data);
  if (m->mac) return MNL_CB_OK;  // first match wins; keep reading to the end
  m->mac = match_neighbour(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(nlh), nlh->nlmsg_len),
      m->ifindex, *m->addr);
  return MNL_CB_OK;
}

struct Collect {
  std::function<std::optional<Neighbour>(std::span<const std::byte>)> ours;
  MacAddr mac;
  std::vector<IpAddr> addresses;
};

int on_entry(const nlmsghdr* nlh, void* data) {
  auto* c = static_cast<Collect*>(data);
  auto found = c->ours(std::span<const std::byte>(reinterpret_cast<const std::byte*>(nlh), nlh->nlmsg_len));
  if (found && found->mac == c->mac) c->addresses.push_back(found->address);
  return MNL_CB_OK;
}

}  // namespace

std::size_t build_get_request(std::span<std::byte> buf, int ifindex, const IpAddr& addr,
                              std::uint32_t seq) {
  if (buf.size() < kRequestSize) return 0;
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETNEIGH;
  // No NLM_F_DUMP: neigh_get() (Linux 4.19). NLM_F_ACK so the answer is
  // followed by an ack and the reader knows where it ends.
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = seq;
  // neigh_valid_get_req() wants state, type, flags and pads zero, the
  // device set and NDA_DST as the only attribute.
  auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  ndm->ndm_family = static_cast<std::uint8_t>(family_of(addr.family));
  ndm->ndm_ifindex = ifindex;
  mnl_attr_put(nlh, NDA_DST, addr.size(), addr.bytes.data());  // NDA_DST
  return nlh->nlmsg_len;
}

std::size_t build_dump_request(std::span<std::byte> buf, IpAddr::Family family,
                               std::uint32_t seq) {
  if (buf.size() < kRequestSize) return 0;
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETNEIGH;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq;
  auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  ndm->ndm_family = static_cast<std::uint8_t>(family_of(family));
  return nlh->nlmsg_len;
}

std::optional<Neighbour> parse_neighbour(std::span<const std::byte> message, int ifindex) {
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(message.data());
  if (message.size() > static_cast<std::size_t>(INT32_MAX) ||
      !mnl_nlmsg_ok(nlh, static_cast<int>(message.size())) ||
      // mnl_nlmsg_ok compares (int)nlmsg_len: a length >= 2^31 passes it (fuzz findings).
      // Nor may the attribute walk (to MNL_ALIGN(nlmsg_len)) leave the span.
      ((std::size_t{nlh->nlmsg_len} + 3) & ~std::size_t{3}) > message.size() ||
      nlh->nlmsg_type != RTM_NEWNEIGH ||
      nlh->nlmsg_len < mnl_nlmsg_size(sizeof(ndmsg))) {
    return std::nullopt;
  }
  ndmsg ndm;
  std::memcpy(&ndm, mnl_nlmsg_get_payload(nlh), sizeof(ndm));
  if ((ndm.ndm_family != AF_INET && ndm.ndm_family != AF_INET6) || ndm.ndm_ifindex != ifindex) return std::nullopt;
  if (ndm.ndm_state == NUD_NONE || (ndm.ndm_state & kUnusableStates) != 0) return std::nullopt;

  // Attribute table, libmnl style: mnl_attr_parse checks every header
  // against the message length.
  const nlattr* tb[NDA_MAX + 1] = {};
  const auto collect = [](const nlattr* attr, void* data) -> int {
    const auto type = mnl_attr_get_type(attr);
    if (type <= NDA_MAX) static_cast<const nlattr**>(data)[type] = attr;
    return MNL_CB_OK;
  };
  if (mnl_attr_parse(nlh, sizeof(ndmsg), collect, tb) < 0) return std::nullopt;
  const nlattr* dst = tb[NDA_DST];
  const nlattr* lladdr = tb[NDA_LLADDR];
  if (dst == nullptr || lladdr == nullptr) return std::nullopt;
  Neighbour found;
  const std::size_t dst_size = ndm.ndm_family == AF_INET ? 4 : 16;
  if (mnl_attr_get_payload_len(dst) != dst_size) return std::nullopt;
  const auto* dst_bytes = static_cast<const std::uint8_t*>(mnl_attr_get_payload(dst));
  found.address = ndm.ndm_family == AF_INET ? IpAddr::v4(dst_bytes) : IpAddr::v6(dst_bytes);
  if (mnl_attr_get_payload_len(lladdr) != found.mac.bytes.size()) return std::nullopt;
  std::memcpy(found.mac.bytes.data(), mnl_attr_get_payload(lladdr), found.mac.bytes.size());
  return found;
}

std::optional<MacAddr> match_neighbour(std::span<const std::byte> message, int ifindex,
                                       const IpAddr& addr) {
  auto found = parse_neighbour(message, ifindex);
  if (!found || found->address.family != addr.family ||
      std::memcmp(found->address.bytes.data(), addr.bytes.data(), addr.size()) != 0) {
    return std::nullopt;
  }
  return found->mac;
}

Result<NeighbourTable> NeighbourTable::open(int ifindex) { return open(std::vector<int>{ifindex}); }

Result<NeighbourTable> NeighbourTable::open(std::vector<int> ifindexes) {
  mnl_socket* nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (nl == nullptr) return errno_error("open neighbour table");
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    Error e = errno_error("open neighbour table");
    mnl_socket_close(nl);
    return e;
  }
  // NETLINK_GET_STRICT_CHK (4.20): have the kernel reject a malformed get
  // request rather than guess; best effort.
  int one = 1;
  (void)mnl_socket_setsockopt(nl, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
  (void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
  return NeighbourTable(std::move(ifindexes), nl);
}

NeighbourTable::NeighbourTable(NeighbourTable&& other) noexcept
    : ifindexes_(std::move(other.ifindexes_)),
      socket_(std::exchange(other.socket_, nullptr)),
      seq_(other.seq_),
      get_supported_(other.get_supported_) {}

NeighbourTable& NeighbourTable::operator=(NeighbourTable&& other) noexcept {
  if (this != &other) {
    if (socket_ != nullptr) mnl_socket_close(sock(socket_));
    ifindexes_ = std::move(other.ifindexes_);
    socket_ = std::exchange(other.socket_, nullptr);
    seq_ = other.seq_;
    get_supported_ = other.get_supported_;
  }
  return *this;
}

NeighbourTable::~NeighbourTable() {
  if (socket_ != nullptr) mnl_socket_close(sock(socket_));
}

std::optional<Neighbour> NeighbourTable::ours(std::span<const std::byte> message) const {
  for (int ifindex : ifindexes_)
    if (auto found = parse_neighbour(message, ifindex)) return found;
  return std::nullopt;
}

Result<std::optional<MacAddr>> NeighbourTable::lookup(const IpAddr& requested) {
  // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d.
  const IpAddr addr = requested.unmapped();
  // Each LAN's table in turn: an address belongs to one LAN's subnet, and
  // a per-device get is what the kernel answers cheaply (neigh_get()).
  for (int ifindex : ifindexes_) {
    auto found = lookup_on(ifindex, addr);
    if (!found || *found) return found;
  }
  return std::optional<MacAddr>{};
}

Result<std::optional<MacAddr>> NeighbourTable::lookup_on(int ifindex, const IpAddr& addr) {
  mnl_socket* nl = sock(socket_);
  const int fd = mnl_socket_get_fd(nl);
  const unsigned portid = mnl_socket_get_portid(nl);
  // Not the packet path: a stack buffer is fine (sign-in requests only).
  alignas(nlmsghdr) std::byte buf[kReceiveSize];

  // Left-overs of an earlier lookup that failed half-way would fail the
  // sequence check below; throw them away.
  while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
  }

  // The per-address get (Linux >= 4.19) costs one entry; the dump (any
  // kernel) copies the whole table of the family, which on a busy LAN is
  // thousands of entries. Fall back to the dump only if the kernel refuses.
  for (bool dump : {false, true}) {
    if (!dump && !get_supported_) continue;
    const std::uint32_t seq = ++seq_;
    const std::size_t len = dump ? build_dump_request(buf, addr.family, seq)
                                 : build_get_request(buf, ifindex, addr, seq);
    if (mnl_socket_sendto(nl, buf, len) < 0) return errno_lookup(addr);
    Match match{ifindex, &addr, std::nullopt};
    int ret = MNL_CB_OK;  // EINTR: read again
    do {
      const ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_lookup(addr);
      }
      ret = mnl_cb_run(buf, static_cast<std::size_t>(n), seq, portid, &on_message, &match);
    } while (ret > MNL_CB_STOP);
    if (ret == MNL_CB_STOP) return match.mac;  // ack (get) or NLMSG_DONE (dump)
    if (!dump && errno == ENOENT) return std::optional<MacAddr>{};  // "Neighbour entry not found"
    if (!dump && (errno == EOPNOTSUPP || errno == EINVAL)) {
      get_supported_ = false;  // kernel < 4.19: no doit for RTM_GETNEIGH
      continue;
    }
    return errno_lookup(addr);
  }
  return std::optional<MacAddr>{};
}

Result<std::vector<IpAddr>> NeighbourTable::addresses_of(const MacAddr& mac) {
  mnl_socket* nl = sock(socket_);
  const int fd = mnl_socket_get_fd(nl);
  const unsigned portid = mnl_socket_get_portid(nl);
  alignas(nlmsghdr) std::byte buf[kReceiveSize];
  while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
  }
  // There is no lookup by link-layer address: dump each family's table (a
  // session end, not a page load, pays for it) and keep this MAC's entries.
  Collect collect{[this](std::span<const std::byte> m) { return ours(m); }, mac, {}};
  for (IpAddr::Family family : {IpAddr::Family::v4, IpAddr::Family::v6}) {
    const std::uint32_t seq = ++seq_;
    const std::size_t len = build_dump_request(buf, family, seq);
    const char* what = family == IpAddr::Family::v4 ? "neighbour dump (IPv4) for " : "neighbour dump (IPv6) for ";
    if (mnl_socket_sendto(nl, buf, len) < 0) return errno_error(what + mac.to_string());
    int ret = MNL_CB_OK;
    do {
      const ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_error(what + mac.to_string());
      }
      ret = mnl_cb_run(buf, static_cast<std::size_t>(n), seq, portid, &on_entry, &collect);
    } while (ret > MNL_CB_STOP);
    if (ret < 0) return errno_error(what + mac.to_string());
  }
  return std::move(collect.addresses);
}

Result<std::vector<Neighbour>> NeighbourTable::entries() {
  mnl_socket* nl = sock(socket_);
  const int fd = mnl_socket_get_fd(nl);
  const unsigned portid = mnl_socket_get_portid(nl);
  alignas(nlmsghdr) std::byte buf[kReceiveSize];
  while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
  }
  struct Entries {
    const NeighbourTable* table;
    std::vector<Neighbour> found;
  } collect{this, {}};
  for (IpAddr::Family family : {IpAddr::Family::v4, IpAddr::Family::v6}) {
    const std::uint32_t seq = ++seq_;
    const std::size_t len = build_dump_request(buf, family, seq);
    if (mnl_socket_sendto(nl, buf, len) < 0) return errno_error("neighbour dump");
    int ret = MNL_CB_OK;
    do {
      const ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_error("neighbour dump");
      }
      ret = mnl_cb_run(buf, static_cast<std::size_t>(n), seq, portid,
                       [](const nlmsghdr* nlh, void* data) -> int {
                         auto* c = static_cast<Entries*>(data);
                         if (auto found = c->table->ours(
                                 std::span<const std::byte>(reinterpret_cast<const std::byte*>(nlh), nlh->nlmsg_len)))
                           c->found.push_back(*found);
                         return MNL_CB_OK;
                       },
                       &collect);
    } while (ret > MNL_CB_STOP);
    if (ret < 0) return errno_error("neighbour dump");
  }
  return std::move(collect.found);
}

}  // namespace captive::neigh
