// Abuse limits on credentials (passwords, vouchers): per MAC, each wrong
// credential holds the next answer back longer (exponential), and after
// `lockout_after` failures the MAC is locked out for `lockout`; across all
// MACs a token bucket caps the failures per second, so a guesser that
// changes its MAC for every try (per-connection MAC randomisation makes
// that easy) still gets at most `global_per_second` guesses a second in the
// long run, `global_burst` at once (docs/auth.md has the arithmetic). Pure: the clock is given, no timers
// (the Gate holds answers back with the event loop's timer). Memory is
// bounded by `max_tracked` MACs (the oldest entry is forgotten first).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>

#include "captive/packet/address.hpp"

namespace captive::auth {

struct LimiterSettings {
  // The answer to the n-th failure in a row waits first_delay * 2^(n-1),
  // at most max_delay; meanwhile the MAC's next attempt is refused unjudged
  // (parallel requests do not get around the delay).
  std::chrono::milliseconds first_delay{500};
  std::chrono::milliseconds max_delay{8000};
  unsigned lockout_after = 5;               // failures in a row, then...
  std::chrono::seconds lockout{300};        // ...locked out this long
  std::chrono::seconds forget_after{900};   // no failure for this long: the count starts again
  unsigned global_per_second = 20;          // failures per second, all MACs together, in the long run
  // The bucket's depth: failures that may come at once. A crowd at the door
  // mistypes codes (bench crowd: 1 in 20 of 1 000 within a second, 50
  // failures); with a bucket of only 20 that emptied it and the cap then
  // refused 27 % of the others' right codes (429). 600 (30 s of the rate)
  // absorbs that; a guesser gets 600 more guesses once, nothing per second.
  unsigned global_burst = 600;
  std::size_t max_tracked = 4096;           // MACs remembered at most
};

struct LimiterStats {
  std::uint64_t failures = 0;        // wrong credentials counted
  std::uint64_t lockouts = 0;        // MACs locked out
  std::uint64_t refused_locked = 0;  // attempts refused unjudged: MAC locked out or still in its delay
  std::uint64_t refused_global = 0;  // attempts refused unjudged: the global cap
};

class Limiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Limiter(LimiterSettings settings = {}, std::function<Clock::time_point()> now = [] { return Clock::now(); })
      : settings_(settings), now_(std::move(now)) {}

  struct Check {
    enum class Outcome { open, locked, wait, global } outcome = Outcome::open;
    std::chrono::seconds retry_after{0};  // when not open (at least 1 s)
    bool open() const { return outcome == Outcome::open; }
  };
  // Before judging a credential of `mac`.
  Check check(const packet::MacAddr& mac);

  struct Penalty {
    std::chrono::milliseconds delay{0};  // hold the answer back this long
    bool locked_out = false;             // this failure started a lockout (log it)
    unsigned failures = 0;               // in a row, this one included
  };
  // After a wrong credential of `mac`.
  Penalty failed(const packet::MacAddr& mac);
  // After a sign-in of `mac`: its failures are forgotten.
  void succeeded(const packet::MacAddr& mac);

  const LimiterStats& stats() const { return stats_; }
  const LimiterSettings& settings() const { return settings_; }
  std::size_t tracked() const { return macs_.size(); }

 private:
  struct Entry {
    unsigned failures = 0;
    Clock::time_point last_failure{};
    Clock::time_point not_before{};  // delay or lockout end
    bool locked = false;
  };
  void refill(Clock::time_point now);
  void evict_one();

  LimiterSettings settings_;
  std::function<Clock::time_point()> now_;
  std::map<packet::MacAddr, Entry> macs_;
  double tokens_ = -1;  // global bucket; < 0: not started
  Clock::time_point refilled_at_{};
  LimiterStats stats_;
};

}  // namespace captive::auth
