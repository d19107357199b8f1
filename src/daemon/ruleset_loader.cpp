#include "captive/daemon/ruleset_loader.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

extern char** environ;

namespace captive::daemon {
namespace {

bool executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// "add element inet captive dns_ip4 { a, b }" for the addresses of one family.
void add_elements(std::string& out, std::span<const packet::IpAddr> dns_servers, bool v4) {
  std::string list;
  for (const auto& a : dns_servers) {
    if (a.is_v4() != v4) continue;
    if (!list.empty()) list += ", ";
    list += a.to_string();
  }
  if (!list.empty()) out += std::string("add element inet captive ") + (v4 ? "dns_ip4" : "dns_ip6") + " { " + list + " }\n";
}

// "add element inet captive SET { a, b }\n", nothing for an empty list.
template <class T>
void add_list(std::string& out, std::string_view set, const std::vector<T>& items, bool (*keep)(const T&)) {
  std::string list;
  for (const auto& item : items) {
    if (!keep(item)) continue;
    if (!list.empty()) list += ", ";
    list += item.to_string();
  }
  if (!list.empty()) out += "add element inet captive " + std::string(set) + " { " + list + " }\n";
}

bool any_mac(const packet::MacAddr&) { return true; }
bool prefix_v4(const session::IpPrefix& p) { return p.address.is_v4(); }
bool prefix_v6(const session::IpPrefix& p) { return !p.address.is_v4(); }

void add_lists(std::string& out, const ListSets& load) {
  add_list(out, "trusted", load.trusted, any_mac);
  add_list(out, "blocked", load.blocked, any_mac);
  add_list(out, "garden_ip4", load.garden, prefix_v4);
  add_list(out, "garden_ip6", load.garden, prefix_v6);
}

}  // namespace

std::string lists_script(const ListSets& load) {
  std::string out =
      "flush set inet captive trusted\nflush set inet captive blocked\n"
      "flush set inet captive garden_ip4\nflush set inet captive garden_ip6\n";
  add_lists(out, load);
  return out;
}

std::string load_script_with_lists(const RulesetLoad& load, const ListSets& lists) {
  std::string out = load_script(load.ruleset, load.dns_servers);
  add_lists(out, lists);
  return out;
}

Result<void> replace_lists(const RulesetLoad& load, const ListSets& lists) {
  if (auto ran = run_with_input(nft_argv(load), lists_script(lists)); !ran)
    return Error{ran.error().code, "set the lists (sets trusted, blocked, garden_ip4, garden_ip6): " + ran.error().what};
  return {};
}

Result<std::string> find_nft(std::string_view override_path, std::string_view path_env, std::string_view fallback_dirs) {
  if (!override_path.empty()) {
    std::string path(override_path);
    if (path.front() != '/') return make_error(0, "--nft " + path + ": not an absolute path");
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return errno_error("--nft " + path);
    if (!executable_file(path)) return make_error(0, "--nft " + path + ": not an executable file");
    return path;
  }
  std::string dirs(path_env);
  dirs += ":";
  dirs += fallback_dirs;
  std::string tried;
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    start = end + 1;
    if (dir.empty() || dir.front() != '/') continue;
    std::string candidate = dir + (dir.back() == '/' ? "nft" : "/nft");
    if (executable_file(candidate)) return candidate;
    if (tried.find(candidate) == std::string::npos) tried += (tried.empty() ? "" : ", ") + candidate;
  }
  return make_error(ENOENT, "nft not found (tried " + tried + "; install nftables or pass --nft PATH)");
}

std::vector<std::string> nft_argv(const RulesetLoad& load) {
  // The interface names as nft strings: an unquoted name that happens to
  // be a keyword (`tcp`, `ip`) would not parse (docs/ruleset.md). One LAN:
  // the string itself, as always; more: an anonymous set, which every
  // `iifname $lan` / `oifname $lan` of captive.nft matches as a whole.
  std::string lan;
  for (const auto& name : load.lans) lan += (lan.empty() ? "" : ",") + ("\"" + name + "\"");
  if (load.lans.size() != 1) lan = "{" + lan + "}";
  return {load.nft,  "-D", "lan=" + lan, "-D", "portal_port=" + std::to_string(load.portal_port),
          "-D", "portal_tls_port=" + std::to_string(load.portal_tls_port), "-f", "-"};
}

