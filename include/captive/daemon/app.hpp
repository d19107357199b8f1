// captived's wiring: opens the kernel adapters, builds the services, runs
// one event loop (packets, sign-in pages, control socket, signals) until
// SIGINT/SIGTERM, then takes its queue rule out again.
#pragma once

#include <memory>

#include "captive/daemon/config.hpp"
#include "captive/util/result.hpp"

namespace captive::daemon {

class App {
 public:
  // Everything that can fail at start fails here, as one Error.
  static Result<std::unique_ptr<App>> start(const Config& config);
  ~App();
  // Runs until a stop signal; returns the exit status.
  int run();

 private:
  struct Impl;
  explicit App(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace captive::daemon
