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
      row["bytes"] = c.bytes;
      row["packets"] = c.packets;
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

// --- lists: trust, block, unblock, untrust, lists (issue 9, item 9) ---

json::array list_rows(const std::vector<session::ListEntry>& entries) {
  json::array rows;
  for (const auto& e : entries) {
    json::object row;
    row["mac"] = e.mac.to_string();
    row["source"] = e.source == session::ListSource::config ? "config" : "runtime";
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string do_lists(const ListsContext& lists) {
  json::object out;
  out["ok"] = true;
  out["trusted"] = list_rows(lists.lists.trusted_entries());
  out["blocked"] = list_rows(lists.lists.blocked_entries());
  json::array ips, domains;
  for (const auto& a : lists.allow_ips) ips.push_back(json::value(a));
  for (const auto& d : lists.allow_domains) domains.push_back(json::value(d));
  out["allow_ip"] = std::move(ips);
  out["allow_domain"] = std::move(domains);
  return json::serialize(out);
}

// A blocked MAC also loses its session: the kernel drops it in forward
// anyway (@blocked comes first), but a session left in the registry would
// be put back by every restore and shown as signed in.
void end_session_of_blocked(session::Registry& registry, const packet::MacAddr& mac, Reply reply) {
  registry.revoke(mac, [mac, reply = std::move(reply)](Result<void> revoked) {
    if (!revoked && revoked.error().code != ENOENT)
      return reply(failure(mac.to_string() + " is blocked, but its session could not be ended: " +
                           revoked.error().message()));
    reply(R"({"ok":true,"changed":true})");
  });
}

void do_list_change(std::string_view verb, const json::object& request, Context& context, Reply reply) {
  if (!context.lists) return reply(failure(std::string(verb) + ": lists are not available"));
  ListsContext& lists = *context.lists;
  const json::value* mac_field = request.if_contains("mac");
  if (!mac_field || !mac_field->is_string())
    return reply(failure(std::string(verb) + ": \"mac\" (a string) is required"));
  auto mac = session::parse_list_mac(mac_field->get_string());
  if (!mac) return reply(failure(std::string(verb) + ": " + mac.error().what));
  Result<bool> changed = verb == "trust"     ? lists.lists.trust(*mac)
                         : verb == "block"   ? lists.lists.block(*mac)
                         : verb == "unblock" ? lists.lists.unblock(*mac)
                                             : lists.lists.untrust(*mac);
  if (!changed) return reply(failure(changed.error().what));
  if (!*changed) return reply(R"({"ok":true,"changed":false})");
  if (!lists.changed) return reply(R"({"ok":true,"changed":true})");
  const bool blocking = verb == "block";
  lists.changed([&registry = context.registry, mac = *mac, blocking, reply = std::move(reply)](Result<void> applied) {
    if (!applied) return reply(failure(applied.error().message()));
    if (blocking) return end_session_of_blocked(registry, mac, reply);
    reply(R"({"ok":true,"changed":true})");
  });
}

bool is_list_change(std::string_view name) {
  return name == "trust" || name == "block" || name == "unblock" || name == "untrust";
}

// --- end of lists ---

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
  if (is_list_change(name)) return do_list_change(name, object, context, std::move(reply));
  if (name == "lists") return context.lists ? reply(do_lists(*context.lists)) : reply(failure("lists: not available"));
  reply(failure("unknown command: " + std::string(name.substr(0, 64))));
}

}  // namespace captive::control
