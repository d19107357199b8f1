// http::RequestParser, the portal server's HTTP/1.1 reader (everything a
// LAN client sends to the sign-in page goes through it first).
//
// Input: the bytes of a connection; the last byte picks the piece size the
// second parser is fed in (1-64 bytes: how TCP may cut them).
// Invariants: the same requests, in the same order, and the same refusal
// whatever the cut; a refusal is one of 400, 411, 413, 431, 501, 505; a
// request has a token method, a target without spaces or controls, version
// 1.0 or 1.1, field names that are tokens, values without CR, LF or NUL,
// a body within the limit, and only HTTP/1.1 without `close` persists.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "captive/http/request_parser.hpp"
#include "fuzz_check.hpp"

using captive::http::ParsedRequest;
using captive::http::RequestLimits;
using captive::http::RequestParser;
using State = RequestParser::State;

namespace {

bool tchar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

void check_request(const ParsedRequest& r, const RequestLimits& limits) {
  FUZZ_CHECK(!r.method.empty());
  for (char c : r.method) FUZZ_CHECK(tchar(c));
  FUZZ_CHECK(!r.target.empty());
  for (char c : r.target) FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f);
  FUZZ_CHECK(r.version == 10 || r.version == 11);
  FUZZ_CHECK(r.body.size() <= limits.max_body);
  if (r.version == 10) FUZZ_CHECK(!r.keep_alive);
  for (const auto& [name, value] : r.fields) {
    FUZZ_CHECK(!name.empty());
    for (char c : name) FUZZ_CHECK(tchar(c));
    for (char c : value) FUZZ_CHECK(c != '\r' && c != '\n' && c != '\0');
  }
}

bool same(const ParsedRequest& a, const ParsedRequest& b) {
  return a.method == b.method && a.target == b.target && a.version == b.version && a.fields == b.fields &&
         a.body == b.body && a.keep_alive == b.keep_alive;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const std::size_t piece = fdp.ConsumeIntegralInRange<std::size_t>(1, 64);
  const std::string bytes = fdp.ConsumeRemainingBytesAsString();
  // Small limits too, so inputs of fuzzing size reach them.
  const RequestLimits limits{bytes.size() % 2 ? std::size_t{8 * 1024} : std::size_t{256},
                             bytes.size() % 3 ? std::size_t{16 * 1024} : std::size_t{64}};

  RequestParser whole(limits), cut(limits);
  whole.feed(bytes);
  for (std::size_t at = 0; at < bytes.size(); at += piece) cut.feed(std::string_view(bytes).substr(at, piece));

  for (int n = 0; n < 64; ++n) {
    FUZZ_CHECK(whole.state() == cut.state());
    if (whole.state() == State::error) {
      const int status = whole.error_status();
      FUZZ_CHECK(status == 400 || status == 411 || status == 413 || status == 431 || status == 501 || status == 505);
      FUZZ_CHECK(cut.error_status() == status);
      break;
    }
    if (whole.state() != State::complete) break;
    check_request(whole.request(), limits);
    FUZZ_CHECK(same(whole.request(), cut.request()));
    whole.next();
    cut.next();
  }
  return 0;
}
