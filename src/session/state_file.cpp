#include "captive/session/state_file.hpp"
#include "captive/session/lists.hpp"
#include "captive/util/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <set>

namespace captive::session {
namespace json = boost::json;

namespace {

constexpr std::int64_t kVersion = 1;

json::value optional_number(const std::optional<std::uint64_t>& v) {
  if (!v) return nullptr;
  return *v;
}

json::object traffic_json(const Traffic& t) {
  json::object o;
  o["bytes_up"] = t.bytes_up;
  o["packets_up"] = t.packets_up;
  o["bytes_down"] = t.bytes_down;
  o["packets_down"] = t.packets_down;
  return o;
}

std::int64_t epoch(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Errors say which session and which field: "session 3: "ip": not an address".
struct Where {
  std::size_t index;
  Error fail(std::string_view field, std::string_view why) const {
    return make_error(EINVAL, "session " + std::to_string(index) + ": \"" + std::string(field) + "\": " +
                                  std::string(why));
  }
};

Result<const json::value*> field(const json::object& o, std::string_view name, const Where& at) {
  const json::value* v = o.if_contains(name);
  if (!v) return at.fail(name, "missing");
  return v;
}

Result<std::uint64_t> unsigned_number(const json::value& v, std::string_view name, const Where& at) {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
  return at.fail(name, "not a whole number >= 0");
}

Result<std::optional<std::uint64_t>> optional_unsigned(const json::object& o, std::string_view name,
                                                       const Where& at) {
  const json::value* v = o.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::uint64_t>{};
  auto n = unsigned_number(*v, name, at);
  if (!n) return n.error();
  return std::optional<std::uint64_t>{*n};
}

Result<Clock::time_point> time_field(const json::object& o, std::string_view name, const Where& at) {
  auto v = field(o, name, at);
  if (!v) return v.error();
  auto n = unsigned_number(**v, name, at);
  if (!n) return n.error();
  // Seconds since 1970 up to the year 2200: anything else is corruption.
  // (system_clock counts nanoseconds in 64 bits: it ends in 2262, and a
  // later time overflowed in the conversion; fuzz_state_file, docs/fuzzing.md.)
  if (*n > 7'258'118'400ULL) return at.fail(name, "not a time");
  return Clock::time_point(std::chrono::seconds(static_cast<std::int64_t>(*n)));
}

Result<std::string> short_string(const json::object& o, std::string_view name, const Where& at) {
  const json::value* v = o.if_contains(name);
  if (!v) return std::string();
  if (!v->is_string()) return at.fail(name, "not a string");
  if (v->get_string().size() > 256) return at.fail(name, "longer than 256 bytes");
  return std::string(v->get_string());
}

Result<Traffic> traffic_field(const json::object& o, std::string_view name, const Where& at) {
  auto v = field(o, name, at);
  if (!v) return v.error();
  if (!(*v)->is_object()) return at.fail(name, "not an object");
  const json::object& t = (*v)->get_object();
  Traffic out;
  struct Part {
    std::string_view name;
    std::uint64_t Traffic::*member;
  };
  static constexpr Part kParts[] = {{"bytes_up", &Traffic::bytes_up},
                                    {"packets_up", &Traffic::packets_up},
                                    {"bytes_down", &Traffic::bytes_down},
                                    {"packets_down", &Traffic::packets_down}};
  for (const auto& part : kParts) {
    const json::value* n = t.if_contains(part.name);
    if (!n) return at.fail(std::string(name) + "." + std::string(part.name), "missing");
    auto value = unsigned_number(*n, std::string(name) + "." + std::string(part.name), at);
    if (!value) return value.error();
    out.*part.member = *value;
  }
  return out;
}

Result<Limits> limits_field(const json::object& o, const Where& at) {
  Limits limits;
  const json::value* v = o.if_contains("limits");
  if (!v || v->is_null()) return limits;
  if (!v->is_object()) return at.fail("limits", "not an object");
  const json::object& l = v->get_object();
  auto idle = optional_unsigned(l, "idle_timeout", at);
  if (!idle) return idle.error();
  if (*idle) {
    if (**idle == 0 || **idle > static_cast<std::uint64_t>(kMaxStoredSeconds))
      return at.fail("limits.idle_timeout", "not a duration in seconds");
    limits.idle_timeout = std::chrono::seconds(static_cast<std::int64_t>(**idle));
  }
  auto quota = optional_unsigned(l, "quota_bytes", at);
  if (!quota) return quota.error();
  limits.quota_bytes = *quota;
  auto down = optional_unsigned(l, "rate_down", at);
  if (!down) return down.error();
  limits.rate_down = *down;
  auto up = optional_unsigned(l, "rate_up", at);
  if (!up) return up.error();
  limits.rate_up = *up;
  return limits;
}

Result<StoredSession> parse_session(const json::value& v, const Where& at) {
  if (!v.is_object()) return at.fail("", "not an object");
  const json::object& o = v.get_object();
  StoredSession s;
  auto mac_value = field(o, "mac", at);
  if (!mac_value) return mac_value.error();
  if (!(*mac_value)->is_string()) return at.fail("mac", "not a string");
  auto mac = packet::MacAddr::parse((*mac_value)->get_string());
  if (!mac) return at.fail("mac", "not a MAC address");
  s.mac = *mac;
  if (const json::value* ip = o.if_contains("ip"); ip && !ip->is_null()) {
    if (!ip->is_string()) return at.fail("ip", "not a string");
    auto address = packet::IpAddr::parse(ip->get_string());
    if (!address) return at.fail("ip", "not an IPv4 or IPv6 address");
    s.ip = *address;
  }
  if (o.if_contains("acct_session_id")) {
    auto id = short_string(o, "acct_session_id", at);
    if (!id) return id.error();
    s.acct_session_id = std::move(*id);
  }
  auto method = short_string(o, "method", at);
  if (!method) return method.error();
  s.method = std::move(*method);
  auto user = short_string(o, "user", at);
  if (!user) return user.error();
  s.user = std::move(*user);
  if (const json::value* t = o.if_contains("signed_in_at"); t && !t->is_null()) {
    auto signed_in = time_field(o, "signed_in_at", at);
    if (!signed_in) return signed_in.error();
    s.signed_in_at = *signed_in;
  }
  auto expires = time_field(o, "expires_at", at);
  if (!expires) return expires.error();
  s.expires_at = *expires;
  auto limits = limits_field(o, at);
  if (!limits) return limits.error();
  s.limits = *limits;
  auto traffic = traffic_field(o, "traffic", at);
  if (!traffic) return traffic.error();
  s.traffic = *traffic;
  auto element = traffic_field(o, "element", at);
  if (!element) return element.error();
  s.element = *element;
  if (s.element.bytes_up > s.traffic.bytes_up || s.element.packets_up > s.traffic.packets_up ||
      s.element.bytes_down > s.traffic.bytes_down || s.element.packets_down > s.traffic.packets_down)
    return at.fail("element", "counts more than the session's total");
  return s;
}

}  // namespace

std::string format_state(const std::vector<StoredSession>& sessions) {
  json::array rows;
  rows.reserve(sessions.size());
  for (const auto& s : sessions) {
    json::object row;
    row["mac"] = s.mac.to_string();
    row["ip"] = s.ip ? json::value(s.ip->to_string()) : json::value(nullptr);
    row["method"] = s.method;
    row["user"] = s.user;
    row["acct_session_id"] = s.acct_session_id;
    row["signed_in_at"] = s.signed_in_at ? json::value(epoch(*s.signed_in_at)) : json::value(nullptr);
    row["expires_at"] = epoch(s.expires_at);
    json::object limits;
    limits["idle_timeout"] = s.limits.idle_timeout ? json::value(s.limits.idle_timeout->count()) : json::value(nullptr);
    limits["quota_bytes"] = optional_number(s.limits.quota_bytes);
    limits["rate_down"] = optional_number(s.limits.rate_down);
    limits["rate_up"] = optional_number(s.limits.rate_up);
    row["limits"] = std::move(limits);
    row["traffic"] = traffic_json(s.traffic);
    row["element"] = traffic_json(s.element);
    rows.push_back(std::move(row));
  }
  // One session a line: a person can read and diff it.
  std::string text = "{\"version\":" + std::to_string(kVersion) + ",\"sessions\":[";
  bool first = true;
  for (const auto& row : rows) {
    text += first ? "\n" : ",\n";
    text += json::serialize(row);
    first = false;
  }
  text += "\n]}\n";
  return text;
}

Result<std::vector<StoredSession>> parse_state(std::string_view text) {
  if (text.size() > kMaxStateFileBytes) return make_error(EFBIG, "larger than " + std::to_string(kMaxStateFileBytes) + " bytes");
  json::error_code ec;
  // Depth: our format is 4 deep; a deeply nested junk file must not
  // exhaust the stack.
  json::parse_options options;
  options.max_depth = 8;
  json::value root = json::parse(text, ec, {}, options);
  if (ec) return make_error(EINVAL, "not JSON: " + ec.message());
  if (!root.is_object()) return make_error(EINVAL, "not a JSON object");
  const json::object& o = root.get_object();
  const json::value* version = o.if_contains("version");
  if (!version || !version->is_int64() || version->get_int64() != kVersion)
    return make_error(EINVAL, "\"version\": not 1 (a file from another captive version?)");
  const json::value* list = o.if_contains("sessions");
  if (!list || !list->is_array()) return make_error(EINVAL, "\"sessions\": missing or not an array");
  const json::array& rows = list->get_array();
  if (rows.size() > kMaxStoredSessions)
    return make_error(EINVAL, "more than " + std::to_string(kMaxStoredSessions) + " sessions");
  std::vector<StoredSession> sessions;
  sessions.reserve(rows.size());
  std::set<packet::MacAddr> seen;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto s = parse_session(rows[i], Where{i});
    if (!s) return s.error();
    if (!seen.insert(s->mac).second) return Where{i}.fail("mac", s->mac.to_string() + " twice");
    sessions.push_back(std::move(*s));
  }
  return sessions;
}

Result<void> write_state_file(const std::string& dir, std::string_view text) {
  // Temp file, fsync, rename, fsync the directory: the lists' writer.
  return write_file_atomically(dir, kStateFileName, text);
}

LoadedState load_state_file(const std::string& dir) {
  LoadedState out;
  const std::string path = dir + "/" + std::string(kStateFileName);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) out.problem = "open " + path + ": " + std::strerror(errno);
    return out;
  }
  auto text = util::read_rest(fd, path, kMaxStateFileBytes);
  ::close(fd);
  if (!text) {
    out.problem = text.error().code == EFBIG ? text.error().what : text.error().message();
  } else {
    auto parsed = parse_state(*text);
    if (parsed) {
      out.sessions = std::move(*parsed);
      return out;
    }
    out.problem = path + ": " + parsed.error().what;
  }
  const std::string aside = path + ".bad";
  if (::rename(path.c_str(), aside.c_str()) == 0) out.set_aside = aside;
  return out;
}

}  // namespace captive::session
