#include "captive/auth/users_file.hpp"

#include <algorithm>
#include <set>

#include "captive/control/protocol.hpp"

namespace captive::auth {
namespace {

Error bad(std::string message) { return make_error(0, std::move(message)); }

bool name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '@' || c == '+' || c == '-';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Shown in an error without letting the file's bytes run wild.
std::string quoted(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

// The name of a user line (what comes before the first ':'), or empty for
// a comment or a blank line.
std::string_view line_name(std::string_view line) {
  line = trim(line);
  if (line.empty() || line.front() == '#') return {};
  return line.substr(0, line.find(':'));
}

template <class F>
void for_each_line(std::string_view text, F f) {
  while (!text.empty()) {
    const auto eol = text.find('\n');
    f(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
  }
}

}  // namespace

bool valid_user_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxUserName && std::all_of(name.begin(), name.end(), name_char);
}

bool plausible_hash(std::string_view hash) {
  // crypto_pwhash_STRBYTES is 128, NUL included.
  if (hash.size() >= 128) return false;
  if (!hash.starts_with("$argon2id$") && !hash.starts_with("$argon2i$")) return false;
  return std::all_of(hash.begin(), hash.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '$' || c == '=' ||
           c == ',' || c == '+' || c == '/';
  });
}

Result<void> parse_user_options(std::string_view options, UserEntry& entry) {
  std::set<std::string_view> seen;
  while (!options.empty()) {
    const auto comma = options.find(',');
    std::string_view item = options.substr(0, comma);
    options = comma == std::string_view::npos ? std::string_view() : options.substr(comma + 1);
    if (comma != std::string_view::npos && options.empty()) return bad("empty option after ','");
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) return bad("option without a value (KEY=VALUE): " + quoted(item));
    const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    if (!seen.insert(key).second) return bad("option given twice: " + quoted(key));
    if (key == "time" || key == "idle") {
      auto d = control::parse_duration(value);
      if (!d) return bad(std::string(key) + ": not a duration (like 90s, 15m, 2h, 7d; at most 365d): " + quoted(value));
      (key == "time" ? entry.duration : entry.limits.idle_timeout) = *d;
    } else if (key == "quota") {
      auto b = control::parse_bytes(value);
      if (!b) return bad("quota: not a byte count (like 500M, 2G): " + quoted(value));
      entry.limits.quota_bytes = *b;
    } else if (key == "rate-down" || key == "rate-up") {
      auto r = control::parse_rate(value);
      if (!r) return bad(std::string(key) + ": not a rate in bits per second (like 2mbit, 500kbit): " + quoted(value));
      (key == "rate-down" ? entry.limits.rate_down : entry.limits.rate_up) = *r;
    } else {
      return bad("unknown option: " + quoted(key) + " (time, idle, quota, rate-down, rate-up)");
    }
  }
  return {};
}

Result<std::vector<UserEntry>> parse_users(std::string_view text, std::string_view file_name) {
  if (text.size() > kMaxUsersFileBytes)
    return bad(std::string(file_name) + ": larger than " + std::to_string(kMaxUsersFileBytes) + " bytes");
  std::vector<UserEntry> users;
  std::set<std::string> names;
  std::size_t number = 0;
  std::optional<Error> error;
  for_each_line(text, [&](std::string_view raw) {
    ++number;
    if (error) return;
    auto fail = [&](const std::string& what) {
      error = bad(std::string(file_name) + ":" + std::to_string(number) + ": " + what);
    };
    if (raw.find('\0') != std::string_view::npos) return fail("NUL byte in the line (not a text file?)");
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') return;
    const auto first = line.find(':');
    if (first == std::string_view::npos) return fail("not NAME:HASH[:OPTIONS]");
    UserEntry entry;
    const std::string_view name = line.substr(0, first);
    if (!valid_user_name(name))
      return fail("not a user name (1-64 of A-Z a-z 0-9 . _ @ + -): " + quoted(name));
    std::string_view rest = line.substr(first + 1);
    const auto second = rest.find(':');
    const std::string_view hash = rest.substr(0, second);
    if (!plausible_hash(hash)) return fail("user " + std::string(name) + ": not a crypto_pwhash_str (Argon2) hash");
    if (second != std::string_view::npos) {
      entry.options = std::string(rest.substr(second + 1));
      if (auto parsed = parse_user_options(entry.options, entry); !parsed)
        return fail("user " + std::string(name) + ": " + parsed.error().what);
    }
    if (!names.insert(std::string(name)).second) return fail("user " + std::string(name) + " given twice");
    entry.name = name;
    entry.hash = hash;
    users.push_back(std::move(entry));
  });
  if (error) return *error;
  return users;
}

std::string format_user(const UserEntry& entry) {
  std::string line = entry.name + ":" + entry.hash;
  if (!entry.options.empty()) line += ":" + entry.options;
  return line;
}

std::string put_user(std::string_view text, const UserEntry& entry) {
  std::string out;
  bool replaced = false;
  for_each_line(text, [&](std::string_view line) {
    if (!replaced && line_name(line) == entry.name) {
      out += format_user(entry);
      replaced = true;
    } else {
      out += line;
    }
    out += '\n';
  });
  if (!replaced) out += format_user(entry) + "\n";
  return out;
}

std::optional<std::string> remove_user(std::string_view text, std::string_view name) {
  std::string out;
  bool removed = false;
  for_each_line(text, [&](std::string_view line) {
    if (line_name(line) == name) {
      removed = true;
      return;
    }
    out += line;
    out += '\n';
  });
  if (!removed) return std::nullopt;
  return out;
}

}  // namespace captive::auth
