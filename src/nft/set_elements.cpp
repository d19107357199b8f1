// Set elements: key encoding, the batches that add, refresh and remove
// them, the dump that lists them and its parser. See set_elements.hpp.
#include "captive/nft/set_elements.hpp"

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/set.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <unordered_map>

#include "nftnl_ptr.hpp"

namespace captive::nft {
namespace {

using detail::make_set;
using detail::SetPtr;

// What one element of one of our sets carries.
struct ElemParts {
  const std::string* set = nullptr;
  std::array<std::uint8_t, 24> key{};
  std::size_t key_len = 0;
  std::optional<Mark> data;          // NFTA_SET_ELEM_DATA (map session_marks)
  std::optional<RateLimit> limit;    // NFTA_SET_ELEM_EXPR `limit` (sets rate_*)
};

ElemParts key_elem(const Names& names, const Key& key) {
  ElemParts p;
  p.set = &names.set_for(key);
  p.key_len = key_bytes(key, p.key);
  return p;
}
ElemParts mark_elem(const std::string& set, Mark mark, std::optional<RateLimit> limit = std::nullopt) {
  ElemParts p;
  p.set = &set;
  // `type mark`: host byte order, as meta/ct mark load it into the register.
  std::memcpy(p.key.data(), &mark, sizeof mark);
  p.key_len = sizeof mark;
  p.limit = limit;
  return p;
}
ElemParts mac_elem(const std::string& set, const packet::MacAddr& mac, std::optional<RateLimit> limit = std::nullopt) {
  ElemParts p;
  p.set = &set;
  p.key_len = key_bytes(Key(mac), p.key);
  p.limit = limit;
  return p;
}
ElemParts mark_of_mac(const Names& names, const packet::MacAddr& mac, Mark mark) {
  ElemParts p = mac_elem(names.marks, mac);
  p.data = mark;
  return p;
}

// A new libnftnl element of `parts`, or nullptr.
nftnl_set_elem* make_elem(const ElemParts& parts, std::chrono::milliseconds timeout, bool with_state) {
  nftnl_set_elem* e = nftnl_set_elem_alloc();
  if (e == nullptr) return nullptr;
  nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, parts.key.data(), static_cast<std::uint32_t>(parts.key_len));  // NFTA_SET_ELEM_KEY
  if (!with_state) return e;  // a delete names the key only
  if (timeout.count() > 0)
    nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, timeout.count());  // NFTA_SET_ELEM_TIMEOUT, ms
  if (parts.data) nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, &*parts.data, sizeof(Mark));  // NFTA_SET_ELEM_DATA
  if (parts.limit) {
    // NFTA_SET_ELEM_EXPR: the element's own `limit` (the set's declared
    // one is only the template: same kind, so the kernel takes ours).
    nftnl_expr* x = nftnl_expr_alloc("limit");
    if (x == nullptr) {
      nftnl_set_elem_free(e);
      return nullptr;
    }
    nftnl_expr_set_u64(x, NFTNL_EXPR_LIMIT_RATE, parts.limit->rate);   // NFTA_LIMIT_RATE
    nftnl_expr_set_u64(x, NFTNL_EXPR_LIMIT_UNIT, 1);                   // NFTA_LIMIT_UNIT, seconds
    nftnl_expr_set_u32(x, NFTNL_EXPR_LIMIT_BURST, parts.limit->burst); // NFTA_LIMIT_BURST, bytes
    nftnl_expr_set_u32(x, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKT_BYTES); // NFTA_LIMIT_TYPE
    nftnl_expr_set_u32(x, NFTNL_EXPR_LIMIT_FLAGS, NFT_LIMIT_F_INV);    // NFTA_LIMIT_FLAGS: "over"
    nftnl_set_elem_add_expr(e, x);
  }
  return e;
}

// One NEWSETELEM/DELSETELEM message with one element.
bool put_elem(MessageWriter& w, std::uint16_t type, std::uint16_t flags, std::uint32_t seq, const Names& names,
              const ElemParts& parts, std::chrono::milliseconds timeout) {
  Names n = names;
  n.set = *parts.set;
  SetPtr s = make_set(n);
  nftnl_set_elem* e = s ? make_elem(parts, timeout, type == NFT_MSG_NEWSETELEM) : nullptr;
  if (e == nullptr) return false;
  nftnl_set_elem_add(s.get(), e);  // the set owns e now
  nlmsghdr* nlh = begin_message(w, type, flags, seq);
  if (nlh == nullptr) return false;
  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
  w.commit(nlh);
  return true;
}

