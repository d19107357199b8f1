// The users file (--users FILE, auth::parse_users): captived reads it at
// start and on every reload, captivectl before each edit. An operator's
// hand edit, a file cut short, the wrong file.
//
// parse_users never throws. An error says where ("users:LINE: ..." or the
// size). A success holds distinct valid names and plausible hashes; each
// entry's line formats back and parses to the same entry; put_user of an
// entry already there changes nothing it parses to, and remove_user takes
// exactly that one out.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "captive/auth/users_file.hpp"
#include "fuzz_check.hpp"

using namespace captive;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = auth::parse_users(text, "users");
  if (!parsed) {
    FUZZ_CHECK(parsed.error().what.starts_with("users"));
    return 0;
  }
  std::set<std::string> names;
  for (const auto& u : *parsed) {
    FUZZ_CHECK(auth::valid_user_name(u.name));
    FUZZ_CHECK(auth::plausible_hash(u.hash));
    FUZZ_CHECK(names.insert(u.name).second);
    FUZZ_CHECK(!u.duration || u.duration->count() > 0);
    auto line = auth::parse_users(auth::format_user(u) + "\n", "users");
    FUZZ_CHECK(line && line->size() == 1);
    FUZZ_CHECK((*line)[0].name == u.name && (*line)[0].hash == u.hash && (*line)[0].options == u.options);
    FUZZ_CHECK((*line)[0].duration == u.duration && (*line)[0].limits == u.limits);
  }
  if (!parsed->empty()) {
    const auto& first = parsed->front();
    auto put = auth::parse_users(auth::put_user(text, first), "users");
    FUZZ_CHECK(put && put->size() == parsed->size());
    auto removed = auth::remove_user(text, first.name);
    FUZZ_CHECK(removed);
    auto after = auth::parse_users(*removed, "users");
    FUZZ_CHECK(after && after->size() + 1 == parsed->size());
    for (const auto& u : *after) FUZZ_CHECK(u.name != first.name);
  }
  return 0;
}
