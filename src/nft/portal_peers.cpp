// The portal's wire identity: see portal_peers.hpp.
#include "captive/nft/portal_peers.hpp"

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

namespace captive::nft {
namespace {

using packet::MacAddr;

constexpr std::size_t kMaxTable = 255;  // NFT_NAME_MAXLEN - 1
static_assert(kMaxTable < NFT_NAME_MAXLEN);

mnl_socket* sock(void* p) { return static_cast<mnl_socket*>(p); }

struct SetFree {
  void operator()(nftnl_set* s) const { nftnl_set_free(s); }
};

bool buffer_ok(std::span<std::byte> buf, std::string_view table) {
  return buf.size() >= kPortalPeerMessageSize && reinterpret_cast<std::uintptr_t>(buf.data()) % 4 == 0 &&
         !table.empty() && table.size() <= kMaxTable && table.find('\0') == std::string_view::npos;
}

std::size_t build(std::span<std::byte> buf, std::uint16_t type, std::uint32_t seq, std::string_view table,
                  const ElementKey& key, std::span<const std::uint8_t> data) {
  if (!buffer_ok(buf, table) || key.length == 0 || key.length > key.bytes.size() || key.set.empty() ||
      data.size() > 16)
    return 0;
  std::unique_ptr<nftnl_set, SetFree> s(nftnl_set_alloc());
  nftnl_set_elem* e = s ? nftnl_set_elem_alloc() : nullptr;
  if (e == nullptr) return 0;
  const std::string table_name(table);
  const std::string set_name(key.set);
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table_name.c_str());  // NFTA_SET_ELEM_LIST_TABLE
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, set_name.c_str());     // NFTA_SET_ELEM_LIST_SET
  nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key.bytes.data(), static_cast<std::uint32_t>(key.length));  // NFTA_SET_ELEM_KEY
  if (!data.empty())  // NFTA_SET_ELEM_DATA { NFTA_DATA_VALUE }
    nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data.data(), static_cast<std::uint32_t>(data.size()));
  nftnl_set_elem_add(s.get(), e);  // the set owns e now
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(reinterpret_cast<char*>(buf.data()), type, NFPROTO_INET, 0, seq);
  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
  return NLMSG_ALIGN(nlh->nlmsg_len);
}

void put(ElementKey& key, const void* bytes, std::size_t n, std::size_t padded) {
  std::memcpy(key.bytes.data() + key.length, bytes, n);
  key.length += padded;  // the rest stays zero
}

// The attributes inside [begin, end), each checked to lie inside before use
// (mnl_attr_ok); stops at the first that does not.
template <class F>
void for_each_attr(const void* begin, std::size_t len, F&& f) {
  const auto* a = static_cast<const nlattr*>(begin);
  int left = static_cast<int>(len);
  while (mnl_attr_ok(a, left)) {
    f(a);
    left -= static_cast<int>(MNL_ALIGN(a->nla_len));
    a = mnl_attr_next(a);
  }
}

bool nested(const nlattr* a) { return mnl_attr_validate(a, MNL_TYPE_NESTED) >= 0; }

// The NFTA_DATA_VALUE inside an NFTA_SET_ELEM_KEY / _DATA nest.
std::span<const std::uint8_t> data_value(const nlattr* nest) {
  std::span<const std::uint8_t> out;
  if (!nested(nest)) return out;
  for_each_attr(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), [&](const nlattr* a) {
    if (mnl_attr_get_type(a) == NFTA_DATA_VALUE)
      out = {static_cast<const std::uint8_t*>(mnl_attr_get_payload(a)), mnl_attr_get_payload_len(a)};
  });
  return out;
}

bool string_is(const nlattr* a, std::string_view want) {
  if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0) return false;
  return std::string_view(mnl_attr_get_str(a)) == want;
}

Error peer_error(const PortalPeer& peer, int err) {
  std::string what = "portal peer " + (peer.address.is_v4() ? peer.address.to_string()
                                                            : "[" + peer.address.to_string() + "]") +
                     ":" + std::to_string(peer.port);
  return make_error(err, what);
}

}  // namespace