// One NEWSETELEM/DELSETELEM message with one element, in the key's set.
bool put_setelem(MessageWriter& w, std::uint16_t type, std::uint16_t flags, std::uint32_t seq,
                 const Names& names, const Key& key,
                 std::chrono::milliseconds timeout) {
  ElemParts p;
  p.set = &names.set_for(key);
  p.key_len = key_bytes(key, p.key);
  return put_elem(w, type, flags, seq, names, p, timeout);
}

// Create (no-op if present), delete (now never ENOENT), and with `recreate`
// create-exclusive: measured on 6.18, a NEWSETELEM without NLM_F_EXCL for
// an existing element updates its timeout in place (kernel >= 6.10, "set
// element timeout update support") and keeps the counter; older kernels
// (OpenWrt 23.05: 5.15, 24.10: 6.6) return 0 and change nothing. Delete +
// add works on all of them.
bool put_replace(MessageWriter& w, std::uint32_t& seq, const Names& names, const ElemParts& parts,
                 std::chrono::milliseconds timeout, bool recreate) {
  if (!put_elem(w, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK, ++seq, names, parts, timeout)) return false;
  if (!put_elem(w, NFT_MSG_DELSETELEM, NLM_F_ACK, ++seq, names, parts, timeout)) return false;
  return !recreate ||
         put_elem(w, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, ++seq, names, parts, timeout);
}

std::optional<RateLimit> limit_of(const std::optional<std::uint64_t>& rate) {
  if (!rate || *rate == 0) return std::nullopt;
  return rate_limit(*rate);
}

}  // namespace

RateLimit rate_limit(std::uint64_t bytes_per_second) {
  // The kernel's bucket holds (rate + burst) / rate seconds' worth of
  // tokens, and starts full (net/netfilter/nft_limit.c). A burst of 0
  // keeps it at one second, which TCP through a policer needs: measured in
  // e2e 110 (docs/performance.md).
  return RateLimit{bytes_per_second, 0};
}

std::size_t build_setelem_add(std::span<std::byte> buf, std::uint32_t seq, const Names& names,
                              const Key& key, std::chrono::milliseconds timeout) {
  if (!names_valid(names)) return 0;
  MessageWriter w(buf);
  ElemParts p;
  p.set = &names.set_for(key);
  p.key_len = key_bytes(key, p.key);
  std::uint32_t at = seq;
  bool ok = batch_begin(w, seq) && put_replace(w, at, names, p, timeout, true) && batch_end(w, at + 1);
  return ok ? w.length() : 0;
}

std::size_t build_session_add(std::span<std::byte> buf, std::uint32_t seq, const Names& names,
                              const ElementSpec& spec) {
  if (!names_valid(names) || spec.mark == 0 || buf.size() < kSessionBatchBufferSize) return 0;
  MessageWriter w(buf);
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(spec.timeout);
  const auto up = limit_of(spec.limits.rate_up);
  const auto down = limit_of(spec.limits.rate_down);
  std::uint32_t at = seq;
  bool ok = batch_begin(w, seq) &&
            put_replace(w, at, names, key_elem(names, spec.key), timeout, true) &&
            put_replace(w, at, names, mark_of_mac(names, spec.key.mac, spec.mark), timeout, true) &&
            put_replace(w, at, names, mark_elem(names.set_down, spec.mark), timeout, true) &&
            put_replace(w, at, names, mac_elem(names.rate_up, spec.key.mac, up), timeout, up.has_value()) &&
            put_replace(w, at, names, mark_elem(names.rate_down, spec.mark, down), timeout, down.has_value()) &&
            batch_end(w, at + 1);
  return ok ? w.length() : 0;
}

