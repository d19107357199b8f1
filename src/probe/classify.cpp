#include "captive/probe/classify.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>

namespace captive::probe {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string decode_entities(std::string_view s) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&quot;", '"'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&#39;", '\''}, {"&#x27;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    bool replaced = false;
    if (s[i] == '&') {
      for (auto [name, c] : kEntities) {
        if (lower(s.substr(i, name.size())) == name) {
          out += c;
          i += name.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += s[i++];
  }
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// A tag longer than this is not looked into further: a body of 256 KiB of
// "<a <a <a ..." without '>' would otherwise cost every "<a" a scan to the
// end (quadratic).
constexpr std::size_t kMaxTag = 2048;

// The value of attribute NAME in the tag that starts at tag_start, or
// nullopt. html_lower is html in lower case (the same length).
std::optional<std::string> attribute(std::string_view html, std::string_view html_lower, std::size_t tag_start,
                                     std::string_view name) {
  std::string_view tag = html_lower.substr(tag_start, kMaxTag);
  tag = tag.substr(0, tag.find('>'));
  const std::string_view raw = html.substr(tag_start, tag.size());
  for (std::size_t at = tag.find(name); at != std::string_view::npos; at = tag.find(name, at + 1)) {
    // A whole attribute name: preceded by space, followed by optional space and '='.
    if (at == 0 || !std::isspace(static_cast<unsigned char>(tag[at - 1]))) continue;
    std::size_t i = at + name.size();
    while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
    if (i >= tag.size() || tag[i] != '=') continue;
    ++i;
    while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
    if (i >= tag.size()) return std::string();
    if (tag[i] == '"' || tag[i] == '\'') {
      const char quote = tag[i];
      const std::size_t end = tag.find(quote, i + 1);
      return decode_entities(raw.substr(i + 1, (end == std::string_view::npos ? tag.size() : end) - i - 1));
    }
    std::size_t end = i;
    while (end < tag.size() && !std::isspace(static_cast<unsigned char>(tag[end]))) ++end;
    return decode_entities(raw.substr(i, end - i));
  }
  return std::nullopt;
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

const char* state_name(State state) {
  switch (state) {
    case State::open: return "open";
    case State::captive: return "captive";
    case State::offline: return "offline";
  }
  return "unknown";
}

const char* evidence_name(Evidence evidence) {
  switch (evidence) {
    case Evidence::expected: return "expected";
    case Evidence::status_511: return "511";
    case Evidence::redirect: return "redirect";
    case Evidence::rewritten: return "rewritten";
    case Evidence::api: return "api";
    case Evidence::unexpected: return "unexpected";
    case Evidence::no_answer: return "no-answer";
  }
  return "unknown";
}

std::string link_in_html(std::string_view body) {
  const std::string html = lower(body);
  // <meta http-equiv="refresh" content="0; url=...">: the portal's own
  // pointer, so it goes before any link on the page.
  for (std::size_t at = html.find("<meta"); at != std::string::npos; at = html.find("<meta", at + 1)) {
    auto equiv = attribute(body, html, at, "http-equiv");
    if (!equiv || lower(trim(*equiv)) != "refresh") continue;
    auto content = attribute(body, html, at, "content");
    if (!content) continue;
    const std::string c = lower(*content);
    std::size_t u = c.find("url");
    if (u == std::string::npos) continue;
    u += 3;
    while (u < c.size() && std::isspace(static_cast<unsigned char>(c[u]))) ++u;
    if (u >= c.size() || c[u] != '=') continue;
    std::string url = trim(std::string_view(*content).substr(u + 1));
    if (url.size() >= 2 && (url.front() == '\'' || url.front() == '"') && url.back() == url.front())
      url = url.substr(1, url.size() - 2);
    if (!url.empty()) return url;
  }
  for (std::size_t at = html.find("<a"); at != std::string::npos; at = html.find("<a", at + 1)) {
    if (at + 2 < html.size() && !std::isspace(static_cast<unsigned char>(html[at + 2]))) continue;
    auto href = attribute(body, html, at, "href");
    if (href && !trim(*href).empty()) return trim(*href);
  }
  return {};
}

std::string resolve_url(std::string_view base, std::string_view reference) {
  const std::string ref = trim(reference);
  if (ref.empty()) return {};
  const std::string lref = lower(ref);
  if (lref.starts_with("http://") || lref.starts_with("https://")) return ref;
  const std::size_t scheme_end = base.find("://");
  if (scheme_end == std::string_view::npos) return ref;
  if (ref.starts_with("//")) return std::string(base.substr(0, scheme_end + 1)) + ref;
  const std::size_t authority_end = base.find_first_of("/?#", scheme_end + 3);
  const std::string origin(base.substr(0, authority_end));
  if (ref.front() == '/') return origin + ref;
  // Relative to the base's directory (its path up to the last '/').
  std::string_view path = authority_end == std::string_view::npos ? "/" : base.substr(authority_end);
  path = path.substr(0, path.find_first_of("?#"));
  if (ref.front() == '?') return origin + std::string(path) + ref;
  return origin + std::string(path.substr(0, path.rfind('/') + 1)) + ref;
}

Verdict classify_probe(const Answer& answer, const Expectation& expected, std::string_view request_url) {
  if (answer.status == 511) {
    // RFC 6585 §6: "SHOULD contain a link to a resource that allows the
    // user to submit credentials"; a meta refresh is how ours and others do it.
    return {State::captive, Evidence::status_511, resolve_url(request_url, link_in_html(answer.body))};
  }
  if (is_redirect(answer.status)) {
    // Never followed: the Location is the portal's, reported as it is.
    return {State::captive, Evidence::redirect, resolve_url(request_url, answer.location)};
  }
  if (answer.status == expected.status && (!expected.body || answer.body == *expected.body))
    return {State::open, Evidence::expected, {}};
  // A 200 where the probe wants something else: a portal rewrote it (its
  // page, often a meta refresh). A 204 probe answered 200 with a tiny body
  // is a portal too, which Android treats the same (200-399 is a portal).
  if (answer.status >= 200 && answer.status < 300)
    return {State::captive, Evidence::rewritten, resolve_url(request_url, link_in_html(answer.body))};
  return {State::offline, Evidence::unexpected, {}};
}

std::optional<Verdict> classify_api(const Answer& answer) {
  if (answer.status != 200) return std::nullopt;
  // RFC 8908 §5: the media type is application/captive+json.
  const std::string type = lower(trim(std::string_view(answer.content_type).substr(0, answer.content_type.find(';'))));
  if (type != "application/captive+json") return std::nullopt;
  boost::system::error_code ec;
  boost::json::value json = boost::json::parse(answer.body, ec);
  if (ec || !json.is_object()) return std::nullopt;
  const auto& object = json.get_object();
  const auto* captive = object.if_contains("captive");
  if (!captive || !captive->is_bool()) return std::nullopt;
  if (!captive->get_bool()) return Verdict{State::open, Evidence::api, {}};
  std::string portal;
  if (const auto* url = object.if_contains("user-portal-url"); url && url->is_string())
    portal = std::string(url->get_string());
  // §5: the user-portal-url MUST be https; an http one is reported as
  // given, since the user still needs to know where to go.
  return Verdict{State::captive, Evidence::api, std::move(portal)};
}

}  // namespace captive::probe
