// Rules of chain `intercept` (libnftnl: rule.c, expr/queue.c, expr/target.c):
// the one queue rule captived puts there, the flush that takes it away, and
// the dump that tells whether it is there. Pure builders write into a caller
// buffer and return the length (0 if `buf` is shorter than
// kBatchBufferSize, not 4-aligned, or a name is invalid).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "captive/nft/batch.hpp"
#include "captive/nft/names.hpp"

namespace captive::nft {

enum class QueueKind { native, compat };
const char* queue_kind_name(QueueKind kind);  // "native nft queue" / "xt NFQUEUE (nft_compat)"

struct QueueRule {
  std::uint16_t queue_num = 0;
  std::uint16_t queues_total = 1;
  bool bypass = true;               // NFT_QUEUE_FLAG_BYPASS / NFQ_FLAG_BYPASS
};

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

// Replaces the content of chain `intercept` with the queue rule, in a batch:
//   seq+1 NFT_MSG_DELRULE with table + chain only (= flush chain)
//   seq+2 NFT_MSG_NEWRULE NLM_F_CREATE|NLM_F_APPEND with one expression:
//     native: `queue` (NFTA_QUEUE_NUM, NFTA_QUEUE_TOTAL, NFTA_QUEUE_FLAGS)
//     compat: `target` NFTA_TARGET_NAME "NFQUEUE", NFTA_TARGET_REV 3,
//             NFTA_TARGET_INFO = nfq_info_v3(rule)
std::size_t build_queue_rule(std::span<std::byte> buf, std::uint32_t seq, const Names& names,
                             const QueueRule& rule, QueueKind kind);
// A batch with seq+1 NFT_MSG_DELRULE with table + chain only.
std::size_t build_chain_flush(std::span<std::byte> buf, std::uint32_t seq, const Names& names);

// NFT_MSG_GETRULE, NLM_F_DUMP, of chain names.chain (not batched): its rules.
std::size_t build_rule_dump(std::span<std::byte> buf, std::uint32_t seq, const Names& names);

}  // namespace captive::nft
