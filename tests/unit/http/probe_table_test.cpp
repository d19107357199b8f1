// The probe table (docs/clients.md): every probe of the shipped file gets
// what its OS acts on (302 Found, an absolute Location to the sign-in page,
// no-store, a body of more than 4 bytes); everything else keeps the 511;
// a broken file is refused with FILE:LINE.
#include "captive/http/probe_table.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>

#include "captive/http/answer.hpp"

#ifndef CAPTIVE_SHIPPED_PROBES
#error "CAPTIVE_SHIPPED_PROBES: the path of data/probes (tests/unit/http/meson.build)"
#endif

namespace captive::http {
namespace {

constexpr std::string_view kPortal = "http://192.0.2.1:8511/";

std::string read_shipped() {
  std::string text;
  FILE* f = std::fopen(CAPTIVE_SHIPPED_PROBES, "r");
  if (!f) return text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  std::fclose(f);
  return text;
}

ProbeTable shipped() {
  const std::string text = read_shipped();
  EXPECT_FALSE(text.empty()) << CAPTIVE_SHIPPED_PROBES;
  auto table = parse_probe_table(text, "data/probes");
  EXPECT_TRUE(table.has_value()) << (table ? "" : table.error().what);
  return table ? *table : ProbeTable{};
}

std::string render(const ProbeTable& table, const std::string& request_text) {
  const Request request = parse_request(request_text);
  std::array<char, 8192> buf{};
  AnswerContext ctx;
  ctx.portal_url = kPortal;
  ctx.destination = *packet::IpAddr::parse("192.0.2.9");
  ctx.client_mac = *packet::MacAddr::parse("02:00:00:00:00:07");
  const auto n = render_answer(buf, choose_answer(&table, request).kind, request, ctx);
  EXPECT_GT(n, 0u);
  return std::string(buf.data(), n);
}

std::string header(const std::string& response, std::string_view name) {
  const auto head_end = response.find("\r\n\r\n");
  const std::string key = "\r\n" + std::string(name) + ": ";
  const auto at = response.find(key);
  if (at == std::string::npos || at > head_end) return {};
  const auto end = response.find("\r\n", at + key.size());
  return response.substr(at + key.size(), end - at - key.size());
}

// What an OS acts on, by the sources cited in docs/clients.md: Android
// counts 200-399 as a portal and a body of <= 4 bytes as none, ChromeOS
// needs 302/307 with a valid absolute Location, and a cached answer would
// haunt the device after sign-in.
void expect_probe_answer(const std::string& response, const std::string& what) {
  EXPECT_EQ(response.rfind("HTTP/1.1 302 Found\r\n", 0), 0u) << what << "\n" << response;
  const std::string location = header(response, "Location");
  EXPECT_EQ(location.rfind(std::string(kPortal) + "?url=http%3A%2F%2F", 0), 0u) << what << ": " << location;
  EXPECT_NE(location.find("&sig="), std::string::npos) << what << ": " << location;
  EXPECT_EQ(header(response, "Cache-Control"), "no-store") << what;
  const auto body = response.substr(response.find("\r\n\r\n") + 4);
  EXPECT_GT(body.size(), 4u) << what;
  EXPECT_EQ(header(response, "Content-Length"), std::to_string(body.size())) << what;
  EXPECT_NE(body.find("href=\""), std::string::npos) << what;
}

std::string mixed_case(std::string_view s) {
  std::string out(s);
  for (std::size_t i = 0; i < out.size(); i += 2)
    if (out[i] >= 'a' && out[i] <= 'z') out[i] = static_cast<char>(out[i] - 'a' + 'A');
  return out;
}

// Every entry of the shipped file, iterated, so a new line is covered
// without a new test: asked as its OS asks (origin-form target, Host),
// with the Host's case changed and a port, and for prefix/any entries with
// a path that only the wildcard covers.
TEST(ProbeTable, EveryShippedProbeGetsThe302ItsOsActsOn) {
  const ProbeTable table = shipped();
  ASSERT_GE(table.size(), 20u);
  for (std::size_t i = 0; i < table.size(); ++i) {
    const Probe p = table[i];
    ASSERT_EQ(p.answer, AnswerKind::probe_redirect) << p.host;
    std::vector<std::string> paths;
    switch (p.match) {
      case PathMatch::exact: paths = {std::string(p.path), std::string(p.path) + "?ipv4"}; break;
      case PathMatch::prefix: paths = {std::string(p.path), std::string(p.path) + "x/y"}; break;
      case PathMatch::any: paths = {"/", "/hotspot-detect.html", "/x/y?z"}; break;
    }
    for (const auto& path : paths) {
      for (const std::string& host : {std::string(p.host), mixed_case(p.host) + ":80", std::string(p.host) + "."}) {
        const std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: x\r\n\r\n";
        const auto choice = choose_answer(&table, parse_request(req));
        EXPECT_EQ(choice.kind, AnswerKind::probe_redirect) << req;
        ASSERT_TRUE(choice.probe) << req;
        // The first line that matches (an earlier, wider line may win).
        EXPECT_LE(*choice.probe, i) << req;
        expect_probe_answer(render(table, req), req);
      }
    }
  }
}

TEST(ProbeTable, TheIssuesProbesAreInTheShippedFile) {
  const ProbeTable table = shipped();
  for (const auto* url : {
           "connectivitycheck.gstatic.com/generate_204", "www.google.com/gen_204", "clients3.google.com/generate_204",
           "connectivitycheck.android.com/generate_204", "captive.apple.com/hotspot-detect.html",
           "www.apple.com/library/test/success.html", "www.msftconnecttest.com/connecttest.txt",
           "www.msftconnecttest.com/redirect", "www.msftncsi.com/ncsi.txt", "detectportal.firefox.com/canonical.html",
           "detectportal.firefox.com/success.txt", "clients1.google.com/generate_204", "www.gstatic.com/generate_204",
           "nmcheck.gnome.org/check_network_status.txt", "network-test.debian.org/nm",
           "connectivity-check.ubuntu.com/", "networkcheck.kde.org/", "fedoraproject.org/static/hotspot.txt"}) {
    const std::string u(url);
    const auto slash = u.find('/');
    const std::string req = "GET " + u.substr(slash) + " HTTP/1.1\r\nHost: " + u.substr(0, slash) + "\r\n\r\n";
    EXPECT_EQ(choose_answer(&table, parse_request(req)).kind, AnswerKind::probe_redirect) << url;
  }
}

// Everything that is not a probe keeps the 511: other hosts, other paths
// of a probe host, a probe path on another host, no Host at all.
TEST(ProbeTable, NonProbesKeepThe511) {
  const ProbeTable table = shipped();
  for (const auto* req : {
           "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
           "GET /generate_204 HTTP/1.1\r\nHost: example.com\r\n\r\n",
           "GET /generate_2045 HTTP/1.1\r\nHost: connectivitycheck.gstatic.com\r\n\r\n",
           "GET /search?q=generate_204 HTTP/1.1\r\nHost: www.google.com\r\n\r\n",
           "GET /generate_204 HTTP/1.0\r\n\r\n",
           "GET /generate_204 HTTP/1.1\r\nHost: connectivitycheck.gstatic.com.evil.example\r\n\r\n",
           "GET /generate_204 HTTP/1.1\r\nHost: xconnectivitycheck.gstatic.com\r\n\r\n",
       }) {
    const auto choice = choose_answer(&table, parse_request(req));
    EXPECT_EQ(choice.kind, AnswerKind::network_authentication_required) << req;
    EXPECT_FALSE(choice.probe) << req;
    EXPECT_EQ(render(table, req).rfind("HTTP/1.1 511 ", 0), 0u) << req;
  }
  // No table: the 511 for everything, probes included.
  EXPECT_EQ(choose_answer(nullptr, parse_request("GET /generate_204 HTTP/1.1\r\nHost: connectivitycheck.gstatic.com\r\n\r\n")).kind,
            AnswerKind::network_authentication_required);
}

// RFC 9112 §3.2.2: an absolute-form target's authority is the host.
TEST(ProbeTable, AbsoluteFormTargetUsesItsAuthority) {
  const ProbeTable table = shipped();
  EXPECT_EQ(choose_answer(&table, parse_request("GET http://www.msftconnecttest.com/redirect HTTP/1.1\r\nHost: example.com\r\n\r\n")).kind,
            AnswerKind::probe_redirect);
  EXPECT_EQ(choose_answer(&table, parse_request("GET http://example.com/redirect HTTP/1.1\r\nHost: www.msftconnecttest.com\r\n\r\n")).kind,
            AnswerKind::network_authentication_required);
  EXPECT_EQ(choose_answer(&table, parse_request("GET HTTP://CAPTIVE.APPLE.COM HTTP/1.1\r\n\r\n")).kind,
            AnswerKind::probe_redirect);
}

TEST(ProbeTable, AnswerAndLabelFromTheFile) {
  auto table = parse_probe_table(
      "# comment\n\n  portal.example  /probe   # trailing comment\r\n"
      "quiet.example * 511 kiosk\n"
      "Pre.Example /p/* 302 x-1.y_2\n",
      "f");
  ASSERT_TRUE(table) << table.error().what;
  ASSERT_EQ(table->size(), 3u);
  EXPECT_EQ((*table)[0].label, "portal.example");
  EXPECT_EQ((*table)[0].line, 3u);
  EXPECT_EQ((*table)[1].answer, AnswerKind::network_authentication_required);
  EXPECT_EQ((*table)[1].label, "kiosk");
  EXPECT_EQ((*table)[2].host, "pre.example");
  EXPECT_EQ((*table)[2].match, PathMatch::prefix);
  const auto quiet = choose_answer(&*table, parse_request("GET /a HTTP/1.1\r\nHost: quiet.example\r\n\r\n"));
  EXPECT_EQ(quiet.kind, AnswerKind::network_authentication_required);
  EXPECT_EQ(quiet.probe, std::optional<std::size_t>(1));
  EXPECT_EQ(choose_answer(&*table, parse_request("GET /p/q HTTP/1.1\r\nHost: PRE.example\r\n\r\n")).kind,
            AnswerKind::probe_redirect);
  EXPECT_EQ(choose_answer(&*table, parse_request("GET /p HTTP/1.1\r\nHost: pre.example\r\n\r\n")).kind,
            AnswerKind::network_authentication_required);
  EXPECT_TRUE(parse_probe_table("", "empty"));
  EXPECT_EQ(parse_probe_table("# nothing\n", "c")->size(), 0u);
}

TEST(ProbeTable, ErrorsNameFileAndLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"a.example /x\nonlyhost\n", "probes:2: a probe needs HOST and PATH"},
      {"a.example:80 /x\n", "probes:1: not a host name"},
      {"a_b.example /x\n", "probes:1: not a host name"},
      {"a..b.example /x\n", "probes:1: not a host name"},
      {"a.example.. /x\n", "probes:1: not a host name"},
      {"a.example x\n", "probes:1: PATH must start with '/'"},
      {"a.example /x?y\n", "probes:1: PATH without a query"},
      {"a.example /x*y\n", "probes:1: PATH: '*' only at the end"},
      {"a.example /x 200\n", "probes:1: ANSWER is 302 or 511"},
      {"a.example /x 302 Bad!\n", "probes:1: LABEL"},
      {"a.example /x 302 l extra\n", "probes:1: too many fields"},
      {"\n\na.example /x\nA.EXAMPLE /x\n", "probes:4: the same probe as line 3"},
  };
  for (const auto& [text, expected] : cases) {
    auto table = parse_probe_table(text, "probes");
    ASSERT_FALSE(table) << text;
    EXPECT_EQ(table.error().what.rfind(expected, 0), 0u) << table.error().what;
  }
  std::string many;
  for (std::size_t i = 0; i <= kMaxProbes; ++i) many += "h" + std::to_string(i) + ".example /\n";
  auto full = parse_probe_table(many, "probes");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().what, "probes:" + std::to_string(kMaxProbes + 1) + ": more than " +
                                   std::to_string(kMaxProbes) + " probes");
  EXPECT_FALSE(parse_probe_table(std::string(kMaxProbeFileBytes + 1, '#'), "probes"));
}

}  // namespace
}  // namespace captive::http
