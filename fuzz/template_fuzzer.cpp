// The page template engine (http/template.hpp, docs/templates.md): an
// operator's template source, message file and include, and the values a
// page is given (a client's voucher code or user name, the site name).
//
// Invariants: compile/parse never crash on any text; a compiled template
// renders; the values never add markup: rendered with hostile values, the
// page has exactly as many < > " ' as rendered with a plain value (escaping
// leaves none of them from a value); the packet path's flattened form, its
// hole filled with the same HTML, is byte for byte the page render() makes;
// a language pick is always in range.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "captive/http/buffer_writer.hpp"
#include "captive/http/template.hpp"
#include "fuzz_check.hpp"

using namespace captive::http;

namespace {

std::array<std::size_t, 4> specials(const std::string& s) {
  return {static_cast<std::size_t>(std::count(s.begin(), s.end(), '<')),
          static_cast<std::size_t>(std::count(s.begin(), s.end(), '>')),
          static_cast<std::size_t>(std::count(s.begin(), s.end(), '"')),
          static_cast<std::size_t>(std::count(s.begin(), s.end(), '\''))};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const std::string accept = fdp.ConsumeRandomLengthString(64);
  const std::string messages = fdp.ConsumeRandomLengthString(512);
  const std::string include = fdp.ConsumeRandomLengthString(512);
  const std::string hostile_a = fdp.ConsumeRandomLengthString(64);
  const std::string hostile_b = fdp.ConsumeRandomLengthString(64);
  const std::string source = fdp.ConsumeRemainingBytesAsString();

  const std::string_view tags[] = {"en", "de", "pt-br"};
  FUZZ_CHECK(pick_language(accept, tags) < 3);

  auto parsed = parse_catalog(messages, "en", "en.txt");
  const Catalog catalog = parsed ? *parsed : Catalog{};
  const Schema schema{{"a", "b", "c"}, {"h"}};
  auto compiled = Template::compile(source, "page.html", schema, catalog, [&include](std::string_view name) {
    return name == "inc.html" ? std::optional<std::string>(include) : std::nullopt;
  });
  if (!compiled) {
    FUZZ_CHECK(!compiled.error().what.empty());
    return 0;
  }
  // Non-empty in both renders, so the same sections show.
  const std::string a = "x" + hostile_a, b = "y" + hostile_b;
  const std::string_view plain[] = {"x", "y", "", "<b>html</b>"};
  const std::string_view hostile[] = {a, b, "", "<b>html</b>"};
  const std::string base = compiled->render(catalog, catalog, plain);
  const std::string out = compiled->render(catalog, catalog, hostile);
  FUZZ_CHECK(specials(base) == specials(out));

  static constexpr std::string_view kDynamic[] = {"h"};
  const auto flat = compiled->flatten(catalog, catalog, hostile, kDynamic);
  std::string filled(out.size() + 64, '\0');
  BufferWriter w(filled);
  flat.render(w, [](BufferWriter& o, std::size_t i) {
    FUZZ_CHECK(i == 0);
    o.put("<b>html</b>");
  });
  // The flat form drops NUL bytes of values (they would pass for holes).
  std::string expected;
  {
    std::string a0 = a, b0 = b;
    std::erase(a0, '\0');
    std::erase(b0, '\0');
    const std::string_view clean[] = {a0, b0, "", "<b>html</b>"};
    expected = compiled->render(catalog, catalog, clean);
  }
  FUZZ_CHECK(w.size() == expected.size());
  FUZZ_CHECK(w.view() == expected);
  return 0;
}
