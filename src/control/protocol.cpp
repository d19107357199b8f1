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

// `captivectl doctor MAC`: the client's recent requests and what we
// answered, from the client log (no kernel), and whether it is signed in.
void do_doctor(const json::object& request, Context& context, Reply reply) {
  const json::value* mac_field = request.if_contains("mac");
  if (!mac_field || !mac_field->is_string()) return reply(failure("doctor: \"mac\" (a string) is required"));
  std::string_view text = mac_field->get_string();
  auto mac = packet::MacAddr::parse(text);
  if (!mac) return reply(failure("doctor: not a MAC address: " + std::string(text.substr(0, 64))));
  const auto entries =
      context.client_log ? context.client_log->history(*mac) : std::vector<responder::ClientEntry>{};
  const auto client = context.registry.find(*mac);
  const std::uint64_t now = context.now_seconds ? context.now_seconds() : 0;
  const auto wall = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count();
  json::array rows;
  bool opened_portal = false;
  for (const auto& e : entries) {
    json::object row;
    const std::uint64_t ago = now >= e.when ? now - e.when : 0;
    row["ago"] = ago;
    row["at"] = wall - static_cast<std::int64_t>(ago);
    row["event"] = responder::client_event_name(e.event);
    row["host"] = e.host;
    row["path"] = e.path;
    row["probe"] = e.probe_label.empty() ? json::value(nullptr) : json::value(e.probe_label);
    opened_portal = opened_portal || e.event == responder::ClientEvent::portal_page;
    rows.push_back(std::move(row));
  }
  json::object out;
  out["ok"] = true;
  out["mac"] = mac->to_string();
  out["signed_in"] = client.has_value();
  out["opened_portal"] = opened_portal;
  out["entries"] = std::move(rows);
  out["verdict"] = doctor_verdict(entries, client.has_value());
  reply(json::serialize(out));
}

}  // namespace

std::string doctor_verdict(const std::vector<responder::ClientEntry>& entries, bool signed_in_now) {
  using responder::ClientEvent;
  std::string probes;  // the probe labels seen, in order, once each
  bool got_302 = false, got_511 = false, opened = false, signed_in = false, refused = false;
  for (const auto& e : entries) {
    if (!e.probe_label.empty() && probes.find(e.probe_label) == std::string::npos)
      probes += (probes.empty() ? "" : "/") + e.probe_label;
    got_302 = got_302 || e.event == ClientEvent::answer_302;
    got_511 = got_511 || e.event == ClientEvent::answer_511;
    opened = opened || e.event == ClientEvent::portal_page;
    signed_in = signed_in || e.event == ClientEvent::signed_in;
    refused = refused || e.event == ClientEvent::sign_in_refused;
  }
  if (signed_in_now)
    return "signed in: its traffic passes in the kernel now (its probes reach the real servers and its sign-in "
           "window should close by itself)";
  if (entries.empty())
    return "no HTTP seen from this device: check it is on the LAN behind this router, that it has an address "
           "and a working DNS (probe names must resolve), or that it has not been forgotten by the log";
  if (signed_in) return "signed in earlier but not now: the session ended (expired or revoked); it must sign in again";
  if (refused) return "opened the sign-in page and tried to sign in, but was refused (see the form's notice)";
  if (opened) return "opened the sign-in page but has not signed in (yet)";
  if (got_302)
    return "sent " + probes + " probes, got 302, never opened the sign-in page: the device should show a "
           "\"sign in to network\" notification; tap it";
  if (!probes.empty())
    return "sent " + probes + " probes, answered 511 as the probe table says: this OS may show no sign-in "
           "notification (see docs/clients.md)";
  if (got_511)
    return "only ordinary web requests (511), no known OS probe: its captive-portal detection may be off or use a "
           "probe not in the table (add it with --probes); the browser shows the sign-in link";
  return "no request answered yet";
}

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
  if (name == "doctor") return do_doctor(object, context, std::move(reply));
  reply(failure("unknown command: " + std::string(name.substr(0, 64))));
}

}  // namespace captive::control
