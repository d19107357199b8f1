// The sign-in pages, as a function of (request, client address): no sockets,
// so every page and every refusal is unit-tested against fakes.
//
//   GET  /          the terms and the "accept" form (or "you are signed in")
//   POST /login     judge the form; on success add the MAC to @allowed and
//                   send the browser on (303) to the URL it first asked for
//
// The client is whoever the kernel says owns the source address (neighbour
// table, else the MAC seen on the queue), never anything in the form.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "captive/auth/backend.hpp"
#include "captive/auth/token.hpp"
#include "captive/neigh/neighbours.hpp"
#include "captive/packet/address.hpp"
#include "captive/session/registry.hpp"
#include "captive/session/seen_addresses.hpp"

namespace captive::portal {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

struct HandlerSettings {
  std::chrono::seconds session_timeout{24 * 3600};
  std::string site_name = "Guest Wi-Fi";
};

// The sign-in outcomes, each counted.
struct Stats {
  std::uint64_t pages = 0;
  std::uint64_t sign_ins = 0;
  std::uint64_t unknown_client = 0;
  std::uint64_t bad_token = 0;
  std::uint64_t refused = 0;
  std::uint64_t set_errors = 0;
};

class Handler {
 public:
  struct Deps {
    session::Registry& registry;
    neigh::Resolver& neighbours;
    const session::SeenAddresses& seen;
    const auth::TokenIssuer& tokens;
    auth::Backend& backend;
    std::function<std::uint64_t()> now_seconds;  // for tokens and the seen table
  };

  Handler(HandlerSettings settings, Deps deps) : settings_(std::move(settings)), deps_(deps) {}

  // Answers through `reply`: at once, or for a sign-in when the kernel has
  // taken the MAC (on the registry's home thread). `request` must live until
  // then (the connection keeps it).
  using Reply = std::function<void(Response)>;
  void handle(const Request& request, const packet::IpAddr& client, Reply reply);
  const Stats& stats() const { return stats_; }

 private:
  std::optional<packet::MacAddr> identify(const packet::IpAddr& client);
  Response sign_in_page(const Request& request, const packet::MacAddr& mac, const std::string& url,
                        const std::string& notice, http::status status);
  Response answer(const Request& request, const packet::IpAddr& client);
  void login(const Request& request, const packet::IpAddr& client, Reply reply);

  HandlerSettings settings_;
  Deps deps_;
  Stats stats_;
};

// The `url` we were given, if it is safe to send the browser back to:
// http(s), no control characters, at most 2048 bytes.
std::optional<std::string> return_url(std::string_view candidate);

}  // namespace captive::portal
