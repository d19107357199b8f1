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
                     pages_->error(language(request), common(), ErrorKind::unknown_client));
    case Identity::Outcome::mismatch:
      return respond(request, http::status::forbidden,
                     pages_->error(language(request), common(), ErrorKind::address_conflict));
  }
  return std::nullopt;
}

std::optional<Response> Handler::refuse_blocked(const Request& request, const packet::MacAddr& mac) {
  if (!deps_.blocked || !deps_.blocked(mac)) return std::nullopt;
  ++stats_.blocked;
  // The MAC is shown so the user can quote it to the venue's staff.
  return respond(request, http::status::forbidden, pages_->blocked(language(request), common(), mac.to_string()));
}

std::optional<Response> Handler::refuse_wrong_host(const Request& request) {
  // RFC 9112 §3.2: exactly one Host, else 400. RFC 9110 §15.5.20: 421 for a
  // request not meant for this server - what a page of another origin gets
  // after rebinding its name to our address.
  if (request.count(http::field::host) != 1) {
    ++stats_.wrong_host;
    return respond(request, http::status::bad_request,
                   pages_->error(language(request), common(), ErrorKind::bad_request));
  }
  if (auto host = request[http::field::host]; !host_is_ours(std::string_view(host.data(), host.size()))) {
    ++stats_.wrong_host;
    return respond(request, http::status::misdirected_request,
                   pages_->error(language(request), common(), ErrorKind::wrong_host));
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
  if (reads && pages_->logo() && path == pages_->logo()->path) return reply(logo(request));
  // Everything else (404, 405) is answered without asking the kernel.
  if (!sign_in && !sign_out && !wants_page && !wants_api) return reply(answer(request, Identity{}));
  identify(client, [this, &request, client, sign_in, sign_out, wants_api, reply = std::move(reply)](const Identity& id) {
    if (sign_in) return login(request, client, id, reply);
    if (sign_out) return logout(request, id, reply);
    if (wants_api) return reply(api(request, client, id));
    reply(answer(request, id));
  });
}

std::size_t Handler::language(const Request& request) const {
  const auto header = request[http::field::accept_language];
  return pages_->language(std::string_view(header.data(), header.size()));
}

std::shared_ptr<const Pages> Handler::builtin_pages() {
  static const std::shared_ptr<const Pages> pages = [] {
    auto built = Pages::builtin();
    if (!built) LOG_ERROR("portal: the built-in templates: %s", built.error().message().c_str());
    return built ? *built : std::make_shared<const Pages>();
  }();
  return pages;
}

void Handler::set_pages(std::shared_ptr<const Pages> pages) {
  if (pages) pages_ = std::move(pages);
}

Response Handler::logo(const Request& request) const {
  const Logo& logo = *pages_->logo();
  Response response{http::status::ok, request.version()};
  response.set(http::field::content_type, logo.content_type);
  // The one thing we let a browser keep: it is the same for everyone and
  // changes only with the templates (a reload); an hour is short enough.
  response.set(http::field::cache_control, "max-age=3600");
  // An SVG is a document: opened on its own it must run nothing.
  response.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox");
  response.set("X-Content-Type-Options", "nosniff");
  response.keep_alive(false);
  if (request.method() != http::verb::head) response.body() = logo.bytes;
  response.prepare_payload();
  return response;
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
    if (auto signed_in = deps_.registry.find(*mac))
      return online_page(request, *mac, format_time(*signed_in->expires_at), url, http::status::ok);
    return sign_in_page(request, *mac, url, {}, http::status::ok);
  }
  if (path == "/" || path == "/login" || path == "/logout" || path == "/api")
    return respond(request, http::status::method_not_allowed,
                   pages_->error(language(request), common(), ErrorKind::not_allowed));
  return respond(request, http::status::not_found, pages_->error(language(request), common(), ErrorKind::not_found));
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
                               const std::string& notice, http::status status, const std::string& form) {
  SignInValues values;
  values.notice = notice;
  values.url = url;
  // The token covers the device and the return URL, not the backend: every
  // form carries the same one.
  values.token = deps_.tokens.issue(mac, url, deps_.now_seconds());
  // What a refused form had, so a typo can be fixed (never the password).
  values.user = form_value(form, "user").value_or("");
  values.code = form_value(form, "code").value_or("");
  // Each backend's form in --auth order: from its template (form-NAME.html)
  // for the backends the templates know, else built here from what the
  // backend says (its fields are its own escaped HTML).
  for (const auto& f : deps_.backend.forms()) {
    SignInValues::Form form{f.name, {}};
    if (f.name != "click" && f.name != "users" && f.name != "voucher")
      form.html = "<form method=\"post\" action=\"/login\">\n<p class=\"or\">" +
                  html_escape(pages_->message(language(request), "signin.or")) +
                  "</p>\n<input type=\"hidden\" name=\"token\" value=\"" + values.token +
                  "\">\n<input type=\"hidden\" name=\"url\" value=\"" + html_escape(url) +
                  "\">\n<input type=\"hidden\" name=\"method\" value=\"" + html_escape(f.name) + "\">\n" +
                  f.fields + "\n<button type=\"submit\">" + html_escape(f.button) + "</button>\n</form>\n";
    values.forms.push_back(std::move(form));
  }
  return respond(request, status, pages_->sign_in(language(request), common(), values));
}

