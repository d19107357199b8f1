// The kinds of answer to an intercepted request (answer.hpp renders them,
// probe_table.hpp says which request gets which).
#pragma once

#include <cstdint>

namespace captive::http {

enum class AnswerKind : std::uint8_t {
  // 511 (RFC 6585 §6) with a link and a meta refresh to the sign-in page.
  network_authentication_required,
  // 302 Found with an absolute Location to the sign-in page: what the OS
  // connectivity probes of Android/ChromeOS need to offer "Sign in".
  probe_redirect,
};

const char* answer_kind_name(AnswerKind kind);

}  // namespace captive::http
