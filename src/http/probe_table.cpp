#include "captive/http/probe_table.hpp"

#include <cerrno>
#include <string>

namespace captive::http {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_ignore_case(std::string_view a, std::string_view lower_b) {
  if (a.size() != lower_b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower_b[i]) return false;
  return true;
}

bool starts_with_ignore_case(std::string_view text, std::string_view lower_prefix) {
  return text.size() >= lower_prefix.size() && equal_ignore_case(text.substr(0, lower_prefix.size()), lower_prefix);
}

// "host:port" -> "host", "[v6]:port" -> "[v6]", "name." -> "name".
std::string_view bare_host(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    if (close != std::string_view::npos) host = host.substr(0, close + 1);
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return host;
}

std::string_view without_query(std::string_view path) {
  const auto end = path.find_first_of("?#");
  return end == std::string_view::npos ? path : path.substr(0, end);
}

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

bool label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

}  // namespace

Probe ProbeTable::operator[](std::size_t i) const {
  const Entry& e = entries_[i];
  return {text(e.host_at, e.host_length), text(e.path_at, e.path_length), e.match, e.answer,
          text(e.label_at, e.label_length), e.line};
}

bool ProbeTable::store(std::string_view s, std::uint16_t& at, bool to_lower) {
  if (s.size() > text_.size() - text_used_) return false;
  at = static_cast<std::uint16_t>(text_used_);
  for (char c : s) text_[text_used_++] = to_lower ? lower(c) : c;
  return true;
}

bool ProbeTable::add(std::string_view host, std::string_view path, PathMatch match, AnswerKind answer,
                     std::string_view label, std::size_t line) {
  if (count_ == entries_.size()) return false;
  Entry e{};
  if (!store(host, e.host_at, true) || !store(path, e.path_at, false) || !store(label, e.label_at, false))
    return false;
  e.host_length = static_cast<std::uint16_t>(host.size());
  e.path_length = static_cast<std::uint16_t>(path.size());
  e.label_length = static_cast<std::uint16_t>(label.size());
  e.match = match;
  e.answer = answer;
  e.line = static_cast<std::uint32_t>(line);
  entries_[count_++] = e;
  return true;
}

std::optional<std::size_t> ProbeTable::find(const Request& request) const {
  if (request.kind != RequestKind::request || !request.target_complete || count_ == 0) return std::nullopt;
  std::string_view host = request.host;
  std::string_view path = request.target;
  // RFC 9112 §3.2.2: with an absolute-form target the Host header is
  // ignored; the target's authority is the host.
  if (starts_with_ignore_case(path, "http://")) {
    path.remove_prefix(7);
    const auto end = path.find_first_of("/?#");
    host = path.substr(0, end);
    path = end == std::string_view::npos ? std::string_view("/") : path.substr(end);
    if (!path.empty() && path.front() != '/') path = "/";
  }
  host = bare_host(host);
  if (host.empty()) return std::nullopt;
  path = without_query(path);
  for (std::size_t i = 0; i < count_; ++i) {
    const Entry& e = entries_[i];
    if (!equal_ignore_case(host, text(e.host_at, e.host_length))) continue;
    const std::string_view p = text(e.path_at, e.path_length);
    switch (e.match) {
      case PathMatch::any: return i;
      case PathMatch::exact:
        if (path == p) return i;
        break;
      case PathMatch::prefix:
        if (path.starts_with(p)) return i;
        break;
    }
  }
  return std::nullopt;
}

Result<ProbeTable> parse_probe_table(std::string_view text, std::string_view file_name) {
  ProbeTable table;
  std::size_t line_number = 0;
  auto error = [&](const std::string& what) {
    return make_error(EINVAL, std::string(file_name) + ":" + std::to_string(line_number) + ": " + what);
  };
  if (text.size() > kMaxProbeFileBytes) {
    line_number = 0;
    return error("larger than " + std::to_string(kMaxProbeFileBytes) + " bytes");
  }
  while (!text.empty()) {
    ++line_number;
    const auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::array<std::string_view, 5> fields;
    std::size_t n = 0;
    for (std::size_t at = 0; at < line.size();) {
      const char c = line[at];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++at;
        continue;
      }
      const auto end = line.find_first_of(" \t\r", at);
      const std::string_view field = line.substr(at, end == std::string_view::npos ? line.size() - at : end - at);
      if (n == fields.size()) return error("too many fields (HOST PATH [ANSWER [LABEL]])");
      fields[n++] = field;
      at += field.size();
    }
    if (n == 0) continue;
    if (n < 2) return error("a probe needs HOST and PATH: " + excerpt(fields[0]));
    if (n > 4) return error("too many fields (HOST PATH [ANSWER [LABEL]])");

    std::string_view host = fields[0];
    // No empty label ("a..b", "a.."): a DNS name has none, and the
    // request's Host loses only one trailing dot before the comparison.
    if (host.size() > kMaxHostLength || host.front() == '.' || host.front() == '-' ||
        host.find("..") != std::string_view::npos)
      return error("not a host name: " + excerpt(host));
    for (char c : host)
      if (!name_char(c))
        return error("not a host name (letters, digits, '.', '-'; no port): " + excerpt(host));
    if (host.back() == '.') host.remove_suffix(1);  // an absolute name: matched without the dot
    if (host.empty()) return error("not a host name: .");

    std::string_view path = fields[1];
    PathMatch match = PathMatch::exact;
    if (path == "*") {
      match = PathMatch::any;
      path = {};
    } else {
      if (path.front() != '/') return error("PATH must start with '/' or be '*': " + excerpt(path));
      if (path.size() > kMaxProbePath) return error("PATH longer than " + std::to_string(kMaxProbePath) + " bytes");
      if (path.back() == '*') {
        match = PathMatch::prefix;
        path.remove_suffix(1);
      }
      for (char c : path) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '*')
          return error("PATH: '*' only at the end, no control or non-ASCII bytes: " + excerpt(path));
        if (c == '?' || c == '#')
          return error("PATH without a query: the query is not part of the match: " + excerpt(path));
      }
    }

    AnswerKind answer = AnswerKind::probe_redirect;
    if (n >= 3) {
      if (fields[2] == "302")
        answer = AnswerKind::probe_redirect;
      else if (fields[2] == "511")
        answer = AnswerKind::network_authentication_required;
      else
        return error("ANSWER is 302 or 511: " + excerpt(fields[2]));
    }
    std::string_view label = host;
    if (n == 4) {
      label = fields[3];
      if (label.size() > kMaxProbeLabel)
        return error("LABEL longer than " + std::to_string(kMaxProbeLabel) + " bytes");
      for (char c : label)
        if (!label_char(c)) return error("LABEL: lower-case letters, digits, '.', '-', '_': " + std::string(label));
    }

    for (std::size_t i = 0; i < table.size(); ++i) {
      const Probe p = table[i];
      if (p.match == match && p.path == path && equal_ignore_case(host, p.host))
        return error("the same probe as line " + std::to_string(p.line));
    }
    if (!table.add(host, path, match, answer, label, line_number))
      return error("more than " + std::to_string(kMaxProbes) + " probes");
  }
  return table;
}

}  // namespace captive::http
