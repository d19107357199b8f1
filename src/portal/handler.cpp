#include "captive/portal/handler.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <ctime>

#include "captive/http/text.hpp"
#include "captive/util/log.hpp"

namespace captive::portal {
namespace {

using captive::http::form_value;
using captive::http::html_escape;

constexpr std::size_t kMaxReturnUrl = 2048;

std::string query_of(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
}

std::string path_of(std::string_view target) {
  auto q = target.find('?');
  return std::string(target.substr(0, q));
}

std::string format_time(session::Clock::time_point t) {
  std::time_t secs = session::Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string page(std::string_view title, std::string_view body) {
  std::string html;
  html.reserve(1024 + body.size());
  html += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
          "<title>";
  html += html_escape(title);
  html += "</title><style>body{font-family:sans-serif;max-width:32em;margin:2em auto;padding:0 1em}"
          "button{font-size:1.1em;padding:.5em 1.5em}.notice{color:#a00}</style></head><body>\n<h1>";
  html += html_escape(title);
  html += "</h1>\n";
  html += body;
  html += "\n</body></html>\n";
  return html;
}

Response respond(const Request& request, http::status status, std::string body) {
  Response response{status, request.version()};
  response.set(http::field::content_type, "text/html; charset=UTF-8");
  response.set(http::field::cache_control, "no-store");
  // The pages must never be framed by a page the client visits later.
  response.set(http::field::x_frame_options, "DENY");
  response.keep_alive(false);
  if (request.method() != http::verb::head) response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

// RFC 8259 §7: quote, backslash and control characters escaped.
void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

}  // namespace

std::string api_json(const ApiState& state) {
  std::string out = "{\"captive\":";
  out += state.captive ? "true" : "false";
  out += ",\"user-portal-url\":";
  append_json_string(out, state.user_portal_url);
  if (!state.venue_info_url.empty()) {
    out += ",\"venue-info-url\":";
    append_json_string(out, state.venue_info_url);
  }
  if (state.seconds_remaining) out += ",\"seconds-remaining\":" + std::to_string(*state.seconds_remaining);
  if (state.bytes_remaining) out += ",\"bytes-remaining\":" + std::to_string(*state.bytes_remaining);
  out += ",\"can-extend-session\":";
  out += state.can_extend_session ? "true" : "false";
  out += "}\n";
  return out;
}

std::optional<std::string> return_url(std::string_view candidate) {
  if (candidate.size() > kMaxReturnUrl) return std::nullopt;
  if (!(candidate.starts_with("http://") || candidate.starts_with("https://"))) return std::nullopt;
  for (unsigned char c : candidate)
    if (c < 0x21 || c == 0x7f) return std::nullopt;
  return std::string(candidate);
}

std::vector<std::string> accepted_hosts(std::span<const packet::IpAddr> lan_addresses, std::uint16_t port,
                                        std::string_view portal_url) {
  std::vector<std::string> hosts;
  auto add = [&](std::string h) {
    std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!h.empty() && std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(std::move(h));
  };
  for (const auto& a : lan_addresses) {
    const std::string host = a.is_v4() ? a.to_string() : "[" + a.to_string() + "]";
    add(host);
    add(host + ":" + std::to_string(port));
  }
  if (auto scheme = portal_url.find("://"); scheme != std::string_view::npos) {
    std::string_view rest = portal_url.substr(scheme + 3);
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    add(std::string(authority));
    // Without the port: "[v6]:8511" -> "[v6]", "name:8511" -> "name".
    auto colon = authority.rfind(':');
    auto bracket = authority.rfind(']');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
      add(std::string(authority.substr(0, colon)));
    } else {
      add(std::string(authority) + ":" + std::to_string(port));
    }
  }
  return hosts;
}

bool Handler::host_is_ours(std::string_view host) const {
  std::string lower(host);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(settings_.hosts.begin(), settings_.hosts.end(), lower) != settings_.hosts.end();
}

Handler::Identity Handler::look_up(nft::PeerResolver& peers, neigh::Resolver& neighbours, const Client& client) {
  Identity id;
  auto wire = peers.lookup(client);
  if (!wire) {
    LOG_WARN("portal: peer lookup: %s", wire.error().message().c_str());
    return id;
  }
  if (!wire->has_value()) return id;  // not seen established on the LAN: unknown
  id.mac = **wire;
  id.outcome = Identity::Outcome::known;
  // Cross-check: the kernel's neighbour entry for the address, if any, must
  // name the same MAC. A different one means two devices claim the address
  // (spoofing, or a stale entry after the address moved): sign in neither.
  auto from_kernel = neighbours.lookup(client.address);
  if (!from_kernel) {
    LOG_WARN("portal: neighbour lookup of %s: %s", client.address.to_string().c_str(),
             from_kernel.error().message().c_str());
  } else if (from_kernel->has_value() && **from_kernel != id.mac) {
    LOG_WARN("portal: %s: the connection came from %s but the neighbour table says %s; refused",
             client.address.to_string().c_str(), id.mac.to_string().c_str(),
             (*from_kernel)->to_string().c_str());
    id.outcome = Identity::Outcome::mismatch;
  }
  return id;
}

void Handler::identify(const Client& client, std::function<void(Identity)> then) {
  // Counted on the home thread, where stats_ lives.
  auto finish = [this, then = std::move(then)](const Identity& id) {
    if (id.outcome == Identity::Outcome::mismatch) ++stats_.identity_mismatch;
    then(id);
  };
  const Executors& run = deps_.executors;
  if (!run.lookup) return finish(look_up(deps_.peers, deps_.neighbours, client));
  run.lookup([&peers = deps_.peers, &neighbours = deps_.neighbours, home = run.home, client,
              finish = std::move(finish)] {
    Identity id = look_up(peers, neighbours, client);
    if (!home) return finish(id);
    home([finish, id] { finish(id); });
  });
}

std::optional<Response> Handler::refuse_unidentified(const Request& request, const Identity& identity) {
  switch (identity.outcome) {
    case Identity::Outcome::known: return std::nullopt;
    case Identity::Outcome::unknown:
      ++stats_.unknown_client;
      return respond(request, http::status::forbidden,
                     page("Cannot sign in", "<p>This device could not be identified on the local network. "
                                            "Make sure it is connected to this network directly, then reload.</p>"));
    case Identity::Outcome::mismatch:
      return respond(request, http::status::forbidden,
                     page("Cannot sign in",
                          "<p>Another device on this network is using the same address as this one, so this "
                          "device cannot be signed in safely. Reconnect to the network to get a new address, "
                          "then reload this page.</p>"));
  }
  return std::nullopt;
}

std::optional<Response> Handler::refuse_blocked(const Request& request, const packet::MacAddr& mac) {
  if (!deps_.blocked || !deps_.blocked(mac)) return std::nullopt;
  ++stats_.blocked;
  // The MAC is shown so the user can quote it to the venue's staff.
  return respond(request, http::status::forbidden,
                 page("This device is blocked",
                      "<p>This device (" + mac.to_string() +
                          ") is blocked on this network: it cannot sign in or use the Internet here. "
                          "If you think this is a mistake, ask the staff of " +
                          html_escape(settings_.site_name) + ".</p>"));
}

std::optional<Response> Handler::refuse_wrong_host(const Request& request) {
  // RFC 9112 §3.2: exactly one Host, else 400. RFC 9110 §15.5.20: 421 for a
  // request not meant for this server - what a page of another origin gets
  // after rebinding its name to our address.
  if (request.count(http::field::host) != 1) {
    ++stats_.wrong_host;
    return respond(request, http::status::bad_request,
                   page("Bad request", "<p>The request must name the sign-in page's host exactly once.</p>"));
  }
  if (auto host = request[http::field::host]; !host_is_ours(std::string_view(host.data(), host.size()))) {
    ++stats_.wrong_host;
    return respond(request, http::status::misdirected_request,
                   page("Wrong address", "<p>This server only serves the sign-in page of this network, "
                                         "under its own address. <a href=\"/\">Sign in</a>.</p>"));
  }
  return std::nullopt;
}

void Handler::handle(const Request& request, const Client& client, Reply reply) {
  if (auto refused = refuse_wrong_host(request)) return reply(std::move(*refused));
  const std::string path = path_of(request.target());
  const bool sign_in = path == "/login" && request.method() == http::verb::post;
  const bool sign_out = path == "/logout" && request.method() == http::verb::post;
  const bool reads = request.method() == http::verb::get || request.method() == http::verb::head;
  const bool wants_page = path == "/" && reads;
  const bool wants_api = path == "/api" && reads;
  // Everything else (404, 405) is answered without asking the kernel.
  if (!sign_in && !sign_out && !wants_page && !wants_api) return reply(answer(request, Identity{}));
  identify(client, [this, &request, client, sign_in, sign_out, wants_api, reply = std::move(reply)](const Identity& id) {
    if (sign_in) return login(request, client, id, reply);
    if (sign_out) return logout(request, id, reply);
    if (wants_api) return reply(api(request, client, id));
    reply(answer(request, id));
  });
}

void Handler::note(const packet::MacAddr& mac, responder::ClientEvent event, const Request& request) {
  if (!deps_.client_log) return;
  const auto host = request[http::field::host];
  const auto target = request.target();
  deps_.client_log->record(mac, deps_.now_seconds(), event, std::string_view(host.data(), host.size()),
                           std::string_view(target.data(), target.size()));
}

Response Handler::answer(const Request& request, const Identity& id) {
  std::string path = path_of(request.target());
  if (path == "/" && (request.method() == http::verb::get || request.method() == http::verb::head)) {
    ++stats_.pages;
    if (auto refused = refuse_unidentified(request, id)) return std::move(*refused);
    if (auto refused = refuse_blocked(request, id.mac)) return std::move(*refused);
    const packet::MacAddr* mac = &id.mac;
    note(*mac, responder::ClientEvent::portal_page, request);
    std::string url = signed_link_url(request.target(), *mac);
    if (auto signed_in = deps_.registry.find(*mac)) {
      std::string body = "<p>This device is signed in until " + format_time(*signed_in->expires_at) + ".</p>";
      if (!url.empty()) body += "<p><a href=\"" + html_escape(url) + "\">Continue to " + html_escape(url) + "</a></p>";
      return online_page(request, *mac, body, http::status::ok);
    }
    return sign_in_page(request, *mac, url, {}, http::status::ok);
  }
  if (path == "/" || path == "/login" || path == "/logout" || path == "/api")
    return respond(request, http::status::method_not_allowed, page("Not allowed", "<p>Method not allowed.</p>"));
  return respond(request, http::status::not_found,
                 page("Not found", "<p>Nothing here. <a href=\"/\">Sign in</a>.</p>"));
}

Response Handler::api(const Request& request, const Client& client, const Identity& id) {
  ++stats_.api_requests;
  ApiState state;
  state.user_portal_url = client.address.is_v4() || settings_.user_portal_url_v6.empty()
                              ? settings_.user_portal_url_v4
                              : settings_.user_portal_url_v6;
  if (state.user_portal_url.empty()) state.user_portal_url = settings_.user_portal_url_v6;
  state.venue_info_url = settings_.venue_info_url;
  // Only the session of the MAC this very connection came from (as for a
  // sign-in): an unidentified client, or one whose address another MAC
  // claims, is told it is captive and learns nothing of anyone's session.
  if (id.outcome == Identity::Outcome::known) {
    if (auto session = deps_.registry.find(id.mac)) {
      state.captive = false;
      if (session->expires_at) {
        auto left = std::chrono::duration_cast<std::chrono::seconds>(*session->expires_at - deps_.wall_now());
        state.seconds_remaining = static_cast<std::uint64_t>(std::max<std::int64_t>(0, left.count()));
      }
      state.bytes_remaining = bytes_remaining(*session);
    }
  }
  Response response{http::status::ok, request.version()};
  response.set(http::field::content_type, kCaptiveJson);
  // RFC 8908 §5: the answer is per client and changes at sign-in; a cached
  // `captive: true` would keep the OS's sign-in window open after it.
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(false);
  if (request.method() != http::verb::head) response.body() = api_json(state);
  response.prepare_payload();
  return response;
}

std::string Handler::signed_link_url(std::string_view target, const packet::MacAddr& mac) {
  const std::string query = query_of(target);
  auto given = form_value(query, "url");
  if (!given || given->empty()) return {};
  // form_value decodes both: the signature covers the decoded URL, which is
  // what the responder signed before url-encoding it into the link.
  auto sig = form_value(query, "sig");
  auto url = return_url(*given);
  if (!url || !sig || !captive::http::link_signature_valid(settings_.link_key, mac, *url, *sig)) {
    // A link we did not render for this device: the form goes out without
    // a return URL, so accepting it lands on "you are online", nowhere else.
    ++stats_.unsigned_url;
    return {};
  }
  return std::move(*url);
}

Response Handler::sign_in_page(const Request& request, const packet::MacAddr& mac, const std::string& url,
                               const std::string& notice, http::status status) {
  std::string body;
  if (!notice.empty()) body += "<p class=\"notice\">" + html_escape(notice) + "</p>\n";
  body += "<p>Welcome to " + html_escape(settings_.site_name) +
          ". To use the Internet here, please accept the terms of use: use it lawfully and "
          "considerately; access may be logged and ended at any time.</p>\n";
  // One form per enabled backend (--auth), each with its own token field
  // (the same token: it covers the device and the return URL, not the
  // backend) and the backend's name in `method`.
  const std::string token = deps_.tokens.issue(mac, url, deps_.now_seconds());
  const auto forms = deps_.backend.forms();
  for (std::size_t i = 0; i < forms.size(); ++i) {
    if (i > 0) body += "\n<p class=\"or\">or</p>\n";
    body += "<form method=\"post\" action=\"/login\">\n"
            "<input type=\"hidden\" name=\"token\" value=\"" +
            token + "\">\n<input type=\"hidden\" name=\"url\" value=\"" + html_escape(url) +
            "\">\n<input type=\"hidden\" name=\"method\" value=\"" + html_escape(forms[i].name) + "\">\n" +
            forms[i].fields + "\n<p><button type=\"submit\">" + html_escape(forms[i].button) +
            "</button></p>\n</form>";
  }
  return respond(request, status, page(settings_.site_name, body));
}

Response Handler::online_page(const Request& request, const packet::MacAddr& mac, const std::string& body,
                             http::status status) {
  // A form, not a link: a GET that signs out could be fired by any page the
  // device visits (an <img src>); the token ties the POST to this device and
  // to a page we rendered (the sign-in form's defence, docs/security.md).
  std::string html = body +
                     "\n<form method=\"post\" action=\"/logout\">\n"
                     "<input type=\"hidden\" name=\"token\" value=\"" +
                     deps_.tokens.issue(mac, kLogoutPurpose, deps_.now_seconds()) +
                     "\">\n<p><button type=\"submit\">Log out</button></p>\n</form>";
  return respond(request, status, page("You are online", html));
}

void Handler::logout(const Request& request, const Identity& id, Reply reply) {
  // The device is the one this connection comes from (wire MAC, neighbour
  // cross-check), as for a sign-in; nothing in the form names it.
  if (auto refused = refuse_unidentified(request, id)) return reply(std::move(*refused));
  auto token = captive::http::form_value(request.body(), "token");
  if (!token || !deps_.tokens.verify(*token, id.mac, kLogoutPurpose, deps_.now_seconds())) {
    ++stats_.bad_token;
    const bool signed_in = deps_.registry.find(id.mac).has_value();
    std::string body = "<p class=\"notice\">This form has expired. Please try again.</p>";
    if (signed_in) return reply(online_page(request, id.mac, body, http::status::forbidden));
    return reply(respond(request, http::status::forbidden,
                         page("Cannot log out", body + "<p><a href=\"/\">Sign in</a></p>")));
  }
  deps_.registry.revoke(id.mac, session::EndCause::logout,
                     [this, &request, mac = id.mac, reply = std::move(reply)](Result<void> ended) {
                       // ENOENT: not (or no longer) signed in; the device is out either way.
                       if (!ended && ended.error().code != ENOENT) {
                         ++stats_.set_errors;
                         LOG_ERROR("portal: logout of %s: %s", mac.to_string().c_str(),
                                   ended.error().message().c_str());
                         return reply(respond(request, http::status::service_unavailable,
                                              page("Please try again", "<p>Logging out failed on the router. "
                                                                       "Please try again in a moment.</p>")));
                       }
                       if (ended) {
                         ++stats_.logouts;
                         LOG_INFO("logged out %s", mac.to_string().c_str());
                       }
                       reply(respond(request, http::status::ok,
                                     page("You are logged out",
                                          "<p>This device is no longer signed in to " +
                                              html_escape(settings_.site_name) +
                                              ".</p>\n<p><a href=\"/\">Sign in again</a></p>")));
                     });
}

void Handler::login(const Request& request, const Client& client, const Identity& id, Reply reply) {
  const std::string& form = request.body();
  std::string url = return_url(form_value(form, "url").value_or("")).value_or("");
  if (auto refused = refuse_unidentified(request, id)) return reply(std::move(*refused));
  // Before the token: a blocked device gets the same clear page whatever
  // it posts, and never reaches the backend or the kernel set.
  if (auto refused = refuse_blocked(request, id.mac)) return reply(std::move(*refused));
  const packet::MacAddr* mac = &id.mac;
  // The token covers the URL the form was rendered with: a form whose url
  // was changed (or a forged one) fails here, and the form shown again
  // carries no URL, so the browser lands nowhere of anyone's choosing.
  auto token = form_value(form, "token");
  if (!token || !deps_.tokens.verify(*token, *mac, url, deps_.now_seconds())) {
    ++stats_.bad_token;
    note(*mac, responder::ClientEvent::sign_in_refused, request);
    return reply(
        sign_in_page(request, *mac, {}, "This form has expired. Please try again.", http::status::forbidden));
  }
  // The backend answers on the home thread, at once or after its work on
  // a pool (password hashing) and the abuse limits' delay; meanwhile the
  // event loop serves everybody else.
  deps_.backend.judge(
      auth::Attempt{*mac, client.address, form},
      [this, &request, client, mac = *mac, url = std::move(url), reply = std::move(reply)](auth::Decision decision) mutable {
        if (!decision.accepted()) return refuse_sign_in(request, mac, url, decision, std::move(reply));
        complete_sign_in(request, client, mac, std::move(url), std::move(decision), std::move(reply));
      });
}

void Handler::refuse_sign_in(const Request& request, const packet::MacAddr& mac, const std::string& url,
                             const auth::Decision& decision, Reply reply) {
  http::status status = http::status::forbidden;
  switch (decision.outcome) {
    case auth::Decision::Outcome::busy:
      ++stats_.busy;
      status = http::status::service_unavailable;
      break;
    // RFC 6585 §4: 429 Too Many Requests, with Retry-After.
    case auth::Decision::Outcome::locked_out:
      ++stats_.locked_out;
      status = http::status::too_many_requests;
      break;
    default:
      ++stats_.refused;
      break;
  }
  note(mac, responder::ClientEvent::sign_in_refused, request);
  Response response = sign_in_page(request, mac, url, decision.reason, status);
  if (decision.retry_after.count() > 0) response.set(http::field::retry_after, std::to_string(decision.retry_after.count()));
  reply(std::move(response));
}

void Handler::complete_sign_in(const Request& request, const Client& client, const packet::MacAddr& mac_in,
                               std::string url, auth::Decision decision, Reply reply) {
  const packet::MacAddr* mac = &mac_in;
  session::SignIn how{decision.duration.value_or(settings_.session_timeout), decision.method, decision.user,
                      decision.limits, decision.acct_session_id};
  // The page is written once the kernel has the MAC: a "you are online"
  // before that would send the browser into the gate.
  deps_.registry.sign_in(
      *mac, client.address, std::move(how),
      [this, &request, client, mac = *mac, url = std::move(url), method = decision.method, user = decision.user,
       message = std::move(decision.message), reply = std::move(reply)](Result<void> signed_in) {
        if (!signed_in) {
          ++stats_.set_errors;
          LOG_ERROR("portal: sign-in of %s: %s", mac.to_string().c_str(), signed_in.error().message().c_str());
          return reply(respond(request, http::status::service_unavailable,
                               page("Please try again",
                                    "<p>Signing in failed on the router. Please try again in a moment.</p>")));
        }
        ++stats_.sign_ins;
        note(mac, responder::ClientEvent::signed_in, request);
        LOG_INFO("signed in %s from %s (%s%s%s)", mac.to_string().c_str(), client.address.to_string().c_str(),
                 method.c_str(), user.empty() ? "" : " ", user.c_str());
        // The backend's word (RADIUS Reply-Message): the server's text, escaped.
        const std::string said = message.empty() ? "" : "<p class=\"message\">" + html_escape(message) + "</p>";
        if (!url.empty()) {
          Response response =
              respond(request, http::status::see_other,
                      page("You are online", said + "<p><a href=\"" + html_escape(url) + "\">Continue</a></p>"));
          response.set(http::field::location, url);
          return reply(std::move(response));
        }
        reply(online_page(request, mac, said + "<p>You can now use the Internet.</p>", http::status::ok));
      });
}

}  // namespace captive::portal
