#include "captive/daemon/secrets.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace captive::daemon {
namespace {

constexpr std::size_t kSecretBytes = 16 + 32;

Result<void> make_dirs(const std::string& path) {
  // mkdir -p, each level 0700 (the keys live here).
  for (std::size_t at = 1; at <= path.size(); ++at) {
    if (at != path.size() && path[at] != '/') continue;
    std::string prefix = path.substr(0, at);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) return errno_error("create " + prefix);
  }
  return {};
}

Secrets from_bytes(const std::uint8_t* b) {
  Secrets s;
  std::copy(b, b + 16, s.cookie_key.begin());
  std::copy(b + 16, b + kSecretBytes, s.token_key.begin());
  return s;
}

}  // namespace

Secrets ephemeral_secrets() {
  std::uint8_t b[kSecretBytes];
  randombytes_buf(b, sizeof b);
  return from_bytes(b);
}

Result<Secrets> load_or_create_secrets(const std::string& state_dir) {
  if (auto made = make_dirs(state_dir); !made) return made.error();
  std::string path = state_dir + "/secret";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    std::uint8_t b[kSecretBytes];
    ssize_t n = ::read(fd, b, sizeof b);
    ::close(fd);
    if (n == static_cast<ssize_t>(sizeof b)) return from_bytes(b);
    // A short file is a torn write from before we wrote atomically: replace it.
  } else if (errno != ENOENT) {
    return errno_error("read " + path);
  }

  std::uint8_t b[kSecretBytes];
  randombytes_buf(b, sizeof b);
  std::string tmp = path + ".tmp";
  fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error("create " + tmp);
  bool ok = ::write(fd, b, sizeof b) == static_cast<ssize_t>(sizeof b) && ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) saved = errno;
    ::unlink(tmp.c_str());
    return make_error(saved, "write " + path);
  }
  return from_bytes(b);
}

}  // namespace captive::daemon
