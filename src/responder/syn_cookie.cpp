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
static_assert(kMssTable.size() <= kIndexMask + 1);

}  // namespace

std::uint16_t lan_mss(bool v4, std::uint16_t lan_mtu) {
  const std::size_t overhead = v4 ? packet::kIpv4MinHeaderSize + packet::kTcpMinHeaderSize
                                  : packet::kIpv6HeaderSize + packet::kTcpMinHeaderSize;
  const std::size_t frame_cap = kMaxFrameSize - packet::kEthernetHeaderSize - overhead;
  std::size_t mss = lan_mtu > overhead ? lan_mtu - overhead : 0;
  if (mss > frame_cap) mss = frame_cap;
  // An absurdly small MTU in the config must not stall us on empty segments.
  if (mss < kMssTable[0]) mss = kMssTable[0];
  return static_cast<std::uint16_t>(mss);
}

std::uint8_t mss_index_for(std::optional<std::uint16_t> client_mss, bool v4, std::uint16_t lan_mtu) {
  std::uint16_t limit = client_mss.value_or(v4 ? 536 : 1220);
  const auto cap = lan_mss(v4, lan_mtu);
  if (limit > cap) limit = cap;
  std::uint8_t index = 0;
  for (std::uint8_t i = 0; i < kMssTable.size(); ++i)
    if (kMssTable[i] <= limit) index = i;
  return index;
}

std::uint16_t mss_for_index(std::uint8_t index, bool v4, std::uint16_t lan_mtu) {
  if (index >= kMssTable.size()) index = 0;
  const auto cap = lan_mss(v4, lan_mtu);
  return kMssTable[index] < cap ? kMssTable[index] : cap;
}

std::uint32_t SynCookies::hash(const FourTuple& tuple, std::uint64_t slot) const {
  // family, src[16], dst[16], sport, dport, slot: fixed layout, so that no
  // two tuples hash the same input.
  std::uint8_t input[1 + 16 + 16 + 2 + 2 + 8] = {};
  input[0] = static_cast<std::uint8_t>(tuple.src.family);
  std::memcpy(input + 1, tuple.src.bytes.data(), 16);
  std::memcpy(input + 17, tuple.dst.bytes.data(), 16);
  input[33] = static_cast<std::uint8_t>(tuple.src_port >> 8);
  input[34] = static_cast<std::uint8_t>(tuple.src_port);
  input[35] = static_cast<std::uint8_t>(tuple.dst_port >> 8);
  input[36] = static_cast<std::uint8_t>(tuple.dst_port);
  for (int i = 0; i < 8; ++i) input[37 + i] = static_cast<std::uint8_t>(slot >> (8 * i));
  std::uint8_t out[crypto_shorthash_BYTES];
  crypto_shorthash(out, input, sizeof input, key_.data());
  return static_cast<std::uint32_t>(out[0]) | (static_cast<std::uint32_t>(out[1]) << 8) |
         (static_cast<std::uint32_t>(out[2]) << 16) | (static_cast<std::uint32_t>(out[3]) << 24);
}

std::uint32_t SynCookies::make(const FourTuple& tuple, std::uint64_t now_seconds,
                               std::uint8_t mss_index) const {
  return (hash(tuple, now_seconds / kCookieSlotSeconds) & ~kIndexMask) | (mss_index & kIndexMask);
}

std::optional<CookieMatch> SynCookies::match(const FourTuple& tuple, std::uint64_t now_seconds,
                                             std::uint32_t ack) const {
  const std::uint64_t slot = now_seconds / kCookieSlotSeconds;
  const std::uint32_t isn = ack - 1;  // what cookie + 1 would make, mod 2^32
  for (std::uint64_t back = 0; back <= 1 && back <= slot; ++back) {
    const std::uint32_t base = hash(tuple, slot - back) & ~kIndexMask;
    // Exactly cookie + 1: the low bits are the MSS index.
    if ((isn & ~kIndexMask) == base && (isn & kIndexMask) < kMssTable.size())
      return CookieMatch{isn, static_cast<std::uint8_t>(isn & kIndexMask), true};
    // Further on: the client acknowledged (part of) our answer. The index is
    // then unknown and not needed (we only ACK a FIN).
    const std::uint32_t advance = isn - base;  // wraps like sequence numbers
    if (advance <= kMaxAckAdvance + kIndexMask) return CookieMatch{base, 0, false};
  }
  return std::nullopt;
}

}  // namespace captive::responder
