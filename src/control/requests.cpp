// The client side of the protocol, for captivectl: apart from protocol.cpp
// so that captivectl links nothing of the daemon (it is linked statically:
// docs/performance.md, "revoke -> dead").
#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cstdint>

#include "captive/control/protocol.hpp"

namespace captive::control {
namespace json = boost::json;

namespace {

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::string with_mac(std::string_view cmd, std::string_view mac) {
  json::object request;
  request["cmd"] = cmd;
  request["mac"] = mac;
  return json::serialize(request);
}

}  // namespace

std::string make_doctor_request(std::string_view mac) { return with_mac("doctor", mac); }

std::string make_list_request(bool all) { return all ? R"({"cmd":"list","all":true})" : R"({"cmd":"list"})"; }

std::string make_show_request(std::string_view mac_or_ip) {
  json::object request;
  request["cmd"] = "show";
  request["client"] = mac_or_ip;
  return json::serialize(request);
}

std::string make_allow_request(std::string_view mac, const AllowOptions& options) {
  json::object request;
  request["cmd"] = "allow";
  request["mac"] = mac;
  if (options.seconds) request["seconds"] = *options.seconds;
  if (options.ip) request["ip"] = *options.ip;
  if (options.rate_down) request["rate_down"] = *options.rate_down;
  if (options.rate_up) request["rate_up"] = *options.rate_up;
  return json::serialize(request);
}

std::string make_revoke_request(std::string_view mac_or_ip) {
  json::object request;
  request["cmd"] = "revoke";
  request[packet::IpAddr::parse(mac_or_ip) ? "ip" : "mac"] = mac_or_ip;
  return json::serialize(request);
}

std::string make_extend_request(std::string_view mac, std::uint64_t seconds) {
  json::object request;
  request["cmd"] = "extend";
  request["mac"] = mac;
  request["seconds"] = seconds;
  return json::serialize(request);
}

std::string make_status_request() { return R"({"cmd":"status"})"; }
std::string make_stats_request() { return R"({"cmd":"stats"})"; }
std::string make_reload_request() { return R"({"cmd":"reload"})"; }
std::string make_mac_request(std::string_view cmd, std::string_view mac) { return with_mac(cmd, mac); }

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t unit = 1;
  switch (text.back()) {
    case 's': unit = 1; text.remove_suffix(1); break;
    case 'm': unit = 60; text.remove_suffix(1); break;
    case 'h': unit = 3600; text.remove_suffix(1); break;
    case 'd': unit = 86400; text.remove_suffix(1); break;
    default: break;
  }
  auto n = parse_number(text);
  if (!n || *n == 0 || *n > 365ull * 86400 / unit) return std::nullopt;
  return std::chrono::seconds(*n * unit);
}

std::optional<std::uint64_t> parse_bytes(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t unit = 1;
  switch (text.back()) {
    case 'k': case 'K': unit = 1000; break;
    case 'M': unit = 1000ull * 1000; break;
    case 'G': unit = 1000ull * 1000 * 1000; break;
    case 'T': unit = 1000ull * 1000 * 1000 * 1000; break;
    default: break;
  }
  if (unit != 1) text.remove_suffix(1);
  auto n = parse_number(text);
  if (!n || *n == 0 || *n > UINT64_MAX / unit) return std::nullopt;
  return *n * unit;
}

std::optional<std::uint64_t> parse_rate(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  auto n = parse_number(text.substr(0, digits));
  if (!n || *n == 0) return std::nullopt;
  std::string unit(text.substr(digits));
  for (char& ch : unit) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
  std::uint64_t scale = 0;
  if (unit == "bit") scale = 1;
  else if (unit == "kbit") scale = 1000;
  else if (unit == "mbit") scale = 1000 * 1000;
  else if (unit == "gbit") scale = 1000 * 1000 * 1000;
  else return std::nullopt;
  // At most 100 Gbit/s: beyond any router, and far from overflow.
  constexpr std::uint64_t kMaxBits = 100ull * 1000 * 1000 * 1000;
  if (*n > kMaxBits / scale) return std::nullopt;
  // At least 1 byte/s: 0 would read as "no limit".
  return std::max<std::uint64_t>(1, *n * scale / 8);
}
std::string make_list_change_request(std::string_view verb, std::string_view mac) {
  json::object request;
  request["cmd"] = verb;
  request["mac"] = mac;
  return json::serialize(request);
}

std::string make_lists_request() { return R"({"cmd":"lists"})"; }

}  // namespace captive::control
