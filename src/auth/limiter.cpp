#include "captive/auth/limiter.hpp"

#include <algorithm>

namespace captive::auth {
namespace {

std::chrono::seconds ceil_seconds(std::chrono::steady_clock::duration d) {
  auto s = std::chrono::ceil<std::chrono::seconds>(d);
  return std::max(s, std::chrono::seconds(1));
}

}  // namespace

void Limiter::refill(Clock::time_point now) {
  const double rate = settings_.global_per_second;
  const double depth = std::max(settings_.global_burst, settings_.global_per_second);
  if (tokens_ < 0) {
    tokens_ = depth;
    refilled_at_ = now;
    return;
  }
  const double elapsed = std::chrono::duration<double>(now - refilled_at_).count();
  if (elapsed > 0) {
    tokens_ = std::min(depth, tokens_ + elapsed * rate);
    refilled_at_ = now;
  }
}

Limiter::Check Limiter::check(const packet::MacAddr& mac) {
  const auto now = now_();
  if (auto it = macs_.find(mac); it != macs_.end()) {
    Entry& e = it->second;
    if (now - e.last_failure >= settings_.forget_after && now >= e.not_before) {
      macs_.erase(it);
    } else if (now < e.not_before) {
      ++stats_.refused_locked;
      return Check{e.locked ? Check::Outcome::locked : Check::Outcome::wait, ceil_seconds(e.not_before - now)};
    } else if (e.locked) {
      // The lockout is over: a fresh start, not one more try before the next.
      macs_.erase(it);
    }
  }
  refill(now);
  if (tokens_ < 1) {
    ++stats_.refused_global;
    return Check{Check::Outcome::global, std::chrono::seconds(1)};
  }
  return Check{};
}

void Limiter::evict_one() {
  // The entry whose last failure is oldest: a MAC still locked out goes only
  // when all are (then the global cap still holds).
  auto victim = macs_.begin();
  for (auto it = macs_.begin(); it != macs_.end(); ++it) {
    const bool it_locked = it->second.locked, v_locked = victim->second.locked;
    if ((v_locked && !it_locked) || (v_locked == it_locked && it->second.last_failure < victim->second.last_failure))
      victim = it;
  }
  macs_.erase(victim);
}

Limiter::Penalty Limiter::failed(const packet::MacAddr& mac) {
  const auto now = now_();
  ++stats_.failures;
  refill(now);
  tokens_ = std::max(0.0, tokens_ - 1);
  auto it = macs_.find(mac);
  if (it == macs_.end()) {
    if (macs_.size() >= settings_.max_tracked && !macs_.empty()) evict_one();
    it = macs_.emplace(mac, Entry{}).first;
  }
  Entry& e = it->second;
  if (e.failures > 0 && now - e.last_failure >= settings_.forget_after) e.failures = 0;
  ++e.failures;
  e.last_failure = now;
  Penalty penalty;
  penalty.failures = e.failures;
  if (settings_.lockout_after > 0 && e.failures >= settings_.lockout_after) {
    e.locked = true;
    e.not_before = now + settings_.lockout;
    ++stats_.lockouts;
    penalty.locked_out = true;
    return penalty;
  }
  auto delay = settings_.first_delay;
  for (unsigned i = 1; i < e.failures && delay < settings_.max_delay; ++i) delay *= 2;
  penalty.delay = std::min(delay, settings_.max_delay);
  e.not_before = now + penalty.delay;
  return penalty;
}

void Limiter::succeeded(const packet::MacAddr& mac) { macs_.erase(mac); }

}  // namespace captive::auth
