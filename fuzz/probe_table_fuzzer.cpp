// The probe file parser (http::parse_probe_table): an operator's file, read
// once at start. Then every probe it accepted is matched by the request its
// OS would send, and arbitrary requests are matched against the table.
//
// Input: the file's text, up to a 0 byte; after it a request payload.
//
// Invariants: never more than kMaxProbes; an error names "FILE:LINE: "; each
// probe has a lower-case host of valid name characters and a non-empty
// label; the request "GET PATH HTTP/1.1" with Host HOST matches that probe
// or an earlier one (first match wins); find() on any request returns an
// index inside the table.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "captive/http/answer.hpp"
#include "captive/http/probe_table.hpp"
#include "fuzz_check.hpp"

using namespace captive::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const auto zero = all.find('\0');
  const std::string_view file = all.substr(0, zero);
  const std::string_view rest = zero == std::string_view::npos ? std::string_view() : all.substr(zero + 1);

  auto table = parse_probe_table(file, "fuzz");
  if (!table) {
    FUZZ_CHECK(table.error().what.rfind("fuzz:", 0) == 0);
    return 0;
  }
  FUZZ_CHECK(table->size() <= kMaxProbes);
  for (std::size_t i = 0; i < table->size(); ++i) {
    const Probe p = (*table)[i];
    FUZZ_CHECK(!p.host.empty() && !p.label.empty());
    for (char c : p.host) FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-');
    std::string path = p.match == PathMatch::any ? "/" : std::string(p.path);
    if (path.empty()) path = "/";
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + std::string(p.host) + "\r\n\r\n";
    const Request r = parse_request(request);
    if (r.kind != RequestKind::request || r.host.empty()) continue;  // a host parse_request refuses
    const auto found = table->find(r);
    FUZZ_CHECK(found && *found <= i);
    FUZZ_CHECK(choose_answer(&*table, r).kind == (*table)[*found].answer);
  }
  const Request any = parse_request(rest);
  if (const auto found = table->find(any)) FUZZ_CHECK(*found < table->size());
  return 0;
}
