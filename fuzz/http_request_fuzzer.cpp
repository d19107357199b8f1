// HTTP request extraction (parse_request, host_valid) over the first
// segment's data of an intercepted connection, and what is built from it:
// original_url and the rendered 511 / 302 answer with an arbitrary Host,
// target, destination and portal URL.
//
// Input: 1 byte of options, a portal URL, then the payload (the dictionary
// http.dict steers it towards request lines and headers).
//
// Invariants: views stay inside the payload; a host is empty or valid; the
// answer fits exactly the bytes it says (rendering into one byte less fails,
// into exactly its size gives the same bytes), its Content-Length is the
// body's length, no header line holds a bare CR or LF (response splitting),
// and the body has exactly the tags of the template (no markup injected).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "captive/http/answer.hpp"
#include "captive/http/link_signature.hpp"
#include "captive/http/text.hpp"
#include "captive/http/original_url.hpp"
#include "captive/http/request.hpp"
#include "fuzz_check.hpp"

using namespace captive;
using namespace captive::http;

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

std::size_t tags(std::string_view text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '<')); }

// The tags of the answer to a harmless request: what every answer must have.
std::size_t template_tags(AnswerKind kind) {
  static std::array<std::size_t, 2> cache = {0, 0};
  auto& n = cache[static_cast<std::size_t>(kind)];
  if (n == 0) {
    std::vector<char> out(16384);
    AnswerContext c;
    c.portal_url = "http://192.0.2.1:8511/";
    c.destination = *packet::IpAddr::parse("192.0.2.9");
    const auto len = render_answer(out, kind, parse_request(std::string_view("GET / HTTP/1.1\r\n")), c);
    FUZZ_CHECK(len > 0);
    const std::string_view text(out.data(), len);
    n = tags(text.substr(text.find("\r\n\r\n")));
  }
  return n;
}

void check_answer(AnswerKind kind, const Request& request, const AnswerContext& context) {
  std::vector<char> big(32768);
  const std::size_t n = render_answer(big, kind, request, context);
  FUZZ_CHECK(n > 0);  // the portal URL is at most 512 bytes: it always fits 32 KB
  FUZZ_CHECK(n <= big.size());
  const std::string_view text(big.data(), n);
  FUZZ_CHECK(text.starts_with("HTTP/1.1 "));

  // Exact size: one byte less fails, exactly enough gives the same answer.
  std::vector<char> exact(n);
  FUZZ_CHECK(render_answer(exact, kind, request, context) == n);
  FUZZ_CHECK(std::memcmp(exact.data(), big.data(), n) == 0);
  std::vector<char> short_by_one(n - 1);
  FUZZ_CHECK(render_answer(short_by_one, kind, request, context) == 0);

  const auto end = text.find("\r\n\r\n");
  FUZZ_CHECK(end != std::string_view::npos);
  const std::string_view head = text.substr(0, end + 2);
  const std::string_view body = text.substr(end + 4);
  FUZZ_CHECK(!body.empty());
  // Every header line ends in CRLF and holds no other CR or LF.
  for (std::size_t at = 0; at < head.size();) {
    const auto eol = head.find("\r\n", at);
    FUZZ_CHECK(eol != std::string_view::npos);
    const std::string_view line = head.substr(at, eol - at);
    FUZZ_CHECK(line.find('\r') == std::string_view::npos && line.find('\n') == std::string_view::npos);
    for (unsigned char c : line) FUZZ_CHECK(c >= 0x20 && c != 0x7f);
    at = eol + 2;
  }
  const auto cl = head.find("\r\nContent-Length: ");
  FUZZ_CHECK(cl != std::string_view::npos);
  FUZZ_CHECK(std::stoul(std::string(head.substr(cl + 18))) == body.size());
  FUZZ_CHECK(tags(body) == template_tags(kind));

  // The link's url comes back, decoded, as exactly what its sig signs for
  // this device; with any other URL the sig fails.
  const std::string_view start = "<a href=\"http://192.0.2.1:8511/?";
  if (context.portal_url == "http://192.0.2.1:8511/") {
    const auto at = body.find(start);
    FUZZ_CHECK(at != std::string_view::npos);
    std::string query(body.substr(at + start.size(), body.find('"', at + start.size()) - at - start.size()));
    for (std::size_t amp; (amp = query.find("&amp;")) != std::string::npos;) query.replace(amp, 5, "&");
    const auto url = form_value(query, "url");
    FUZZ_CHECK(url.has_value() && url->size() <= context.max_original_url);
    const auto sig = form_value(query, "sig");
    FUZZ_CHECK(sig.has_value() == !url->empty());
    if (sig) {
      FUZZ_CHECK(link_signature_valid(context.link_key, context.client_mac, *url, *sig));
      FUZZ_CHECK(!link_signature_valid(context.link_key, context.client_mac, *url + "/", *sig));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const auto options = fdp.ConsumeIntegral<std::uint8_t>();
  std::string portal = (options & 0x01) ? fdp.ConsumeRandomLengthString(512)
                                        : std::string("http://192.0.2.1:8511/");
  const std::string rest = fdp.ConsumeRemainingBytesAsString();
  // A heap copy of exactly the payload: ASan sees any read past its end.
  std::vector<char> copy(rest.begin(), rest.end());
  const std::string_view payload(copy.data(), copy.size());

  const Request r = parse_request(payload);
  const Request r2 = parse_request(std::as_bytes(std::span(copy.data(), copy.size())));
  FUZZ_CHECK(r.kind == r2.kind && r.method == r2.method && r.target == r2.target && r.host == r2.host &&
             r.target_complete == r2.target_complete);
  FUZZ_CHECK(inside(r.method, payload) && inside(r.target, payload) && inside(r.host, payload));
  if (r.kind == RequestKind::request) {
    FUZZ_CHECK(!r.method.empty() && r.method.size() <= kMaxMethodLength);
  } else {
    FUZZ_CHECK(r.method.empty() && r.target.empty() && r.host.empty());
  }
  FUZZ_CHECK(r.host.empty() || host_valid(r.host));
  FUZZ_CHECK(r.host.size() <= kMaxHostLength);
  (void)host_valid(payload);

  AnswerContext context;
  context.portal_url = portal;
  std::uint8_t addr[16] = {192, 0, 2, 9, 0x20, 0x01, 0x0d, 0xb8};
  context.destination = (options & 0x02) ? packet::IpAddr::v6(addr) : packet::IpAddr::v4(addr);
  context.destination_port = (options & 0x04) ? 8080 : 80;
  for (std::size_t i = 0; i < context.link_key.size(); ++i) context.link_key[i] = static_cast<std::uint8_t>(options + i);
  context.client_mac.bytes = {0x02, 0, 0, 0, 0, options};
  const std::size_t caps[] = {kMaxOriginalUrl, 256, 0, 1, 2048};
  context.max_original_url = caps[(options >> 3) % 5];

  std::array<char, kMaxOriginalUrl> url;
  const std::size_t cap = (options & 0x80) ? 7 : url.size();
  const std::size_t n = original_url(std::span(url.data(), cap), r, context.destination, context.destination_port);
  FUZZ_CHECK(n <= cap);
  if (r.kind == RequestKind::request && n > 0 && n < cap) {
    const std::string_view u(url.data(), n);
    FUZZ_CHECK(u.find("://") != std::string_view::npos);
  }

  check_answer(AnswerKind::network_authentication_required, r, context);
  check_answer(AnswerKind::probe_redirect, r, context);
  (void)answer_kind_name(choose_answer(nullptr, r).kind);
  return 0;
}
