// The backends captived enabled (--auth, in order), behind one door: the
// sign-in page shows each one's form, a POST goes to the backend its
// `method` field names (no `method`: the first backend, as forms from
// before this field), and credential failures pass through the abuse
// limits (auth::Limiter): refused unjudged while locked out, the answer to
// a wrong credential held back by an event-loop timer (never a sleep).
// A backend only says Outcome::wrong_credentials; the Gate does the rest,
// for every backend alike.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "captive/auth/backend.hpp"
#include "captive/auth/limiter.hpp"

namespace captive::auth {

struct GateExecutors {
  using Job = std::function<void()>;
  // Runs `job` on the home thread after `delay` (an asio::steady_timer).
  // Empty: at once, inline (unit tests).
  std::function<void(std::chrono::milliseconds delay, Job job)> after;
};

class Gate final : public Backend {
 public:
  Gate(std::vector<std::unique_ptr<Backend>> backends, Limiter& limiter, GateExecutors executors = {});

  std::string_view name() const override { return "gate"; }
  std::vector<Form> forms() const override;
  void judge(const Attempt& attempt, Verdict done) override;
  // Every backend's reload; the first error is returned (the others still reload).
  Result<void> reload() override;
  void counters(Counters& out) const override;

  // The enabled backend named `name`, or null.
  Backend* find(std::string_view name) const;
  const std::vector<std::unique_ptr<Backend>>& backends() const { return backends_; }

 private:
  std::vector<std::unique_ptr<Backend>> backends_;
  Limiter& limiter_;
  GateExecutors executors_;
  std::uint64_t unknown_method_ = 0;
  std::uint64_t delayed_ = 0;
};

}  // namespace captive::auth
