#include "captive/session/seen_addresses.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "../fakes/fakes.hpp"

namespace captive::session {
namespace {
using captive::testing::ip;
using captive::testing::mac;

TEST(SeenAddresses, RemembersAndAgesOut) {
  auto table = std::make_unique<SeenAddresses>();
  table->record(ip("192.0.2.2"), mac("02:00:00:00:00:02"), 1000);
  table->record(ip("2001:db8:1::2"), mac("02:00:00:00:00:03"), 1000);
  EXPECT_EQ(table->find(ip("192.0.2.2"), 1001), mac("02:00:00:00:00:02"));
  EXPECT_EQ(table->find(ip("2001:db8:1::2"), 1001), mac("02:00:00:00:00:03"));
  EXPECT_FALSE(table->find(ip("192.0.2.3"), 1001));
  EXPECT_FALSE(table->find(ip("192.0.2.2"), 1000 + SeenAddresses::kMaxAgeSeconds + 1));
}

TEST(SeenAddresses, CollisionNeverReturnsAnotherAddressesMac) {
  auto table = std::make_unique<SeenAddresses>();
  // Fill far more addresses than slots: every answer must still belong to the asked address.
  for (unsigned i = 0; i < 3 * SeenAddresses::kSlots; ++i) {
    std::uint8_t a[4] = {198, 51, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
    packet::MacAddr m{{2, 0, 0, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)}};
    table->record(packet::IpAddr::v4(a), m, 5);
  }
  for (unsigned i = 0; i < 3 * SeenAddresses::kSlots; ++i) {
    std::uint8_t a[4] = {198, 51, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
    auto found = table->find(packet::IpAddr::v4(a), 5);
    if (found) {
      EXPECT_EQ(found->bytes[4], static_cast<std::uint8_t>(i >> 8));
      EXPECT_EQ(found->bytes[5], static_cast<std::uint8_t>(i));
    }
  }
}

}  // namespace
}  // namespace captive::session
