// The conntrack adapter: one ctnetlink handle, a dump, a delete per match.
#include "captive/conntrack/flows.hpp"

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

namespace captive::conntrack {
namespace {

using packet::IpAddr;

struct Freer {
  void operator()(nf_conntrack* ct) const { nfct_destroy(ct); }
};
using EntryPtr = std::unique_ptr<nf_conntrack, Freer>;

struct Dump {
  std::span<const IpAddr> sources;
  std::span<const IpAddr> spared;
  std::vector<EntryPtr> matches;
  bool out_of_memory = false;
};

int on_entry(enum nf_conntrack_msg_type, nf_conntrack* ct, void* data) {
  auto* dump = static_cast<Dump*>(data);
  if (!original_source_in(ct, dump->sources) || original_destination_in(ct, dump->spared)) return NFCT_CB_CONTINUE;
  // Deleting from inside the callback would reuse the socket mid-dump:
  // keep a copy (tuple, zone, id) and delete once the dump is over.
  EntryPtr copy(nfct_clone(ct));
  if (!copy) {
    dump->out_of_memory = true;
    return NFCT_CB_STOP;
  }
  dump->matches.push_back(std::move(copy));
  return NFCT_CB_CONTINUE;
}

std::string describe(const nf_conntrack* ct) {
  char text[512];
  if (nfct_snprintf(text, sizeof text, ct, NFCT_T_UNKNOWN, NFCT_O_DEFAULT, NFCT_OF_SHOW_LAYER3) < 0) return "entry";
  return text;
}

}  // namespace

std::vector<IpAddr> client_addresses(const std::optional<IpAddr>& signed_in_from,
                                     std::span<const IpAddr> neighbours) {
  std::vector<IpAddr> out;
  auto add = [&out](const IpAddr& a) {
    IpAddr plain = a.unmapped();
    if (std::find(out.begin(), out.end(), plain) == out.end()) out.push_back(plain);
  };
  if (signed_in_from) add(*signed_in_from);
  for (const auto& a : neighbours) add(a);
  return out;
}

namespace {

// The original tuple's source (or destination) address, if the entry has one.
std::optional<IpAddr> original_address(const nf_conntrack* entry, bool source) {
  if (!nfct_attr_is_set(entry, ATTR_ORIG_L3PROTO)) return std::nullopt;
  const std::uint8_t l3 = nfct_get_attr_u8(entry, ATTR_ORIG_L3PROTO);
  const auto v4 = source ? ATTR_ORIG_IPV4_SRC : ATTR_ORIG_IPV4_DST;
  const auto v6 = source ? ATTR_ORIG_IPV6_SRC : ATTR_ORIG_IPV6_DST;
  if (l3 == AF_INET && nfct_attr_is_set(entry, v4)) {
    const std::uint32_t be = nfct_get_attr_u32(entry, v4);  // network byte order
    return IpAddr::v4(reinterpret_cast<const std::uint8_t*>(&be));
  }
  if (l3 == AF_INET6 && nfct_attr_is_set(entry, v6))
    return IpAddr::v6(static_cast<const std::uint8_t*>(nfct_get_attr(entry, v6)));
  return std::nullopt;
}

bool address_in(const std::optional<IpAddr>& address, std::span<const IpAddr> list) {
  return address && std::find(list.begin(), list.end(), *address) != list.end();
}

}  // namespace

bool original_source_in(const nf_conntrack* entry, std::span<const IpAddr> sources) {
  return address_in(original_address(entry, true), sources);
}

bool original_destination_in(const nf_conntrack* entry, std::span<const IpAddr> destinations) {
  return address_in(original_address(entry, false), destinations);
}

Result<Conntrack> Conntrack::open() {
  nfct_handle* handle = nfct_open(CONNTRACK, 0);  // no event groups: requests only
  if (handle == nullptr) return errno_error("open conntrack (ctnetlink)");
  return Conntrack(handle);
}

Conntrack::Conntrack(Conntrack&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}

Conntrack& Conntrack::operator=(Conntrack&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) nfct_close(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

Conntrack::~Conntrack() {
  if (handle_ != nullptr) nfct_close(handle_);
}

Result<CutReport> Conntrack::cut(std::span<const IpAddr> sources, std::span<const IpAddr> spared_destinations) {
  CutReport report;
  if (sources.empty()) return report;
  // ctnetlink has no dump filtered by address on the kernels we support
  // (CTA_FILTER by tuple needs 5.10 and libnetfilter_conntrack 1.0.9 does
  // not build it): dump all, keep the client's. Measured (bench/
  // conntrack_cut.cpp, shared 2-core machine): 32 ms with 100 entries,
  // 135 ms with 10 000, 560 ms with 50 000; the kernel worker waits that long.
  // TODO(P2): issue 9: filter in the kernel (CTA_FILTER on the original
  // source, or the per-session ct mark) so the cost follows the client's
  // entries, not the table.
  Dump dump{sources, spared_destinations, {}, false};
  if (nfct_callback_register(handle_, NFCT_T_ALL, on_entry, &dump) < 0) return errno_error("conntrack dump");
  std::uint32_t family = AF_UNSPEC;  // IPv4 and IPv6
  const int dumped = nfct_query(handle_, NFCT_Q_DUMP, &family);
  const int dump_errno = errno;
  nfct_callback_unregister(handle_);
  if (dump.out_of_memory) return make_error(ENOMEM, "conntrack dump: copying an entry");
  if (dumped < 0) return make_error(dump_errno, "conntrack dump");
  report.matched = dump.matches.size();
  for (const auto& entry : dump.matches) {
    if (nfct_query(handle_, NFCT_Q_DESTROY, entry.get()) == 0) {
      ++report.deleted;
    } else if (errno != ENOENT) {  // ENOENT: it ended (timed out, closed) since the dump
      return errno_error("conntrack delete " + describe(entry.get()));
    }
  }
  return report;
}

}  // namespace captive::conntrack
