// Shared by the worker tests: settings with a fixed key, a clock the test
// sets, and the captured frames of tests/fixtures/core as queued packets.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "captive/nfq/queue.hpp"
#include "captive/packet/address.hpp"
#include "captive/packet/byte_order.hpp"
#include "captive/responder/responder.hpp"
#include "captured_frames.hpp"

namespace captive::worker::testing {

inline std::uint64_t g_now = 64 * 5000 + 3;
inline std::uint64_t test_clock() { return g_now; }

inline responder::Settings settings() {
  responder::Settings s;
  s.portal_url_v4 = "http://192.0.2.1:8511/";
  s.portal_url_v6 = "http://[2001:db8:1::1]:8511/";
  for (std::size_t i = 0; i < s.cookie_key.size(); ++i) s.cookie_key[i] = static_cast<std::uint8_t>(0xa0 + i);
  s.lan_mac = *packet::MacAddr::parse("02:00:00:00:00:01");
  return s;
}

inline const packet::MacAddr kClientMac = *packet::MacAddr::parse("c6:54:7e:3e:dc:6c");

// A captured frame as NFQUEUE hands it over: from the IP header, with the
// source MAC, CHECKSUM_PARTIAL as captured on veth. `l3` must outlive it.
inline nfq::QueuedPacket queued(std::uint32_t id, std::span<const std::byte> l3, bool with_hwaddr = true) {
  nfq::QueuedPacket p;
  p.id = id;
  p.hw_protocol = (std::to_integer<unsigned>(l3[0]) >> 4) == 4 ? 0x0800 : 0x86dd;
  p.payload = l3;
  p.original_length = static_cast<std::uint32_t>(l3.size());
  if (with_hwaddr) p.hwaddr = kClientMac;
  p.checksum_not_ready = true;
  return p;
}

// The captured request, acknowledging our cookie instead of the real
// server's ISN, and advertising its window unscaled (64256), as a client
// does with us: our SYN-ACK has no window scale option (RFC 7323 §2.2).
inline std::vector<std::byte> request_for(std::span<const unsigned char> frame, std::uint32_t cookie) {
  const auto l3 = fixtures::l3_bytes(frame);
  std::vector<std::byte> out(l3.begin(), l3.end());
  const std::size_t ip_header = (std::to_integer<unsigned>(out[0]) >> 4) == 4 ? 20 : 40;
  packet::store_be32(out.data() + ip_header + 8, cookie + 1);
  packet::store_be16(out.data() + ip_header + 14, 64256);
  return out;
}

inline std::string hex(std::span<const std::byte> bytes) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (auto b : bytes) {
    s += digits[std::to_integer<unsigned>(b) >> 4];
    s += digits[std::to_integer<unsigned>(b) & 15];
  }
  return s;
}

}  // namespace captive::worker::testing
