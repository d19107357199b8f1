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
// under 7 KB; kMaxFrames segments of MSS 536 carry 8576.
constexpr std::size_t kMaxAnswerSize = 8192;
// An answer that fits one segment survives loss without any state: if the
// segment is lost the client retransmits its request and gets the same
// answer again; a lost middle segment of a longer answer could only be
// resent from a cache. So the answer is rendered with as much of the
// original URL as fits one segment, and spread over several segments only
// when even no URL does not fit (an MSS under ~450 or a very long portal URL).
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
    case Outcome::count_: break;
  }
  return "unknown";
}

bool well_formed(Outcome o) { return o != Outcome::bad_packet && o != Outcome::bad_checksum && o != Outcome::count_; }

Responder::Responder(Settings settings)
    : settings_(std::move(settings)), cookies_(settings_.cookie_key) {
  // crypto_shorthash needs no initialisation, but libsodium wants
  // sodium_init() before any use; calling it again is harmless.
  if (sodium_init() < 0) LOG_ERROR("responder: sodium_init failed");
}

Outcome Responder::handle(const Packet& in, std::uint64_t now_seconds, Output& out) {
  out.clear();
  const Outcome o = decide(in, now_seconds, out);
  stats_.outcomes[static_cast<std::size_t>(o)].fetch_add(1, std::memory_order_relaxed);
  return o;
}

bool Responder::emit(const Packet& in, const packet::SegmentView& seg, std::uint32_t seq, std::uint32_t ack,
                     std::uint8_t flags, std::uint16_t mss_option,
                     std::span<const std::byte> payload, Output& out) const {
  if (out.count == kMaxFrames) return false;
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

Outcome Responder::answer_request(const Packet& in, const packet::SegmentView& seg,
                                  const http::Request& request, const CookieMatch& match,
                                  Output& out) const {
  const bool v4 = seg.is_v4();
  const std::uint16_t mss = mss_for_index(match.mss_index, v4, settings_.lan_mtu);
  const std::string_view own = v4 ? settings_.portal_url_v4 : settings_.portal_url_v6;
  const std::string_view other = v4 ? settings_.portal_url_v6 : settings_.portal_url_v4;

  http::AnswerContext context;
  context.portal_url = own.empty() ? other : own;
  context.destination = seg.dst();
  context.destination_port = seg.tcp().dst_port();
  const auto kind = http::choose_answer(request);

  std::array<char, kMaxAnswerSize> text;
  const std::size_t most = kMaxFrames * mss < text.size() ? kMaxFrames * mss : text.size();
  std::size_t length = 0;
  for (const std::size_t room : {static_cast<std::size_t>(mss), most}) {
    for (const auto cap : kUrlCaps) {
      context.max_original_url = cap;
      length = http::render_answer(std::span(text.data(), room), kind, request, context);
      if (length != 0) break;
    }
    if (length != 0) break;
  }
  if (length == 0) {
    // Only a portal URL of kilobytes gets here; the config should refuse it.
    emit(in, seg, seg.tcp().ack(), 0, kTcpRst, 0, {}, out);
    return Outcome::reset;
  }

  // Our data starts right after our SYN (cookie + 1) and acknowledges the
  // whole request segment by its declared length (and a FIN riding on it).
  const auto& tcp = seg.tcp();
  const std::uint32_t ack = tcp.seq() + static_cast<std::uint32_t>(seg.payload_length()) +
                            ((tcp.flags() & kTcpFin) ? 1u : 0u);
  const auto bytes = std::as_bytes(std::span(text.data(), length));
  std::uint32_t seq = match.cookie + 1;
  for (std::size_t at = 0; at < length; at += mss) {
    const std::size_t chunk = length - at < mss ? length - at : mss;
    const bool last = at + chunk == length;
    // We close with the last segment: Connection: close, and nothing is kept.
    const std::uint8_t flags = kTcpAck | kTcpPsh | (last ? kTcpFin : 0);
    if (!emit(in, seg, seq, ack, flags, 0, bytes.subspan(at, chunk), out)) {
      out.clear();
      return Outcome::bad_packet;
    }
    seq += static_cast<std::uint32_t>(chunk);
  }
  return Outcome::answered;
}

Outcome Responder::decide(const Packet& in, std::uint64_t now_seconds, Output& out) const {
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
    const std::uint8_t index = mss_index_for(tcp.mss(), v4, settings_.lan_mtu);
    const std::uint32_t isn = cookies_.make(tuple, now_seconds, index);
    // Data on a SYN (TFO without a cookie of ours) is not acknowledged; the
    // client sends it again after the handshake.
    if (!emit(in, seg, isn, tcp.seq() + 1, kTcpSyn | kTcpAck, lan_mss(v4, settings_.lan_mtu), {},
              out))
      return Outcome::bad_packet;
    return Outcome::syn_ack;
  }

  // RFC 9293 §3.10.7.4: outside SYN-SENT/LISTEN a segment without ACK is dropped.
  if (!(flags & kTcpAck)) return Outcome::bad_packet;

  const auto match = cookies_.match(tuple, now_seconds, tcp.ack());
  if (!match || (flags & kTcpSyn)) {
    // RFC 9293 §3.10.7.1: <SEQ=SEG.ACK><CTL=RST>. A connection we do not know
    // (stale, from before a revoke or a restart with a new key, or expired)
    // fails at once instead of timing out.
    emit(in, seg, tcp.ack(), 0, kTcpRst, 0, {}, out);
    return Outcome::reset;
  }

  if (payload_length > 0 && match->exact) {
    const auto request = http::parse_request(seg.payload());
    switch (request.kind) {
      case http::RequestKind::request:
        return answer_request(in, seg, request, *match, out);
      case http::RequestKind::continuation:
        break;  // a later segment of a request we answered: see below for FIN
      case http::RequestKind::not_http:
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
