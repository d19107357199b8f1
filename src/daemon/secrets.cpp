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

// crypto_kdf contexts are 8 bytes; subkey 1 of this context is the link key.
constexpr char kLinkKeyContext[crypto_kdf_CONTEXTBYTES + 1] = "captlink";
static_assert(sizeof kLinkKeyContext == crypto_kdf_CONTEXTBYTES + 1);

Secrets from_bytes(const std::uint8_t* b) {
  Secrets s;
  std::copy(b, b + 16, s.cookie_key.begin());
  std::copy(b + 16, b + kSecretBytes, s.token_key.begin());
  // The link key is derived, not stored: the file keeps its 48-byte format
  // (files written before the key existed give the same key as new ones),
  // and crypto_kdf (keyed BLAKE2b with the context as personalisation)
  // makes a subkey that reveals nothing of the token key nor of the cookie
  // key, so a leak of one signature scheme's key forges nothing in another.
  static_assert(crypto_kdf_KEYBYTES == 32 && sizeof s.token_key == crypto_kdf_KEYBYTES);
  static_assert(sizeof s.link_key >= crypto_kdf_BYTES_MIN && sizeof s.link_key <= crypto_kdf_BYTES_MAX);
  crypto_kdf_derive_from_key(s.link_key.data(), s.link_key.size(), 1, kLinkKeyContext, s.token_key.data());
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
  // O_NOFOLLOW: a symlink planted at the key path would hand us keys its
  // author knows (forged tokens); it is refused (ELOOP), never read.
  // O_NONBLOCK: a FIFO there must not hang the start; only a regular file is
  // read.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd >= 0) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      auto failed = errno_error("stat " + path);
      ::close(fd);
      return failed;
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return make_error(EINVAL, "read " + path + ": not a regular file");
    }
    std::uint8_t b[kSecretBytes];
    ssize_t n = ::read(fd, b, sizeof b);
    ::close(fd);
    if (n == static_cast<ssize_t>(sizeof b)) return from_bytes(b);
    // A short file is a torn write from before we wrote atomically: replace it.
  } else if (errno == ELOOP) {
    return make_error(ELOOP, "read " + path + ": a symlink, refused");
  } else if (errno != ENOENT) {
    return errno_error("read " + path);
  }

  std::uint8_t b[kSecretBytes];
  randombytes_buf(b, sizeof b);
  std::string tmp = path + ".tmp";
  // A temp file left by a crash, or a symlink planted there: unlink() removes
  // the name itself, never what a symlink points to. The new one is created
  // with O_EXCL|O_NOFOLLOW, so if anything appears at that name in between,
  // creating it fails instead of writing the keys through it.
  struct stat stale {};
  if (::lstat(tmp.c_str(), &stale) == 0 && ::unlink(tmp.c_str()) != 0) return errno_error("remove stale " + tmp);
  fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error("create " + tmp);
  bool ok = ::write(fd, b, sizeof b) == static_cast<ssize_t>(sizeof b) && ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) saved = errno;
    ::unlink(tmp.c_str());
    return make_error(saved, "write " + path);
  }
  // The rename is durable only once the directory is on disk (fsync(2):
  // fsync of the file does not write its directory entry). Without this, a
  // power cut after start could bring back the old key file or none, and
  // forms and SYN cookies handed out under these keys would stop verifying.
  const int dir = ::open(state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return errno_error("open " + state_dir + " to sync it");
  ok = ::fsync(dir) == 0;
  saved = errno;
  ::close(dir);
  if (!ok) return make_error(saved, "sync " + state_dir);
  return from_bytes(b);
}

}  // namespace captive::daemon
