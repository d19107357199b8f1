#include "captive/packet/tcp_view.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "captured_frames.hpp"

namespace captive::packet {
namespace {

std::vector<std::byte> tcp_with_options(std::vector<std::uint8_t> options) {
  std::vector<std::byte> s(20);
  s[0] = std::byte{0x30};  // port 12345
  s[1] = std::byte{0x39};
  s[3] = std::byte{80};
  for (auto b : options) s.push_back(static_cast<std::byte>(b));
  while (s.size() % 4) s.push_back(std::byte{0});
  s[12] = static_cast<std::byte>((s.size() / 4) << 4);
  return s;
}

TEST(TcpView, ParsesCapturedSyn) {
  const auto l3 = fixtures::l3_bytes(fixtures::kV4SynFrame);
  auto tcp = TcpView::parse(l3.subspan(20));
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->src_port(), 53906);
  EXPECT_EQ(tcp->dst_port(), 80);
  EXPECT_EQ(tcp->seq(), 3787142566u);
  EXPECT_EQ(tcp->ack(), 0u);
  EXPECT_EQ(tcp->header_length(), 40u);
  EXPECT_EQ(tcp->flags(), kTcpSyn);
  EXPECT_TRUE(tcp->has(kTcpSyn));
  EXPECT_FALSE(tcp->has(kTcpAck));
  EXPECT_EQ(tcp->window(), 64240);
  EXPECT_EQ(tcp->options().size(), 20u);
  EXPECT_EQ(tcp->mss(), 1460);
  EXPECT_TRUE(tcp->payload().empty());
}

TEST(TcpView, CapturedIpv6SynMss) {
  const auto l3 = fixtures::l3_bytes(fixtures::kV6SynFrame);
  auto tcp = TcpView::parse(l3.subspan(40));
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->mss(), 1440);
  EXPECT_EQ(tcp->window(), 64800);
}

TEST(TcpView, CapturedRequestPayload) {
  const auto l3 = fixtures::l3_bytes(fixtures::kV4RequestFrame);
  auto tcp = TcpView::parse(l3.subspan(20));
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->flags(), kTcpAck | kTcpPsh);
  EXPECT_EQ(tcp->ack(), 16491233u);
  EXPECT_EQ(tcp->payload().size(), 86u);
  EXPECT_EQ(static_cast<char>(tcp->payload()[0]), 'G');
  EXPECT_FALSE(tcp->mss());  // timestamps only
}

TEST(TcpView, OptionEdgeCases) {
  EXPECT_EQ(TcpView::parse(tcp_with_options({1, 1, 2, 4, 0x02, 0x18}))->mss(), 536);
  EXPECT_FALSE(TcpView::parse(tcp_with_options({0, 2, 4, 0x02, 0x18}))->mss());  // after End
  EXPECT_FALSE(TcpView::parse(tcp_with_options({2, 3, 5, 0}))->mss());          // bad length
  EXPECT_FALSE(TcpView::parse(tcp_with_options({8, 0, 2, 4, 5, 0}))->mss());     // length 0
  EXPECT_FALSE(TcpView::parse(tcp_with_options({8, 40}))->mss());                // past header
  EXPECT_FALSE(TcpView::parse(tcp_with_options({2}))->mss());                    // no length
  EXPECT_EQ(TcpView::parse(tcp_with_options({8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 2, 4, 0x05, 0xb4}))->mss(),
            1460);
}

TEST(TcpView, RejectsBadHeaders) {
  auto s = tcp_with_options({});
  EXPECT_EQ(TcpView::parse(std::span(s).first(19)).error(), ParseError::truncated);
  auto bad = s;
  bad[12] = std::byte{0x40};  // data offset 4
  EXPECT_EQ(TcpView::parse(bad).error(), ParseError::bad_data_offset);
  bad[12] = std::byte{0x60};  // 24 bytes, only 20 present
  EXPECT_EQ(TcpView::parse(bad).error(), ParseError::truncated);
  auto zero = s;
  zero[3] = std::byte{0};
  EXPECT_EQ(TcpView::parse(zero).error(), ParseError::bad_port);
}

}  // namespace
}  // namespace captive::packet
