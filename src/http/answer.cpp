#include "captive/http/answer.hpp"

#include <array>

#include "captive/http/buffer_writer.hpp"
#include "captive/http/link_signature.hpp"
#include "captive/http/text.hpp"

namespace captive::http {
namespace {

// The sign-in link: portal URL + ?url= + the url-encoded original URL +
// &sig= + its signature (the portal reads them back with form_value(query,
// "url") and "sig", and keeps the URL only if the signature verifies).
struct Link {
  std::string_view portal;
  std::string_view original;
  LinkSignature signature;

  // As a header value: control characters in a configured URL would split
  // the header (response splitting), so they are dropped.
  void put_raw(BufferWriter& w) const {
    for (char c : portal)
      if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) w.put(c);
    put_query(w, "&");
  }
  void put_html(BufferWriter& w) const {
    html_escape_into(w, portal);
    put_query(w, "&amp;");
  }

 private:
  void put_query(BufferWriter& w, std::string_view ampersand) const {
    if (portal.find('?') == std::string_view::npos)
      w.put('?');
    else
      w.put(ampersand);
    w.put("url=");
    // url_encode leaves only [A-Za-z0-9-._~%]: nothing HTML would change.
    url_encode_into(w, original);
    // No URL (cut to nothing to fit a small MSS) has nothing to protect, and
    // the answer stays as short as it was.
    if (original.empty()) return;
    w.put(ampersand);
    w.put("sig=");
    w.put(std::string_view(signature.data(), signature.size()));
  }
};

void put_511_body(BufferWriter& w, const Link& link) {
  w.put(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
      "<title>Sign in to the network</title>\n<meta http-equiv=\"refresh\" content=\"0; url=");
  link.put_html(w);
  w.put(
      "\"></head>\n<body><h1>Sign in to the network</h1>\n"
      "<p>This network requires you to sign in before you can use the Internet.</p>\n"
      "<p><a href=\"");
  link.put_html(w);
  w.put("\">Continue to the sign-in page</a></p></body></html>\n");
}

void put_302_body(BufferWriter& w, const Link& link) {
  // Never empty nor <= 4 bytes: some probes take a tiny body for "online".
  w.put(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Sign in</title></head>\n"
      "<body><p><a href=\"");
  link.put_html(w);
  w.put("\">Sign in to the network</a></p></body></html>\n");
}

void put_body(BufferWriter& w, AnswerKind kind, const Link& link, const Template::Flat* body) {
  if (kind == AnswerKind::probe_redirect)
    put_302_body(w, link);
  else if (body != nullptr)
    body->render(w, [&link](BufferWriter& out, std::size_t) { link.put_html(out); });
  else
    put_511_body(w, link);
}

}  // namespace

AnswerBodies::AnswerBodies(std::vector<std::string> tags, std::vector<Template::Flat> bodies)
    : tags_(std::move(tags)), bodies_(std::move(bodies)) {
  for (const auto& t : tags_) tag_views_.emplace_back(t);
}

const Template::Flat& AnswerBodies::for_language(std::string_view accept_language) const {
  const std::size_t i = pick_language(accept_language, tag_views_);
  return bodies_[i < bodies_.size() ? i : 0];
}

const char* answer_kind_name(AnswerKind kind) {
  switch (kind) {
    case AnswerKind::network_authentication_required: return "network_authentication_required";
    case AnswerKind::probe_redirect: return "probe_redirect";
  }
  return "unknown";
}

Choice choose_answer(const ProbeTable* probes, const Request& request) {
  Choice choice;
  if (probes == nullptr) return choice;
  choice.probe = probes->find(request);
  if (choice.probe) choice.kind = (*probes)[*choice.probe].answer;
  return choice;
}

std::size_t render_answer(std::span<char> out, AnswerKind kind, const Request& request,
                          const AnswerContext& context) {
  std::array<char, kMaxOriginalUrl> url_buffer;
  const std::size_t cap =
      context.max_original_url < url_buffer.size() ? context.max_original_url : url_buffer.size();
  const std::size_t url_length = original_url(std::span(url_buffer.data(), cap), request,
                                              context.destination, context.destination_port);
  // Signed as cut to the cap: the portal verifies the URL the link carries.
  const std::string_view original(url_buffer.data(), url_length);
  const Link link{context.portal_url, original, sign_link(context.link_key, context.client_mac, original)};

  const Template::Flat* body =
      context.bodies != nullptr ? &context.bodies->for_language(request.accept_language) : nullptr;
  BufferWriter measure({});
  put_body(measure, kind, link, body);

  BufferWriter w(out);
  if (kind == AnswerKind::probe_redirect) {
    w.put("HTTP/1.1 302 Found\r\nLocation: ");
    link.put_raw(w);
    w.put("\r\n");
  } else {
    // RFC 6585 §6.
    w.put("HTTP/1.1 511 Network Authentication Required\r\n");
  }
  w.put(
      "Content-Type: text/html; charset=UTF-8\r\n"
      // A cached 511 or redirect would haunt the user after sign-in.
      "Cache-Control: no-store\r\n"
      // We are stateless: nothing after this response on this connection.
      "Connection: close\r\n"
      "Content-Length: ");
  w.put_uint(measure.size());
  w.put("\r\n\r\n");
  put_body(w, kind, link, body);
  if (w.overflowed()) return 0;
  return w.size();
}

}  // namespace captive::http
