#include "captive/responder/responder.hpp"

#include <sodium.h>

#include <array>

#include "captive/http/answer.hpp"
#include "captive/http/request.hpp"
#include "captive/packet/tcp_frame.hpp"
#include "captive/packet/tcp_view.hpp"
#include "captive/util/log.hpp"

namespace captive::responder {
namespace {

using packet::kTcpAck;
using packet::kTcpFin;
using packet::kTcpPsh;
using packet::kTcpRst;
using packet::kTcpSyn;

constexpr std::uint16_t kWindow = 65535;  // no window scaling: we never receive much
// Room for the rendered answer: the 511 with a 1024-byte original URL is
// under 7 KB.
constexpr std::size_t kMaxAnswerSize = 8192;
// An answer that fits one segment survives loss without any state: if the
// segment is lost the client retransmits its request and gets the same
// answer again; a lost middle segment of a longer answer could only be
// resent from a cache. So the answer is rendered with as much of the
// original URL as fits one segment, and spread over several segments only
// when even no URL does not fit (an MSS under ~510 or a very long portal URL).
constexpr std::array<std::size_t, 6> kUrlCaps = {http::kMaxOriginalUrl, 512, 256, 128, 64, 0};
FourTuple client_tuple(const packet::SegmentView& seg) {
  return {seg.src(), seg.dst(), seg.tcp().src_port(), seg.tcp().dst_port()};
}

}  // namespace

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::syn_ack: return "syn_ack";
    case Outcome::answered: return "answered";
    case Outcome::fin_ack: return "fin_ack";
    case Outcome::reset: return "reset";
    case Outcome::ignored_ack: return "ignored_ack";
    case Outcome::bad_packet: return "bad_packet";
    case Outcome::bad_checksum: return "bad_checksum";
    case Outcome::not_http: return "not_http";
    case Outcome::answered_part: return "answered_part";
    case Outcome::window_full: return "window_full";
    case Outcome::mss_too_small: return "mss_too_small";
    case Outcome::not_unicast: return "not_unicast";
    case Outcome::count_: break;
  }
  return "unknown";
}

Responder::Responder(Settings settings)
    : settings_(std::move(settings)), cookies_(settings_.cookie_key) {
  // crypto_shorthash needs no initialisation, but libsodium wants
  // sodium_init() before any use; calling it again is harmless.
  if (sodium_init() < 0) LOG_ERROR("responder: sodium_init failed");
}

Outcome Responder::handle(const Packet& in, std::uint64_t now_seconds, Output& out) {
  FrameSink sink{out.frames.data(), out.lengths.data(), kMaxFrames, 0};
  const Outcome o = handle(in, now_seconds, sink);
  out.count = sink.count;
  return o;
}

Outcome Responder::handle(const Packet& in, std::uint64_t now_seconds, FrameSink& out) {
  out.count = 0;
  const Outcome o = decide(in, now_seconds, out);
  stats_.outcomes[static_cast<std::size_t>(o)].fetch_add(1, std::memory_order_relaxed);
  return o;
}

bool Responder::emit(const Packet& in, const packet::SegmentView& seg, std::uint32_t seq, std::uint32_t ack,
                     std::uint8_t flags, std::uint16_t mss_option,
                     std::span<const std::byte> payload, FrameSink& out) const {
  if (out.count >= out.capacity) return false;
  packet::TcpFrameSpec spec;
  spec.src_mac = settings_.lan_mac;
  spec.dst_mac = in.client_mac;
  spec.src = seg.dst();
  spec.dst = seg.src();
  spec.src_port = seg.tcp().dst_port();
  spec.dst_port = seg.tcp().src_port();
  spec.seq = seq;
  spec.ack = ack;
  spec.flags = flags;
  spec.window = kWindow;
  spec.mss = mss_option;
  spec.payload = payload;
  const std::size_t n = packet::build_tcp_frame(out.frames[out.count], spec);
  if (n == 0) return false;
  out.lengths[out.count] = n;
  ++out.count;
  return true;
}

