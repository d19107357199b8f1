// The admin protocol: one JSON object per line each way, over a Unix socket.
//   {"cmd":"list"}                      -> {"ok":true,"clients":[{...}, ...]}
//   {"cmd":"revoke","mac":"aa:bb:.."}   -> {"ok":true}
// Failures: {"ok":false,"error":"what went wrong"}. Pure: no sockets here.
#pragma once

#include <string>
#include <string_view>

#include "captive/session/registry.hpp"

namespace captive::control {

inline constexpr std::size_t kMaxLineBytes = 64 * 1024;

// Answers one request line (without its '\n'); the reply has no '\n' either.
// Never throws: malformed input gets {"ok":false,...}.
std::string handle_request(std::string_view line, session::Registry& registry);

// Client side, for captivectl: builds request lines.
std::string make_list_request();
std::string make_revoke_request(std::string_view mac);

}  // namespace captive::control
