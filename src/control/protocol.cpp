#include "captive/control/protocol.hpp"

#include <boost/json.hpp>
#include <cerrno>
#include <chrono>

namespace captive::control {
namespace json = boost::json;

namespace {

std::string failure(std::string_view message) {
  json::object reply;
  reply["ok"] = false;
  reply["error"] = message;
  return json::serialize(reply);
}

json::value epoch_or_null(const std::optional<session::Clock::time_point>& t) {
  if (!t) return nullptr;
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

using Reply = std::function<void(std::string)>;

void do_list(session::Registry& registry, Reply reply) {
  registry.list([reply = std::move(reply)](Result<std::vector<session::Client>> clients) {
    if (!clients) return reply(failure("list: " + clients.error().message()));
    json::array rows;
    for (const auto& c : *clients) {
      json::object row;
      row["mac"] = c.mac.to_string();
      row["ip"] = c.ip ? json::value(c.ip->to_string()) : json::value(nullptr);
      row["signed_in_at"] = epoch_or_null(c.signed_in_at);
      row["expires_at"] = epoch_or_null(c.expires_at);
      row["method"] = c.method;
      row["user"] = c.user;
      row["bytes_up"] = c.traffic.bytes_up;
      row["bytes_down"] = c.traffic.bytes_down;
      row["packets_up"] = c.traffic.packets_up;
      row["packets_down"] = c.traffic.packets_down;
      row["idle_timeout"] = c.limits.idle_timeout ? json::value(c.limits.idle_timeout->count()) : json::value(nullptr);
      row["quota_bytes"] = c.limits.quota_bytes ? json::value(*c.limits.quota_bytes) : json::value(nullptr);
      rows.push_back(std::move(row));
    }
    json::object out;
    out["ok"] = true;
    out["clients"] = std::move(rows);
    reply(json::serialize(out));
  });
}

void do_revoke(const json::object& request, session::Registry& registry, Reply reply) {
  const json::value* mac_field = request.if_contains("mac");
  if (!mac_field || !mac_field->is_string()) return reply(failure("revoke: \"mac\" (a string) is required"));
  std::string_view text = mac_field->get_string();
  auto mac = packet::MacAddr::parse(text);
  if (!mac) return reply(failure("revoke: not a MAC address: " + std::string(text.substr(0, 64))));
  registry.revoke(*mac, [mac = *mac, reply = std::move(reply)](Result<void> revoked) {
    if (!revoked) {
      if (revoked.error().code == ENOENT) return reply(failure(mac.to_string() + " is not signed in"));
      return reply(failure("revoke " + mac.to_string() + ": " + revoked.error().message()));
    }
    reply(R"({"ok":true})");
  });
}

std::string do_stats(Context& context) {
  json::object values;
  if (context.counters)
    for (const auto& [name, value] : context.counters()) values[name] = value;
  json::object reply;
  reply["ok"] = true;
  reply["stats"] = std::move(values);
  return json::serialize(reply);
}

}  // namespace

void handle_request(std::string_view line, Context& context, Reply reply) {
  session::Registry& registry = context.registry;
  if (line.size() > kMaxLineBytes) return reply(failure("request too long"));
  json::error_code ec;
  json::value request = json::parse(line, ec);
  if (ec || !request.is_object()) return reply(failure("request is not a JSON object"));
  const json::object& object = request.get_object();
  const json::value* cmd = object.if_contains("cmd");
  if (!cmd || !cmd->is_string()) return reply(failure("\"cmd\" (a string) is required"));
  std::string_view name = cmd->get_string();
  if (name == "list") return do_list(registry, std::move(reply));
  if (name == "revoke") return do_revoke(object, registry, std::move(reply));
  if (name == "stats") return reply(do_stats(context));
  reply(failure("unknown command: " + std::string(name.substr(0, 64))));
}

}  // namespace captive::control
