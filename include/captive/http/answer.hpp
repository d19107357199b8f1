// The answer to an intercepted request, chosen in one place and rendered into
// a caller's buffer.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "captive/http/answer_kind.hpp"
#include "captive/http/link_signature.hpp"
#include "captive/http/original_url.hpp"
#include "captive/http/probe_table.hpp"
#include "captive/http/request.hpp"
#include "captive/http/template.hpp"
#include "captive/packet/address.hpp"

namespace captive::http {

struct Choice {
  AnswerKind kind = AnswerKind::network_authentication_required;
  // Index in the probe table of the probe the request matched.
  std::optional<std::size_t> probe;
};

// THE choice of answer per request: what the probe table says for a known
// OS connectivity probe (docs/clients.md), the 511 for everything else
// (and for everything when `probes` is null). Never allocates.
Choice choose_answer(const ProbeTable* probes, const Request& request);

// The 511 body in each language (portal::Pages::answer_bodies: 511.html with
// everything but the sign-in link rendered in at start), so the packet path
// only picks one by Accept-Language and fills in the link: no allocation.
class AnswerBodies {
 public:
  // `tags` lower case, [0] the fallback; one body per tag. Each body's one
  // dynamic value (index 0) is the sign-in link.
  AnswerBodies(std::vector<std::string> tags, std::vector<Template::Flat> bodies);
  AnswerBodies(const AnswerBodies&) = delete;
  AnswerBodies& operator=(const AnswerBodies&) = delete;
  // RFC 9110 §12.5.4 (pick_language). Never allocates.
  const Template::Flat& for_language(std::string_view accept_language) const;
  const std::vector<std::string>& tags() const { return tags_; }

 private:
  std::vector<std::string> tags_;
  std::vector<std::string_view> tag_views_;
  std::vector<Template::Flat> bodies_;
};

// The bodies in force, shared by every queue's responder and replaced on a
// reload (the home thread stores, the queue threads load: a load neither
// allocates nor blocks on the store for longer than a pointer swap).
class AnswerBodiesSlot {
 public:
  std::shared_ptr<const AnswerBodies> load() const { return bodies_.load(std::memory_order_acquire); }
  void store(std::shared_ptr<const AnswerBodies> bodies) { bodies_.store(std::move(bodies), std::memory_order_release); }

 private:
  std::atomic<std::shared_ptr<const AnswerBodies>> bodies_;
};

struct AnswerContext {
  // Sign-in page, absolute ("http://192.0.2.1:8511/"). The original URL is
  // appended as the query parameter `url` (with '?' or '&' as fits), then
  // its signature as `sig` (link_signature.hpp).
  std::string_view portal_url;
  // Key and device the link is signed for: the source MAC of the request's
  // frame, which is the MAC the portal will see the link followed from.
  LinkKey link_key{};
  packet::MacAddr client_mac;
  // Where the request went: the original URL's authority when there is no Host.
  packet::IpAddr destination;
  std::uint16_t destination_port = 80;
  // Cap of the original URL before encoding (<= kMaxOriginalUrl).
  std::size_t max_original_url = kMaxOriginalUrl;
  // The 511 bodies of the templates (--templates); null: the built-in
  // English body. The one for the request's Accept-Language is used.
  const AnswerBodies* bodies = nullptr;
};

// Writes the whole HTTP response (status line, headers, body) into `out` and
// returns its length; 0 when it does not fit. Both kinds carry
// `Cache-Control: no-store`, `Connection: close`, a text/html UTF-8 body that
// is never empty, and an exact Content-Length. Never allocates.
std::size_t render_answer(std::span<char> out, AnswerKind kind, const Request& request,
                          const AnswerContext& context);

}  // namespace captive::http
