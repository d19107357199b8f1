// The client side of the protocol, for captivectl: apart from protocol.cpp
// so that captivectl links nothing of the daemon (it is linked statically:
// docs/performance.md, "revoke -> dead").
#include <boost/json.hpp>
#include <charconv>

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

std::optional<std::uint64_t> parse_rate(std::string_view text) {
  struct Unit {
    std::string_view suffix;
    std::uint64_t bits;  // per unit, in bits per second
  };
  // Longest suffixes first ("kbps" before "bps", "kbit" before "bit").
  static constexpr Unit kUnits[] = {{"kbit", 1000},          {"mbit", 1000'000},        {"gbit", 1000'000'000},
                                    {"kbps", 8'000},         {"mbps", 8'000'000},       {"gbps", 8'000'000'000},
                                    {"bit", 1},              {"bps", 8}};
  for (const Unit& unit : kUnits) {
    if (text.size() <= unit.suffix.size() || !text.ends_with(unit.suffix)) continue;
    auto n = parse_number(text.substr(0, text.size() - unit.suffix.size()));
    // At most 100 Gbit/s: beyond any router, and far from overflow.
    if (!n || *n == 0 || *n > 100'000'000'000ull / unit.bits) return std::nullopt;
    const std::uint64_t bytes = *n * unit.bits / 8;
    if (bytes == 0) return std::nullopt;
    return bytes;
  }
  return std::nullopt;
}
std::string make_list_change_request(std::string_view verb, std::string_view mac) {
  json::object request;
  request["cmd"] = verb;
  request["mac"] = mac;
  return json::serialize(request);
}

std::string make_lists_request() { return R"({"cmd":"lists"})"; }

}  // namespace captive::control
