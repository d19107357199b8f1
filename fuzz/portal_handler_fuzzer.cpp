// The sign-in pages: portal::Handler::handle over requests as the server
// gets them, i.e. parsed by the server's http::RequestParser with its
// limits (8 KiB header, 16 KiB body), up to 4 requests in a row against one
// registry, from a client known on the wire (map @portal_peers, fake), known
// on the wire but contradicted by the neighbour table, or unknown. The Host
// is the portal's own unless bit 0x80 of the options leaves the input's
// own Host (or none) in place.
// The literal TOKEN in a body is replaced by a valid token for the client
// (which a fuzzer cannot guess), so the sign-in path itself is reached; the
// literal SIG in a target likewise by the link signature of its url for the
// client, so GET / with a signed link is reached too.
//
// handle() must not throw (an exception would end the daemon's io_context),
// every header value must be free of CR/LF, a 303 goes only to a URL
// return_url accepts, and only the wire MAC of the client that asked, never
// a contradicted one, is ever added to the set; a foreign or missing Host
// gets 421/400 and changes nothing. GET / keeps a url (in the form or the
// "continue" link) only when its sig verifies for the client's wire MAC.
#include <fuzzer/FuzzedDataProvider.h>

#include "captive/http/request_parser.hpp"
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "../tests/unit/fakes/fakes.hpp"
#include "../tests/unit/portal/fake_peers.hpp"
#include "captive/auth/backend.hpp"
#include "captive/auth/token.hpp"
#include "captive/http/link_signature.hpp"
#include "captive/http/text.hpp"
#include "captive/portal/handler.hpp"
#include "captive/session/registry.hpp"
#include "captive/util/log.hpp"
#include "fuzz_check.hpp"

