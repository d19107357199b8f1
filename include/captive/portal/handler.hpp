// The sign-in pages, as a function of (request, client address and port): no sockets,
// so every page and every refusal is unit-tested against fakes.
//
//   GET  /          the terms and the "accept" form (or "you are signed in");
//                   ?url=...&sig=... from the 511's link is kept only when
//                   sig verifies (http/link_signature.hpp)
//   POST /login     judge the form (asynchronously: auth::Backend); on
//                   success add the MAC to @allowed and send the browser on
//                   (303) to the URL it first asked for
//   POST /logout    end this device's session (the "you are online" page's
//                   button); the form's token is the sign-in form's scheme
//                   with a purpose of its own (kLogoutPurpose)
//   GET  /api       the RFC 8908 Captive Portal API: application/captive+json,
//                   whether this client is captive and, once signed in, the
//                   time (and traffic, under a quota) its session has left
//
// The client is the source MAC of this very connection's packets, as the
// ruleset recorded it for the connection's (address, port) once the
// handshake completed (nft::PeerResolver; chain portal_input of
// nft/captive.nft): never anything in the form, never a MAC learnt from other packets (a spoofed SYN
// could plant one). The neighbour table is a cross-check only: an entry that
// names another MAC is refused (counted as identity_mismatch).
//
// Only requests for the portal itself are served: a Host that is not one of
// HandlerSettings::hosts gets 421 (DNS rebinding: a page of another origin
// whose name now resolves to the router must not read our pages).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "captive/auth/backend.hpp"
#include "captive/auth/token.hpp"
#include "captive/http/link_signature.hpp"
#include "captive/neigh/neighbours.hpp"
#include "captive/nft/portal_peers.hpp"
#include "captive/portal/pages.hpp"
#include "captive/packet/address.hpp"
#include "captive/portal/message.hpp"
#include "captive/responder/client_log.hpp"
#include "captive/session/limits.hpp"
#include "captive/session/registry.hpp"

