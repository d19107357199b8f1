#include "captive/nft/table_watch.hpp"

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

namespace captive::nft {
namespace {

constexpr std::size_t kRecvBufferSize = 64 * 1024;
constexpr std::uint8_t kFamilyInet = 1;  // NFPROTO_INET

// NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, NFTA_SET_TABLE and NFTA_RULE_TABLE are
// all attribute 1: the table an event is about.
constexpr std::uint16_t kTableAttr = 1;
static_assert(NFTA_TABLE_NAME == kTableAttr && NFTA_CHAIN_TABLE == kTableAttr && NFTA_SET_TABLE == kTableAttr &&
              NFTA_RULE_TABLE == kTableAttr);

// The string attribute `type` of an nftables message, if present.
std::string_view string_attr(const nlmsghdr* nlh, std::size_t len, std::uint16_t type) {
  std::size_t offset = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
  while (offset + sizeof(nlattr) <= len) {
    nlattr attr;
    std::memcpy(&attr, reinterpret_cast<const char*>(nlh) + offset, sizeof attr);
    if (attr.nla_len < sizeof(nlattr) || offset + attr.nla_len > len) break;
    if ((attr.nla_type & NLA_TYPE_MASK) == type) {
      const char* p = reinterpret_cast<const char*>(nlh) + offset + sizeof(nlattr);
      std::size_t n = attr.nla_len - sizeof(nlattr);
      return std::string_view(p, strnlen(p, n));
    }
    offset += NLA_ALIGN(attr.nla_len);
  }
  return {};
}

}  // namespace

Change classify_event(std::span<const std::byte> msg, const Names& names, std::uint32_t own_portid) {
  if (msg.size() < NLMSG_HDRLEN + sizeof(nfgenmsg)) return Change::none;
  alignas(nlmsghdr) std::byte header[NLMSG_HDRLEN + sizeof(nfgenmsg)];
  std::memcpy(header, msg.data(), sizeof header);
  auto* nlh = reinterpret_cast<const nlmsghdr*>(header);
  std::size_t len = std::min<std::size_t>(nlh->nlmsg_len, msg.size());
  if (len < sizeof header || (nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) return Change::none;
  if (nlh->nlmsg_pid == own_portid && own_portid != 0) return Change::none;
  auto* gen = reinterpret_cast<const nfgenmsg*>(header + NLMSG_HDRLEN);
  if (gen->nfgen_family != kFamilyInet) return Change::none;

  const std::uint16_t type = nlh->nlmsg_type & 0xff;
  auto* whole = reinterpret_cast<const nlmsghdr*>(msg.data());
  if (string_attr(whole, len, kTableAttr) != names.table) return Change::none;
  switch (type) {
    case NFT_MSG_DELTABLE:
    case NFT_MSG_DELCHAIN:
      return Change::sessions;
    case NFT_MSG_DELSET:
      return string_attr(whole, len, NFTA_SET_NAME) == names.set ? Change::sessions : Change::none;
    case NFT_MSG_DELRULE:
      // Chain intercept: our queue rule. Any other chain of ours: `nft
      // flush table inet captive` (or a rule deleted by hand) leaves table,
      // sets and chains but takes the enforcement with it; the reconcile's
      // check_ruleset sees the empty base chains and loads the table again.
      return Change::queue_rule;
    default:
      return Change::none;
  }
}

bool is_transaction_end(std::span<const std::byte> msg) {
  if (msg.size() < NLMSG_HDRLEN) return false;
  nlmsghdr nlh;
  std::memcpy(&nlh, msg.data(), sizeof nlh);
  return nlh.nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN);
}

struct TableWatch::Impl {
  mnl_socket* nl = nullptr;
  Names names;
  std::vector<std::byte> rx = std::vector<std::byte>(kRecvBufferSize);
  ~Impl() {
    if (nl != nullptr) mnl_socket_close(nl);
  }
};

TableWatch::TableWatch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TableWatch::TableWatch(TableWatch&&) noexcept = default;
TableWatch& TableWatch::operator=(TableWatch&&) noexcept = default;
TableWatch::~TableWatch() = default;

Result<TableWatch> TableWatch::open(Names names) {
  auto impl = std::make_unique<Impl>();
  impl->names = std::move(names);
  impl->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (impl->nl == nullptr) return errno_error("watch nftables: open netlink socket");
  // NFNLGRP_NFTABLES: every committed ruleset change, from anyone.
  if (mnl_socket_bind(impl->nl, 1u << (NFNLGRP_NFTABLES - 1), MNL_SOCKET_AUTOPID) < 0)
    return errno_error("watch nftables: join group NFNLGRP_NFTABLES");
  // Room for the events of a big transaction (each set element is one);
  // what does not fit is ENOBUFS, which we handle, but fewer is better.
  int size = 4 << 20;
  int fd = mnl_socket_get_fd(impl->nl);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  return TableWatch(std::move(impl));
}

int TableWatch::fd() const { return mnl_socket_get_fd(impl_->nl); }

Result<Events> TableWatch::read(std::uint32_t own_portid) {
  Events events;
  Change& biggest = events.change;
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(impl_->nl, impl_->rx.data(), impl_->rx.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return events;
      if (errno == ENOBUFS) {
        biggest = std::max(biggest, Change::unknown);
        continue;
      }
      return errno_error("watch nftables: receive");
    }
    int left = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(impl_->rx.data()); mnl_nlmsg_ok(nlh, left);
         nlh = mnl_nlmsg_next(nlh, &left)) {
      const auto msg = std::span(reinterpret_cast<const std::byte*>(nlh), nlh->nlmsg_len);
      biggest = std::max(biggest, classify_event(msg, impl_->names, own_portid));
      if (is_transaction_end(msg)) events.transaction_end = true;
    }
  }
}

}  // namespace captive::nft
