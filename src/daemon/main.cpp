// captived: see `captived --help` and docs/.
#include <signal.h>
#include <sodium.h>

#include <unistd.h>

#include <cstdio>
#include <string>

#include "captive/daemon/app.hpp"
#include "captive/daemon/config.hpp"
#include "captive/daemon/main.hpp"
#include "captive/portal/pages.hpp"
#include "captive/util/log.hpp"

int captive::daemon::captived_main(int argc, char** argv) {
  using namespace captive;
  log::set_program("captived");
  auto invocation = daemon::parse_args(argc, argv);
  if (!invocation) {
    LOG_ERROR("%s", invocation.error().message().c_str());
    return 2;
  }
  switch (invocation->action) {
    case daemon::Invocation::Action::help:
      std::fputs(daemon::usage("captived").c_str(), stdout);
      return 0;
    case daemon::Invocation::Action::version:
      std::puts("captived " CAPTIVE_VERSION);
      return 0;
    case daemon::Invocation::Action::run:
    case daemon::Invocation::Action::check_config:
    case daemon::Invocation::Action::load_ruleset:
      break;
  }
  daemon::Config config = invocation->config;
  if (!config.config_file.empty() && config.config_file.front() != '/') {
    // Read again at every reload: by the path it had at start, whatever
    // directory the daemon is in then.
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd)) config.config_file = std::string(cwd) + "/" + config.config_file;
  }
  if (!config.config_file.empty()) {
    // Refused at start, with FILE:LINE: a daemon that half-understood its
    // file would enforce something nobody wrote.
    auto loaded = daemon::load_config(config.config_file, invocation->command_line);
    if (!loaded) {
      LOG_ERROR("%s", loaded.error().message().c_str());
      return 2;
    }
    config = std::move(*loaded);
  }
  // Nothing opened, nothing loaded: a service manager (OpenWrt's init script)
  // checks the file it wrote before it (re)starts us, so a bad value is
  // reported once instead of a respawn loop.
  if (invocation->action == daemon::Invocation::Action::check_config) {
    // The templates too: an operator edits them and checks before a reload.
    if (!config.templates.empty()) {
      auto pages = portal::Pages::load(config.templates);
      auto bodies = pages ? (*pages)->answer_bodies(portal::Common{config.site_name})
                          : Result<std::shared_ptr<const http::AnswerBodies>>(pages.error());
      if (!bodies) {
        LOG_ERROR("templates: %s", bodies.error().message().c_str());
        return 2;
      }
    }
    return 0;
  }
  log::set_level(config.log_level);
  if (invocation->action == daemon::Invocation::Action::load_ruleset) {
    auto loaded = daemon::ensure_ruleset(config);
    if (!loaded) {
      LOG_ERROR("load ruleset %s: %s", config.ruleset.c_str(), loaded.error().message().c_str());
      return 1;
    }
    LOG_INFO(*loaded ? "table inet captive loaded from %s" : "table inet captive already loaded (%s not read)",
             config.ruleset.c_str());
    return 0;
  }
  // A client that hangs up mid-answer must cost an EPIPE, not the daemon.
  ::signal(SIGPIPE, SIG_IGN);
  if (sodium_init() < 0) {
    LOG_ERROR("libsodium failed to initialise");
    return 1;
  }
  auto app = daemon::App::start(config, invocation->command_line);
  if (!app) {
    LOG_ERROR("%s", app.error().message().c_str());
    return 1;
  }
  return (*app)->run();
}
