// The RADIUS codec's packet layer: RFC 2865 §3 and §5 bounds, attribute
// lookup, Vendor-Specific sub-attributes, and the builder's limits.
#include "captive/radius/packet.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace captive::radius {
namespace {

std::vector<std::byte> unhex(std::string_view hex) {
  std::vector<std::byte> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(std::byte(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

// RFC 2865 §7.1: nemo's Access-Request.
constexpr std::string_view kRfcRequest =
    "010000380f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406c0a80110050600000003";

TEST(RadiusPacket, ParsesTheRfc2865Example) {
  const auto bytes = unhex(kRfcRequest);
  auto p = PacketView::parse(bytes);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->code(), Code::access_request);
  EXPECT_EQ(p->identifier(), 0);
  EXPECT_EQ(p->length(), 0x38u);
  EXPECT_EQ(p->find_text(attr::user_name), "nemo");
  EXPECT_EQ(p->find(attr::user_password)->value.size(), 16u);
  EXPECT_EQ(p->find_u32(attr::nas_port), 3u);
  EXPECT_EQ(p->find_u32(attr::nas_ip_address), 0xc0a80110u);
  EXPECT_FALSE(p->find(attr::reply_message));
  EXPECT_EQ(p->message_authenticator_offset(), 0u);
}

TEST(RadiusPacket, RefusesLengthsOutsideRfc2865Section3) {
  auto bytes = unhex(kRfcRequest);
  // Shorter than a header.
  EXPECT_FALSE(PacketView::parse(std::span(bytes).first(19)));
  // Length below 20.
  auto b = bytes;
  b[2] = std::byte(0);
  b[3] = std::byte(19);
  EXPECT_FALSE(PacketView::parse(b));
  // Length above what was received.
  b = bytes;
  b[3] = std::byte(0x39);
  EXPECT_FALSE(PacketView::parse(b));
  // Length above 4096, even with the bytes there.
  std::vector<std::byte> big(4097);
  big[0] = std::byte(1);
  big[2] = std::byte(0x10);
  big[3] = std::byte(0x01);
  EXPECT_FALSE(PacketView::parse(big));
}

TEST(RadiusPacket, IgnoresPaddingPastLength) {
  auto bytes = unhex(kRfcRequest);
  bytes.insert(bytes.end(), {std::byte(0xff), std::byte(0x01), std::byte(0x00)});
  auto p = PacketView::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->length(), 0x38u);
  EXPECT_EQ(p->bytes().size(), 0x38u);
}

TEST(RadiusPacket, RefusesAttributesOfLengthBelowTwoOrPastTheEnd) {
  const auto bytes = unhex(kRfcRequest);
  for (std::uint8_t bad : {0, 1}) {
    auto b = bytes;
    b[21] = std::byte(bad);  // User-Name's Length
    EXPECT_FALSE(PacketView::parse(b)) << int(bad);
  }
  auto b = bytes;
  b[0x33] = std::byte(7);  // NAS-Port's Length, one past the packet
  EXPECT_FALSE(PacketView::parse(b));
  // An attribute header cut by Length: one octet left.
  b = bytes;
  b.push_back(std::byte(1));
  b[3] = std::byte(0x39);
  EXPECT_FALSE(PacketView::parse(b));
}

TEST(RadiusPacket, BuilderRoundTripsThroughTheParser) {
  Authenticator a{};
  a[0] = std::byte(0x42);
  Builder b(Code::access_request, 7, a);
  EXPECT_TRUE(b.add(attr::user_name, "alice"));
  EXPECT_TRUE(b.add_u32(attr::nas_port_type, kNasPortTypeWireless80211));
  EXPECT_TRUE(b.add_ipv4(attr::framed_ip_address, {192, 0, 2, 10}));
  EXPECT_TRUE(b.add_vendor_u32(wispr::kVendor, wispr::bandwidth_max_down, 2'000'000));
  EXPECT_TRUE(b.add_message_authenticator());
  ASSERT_TRUE(b.ok());
  const auto bytes = std::move(b).finish();
  auto p = PacketView::parse(bytes);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->code(), Code::access_request);
  EXPECT_EQ(p->identifier(), 7);
  EXPECT_EQ(p->length(), bytes.size());
  EXPECT_EQ(p->authenticator()[0], std::byte(0x42));
  EXPECT_EQ(p->find_text(attr::user_name), "alice");
  EXPECT_EQ(p->find_u32(attr::nas_port_type), 19u);
  EXPECT_EQ(p->find_u32(attr::framed_ip_address), 0xc000020au);
  EXPECT_EQ(p->find_vendor_u32(wispr::kVendor, wispr::bandwidth_max_down), 2'000'000u);
  EXPECT_FALSE(p->find_vendor_u32(wispr::kVendor, wispr::bandwidth_max_up));
  EXPECT_FALSE(p->find_vendor_u32(chillispot::kVendor, wispr::bandwidth_max_down));
  EXPECT_NE(p->message_authenticator_offset(), 0u);
}

TEST(RadiusPacket, FindsSubAttributesOfAVendorSpecificWithSeveral) {
  // One VSA (RFC 2865 §5.26 suggested format) with two WISPr sub-attributes.
  const auto vsa = unhex("0000372a" "0706000f4240" "08060007a120");
  Builder b(Code::access_accept, 1);
  ASSERT_TRUE(b.add(attr::vendor_specific, vsa));
  const auto bytes = std::move(b).finish();
  auto p = PacketView::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->find_vendor_u32(wispr::kVendor, wispr::bandwidth_max_up), 1'000'000u);
  EXPECT_EQ(p->find_vendor_u32(wispr::kVendor, wispr::bandwidth_max_down), 500'000u);
}

TEST(RadiusPacket, SkipsVendorSpecificNotInTheSuggestedFormat) {
  // Sub-attribute Length 9 runs past the VSA: ignored, no read past it.
  const auto vsa = unhex("0000372a" "0709000f4240");
  Builder b(Code::access_accept, 1);
  ASSERT_TRUE(b.add(attr::vendor_specific, vsa));
  const auto bytes = std::move(b).finish();
  auto p = PacketView::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->find_vendor(wispr::kVendor, wispr::bandwidth_max_up));
  EXPECT_FALSE(for_each_vendor(p->find(attr::vendor_specific)->value, [](const VendorAttribute&) {}));
}

