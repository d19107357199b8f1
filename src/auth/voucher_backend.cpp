#include "captive/auth/voucher_backend.hpp"

#include "captive/http/text.hpp"
#include "captive/util/log.hpp"

namespace captive::auth {

std::vector<Form> VoucherBackend::forms() const {
  // autocapitalize/spellcheck off: phones must not "correct" a code;
  // case and dashes do not matter anyway (normalize_code).
  return {Form{"voucher",
               "<p><label for=\"voucher-code\">Voucher code</label><br>"
               "<input id=\"voucher-code\" name=\"code\" type=\"text\" inputmode=\"text\" autocomplete=\"off\" "
               "autocapitalize=\"characters\" autocorrect=\"off\" spellcheck=\"false\" maxlength=\"32\" "
               "placeholder=\"ACDE-FG34-HJ\" required></p>",
               "Sign in with voucher"}};
}

void VoucherBackend::judge(const Attempt& attempt, Verdict done) {
  if (!deps_.store) {
    ++unavailable_;
    Decision d = Decision::refuse(Decision::Outcome::refused, "Vouchers cannot be used right now. Please ask the staff.");
    d.reason_key = "reason.voucher_unavailable";
    return done(std::move(d));
  }
  const std::string input = http::form_value(attempt.form, "code").value_or("");
  auto outcome = deps_.store->redeem(input, attempt.mac, deps_.now());
  if (!outcome.redeemed) {
    using O = Decision::Outcome;
    O kind = O::refused;
    switch (outcome.refusal) {
      case Refusal::malformed:
      case Refusal::unknown: ++wrong_; kind = O::wrong_credentials; break;
      case Refusal::expired: ++expired_; break;
      case Refusal::used_up: ++used_up_; break;
      case Refusal::revoked: ++revoked_; break;
    }
    Decision d = Decision::refuse(kind, refusal_message(outcome.refusal, outcome.devices));
    d.reason_key = refusal_key(outcome.refusal);
    return done(std::move(d));
  }
  ++accepted_;
  Redeemed& r = *outcome.redeemed;
  if (r.changed && deps_.changed) deps_.changed();
  Decision d = Decision::accept("voucher", group_code(r.code));
  d.duration = r.remaining;
  d.limits = r.limits;
  done(std::move(d));
}

void VoucherBackend::counters(Counters& out) const {
  out.emplace_back("auth.voucher.accepted", accepted_);
  out.emplace_back("auth.voucher.wrong_code", wrong_);
  out.emplace_back("auth.voucher.expired", expired_);
  out.emplace_back("auth.voucher.used_up", used_up_);
  out.emplace_back("auth.voucher.revoked", revoked_);
  out.emplace_back("auth.voucher.unavailable", unavailable_);
}

}  // namespace captive::auth
