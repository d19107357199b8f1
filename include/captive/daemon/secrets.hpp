// The daemon's keys (SYN cookies, form tokens, sign-in links), kept in the
// state directory so a restart does not break connections and forms already handed out.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "captive/util/result.hpp"

namespace captive::daemon {

struct Secrets {
  std::array<std::uint8_t, 16> cookie_key{};
  std::array<std::uint8_t, 32> token_key{};
  // Signs the return URL of the sign-in links (http/link_signature.hpp).
  // Not in the file: derived from token_key (crypto_kdf, context
  // "captlink"), so it is the same after every restart and the file format
  // (16 + 32 bytes) is unchanged.
  std::array<std::uint8_t, 16> link_key{};
};

// Reads DIR/secret, or makes new keys and writes them there atomically
// (mode 0600, temp file created O_EXCL|O_NOFOLLOW + fsync + rename + fsync
// of DIR). Creates DIR (0700) if missing. A symlink at DIR/secret is refused
// (ELOOP), as is anything but a regular file (EINVAL): the caller then runs
// on ephemeral keys. Blocks only on the file system.
Result<Secrets> load_or_create_secrets(const std::string& state_dir);
// Fresh random keys, kept nowhere (when the state directory is unusable).
Secrets ephemeral_secrets();

}  // namespace captive::daemon
