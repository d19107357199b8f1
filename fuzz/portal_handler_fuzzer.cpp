// The sign-in pages: portal::Handler::handle over requests as the server
// gets them, i.e. parsed by Boost.Beast's request_parser with the server's
// limits (8 KiB header, 16 KiB body), up to 4 requests in a row against one
// registry, from a known (neighbour table or queue) or unknown client.
// The literal TOKEN in a body is replaced by a valid token for the client
// (which a fuzzer cannot guess), so the sign-in path itself is reached.
//
// handle() must not throw (an exception would end the daemon's io_context),
// every header value must be free of CR/LF, a 303 goes only to a URL
// return_url accepts, and only the MAC of the client that asked is ever
// added to the set.
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "../tests/unit/fakes/fakes.hpp"
#include "captive/auth/backend.hpp"
#include "captive/auth/token.hpp"
#include "captive/portal/handler.hpp"
#include "captive/session/registry.hpp"
#include "captive/session/seen_addresses.hpp"
#include "captive/util/log.hpp"
#include "fuzz_check.hpp"

using namespace captive;
namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static bool quiet = [] { log::set_level(log::Level::error); return true; }();
  (void)quiet;
  FuzzedDataProvider fdp(data, size);
  const auto options = fdp.ConsumeIntegral<std::uint8_t>();
  std::uint64_t now = 1'700'000'000 + fdp.ConsumeIntegralInRange<std::uint64_t>(0, 10'000);

  testing::FakeSet set;
  set.fail_next = (options & 0x01) != 0;
  testing::FakeNeighbours neighbours;
  const auto neighbour_mac = testing::mac("02:00:00:00:00:02");
  const auto seen_mac = testing::mac("02:00:00:00:00:03");
  neighbours.table[testing::ip("192.0.2.2")] = neighbour_mac;
  neighbours.table[testing::ip("2001:db8:1::2")] = neighbour_mac;
  auto seen_table = std::make_unique<session::SeenAddresses>();  // 4096 slots: not on the stack
  auto& seen = *seen_table;
  seen.record(testing::ip("192.0.2.3"), seen_mac, now);
  session::Registry registry(
      set, session::Clocks{[&] { return session::SessionClock::time_point(std::chrono::seconds(now)); },
                           [&] { return session::Clock::time_point(std::chrono::seconds(now)); }});
  auth::TokenIssuer::Key key{};
  key[0] = static_cast<std::uint8_t>(options);
  auth::TokenIssuer tokens(key);
  auth::ClickThrough backend;
  portal::Handler handler(portal::HandlerSettings{std::chrono::seconds(3600), "Cafe <Test> & \"Co\""},
                          portal::Handler::Deps{registry, neighbours, seen, tokens, backend, [&] { return now; }});
  if (options & 0x02)
    registry.sign_in(neighbour_mac, testing::ip("192.0.2.2"), std::chrono::seconds(60), "x", [](Result<void>) {});

  const char* clients[] = {"192.0.2.2", "2001:db8:1::2", "192.0.2.3", "192.0.2.99", "::ffff:192.0.2.2"};
  const auto client = testing::ip(clients[(options >> 2) % 5]);
  std::optional<packet::MacAddr> client_mac;
  if (auto it = neighbours.table.find(client); it != neighbours.table.end()) client_mac = it->second;
  else if (auto m = seen.find(client, now)) client_mac = *m;

  std::string wire = fdp.ConsumeRemainingBytesAsString();
  std::string_view rest(wire);
  for (int n = 0; n < 4 && !rest.empty(); ++n) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(16 * 1024);
    parser.header_limit(8 * 1024);
    parser.eager(true);
    boost::system::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    if (ec == http::error::need_more) parser.put_eof(ec);
    if (ec || !parser.is_done()) break;
    rest.remove_prefix(used);

    portal::Request request = parser.release();
    if (client_mac) {
      auto& body = request.body();
      for (auto at = body.find("TOKEN"); at != std::string::npos; at = body.find("TOKEN", at))
        body.replace(at, 5, tokens.issue(*client_mac, now));
    }
    // Must not throw; without executors the answer comes before handle returns, once.
    int answers = 0;
    portal::Response response;
    handler.handle(request, client, [&](portal::Response r) {
      ++answers;
      response = std::move(r);
    });
    FUZZ_CHECK(answers == 1);

    for (const auto& field : response) {
      const std::string_view value(field.value().data(), field.value().size());
      FUZZ_CHECK(value.find('\r') == std::string_view::npos && value.find('\n') == std::string_view::npos);
    }
    const auto status = response.result_int();
    FUZZ_CHECK(status == 200 || status == 303 || status == 403 || status == 404 || status == 405 ||
               status == 503);
    if (status == 303) {
      const auto location = response[http::field::location];
      FUZZ_CHECK(portal::return_url(std::string_view(location.data(), location.size())).has_value());
    }
    if (request.method() == http::verb::head) FUZZ_CHECK(response.body().empty());
    for (const auto& [mac, timeout] : set.elements) {
      FUZZ_CHECK(mac == neighbour_mac || mac == seen_mac);
      FUZZ_CHECK(timeout == std::chrono::seconds(60) || timeout == std::chrono::seconds(3600));
    }
    if (!client_mac) FUZZ_CHECK(status == 403 || status == 404 || status == 405 || (options & 0x02));
    now += fdp.ConsumeIntegralInRange<std::uint64_t>(0, 3600);
  }
  return 0;
}
