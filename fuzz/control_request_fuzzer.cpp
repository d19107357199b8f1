// The control socket: each input line (split on '\n', as the server reads
// them) goes to control::handle_request with a Registry over a fake set
// that already holds a few clients, a few counters for "stats", and the
// MAC lists for trust/block/unblock/untrust/lists.
//
// handle_request must not throw, and every reply is one line of JSON: an
// object with a boolean "ok", and a string "error" when ok is false.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "../tests/unit/fakes/fakes.hpp"
#include "captive/control/protocol.hpp"
#include "captive/session/lists.hpp"
#include "captive/session/registry.hpp"
#include "fuzz_check.hpp"

using namespace captive;
namespace json = boost::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  testing::FakeSet set;
  session::Registry registry(set);
  const auto ignore = [](Result<void>) {};
  registry.sign_in(testing::mac("02:00:00:00:00:01"), testing::ip("192.0.2.2"), std::chrono::seconds(60),
                   "click-through", ignore);
  registry.sign_in(testing::mac("02:00:00:00:00:02"), testing::ip("2001:db8:1::2"), std::chrono::seconds(3600),
                   "click-through", ignore);
  registry.sign_in(testing::mac("02:00:00:00:00:03"), std::nullopt, std::chrono::seconds(1), "", ignore);

  // The lists (trust/block/unblock/untrust/lists): a config entry in each,
  // and a commit that fails when the fuzzer's one-byte line asked for it.
  auto lists = session::MacLists::from_config({testing::mac("02:00:00:00:00:0a")}, {testing::mac("02:00:00:00:00:0b")});
  FUZZ_CHECK(lists.has_value());
  bool fail_commit = false;
  control::ListsContext lists_context{*lists,
                                      [&fail_commit](std::function<void(Result<void>)> done) {
                                        if (std::exchange(fail_commit, false)) return done(make_error(0, "nft failed"));
                                        done({});
                                      },
                                      {"203.0.113.0/28"},
                                      {"garden.example"}};
  control::Context context{registry,
                           [] {
                             return control::Counters{{"responder.syn_ack", 12}, {"nfq.enobufs", 0}};
                           },
                           &lists_context};

  std::string_view input(reinterpret_cast<const char*>(data), size);
  int lines = 0;
  while (!input.empty() && lines++ < 16) {
    const auto eol = input.find('\n');
    // A heap copy of exactly the line: ASan sees any read past its end.
    const std::string line(input.substr(0, eol));
    input = eol == std::string_view::npos ? std::string_view() : input.substr(eol + 1);
    if (line.size() == 1) set.fail_next = fail_commit = true;  // the kernel refuses the next change

    // Without executors the registry answers before handle_request returns:
    // every request gets exactly one answer.
    int answers = 0;
    std::string reply;
    control::handle_request(line, context, [&](std::string r) {
      ++answers;
      reply = std::move(r);
    });
    FUZZ_CHECK(answers == 1);
    FUZZ_CHECK(reply.find('\n') == std::string::npos);
    json::error_code ec;
    const json::value v = json::parse(reply, ec);
    FUZZ_CHECK(!ec && v.is_object());
    const auto& o = v.get_object();
    FUZZ_CHECK(o.contains("ok") && o.at("ok").is_bool());
    if (!o.at("ok").as_bool()) FUZZ_CHECK(o.contains("error") && o.at("error").is_string());
    // Errors quote at most 64 bytes of what they were given.
    FUZZ_CHECK(reply.size() < 1024 || o.at("ok").as_bool());
  }
  return 0;
}
