// captive-probe's classifier: what a portal (anyone's, hostile or broken)
// answers to a probe URL or an RFC 8908 API query.
//
// Invariants: a 511 and every redirect status are captive; the expected
// answer is open; an absolute http(s) Location is reported as it is (never
// rewritten into somewhere else); an API verdict is only captive or open;
// the link found in a body is no longer than the body; resolve_url of an
// absolute reference is that reference.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "captive/probe/classify.hpp"
#include "fuzz_check.hpp"

using namespace captive::probe;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  Answer answer;
  answer.status = fdp.ConsumeIntegralInRange(0, 999);
  answer.location = fdp.ConsumeRandomLengthString(512);
  answer.content_type = fdp.ConsumeBool() ? "application/captive+json" : fdp.ConsumeRandomLengthString(64);
  const std::string base = fdp.ConsumeBool() ? "http://connectivitycheck.gstatic.com/generate_204"
                                             : fdp.ConsumeRandomLengthString(128);
  Expectation expected;
  if (fdp.ConsumeBool()) expected = {200, fdp.ConsumeRandomLengthString(64)};
  answer.body = fdp.ConsumeRemainingBytesAsString();

  const Verdict v = classify_probe(answer, expected, base);
  if (answer.status == 511) FUZZ_CHECK(v.state == State::captive && v.evidence == Evidence::status_511);
  const int s = answer.status;
  if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
    FUZZ_CHECK(v.state == State::captive && v.evidence == Evidence::redirect);
    if (answer.location.starts_with("http://") || answer.location.starts_with("https://")) {
      std::string trimmed = answer.location;
      while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t' || trimmed.back() == '\n' ||
                                  trimmed.back() == '\r' || trimmed.back() == '\v' || trimmed.back() == '\f'))
        trimmed.pop_back();
      FUZZ_CHECK(v.portal_url == trimmed);
    }
  }
  if (s == expected.status && (!expected.body || answer.body == *expected.body) && s != 511)
    FUZZ_CHECK(v.state == State::open);

  const std::string link = link_in_html(answer.body);
  FUZZ_CHECK(link.size() <= answer.body.size());
  if (answer.location.starts_with("https://")) FUZZ_CHECK(resolve_url(base, answer.location).starts_with("https://"));

  if (auto api = classify_api(answer)) {
    FUZZ_CHECK(api->state != State::offline && api->evidence == Evidence::api);
    FUZZ_CHECK(answer.status == 200);
  }
  return 0;
}
