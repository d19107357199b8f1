#include "captive/portal/handler.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
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

}  // namespace

std::optional<std::string> return_url(std::string_view candidate) {
  if (candidate.size() > kMaxReturnUrl) return std::nullopt;
  if (!(candidate.starts_with("http://") || candidate.starts_with("https://"))) return std::nullopt;
  for (unsigned char c : candidate)
    if (c < 0x21 || c == 0x7f) return std::nullopt;
  return std::string(candidate);
}

std::optional<packet::MacAddr> Handler::identify(const packet::IpAddr& client) {
  auto from_kernel = deps_.neighbours.lookup(client);
  if (from_kernel && from_kernel->has_value()) return **from_kernel;
  if (!from_kernel) LOG_WARN("portal: neighbour lookup of %s: %s", client.to_string().c_str(),
                             from_kernel.error().message().c_str());
  return deps_.seen.find(client, deps_.now_seconds());
}

void Handler::handle(const Request& request, const packet::IpAddr& client, Reply reply) {
  if (path_of(request.target()) == "/login" && request.method() == http::verb::post)
    return login(request, client, std::move(reply));
  reply(answer(request, client));
}

Response Handler::answer(const Request& request, const packet::IpAddr& client) {
  std::string path = path_of(request.target());
  if (path == "/" && (request.method() == http::verb::get || request.method() == http::verb::head)) {
    ++stats_.pages;
    std::string url = return_url(form_value(query_of(request.target()), "url").value_or("")).value_or("");
    auto mac = identify(client);
    if (!mac) {
      ++stats_.unknown_client;
      return respond(request, http::status::forbidden,
                     page("Cannot sign in", "<p>This device could not be identified on the local network. "
                                            "Make sure it is connected to this network directly, then reload.</p>"));
    }
    if (auto signed_in = deps_.registry.find(*mac)) {
      std::string body = "<p>This device is signed in until " + format_time(*signed_in->expires_at) + ".</p>";
      if (!url.empty()) body += "<p><a href=\"" + html_escape(url) + "\">Continue to " + html_escape(url) + "</a></p>";
      return respond(request, http::status::ok, page("You are online", body));
    }
    return sign_in_page(request, *mac, url, {}, http::status::ok);
  }
  if (path == "/" || path == "/login")
    return respond(request, http::status::method_not_allowed, page("Not allowed", "<p>Method not allowed.</p>"));
  return respond(request, http::status::not_found,
                 page("Not found", "<p>Nothing here. <a href=\"/\">Sign in</a>.</p>"));
}

Response Handler::sign_in_page(const Request& request, const packet::MacAddr& mac, const std::string& url,
                               const std::string& notice, http::status status) {
  std::string body;
  if (!notice.empty()) body += "<p class=\"notice\">" + html_escape(notice) + "</p>\n";
  body += "<p>Welcome to " + html_escape(settings_.site_name) +
          ". To use the Internet here, please accept the terms of use: use it lawfully and "
          "considerately; access may be logged and ended at any time.</p>\n"
          "<form method=\"post\" action=\"/login\">\n"
          "<input type=\"hidden\" name=\"token\" value=\"" +
          deps_.tokens.issue(mac, deps_.now_seconds()) +
          "\">\n<input type=\"hidden\" name=\"url\" value=\"" + html_escape(url) +
          "\">\n<p><label><input type=\"checkbox\" name=\"accept_terms\" value=\"yes\" required> "
          "I accept the terms of use</label></p>\n<p><button type=\"submit\">Connect</button></p>\n</form>";
  return respond(request, status, page(settings_.site_name, body));
}

void Handler::login(const Request& request, const packet::IpAddr& client, Reply reply) {
  const std::string& form = request.body();
  std::string url = return_url(form_value(form, "url").value_or("")).value_or("");
  auto mac = identify(client);
  if (!mac) {
    ++stats_.unknown_client;
    return reply(respond(request, http::status::forbidden,
                         page("Cannot sign in", "<p>This device could not be identified on the local network.</p>")));
  }
  auto token = form_value(form, "token");
  if (!token || !deps_.tokens.verify(*token, *mac, deps_.now_seconds())) {
    ++stats_.bad_token;
    return reply(
        sign_in_page(request, *mac, url, "This form has expired. Please try again.", http::status::forbidden));
  }
  auth::Decision decision = deps_.backend.judge(auth::Attempt{*mac, client, form});
  if (!decision.accepted) {
    ++stats_.refused;
    return reply(sign_in_page(request, *mac, url, decision.reason, http::status::forbidden));
  }
  // The page is written once the kernel has the MAC: a "you are online"
  // before that would send the browser into the gate.
  deps_.registry.sign_in(
      *mac, client, settings_.session_timeout, deps_.backend.name(),
      [this, &request, client, mac = *mac, url = std::move(url), reply = std::move(reply)](Result<void> signed_in) {
        if (!signed_in) {
          ++stats_.set_errors;
          LOG_ERROR("portal: sign-in of %s: %s", mac.to_string().c_str(), signed_in.error().message().c_str());
          return reply(respond(request, http::status::service_unavailable,
                               page("Please try again",
                                    "<p>Signing in failed on the router. Please try again in a moment.</p>")));
        }
        ++stats_.sign_ins;
        LOG_INFO("signed in %s from %s (%s)", mac.to_string().c_str(), client.to_string().c_str(),
                 deps_.backend.name());
        if (!url.empty()) {
          Response response =
              respond(request, http::status::see_other,
                      page("You are online", "<p><a href=\"" + html_escape(url) + "\">Continue</a></p>"));
          response.set(http::field::location, url);
          return reply(std::move(response));
        }
        reply(respond(request, http::status::ok, page("You are online", "<p>You can now use the Internet.</p>")));
      });
}

}  // namespace captive::portal
