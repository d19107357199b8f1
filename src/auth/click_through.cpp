#include "captive/auth/backend.hpp"
#include "captive/http/text.hpp"

namespace captive::auth {

std::vector<Form> ClickThrough::forms() const {
  return {Form{"click",
               "<p><label><input type=\"checkbox\" name=\"accept_terms\" value=\"yes\" required> "
               "I accept the terms of use</label></p>",
               "Connect"}};
}

void ClickThrough::judge(const Attempt& attempt, Verdict done) {
  auto accepted = http::form_value(attempt.form, "accept_terms");
  if (accepted && *accepted == "yes") return done(Decision::accept("click-through"));
  Decision d = Decision::refuse(Decision::Outcome::refused, "Please accept the terms of use to continue.");
  d.reason_key = "reason.accept_terms";
  done(std::move(d));
}

}  // namespace captive::auth
