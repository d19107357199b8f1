// inject: what can be checked without sending anything anywhere.
#include "captive/inject/sender.hpp"

#include <net/if.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cerrno>

namespace captive::inject {
namespace {

TEST(DeviceLookup, MissingDeviceNamesIt) {
  auto r = device_lookup("capt-nodev0");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENODEV);
  EXPECT_EQ(r.error().message(), "interface capt-nodev0: No such device");
}

TEST(DeviceLookup, NameTooLong) {
  auto r = device_lookup("a-name-longer-than-ifnamsiz");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENODEV);
  EXPECT_FALSE(device_lookup(""));
}

TEST(DeviceLookup, LoopbackIsNotEthernet) {
  auto r = device_lookup("lo");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EINVAL);
  EXPECT_EQ(r.error().what, "interface lo is not Ethernet (ARPHRD 772)");
}

// Opening needs CAP_NET_RAW; nothing is sent (the frame is refused first).
TEST(PacketSocketSender, RefusesRunts) {
  Device lo{"lo", static_cast<int>(if_nametoindex("lo")), {}, 65535};
  auto sender = PacketSocketSender::open(lo);
  if (!sender) {
    if (sender.error().code == EPERM || sender.error().code == EACCES) GTEST_SKIP() << "no CAP_NET_RAW";
    FAIL() << sender.error().message();
  }
  std::array<std::byte, 13> runt{};
  auto r = sender->send(runt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "send on lo: frame shorter than an Ethernet header: Invalid argument");
  PacketSocketSender moved = std::move(*sender);  // the moved-from one must not close the fd
  EXPECT_FALSE(moved.send(runt));
  // The batch path refuses the same way, before any system call; an empty
  // batch sends nothing. (Real frames go out in the e2e scenarios, inside
  // their own namespaces, on every 511.)
  std::span<const std::byte> frames[] = {runt};
  auto batch = moved.send_batch(frames);
  ASSERT_FALSE(batch);
  EXPECT_EQ(batch.error().code, EINVAL);
  auto none = moved.send_batch({});
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0u);
}

}  // namespace
}  // namespace captive::inject
