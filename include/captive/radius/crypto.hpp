// The hashes of RADIUS: authenticators (RFC 2865 §3, RFC 2866 §3, RFC 5176
// §2.3), User-Password hiding (RFC 2865 §5.2) and Message-Authenticator
// (RFC 3579 §3.2). MD5 and HMAC-MD5 come from OpenSSL's libcrypto: no hash
// is written by hand here.
//
// None of these block or allocate more than a packet's copy; all are safe to
// call from any thread (libcrypto's one-shot functions keep no state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "captive/radius/packet.hpp"
#include "captive/util/result.hpp"

namespace captive::radius {

// RFC 2865 §5.2: "The password ... is padded ... to a multiple of 16 octets.
// ... at most 128 octets".
inline constexpr std::size_t kMaxPasswordSize = 128;

// A random Request Authenticator (RFC 2865 §3: "unpredictable and unique
// over the lifetime of a secret"), from the kernel's CSPRNG (libsodium).
Authenticator random_authenticator();

// MD5 over the concatenation of `parts`.
Authenticator md5(std::initializer_list<std::span<const std::byte>> parts);

// RFC 2865 §5.2: the User-Password value for `password` (empty result when
// it is longer than 128 octets). An empty password is one block of zeros.
std::vector<std::byte> hide_password(std::string_view password, std::string_view secret,
                                     const Authenticator& request_authenticator);
// The inverse (a server's view; tests and fuzzing): the password without
// its zero padding; empty optional when the value is not 16..128 octets in
// blocks of 16.
std::optional<std::string> unhide_password(std::span<const std::byte> hidden,
                                           std::string_view secret,
                                           const Authenticator& request_authenticator);

// How a packet's Authenticator field is made.
enum class AuthenticatorKind {
  // Access-Request, Status-Server: random (RFC 2865 §3 Request Authenticator).
  random_request,
  // Accounting-Request (RFC 2866 §3), Disconnect-Request and CoA-Request
  // (RFC 5176 §2.3): MD5(Code+Identifier+Length+16 zero octets+Attributes+Secret).
  hashed_request,
  // Every answer (RFC 2865 §3 Response Authenticator, RFC 2866 §3, RFC 5176
  // §2.3): MD5(Code+Identifier+Length+RequestAuthenticator+Attributes+Secret).
  response,
};
AuthenticatorKind authenticator_kind(Code code);

// RFC 2865 §3 Response Authenticator of `packet` (its bytes up to Length)
// answering a request whose authenticator was `request_authenticator`.
Authenticator response_authenticator(std::span<const std::byte> packet,
                                     const Authenticator& request_authenticator,
                                     std::string_view secret);
// RFC 2866 §3 / RFC 5176 §2.3 Request Authenticator of `packet`.
Authenticator accounting_request_authenticator(std::span<const std::byte> packet,
                                               std::string_view secret);
// RFC 3579 §3.2: HMAC-MD5 keyed by the secret over the packet with the
// Message-Authenticator's value (at `offset`) as 16 zeros and the
// Authenticator field as `authenticator_field` (for a request: its own
// authenticator, zeros for hashed requests; for an answer: the request's).
Authenticator message_authenticator(std::span<const std::byte> packet, std::size_t offset,
                                    const Authenticator& authenticator_field,
                                    std::string_view secret);

// Signs `packet` (a Builder's output) in place: fills the
// Message-Authenticator if the packet has one, then the Authenticator field
// as authenticator_kind(code) says. `request_authenticator` is the
// request's for an answer and ignored otherwise (a random_request keeps the
// authenticator it was built with). Error: the bytes are not a packet.
Result<void> sign(std::span<std::byte> packet, std::string_view secret,
                  const Authenticator& request_authenticator = {});

// Why a received packet is not authentic.
enum class VerifyError {
  bad_authenticator,              // the Response/Request Authenticator is wrong
  missing_message_authenticator,  // required and absent
  bad_message_authenticator,      // present and wrong (RFC 3579 §3.2: silently discard)
  several_message_authenticators, // RFC 3579 §3.2: "MUST NOT" appear more than once
};
std::string_view to_string(VerifyError error);

// Checks a received packet: its Authenticator (not for random_request
// codes, which cannot be checked) and its Message-Authenticator when present
// or `require_message_authenticator`. For an answer, `request_authenticator`
// is the request's. Returns empty optional when authentic.
std::optional<VerifyError> verify(const PacketView& packet, std::string_view secret,
                                  const Authenticator& request_authenticator,
                                  bool require_message_authenticator);

// Constant-time comparison of two authenticators.
bool same(std::span<const std::byte> a, std::span<const std::byte> b);

}  // namespace captive::radius