std::optional<Outcome> Responder::answer_request(const Packet& in, const packet::SegmentView& seg,
                                                 const http::Request& request, const CookieMatch& match,
                                                 std::uint64_t now_seconds, FrameSink& out) const {
  const bool v4 = seg.is_v4();
  // RFC 9293 §3.7.1: no segment larger than the MSS the client advertised
  // (the cookie's index rounds it down; mss >= kMinServedMss).
  const std::uint16_t mss = mss_for_index(match.mss_index, v4, settings_.lan_mtu);
  const std::size_t segment = mss;
  const std::string_view own = v4 ? settings_.portal_url_v4 : settings_.portal_url_v6;
  const std::string_view other = v4 ? settings_.portal_url_v6 : settings_.portal_url_v4;

  http::AnswerContext context;
  context.portal_url = own.empty() ? other : own;
  context.destination = seg.dst();
  context.destination_port = seg.tcp().dst_port();
  context.link_key = settings_.link_key;
  context.client_mac = in.client_mac;
  // Held for this answer: a reload may replace the slot's bodies meanwhile.
  const auto bodies = settings_.answer_bodies ? settings_.answer_bodies->load() : nullptr;
  context.bodies = bodies.get();
  const auto choice = http::choose_answer(settings_.probes.get(), request);
  const auto kind = choice.kind;
  // The first copy of a request (nothing of the answer acknowledged yet):
  // noted once, not for each window's worth of a long answer.
  if (match.offset == 0 && kind == http::AnswerKind::probe_redirect)
    stats_.probe_redirects.fetch_add(1, std::memory_order_relaxed);
  if (settings_.client_log && match.offset == 0)
    settings_.client_log->record(in.client_mac, now_seconds,
                                 kind == http::AnswerKind::probe_redirect ? ClientEvent::answer_302
                                                                          : ClientEvent::answer_511,
                                 request.host, request.target, choice.probe);
  if (settings_.seen_macs && match.offset == 0) settings_.seen_macs->note(in.client_mac);

  // The rendering depends only on the request, the tuple, the client's MAC
  // (the link's signature) and the MSS, so a
  // retransmitted request renders byte for byte the same answer and a later
  // part continues the earlier one.
  std::array<char, kMaxAnswerSize> text;
  const std::size_t one_round = kMaxFrames * segment < text.size() ? kMaxFrames * segment : text.size();
  std::size_t length = 0;
  for (const std::size_t room : {segment, one_round, text.size()}) {
    for (const auto cap : kUrlCaps) {
      context.max_original_url = cap;
      length = http::render_answer(std::span(text.data(), room), kind, request, context);
      if (length != 0) break;
    }
    if (length != 0) break;
  }
  if (length == 0) {
    // Only a portal URL of kilobytes gets here; the config should refuse it.
    if (match.exact) {
      emit(in, seg, seg.tcp().ack(), 0, kTcpRst, 0, {}, out);
      return Outcome::reset;
    }
    return std::nullopt;
  }
  // The client acknowledged all of it (and our FIN): a late copy of the
  // request, or a second request on a connection we closed.
  if (match.offset > length) return std::nullopt;

  const auto& tcp = seg.tcp();
  const std::size_t remaining = length - match.offset;
  // The window this segment advertises, unscaled: our SYN-ACK carries no
  // window scale option, so none is in effect (RFC 7323 §2.2). It counts
  // from its ack, which is where this part starts.
  const std::size_t window = tcp.window();
  const std::size_t capacity = out.capacity - out.count;
  const std::size_t frames_room = capacity * segment;
  // The last part goes when it all fits, with a sequence number to spare for
  // the FIN (RFC 9293 §3.10.7.4 accepts a segment only inside the window).
  const bool last = remaining < window && (remaining + segment - 1) / segment <= capacity &&
                    (remaining != 0 || capacity != 0);
  std::size_t send = remaining;
  if (!last) {
    send = window < frames_room ? window : frames_room;
    if (send > remaining) send = remaining;
    if (send == 0) return Outcome::window_full;
  }

  // The request is acknowledged (by its declared length and a FIN riding on
  // it) only with the last part. Until then every part acknowledges nothing
  // of it, so the client retransmits the request, and the retransmission,
  // whose ack says how much it has, brings the next part: no state here,
  // and pure ACKs are not even queued to us (nft/captive.nft).
  const std::uint32_t ack =
      last ? tcp.seq() + static_cast<std::uint32_t>(seg.payload_length()) + ((tcp.flags() & kTcpFin) ? 1u : 0u)
           : tcp.seq();
  const auto bytes = std::as_bytes(std::span(text.data(), length)).subspan(match.offset, send);
  std::uint32_t seq = match.cookie + 1 + match.offset;
  if (send == 0) {
    // Everything but our FIN is acknowledged: the FIN alone.
    if (!emit(in, seg, seq, ack, kTcpAck | kTcpFin, 0, {}, out)) return Outcome::window_full;
    return Outcome::answered;
  }
  for (std::size_t at = 0; at < send; at += segment) {
    const std::size_t chunk = send - at < segment ? send - at : segment;
    // We close with the last segment: Connection: close, and nothing is kept.
    const std::uint8_t flags = kTcpAck | kTcpPsh | (last && at + chunk == send ? kTcpFin : 0);
    if (!emit(in, seg, seq, ack, flags, 0, bytes.subspan(at, chunk), out)) {
      out.count = 0;
      return Outcome::bad_packet;
    }
    seq += static_cast<std::uint32_t>(chunk);
  }
  return last ? Outcome::answered : Outcome::answered_part;
}

