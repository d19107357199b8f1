// SYN cookies: the responder's only memory of a connection is the sequence
// number it chose. ISN = (SipHash-2-4(key; src, dst, sport, dport, slot) & ~7)
// | mss_index, slot = now / 64 s. Like Linux's tcp_syncookies (RFC 4987
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
// MSS values a cookie can carry (3 bits). 536 is the IPv4 default (RFC 9293
// §3.7.1), 1220 the IPv6 one (1280 minimum MTU - 60); the rest are the common
// PPPoE/tunnel/Ethernet values. 256 is for clients that advertise less than
// 536: we never send more than they asked for.
inline constexpr std::array<std::uint16_t, 7> kMssTable = {256, 536, 1220, 1360, 1400, 1440, 1460};
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
// - 60 (IPv6, RFC 8200 + 20 bytes TCP), and what fits one of our frames.
std::uint16_t lan_mss(bool v4, std::uint16_t lan_mtu);
// Index into kMssTable of the largest entry <= min(client MSS, lan_mss);
// without an MSS option the RFC 9293 §3.7.1 / RFC 8200 §5 defaults.
std::uint8_t mss_index_for(std::optional<std::uint16_t> client_mss, bool v4, std::uint16_t lan_mtu);
// The MSS a cookie's index stands for, capped by lan_mss.
std::uint16_t mss_for_index(std::uint8_t index, bool v4, std::uint16_t lan_mtu);

struct CookieMatch {
  std::uint32_t cookie = 0;  // our ISN
  std::uint8_t mss_index = 0;
  bool exact = false;        // ack == cookie + 1: we have sent nothing yet
};

class SynCookies {
 public:
  explicit SynCookies(const std::array<std::uint8_t, 16>& key) : key_(key) {}

  std::uint32_t make(const FourTuple& tuple, std::uint64_t now_seconds, std::uint8_t mss_index) const;
  // Whether `ack` acknowledges our SYN of a cookie of this slot or the one
  // before (64-128 s of validity), i.e. ack - 1 - cookie in [0, kMaxAckAdvance].
  // nullopt otherwise. Never allocates.
  std::optional<CookieMatch> match(const FourTuple& tuple, std::uint64_t now_seconds,
                                   std::uint32_t ack) const;

 private:
  std::uint32_t hash(const FourTuple& tuple, std::uint64_t slot) const;
  std::array<std::uint8_t, 16> key_;
};

}  // namespace captive::responder
