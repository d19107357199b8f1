// Who is signed in. The kernel set `allowed` is the truth about who is in
// (its element timeouts expire sessions); the registry adds what the kernel
// does not know: the address the client signed in from, when, and how.
//
// Threads: the registry's state lives on one thread (captived's event loop,
// "home"). Its kernel round trips run as jobs on another (the kernel worker),
// one at a time in the order they were issued, so a revoke issued after a
// sign-in reaches the kernel after it; results come back home through
// `Executors::home`. Without executors both run inline (unit tests).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "captive/nft/allowed_set.hpp"
#include "captive/packet/address.hpp"
#include "captive/session/limits.hpp"
#include "captive/util/result.hpp"

namespace captive::session {

// Wall-clock time: for display only (signed in at, expires at). NTP and a
// router without a real-time clock step it at boot.
using Clock = std::chrono::system_clock;
// What sessions expire by: CLOCK_MONOTONIC, which nothing steps. The kernel
// times set elements out by jiffies, which also stand still in a suspend, so
// this clock and the kernel's timeouts agree.
using SessionClock = std::chrono::steady_clock;

// Both clocks, injectable (tests step the wall clock).
struct Clocks {
  std::function<SessionClock::time_point()> session = [] { return SessionClock::now(); };
  std::function<Clock::time_point()> wall = [] { return Clock::now(); };
};

// A session that ended, as the hook on_end sees it.
struct SessionEnd {
  packet::MacAddr mac;
  std::optional<packet::IpAddr> ip;  // where it signed in from, if we know
  EndCause cause = EndCause::revoke;
};

// Where kernel round trips run and where their results come back.
using Job = std::function<void()>;
struct Executors {
  // Runs jobs one at a time, in order (daemon::KernelWorker). Empty: inline.
  std::function<void(Job)> kernel;
  // Runs a completion on the registry's own thread (asio::post). Empty: inline.
  std::function<void(Job)> home;
  // From inside a kernel job: runs the kernel jobs queued so far, then
  // returns (KernelWorker::run_queued). A long restore calls it between
  // batches, so a sign-in waits for one batch, not for all of them.
  std::function<void()> kernel_yield;
  // Runs on the kernel thread when a session has ended (revoke, logout),
  // in the same job that took its element out of the set, before the
  // caller's `done`: the daemon deletes the client's conntrack entries here,
  // so flows a flowtable keeps past chain forward stop with the session.
  // Empty: nothing more to do.
  std::function<void(const SessionEnd&)> on_end = nullptr;
};

// One client as `captivectl list` shows it.
struct Client {
  packet::MacAddr mac;
  std::optional<packet::IpAddr> ip;             // where it signed in from, if we saw it
  std::optional<Clock::time_point> signed_in_at;
  std::optional<Clock::time_point> expires_at;  // wall clock now + time left (display)
  std::string method;                           // "click-through", ... ("" if added outside captived)
  std::string user;                             // user name or voucher, if the method has one
  Limits limits;                                // in force: the session's own, else captived's defaults
  // The session's totals: what earlier kernel elements of it counted (before
  // a re-add, a restore, a restart) plus what the current one counts now.
  Traffic traffic;
  // RADIUS Acct-Session-Id (RFC 2866 §5.5): one per session, kept across a
  // re-sign-in, a restore and a restart (the state file holds it).
  std::string acct_session_id;
};

// How a sign-in is made (the portal, `captivectl allow`, later vouchers).
struct SignIn {
  std::chrono::seconds duration{0};
  std::string method;  // the backend: "click-through", "admin", "user", "voucher"
  std::string user;    // the user name or voucher code, if any
  Limits limits;       // this session's own; unset fields take the defaults
  // The backend's Acct-Session-Id (RADIUS sends it in the Access-Request);
  // empty: the registry makes one (new_acct_session_id), or keeps the
  // session's when it signs in again.
  std::string acct_session_id = {};
};

// A fresh Acct-Session-Id: 16 upper-case hex digits from the CSPRNG, the
// form the RADIUS backend sends (auth::new_acct_session_id). 64 random bits:
// unique among any number of sessions a server will ever see.
std::string new_acct_session_id();

// A session that is over, as logged (one line each) and given to on_end.
struct Ended {
  packet::MacAddr mac;
  std::optional<packet::IpAddr> ip;
  EndCause cause = EndCause::timeout;
  std::string method;
  std::optional<Clock::time_point> signed_in_at;
  Clock::time_point ended_at;
  Traffic traffic;
  std::string user;  // the user name or voucher code, if the method has one
  std::string acct_session_id = {};
};
// "session end mac=.. ip=.. cause=idle method=.. duration=..s bytes_up=..
// bytes_down=.. packets_up=.. packets_down=.. [user=..]" (docs/operations.md;
// user= only when the session has one, with blanks and controls as '?').
std::string end_line(const Ended& ended);

struct Hooks {
  // Every session end, once, on the home thread, after the kernel element is
  // gone (revoke, idle, quota) or found gone (timeout, admin). For the
  // conntrack cleanup and accounting.
  std::function<void(const Ended&)> on_end;
  // What the state file holds changed: urgent for a sign-in, an end or an
  // extend (write soon), not for counters alone (write now and then).
  std::function<void(bool urgent)> on_change;
  // A session began (a sign-in the kernel took, not a re-sign-in of a
  // session that goes on), on the home thread: accounting's Start.
  std::function<void(const Client&)> on_start = nullptr;
};

struct StoredSession;  // state_file.hpp

// What resume() found at start.
struct Resumed {
  std::size_t kept = 0;      // in the file and still in the kernel set
  std::size_t restored = 0;  // in the file, not in the set (reboot, flush): put back
  std::size_t expired = 0;   // in the file, time up while captived was down: logged as ended
  std::size_t adopted = 0;   // in the set, not in the file (see adopt())
};

// How a session is keyed in the kernel.
enum class Binding {
  mac,     // the MAC alone (set `allowed`): any address the device uses
  mac_ip,  // the MAC and the address it signed in from (--bind-ip)
};

template <class T>
using Done = std::function<void(Result<T>)>;

class Registry {
 public:
  explicit Registry(nft::SetWriter& set, Clocks clocks = {}, Binding binding = Binding::mac,
                    Executors executors = {});