bool includable_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  for (unsigned char c : path)
    if (c < ' ' || c == '"' || c == 0x7f) return false;
  return true;
}

std::string load_script(std::string_view ruleset, std::span<const packet::IpAddr> dns_servers) {
  std::string out = "include \"" + std::string(ruleset) + "\"\n";
  add_elements(out, dns_servers, true);
  add_elements(out, dns_servers, false);
  return out;
}

std::string dns_sets_script(std::span<const packet::IpAddr> dns_servers) {
  std::string out = "flush set inet captive dns_ip4\nflush set inet captive dns_ip6\n";
  add_elements(out, dns_servers, true);
  add_elements(out, dns_servers, false);
  return out;
}

Result<void> run_with_input(const std::vector<std::string>& argv, std::string_view input) {
  if (argv.empty() || argv.front().empty() || argv.front().front() != '/')
    return make_error(EINVAL, "run: not an absolute path: " + (argv.empty() ? std::string() : argv.front()));
  const std::string what = "run " + argv.front();
  // The input goes into the pipe before the child exists: it is small (a
  // few hundred bytes; a pipe holds at least one page), so the write never
  // blocks and can never meet a reader that already exited (no EPIPE).
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return errno_error(what + ": pipe");
  auto close_both = [&fds] {
    if (fds[0] >= 0) ::close(fds[0]);
    if (fds[1] >= 0) ::close(fds[1]);
    fds[0] = fds[1] = -1;
  };
  ssize_t written = input.empty() ? 0 : ::write(fds[1], input.data(), input.size());
  if (written < 0 || static_cast<std::size_t>(written) != input.size()) {
    Error e = written < 0 ? errno_error(what + ": write its input") : make_error(EMSGSIZE, what + ": input larger than a pipe");
    close_both();
    return e;
  }
  ::close(fds[1]);
  fds[1] = -1;
  // The child reads a normal, blocking stdin.
  if (::fcntl(fds[0], F_SETFL, 0) != 0) {
    Error e = errno_error(what + ": fcntl");
    close_both();
    return e;
  }

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears FD_CLOEXEC on the copy: the child keeps fd 0 and nothing else of ours.
  posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
  pid_t pid = 0;
  int err = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close_both();
  if (err != 0) return make_error(err, what);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return errno_error(what + ": wait");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  if (WIFEXITED(status)) return make_error(0, what + ": exit status " + std::to_string(WEXITSTATUS(status)));
  return make_error(0, what + ": killed by signal " + std::to_string(WTERMSIG(status)));
}

Result<void> load_ruleset(const RulesetLoad& load, const ListSets& lists) {
  if (!includable_path(load.ruleset))
    return make_error(EINVAL, "--ruleset " + load.ruleset + ": must be an absolute path without quotes or control characters");
  if (::access(load.ruleset.c_str(), R_OK) != 0) return errno_error("--ruleset " + load.ruleset);
  // The lists go into the same transaction as the table: no packet sees it
  // without them (a blocked MAC never slips through a reload).
  if (auto ran = run_with_input(nft_argv(load), load_script_with_lists(load, lists)); !ran)
    return Error{ran.error().code, "load " + load.ruleset + ": " + ran.error().what};
  return {};
}

Result<void> replace_dns_servers(const RulesetLoad& load, const ListSets& lists) {
  // With the lists in the same transaction: a table somebody else loaded
  // gets both at once, and one without the list sets (an older captive.nft)
  // fails here, so captived loads its own over it.
  if (auto ran = run_with_input(nft_argv(load), dns_sets_script(load.dns_servers) + lists_script(lists)); !ran)
    return Error{ran.error().code, "set the DNS resolvers and lists (sets dns_ip4, dns_ip6, trusted, blocked, garden_ip4, garden_ip6): " + ran.error().what};
  return {};
}

}  // namespace captive::daemon
