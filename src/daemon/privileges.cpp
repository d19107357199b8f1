#include "captive/daemon/privileges.hpp"
#include "captive/util/file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace captive::daemon {
namespace {

constexpr int kKept[] = {CAP_NET_ADMIN, CAP_NET_RAW};

bool kept(int cap) {
  for (int k : kKept)
    if (k == cap) return true;
  return false;
}

// The highest capability this kernel knows (newer kernels know more than
// our headers).
int last_cap() {
  const long value = util::read_number("/proc/sys/kernel/cap_last_cap").value_or(0);
  return value > 0 && value < 64 ? static_cast<int>(value) : CAP_LAST_CAP;
}

}  // namespace

Result<Account> lookup_account(std::string_view name) {
  const std::string wanted(name);
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  const int rc = ::getpwnam_r(wanted.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0) return make_error(rc, "--user " + wanted + ": looking the user up");
  if (!found) return make_error(0, "--user " + wanted + ": no such user");
  if (pw.pw_uid == 0) return make_error(0, "--user " + wanted + ": has uid 0 (root): nothing would be dropped");
  return Account{wanted, pw.pw_uid, pw.pw_gid};
}

Result<void> hand_over_directory(const std::string& dir, const Account& account) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno_error("open directory " + dir);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Error error = errno_error("stat " + dir);
    ::close(fd);
    return error;
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return make_error(0, dir + ": mode " + mode + ", not 0700: captived hands only a directory of its own to --user " +
                             account.name + " (is the path right?)");
  }
  if (::fchown(fd, account.uid, account.gid) != 0) {
    Error error = errno_error("chown " + dir + " to " + account.name);
    ::close(fd);
    return error;
  }
  DIR* d = ::fdopendir(fd);  // owns fd from here
  if (!d) {
    Error error = errno_error("read directory " + dir);
    ::close(fd);
    return error;
  }
  Result<void> result;
  while (dirent* e = ::readdir(d)) {
    std::string_view entry = e->d_name;
    if (entry == "." || entry == "..") continue;
    struct stat est {};
    if (::fstatat(fd, e->d_name, &est, AT_SYMLINK_NOFOLLOW) != 0 || !(S_ISREG(est.st_mode) || S_ISSOCK(est.st_mode)))
      continue;
    if (::fchownat(fd, e->d_name, account.uid, account.gid, AT_SYMLINK_NOFOLLOW) != 0) {
      result = errno_error("chown " + dir + "/" + e->d_name + " to " + account.name);
      break;
    }
  }
  ::closedir(d);
  return result;
}

int thread_count() {
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return 0;
  int n = 0;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

Result<void> drop_privileges(const Account& account) {
  // setuid() in glibc changes every thread, but capset() and the ambient
  // set only the caller: with other threads they would keep root's caps.
  if (const int threads = thread_count(); threads != 1)
    return make_error(EBUSY, "drop privileges: " + std::to_string(threads) + " threads (must be the only one)");
  // The bounding set first, while we still have CAP_SETPCAP: no later
  // execve (a setuid program) can bring the others back.
  const int last = last_cap();
  for (int cap = 0; cap <= last; ++cap)
    if (!kept(cap) && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return errno_error("drop capability " + std::to_string(cap) + " from the bounding set");
  // Keep the permitted set across the uid change (capabilities(7): without
  // it, leaving uid 0 clears permitted, effective and ambient).
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return errno_error("prctl(PR_SET_KEEPCAPS)");
  const gid_t groups[] = {account.gid};
  if (::setgroups(1, groups) != 0) return errno_error("setgroups(" + std::to_string(account.gid) + ")");
  if (::setresgid(account.gid, account.gid, account.gid) != 0)
    return errno_error("setresgid(" + std::to_string(account.gid) + ")");
  if (::setresuid(account.uid, account.uid, account.uid) != 0)
    return errno_error("setresuid(" + std::to_string(account.uid) + ")");
  // The uid change emptied the effective set; permitted still has all.
  // Both become the two we keep. Inheritable too: ambient needs a cap in
  // permitted and inheritable (PR_CAP_AMBIENT_RAISE, capabilities(7)).
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int cap : kKept) {
    data[cap / 32].effective |= 1u << (cap % 32);
    data[cap / 32].permitted |= 1u << (cap % 32);
    data[cap / 32].inheritable |= 1u << (cap % 32);
  }
  if (::syscall(SYS_capset, &header, data) != 0) return errno_error("capset(CAP_NET_ADMIN, CAP_NET_RAW)");
  for (int cap : kKept)
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
      return errno_error("prctl(PR_CAP_AMBIENT_RAISE, " + std::to_string(cap) + ")");
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return errno_error("prctl(PR_SET_KEEPCAPS, 0)");
  // Nothing we run (nft) needs to gain privileges by execve.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno_error("prctl(PR_SET_NO_NEW_PRIVS)");
  // Paranoia as in chrony's and OpenSSH's drops: if root can come back, the
  // drop did not happen.
  if (::setuid(0) == 0 || ::geteuid() == 0 || (::getegid() == 0 && account.gid != 0))
    return make_error(0, "drop privileges: uid 0 could be regained after becoming " + account.name);
  return {};
}

}  // namespace captive::daemon