  // Each of these returns at once; `done` runs on the home thread when the
  // kernel has answered (inline without executors).
  //
  // Adds the MAC (with --bind-ip: the MAC and `ip`) to the kernel set with
  // `timeout` (one batch) and records who. With Binding::mac_ip an unknown
  // `ip` is an error (EINVAL): there would be nothing to bind to. The record
  // is there from the call on (find() sees it); a kernel error takes it back.
  // Signing in again while signed in keeps the session's counters.
  void sign_in(const packet::MacAddr& mac, std::optional<packet::IpAddr> ip, SignIn how, Done<void> done);
  void sign_in(const packet::MacAddr& mac, std::optional<packet::IpAddr> ip, std::chrono::seconds timeout,
               std::string method, Done<void> done);
  // Deletes every element of this MAC (whatever it is bound to) and logs the
  // end with `cause`. ENOENT if it was not signed in.
  void revoke(const packet::MacAddr& mac, EndCause cause, Done<void> done);
  void revoke(const packet::MacAddr& mac, Done<void> done) { revoke(mac, EndCause::revoke, std::move(done)); }
  // Gives a signed-in session `more` time on top of what it has left (the
  // kernel's count). The element is re-created with the new timeout; its
  // counts so far carry over. ENOENT if not signed in, EINVAL if `more` is
  // not > 0 or the total would pass 365 days. Answers with the new time left.
  void extend(const packet::MacAddr& mac, std::chrono::seconds more, Done<std::chrono::seconds> done);
  // RFC 5176 CoA: gives a signed-in session a new time left (`timeout`
  // from now, if given) and new limits of its own (the fields set in
  // `limits` replace the session's; rates go to the kernel with the
  // re-created element, whose counts carry over). ENOENT if not signed in,
  // EINVAL for a timeout outside 1 s to 365 days.
  void change(const packet::MacAddr& mac, std::optional<std::chrono::seconds> timeout, const Limits& limits,
              Done<void> done);
  // The kernel set joined with what we know, with each session's counters
  // brought up to date; forgets (and logs as ended) the sessions the kernel
  // no longer has: cause timeout when their time was up, admin when somebody
  // deleted them behind our back.
  void list(Done<std::vector<Client>> done);
  // list(), then ends the sessions over their idle timeout (no counter moved
  // for that long) or their quota (bytes up plus down). Answers with how
  // many it ended (the revokes are issued, not necessarily done). captived
  // runs it every kSweepInterval.
  void sweep(Done<std::size_t> done);
  static constexpr std::chrono::seconds kSweepInterval{5};

  // captived's --idle-timeout and --quota (and later rates): what a session
  // without its own limits gets. May change at any time (a reload).
  void set_default_limits(const Limits& limits) { defaults_ = limits; }
  void set_hooks(Hooks hooks) { hooks_ = std::move(hooks); }