ElementKey portal_peer_key(const PortalPeer& peer) {
  ElementKey key;
  if (peer.address.is_v4()) {
    key.set = kPortalPeers4;
    const std::uint8_t port[2] = {static_cast<std::uint8_t>(peer.port >> 8), static_cast<std::uint8_t>(peer.port)};
    put(key, port, 2, 4);  // inet_service: network order, in a zero-padded 32-bit register
    put(key, peer.address.bytes.data(), 4, 4);
  } else {
    key.set = kPortalMacs6;
    put(key, peer.address.bytes.data(), 16, 16);
  }
  return key;
}

ElementKey portal_peer_confirm_key(const PortalPeer& peer, const MacAddr& mac) {
  ElementKey key;
  key.set = kPortalPeers6;
  const std::uint8_t port[2] = {static_cast<std::uint8_t>(peer.port >> 8), static_cast<std::uint8_t>(peer.port)};
  put(key, mac.bytes.data(), 6, 8);
  put(key, port, 2, 4);
  put(key, peer.address.bytes.data(), 16, 16);
  return key;
}

std::size_t build_element_get(std::span<std::byte> buf, std::uint32_t seq, std::string_view table,
                              const ElementKey& key) {
  return build(buf, NFT_MSG_GETSETELEM, seq, table, key, {});
}

std::size_t build_element(std::span<std::byte> buf, std::uint32_t seq, std::string_view table, const ElementKey& key,
                          std::span<const std::uint8_t> data) {
  return build(buf, NFT_MSG_NEWSETELEM, seq, table, key, data);
}

std::optional<ElementData> parse_element(std::span<const std::byte> message, std::string_view table,
                                         const ElementKey& want) {
  if (message.size() < NLMSG_HDRLEN + sizeof(nfgenmsg)) return std::nullopt;
  nlmsghdr hdr;
  std::memcpy(&hdr, message.data(), sizeof hdr);
  if (hdr.nlmsg_len < NLMSG_HDRLEN + sizeof(nfgenmsg) || hdr.nlmsg_len > message.size()) return std::nullopt;
  if (hdr.nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM)) return std::nullopt;
  // Netlink messages are 4-aligned in the kernel's buffer; a caller's span
  // may not be: copy into aligned storage before walking attributes.
  alignas(nlmsghdr) std::byte copy[8192];
  if (hdr.nlmsg_len > sizeof copy) return std::nullopt;
  std::memcpy(copy, message.data(), hdr.nlmsg_len);
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(copy);
  const auto* gen = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  if (gen->nfgen_family != NFPROTO_INET) return std::nullopt;

  const auto want_key = want.key();
  bool table_ok = false, set_ok = false;
  int elements = 0;  // the answer to a one-element get holds exactly one
  std::optional<ElementData> found;
  const std::size_t header = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
  for_each_attr(copy + header, hdr.nlmsg_len - header, [&](const nlattr* a) {
    switch (mnl_attr_get_type(a)) {
      case NFTA_SET_ELEM_LIST_TABLE: table_ok = string_is(a, table); break;
      case NFTA_SET_ELEM_LIST_SET: set_ok = string_is(a, want.set); break;
      case NFTA_SET_ELEM_LIST_ELEMENTS:
        if (!nested(a)) break;
        for_each_attr(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a), [&](const nlattr* elem) {
          if (mnl_attr_get_type(elem) != NFTA_LIST_ELEM || !nested(elem)) return;
          ++elements;
          std::span<const std::uint8_t> key, data;
          for_each_attr(mnl_attr_get_payload(elem), mnl_attr_get_payload_len(elem), [&](const nlattr* f) {
            if (mnl_attr_get_type(f) == NFTA_SET_ELEM_KEY) key = data_value(f);
            if (mnl_attr_get_type(f) == NFTA_SET_ELEM_DATA) data = data_value(f);
          });
          if (key.size() != want_key.size() || std::memcmp(key.data(), want_key.data(), key.size()) != 0) return;
          ElementData d;
          if (data.size() > d.bytes.size()) return;
          // A set element has no data: an empty span, whose data() may be null.
          if (!data.empty()) std::memcpy(d.bytes.data(), data.data(), data.size());
          d.length = data.size();
          found = d;
        });
        break;
      default: break;
    }
  });
  if (!table_ok || !set_ok || elements != 1) return std::nullopt;
  return found;
}

