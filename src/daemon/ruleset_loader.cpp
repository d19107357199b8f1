#include "captive/daemon/ruleset_loader.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

extern char** environ;

namespace captive::daemon {

std::vector<std::string> ruleset_command(const std::string& lan, std::uint16_t portal_port,
                                         const std::string& ruleset) {
  // The interface name as an nft string: an unquoted name that happens to
  // be a keyword (`tcp`, `ip`) would not parse (docs/ruleset.md).
  return {"nft", "-D", "lan=\"" + lan + "\"", "-D", "portal_port=" + std::to_string(portal_port), "-f", ruleset};
}

Result<void> run_command(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::string what = argv.empty() ? std::string("run") : "run " + argv.front();
  pid_t pid = 0;
  int err = ::posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ);
  if (err != 0) return make_error(err, what);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return errno_error(what + ": wait");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  if (WIFEXITED(status)) return make_error(0, what + ": exit status " + std::to_string(WEXITSTATUS(status)));
  return make_error(0, what + ": killed by signal " + std::to_string(WTERMSIG(status)));
}

}  // namespace captive::daemon
