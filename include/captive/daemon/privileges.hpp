// Privilege drop (--user NAME): captived starts as root, opens what needs
// root (netlink sockets, the queues, AF_PACKET, portal ports below 1024, the
// state directory, the control socket), then becomes NAME with only
// CAP_NET_ADMIN and CAP_NET_RAW: in its permitted and effective sets for the
// netlink messages it still sends, and ambient for the `nft -f` child that
// loads the table again after a flush (capabilities(7): ambient caps survive
// execve of a program without file capabilities; nothing else does).
//
// Credentials are per thread in Linux (capset(2) and prctl(PR_CAP_AMBIENT)
// change the calling thread only), so drop_privileges() refuses to run while
// the process has more than one thread: App starts its threads after it.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "captive/util/result.hpp"

namespace captive::daemon {

struct Account {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;  // the account's primary group; the only group kept
};

// The account NAME from the passwd database. Errors: "--user NAME: no such
// user". Root (uid 0) is refused: dropping to it would keep everything.
Result<Account> lookup_account(std::string_view name);

// Hands `dir` (the state directory, or the control socket's directory) to
// `account` before the drop: the directory itself and the regular files in
// it (not below, never through a symlink). Refuses a directory group or
// others can access (mode & 077): captived makes its own 0700, and a
// shared one (/var/lib, /run, /tmp: a mistyped path) must never change owner.
Result<void> hand_over_directory(const std::string& dir, const Account& account);

// Becomes `account`: groups, gid and uid (real, effective, saved), keeping
// CAP_NET_ADMIN and CAP_NET_RAW (permitted, effective, inheritable and
// ambient); every other capability leaves the bounding set too, and
// no_new_privs is set. Checks the result: a process that could get uid 0
// back is an error. Errors name the call ("capset: Operation not permitted").
// Refused (EBUSY) if the process has more than one thread.
Result<void> drop_privileges(const Account& account);

// The number of threads of this process (/proc/self/task), 0 if unknown.
int thread_count();

}  // namespace captive::daemon
