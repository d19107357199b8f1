#include "captive/auth/backend.hpp"
#include "captive/http/text.hpp"

namespace captive::auth {

Decision ClickThrough::judge(const Attempt& attempt) {
  auto accepted = http::form_value(attempt.form, "accept_terms");
  if (accepted && *accepted == "yes") return {true, {}};
  return {false, "Please accept the terms of use to continue."};
}

}  // namespace captive::auth
