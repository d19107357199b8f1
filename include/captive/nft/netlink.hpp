// The nft adapter: one NETLINK_NETFILTER socket (libmnl) that sends the
// messages of the pure builders (set_elements.hpp, rules.hpp, objects.hpp)
// as one batch per change and waits for the kernel's ack. The kernel side of
// sessions: sets `allowed*` in table `inet captive`, and the queue rule in
// chain `intercept`.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "captive/nft/names.hpp"
#include "captive/nft/rules.hpp"
#include "captive/nft/set_elements.hpp"
#include "captive/util/result.hpp"

namespace captive::nft {

class Netlink final : public SetWriter {
 public:
  static Result<Netlink> open(Names names = {});
  Netlink(Netlink&&) noexcept;
  Netlink& operator=(Netlink&&) noexcept;
  ~Netlink() override;

  // ENOENT when table, set or chain is missing (the ruleset is not installed).
  Result<void> check_ruleset();

  // Replaces whatever chain `intercept` holds with our queue rule, in one
  // batch (a stale rule of a crashed daemon goes with it). Tries the native
  // `queue` expression first, then the xt NFQUEUE target (revision 3) through
  // nft_compat, and says which one the kernel took.
  Result<QueueKind> install_queue_rule(const QueueRule& rule);
  // Flushes chain `intercept`.
  Result<void> remove_queue_rule();
  // Whether chain `intercept` holds a rule (ours: nobody else puts one
  // there). Recreating the table or flushing the chain removes it, so it
  // tells whether anything happened that needs restoring.
  Result<bool> queue_rule_present();

  Result<void> add(const Key& key, std::chrono::seconds timeout) override;
  Result<void> add(const ElementSpec& spec) override;
  Result<void> add_many(std::span<const ElementSpec> elements) override;
  Result<void> remove(const Key& key) override;
  Result<std::vector<Element>> list() override;

  // The netlink port id of our socket: events caused by our own changes
  // carry it (TableWatch ignores them).
  std::uint32_t portid() const;

 private:
  struct Impl;
  explicit Netlink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace captive::nft