namespace captive::portal {

// Our own message types (message.hpp), under the name the handler has
// always used for them (they were Boost.Beast's).
namespace http = web;
using Request = web::Request;
using Response = web::Response;

struct HandlerSettings {
  std::chrono::seconds session_timeout{24 * 3600};
  std::string site_name = "Guest Wi-Fi";
  // Host header values we answer (lower case; see accepted_hosts). Empty:
  // every request is refused.
  std::vector<std::string> hosts;
  // Key of the signature that the 511's sign-in link carries with its `url`
  // (responder::Settings::link_key): GET / keeps a `url` only when its
  // `sig` verifies for the client's MAC.
  captive::http::LinkKey link_key{};
  // RFC 8908 §5 `user-portal-url`, by the client's address family (the
  // page must be reachable over the family the client asked on). RFC 8908
  // wants it https: captived makes it so when --tls-cert is given.
  std::string user_portal_url_v4{};
  std::string user_portal_url_v6{};
  // RFC 8908 §5 `venue-info-url` (--venue-url); empty: the field is left out.
  std::string venue_info_url{};
  // The page templates and languages (--templates; docs/templates.md).
  // Null: the built-in ones.
  std::shared_ptr<const Pages> pages{};
};

// What the RFC 8908 API tells one client (api_json renders it).
struct ApiState {
  bool captive = true;
  std::string user_portal_url;
  std::string venue_info_url;                       // empty: not sent
  std::optional<std::uint64_t> seconds_remaining;   // only when not captive
  std::optional<std::uint64_t> bytes_remaining;     // only when a quota applies
  bool can_extend_session = false;
};

// The JSON object of RFC 8908 §5 (one line, keys in the RFC's order).
std::string api_json(const ApiState& state);

// What is left of a session's quota (session::Limits::quota_bytes, up plus
// down) after its traffic (session::Traffic), if it has a quota; RFC 8908
// §5 `bytes-remaining`. Without a quota the field is left out.
inline std::optional<std::uint64_t> bytes_remaining(const session::Client& client) {
  if (!client.limits.quota_bytes) return std::nullopt;
  const std::uint64_t used = client.traffic.bytes_up + client.traffic.bytes_down;
  return used >= *client.limits.quota_bytes ? 0 : *client.limits.quota_bytes - used;
}

// The API's media type (RFC 8908 §5, IANA registration in §9.2).
inline constexpr std::string_view kCaptiveJson = "application/captive+json";

// The remote end of the connection a request came on.
using Client = nft::PortalPeer;

// The sign-in outcomes, each counted.
struct Stats {
  std::uint64_t pages = 0;
  std::uint64_t sign_ins = 0;
  std::uint64_t unknown_client = 0;
  std::uint64_t bad_token = 0;
  std::uint64_t refused = 0;
  std::uint64_t set_errors = 0;
  std::uint64_t identity_mismatch = 0;  // neighbour table names another MAC than the wire
  std::uint64_t wrong_host = 0;         // Host not ours (421) or missing/repeated (400)
  std::uint64_t unsigned_url = 0;       // GET / with a url whose sig is missing or wrong: url dropped
  std::uint64_t logouts = 0;            // sessions ended by POST /logout
  std::uint64_t blocked = 0;            // a blocked MAC asked for the page or to sign in (403)
  std::uint64_t api_requests = 0;       // GET /api (RFC 8908)
  std::uint64_t busy = 0;               // sign-in refused: the backend's worker pool was full (503)
  std::uint64_t locked_out = 0;         // sign-in refused by the abuse limits (429)
};

// What a logout form's token covers in place of a sign-in form's return
// URL: never a valid return URL (return_url() wants http(s)://), so a
// sign-in token does not log out and a logout token does not sign in.
inline constexpr std::string_view kLogoutPurpose = "captive:logout";

// Where the identity lookups run (two kernel round trips: the peer map, up
// to a 1 s receive timeout, and the neighbour table) and where their answer
// continues. The daemon gives them a thread of their own (the only user of
// the PortalPeers and NeighbourTable sockets) and asio::post to the event
// loop, so a slow kernel answer never stalls other connections. Empty:
// inline, on the caller's thread (unit tests).
struct Executors {
  using Job = std::function<void()>;
  std::function<void(Job)> lookup;  // runs jobs one at a time, in order
  std::function<void(Job)> home;    // the event loop (the handler's and server's thread)
};

class Handler {
 public:
  struct Deps {
    session::Registry& registry;
    nft::PeerResolver& peers;       // the MAC of this connection (the identity)
    neigh::Resolver& neighbours;    // cross-check only
    const auth::TokenIssuer& tokens;
    // The enabled backends (an auth::Gate in captived; one backend in tests).
    auth::Backend& backend;
    std::function<std::uint64_t()> now_seconds;  // for tokens
    Executors executors{};  // `peers` and `neighbours` are used on executors.lookup only
    // Whether a MAC is on the blocked list (home thread). Empty: nobody is.
    std::function<bool(const packet::MacAddr&)> blocked{};
    // Page loads and sign-ins noted for `captivectl doctor` (may be null).
    responder::ClientLog* client_log = nullptr;
    // The wall clock the registry's expires_at is on (seconds-remaining).
    std::function<session::Clock::time_point()> wall_now = [] { return session::Clock::now(); };
  };

  Handler(HandlerSettings settings, Deps deps)
      : settings_(std::move(settings)), deps_(deps), pages_(settings_.pages ? settings_.pages : builtin_pages()) {}

  // Answers through `reply`, on the home thread: at once, or once the
  // client is identified (GET /, POST /login: two kernel round trips on
  // executors.lookup), and for a sign-in once the kernel has taken the MAC
  // (on the registry's home thread). `request` must live until then (the
  // connection keeps it). Never blocks on the kernel when executors are given.
  using Reply = std::function<void(Response)>;
  void handle(const Request& request, const Client& client, Reply reply);
  const Stats& stats() const { return stats_; }
  // A reload of captived's config (home thread): the next sign-in gets the
  // new time, the next page the new name; sessions already made keep theirs.
  void set_session_timeout(std::chrono::seconds timeout) { settings_.session_timeout = timeout; }
  void set_site_name(std::string name) { settings_.site_name = std::move(name); }
  // New templates (a reload that compiled them all); null is ignored.
  void set_pages(std::shared_ptr<const Pages> pages);
  // The built-in pages (compiled once; they are tested to compile).
  static std::shared_ptr<const Pages> builtin_pages();