  // At start, before the event loop and before adopt(): takes the sessions
  // of the state file back. Those whose time is up are logged as ended
  // (timeout); those in the kernel set keep the kernel's time left and
  // counter; those missing from it (a reboot, a flush while we were down)
  // are put back with the time they have left (wall clock), their counts
  // carried as an offset. Then the set's other sessions are adopted.
  // Synchronous.
  Result<Resumed> resume(const std::vector<StoredSession>& stored);
  // What the state file is to hold now (home thread).
  std::vector<StoredSession> snapshot() const;

  // Puts every unexpired session we know of back into the kernel set, with
  // the time it has left, in bulk (after somebody emptied or recreated the
  // set). Returns how many. Call on the kernel worker: it asks the home
  // thread for the sessions (and waits for them), then writes the set itself
  // in batches of kRestoreBatch, running the kernel jobs queued meanwhile
  // between two batches. A MAC signed in or revoked meanwhile is left to
  // that sign-in or revoke (never put back with its old time).
  Result<std::size_t> restore_from_kernel_thread();
  static constexpr std::size_t kRestoreBatch = 2048;
  // The same, synchronous, for one thread (tests, start-up).
  Result<std::size_t> restore();

  // Takes over the sessions already in the kernel set that we have no record
  // of (signed in before a restart or a crash), with the time they have left,
  // so that restore() after a flush puts them back too. Their address (unless
  // bound), sign-in time and method are unknown. Elements without a timeout
  // are left alone. Returns how many were adopted. Synchronous: at start-up,
  // before the kernel worker runs anything.
  Result<std::size_t> adopt();
  // From what we recorded, without asking the kernel (for page rendering).
  std::optional<Client> find(const packet::MacAddr& mac) const;
  // The same, for every session we know of (Disconnect/CoA look sessions
  // up by Acct-Session-Id, user name or address).
  std::vector<Client> known() const;

 private:
  struct Record {
    nft::Key key;  // as added to the kernel
    std::optional<packet::IpAddr> ip;
    std::optional<Clock::time_point> signed_in_at;  // wall clock, unknown for adopted sessions
    SessionClock::time_point expires_at;
    std::string method;
    std::uint64_t written = 0;  // sequence number of the change that wrote it
    std::string user;
    Limits limits;  // the session's own
    std::string acct_session_id;
    // Counts of the kernel elements this session had before the current
    // one (each re-creation starts the kernel's counter at 0), and the
    // current element's counter as last read.
    Traffic offset;
    Traffic element;
    SessionClock::time_point active_at;  // last time a counter moved
  };
  void on_kernel(Job job);
  void on_home(Job job);
  Limits effective(const Limits& own) const;
  Client client_of(const packet::MacAddr& mac, const Record& record) const;
  // Logs the end, tells on_end and on_change.
  void ended(const packet::MacAddr& mac, const Record& record, EndCause cause);
  void changed(bool urgent) {
    if (hooks_.on_change) hooks_.on_change(urgent);
  }
  // The element is being re-created: its counter starts again at 0.
  static void carry(Record& record);
  // extend() and change(): re-creates a signed-in client's element with
  // its limits, overlaid by the set fields of `changes` (they become its
  // own), and the time `left_of` gives from the kernel's time left; carries
  // the old element's counter into the record (the new one counts from 0)
  // and answers the time set. `verb` names the command in errors.
  using LeftOf = std::function<Result<std::chrono::seconds>(std::chrono::seconds kernel_left)>;
  void recreate(const packet::MacAddr& mac, const char* verb, const Limits& changes, LeftOf left_of,
                Done<std::chrono::seconds> done);
  // The set's elements, by key, from dumps repeated until one finds nobody
  // new (a dump torn by a hash resize misses some).
  Result<std::map<nft::Key, nft::Element>> dump_until_stable();
  std::size_t adopt_elements(const std::map<nft::Key, nft::Element>& present);
  // The sessions to put back, with their time left (home thread).
  std::vector<nft::ElementSpec> restore_plan();
  // Writes the plan in batches (kernel thread); returns how many were added.
  Result<std::size_t> restore_write(const std::vector<nft::ElementSpec>& specs);
  // On the kernel thread, while restore_write runs: the MACs its batches
  // must leave alone, and those still to come (a revoke of one is no ENOENT).
  bool restoring_ = false;
  std::set<packet::MacAddr> touched_;
  std::set<packet::MacAddr> to_restore_;

  nft::SetWriter& set_;
  Clocks clocks_;
  Binding binding_;
  Executors executors_;
  std::map<packet::MacAddr, Record> records_;
  std::uint64_t sequence_ = 0;
  Limits defaults_;
  Hooks hooks_;
};

Traffic operator+(const Traffic& a, const Traffic& b);

}  // namespace captive::session
