// SYN cookies: the responder's only memory of a connection is the sequence
// number it chose. ISN = (SipHash-2-4(key; src, dst, sport, dport, slot,
// mss_index) & ~7) | mss_index, slot = now / 64 s. The index is hashed too,
// so an ack anywhere inside our answer still tells the MSS for sure. Like Linux's tcp_syncookies (RFC 4987
// §3.6), but keyed with libsodium's crypto_shorthash and with the MSS in the
// low bits instead of a counter.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "captive/packet/address.hpp"

namespace captive::responder {

inline constexpr std::uint64_t kCookieSlotSeconds = 64;
// MSS values a cookie can carry (3 bits, all 8 used). A client is served the
// largest entry <= the MSS it advertised: rounding down, so no segment ever
// exceeds what it asked for (RFC 9293 §3.7.1). 536 is the IPv4 default,
// 1220 the IPv6 one (1280 minimum MTU - 60); 1360-1460 are the common
// PPPoE/tunnel/Ethernet values; 64-256 serve the rare small ones.
inline constexpr std::array<std::uint16_t, 8> kMssTable = {64, 128, 256, 536, 1220, 1360, 1440, 1460};
// Below this a client is not served at all: its SYN gets no answer
// (Outcome::mss_too_small). 64 bytes of data per segment still carries the
// 511 in 8 segments.
inline constexpr std::uint16_t kMinServedMss = kMssTable[0];
// How far past cookie + 1 a client's ack may be and still be ours: our answer
// and FIN are far smaller, and this is what the brief allows.
inline constexpr std::uint32_t kMaxAckAdvance = 65536;

// The connection as the client sent it.
struct FourTuple {
  packet::IpAddr src;
  packet::IpAddr dst;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
};

// The largest MSS we may send in one segment on the LAN: MTU - 40 (IPv4) or
// - 60 (IPv6, RFC 8200 + 20 bytes TCP), and what fits one of our frames;
// never below kMinServedMss (a tiny configured MTU must not stall us on
// empty segments).
std::uint16_t lan_mss(bool v4, std::uint16_t lan_mtu);
// Index into kMssTable of the largest entry <= min(client MSS, lan_mss);
// without an MSS option the RFC 9293 §3.7.1 / RFC 8200 §5 defaults (536,
// 1220). nullopt when the client's MSS is below kMinServedMss.
std::optional<std::uint8_t> mss_index_for(std::optional<std::uint16_t> client_mss, bool v4,
                                          std::uint16_t lan_mtu);
// The MSS a cookie's index stands for, capped by lan_mss.
std::uint16_t mss_for_index(std::uint8_t index, bool v4, std::uint16_t lan_mtu);

// What an ack tells about our side of a cookie connection.
struct CookieMatch {
  std::uint32_t cookie = 0;   // our ISN: (hash & ~7) | mss_index
  std::uint8_t mss_index = 0;
  std::uint32_t offset = 0;   // bytes of our data (and FIN) acknowledged: ack - cookie - 1
  bool exact = false;         // offset == 0: we have sent nothing yet
};

class SynCookies {
 public:
  explicit SynCookies(const std::array<std::uint8_t, 16>& key) : key_(key) {}

  std::uint32_t make(const FourTuple& tuple, std::uint64_t now_seconds, std::uint8_t mss_index) const;
  // Whether `ack` acknowledges our SYN of a cookie of this slot or the one
  // before (64-128 s of validity), i.e. ack - 1 - cookie in [0, kMaxAckAdvance]
  // for the cookie of some MSS index. Costs 2 hashes when the low bits of
  // ack - 1 are the index (cookie + 1, or a multiple of 8 bytes later), up
  // to 16 otherwise (and for an ack that matches nothing). With
  // `lowest_index` a non-exact match is the smallest index that matches.
  // nullopt otherwise. Never allocates. `now_seconds` must come from a clock
  // that is never stepped (CLOCK_BOOTTIME in the daemon): a wall clock set
  // back or forward by NTP would expire every cookie or keep old ones valid.
  std::optional<CookieMatch> match(const FourTuple& tuple, std::uint64_t now_seconds,
                                   std::uint32_t ack, bool lowest_index = false) const;

 private:
  std::uint32_t hash(const FourTuple& tuple, std::uint64_t slot, std::uint8_t mss_index) const;
  std::array<std::uint8_t, 16> key_;
};

}  // namespace captive::responder
