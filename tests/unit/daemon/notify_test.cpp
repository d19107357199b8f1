#include "captive/daemon/notify.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace captive::daemon {
namespace {

// The service manager's end: a datagram socket bound where $NOTIFY_SOCKET
// points, as systemd's /run/systemd/notify is.
class Listener {
 public:
  explicit Listener(const std::string& name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    auto address = parse_notify_socket(name);
    EXPECT_TRUE(address) << (address ? "" : address.error().message());
    if (!address) return;
    if (name.front() == '/') ::unlink(name.c_str());
    bound_ = ::bind(fd_, reinterpret_cast<const sockaddr*>(&address->address), address->length) == 0;
    if (bound_ && name.front() == '/') path_ = name;
  }
  ~Listener() {
    ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  // One datagram, or "" after 2 s.
  std::string receive() {
    timeval tv{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[512];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
  std::string path_;
};

std::string temp_socket_path() {
  return (::testing::TempDir().empty() ? std::string("/tmp/") : ::testing::TempDir()) + "captive-notify-" +
         std::to_string(::getpid()) + ".sock";
}

TEST(Notify, SendsToASocketPath) {
  const std::string path = temp_socket_path();
  Listener manager(path);
  ASSERT_TRUE(manager.bound());
  auto notifier = Notifier::to(path);
  ASSERT_TRUE(notifier) << notifier.error().message();
  EXPECT_TRUE(notifier->enabled());
  ASSERT_TRUE(notifier->send("READY=1\nSTATUS=intercepting on br-lan"));
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=intercepting on br-lan");
  ASSERT_TRUE(notifier->send("STOPPING=1"));
  EXPECT_EQ(manager.receive(), "STOPPING=1");
}

TEST(Notify, SendsToAnAbstractSocket) {
  // "@name": the abstract namespace (unix(7)), as systemd hands it to
  // services in containers and in `systemd-run --user`.
  const std::string name = "@captive-notify-test-" + std::to_string(::getpid());
  Listener manager(name);
  ASSERT_TRUE(manager.bound());
  auto notifier = Notifier::to(name);
  ASSERT_TRUE(notifier) << notifier.error().message();
  ASSERT_TRUE(notifier->send("WATCHDOG=1"));
  EXPECT_EQ(manager.receive(), "WATCHDOG=1");
}

TEST(Notify, AbstractAddressLengthCountsTheNameOnly) {
  // A trailing NUL in the length would name another socket: "@x" is
  // {'\0','x'}, two bytes after sun_family.
  auto address = parse_notify_socket("@x");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->length, offsetof(sockaddr_un, sun_path) + 2);
  EXPECT_EQ(address->address.sun_path[0], '\0');
  EXPECT_EQ(address->address.sun_path[1], 'x');
  auto path = parse_notify_socket("/run/systemd/notify");
  ASSERT_TRUE(path);
  EXPECT_STREQ(path->address.sun_path, "/run/systemd/notify");
}

TEST(Notify, RefusesWhatIsNoSocketAddress) {
  EXPECT_FALSE(parse_notify_socket(""));
  EXPECT_FALSE(parse_notify_socket("@"));
  EXPECT_FALSE(parse_notify_socket("relative/notify"));
  EXPECT_FALSE(parse_notify_socket("/" + std::string(sizeof(sockaddr_un{}.sun_path), 'a')));
  EXPECT_TRUE(parse_notify_socket("/" + std::string(sizeof(sockaddr_un{}.sun_path) - 2, 'a')));
}

TEST(Notify, NoManagerNoMessagesNoErrors) {
  Notifier none;
  EXPECT_FALSE(none.enabled());
  EXPECT_TRUE(none.send("READY=1"));
  EXPECT_FALSE(none.watchdog());
}

TEST(Notify, AManagerThatIsGoneIsAnErrorNotACrash) {
  auto notifier = Notifier::to("@captive-notify-test-nobody-" + std::to_string(::getpid()));
  ASSERT_TRUE(notifier);
  auto sent = notifier->send("READY=1");
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ECONNREFUSED);
}

TEST(Notify, WatchdogEveryHalfOfWatchdogUsecForThisProcessOnly) {
  const pid_t me = ::getpid();
  const std::string pid = std::to_string(me);
  auto period = watchdog_period("30000000", pid.c_str(), me);
  ASSERT_TRUE(period);
  EXPECT_EQ(*period, std::chrono::seconds(15));
  EXPECT_EQ(watchdog_period("30000000", nullptr, me), std::chrono::microseconds(15000000));
  EXPECT_FALSE(watchdog_period("30000000", std::to_string(me + 1).c_str(), me));  // another process's
  EXPECT_FALSE(watchdog_period(nullptr, nullptr, me));
  EXPECT_FALSE(watchdog_period("0", nullptr, me));
  EXPECT_FALSE(watchdog_period("30s", nullptr, me));
  EXPECT_FALSE(watchdog_period("", nullptr, me));
}

TEST(Notify, FromEnvironmentTakesTheVariablesAway) {
  // Children (nft) must not find them: they would notify as us.
  const std::string name = "@captive-notify-env-" + std::to_string(::getpid());
  Listener manager(name);
  ASSERT_TRUE(manager.bound());
  ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "4000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  Notifier notifier = Notifier::from_environment();
  EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_USEC"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_PID"), nullptr);
  ASSERT_TRUE(notifier.enabled());
  EXPECT_EQ(notifier.watchdog(), std::chrono::seconds(2));
  ASSERT_TRUE(notifier.send(reloading_message()));
  const std::string got = manager.receive();
  EXPECT_EQ(got.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << got;
  EXPECT_GT(got.size(), std::string("RELOADING=1\nMONOTONIC_USEC=").size());
}

}  // namespace
}  // namespace captive::daemon