 private:
  struct Identity {
    enum class Outcome { known, unknown, mismatch } outcome = Outcome::unknown;
    packet::MacAddr mac;
  };
  // Looks the client up on executors.lookup; `then` runs on executors.home.
  void identify(const Client& client, std::function<void(Identity)> then);
  // The two round trips themselves (on the lookup thread: touches no state
  // of the handler but the sockets of `peers` and `neighbours`).
  static Identity look_up(nft::PeerResolver& peers, neigh::Resolver& neighbours, const Client& client);
  std::optional<Response> refuse_unidentified(const Request& request, const Identity& identity);
  // 403 "this device is blocked" for a MAC on the blocked list; nullopt otherwise.
  std::optional<Response> refuse_blocked(const Request& request, const packet::MacAddr& mac);
  bool host_is_ours(std::string_view host) const;
  // 400 without exactly one Host, 421 for a Host that is not ours; nullopt if fine.
  std::optional<Response> refuse_wrong_host(const Request& request);
  // `form`: a refused sign-in's form, whose user name or code is shown again.
  Response sign_in_page(const Request& request, const packet::MacAddr& mac, const std::string& url,
                        const std::string& notice, http::status status, const std::string& form = {});
  // The page's language: by the request's Accept-Language (RFC 9110 §12.5.4).
  std::size_t language(const Request& request) const;
  Common common() const { return Common{settings_.site_name}; }
  // GET of the templates directory's logo (Pages::logo).
  Response logo(const Request& request) const;
  Response answer(const Request& request, const Identity& id);
  // GET /api: the client's own session only (RFC 8908 §5), never another's.
  Response api(const Request& request, const Client& client, const Identity& id);
  // The `url` of a GET / if it is a return_url and its `sig` is the one our
  // links carry for `mac`; empty otherwise (counted as unsigned_url when a
  // url was given).
  std::string signed_link_url(std::string_view target, const packet::MacAddr& mac);
  void login(const Request& request, const Client& client, const Identity& id, Reply reply);
  // The backend's answer (home thread): the form again with its reason, or the session.
  void refuse_sign_in(const Request& request, const packet::MacAddr& mac, const std::string& url,
                      const auth::Decision& decision, Reply reply);
  void complete_sign_in(const Request& request, const Client& client, const packet::MacAddr& mac, std::string url,
                        auth::Decision decision, Reply reply);
  void logout(const Request& request, const Identity& id, Reply reply);
  // The "you are online" page: until when, where to go on, and the logout button.
  // `until` empty: "you can now use the Internet"; `url` empty: no link on.
  Response online_page(const Request& request, const packet::MacAddr& mac, const std::string& until,
                       const std::string& url, http::status status, const std::string& message = {});
  void note(const packet::MacAddr& mac, responder::ClientEvent event, const Request& request);

  HandlerSettings settings_;
  Deps deps_;
  Stats stats_;
  std::shared_ptr<const Pages> pages_;
};

// The `url` we were given, if it is safe to send the browser back to:
// http(s), no control characters, at most 2048 bytes.
std::optional<std::string> return_url(std::string_view candidate);

// The Host values under which the portal is reached: each LAN address
// ("192.0.2.1", "[2001:db8::1]") with and without ":port", and the
// authority of `portal_url` (when given) with and without its port. Lower
// case. Link-local addresses are not included (the 511 never links to them).
std::vector<std::string> accepted_hosts(std::span<const packet::IpAddr> lan_addresses, std::uint16_t port,
                                        std::string_view portal_url);

}  // namespace captive::portal
