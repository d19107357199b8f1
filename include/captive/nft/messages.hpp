// Pure builders and parsers of the nf_tables netlink messages the `nft`
// adapter sends (STYLE rule 4): each writes into a caller buffer and returns
// the length; no socket, no allocation that outlives the call. The adapter
// (allowed_set.cpp) only adds send/recv/ack. Every builder has a round-trip
// test in tests/unit/nft/messages_test.cpp.
//
// Batches: NFNL_MSG_BATCH_BEGIN (seq) .. messages (seq+1, seq+2, ..) ..
// NFNL_MSG_BATCH_END. Every message inside carries NLM_F_ACK, so the kernel
// answers each with exactly one NLMSG_ERROR (error 0 = ack), on success and
// on failure alike (nfnetlink_rcv_batch collects them and delivers them
// after the batch; on any error the whole batch is aborted).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "captive/nft/allowed_set.hpp"
#include "captive/util/result.hpp"

namespace captive::nft {

// Room one object message may need: headers + three names of at most
// kMaxName bytes + a few small attributes. Builders refuse to start a message
// with less than this left, so they never write past the caller's buffer.
inline constexpr std::size_t kMaxName = 255;  // NFT_NAME_MAXLEN - 1 (NUL)
inline constexpr std::size_t kMaxMessage = 1536;
// A buffer this big (aligned to 4) fits every batch below.
inline constexpr std::size_t kBatchBufferSize = 8192;

// Family of our table (`table inet captive`).
inline constexpr std::uint16_t kFamily = 1;  // NFPROTO_INET

// xt_NFQUEUE revision 3 target info as nft_compat wants it: struct
// xt_NFQ_info_v3 { u16 queuenum; u16 queues_total; u16 flags; } in host
// byte order, padded to XT_ALIGN (8): xt_check_target() rejects any other
// size with EINVAL. flags: NFQ_FLAG_BYPASS 0x01, NFQ_FLAG_CPU_FANOUT 0x02
// (set when queues_total > 1: queue = queuenum + CPU % total, so a packet
// is handled by the queue of the CPU that received it; without it the
// kernel picks the queue by a hash of the addresses).
inline constexpr std::size_t kNfqInfoSize = 8;
std::array<std::byte, kNfqInfoSize> nfq_info_v3(const QueueRule& rule);
// NFT_QUEUE_FLAG_* for the native expression (same values as NFQ_FLAG_*).
std::uint16_t queue_flags(const QueueRule& rule);

// true when every name is 1..kMaxName bytes with no NUL.
bool names_valid(const Names& names);

// --- batches (each returns the total length, 0 if `buf` is shorter than
// kBatchBufferSize, not 4-aligned, or a name is invalid) ---

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
// Replaces the content of chain `intercept` with the queue rule:
//   seq+1 NFT_MSG_DELRULE with table + chain only (= flush chain)
//   seq+2 NFT_MSG_NEWRULE NLM_F_CREATE|NLM_F_APPEND with one expression:
//     native: `queue` (NFTA_QUEUE_NUM, NFTA_QUEUE_TOTAL, NFTA_QUEUE_FLAGS)
//     compat: `target` NFTA_TARGET_NAME "NFQUEUE", NFTA_TARGET_REV 3,
//             NFTA_TARGET_INFO = nfq_info_v3(rule)
std::size_t build_queue_rule(std::span<std::byte> buf, std::uint32_t seq, const Names& names,
                             const QueueRule& rule, QueueKind kind);
// seq+1 NFT_MSG_DELRULE with table + chain only.
std::size_t build_chain_flush(std::span<std::byte> buf, std::uint32_t seq, const Names& names);

// --- plain requests (not batched) ---

// NFT_MSG_GETSETELEM of names.set, NLM_F_DUMP (no NLM_F_ACK: a dump ends with NLMSG_DONE,
// or an NLMSG_ERROR such as ENOENT when the set is missing): every element.
std::size_t build_setelem_dump(std::span<std::byte> buf, std::uint32_t seq, const Names& names);

// NFT_MSG_GETRULE, NLM_F_DUMP, of chain names.chain: its rules.
std::size_t build_rule_dump(std::span<std::byte> buf, std::uint32_t seq, const Names& names);

enum class Object { table, set, chain };
// NFT_MSG_GETTABLE / GETSET / GETCHAIN for one named object, NLM_F_ACK: the
// kernel answers the object and an ack, or ENOENT.
std::size_t build_get(std::span<std::byte> buf, std::uint32_t seq, const Names& names, Object what);

// --- parsers ---

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