BulkBatch build_setelem_add_many(std::span<std::byte> buf, std::uint32_t seq, const Names& names,
                                 std::span<const ElementSpec> elements) {
  BulkBatch batch;
  if (!names_valid(names)) return {};
  MessageWriter w(buf);
  if (!batch_begin(w, seq)) return {};
  // Keep room for END after the last message.
  const std::string& map = names.set_for(elements.empty() ? Key{} : elements.front().key);
  // One message of the elements `parts(spec)` of a group (those it gives).
  const auto put_group = [&](std::span<const ElementSpec> group, std::size_t elem_bytes,
                             const auto& parts) -> int {  // 1 written, 0 nothing to write, -1 no room
    Names n = names;
    SetPtr s;
    std::size_t count = 0;
    for (const ElementSpec& spec : group) {
      std::optional<ElemParts> p = parts(spec);
      if (!p) continue;
      if (!s) {
        n.set = *p->set;
        s = make_set(n);
        if (!s) return -1;
      }
      nftnl_set_elem* e = make_elem(*p, std::chrono::duration_cast<std::chrono::milliseconds>(spec.timeout), true);
      if (e == nullptr) return -1;
      nftnl_set_elem_add(s.get(), e);
      ++count;
    }
    if (count == 0) return 0;
    char* at = w.next(kMaxMessage + count * elem_bytes);
    if (at == nullptr) return -1;
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(at, NFT_MSG_NEWSETELEM, kFamily, NLM_F_CREATE | NLM_F_ACK,
                                          seq + static_cast<std::uint32_t>(++batch.messages));
    nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
    w.commit(nlh);
    return 1;
  };
  // A group takes 3 to 5 messages; it goes in whole or not at all.
  while (batch.elements < elements.size()) {
    std::size_t n = 0, ups = 0, downs = 0;
    for (const ElementSpec& spec : elements.subspan(batch.elements)) {
      if (n == kElementsPerMessage || names.set_for(spec.key) != map || spec.mark == 0) break;
      ++n;
      ups += limit_of(spec.limits.rate_up) ? 1 : 0;
      downs += limit_of(spec.limits.rate_down) ? 1 : 0;
    }
    if (n == 0) break;  // the next element belongs to another set: next batch
    const std::size_t messages = 3 + (ups > 0 ? 1 : 0) + (downs > 0 ? 1 : 0);
    if (batch.messages + messages > kMaxBulkMessages) break;
    // Room for the whole group, END included, before writing any of it.
    const std::size_t need = (messages + 1) * kMaxMessage +
                             n * (kMaxElementBytes + kMaxMarkElementBytes + kMaxDownElementBytes) +
                             (ups + downs) * kMaxRateElementBytes;
    if (w.room() < need) break;
    auto group = elements.subspan(batch.elements, n);
    if (put_group(group, kMaxElementBytes, [&](const ElementSpec& s) -> std::optional<ElemParts> {
          return key_elem(names, s.key);
        }) < 0 ||
        put_group(group, kMaxMarkElementBytes, [&](const ElementSpec& s) -> std::optional<ElemParts> {
          return mark_of_mac(names, s.key.mac, s.mark);
        }) < 0 ||
        put_group(group, kMaxDownElementBytes, [&](const ElementSpec& s) -> std::optional<ElemParts> {
          return mark_elem(names.set_down, s.mark);
        }) < 0 ||
        put_group(group, kMaxRateElementBytes, [&](const ElementSpec& s) -> std::optional<ElemParts> {
          auto l = limit_of(s.limits.rate_up);
          if (!l) return std::nullopt;
          return mac_elem(names.rate_up, s.key.mac, l);
        }) < 0 ||
        put_group(group, kMaxRateElementBytes, [&](const ElementSpec& s) -> std::optional<ElemParts> {
          auto l = limit_of(s.limits.rate_down);
          if (!l) return std::nullopt;
          return mark_elem(names.rate_down, s.mark, l);
        }) < 0)
      return {};
    batch.elements += n;
  }
  if (batch.messages == 0 || !batch_end(w, seq + static_cast<std::uint32_t>(batch.messages) + 1)) return {};
  batch.length = w.length();
  return batch;
}

std::size_t build_setelem_del(std::span<std::byte> buf, std::uint32_t seq, const Names& names,
                              const Key& key) {
  if (!names_valid(names)) return 0;
  MessageWriter w(buf);
  bool ok = batch_begin(w, seq) &&
            put_setelem(w, NFT_MSG_DELSETELEM, NLM_F_ACK, seq + 1, names, key,
                        std::chrono::milliseconds{0}) &&
            batch_end(w, seq + 2);
  return ok ? w.length() : 0;
}

std::size_t build_session_del(std::span<std::byte> buf, std::uint32_t seq, const Names& names,
                              const Key& key, Mark mark) {
  if (!names_valid(names) || buf.size() < kSessionBatchBufferSize) return 0;
  MessageWriter w(buf);
  std::uint32_t at = seq;
  bool ok = batch_begin(w, seq) && put_setelem(w, NFT_MSG_DELSETELEM, NLM_F_ACK, ++at, names, key,
                                               std::chrono::milliseconds{0});
  if (ok && mark != 0) {
    ok = put_replace(w, at, names, mark_of_mac(names, key.mac, mark), std::chrono::milliseconds{0}, false) &&
         put_replace(w, at, names, mark_elem(names.set_down, mark), std::chrono::milliseconds{0}, false) &&
         put_replace(w, at, names, mac_elem(names.rate_up, key.mac), std::chrono::milliseconds{0}, false) &&
         put_replace(w, at, names, mark_elem(names.rate_down, mark), std::chrono::milliseconds{0}, false);
  }
  ok = ok && batch_end(w, at + 1);
  return ok ? w.length() : 0;
}

