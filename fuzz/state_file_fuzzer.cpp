// The sessions' state file (<state-dir>/sessions.json): the input is the
// file's text, to session::parse_state, which captived runs at start on
// whatever is on the disk (a file cut short by a full disk, another
// version's, an operator's edit).
//
// parse_state never throws. An error is EINVAL or EFBIG with a non-empty
// reason. A success holds distinct MACs, counts of the current element
// within the session's totals, and formats back to a text that parses to
// the same sessions (what captived writes, it reads back).
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>

#include "captive/session/state_file.hpp"
#include "fuzz_check.hpp"

using namespace captive;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A heap copy of exactly the input: ASan sees any read past its end.
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = session::parse_state(text);
  if (!parsed) {
    FUZZ_CHECK(parsed.error().code == EINVAL || parsed.error().code == EFBIG);
    FUZZ_CHECK(!parsed.error().what.empty());
    return 0;
  }
  std::set<packet::MacAddr> macs;
  for (const auto& s : *parsed) {
    FUZZ_CHECK(macs.insert(s.mac).second);
    FUZZ_CHECK(s.element.bytes_up <= s.traffic.bytes_up && s.element.packets_up <= s.traffic.packets_up);
    FUZZ_CHECK(s.element.bytes_down <= s.traffic.bytes_down && s.element.packets_down <= s.traffic.packets_down);
    FUZZ_CHECK(!s.limits.idle_timeout || s.limits.idle_timeout->count() > 0);
  }
  auto again = session::parse_state(session::format_state(*parsed));
  FUZZ_CHECK(again);
  FUZZ_CHECK(*again == *parsed);
  return 0;
}
