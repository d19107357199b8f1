#include "captive/responder/syn_cookie.hpp"

#include <sodium.h>

#include <cstring>

#include "captive/packet/ethernet_view.hpp"
#include "captive/packet/ipv4_view.hpp"
#include "captive/packet/ipv6_view.hpp"
#include "captive/packet/tcp_view.hpp"
#include "captive/responder/responder.hpp"

namespace captive::responder {
namespace {

constexpr std::uint32_t kIndexMask = 7;
static_assert(kMssTable.size() == kIndexMask + 1);

}  // namespace

std::uint16_t lan_mss(bool v4, std::uint16_t lan_mtu) {
  const std::size_t overhead = v4 ? packet::kIpv4MinHeaderSize + packet::kTcpMinHeaderSize
                                  : packet::kIpv6HeaderSize + packet::kTcpMinHeaderSize;
  const std::size_t frame_cap = kMaxFrameSize - packet::kEthernetHeaderSize - overhead;
  std::size_t mss = lan_mtu > overhead ? lan_mtu - overhead : 0;
  if (mss > frame_cap) mss = frame_cap;
  // An absurdly small MTU in the config must not stall us on empty segments.
  if (mss < kMinServedMss) mss = kMinServedMss;
  return static_cast<std::uint16_t>(mss);
}

std::optional<std::uint8_t> mss_index_for(std::optional<std::uint16_t> client_mss, bool v4,
                                          std::uint16_t lan_mtu) {
  std::uint16_t limit = client_mss.value_or(v4 ? 536 : 1220);
  const auto cap = lan_mss(v4, lan_mtu);
  if (limit > cap) limit = cap;
  if (limit < kMinServedMss) return std::nullopt;
  std::uint8_t index = 0;
  for (std::uint8_t i = 0; i < kMssTable.size(); ++i)
    if (kMssTable[i] <= limit) index = i;
  return index;
}

std::uint16_t mss_for_index(std::uint8_t index, bool v4, std::uint16_t lan_mtu) {
  const std::uint16_t mss = kMssTable[index & kIndexMask];
  const auto cap = lan_mss(v4, lan_mtu);
  return mss < cap ? mss : cap;
}

std::uint32_t SynCookies::hash(const FourTuple& tuple, std::uint64_t slot, std::uint8_t mss_index) const {
  // family, src[16], dst[16], sport, dport, slot, MSS index: fixed layout, so
  // that no two inputs hash the same bytes.
  std::uint8_t input[1 + 16 + 16 + 2 + 2 + 8 + 1] = {};
  input[0] = static_cast<std::uint8_t>(tuple.src.family);
  std::memcpy(input + 1, tuple.src.bytes.data(), 16);
  std::memcpy(input + 17, tuple.dst.bytes.data(), 16);
  input[33] = static_cast<std::uint8_t>(tuple.src_port >> 8);
  input[34] = static_cast<std::uint8_t>(tuple.src_port);
  input[35] = static_cast<std::uint8_t>(tuple.dst_port >> 8);
  input[36] = static_cast<std::uint8_t>(tuple.dst_port);
  for (int i = 0; i < 8; ++i) input[37 + i] = static_cast<std::uint8_t>(slot >> (8 * i));
  input[45] = mss_index;
  std::uint8_t out[crypto_shorthash_BYTES];
  crypto_shorthash(out, input, sizeof input, key_.data());
  return static_cast<std::uint32_t>(out[0]) | (static_cast<std::uint32_t>(out[1]) << 8) |
         (static_cast<std::uint32_t>(out[2]) << 16) | (static_cast<std::uint32_t>(out[3]) << 24);
}

std::uint32_t SynCookies::make(const FourTuple& tuple, std::uint64_t now_seconds,
                               std::uint8_t mss_index) const {
  mss_index &= kIndexMask;
  return (hash(tuple, now_seconds / kCookieSlotSeconds, mss_index) & ~kIndexMask) | mss_index;
}

std::optional<CookieMatch> SynCookies::match(const FourTuple& tuple, std::uint64_t now_seconds,
                                             std::uint32_t ack, bool lowest_index) const {
  const std::uint64_t slot = now_seconds / kCookieSlotSeconds;
  const std::uint32_t isn = ack - 1;  // what cookie + 1 would make, mod 2^32
  const auto try_index = [&](std::uint8_t index) -> std::optional<CookieMatch> {
    for (std::uint64_t back = 0; back <= 1 && back <= slot; ++back) {
      const std::uint32_t cookie = (hash(tuple, slot - back, index) & ~kIndexMask) | index;
      const std::uint32_t offset = isn - cookie;  // wraps like sequence numbers
      if (offset <= kMaxAckAdvance) return CookieMatch{cookie, index, offset, offset == 0};
    }
    return std::nullopt;
  };
  // First guess: the low bits are the index, as they are for cookie + 1 and
  // for every ack that covers a multiple of 8 bytes of our data.
  const auto guess = static_cast<std::uint8_t>(isn & kIndexMask);
  auto found = try_index(guess);
  // An exact ack (offset 0) matching a wrong index would need 29 hash bits
  // to collide; a later one only lands in a 64 KiB range. When the index
  // matters, the smallest index that matches is taken: the true one
  // matches too, so the MSS served is never larger than the client's.
  if (found && (found->exact || !lowest_index)) return found;
  for (std::uint8_t index = 0; index <= kIndexMask; ++index) {
    if (found && index >= found->mss_index) break;
    if (index == guess) continue;
    if (auto m = try_index(index)) {
      found = m;
      if (lowest_index) break;  // scanned from the smallest
      return found;
    }
  }
  return found;
}

}  // namespace captive::responder