std::size_t build_setelem_dump(std::span<std::byte> buf, std::uint32_t seq, const Names& names) {
  if (!names_valid(names)) return 0;
  MessageWriter w(buf);
  SetPtr s = make_set(names);
  if (!s) return 0;
  nlmsghdr* nlh = begin_message(w, NFT_MSG_GETSETELEM, NLM_F_DUMP, seq);
  if (nlh == nullptr) return 0;
  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
  w.commit(nlh);
  return w.length();
}

namespace {

// libnftnl (1.2.x) calls exit() ("nf_tables kernel ABI is broken") when an
// attribute it parses has the wrong type or size, instead of returning an
// error (fuzz finding: fuzz/nft_setelems_fuzzer.cpp). So the message is
// checked here first, attribute by attribute, with the same validations
// libnftnl applies to a set element dump; anything it would exit on is
// EINVAL. Expressions other than `counter` (all our set has) are refused too,
// since each kind has its own exiting validations. Strings must end in NUL
// (the kernel's always do): libnftnl strdup()s and strcmp()s them.
bool valid_as(const nlattr* a, mnl_attr_data_type type) { return mnl_attr_validate(a, type) >= 0; }

template <class F>
bool each_nested(const nlattr* nest, F&& f) {
  // mnl_attr_for_each_nested stops at the first attribute that does not fit.
  const auto* end = static_cast<const char*>(mnl_attr_get_payload(nest)) + mnl_attr_get_payload_len(nest);
  const nlattr* a = static_cast<const nlattr*>(mnl_attr_get_payload(nest));
  for (; mnl_attr_ok(a, static_cast<int>(end - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a))
    if (!f(a)) return false;
  return true;
}

bool data_well_formed(const nlattr* nest) {  // nft_data of a key: NFTA_DATA_VALUE only
  // Our sets have value keys and are not maps. A verdict (NFTA_DATA_VERDICT)
  // in a key made libnftnl strdup() a wild pointer (fuzz finding), so any
  // other nft_data content is refused.
  return each_nested(nest, [](const nlattr* a) {
    return mnl_attr_get_type(a) == NFTA_DATA_VALUE && valid_as(a, MNL_TYPE_BINARY);
  });
}

bool counter_well_formed(const nlattr* expr) {  // nft_expr_attributes of a `counter`
  const nlattr* name = nullptr;
  const nlattr* data = nullptr;
  const bool ok = each_nested(expr, [&](const nlattr* a) {
    switch (mnl_attr_get_type(a)) {
      case NFTA_EXPR_NAME: name = a; return valid_as(a, MNL_TYPE_NUL_STRING);
      case NFTA_EXPR_DATA: data = a; return valid_as(a, MNL_TYPE_NESTED);
      default: return true;
    }
  });
  if (!ok || name == nullptr || std::strcmp(mnl_attr_get_str(name), "counter") != 0) return false;
  return data == nullptr || each_nested(data, [](const nlattr* a) {
           const auto t = mnl_attr_get_type(a);
           return (t != NFTA_COUNTER_BYTES && t != NFTA_COUNTER_PACKETS) || valid_as(a, MNL_TYPE_U64);
         });
}

bool elem_well_formed(const nlattr* elem) {  // one NFTA_LIST_ELEM of NFTA_SET_ELEM_LIST_ELEMENTS
  if (mnl_attr_get_type(elem) != NFTA_LIST_ELEM || !valid_as(elem, MNL_TYPE_NESTED)) return false;
  return each_nested(elem, [](const nlattr* a) {
    // An element attribute type above NFTA_SET_ELEM_MAX made libnftnl write
    // past its attribute table on our stack (fuzz finding: SEGV with a
    // corrupted stack after nftnl_set_elems_nlmsg_parse). Refused: no
    // kernel we build against sends one.
    if (mnl_attr_get_type(a) > NFTA_SET_ELEM_MAX) return false;
    switch (mnl_attr_get_type(a)) {
      case NFTA_SET_ELEM_FLAGS: return valid_as(a, MNL_TYPE_U32);
      case NFTA_SET_ELEM_TIMEOUT:
      case NFTA_SET_ELEM_EXPIRATION: return valid_as(a, MNL_TYPE_U64);
      case NFTA_SET_ELEM_KEY:
      case NFTA_SET_ELEM_KEY_END: return valid_as(a, MNL_TYPE_NESTED) && data_well_formed(a);
      // Maps allowed*: the mark, a 4-byte value (a verdict is refused by
      // data_well_formed: libnftnl mishandles one, see above).
      case NFTA_SET_ELEM_DATA: return valid_as(a, MNL_TYPE_NESTED) && data_well_formed(a);
      case NFTA_SET_ELEM_EXPR: return valid_as(a, MNL_TYPE_NESTED) && counter_well_formed(a);
      case NFTA_SET_ELEM_EXPRESSIONS:
        return valid_as(a, MNL_TYPE_NESTED) && each_nested(a, [](const nlattr* e) {
                 return mnl_attr_get_type(e) == NFTA_LIST_ELEM && valid_as(e, MNL_TYPE_NESTED) &&
                        counter_well_formed(e);
               });
      case NFTA_SET_ELEM_USERDATA: return valid_as(a, MNL_TYPE_BINARY);
      case NFTA_SET_ELEM_OBJREF: return valid_as(a, MNL_TYPE_NUL_STRING);
      default: return true;
    }
  });
}

bool setelems_well_formed(const nlmsghdr* nlh) {
  bool ok = true;
  const auto check = [](const nlattr* a, void* data) -> int {
    bool good = true;
    switch (mnl_attr_get_type(a)) {
      case NFTA_SET_ELEM_LIST_TABLE:
      case NFTA_SET_ELEM_LIST_SET: good = valid_as(a, MNL_TYPE_NUL_STRING); break;
      case NFTA_SET_ELEM_LIST_SET_ID: good = valid_as(a, MNL_TYPE_U32); break;
      case NFTA_SET_ELEM_LIST_ELEMENTS:
        good = valid_as(a, MNL_TYPE_NESTED) && each_nested(a, elem_well_formed);
        break;
      default: break;
    }
    if (!good) *static_cast<bool*>(data) = false;
    return good ? MNL_CB_OK : MNL_CB_ERROR;
  };
  return mnl_attr_parse(nlh, sizeof(nfgenmsg), check, &ok) >= 0 && ok;
}

}  // namespace

std::size_t key_bytes(const Key& key, std::span<std::uint8_t, 24> out) {
  std::fill(out.begin(), out.end(), std::uint8_t{0});
  std::copy(key.mac.bytes.begin(), key.mac.bytes.end(), out.begin());
  if (!key.ip) return 6;
  // Concatenations give each field whole 4-byte registers: ether_addr takes 8.
  std::copy_n(key.ip->bytes.begin(), key.ip->size(), out.begin() + 8);
  return 8 + key.ip->size();
}

std::optional<Key> key_from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != 6 && bytes.size() != 12 && bytes.size() != 24) return std::nullopt;
  Key key;
  std::copy_n(bytes.begin(), 6, key.mac.bytes.begin());
  if (bytes.size() == 12) key.ip = packet::IpAddr::v4(bytes.data() + 8);
  if (bytes.size() == 24) key.ip = packet::IpAddr::v6(bytes.data() + 8);
  return key;
}


