// Elements of our sets (libnftnl: set_elem.c): how a key is stored, the
// batches that add, refresh and remove elements, the dump that lists them,
// and its parser. Pure builders write into a caller buffer and return the
// length (0 if `buf` is shorter than kBatchBufferSize, not 4-aligned, or a
// name is invalid); the adapter (netlink.cpp) only adds send/recv/ack.
// Round-trip tests: tests/unit/nft/messages_test.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "captive/nft/batch.hpp"
#include "captive/nft/names.hpp"
#include "captive/packet/address.hpp"
#include "captive/util/result.hpp"

namespace captive::nft {

// The key as the kernel stores it: the MAC, padded to 8 bytes (nft
// registers are 4 bytes wide), then the address (4 or 16 bytes). Returns the
// length: 6, 12 or 24.
std::size_t key_bytes(const Key& key, std::span<std::uint8_t, 24> out);
// The reverse; nullopt for any other length.
std::optional<Key> key_from_bytes(std::span<const std::uint8_t> bytes);

struct Element {
  packet::MacAddr mac;
  std::optional<packet::IpAddr> ip;                   // bound address (sets allowed_ip4/6)
  std::optional<std::chrono::milliseconds> timeout;   // NFTA_SET_ELEM_TIMEOUT
  std::optional<std::chrono::milliseconds> expires;   // NFTA_SET_ELEM_EXPIRATION (time left)
  std::uint64_t packets = 0;                          // per-element counter, if the set has one
  std::uint64_t bytes = 0;
};

// One element to add in bulk.
struct ElementSpec {
  Key key;
  std::chrono::seconds timeout{0};  // 0 = no timeout
};

// What services need of the set; tests use a fake.
class SetWriter {
 public:
  virtual ~SetWriter() = default;
  // Adds many keys in few batches (a few thousand elements each): how
  // sessions are put back after the set was emptied. Elements that exist are
  // left as they are on kernels before 6.10 and get the new timeout after.
  virtual Result<void> add_many(std::span<const ElementSpec> elements) = 0;
  // timeout 0 = no timeout. Adding a MAC that is there already refreshes its
  // timeout (delete + add in one batch, so no packet sees it missing).
  virtual Result<void> add(const Key& key, std::chrono::seconds timeout) = 0;
  // Removing a key that is not there is an error with code ENOENT.
  virtual Result<void> remove(const Key& key) = 0;
  // Every element of all three sets.
  virtual Result<std::vector<Element>> list() = 0;
};

// --- batches ---

// Adds `mac` to the set, or refreshes it, in one batch that works whether or
// not the element exists, on every kernel:
//   seq+1 NFT_MSG_NEWSETELEM NLM_F_CREATE           (no-op if present)
//   seq+2 NFT_MSG_DELSETELEM                        (now never ENOENT)
//   seq+3 NFT_MSG_NEWSETELEM NLM_F_CREATE|NLM_F_EXCL with the new timeout
// The transaction is atomic: no packet sees the MAC missing. The element's
// counter restarts at 0. timeout 0 = element without NFTA_SET_ELEM_TIMEOUT
// (never expires: the set has no default timeout).
// The element goes to names.set_for(key).
std::size_t build_setelem_add(std::span<std::byte> buf, std::uint32_t seq, const Names& names,
                              const Key& key, std::chrono::milliseconds timeout);
// Bulk add, for restoring sessions: BEGIN, then NFT_MSG_NEWSETELEM messages
// (NLM_F_CREATE|NLM_F_ACK, seq+1, seq+2, ...) of up to kElementsPerMessage
// elements each, as many as fit in `buf`, then END. Returns the batch length
// and how many of `elements` it holds (0, 0 if `buf` is too small). Each
// message holds elements of one set: a batch stops where the set changes.
inline constexpr std::size_t kElementsPerMessage = 256;
// Upper bound of one element in a NEWSETELEM message: list nest, key nest,
// 6-byte key (padded to 8), timeout (u64), flags: 4+4+12+12+8 = 40, rounded up.
inline constexpr std::size_t kMaxElementBytes = 64;
inline constexpr std::size_t kMaxBulkMessage = kMaxMessage + kElementsPerMessage * kMaxElementBytes;
// At most this many NEWSETELEM messages per batch: the adapter waits for one
// ack each and tracks a fixed number of them.
inline constexpr std::size_t kMaxBulkMessages = 12;
struct BulkBatch {
  std::size_t length = 0;
  std::size_t elements = 0;
  std::size_t messages = 0;  // acked messages in it (seq+1 .. seq+messages)
};
BulkBatch build_setelem_add_many(std::span<std::byte> buf, std::uint32_t seq, const Names& names,
                                 std::span<const ElementSpec> elements);

// seq+1 NFT_MSG_DELSETELEM. The kernel answers ENOENT if `mac` is absent.
std::size_t build_setelem_del(std::span<std::byte> buf, std::uint32_t seq, const Names& names,
                              const Key& key);

// --- plain request (not batched) ---

// NFT_MSG_GETSETELEM of names.set, NLM_F_DUMP (no NLM_F_ACK: a dump ends with NLMSG_DONE,
// or an NLMSG_ERROR such as ENOENT when the set is missing): every element.
std::size_t build_setelem_dump(std::span<std::byte> buf, std::uint32_t seq, const Names& names);

// --- parser ---

// One NFT_MSG_NEWSETELEM message of a dump (starting at its nlmsghdr):
// appends its elements to `out`. Keys of 6 bytes (MAC), 12 (MAC . IPv4)
// and 24 bytes (MAC . IPv6) are read; other keys are skipped (not our
// sets). Counters come from the element's `counter` expression
// (NFTA_SET_ELEM_EXPR or NFTA_SET_ELEM_EXPRESSIONS, both parsed by libnftnl
// into the element's expression list). EINVAL on a malformed message, and
// on what our sets never hold and libnftnl mishandles (exits or crashes):
// data or verdicts, expressions other than `counter`, element attributes
// above NFTA_SET_ELEM_MAX (docs/fuzzing.md, findings 5-7).
Result<void> parse_setelems(std::span<const std::byte> msg, std::vector<Element>& out);

}  // namespace captive::nft
