// The text helpers behind the sign-in pages and the 511: url_decode and
// form_value read what clients send (query strings, form bodies);
// url_encode and html_escape write it back into pages.
//
// Invariants: decode(encode(x)) == x; an encoded string holds only
// unreserved characters and %XX; an escaped string holds none of & < > " '
// except as the entities; the non-allocating *_into forms agree with the
// allocating ones, also when the buffer is too small; form_value of a field
// we put in is found again.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "captive/http/buffer_writer.hpp"
#include "captive/http/text.hpp"
#include "fuzz_check.hpp"

using namespace captive::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const std::string name = fdp.ConsumeRandomLengthString(32);
  const std::string text = fdp.ConsumeRemainingBytesAsString();

  // What clients send: never trusted.
  if (auto decoded = url_decode(text)) FUZZ_CHECK(decoded->size() <= text.size());
  (void)form_value(text, name);
  (void)form_value(text, "url");
  (void)form_value(text, "token");

  const std::string encoded = url_encode(text);
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~';
    FUZZ_CHECK(plain || (c == '%' && i + 2 < encoded.size()));
  }
  auto back = url_decode(encoded);
  FUZZ_CHECK(back && *back == text);

  const std::string escaped = html_escape(text);
  for (char c : std::string_view("<>\"'")) FUZZ_CHECK(escaped.find(c) == std::string::npos);

  // The buffer forms: same bytes, counted past a too small buffer.
  std::vector<char> small(fdp.remaining_bytes() + text.size() / 2);
  BufferWriter w(small);
  url_encode_into(w, text);
  FUZZ_CHECK(w.size() == encoded.size());
  FUZZ_CHECK(w.overflowed() == (encoded.size() > small.size()));
  FUZZ_CHECK(encoded.starts_with(w.view()));
  BufferWriter h(small);
  html_escape_into(h, text);
  FUZZ_CHECK(h.size() == escaped.size() && escaped.starts_with(h.view()));

  // A field we add to a form is read back as it was.
  if (!name.empty() && name != "a") {
    const std::string form = "a=1&" + url_encode(name) + "=" + url_encode(text) + "&z=2";
    auto value = form_value(form, name);
    FUZZ_CHECK(value && *value == text);
  }
  return 0;
}