namespace {

// What the parsers need of one dumped element.
struct RawElem {
  std::span<const std::uint8_t> key;
  std::optional<Mark> data;
  std::optional<std::chrono::milliseconds> timeout, expires;
  std::uint64_t packets = 0, bytes = 0;
};

// Checks one NFT_MSG_NEWSETELEM message of a dump and calls `on` for each
// element with a key.
template <class F>
Result<void> walk_setelems(std::span<const std::byte> msg, F&& on) {
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(msg.data());
  if (msg.size() < NLMSG_HDRLEN ||
      !mnl_nlmsg_ok(nlh, static_cast<int>(std::min<std::size_t>(msg.size(), INT32_MAX))) ||
      // mnl_nlmsg_ok compares (int)nlmsg_len: a length >= 2^31 passes it (fuzz findings).
      // Nor may the attribute walk (to MNL_ALIGN(nlmsg_len)) leave the span.
      ((std::size_t{nlh->nlmsg_len} + 3) & ~std::size_t{3}) > msg.size() ||
      nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(nfgenmsg)) {
    return make_error(EINVAL, "parse set elements: truncated message");
  }
  if (!setelems_well_formed(nlh)) return make_error(EINVAL, "parse set elements: malformed attribute");
  SetPtr s(nftnl_set_alloc());
  if (!s) return make_error(ENOMEM, "parse set elements");
  errno = 0;
  if (nftnl_set_elems_nlmsg_parse(nlh, s.get()) < 0)
    return make_error(errno != 0 ? errno : EINVAL, "parse set elements");

  nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(s.get());
  if (it == nullptr) return make_error(ENOMEM, "parse set elements");
  for (nftnl_set_elem* e = nftnl_set_elems_iter_next(it); e != nullptr;
       e = nftnl_set_elems_iter_next(it)) {
    std::uint32_t len = 0;
    const void* key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);  // NFTA_SET_ELEM_KEY
    if (key == nullptr) continue;
    RawElem el;
    el.key = std::span(static_cast<const std::uint8_t*>(key), len);
    std::uint32_t data_len = 0;
    const void* data = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA)  // NFTA_SET_ELEM_DATA
                           ? nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &data_len)
                           : nullptr;
    if (data != nullptr && data_len == sizeof(Mark)) {
      Mark mark = 0;
      std::memcpy(&mark, data, sizeof mark);
      el.data = mark;
    }
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT))  // NFTA_SET_ELEM_TIMEOUT, ms
      el.timeout = std::chrono::milliseconds(nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT));
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION))  // NFTA_SET_ELEM_EXPIRATION, ms left
      el.expires = std::chrono::milliseconds(nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION));
    // NFTA_SET_ELEM_EXPR (one expression) and NFTA_SET_ELEM_EXPRESSIONS (a
    // list) both end up in the element's expression list in libnftnl 1.2.x.
    nftnl_set_elem_expr_foreach(
        e,
        [](nftnl_expr* x, void* arg) -> int {
          const char* name = nftnl_expr_get_str(x, NFTNL_EXPR_NAME);
          if (name != nullptr && std::strcmp(name, "counter") == 0) {
            auto* r = static_cast<RawElem*>(arg);
            r->packets += nftnl_expr_get_u64(x, NFTNL_EXPR_CTR_PACKETS);  // NFTA_COUNTER_PACKETS
            r->bytes += nftnl_expr_get_u64(x, NFTNL_EXPR_CTR_BYTES);      // NFTA_COUNTER_BYTES
          }
          return 0;
        },
        &el);
    on(el);
  }
  nftnl_set_elems_iter_destroy(it);
  return {};
}

}  // namespace

