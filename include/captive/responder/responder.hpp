// The stateless TCP responder: one queued packet in, Ethernet frames out.
//
// SYN -> SYN-ACK whose ISN is a SYN cookie (keyed SipHash of the 4-tuple and a
// 64 s time slot, low 3 bits = index of the client's MSS, rounded down); the
// first data segment whose ack matches the cookie is the HTTP request: it is
// answered with ACK + response data + FIN, in segments no larger than the
// client's MSS and never past the window the request segment advertised.
// What does not fit the window is sent when the client retransmits the
// request, which we leave unacknowledged until the last part goes out.
// FIN -> ACK. RST -> nothing. An ACK that matches no cookie -> RST. Nothing is
// kept per connection, so a lost answer is simply rendered again when the
// client retransmits its request.
//
// Pure: no kernel, no sockets, no allocation in handle().
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "captive/http/answer.hpp"
#include "captive/http/link_signature.hpp"
#include "captive/http/probe_table.hpp"
#include "captive/http/request.hpp"
#include "captive/packet/address.hpp"
#include "captive/packet/segment_view.hpp"
#include "captive/responder/client_log.hpp"
#include "captive/responder/seen_macs.hpp"
#include "captive/responder/syn_cookie.hpp"

namespace captive::responder {

inline constexpr std::size_t kMaxFrameSize = 1514;  // Ethernet header + 1500
inline constexpr std::size_t kMaxFrames = 16;

struct Settings {
  // Where the sign-in page is, per address family of the intercepted request,
  // e.g. "http://192.0.2.1:8511/" and "http://[2001:db8:1::1]:8511/".
  // Empty: fall back to the other family's URL.
  std::string portal_url_v4;
  std::string portal_url_v6;
  // Key of the cookie hash (crypto_shorthash, SipHash-2-4).
  std::array<std::uint8_t, 16> cookie_key{};
  // Key of the sign-in link's signature (http/link_signature.hpp); must
  // differ from cookie_key and be the portal's (HandlerSettings::link_key).
  http::LinkKey link_key{};
  // The LAN device: source MAC of our frames, and the MTU that caps our MSS.
  packet::MacAddr lan_mac;
  std::uint16_t lan_mtu = 1500;
  // The OS connectivity probes that get the 302 (http/probe_table.hpp,
  // docs/clients.md); null: the 511 for every request. Read-only, shared
  // by every queue's responder.
  std::shared_ptr<const http::ProbeTable> probes;
  // The 511 bodies of the page templates, by language (--templates,
  // docs/templates.md); null or empty: the built-in English body.
  std::shared_ptr<const http::AnswerBodiesSlot> answer_bodies;
  // Where each answered request is noted for `captivectl doctor` (shared
  // by every queue and the portal; may be null).
  ClientLog* client_log = nullptr;
  // Where answered clients' MACs go for --radius-mac-auth (seen_macs.hpp;
  // may be null).
  SeenMacs* seen_macs = nullptr;
};

// One queued packet as NFQUEUE hands it over.
struct Packet {
  std::span<const std::byte> l3;      // starts at the IPv4/IPv6 header; may be truncated by copy range
  std::uint32_t original_length = 0;  // NFQA_CAP_LEN, or l3.size() when not truncated
  packet::MacAddr client_mac;         // NFQA_HWADDR
  bool checksum_not_ready = false;    // NFQA_SKB_CSUMNOTREADY: don't verify the TCP checksum
};

using FrameSlot = std::array<std::byte, kMaxFrameSize>;

// Where handle() writes its frames: `capacity` free slots owned by the
// caller (an Output, or the tail of the worker's send batch, so frames are
// built where they are sent from and never copied). handle() sets `count`.
struct FrameSink {
  FrameSlot* frames = nullptr;
  std::size_t* lengths = nullptr;
  std::size_t capacity = 0;  // handle() needs kMaxFrames to send a whole window
  std::size_t count = 0;
  std::span<const std::byte> frame(std::size_t i) const { return {frames[i].data(), lengths[i]}; }
};

// Frames to send, in order; owned by the caller and reused (no allocation).
struct Output {
  std::array<FrameSlot, kMaxFrames> frames;
  std::array<std::size_t, kMaxFrames> lengths{};
  std::size_t count = 0;
  void clear() { count = 0; }
  std::span<const std::byte> frame(std::size_t i) const { return {frames[i].data(), lengths[i]}; }
};

// Why a packet got what it got. Every outcome has a counter.
enum class Outcome {
  syn_ack,            // SYN answered with a cookie SYN-ACK
  answered,           // request answered (511 or probe answer)
  fin_ack,            // client FIN acknowledged
  reset,              // segment matching no cookie answered with RST
  ignored_ack,        // pure ACK or RST or continuation of a request: nothing to send
  bad_packet,         // not IPv4/IPv6 TCP, truncated headers, bad lengths
  bad_checksum,       // TCP checksum wrong (only checked when complete)
  not_http,           // data with a valid cookie that is not an HTTP request
  answered_part,      // part of an answer, as much as the client's window (or kMaxFrames) takes
  window_full,        // a request, but the client's window takes nothing now
  mss_too_small,      // SYN advertising an MSS below kMinServedMss: not served, no answer
  not_unicast,        // source MAC multicast/broadcast (I/G bit): never answered
  count_
};

struct Stats {
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Outcome::count_)> outcomes{};
  // Requests (first copies) answered with the probe table's 302.
  std::atomic<std::uint64_t> probe_redirects{0};
  std::uint64_t get(Outcome o) const { return outcomes[static_cast<std::size_t>(o)].load(std::memory_order_relaxed); }
};

const char* outcome_name(Outcome o);

class Responder {
 public:
  explicit Responder(Settings settings);

  // Decides what to answer to `in` at time `now_seconds` and writes the
  // frames into `out` (cleared first). `now_seconds` must come from a clock
  // NTP cannot step (the daemon passes CLOCK_BOOTTIME seconds): only
  // differences matter, and a step would expire or extend every cookie.
  // Never throws, never reads outside in.l3, never allocates.
  Outcome handle(const Packet& in, std::uint64_t now_seconds, Output& out);
  // The same into caller-owned slots (count reset first). With
  // fewer than kMaxFrames slots a window's worth is cut to what fits.
  Outcome handle(const Packet& in, std::uint64_t now_seconds, FrameSink& out);

  const Stats& stats() const { return stats_; }
  const Settings& settings() const { return settings_; }

 private:
  Outcome decide(const Packet& in, std::uint64_t now_seconds, FrameSink& out) const;
  // nullopt: nothing of the answer is left to send (the segment is then
  // handled like any other, e.g. its FIN acknowledged).
  std::optional<Outcome> answer_request(const Packet& in, const packet::SegmentView& seg,
                                        const http::Request& request, const CookieMatch& match,
                                        std::uint64_t now_seconds, FrameSink& out) const;
  // Appends one frame to `out` from our side of `seg`'s connection.
  bool emit(const Packet& in, const packet::SegmentView& seg, std::uint32_t seq, std::uint32_t ack,
            std::uint8_t flags, std::uint16_t mss_option, std::span<const std::byte> payload,
            FrameSink& out) const;

  Settings settings_;
  SynCookies cookies_;
  mutable Stats stats_;  // counted from the const decision path too
};

}  // namespace captive::responder
