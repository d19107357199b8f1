// Table, set and chain as objects (libnftnl: table.c, set.c, chain.c): we
// never create them (the ruleset does, docs/ruleset.md), only ask whether
// they are there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "captive/nft/names.hpp"

namespace captive::nft {

enum class Object { table, set, chain };
// NFT_MSG_GETTABLE / GETSET / GETCHAIN for one named object, NLM_F_ACK: the
// kernel answers the object and an ack, or ENOENT. Returns the length; 0 if
// `buf` is shorter than kBatchBufferSize, not 4-aligned, or a name is invalid.
std::size_t build_get(std::span<std::byte> buf, std::uint32_t seq, const Names& names, Object what);

}  // namespace captive::nft
