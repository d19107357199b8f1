// captived's wiring: opens the kernel adapters, builds the services, runs
// one event loop (packets, sign-in pages, control socket, signals) until
// SIGINT/SIGTERM, then takes its queue rule out again.
#pragma once

#include <memory>
#include <vector>

#include "captive/daemon/config.hpp"
#include "captive/util/result.hpp"

namespace captive::daemon {

// `captived --load-ruleset` (a unit's ExecStartPre): loads table inet
// captive from --ruleset with the configuration's resolvers and lists,
// unless it is there already (a restart must not empty @allowed: the
// daemon then finds its sessions in it). Returns whether it loaded.
Result<bool> ensure_ruleset(const Config& config);

class App {
 public:
  // Everything that can fail at start fails here, as one Error.
  // `command_line`: the flags it was started with (Invocation), which win
  // over the config file again at every reload.
  static Result<std::unique_ptr<App>> start(const Config& config, std::vector<Setting> command_line = {});
  ~App();
  // Runs until a stop signal; returns the exit status.
  int run();

 private:
  struct Impl;
  explicit App(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace captive::daemon