Result<void> parse_setelems(std::span<const std::byte> msg, std::vector<Element>& out) {
  return walk_setelems(msg, [&out](const RawElem& raw) {
    auto parsed = key_from_bytes(raw.key);
    if (!parsed) return;
    Element el;
    el.mac = parsed->mac;
    el.ip = parsed->ip;
    el.timeout = raw.timeout;
    el.expires = raw.expires;
    el.mark = raw.data.value_or(0);
    el.traffic.packets_up = raw.packets;
    el.traffic.bytes_up = raw.bytes;
    out.push_back(el);
  });
}

Result<void> parse_mark_counters(std::span<const std::byte> msg, std::vector<MarkCounter>& out) {
  return walk_setelems(msg, [&out](const RawElem& raw) {
    if (raw.key.size() != sizeof(Mark)) return;
    MarkCounter c;
    std::memcpy(&c.mark, raw.key.data(), sizeof c.mark);
    c.packets = raw.packets;
    c.bytes = raw.bytes;
    out.push_back(c);
  });
}

void join_sessions(std::vector<Element>& elements, const std::vector<Element>& marks,
                   const std::vector<MarkCounter>& down) {
  std::map<packet::MacAddr, Mark> mark_of;
  for (const Element& m : marks)
    if (m.mark != 0) mark_of[m.mac] = m.mark;
  std::unordered_map<Mark, const MarkCounter*> by_mark;
  by_mark.reserve(down.size());
  for (const MarkCounter& c : down) by_mark.emplace(c.mark, &c);
  for (Element& e : elements) {
    if (auto m = mark_of.find(e.mac); m != mark_of.end()) e.mark = m->second;
    if (e.mark == 0) continue;
    auto it = by_mark.find(e.mark);
    if (it == by_mark.end()) continue;
    e.traffic.packets_down = it->second->packets;
    e.traffic.bytes_down = it->second->bytes;
  }
}

}  // namespace captive::nft
