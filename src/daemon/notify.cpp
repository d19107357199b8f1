#include "captive/daemon/notify.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <utility>

#include "captive/util/log.hpp"

namespace captive::daemon {

Result<NotifyAddress> parse_notify_socket(std::string_view value) {
  NotifyAddress out;
  out.address.sun_family = AF_UNIX;
  if (value.empty()) return make_error(EINVAL, "NOTIFY_SOCKET is empty");
  if (value.front() != '/' && value.front() != '@')
    return make_error(EINVAL, "NOTIFY_SOCKET " + std::string(value) + ": neither an absolute path nor @abstract");
  // A path needs its NUL within sun_path; an abstract name does not.
  const std::size_t room = sizeof out.address.sun_path - (value.front() == '/' ? 1 : 0);
  if (value.size() < 2 && value.front() == '@') return make_error(EINVAL, "NOTIFY_SOCKET @: empty abstract name");
  if (value.size() > room) return make_error(ENAMETOOLONG, "NOTIFY_SOCKET " + std::string(value));
  value.copy(out.address.sun_path, value.size());
  if (value.front() == '@') out.address.sun_path[0] = '\0';
  // unix(7): an abstract address is exactly as long as its name.
  out.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + value.size() + (value.front() == '/' ? 1 : 0));
  return out;
}

std::optional<std::chrono::microseconds> watchdog_period(const char* watchdog_usec, const char* watchdog_pid,
                                                         pid_t pid) {
  if (!watchdog_usec) return std::nullopt;
  auto number = [](std::string_view text) -> std::optional<unsigned long long> {
    unsigned long long v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
  };
  if (watchdog_pid) {
    auto p = number(watchdog_pid);
    if (!p || *p != static_cast<unsigned long long>(pid)) return std::nullopt;  // meant for another process
  }
  auto usec = number(watchdog_usec);
  if (!usec || *usec == 0) return std::nullopt;
  return std::chrono::microseconds(static_cast<long long>(*usec / 2));
}

Notifier Notifier::from_environment() {
  Notifier n;
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket) {
    if (auto made = to(socket)) {
      n = std::move(*made);
    } else {
      LOG_WARN("%s: not telling the service manager anything", made.error().message().c_str());
    }
  }
  if (n.enabled()) n.watchdog_ = watchdog_period(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"), ::getpid());
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  return n;
}

Result<Notifier> Notifier::to(std::string_view notify_socket) {
  auto address = parse_notify_socket(notify_socket);
  if (!address) return address.error();
  Notifier n;
  n.fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (n.fd_ < 0) return errno_error("notify socket");
  n.address_ = *address;
  n.name_ = notify_socket;
  return n;
}

Notifier::Notifier(Notifier&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), address_(other.address_), name_(std::move(other.name_)),
      watchdog_(other.watchdog_) {}

Notifier& Notifier::operator=(Notifier&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    address_ = other.address_;
    name_ = std::move(other.name_);
    watchdog_ = other.watchdog_;
  }
  return *this;
}

Notifier::~Notifier() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> Notifier::send(std::string_view state) const {
  if (fd_ < 0) return {};
  for (;;) {
    const ssize_t n = ::sendto(fd_, state.data(), state.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                               reinterpret_cast<const sockaddr*>(&address_.address), address_.length);
    if (n >= 0) return {};
    if (errno != EINTR) return errno_error("notify " + name_);
  }
}

std::string reloading_message() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  const unsigned long long usec =
      static_cast<unsigned long long>(ts.tv_sec) * 1000000ull + static_cast<unsigned long long>(ts.tv_nsec) / 1000;
  return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
}

}  // namespace captive::daemon
