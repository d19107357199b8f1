// RADIUS packets from the network (radius::PacketView, radius::verify): an
// answer from a server or a spoofer, a Disconnect/CoA request from anyone
// who can reach the listener.
//
// parse never reads past the bytes and never throws. A packet that parses
// has 20 <= Length <= 4096 and its attributes walk to exactly Length;
// every lookup stays inside it. verify never accepts a packet the fuzzer
// made unless its authenticators are right: rebuilding it through Builder
// and sign() with the same secret gives a packet verify accepts, and
// flipping one byte of the attributes of that signed packet makes verify
// refuse it.
#include <cstddef>
#include <cstdint>
#include <span>

#include "captive/radius/crypto.hpp"
#include "captive/radius/packet.hpp"
#include "fuzz_check.hpp"

using namespace captive;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = std::as_bytes(std::span(data, size));
  auto parsed = radius::PacketView::parse(bytes);
  if (!parsed) return 0;
  const auto& p = *parsed;
  FUZZ_CHECK(p.length() >= radius::kHeaderSize && p.length() <= radius::kMaxPacketSize);
  FUZZ_CHECK(p.length() <= size);
  std::size_t walked = radius::kHeaderSize;
  radius::Builder rebuilt(p.code(), p.identifier(), radius::Authenticator{});
  p.for_each([&](const radius::Attribute& a) {
    walked += 2 + a.value.size();
    FUZZ_CHECK(a.value.data() >= p.bytes().data() && a.value.data() + a.value.size() <= p.bytes().data() + p.length());
    if (a.type == radius::attr::vendor_specific)
      radius::for_each_vendor(a.value, [&](const radius::VendorAttribute& v) {
        FUZZ_CHECK(v.value.data() >= a.value.data() && v.value.data() + v.value.size() <= a.value.data() + a.value.size());
      });
    FUZZ_CHECK(rebuilt.add(a.type, a.value));
  });
  FUZZ_CHECK(walked == p.length());
  (void)p.find_vendor_u32(radius::wispr::kVendor, radius::wispr::bandwidth_max_down);
  (void)p.find_vendor_u32(radius::chillispot::kVendor, radius::chillispot::max_total_octets);
  const radius::Authenticator request{};
  (void)radius::verify(p, "secret", request, true);

  auto signed_bytes = std::move(rebuilt).finish();
  FUZZ_CHECK(signed_bytes.size() == p.length());
  if (radius::authenticator_kind(p.code()) == radius::AuthenticatorKind::random_request) return 0;
  // Several Message-Authenticators or one of the wrong size: sign leaves
  // them, verify refuses; nothing more to check.
  const auto mas = p.count(radius::attr::message_authenticator);
  FUZZ_CHECK(radius::sign(signed_bytes, "secret", request));
  auto again = radius::PacketView::parse(signed_bytes);
  FUZZ_CHECK(again);
  const auto verdict = radius::verify(*again, "secret", request, false);
  if (mas > 1 || (mas == 1 && again->message_authenticator_offset() == 0)) {
    FUZZ_CHECK(verdict);
    return 0;
  }
  FUZZ_CHECK(!verdict);
  if (signed_bytes.size() > radius::kHeaderSize) {
    signed_bytes.back() ^= std::byte(0x80);
    auto flipped = radius::PacketView::parse(signed_bytes);
    if (flipped) FUZZ_CHECK(radius::verify(*flipped, "secret", request, false));
  }
  return 0;
}