using namespace captive;
namespace bhttp = captive::portal::web;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static bool quiet = [] { log::set_level(log::Level::error); return true; }();
  (void)quiet;
  FuzzedDataProvider fdp(data, size);
  const auto options = fdp.ConsumeIntegral<std::uint8_t>();
  std::uint64_t now = 1'700'000'000 + fdp.ConsumeIntegralInRange<std::uint64_t>(0, 10'000);

  testing::FakeSet set;
  set.fail_next = (options & 0x01) != 0;
  testing::FakeNeighbours neighbours;
  testing::FakePeers peers;
  const auto wire_mac = testing::mac("02:00:00:00:00:02");
  const auto wire_only_mac = testing::mac("02:00:00:00:00:03");
  const auto contradicted_mac = testing::mac("02:00:00:00:00:04");
  constexpr std::uint16_t kPort = 40000;
  peers.table[{testing::ip("192.0.2.2"), kPort}] = wire_mac;
  peers.table[{testing::ip("2001:db8:1::2"), kPort}] = wire_mac;
  peers.table[{testing::ip("192.0.2.3"), kPort}] = wire_only_mac;
  peers.table[{testing::ip("192.0.2.4"), kPort}] = contradicted_mac;
  neighbours.table[testing::ip("192.0.2.2")] = wire_mac;
  neighbours.table[testing::ip("2001:db8:1::2")] = wire_mac;
  neighbours.table[testing::ip("192.0.2.4")] = testing::mac("02:00:00:00:00:44");
  neighbours.table[testing::ip("192.0.2.99")] = testing::mac("02:00:00:00:00:99");  // no wire entry
  session::Registry registry(
      set, session::Clocks{[&] { return session::SessionClock::time_point(std::chrono::seconds(now)); },
                           [&] { return session::Clock::time_point(std::chrono::seconds(now)); }});
  auth::TokenIssuer::Key key{};
  key[0] = static_cast<std::uint8_t>(options);
  auth::TokenIssuer tokens(key);
  auth::ClickThrough backend;
  const packet::IpAddr lan[] = {testing::ip("192.0.2.1"), testing::ip("2001:db8:1::1")};
  captive::http::LinkKey link_key{};
  link_key[1] = static_cast<std::uint8_t>(options);
  portal::Handler handler(
      portal::HandlerSettings{std::chrono::seconds(3600), "Cafe <Test> & \"Co\"", portal::accepted_hosts(lan, 8511, ""),
                              link_key},
      portal::Handler::Deps{registry, peers, neighbours, tokens, backend, [&] { return now; }});
  if (options & 0x02)
    registry.sign_in(wire_mac, testing::ip("192.0.2.2"), std::chrono::seconds(60), "x", [](Result<void>) {});

  const char* clients[] = {"192.0.2.2", "2001:db8:1::2", "192.0.2.3", "192.0.2.99", "::ffff:192.0.2.2", "192.0.2.4"};
  const auto client_ip = testing::ip(clients[(options >> 2) % 6]);
  const portal::Client client{client_ip, kPort};
  const bool foreign_host = (options & 0x80) != 0;
  std::optional<packet::MacAddr> client_mac;  // who may be signed in from this client
  if (auto it = peers.table.find({client_ip.unmapped(), kPort}); it != peers.table.end() && it->second != contradicted_mac)
    client_mac = it->second;

  std::string wire = fdp.ConsumeRemainingBytesAsString();
  captive::http::RequestParser parser({8 * 1024, 16 * 1024});
  parser.feed(wire);
  for (int n = 0; n < 4 && parser.state() == captive::http::RequestParser::State::complete; ++n, parser.next()) {
    // As portal/server.cpp's to_request.
    auto& parsed = parser.request();
    portal::Request request;
    request.method_string(parsed.method);
    request.target(parsed.target);
    request.version(parsed.version);
    for (const auto& [name, value] : parsed.fields) request.insert(name, value);
    request.body() = std::move(parsed.body);
    if (!foreign_host) request.set(bhttp::field::host, "192.0.2.1:8511");
    if (client_mac) {
      auto& body = request.body();
      // A token for the URL the form carries, as the page would have issued it.
      const std::string url =
          portal::return_url(captive::http::form_value(body, "url").value_or("")).value_or("");
      for (auto at = body.find("TOKEN"); at != std::string::npos; at = body.find("TOKEN", at))
        body.replace(at, 5, tokens.issue(*client_mac, url, now));
    }
    const std::string target(request.target());
    const auto query_at = target.find('?');
    const std::string query = query_at == std::string::npos ? std::string() : target.substr(query_at + 1);
    if (client_mac) {
      if (auto at = target.find("SIG"); at != std::string::npos) {
        const auto sig = captive::http::sign_link(link_key, *client_mac,
                                                  captive::http::form_value(query, "url").value_or(""));
        request.target(target.substr(0, at) + std::string(sig.data(), sig.size()) + target.substr(at + 3));
      }
    }
    const std::string signed_target(request.target());
    const auto signed_query_at = signed_target.find('?');
    const std::string signed_query =
        signed_query_at == std::string::npos ? std::string() : signed_target.substr(signed_query_at + 1);
    const auto link_url = captive::http::form_value(signed_query, "url");
    const auto link_sig = captive::http::form_value(signed_query, "sig");
    const bool link_signed = client_mac && link_url && link_sig &&
                             captive::http::link_signature_valid(link_key, *client_mac, *link_url, *link_sig);
    const std::size_t before = set.elements.size();
    // Must not throw; without executors the answer comes before handle returns, once.
    int answers = 0;
    portal::Response response;
    handler.handle(request, client, [&](portal::Response r) {
      ++answers;
      response = std::move(r);
    });
    FUZZ_CHECK(answers == 1);

    for (const auto& [name, value] : response) {
      FUZZ_CHECK(name.find('\r') == std::string::npos && name.find('\n') == std::string::npos);
      FUZZ_CHECK(value.find('\r') == std::string_view::npos && value.find('\n') == std::string_view::npos);
    }
    const auto status = response.result_int();
    FUZZ_CHECK(status == 200 || status == 303 || status == 400 || status == 403 || status == 404 ||
               status == 405 || status == 421 || status == 503);
    if (status == 400 || status == 421) FUZZ_CHECK(set.elements.size() == before);
    if (!foreign_host) FUZZ_CHECK(status != 400 && status != 421);
    if (status == 303) {
      const auto location = response[bhttp::field::location];
      FUZZ_CHECK(portal::return_url(std::string_view(location.data(), location.size())).has_value());
    }
    if (request.method() == bhttp::verb::head) FUZZ_CHECK(response.body().empty());
    if (request.method() == bhttp::verb::get && signed_target.substr(0, signed_target.find('?')) == "/" &&
        !link_signed) {
      const std::string& page = response.body();
      const auto field = page.find("name=\"url\" value=\"");
      FUZZ_CHECK(field == std::string::npos || page[field + 18] == '"');
      FUZZ_CHECK(page.find("Continue to") == std::string::npos);
    }
    for (const auto& [mac, timeout] : set.elements) {
      FUZZ_CHECK(mac == wire_mac || mac == wire_only_mac);
      FUZZ_CHECK(timeout == std::chrono::seconds(60) || timeout == std::chrono::seconds(3600));
    }
    if (!client_mac)
      FUZZ_CHECK(status == 400 || status == 403 || status == 404 || status == 405 || status == 421 ||
                 (options & 0x02));
    now += fdp.ConsumeIntegralInRange<std::uint64_t>(0, 3600);
  }
  return 0;
}
