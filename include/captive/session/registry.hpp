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
};

// One client as `captivectl list` shows it.
struct Client {
  packet::MacAddr mac;
  std::optional<packet::IpAddr> ip;             // where it signed in from, if we saw it
  std::optional<Clock::time_point> signed_in_at;
  std::optional<Clock::time_point> expires_at;  // wall clock now + time left (display)
  std::string method;                           // "click-through", ... ("" if added outside captived)
  std::uint64_t bytes = 0;                      // sent by the client (element counter)
  std::uint64_t packets = 0;
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
  // `limits`: this session's (rates go to the kernel with it); empty = the
  // defaults of set_default_limits().
  void sign_in(const packet::MacAddr& mac, std::optional<packet::IpAddr> ip, std::chrono::seconds timeout,
               std::string method, Done<void> done, std::optional<Limits> limits = std::nullopt);
  // --- kernel branch: rates (issue 9, item 4) ---
  // The limits a sign-in without its own gets (captived --rate-down/--rate-up).
  void set_default_limits(const Limits& limits) { default_limits_ = limits; }
  // Deletes every element of this MAC (whatever it is bound to). ENOENT if
  // it was not signed in.
  void revoke(const packet::MacAddr& mac, Done<void> done);
  // The kernel set joined with what we know; forgets metadata of MACs the
  // kernel no longer has (their sessions expired).
  void list(Done<std::vector<Client>> done);

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

 private:
  struct Record {
    nft::Key key;  // as added to the kernel
    std::optional<packet::IpAddr> ip;
    std::optional<Clock::time_point> signed_in_at;  // wall clock, unknown for adopted sessions
    SessionClock::time_point expires_at;
    std::string method;
    std::uint64_t written = 0;  // sequence number of the change that wrote it
    Limits limits;              // put back with the session by restore()
  };
  void on_kernel(Job job);
  void on_home(Job job);
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
  Limits default_limits_;
};

}  // namespace captive::session
