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
#include "captive/session/limits.hpp"
#include "captive/util/result.hpp"

namespace captive::nft {

// The key as the kernel stores it: the MAC, padded to 8 bytes (nft
// registers are 4 bytes wide), then the address (4 or 16 bytes). Returns the
// length: 6, 12 or 24.
std::size_t key_bytes(const Key& key, std::span<std::uint8_t, 24> out);
// The reverse; nullopt for any other length.
std::optional<Key> key_from_bytes(std::span<const std::uint8_t> bytes);

// A session's mark: the value of `ct mark` its connections carry (set in
// chain forward from map `session_marks`, by MAC), and the key of its
// elements in `allowed_down` and `rate_down`. Never 0 (0 = a connection of
// no session).
using Mark = std::uint32_t;

// One session as listed: the element of set `allowed*` joined with its
// MAC's mark in `session_marks` and that mark's `allowed_down` element.
struct Element {
  packet::MacAddr mac;
  std::optional<packet::IpAddr> ip;                   // bound address (maps allowed_ip4/6)
  std::optional<std::chrono::milliseconds> timeout;   // NFTA_SET_ELEM_TIMEOUT
  std::optional<std::chrono::milliseconds> expires;   // NFTA_SET_ELEM_EXPIRATION (time left)
  Mark mark = 0;                                      // 0: none (added by hand, or an old table)
  // Up: the `allowed*` element's counter; down: its mark's `allowed_down`
  // counter (0 if it has none). Both restart at 0 when the session is
  // (re)added.
  session::Traffic traffic;
};

// One element of `allowed_down` (a mark's download counter).
struct MarkCounter {
  Mark mark = 0;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};

// Everything the kernel holds of one session, added in one batch.
struct ElementSpec {
  Key key;
  std::chrono::seconds timeout{0};  // 0 = no timeout
  // rate_up / rate_down (bytes per second) are enforced in the kernel; the
  // other limits are the daemon's. Empty = unlimited.
  session::Limits limits{};
  // 0: the adapter picks one (and keeps the key's mark across re-adds).
  Mark mark = 0;
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
  // The same with rate limits: everything of the session (element, download
  // counter, rates; rates it no longer has are removed) in one batch.
  // Default: the limits are ignored (fakes that do not model them).
  virtual Result<void> add(const ElementSpec& spec) { return add(spec.key, spec.timeout); }
  // Removing a key that is not there is an error with code ENOENT.
  virtual Result<void> remove(const Key& key) = 0;
  // Every session of the three sets `allowed*`, with up and down counters.
  virtual Result<std::vector<Element>> list() = 0;
};

// --- batches ---

// A batch of a whole session fits in a buffer of this size (17 messages).
inline constexpr std::size_t kSessionBatchBufferSize = 20 * kMaxMessage;

// Adds a session, or refreshes it, in one batch that works whether or not
// its elements exist, on every kernel. For each of its elements:
//   NFT_MSG_NEWSETELEM NLM_F_CREATE           (no-op if present)
//   NFT_MSG_DELSETELEM                        (now never ENOENT)
//   NFT_MSG_NEWSETELEM NLM_F_CREATE|NLM_F_EXCL with the new timeout
// in this order: set names.set_for(key), map `session_marks` (MAC : mark),
// set `allowed_down` (mark), set `rate_up` (MAC) and `rate_down` (mark); a
// rate the spec does not have gets only the first two (so a rate of the
// previous session goes). Messages seq+1 .. seq+n, END at seq+n+1; n <= 15. The transaction is
// atomic: no packet sees the session missing. Counters restart at 0.
// timeout 0 = elements without NFTA_SET_ELEM_TIMEOUT (never expire).
// `spec.mark` must not be 0, and must be the mark the MAC already has in
// `session_marks` if it has one (else that NEWSETELEM answers EBUSY).
// `buf` needs kSessionBatchBufferSize bytes.
std::size_t build_session_add(std::span<std::byte> buf, std::uint32_t seq, const Names& names,
                              const ElementSpec& spec);
// One NFTA_LIMIT expression of a rate: `limit rate over R bytes/second burst
// B bytes` (NFT_LIMIT_PKT_BYTES, NFT_LIMIT_F_INV: matches what is *over*).
// The burst we give is kRateBurst of a second's worth (docs/ruleset.md).
struct RateLimit {
  std::uint64_t rate = 0;   // NFTA_LIMIT_RATE, bytes per NFTA_LIMIT_UNIT (1 s)
  std::uint32_t burst = 0;  // NFTA_LIMIT_BURST, bytes
};
RateLimit rate_limit(std::uint64_t bytes_per_second);

// The old single-set batch (MAC or MAC . address without mark, for sets):
// kept for the tests of a set without data.
std::size_t build_setelem_add(std::span<std::byte> buf, std::uint32_t seq, const Names& names,
                              const Key& key, std::chrono::milliseconds timeout);
// Bulk add, for restoring sessions: BEGIN, then NFT_MSG_NEWSETELEM messages
// (NLM_F_CREATE|NLM_F_ACK, seq+1, seq+2, ...) of up to kElementsPerMessage
// elements each, as many as fit in `buf`, then END. Returns the batch length
// and how many of `elements` it holds (0, 0 if `buf` is too small). A group
// of up to kElementsPerMessage sessions of one set makes one message per
// set it touches: the set (keys), `session_marks` (MAC : mark),
// `allowed_down` (marks), and `rate_up` / `rate_down` for those with rates;
// a batch stops where the set changes.
// Every spec needs its mark (not 0).
inline constexpr std::size_t kElementsPerMessage = 256;
// Upper bounds of one element in a NEWSETELEM message (attribute headers
// 4 bytes, payloads padded to 4):
//  - of `allowed*`: list nest 4, key nest 4 + value 4+24 (MAC . IPv6),
//    timeout 12 = 48, with room;
//  - of `session_marks`: 4 + key 4+4+8 + timeout 12 + data 4+4+4 = 44;
//  - of `allowed_down`: 4 + key 4+4+4 + timeout 12 = 28;
//  - of `rate_*`: 4 + key 16 + timeout 12 + expression (nest 4, name 4+8,
//    data 4 + rate 12 + unit 12 + burst 8 + type 8 + flags 8) = 100.
// The bulk builder reserves these before libnftnl (which checks nothing)
// writes a message; the bulk test checks every message against them.
inline constexpr std::size_t kMaxElementBytes = 56;
inline constexpr std::size_t kMaxMarkElementBytes = 48;
inline constexpr std::size_t kMaxDownElementBytes = 32;
inline constexpr std::size_t kMaxRateElementBytes = 112;
inline constexpr std::size_t kMaxBulkMessage = kMaxMessage + kElementsPerMessage * kMaxRateElementBytes;
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
// Removes a session in one batch: seq+1 DELSETELEM of the key in its set
// (ENOENT if absent: the whole batch fails), then create + delete (= make
// sure it is gone, never ENOENT) of MAC : mark in `session_marks`, of its
// mark in `allowed_down` and `rate_down` and of its MAC in `rate_up`:
// seq+2 .. seq+9, END seq+10. mark 0 (unknown): the set element only. `buf` needs kSessionBatchBufferSize.
std::size_t build_session_del(std::span<std::byte> buf, std::uint32_t seq, const Names& names,
                              const Key& key, Mark mark);

// --- plain request (not batched) ---

// NFT_MSG_GETSETELEM of names.set, NLM_F_DUMP (no NLM_F_ACK: a dump ends with NLMSG_DONE,
// or an NLMSG_ERROR such as ENOENT when the set is missing): every element.
// (For `allowed_down`, name it in names.set.)
std::size_t build_setelem_dump(std::span<std::byte> buf, std::uint32_t seq, const Names& names);

// --- parser ---

// One NFT_MSG_NEWSETELEM message of a dump (starting at its nlmsghdr):
// appends its elements to `out`. Keys of 6 bytes (MAC), 12 (MAC . IPv4)
// and 24 bytes (MAC . IPv6) are read; other keys are skipped (not our
// sets). The data of a map element (4 bytes) is its mark (other data
// lengths: mark 0). Counters (up) come from the element's `counter` expression
// (NFTA_SET_ELEM_EXPR or NFTA_SET_ELEM_EXPRESSIONS, both parsed by libnftnl
// into the element's expression list). EINVAL on a malformed message, and
// on what our sets never hold and libnftnl mishandles (exits or crashes):
// verdicts, expressions other than `counter`, element attributes
// above NFTA_SET_ELEM_MAX (docs/fuzzing.md, findings 5-7).
Result<void> parse_setelems(std::span<const std::byte> msg, std::vector<Element>& out);
// The same for `allowed_down`: 4-byte keys (marks) with their counter;
// other keys are skipped.
Result<void> parse_mark_counters(std::span<const std::byte> msg, std::vector<MarkCounter>& out);
// Sets each element's mark from `marks` (parsed from `session_marks`: MAC
// and mark) and its down counters from `down` by that mark.
void join_sessions(std::vector<Element>& elements, const std::vector<Element>& marks,
                   const std::vector<MarkCounter>& down);

}  // namespace captive::nft