TEST(RadiusPacket, BuilderRefusesOversizedValuesAndPackets) {
  Builder b(Code::access_request, 1);
  EXPECT_TRUE(b.add(attr::reply_message, std::string(253, 'x')));
  EXPECT_FALSE(b.add(attr::reply_message, std::string(254, 'x')));
  EXPECT_FALSE(b.ok());
  EXPECT_FALSE(b.add(attr::user_name, "late"));  // stays failed

  Builder full(Code::access_request, 1);
  int added = 0;
  while (full.add(attr::reply_message, std::string(253, 'x'))) ++added;
  // 20 + n * 255 <= 4096
  EXPECT_EQ(added, (4096 - 20) / 255);
  EXPECT_FALSE(full.ok());
  Builder vendor(Code::access_request, 1);
  EXPECT_FALSE(vendor.add_vendor(wispr::kVendor, 1, as_bytes(std::string(248, 'x'))));
}

// Property: random bytes never make parse read past them (ASan would say)
// and whatever parses walks to exactly its Length.
TEST(RadiusPacket, RandomBytesParseWithinBounds) {
  std::mt19937 rng(13);
  for (int round = 0; round < 20000; ++round) {
    std::vector<std::byte> b(20 + rng() % 80);
    for (auto& x : b) x = std::byte(rng() % 4 == 0 ? rng() % 6 : rng());
    b[2] = std::byte(0);
    b[3] = std::byte(20 + rng() % 80);
    auto p = PacketView::parse(b);
    if (!p) continue;
    std::size_t walked = kHeaderSize;
    p->for_each([&](const Attribute& a) { walked += 2 + a.value.size(); });
    EXPECT_EQ(walked, p->length());
  }
}

}  // namespace
}  // namespace captive::radius
