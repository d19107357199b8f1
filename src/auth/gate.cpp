#include "captive/auth/gate.hpp"

#include "captive/http/text.hpp"
#include "captive/util/log.hpp"

namespace captive::auth {
namespace {

std::string minutes_text(std::chrono::seconds s) {
  const auto minutes = (s.count() + 59) / 60;
  return minutes <= 1 ? "a minute" : std::to_string(minutes) + " minutes";
}

}  // namespace

Gate::Gate(std::vector<std::unique_ptr<Backend>> backends, Limiter& limiter, GateExecutors executors)
    : backends_(std::move(backends)), limiter_(limiter), executors_(std::move(executors)) {}

std::vector<Form> Gate::forms() const {
  std::vector<Form> all;
  for (const auto& b : backends_)
    for (auto& f : b->forms()) all.push_back(std::move(f));
  return all;
}

Backend* Gate::find(std::string_view name) const {
  for (const auto& b : backends_)
    if (b->name() == name) return b.get();
  return nullptr;
}

void Gate::judge(const Attempt& attempt, Verdict done) {
  if (backends_.empty()) {
    Decision d = Decision::refuse(Decision::Outcome::refused, "Signing in is not possible on this network.");
    d.reason_key = "reason.no_backend";
    return done(std::move(d));
  }
  Backend* backend = backends_.front().get();
  if (auto method = http::form_value(attempt.form, "method")) {
    backend = find(*method);
    if (!backend) {
      ++unknown_method_;
      Decision d = Decision::refuse(Decision::Outcome::refused, "This way of signing in is not offered here.");
      d.reason_key = "reason.unknown_method";
      return done(std::move(d));
    }
  }
  // Click-through has nothing to guess: neither a lockout nor the global
  // cap stops it (a flood of guesses must not shut the door on everybody).
  if (!backend->takes_credentials()) return backend->judge(attempt, std::move(done));
  auto check = limiter_.check(attempt.mac);
  if (!check.open()) {
    Decision d = Decision::refuse(Decision::Outcome::locked_out, {});
    d.retry_after = check.retry_after;
    switch (check.outcome) {
      case Limiter::Check::Outcome::locked:
        d.reason = "Too many failed attempts from this device. Please try again in " +
                   minutes_text(check.retry_after) + ".";
        d.reason_key = "signin.locked";
        break;
      case Limiter::Check::Outcome::wait:
        d.reason = "Please wait a moment before trying again.";
        d.reason_key = "reason.wait";
        break;
      default:
        d.reason = "Too many sign-in attempts on this network right now. Please try again in a moment.";
        d.reason_key = "reason.global_cap";
        break;
    }
    return done(std::move(d));
  }
  const packet::MacAddr mac = attempt.mac;
  backend->judge(attempt, [this, mac, done = std::move(done)](Decision decision) mutable {
    if (decision.accepted()) {
      limiter_.succeeded(mac);
      return done(std::move(decision));
    }
    if (decision.outcome != Decision::Outcome::wrong_credentials) return done(std::move(decision));
    const Limiter::Penalty penalty = limiter_.failed(mac);
    if (penalty.locked_out) {
      const auto lockout = limiter_.settings().lockout;
      LOG_WARN("auth: %s locked out for %lld s after %u failed sign-ins", mac.to_string().c_str(),
               static_cast<long long>(lockout.count()), penalty.failures);
      decision.outcome = Decision::Outcome::locked_out;
      decision.retry_after = lockout;
      decision.reason_key = "signin.locked";
      decision.reason += (decision.reason.empty() ? "" : " ") +
                         std::string("Too many failed attempts from this device. Please try again in ") +
                         minutes_text(lockout) + ".";
      return done(std::move(decision));
    }
    if (penalty.delay.count() == 0 || !executors_.after) return done(std::move(decision));
    ++delayed_;
    executors_.after(penalty.delay, [decision = std::move(decision), done = std::move(done)]() mutable {
      done(std::move(decision));
    });
  });
}

Result<void> Gate::reload() {
  Result<void> first;
  for (const auto& b : backends_)
    if (auto r = b->reload(); !r && first) first = r.error();
  return first;
}

void Gate::counters(Counters& out) const {
  const auto& s = limiter_.stats();
  out.emplace_back("auth.failures", s.failures);
  out.emplace_back("auth.lockouts", s.lockouts);
  out.emplace_back("auth.refused_locked", s.refused_locked);
  out.emplace_back("auth.refused_global", s.refused_global);
  out.emplace_back("auth.delayed_answers", delayed_);
  out.emplace_back("auth.unknown_method", unknown_method_);
  for (const auto& b : backends_) b->counters(out);
}

}  // namespace captive::auth
