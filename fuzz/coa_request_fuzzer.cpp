// A datagram to the Disconnect/CoA listener (--coa-port) from a configured
// server's address: radius::parse_coa_request, then radius::coa_answer.
// The input is checked as received (its authenticator is almost never
// right: the drop path) and again rebuilt and signed with the secret, as a
// server holding it would send it (every check past the authenticator).
//
// Never throws, never reads past the bytes. A request taken is a
// Disconnect- or CoA-Request that names a session or says why not
// (Error-Cause); its ACK and its NAK parse, carry its Identifier, verify
// against its authenticator with the secret (Message-Authenticator
// included), and carry its Proxy-State attributes (RFC 5176 §3).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>

#include "captive/radius/coa.hpp"
#include "captive/radius/crypto.hpp"
#include "captive/radius/packet.hpp"
#include "fuzz_check.hpp"

using namespace captive;

namespace {

constexpr std::string_view kSecret = "secret";
constexpr std::int64_t kNow = 1'700'000'000;

void check(std::span<const std::byte> bytes) {
  auto parsed = radius::parse_coa_request(bytes, kSecret, kNow);
  if (const auto* drop = std::get_if<radius::CoaDrop>(&parsed)) {
    FUZZ_CHECK(static_cast<std::size_t>(*drop) < radius::kCoaDropKinds);
    return;
  }
  const auto& request = std::get<radius::CoaRequest>(parsed);
  FUZZ_CHECK(request.code == radius::Code::disconnect_request || request.code == radius::Code::coa_request);
  FUZZ_CHECK(request.refuse || !request.who.empty());
  for (const bool ack : {true, false}) {
    const auto cause = ack ? std::nullopt : std::optional<std::uint32_t>(request.refuse.value_or(503));
    const auto answer = radius::coa_answer(request, ack, cause, kSecret);
    auto view = radius::PacketView::parse(answer);
    FUZZ_CHECK(view);
    FUZZ_CHECK(view->identifier() == request.identifier);
    FUZZ_CHECK(!radius::verify(*view, kSecret, request.authenticator, true));
    // All of them unless they would not fit in 4096 octets.
    FUZZ_CHECK(view->count(radius::attr::proxy_state) <= request.proxy_state.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = std::as_bytes(std::span(data, size));
  check(bytes);
  auto p = radius::PacketView::parse(bytes);
  if (!p) return 0;
  radius::Builder rebuilt(p->code(), p->identifier(), radius::Authenticator{});
  p->for_each([&](const radius::Attribute& a) { (void)rebuilt.add(a.type, a.value); });
  auto signed_bytes = std::move(rebuilt).finish();
  if (!radius::sign(signed_bytes, kSecret)) return 0;
  check(signed_bytes);
  return 0;
}
