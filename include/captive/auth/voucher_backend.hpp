// `--auth voucher`: the sign-in page asks for a voucher code
// (auth/vouchers.hpp; docs/auth-vouchers.md). Judging is a lookup in the
// store on the home thread: no worker, answered inline.
#pragma once

#include <functional>
#include <string>

#include "captive/auth/backend.hpp"
#include "captive/auth/vouchers.hpp"

namespace captive::auth {

class VoucherBackend final : public Backend {
 public:
  struct Deps {
    // Null when the file could not be loaded: every code is refused with
    // `problem` logged, and the page says vouchers are unavailable.
    VoucherStore* store = nullptr;
    std::string problem;
    std::function<VoucherClock::time_point()> now = [] { return VoucherClock::now(); };
    // A first use or a new MAC: the store must be written (off the loop).
    std::function<void()> changed;
  };
  explicit VoucherBackend(Deps deps) : deps_(std::move(deps)) {}

  std::string_view name() const override { return "voucher"; }
  std::vector<Form> forms() const override;
  // Field `code`. Unknown and malformed codes are wrong credentials (they
  // count against the MAC); revoked, expired and used-up vouchers are
  // refusals with their own sentence (somebody holds a real voucher).
  void judge(const Attempt& attempt, Verdict done) override;
  void counters(Counters& out) const override;

 private:
  Deps deps_;
  std::uint64_t accepted_ = 0, wrong_ = 0, expired_ = 0, used_up_ = 0, revoked_ = 0, unavailable_ = 0;
};

}  // namespace captive::auth
