#include "captive/auth/password.hpp"

#include <sodium.h>

#include <cerrno>
#include <charconv>

namespace captive::auth {

Result<void> check_params(const PwhashParams& p) {
  if (p.ops < crypto_pwhash_OPSLIMIT_MIN || p.ops > 100)
    return make_error(EINVAL, "--pwhash-ops: from " + std::to_string(crypto_pwhash_OPSLIMIT_MIN) + " to 100");
  if (p.mem < crypto_pwhash_MEMLIMIT_MIN || p.mem > (std::size_t{1} << 30))
    return make_error(EINVAL, "--pwhash-mem: from 8K to 1024M");
  return {};
}

std::optional<std::size_t> parse_memory(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::size_t unit = 1;
  switch (text.back()) {
    case 'k': case 'K': unit = 1024; break;
    case 'm': case 'M': unit = 1024 * 1024; break;
    case 'g': case 'G': unit = 1024 * 1024 * 1024; break;
    default: break;
  }
  if (unit != 1) text.remove_suffix(1);
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || n == 0 || n > (SIZE_MAX / unit))
    return std::nullopt;
  return n * unit;
}

Result<std::string> hash_password(std::string_view password, const PwhashParams& params) {
  if (password.size() > kMaxPassword) return make_error(EINVAL, "password longer than " + std::to_string(kMaxPassword) + " bytes");
  if (auto ok = check_params(params); !ok) return ok.error();
  if (sodium_init() < 0) return make_error(ENOSYS, "libsodium could not be initialised");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), params.ops, params.mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return make_error(ENOMEM, "crypto_pwhash_str: out of memory (" + std::to_string(params.mem) + " bytes)");
  return std::string(out);
}

bool verify_password(std::string_view hash, std::string_view password) {
  if (hash.size() >= crypto_pwhash_STRBYTES || password.size() > kMaxPassword) return false;
  char stored[crypto_pwhash_STRBYTES] = {};
  hash.copy(stored, hash.size());
  return crypto_pwhash_str_verify(stored, password.data(), password.size()) == 0;
}

}  // namespace captive::auth
