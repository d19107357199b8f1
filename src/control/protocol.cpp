#include "captive/control/protocol.hpp"
#include "voucher_requests.hpp"

#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <memory>

namespace captive::control {
namespace json = boost::json;

std::string failure(std::string_view message) {
  json::object reply;
  reply["ok"] = false;
  reply["error"] = message;
  return json::serialize(reply);
}

std::string success(json::object reply) {
  reply["ok"] = true;
  return json::serialize(reply);
}

namespace {

using Reply = std::function<void(std::string)>;

// At most 64 bytes of what the client sent, in an error: replies stay short.
std::string quoted(std::string_view text) { return excerpt(text); }
json::value epoch_or_null(const std::optional<session::Clock::time_point>& t) {
  if (!t) return nullptr;
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

json::object row_of(const session::Client& c) {
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
  return row;
}

// A request's field, or why not.
const json::value* field(const json::object& request, std::string_view name) { return request.if_contains(name); }

std::optional<packet::MacAddr> mac_field(const json::object& request, std::string_view cmd, const Reply& reply) {
  const json::value* v = field(request, "mac");
  if (!v || !v->is_string()) {
    reply(failure(std::string(cmd) + ": \"mac\" (a string) is required"));
    return std::nullopt;
  }
  auto mac = packet::MacAddr::parse(v->get_string());
  if (!mac) reply(failure(std::string(cmd) + ": not a MAC address: " + quoted(v->get_string())));
  return mac;
}

// A positive integer field; nullopt and a reply if present but wrong,
// `absent` (no reply) if missing.
enum class Number { ok, absent, bad };
Number number_field(const json::object& request, std::string_view name, std::uint64_t max, std::uint64_t& out) {
  const json::value* v = field(request, name);
  if (!v) return Number::absent;
  if (v->is_uint64()) out = v->get_uint64();
  else if (v->is_int64() && v->get_int64() > 0) out = static_cast<std::uint64_t>(v->get_int64());
  else return Number::bad;
  return out > 0 && out <= max ? Number::ok : Number::bad;
}

std::string not_supported(std::string_view cmd) {
  return std::string(cmd) + ": not supported by this captived";
}

// The kernel's answer for one client, by MAC or address.
void find_client(Context& context, std::string text,
                 std::function<void(Result<std::optional<session::Client>>)> found) {
  auto mac = packet::MacAddr::parse(text);
  auto ip = mac ? std::nullopt : packet::IpAddr::parse(text);
  context.registry.list([mac, ip, found = std::move(found)](Result<std::vector<session::Client>> clients) {
    if (!clients) return found(clients.error());
    for (auto& c : *clients)
      if ((mac && c.mac == *mac) || (ip && c.ip && c.ip->unmapped() == ip->unmapped()))
        return found(std::optional<session::Client>(std::move(c)));
    found(std::optional<session::Client>());
  });
}

void do_list(const json::object& request, Context& context, Reply reply) {
  const json::value* all_field = field(request, "all");
  if (all_field && !all_field->is_bool()) return reply(failure("list: \"all\" must be true or false"));
  const bool all = all_field && all_field->get_bool();
  if (all && !context.seen) return reply(failure(not_supported("list --all")));
  context.registry.list([&context, all, reply = std::move(reply)](Result<std::vector<session::Client>> clients) {
    if (!clients) return reply(failure("list: " + clients.error().message()));
    json::array rows;
    for (const auto& c : *clients) rows.push_back(row_of(c));
    json::object out;
    out["clients"] = std::move(rows);
    if (!all) return reply(success(std::move(out)));
    auto signed_in = std::make_shared<std::vector<session::Client>>(std::move(*clients));
    context.seen([signed_in, out = std::move(out), reply](Result<std::vector<Seen>> seen) mutable {
      if (!seen) return reply(failure("list --all: " + seen.error().message()));
      json::array rows;
      for (const auto& s : *seen) {
        bool in = false;
        for (const auto& c : *signed_in) in = in || c.mac == s.mac;
        if (in) continue;
        json::object row;
        row["mac"] = s.mac.to_string();
        row["ip"] = s.ip ? json::value(s.ip->to_string()) : json::value(nullptr);
        rows.push_back(std::move(row));
      }
      out["seen"] = std::move(rows);
      reply(success(std::move(out)));
    });
  });
}

void do_show(const json::object& request, Context& context, Reply reply) {
  const json::value* v = field(request, "client");
  if (!v || !v->is_string()) return reply(failure("show: \"client\" (a MAC or an IP address) is required"));
  std::string text(v->get_string());
  if (!packet::MacAddr::parse(text) && !packet::IpAddr::parse(text))
    return reply(failure("show: not a MAC or IP address: " + quoted(text)));
  find_client(context, text, [text, reply = std::move(reply)](Result<std::optional<session::Client>> found) {
    if (!found) return reply(failure("show: " + found.error().message()));
    if (!*found) return reply(failure(quoted(text) + " is not signed in"));
    json::object out;
    out["client"] = row_of(**found);
    reply(success(std::move(out)));
  });
}

void do_allow(const json::object& request, Context& context, Reply reply) {
  auto mac = mac_field(request, "allow", reply);
  if (!mac) return;
  constexpr std::uint64_t kMaxSeconds = 365ull * 86400;
  constexpr std::uint64_t kMaxRate = 100'000'000'000ull / 8;
  std::uint64_t seconds = 0;
  switch (number_field(request, "seconds", kMaxSeconds, seconds)) {
    case Number::bad: return reply(failure("allow: \"seconds\" must be from 1 to 31536000 (365 days)"));
    case Number::absent:
      seconds = context.session_timeout ? static_cast<std::uint64_t>(context.session_timeout().count()) : 24 * 3600;
      break;
    case Number::ok: break;
  }
  std::optional<packet::IpAddr> ip;
  if (const json::value* v = field(request, "ip")) {
    if (!v->is_string() || !(ip = packet::IpAddr::parse(v->get_string())))
      return reply(failure("allow: \"ip\" is not an IP address"));
  }
  session::Limits limits;
  for (auto [name, slot] : {std::pair{"rate_down", &limits.rate_down}, std::pair{"rate_up", &limits.rate_up}}) {
    std::uint64_t rate = 0;
    switch (number_field(request, name, kMaxRate, rate)) {
      case Number::bad: return reply(failure(std::string("allow: \"") + name + "\" must be a rate in bytes/s, > 0"));
      case Number::absent: break;
      case Number::ok: *slot = rate; break;
    }
  }
  auto done = [mac = *mac, seconds, reply](Result<void> r) {
    if (!r) return reply(failure("allow " + mac.to_string() + ": " + r.error().message()));
    json::object out;
    out["mac"] = mac.to_string();
    out["seconds"] = seconds;
    reply(success(std::move(out)));
  };
  if (limits != session::Limits{}) {
    if (!context.allow_with_limits) return reply(failure(not_supported("allow --rate-down/--rate-up")));
    return context.allow_with_limits(Allow{*mac, ip, std::chrono::seconds(seconds), limits}, std::move(done));
  }
  // "admin": how the session was made, as list and the state file show it.
  context.registry.sign_in(*mac, ip, std::chrono::seconds(seconds), "admin", std::move(done));
}

void revoke_mac(Context& context, const packet::MacAddr& mac, Reply reply) {
  // Cause "revoke": the operator's command (docs/operations.md).
  context.registry.revoke(mac, [mac, reply = std::move(reply)](Result<void> revoked) {
    if (!revoked) {
      if (revoked.error().code == ENOENT) return reply(failure(mac.to_string() + " is not signed in"));
      return reply(failure("revoke " + mac.to_string() + ": " + revoked.error().message()));
    }
    json::object out;
    out["mac"] = mac.to_string();
    reply(success(std::move(out)));
  });
}

void do_revoke(const json::object& request, Context& context, Reply reply) {
  if (const json::value* v = field(request, "ip"); v && !field(request, "mac")) {
    if (!v->is_string()) return reply(failure("revoke: \"ip\" must be a string"));
    std::string text(v->get_string());
    if (!packet::IpAddr::parse(text)) return reply(failure("revoke: not an IP address: " + quoted(text)));
    // By address: the session that signed in from it (or the kernel's
    // element bound to it), then revoked by its MAC like any other.
    return find_client(context, text, [&context, text, reply](Result<std::optional<session::Client>> found) {
      if (!found) return reply(failure("revoke: " + found.error().message()));
      if (!*found) return reply(failure(text + " is not signed in"));
      revoke_mac(context, (*found)->mac, reply);
    });
  }
  auto mac = mac_field(request, "revoke", reply);
  if (!mac) return;
  revoke_mac(context, *mac, std::move(reply));
}

void do_extend(const json::object& request, Context& context, Reply reply) {
  auto mac = mac_field(request, "extend", reply);
  if (!mac) return;
  std::uint64_t seconds = 0;
  if (number_field(request, "seconds", 365ull * 86400, seconds) != Number::ok)
    return reply(failure("extend: \"seconds\" from 1 to 31536000 (365 days) is required"));
  if (!context.extend) return reply(failure(not_supported("extend")));
  context.extend(*mac, std::chrono::seconds(seconds), [mac = *mac, reply](Result<void> r) {
    if (!r) {
      if (r.error().code == ENOENT) return reply(failure(mac.to_string() + " is not signed in"));
      return reply(failure("extend " + mac.to_string() + ": " + r.error().message()));
    }
    reply(success());
  });
}


json::object counter_object(Context& context) {
  json::object values;
  if (context.counters)
    for (const auto& [name, value] : context.counters()) values[name] = value;
  return values;
}

// The few counters an admin looks at first; `stats` has them all.
json::object summary_of(const json::object& counters) {
  json::object summary;
  auto value = [&](std::string_view name) -> std::uint64_t {
    const json::value* v = counters.if_contains(name);
    return v && v->is_uint64() ? v->get_uint64() : v && v->is_int64() ? static_cast<std::uint64_t>(v->get_int64()) : 0;
  };
  summary["queued_packets"] = value("queue.packets");
  summary["frames_sent"] = value("inject.frames_sent");
  summary["sign_ins"] = value("portal.sign_ins");
  summary["refused"] = value("portal.refused");
  summary["restores"] = value("nft.restores");
  // Everything counted as going wrong, in one number (stats says which).
  std::uint64_t errors = 0;
  for (const auto& [name, v] : counters) {
    std::string_view n = name;
    const bool bad = n.find("error") != n.npos || n.find("enobufs") != n.npos || n.find("drops") != n.npos ||
                     n.find("failures") != n.npos;
    if (bad && v.is_uint64()) errors += v.get_uint64();
    else if (bad && v.is_int64()) errors += static_cast<std::uint64_t>(v.get_int64());
  }
  summary["errors"] = errors;
  return summary;
}

void do_status(Context& context, Reply reply) {
  context.registry.list([&context, reply = std::move(reply)](Result<std::vector<session::Client>> clients) {
    if (!clients) return reply(failure("status: " + clients.error().message()));
    json::object status;
    DaemonInfo info = context.info ? context.info() : DaemonInfo{};
    status["version"] = info.version;
    status["uptime_seconds"] = info.uptime.count();
    status["queue_mode"] = info.queue_mode;
    json::array lans;
    for (const auto& lan : info.lans) {
      json::object l;
      l["name"] = lan.name;
      l["mac"] = lan.mac.to_string();
      l["mtu"] = lan.mtu;
      l["portal_url_v4"] = lan.portal_url_v4;
      l["portal_url_v6"] = lan.portal_url_v6;
      lans.push_back(std::move(l));
    }
    status["lans"] = std::move(lans);
    if (!info.users_file.empty()) status["users_file"] = info.users_file;
    status["sessions"] = clients->size();
    status["counters"] = summary_of(counter_object(context));
    json::object out;
    out["status"] = std::move(status);
    reply(success(std::move(out)));
  });
}

std::string do_stats(Context& context) {
  json::object reply;
  reply["stats"] = counter_object(context);
  return success(std::move(reply));
}

void do_reload(Context& context, Reply reply) {
  if (!context.reload) return reply(failure(not_supported("reload")));
  context.reload([reply = std::move(reply)](Result<ReloadOutcome> outcome) {
    if (!outcome) return reply(failure("reload: " + outcome.error().message()));
    json::object out;
    out["file"] = outcome->file;
    json::array changed, restart;
    for (const auto& k : outcome->changed) changed.push_back(json::string(k));
    for (const auto& k : outcome->restart_needed) restart.push_back(json::string(k));
    out["changed"] = std::move(changed);
    out["restart_needed"] = std::move(restart);
    reply(success(std::move(out)));
  });
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

// `captivectl doctor MAC`: the client's recent requests and what we
// answered, from the client log (no kernel), and whether it is signed in.
void do_doctor(const json::object& request, Context& context, Reply reply) {
  const json::value* mac_field = request.if_contains("mac");
  if (!mac_field || !mac_field->is_string()) return reply(failure("doctor: \"mac\" (a string) is required"));
  std::string_view text = mac_field->get_string();
  auto mac = packet::MacAddr::parse(text);
  if (!mac) return reply(failure("doctor: not a MAC address: " + quoted(text)));
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
  if (line.size() > kMaxLineBytes) return reply(failure("request too long"));
  json::error_code ec;
  json::value request = json::parse(line, ec);
  if (ec || !request.is_object()) return reply(failure("request is not a JSON object"));
  const json::object& object = request.get_object();
  const json::value* cmd = object.if_contains("cmd");
  if (!cmd || !cmd->is_string()) return reply(failure("\"cmd\" (a string) is required"));
  std::string_view name = cmd->get_string();
  if (name == "list") return do_list(object, context, std::move(reply));
  if (name == "show") return do_show(object, context, std::move(reply));
  if (name == "allow") return do_allow(object, context, std::move(reply));
  if (name == "revoke") return do_revoke(object, context, std::move(reply));
  if (name == "extend") return do_extend(object, context, std::move(reply));
  if (name == "status") return do_status(context, std::move(reply));
  if (name == "stats") return reply(do_stats(context));
  if (name == "reload") return do_reload(context, std::move(reply));
  if (is_list_change(name)) return do_list_change(name, object, context, std::move(reply));
  if (name == "lists") return context.lists ? reply(do_lists(*context.lists)) : reply(failure("lists: not available"));
  if (name == "doctor") return do_doctor(object, context, std::move(reply));
  if (name.starts_with("voucher_")) return handle_voucher_request(name, object, context, std::move(reply));
  reply(failure("unknown command: " + quoted(name)));
}

}  // namespace captive::control
