// inject: what can be checked without sending anything anywhere.
#include "captive/inject/sender.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

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

// Real frames, sent on the loopback device of a network namespace of this
// test process's own (nothing leaves it; it goes away with the process).
// Loopback hands every frame it transmits back to the receive path, where a
// packet socket bound to the frame's EtherType sees it. Without root, the
// namespace comes with a user namespace of its own (as `unshare -Urn`), in
// which we hold CAP_NET_RAW and CAP_NET_ADMIN over it.
class SenderOnLoopback : public ::testing::Test {
 protected:
  static constexpr std::uint16_t kEtherType = 0x88b5;  // IEEE 802 local experimental

  static bool write_file(const char* path, const std::string& text) {
    const int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    close(fd);
    return ok;
  }

  static void SetUpTestSuite() {
    if (unshare(CLONE_NEWNET) != 0) {
      const uid_t uid = getuid();
      const gid_t gid = getgid();
      if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
        why_ = std::string("unshare(CLONE_NEWUSER|CLONE_NEWNET): ") + std::strerror(errno);
        return;
      }
      if (!write_file("/proc/self/setgroups", "deny") ||
          !write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1\n") ||
          !write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1\n")) {
        why_ = "cannot write the uid/gid map of the new user namespace";
        return;
      }
    }
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_UP;
    if (fd < 0 || ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) why_ = std::string("lo up: ") + std::strerror(errno);
    if (fd >= 0) close(fd);
  }

  void SetUp() override {
    if (!why_.empty()) GTEST_SKIP() << why_;
    lo_ = Device{"lo", static_cast<int>(if_nametoindex("lo")), {}, 65535};
    receiver_ = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(kEtherType));
    ASSERT_GE(receiver_, 0) << std::strerror(errno);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(kEtherType);
    sll.sll_ifindex = lo_.ifindex;
    ASSERT_EQ(bind(receiver_, reinterpret_cast<const sockaddr*>(&sll), sizeof(sll)), 0) << std::strerror(errno);
  }
  void TearDown() override {
    if (receiver_ >= 0) close(receiver_);
  }

  // A minimal Ethernet frame of our EtherType whose payload starts with `tag`.
  static std::array<std::byte, 60> frame(std::uint8_t tag) {
    std::array<std::byte, 60> f{};
    f[12] = std::byte{kEtherType >> 8};
    f[13] = std::byte{kEtherType & 0xff};
    f[14] = std::byte{tag};
    return f;
  }
  // Tags of the frames that arrived, in order.
  std::string received() const {
    std::string tags;
    std::array<unsigned char, 128> buf{};
    while (recv(receiver_, buf.data(), buf.size(), 0) > 0) tags += static_cast<char>(buf[0]);
    return tags;
  }

  static inline std::string why_;
  Device lo_;
  int receiver_ = -1;
};

// Nothing is sent: the frame is refused before any system call.
TEST_F(SenderOnLoopback, RefusesRunts) {
  auto sender = PacketSocketSender::open(lo_);
  ASSERT_TRUE(sender) << sender.error().message();
  std::array<std::byte, 13> runt{};
  auto r = sender->send(runt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "send on lo: frame shorter than an Ethernet header: Invalid argument");
  // The batch path refuses the same way, before any system call; an empty
  // batch sends nothing.
  std::span<const std::byte> frames[] = {runt};
  auto batch = sender->send_batch(frames);
  ASSERT_FALSE(batch);
  EXPECT_EQ(batch.error().code, EINVAL);
  auto none = sender->send_batch({});
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0u);
}

// The moved-from sender must not close the socket it gave away: after it is
// destroyed, the new owner still sends (a closed fd would fail with EBADF).
TEST_F(SenderOnLoopback, MovedFromSenderLeavesTheSocketOpen) {
  std::optional<PacketSocketSender> owner;
  {
    auto opened = PacketSocketSender::open(lo_);
    ASSERT_TRUE(opened) << opened.error().message();
    owner.emplace(std::move(*opened));
  }  // the moved-from sender is destroyed here
  const auto a = frame('a');
  auto sent = owner->send(a);
  ASSERT_TRUE(sent) << sent.error().message();

  // Move assignment: the target's own socket is closed, the source's kept.
  {
    auto other = PacketSocketSender::open(lo_);
    ASSERT_TRUE(other) << other.error().message();
    *owner = std::move(*other);
  }
  const auto b = frame('b'), c = frame('c');
  std::span<const std::byte> batch[] = {b, c};
  auto n = owner->send_batch(batch);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(received(), "abc");
}

}  // namespace
}  // namespace captive::inject