Response Handler::online_page(const Request& request, const packet::MacAddr& mac, const std::string& until,
                              const std::string& url, http::status status, const std::string& message) {
  // A form, not a link: a GET that signs out could be fired by any page the
  // device visits (an <img src>); the token ties the POST to this device and
  // to a page we rendered (the sign-in form's defence, docs/security.md).
  OnlineValues values{until, url, deps_.tokens.issue(mac, kLogoutPurpose, deps_.now_seconds()), message};
  return respond(request, status, pages_->online(language(request), common(), values));
}

void Handler::logout(const Request& request, const Identity& id, Reply reply) {
  // The device is the one this connection comes from (wire MAC, neighbour
  // cross-check), as for a sign-in; nothing in the form names it.
  if (auto refused = refuse_unidentified(request, id)) return reply(std::move(*refused));
  auto token = captive::http::form_value(request.body(), "token");
  if (!token || !deps_.tokens.verify(*token, id.mac, kLogoutPurpose, deps_.now_seconds())) {
    ++stats_.bad_token;
    const bool signed_in = deps_.registry.find(id.mac).has_value();
    if (signed_in) {
      Response again = online_page(request, id.mac, {}, {}, http::status::forbidden);
      return reply(std::move(again));
    }
    return reply(respond(request, http::status::forbidden,
                         pages_->error(language(request), common(), ErrorKind::logout_expired)));
  }
  deps_.registry.revoke(id.mac, session::EndCause::logout,
                     [this, &request, mac = id.mac, reply = std::move(reply)](Result<void> ended) {
                       // ENOENT: not (or no longer) signed in; the device is out either way.
                       if (!ended && ended.error().code != ENOENT) {
                         ++stats_.set_errors;
                         LOG_ERROR("portal: logout of %s: %s", mac.to_string().c_str(),
                                   ended.error().message().c_str());
                         return reply(respond(request, http::status::service_unavailable,
                                              pages_->error(language(request), common(), ErrorKind::logout_failed)));
                       }
                       if (ended) {
                         ++stats_.logouts;
                         LOG_INFO("logged out %s", mac.to_string().c_str());
                       }
                       reply(respond(request, http::status::ok, pages_->logged_out(language(request), common())));
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
    return reply(sign_in_page(request, *mac, {}, pages_->message(language(request), "signin.expired"),
                              http::status::forbidden));
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
  // In the page's language where it has the reason's message; in English
  // the backend's own words (they may say more: minutes, device counts).
  std::string reason = decision.reason;
  if (const std::size_t lang = language(request); lang != 0 && !decision.reason_key.empty())
    if (auto translated = pages_->translated(lang, decision.reason_key)) reason = std::move(*translated);
  Response response = sign_in_page(request, mac, url, reason, status, request.body());
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
                               pages_->error(language(request), common(), ErrorKind::sign_in_failed)));
        }
        ++stats_.sign_ins;
        note(mac, responder::ClientEvent::signed_in, request);
        LOG_INFO("signed in %s from %s (%s%s%s)", mac.to_string().c_str(), client.address.to_string().c_str(),
                 method.c_str(), user.empty() ? "" : " ", user.c_str());
        // The backend's word (RADIUS Reply-Message): the server's text, escaped.
        if (!url.empty()) {
          Response response = respond(request, http::status::see_other,
                                      pages_->online(language(request), common(), OnlineValues{{}, url, {}, message}));
          response.set(http::field::location, url);
          return reply(std::move(response));
        }
        reply(online_page(request, mac, {}, {}, http::status::ok, message));
      });
}

}  // namespace captive::portal