Result<PortalPeers> PortalPeers::open(std::string table) {
  mnl_socket* nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (nl == nullptr) return errno_error("open portal peers");
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    Error e = errno_error("open portal peers");
    mnl_socket_close(nl);
    return e;
  }
  // The kernel answers a get from within our sendmsg; the timeout only
  // bounds a wait for an answer that got lost (ENOBUFS on our socket).
  timeval tv{1, 0};
  (void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int one = 1;
  (void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
  return PortalPeers(std::move(table), nl);
}

PortalPeers::PortalPeers(PortalPeers&& other) noexcept
    : table_(std::move(other.table_)), socket_(std::exchange(other.socket_, nullptr)), seq_(other.seq_) {}

PortalPeers& PortalPeers::operator=(PortalPeers&& other) noexcept {
  if (this != &other) {
    if (socket_ != nullptr) mnl_socket_close(sock(socket_));
    table_ = std::move(other.table_);
    socket_ = std::exchange(other.socket_, nullptr);
    seq_ = other.seq_;
  }
  return *this;
}

PortalPeers::~PortalPeers() {
  if (socket_ != nullptr) mnl_socket_close(sock(socket_));
}

Result<std::optional<ElementData>> PortalPeers::get(const PortalPeer& peer, const ElementKey& key) {
  mnl_socket* nl = sock(socket_);
  const int fd = mnl_socket_get_fd(nl);
  const unsigned portid = mnl_socket_get_portid(nl);
  alignas(nlmsghdr) std::byte buf[8192];
  // Left-overs of an earlier lookup that timed out would fail the sequence
  // check below; throw them away.
  while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
  }
  const std::uint32_t seq = ++seq_;
  const std::size_t len = build_element_get(buf, seq, table_, key);
  if (len == 0) return peer_error(peer, EINVAL);
  if (mnl_socket_sendto(nl, buf, len) < 0) return peer_error(peer, errno);

  struct Match {
    const ElementKey* key;
    const std::string* table;
    std::optional<ElementData> data;
  } match{&key, &table_, std::nullopt};
  auto on_message = [](const nlmsghdr* nlh, void* data) -> int {
    auto* m = static_cast<Match*>(data);
    m->data = parse_element(std::span(reinterpret_cast<const std::byte*>(nlh), nlh->nlmsg_len), *m->table, *m->key);
    // One element was asked for: its message is the whole answer.
    return MNL_CB_STOP;
  };
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return peer_error(peer, errno);
    }
    const int ret = mnl_cb_run(buf, static_cast<std::size_t>(n), seq, portid, on_message, &match);
    if (ret == MNL_CB_STOP) return match.data;
    if (ret == MNL_CB_ERROR) {
      // ENOENT: no such element (never established, or expired); also when
      // the table or set is missing (a ruleset without them).
      if (errno == ENOENT) return std::optional<ElementData>{};
      return peer_error(peer, errno);
    }
    // MNL_CB_OK: the batch ended without our message; read on.
  }
}

Result<std::optional<MacAddr>> PortalPeers::lookup(const PortalPeer& requested) {
  const PortalPeer peer{requested.address.unmapped(), requested.port};
  auto first = get(peer, portal_peer_key(peer));
  if (!first) return first.error();
  if (!first->has_value() || (*first)->length != 6) return std::optional<MacAddr>{};
  MacAddr mac;
  std::memcpy(mac.bytes.data(), (*first)->bytes.data(), 6);
  if (peer.address.is_v4()) return std::optional<MacAddr>(mac);
  // IPv6: the address's latest MAC must also be this connection's. If
  // another device wrote the address's entry since (only one that gets the
  // router's packets for the address can), this connection is unconfirmed:
  // unknown, never the other device.
  auto confirmed = get(peer, portal_peer_confirm_key(peer, mac));
  if (!confirmed) return confirmed.error();
  if (!confirmed->has_value()) return std::optional<MacAddr>{};
  return std::optional<MacAddr>(mac);
}

}  // namespace captive::nft
