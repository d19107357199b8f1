#include "captive/radius/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace captive::radius {

Authenticator random_authenticator() {
  Authenticator a;
  // sodium_init is idempotent and thread-safe; randombytes_buf reads the
  // kernel's getrandom().
  if (sodium_init() < 0) {
    // Never seen on Linux (getrandom); zeros would be predictable, so
    // refuse loudly rather than send them.
    std::abort();
  }
  randombytes_buf(a.data(), a.size());
  return a;
}

Authenticator md5(std::initializer_list<std::span<const std::byte>> parts) {
  Authenticator out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int len = 0;
  // An MD5 that libcrypto refuses (a FIPS-only provider) gives zeros, which
  // no peer accepts: the packet is dropped, never trusted.
  if (ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1) {
    bool ok = true;
    for (auto p : parts) ok = ok && EVP_DigestUpdate(ctx, p.data(), p.size()) == 1;
    if (ok) EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()), &len);
  }
  EVP_MD_CTX_free(ctx);
  return out;
}

std::vector<std::byte> hide_password(std::string_view password, std::string_view secret,
                                     const Authenticator& request_authenticator) {
  if (password.size() > kMaxPasswordSize) return {};
  // RFC 2865 §5.2: pad with nulls to a multiple of 16 (at least one block).
  const std::size_t size = password.empty() ? 16 : (password.size() + 15) / 16 * 16;
  std::vector<std::byte> out(size);
  std::memcpy(out.data(), password.data(), password.size());
  std::span<const std::byte> previous = request_authenticator;
  for (std::size_t block = 0; block < size; block += 16) {
    // b(i) = MD5(S + c(i-1)), c(0) = the Request Authenticator; c(i) = p(i) xor b(i).
    const auto b = md5({as_bytes(secret), previous});
    for (std::size_t i = 0; i < 16; ++i) out[block + i] ^= b[i];
    previous = std::span<const std::byte>(out).subspan(block, 16);
  }
  return out;
}

std::optional<std::string> unhide_password(std::span<const std::byte> hidden, std::string_view secret,
                                           const Authenticator& request_authenticator) {
  if (hidden.empty() || hidden.size() > kMaxPasswordSize || hidden.size() % 16 != 0) return std::nullopt;
  std::string out(hidden.size(), '\0');
  std::span<const std::byte> previous = request_authenticator;
  for (std::size_t block = 0; block < hidden.size(); block += 16) {
    const auto b = md5({as_bytes(secret), previous});
    for (std::size_t i = 0; i < 16; ++i)
      out[block + i] = static_cast<char>(std::to_integer<std::uint8_t>(hidden[block + i] ^ b[i]));
    previous = hidden.subspan(block, 16);
  }
  while (!out.empty() && out.back() == '\0') out.pop_back();
  return out;
}

AuthenticatorKind authenticator_kind(Code code) {
  switch (code) {
    case Code::access_request:
    case Code::status_server:
      return AuthenticatorKind::random_request;
    case Code::accounting_request:
    case Code::disconnect_request:
    case Code::coa_request:
      return AuthenticatorKind::hashed_request;
    default:
      return AuthenticatorKind::response;
  }
}

Authenticator response_authenticator(std::span<const std::byte> packet,
                                     const Authenticator& request_authenticator, std::string_view secret) {
  return md5({packet.first(4), request_authenticator, packet.subspan(kHeaderSize), as_bytes(secret)});
}

Authenticator accounting_request_authenticator(std::span<const std::byte> packet, std::string_view secret) {
  const Authenticator zero{};
  return md5({packet.first(4), zero, packet.subspan(kHeaderSize), as_bytes(secret)});
}

Authenticator message_authenticator(std::span<const std::byte> packet, std::size_t offset,
                                    const Authenticator& authenticator_field, std::string_view secret) {
  std::array<std::byte, kMaxPacketSize> copy;
  Authenticator out{};
  if (packet.size() > copy.size() || packet.size() < kHeaderSize || offset < kHeaderSize + 2 ||
      offset + kAuthenticatorSize > packet.size())
    return out;
  std::memcpy(copy.data(), packet.data(), packet.size());
  std::memcpy(copy.data() + 4, authenticator_field.data(), kAuthenticatorSize);
  std::memset(copy.data() + offset, 0, kAuthenticatorSize);
  unsigned int len = 0;
  if (HMAC(EVP_md5(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(copy.data()), packet.size(),
           reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr)
    out = {};
  return out;
}

Result<void> sign(std::span<std::byte> packet, std::string_view secret, const Authenticator& request_authenticator) {
  auto view = PacketView::parse(packet);
  if (!view) return view.error();
  if (view->length() != packet.size()) return make_error(EINVAL, "radius sign: bytes past Length");
  const auto kind = authenticator_kind(view->code());
  Authenticator field{};
  if (kind == AuthenticatorKind::random_request)
    std::copy_n(packet.begin() + 4, kAuthenticatorSize, field.begin());
  else if (kind == AuthenticatorKind::response)
    field = request_authenticator;
  // RFC 3579 §3.2 / RFC 5176 §3.1: the Message-Authenticator is computed
  // first (over the authenticator field as above), then the authenticator
  // over the packet that includes it.
  if (const auto at = view->message_authenticator_offset(); at != 0) {
    const auto mac = message_authenticator(packet, at, field, secret);
    std::copy(mac.begin(), mac.end(), packet.begin() + static_cast<std::ptrdiff_t>(at));
  }
  if (kind == AuthenticatorKind::random_request) return {};
  const auto a = kind == AuthenticatorKind::response
                     ? response_authenticator(packet, request_authenticator, secret)
                     : accounting_request_authenticator(packet, secret);
  std::copy(a.begin(), a.end(), packet.begin() + 4);
  return {};
}

std::string_view to_string(VerifyError error) {
  switch (error) {
    case VerifyError::bad_authenticator: return "bad authenticator";
    case VerifyError::missing_message_authenticator: return "no Message-Authenticator";
    case VerifyError::bad_message_authenticator: return "bad Message-Authenticator";
    case VerifyError::several_message_authenticators: return "several Message-Authenticators";
  }
  return "unknown";
}

bool same(std::span<const std::byte> a, std::span<const std::byte> b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<VerifyError> verify(const PacketView& packet, std::string_view secret,
                                  const Authenticator& request_authenticator, bool require_message_authenticator) {
  const auto bytes = packet.bytes();
  const auto kind = authenticator_kind(packet.code());
  Authenticator field{};
  if (kind == AuthenticatorKind::response) {
    if (!same(response_authenticator(bytes, request_authenticator, secret), packet.authenticator()))
      return VerifyError::bad_authenticator;
    field = request_authenticator;
  } else if (kind == AuthenticatorKind::hashed_request) {
    if (!same(accounting_request_authenticator(bytes, secret), packet.authenticator()))
      return VerifyError::bad_authenticator;
  } else {
    std::copy(packet.authenticator().begin(), packet.authenticator().end(), field.begin());
  }
  const auto n = packet.count(attr::message_authenticator);
  if (n > 1) return VerifyError::several_message_authenticators;
  if (n == 0) {
    if (require_message_authenticator) return VerifyError::missing_message_authenticator;
    return std::nullopt;
  }
  const auto at = packet.message_authenticator_offset();
  // RFC 3579 §3.2: its Length is 18; any other is a bad one.
  if (at == 0) return VerifyError::bad_message_authenticator;
  if (!same(message_authenticator(bytes, at, field, secret), bytes.subspan(at, kAuthenticatorSize)))
    return VerifyError::bad_message_authenticator;
  return std::nullopt;
}

}  // namespace captive::radius
