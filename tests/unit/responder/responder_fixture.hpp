// Shared helpers of the responder tests: a client that makes segments, and
// a reader of the frames the responder sends.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "captive/packet/ethernet_view.hpp"
#include "captive/packet/segment_view.hpp"
#include "captive/packet/tcp_frame.hpp"
#include "captive/packet/tcp_view.hpp"
#include "captive/responder/responder.hpp"

namespace captive::responder::testing {

inline Settings test_settings() {
  Settings s;
  s.portal_url_v4 = "http://192.0.2.1:8511/";
  s.portal_url_v6 = "http://[2001:db8:1::1]:8511/";
  for (std::size_t i = 0; i < s.cookie_key.size(); ++i) s.cookie_key[i] = static_cast<std::uint8_t>(i * 17 + 3);
  s.lan_mac = *packet::MacAddr::parse("02:00:00:00:00:01");
  s.lan_mtu = 1500;
  return s;
}

struct Client {
  packet::IpAddr ip;
  packet::IpAddr server;
  std::uint16_t port = 40000;
  std::uint16_t server_port = 80;
  packet::MacAddr mac = *packet::MacAddr::parse("02:00:00:00:00:02");
  std::uint32_t isn = 1000;
  std::uint16_t window = 64000;  // unscaled: we never agree to window scaling

  static Client v4() { return {*packet::IpAddr::parse("192.0.2.10"), *packet::IpAddr::parse("192.0.2.9")}; }
  static Client v6() { return {*packet::IpAddr::parse("2001:db8::10"), *packet::IpAddr::parse("2001:db8::9")}; }

  // An L3 packet from the client with a correct checksum.
  std::vector<std::byte> segment(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack,
                                 std::string_view data = {}, std::uint16_t mss = 0) const {
    packet::TcpFrameSpec s;
    s.src_mac = mac;
    s.src = ip;
    s.dst = server;
    s.src_port = port;
    s.dst_port = server_port;
    s.seq = seq;
    s.ack = ack;
    s.flags = flags;
    s.window = window;
    s.mss = mss;
    s.payload = std::as_bytes(std::span(data.data(), data.size()));
    std::vector<std::byte> frame(packet::tcp_frame_size(s));
    EXPECT_EQ(packet::build_tcp_frame(frame, s), frame.size());
    return {frame.begin() + packet::kEthernetHeaderSize, frame.end()};
  }

  Packet packet_of(const std::vector<std::byte>& l3) const {
    Packet p;
    p.l3 = l3;
    p.original_length = static_cast<std::uint32_t>(l3.size());
    p.client_mac = mac;
    return p;
  }
};

// One frame we sent, parsed and checked for what every frame must satisfy.
struct Sent {
  packet::SegmentView seg;
  std::string data;
};

// A frame that does not parse ends the calling test as a failure: there is
// nothing to check in it, and its callers read fields of the result. (ASSERT_*
// cannot stop the caller from inside a function that returns a value; an
// exception out of a test body is a failure in GoogleTest.)
// Router builds (-Dsmall, run by scripts/cross --test) have no exceptions:
// there the test program stops, which fails the run as well.
struct UnparsableFrame : std::runtime_error {
  using std::runtime_error::runtime_error;
};
[[noreturn]] inline void unparsable(const char* what) {
#if defined(__cpp_exceptions)
  throw UnparsableFrame(what);
#else
  std::fprintf(stderr, "%s\n", what);
  std::abort();
#endif
}

inline Sent read_frame(std::span<const std::byte> frame, const Client& c, const Settings& settings) {
  auto eth = packet::EthernetView::parse(frame);
  if (!eth) {
    ADD_FAILURE() << "sent frame is not Ethernet (" << frame.size() << " bytes)";
    unparsable("sent frame is not Ethernet");
  }
  EXPECT_EQ(eth->dst(), c.mac);
  EXPECT_EQ(eth->src(), settings.lan_mac);
  auto seg = packet::SegmentView::parse(eth->payload());
  if (!seg) {
    ADD_FAILURE() << "sent frame holds no TCP segment (" << frame.size() << " bytes)";
    unparsable("sent frame holds no TCP segment");
  }
  EXPECT_EQ(seg->src(), c.server);
  EXPECT_EQ(seg->dst(), c.ip);
  EXPECT_EQ(seg->tcp().src_port(), c.server_port);
  EXPECT_EQ(seg->tcp().dst_port(), c.port);
  EXPECT_TRUE(seg->checksum_valid());
  const auto p = seg->payload();
  return {*seg, std::string(reinterpret_cast<const char*>(p.data()), p.size())};
}

}  // namespace captive::responder::testing
