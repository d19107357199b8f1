// Password hashes: libsodium's crypto_pwhash_str (Argon2id). The
// parameters of a new hash are ours to choose (captivectl --pwhash-ops,
// --pwhash-mem); verification reads them from the stored string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "captive/util/result.hpp"

namespace captive::auth {

struct PwhashParams {
  // Measured (docs/performance.md, "Password hashing"): 2 passes over
  // 4 MiB take ~9 ms on this project's x86 machine, ~90 ms estimated on a
  // small ARM core (Cortex-A53 class), within the 100 ms and 16 MiB a
  // router can spend per sign-in.
  std::uint64_t ops = 2;
  std::size_t mem = 4 * 1024 * 1024;  // bytes
};
inline constexpr std::size_t kMaxPassword = 256;  // bytes

// Checks the parameters against libsodium's limits and ours (mem at most
// 1 GiB, ops at most 100): a sentence if not.
Result<void> check_params(const PwhashParams& params);
// "4M", "4096K", "16M" or bytes, as --pwhash-mem takes it (KiB units are
// powers of 1024: it is memory). nullopt when not a size.
std::optional<std::size_t> parse_memory(std::string_view text);

// A new hash of `password` (random salt). Errors: ENOMEM from libsodium,
// EINVAL for a password longer than kMaxPassword. May take long: never
// on captived's event loop.
Result<std::string> hash_password(std::string_view password, const PwhashParams& params);
// Whether `password` matches `hash`. Takes as long as the hash's
// parameters say (that is the point); false for a malformed hash.
bool verify_password(std::string_view hash, std::string_view password);

}  // namespace captive::auth