Outcome Responder::decide(const Packet& in, std::uint64_t now_seconds, FrameSink& out) const {
  // IEEE 802 I/G bit: a group address is never a frame's source; whoever
  // sends it is not a client we could answer (and an answer would go to
  // every host of the group).
  if (in.client_mac.is_multicast()) return Outcome::not_unicast;
  const auto parsed = packet::SegmentView::parse(in.l3);
  if (!parsed) return Outcome::bad_packet;
  const packet::SegmentView& seg = *parsed;
  const auto& tcp = seg.tcp();
  const bool v4 = seg.is_v4();

  const std::size_t original = in.original_length != 0 ? in.original_length : in.l3.size();
  const bool truncated = seg.truncated() || original > in.l3.size();
  // With NFQA_SKB_CSUMNOTREADY the field holds only the pseudo-header sum
  // (the NIC would finish it); a cut-short packet cannot be summed at all.
  if (!in.checksum_not_ready && !truncated && !seg.checksum_valid()) return Outcome::bad_checksum;

  const FourTuple tuple = client_tuple(seg);
  const std::uint8_t flags = tcp.flags();
  // What the client's sequence space advances by: the declared length, not
  // what the copy range left us.
  const auto payload_length = static_cast<std::uint32_t>(seg.payload_length());

  // RFC 9293 §3.10.7: a reset is never answered.
  if (flags & kTcpRst) return Outcome::ignored_ack;

  if ((flags & kTcpSyn) && !(flags & kTcpAck)) {
    if (flags & kTcpFin) return Outcome::bad_packet;  // SYN+FIN: a scan, not a client
    // A client whose MSS we cannot serve gets no SYN-ACK rather than
    // segments larger than it asked for (RFC 9293 §3.7.1).
    const auto index = mss_index_for(tcp.mss(), v4, settings_.lan_mtu);
    if (!index) return Outcome::mss_too_small;
    const std::uint32_t isn = cookies_.make(tuple, now_seconds, *index);
    // Data on a SYN (TFO without a cookie of ours) is not acknowledged; the
    // client sends it again after the handshake.
    if (!emit(in, seg, isn, tcp.seq() + 1, kTcpSyn | kTcpAck, lan_mss(v4, settings_.lan_mtu), {},
              out))
      return Outcome::bad_packet;
    return Outcome::syn_ack;
  }

  // RFC 9293 §3.10.7.4: outside SYN-SENT/LISTEN a segment without ACK is dropped.
  if (!(flags & kTcpAck)) return Outcome::bad_packet;

  auto match = cookies_.match(tuple, now_seconds, tcp.ack());
  if (!match || (flags & kTcpSyn)) {
    // RFC 9293 §3.10.7.1: <SEQ=SEG.ACK><CTL=RST>. A connection we do not know
    // (stale, from before a revoke or a restart with a new key, or expired)
    // fails at once instead of timing out.
    emit(in, seg, tcp.ack(), 0, kTcpRst, 0, {}, out);
    return Outcome::reset;
  }

  if (payload_length > 0) {
    const auto request = http::parse_request(seg.payload());
    switch (request.kind) {
      case http::RequestKind::request:
        // The first copy of the request (exact), or a retransmission whose
        // ack says how much of the answer the client already has; then the
        // MSS index must be the client's for sure (SynCookies::match).
        if (!match->exact) match = cookies_.match(tuple, now_seconds, tcp.ack(), true);
        if (auto answered = answer_request(in, seg, request, *match, now_seconds, out)) return *answered;
        break;
      case http::RequestKind::continuation:
        break;  // a later segment of a request we answered: see below for FIN
      case http::RequestKind::not_http:
        if (!match->exact) break;  // after our answer: nothing to say
        // Not ours to talk to: reset so the client gives up at once.
        emit(in, seg, tcp.ack(), 0, kTcpRst, 0, {}, out);
        return Outcome::not_http;
    }
  }

  if (flags & kTcpFin) {
    // Acknowledge the FIN (it takes one sequence number, RFC 9293 §3.4).
    emit(in, seg, tcp.ack(), tcp.seq() + payload_length + 1, kTcpAck, 0, {}, out);
    return Outcome::fin_ack;
  }
  return Outcome::ignored_ack;
}

}  // namespace captive::responder
