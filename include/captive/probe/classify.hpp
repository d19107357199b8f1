#pragma once
// captive-probe's judgement of one answer, apart from any network I/O: what a
// probe URL or an RFC 8908 API answered -> open, captive (with the sign-in
// URL the answer names) or no Internet. Pure functions, unit-tested
// (tests/unit/probe).
#include <optional>
#include <string>
#include <string_view>

namespace captive::probe {

enum class State { open, captive, offline };
const char* state_name(State state);

// How the verdict was reached (for --json and the one-line report).
enum class Evidence {
  expected,        // the probe's expected answer: open
  status_511,      // RFC 6585 §6: the network wants sign-in
  redirect,        // a 3xx on a probe URL (CoovaChilli 302, openNDS 307, ours)
  rewritten,       // a 200 that is not the expected answer (rewritten probe)
  api,             // RFC 8908 "captive"
  unexpected,      // an answer that is neither expected nor a portal's
  no_answer,       // connection refused, no route, timeout, bad TLS
};
const char* evidence_name(Evidence evidence);

struct Answer {
  int status = 0;
  std::string location;      // the Location header, if any
  std::string content_type;  // the Content-Type header, if any
  std::string body;
};

// What the probe URL answers when the network is open: a status (204 for
// generate_204-style URLs), and if set, exactly this body (Apple's Success
// page, Firefox's "success\n", ...).
struct Expectation {
  int status = 204;
  std::optional<std::string> body;
};

struct Verdict {
  State state = State::offline;
  Evidence evidence = Evidence::no_answer;
  std::string portal_url;  // the sign-in URL the answer names ("" if none)
};

// A probe URL's answer. request_url resolves a relative Location or link
// (RFC 9110 §10.2.2); nothing is fetched.
Verdict classify_probe(const Answer& answer, const Expectation& expected, std::string_view request_url);

// An RFC 8908 API's answer: application/captive+json with "captive"
// (§5: required) and "user-portal-url". nullopt if it is not one (the
// caller then falls back to the probe URL).
std::optional<Verdict> classify_api(const Answer& answer);

// The sign-in link in an HTML body: a meta refresh's url= first, else the
// first <a href>. HTML entities &amp; &quot; &lt; &gt; &#39; are decoded.
std::string link_in_html(std::string_view body);

// base + reference -> absolute URL, for http(s) bases; "" if reference is
// empty. Handles absolute, scheme-relative, absolute-path and relative refs.
std::string resolve_url(std::string_view base, std::string_view reference);

}  // namespace captive::probe
