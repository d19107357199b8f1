// The service manager's notification protocol (sd_notify(3)), written here
// so that captived needs no libsystemd (OpenWrt has none): datagrams like
// "READY=1" to the AF_UNIX socket named by $NOTIFY_SOCKET, a path or, with
// a leading '@', a name in the abstract namespace. Without $NOTIFY_SOCKET
// every call does nothing.
//
// What captived says: READY=1 once the table is loaded, the queues bound and
// the portal listening; RELOADING=1 ... READY=1 around a reload; STOPPING=1
// on SIGTERM; WATCHDOG=1 every half $WATCHDOG_USEC while the event loop and
// the kernel worker answer (App::Impl::arm_watchdog).
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "captive/util/result.hpp"

namespace captive::daemon {

struct NotifyAddress {
  sockaddr_un address{};
  socklen_t length = 0;
};

// $NOTIFY_SOCKET's value as a socket address: "/run/systemd/notify" or
// "@name" (abstract: a NUL first byte, and the length counts the name only).
// Errors: empty, relative, too long for sun_path.
Result<NotifyAddress> parse_notify_socket(std::string_view value);

// How often to send WATCHDOG=1: half of $WATCHDOG_USEC (sd_watchdog_enabled(3)
// advises at most half), if it is set, a positive number, and
// $WATCHDOG_PID is unset or names `pid`. nullopt: no watchdog.
std::optional<std::chrono::microseconds> watchdog_period(const char* watchdog_usec, const char* watchdog_pid,
                                                         pid_t pid);

class Notifier {
 public:
  Notifier() = default;  // disabled
  // From $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID, which are then
  // removed from the environment (children, such as nft, must not notify in
  // our name). A bad $NOTIFY_SOCKET is logged and leaves it disabled.
  static Notifier from_environment();
  // For tests: a given address.
  static Result<Notifier> to(std::string_view notify_socket);
  Notifier(Notifier&& other) noexcept;
  Notifier& operator=(Notifier&& other) noexcept;
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;
  ~Notifier();

  bool enabled() const { return fd_ >= 0; }
  // Sends one datagram ("READY=1\nSTATUS=..."); never blocks (MSG_DONTWAIT).
  // Without a socket: nothing, success. Errors: "notify NOTIFY_SOCKET: ...".
  Result<void> send(std::string_view state) const;
  std::optional<std::chrono::microseconds> watchdog() const { return watchdog_; }

 private:
  int fd_ = -1;
  NotifyAddress address_;
  std::string name_;
  std::optional<std::chrono::microseconds> watchdog_;
};

// "RELOADING=1\nMONOTONIC_USEC=<CLOCK_MONOTONIC now>" (systemd 253's
// Type=notify-reload wants the timestamp; older ones ignore it).
std::string reloading_message();

}  // namespace captive::daemon
