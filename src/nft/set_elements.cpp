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

#include "nftnl_ptr.hpp"

namespace captive::nft {
namespace {

using detail::make_set;
using detail::SetPtr;

// One NEWSETELEM/DELSETELEM message with one element, in the key's set.
bool put_setelem(MessageWriter& w, std::uint16_t type, std::uint16_t flags, std::uint32_t seq,
                 const Names& names, const Key& key,
                 std::chrono::milliseconds timeout) {
  SetPtr s = make_set(names.for_key(key));
  nftnl_set_elem* e = s ? nftnl_set_elem_alloc() : nullptr;
  if (e == nullptr) return false;
  std::array<std::uint8_t, 24> bytes{};
  const std::size_t len = key_bytes(key, bytes);
  nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, bytes.data(), static_cast<std::uint32_t>(len));  // NFTA_SET_ELEM_KEY
  if (timeout.count() > 0)
    nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, timeout.count());  // NFTA_SET_ELEM_TIMEOUT, ms
  nftnl_set_elem_add(s.get(), e);  // the set owns e now
  nlmsghdr* nlh = begin_message(w, type, flags, seq);
  if (nlh == nullptr) return false;
  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
  w.commit(nlh);
  return true;
}

}  // namespace

std::size_t build_setelem_add(std::span<std::byte> buf, std::uint32_t seq, const Names& names,
                              const Key& key, std::chrono::milliseconds timeout) {
  if (!names_valid(names)) return 0;
  MessageWriter w(buf);
  // Measured on 6.18: a NEWSETELEM without NLM_F_EXCL for an existing element
  // updates its timeout in place (kernel >= 6.10, "set element timeout update
  // support") and keeps the counter; older kernels (OpenWrt 23.05: 5.15,
  // 24.10: 6.6) return 0 and change nothing. Delete + add works on all of them.
  bool ok = batch_begin(w, seq) &&
            put_setelem(w, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK, seq + 1, names, key,
                        timeout) &&
            put_setelem(w, NFT_MSG_DELSETELEM, NLM_F_ACK, seq + 2, names, key,
                        std::chrono::milliseconds{0}) &&
            put_setelem(w, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, seq + 3,
                        names, key, timeout) &&
            batch_end(w, seq + 4);
  return ok ? w.length() : 0;
}

BulkBatch build_setelem_add_many(std::span<std::byte> buf, std::uint32_t seq, const Names& names,
                                 std::span<const ElementSpec> elements) {
  BulkBatch batch;
  if (!names_valid(names)) return {};
  MessageWriter w(buf);
  if (!batch_begin(w, seq)) return {};
  // Keep room for END after the last message.
  const std::string& set = names.set_for(elements.empty() ? Key{} : elements.front().key);
  while (batch.elements < elements.size() && batch.messages < kMaxBulkMessages) {
    char* p = w.next(kMaxBulkMessage + kMaxMessage);
    if (p == nullptr) break;
    SetPtr s = make_set(names.for_key(elements[batch.elements].key));
    if (!s) return {};
    std::size_t n = 0;
    for (const ElementSpec& spec : elements.subspan(batch.elements)) {
      if (n == kElementsPerMessage || names.set_for(spec.key) != set) break;
      nftnl_set_elem* e = nftnl_set_elem_alloc();
      if (e == nullptr) return {};
      std::array<std::uint8_t, 24> bytes{};
      const std::size_t len = key_bytes(spec.key, bytes);
      nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, bytes.data(), static_cast<std::uint32_t>(len));
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(spec.timeout);
      if (ms.count() > 0) nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, ms.count());
      nftnl_set_elem_add(s.get(), e);
      ++n;
    }
    if (n == 0) break;  // the next element belongs to another set: next batch
    ++batch.messages;
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(p, NFT_MSG_NEWSETELEM, kFamily, NLM_F_CREATE | NLM_F_ACK,
                                          seq + static_cast<std::uint32_t>(batch.messages));
    nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
    w.commit(nlh);
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
      case NFTA_SET_ELEM_DATA: return false;  // not a map
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


Result<void> parse_setelems(std::span<const std::byte> msg, std::vector<Element>& out) {
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
    auto parsed = key_from_bytes(std::span(static_cast<const std::uint8_t*>(key), len));
    if (!parsed) continue;
    Element el;
    el.mac = parsed->mac;
    el.ip = parsed->ip;
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT))  // NFTA_SET_ELEM_TIMEOUT, ms
      el.timeout = std::chrono::milliseconds(nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT));
    if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION))  // NFTA_SET_ELEM_EXPIRATION, ms left
      el.expires = std::chrono::milliseconds(nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION));
    // NFTA_SET_ELEM_EXPR (one expression) and NFTA_SET_ELEM_EXPRESSIONS (a
    // list) both end up in the element's expression list in libnftnl 1.2.x.
    nftnl_set_elem_expr_foreach(
        e,
        [](nftnl_expr* x, void* data) -> int {
          const char* name = nftnl_expr_get_str(x, NFTNL_EXPR_NAME);
          if (name != nullptr && std::strcmp(name, "counter") == 0) {
            auto* el = static_cast<Element*>(data);
            el->packets += nftnl_expr_get_u64(x, NFTNL_EXPR_CTR_PACKETS);  // NFTA_COUNTER_PACKETS
            el->bytes += nftnl_expr_get_u64(x, NFTNL_EXPR_CTR_BYTES);      // NFTA_COUNTER_BYTES
          }
          return 0;
        },
        &el);
    out.push_back(el);
  }
  nftnl_set_elems_iter_destroy(it);
  return {};
}

}  // namespace captive::nft
