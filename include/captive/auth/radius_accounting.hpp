// RADIUS accounting (RFC 2866; docs/radius.md "Accounting"): a Start when a
// session begins, an Interim-Update every --acct-interval, a Stop with the
// Acct-Terminate-Cause when it ends, for every session (whatever backend
// signed it in), to the --radius-acct-server hosts.
//
// Every record goes through the on-disk queue (radius::AccountingQueue,
// `<state-dir>/acct-queue/`) and is sent from its head, one at a time, so
// records reach the server in the order they were made, and records made
// while no server answers (or while captived is down) are kept and sent
// later with Acct-Delay-Time saying how late (RFC 2866 §5.2). A record
// leaves the queue when a server acknowledged it (Accounting-Response,
// §4.2: "the Accounting-Request has been received and recorded").
//
// Threads: everything here runs on the event loop, except the queue's
// disk writes, which run on a worker of their own (a WorkPool of one
// thread, started after the privilege drop) and post back. Nothing blocks
// the loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "captive/auth/radius_client.hpp"
#include "captive/auth/work_pool.hpp"
#include "captive/radius/accounting.hpp"
#include "captive/radius/accounting_queue.hpp"
#include "captive/session/registry.hpp"

namespace captive::auth {

struct RadiusAccountingSettings {
  std::string queue_dir;                  // <state-dir>/acct-queue
  std::size_t max_records = radius::kDefaultAccountingQueueRecords;
  std::chrono::seconds interval{300};     // --acct-interval (Interim-Update)
  std::chrono::seconds retry_after{5};    // after no server answered, the next try of the queue's head
  std::string secret;
  std::string nas_identifier;             // NAS-Identifier (--nas-id)
  std::string called_station_id;
};

struct RadiusAccountingStats {
  std::uint64_t records = 0;       // made (Start, Interim-Update, Stop)
  std::uint64_t delivered = 0;     // acknowledged by a server
  std::uint64_t unanswered = 0;    // tries of the queue's head no server answered
  std::uint64_t dropped_full = 0;  // the disk queue was full (or a write failed): record lost
  std::uint64_t dropped_bad = 0;   // a queued record that cannot be sent (corrupt file, set aside)
  std::uint64_t queued = 0;        // records waiting now
};

// Wall-clock seconds (Event-Timestamp, Acct-Session-Time, Acct-Delay-Time).
using WallClock = std::function<std::int64_t()>;

class RadiusAccounting {
 public:
  // The seam to the RADIUS client: sends one request (built per try by
  // `build`) and calls `done` with the checked answer. RadiusClient::send
  // in captived; a fake in the unit tests.
  using Send = std::function<void(RadiusClient::Build build, RadiusClient::Done done)>;
  // Lists the sessions (session::Registry::list) for the Interim-Updates.
  using List = std::function<void(session::Done<std::vector<session::Client>> done)>;

  RadiusAccounting(boost::asio::io_context& io, Send send, List list, RadiusAccountingSettings settings,
                   WallClock wall = nullptr);
  ~RadiusAccounting();
  RadiusAccounting(const RadiusAccounting&) = delete;
  RadiusAccounting& operator=(const RadiusAccounting&) = delete;

  // Opens the queue (synchronous, at start-up: it reads the directory) and
  // logs what it found. Error: the directory cannot be made or read.
  Result<void> open();
  // Starts the disk worker and the Interim-Update timer, and sends what the
  // queue holds. After the privilege drop.
  void start();

  // The registry's hooks (session::Hooks::on_start, on_end), home thread.
  void session_started(const session::Client& client);
  void session_ended(const session::Ended& ended);
  // One Interim-Update for each of `clients` (the timer calls it with the
  // registry's list).
  void interim(const std::vector<session::Client>& clients);

  const RadiusAccountingStats& stats() const { return stats_; }

  // Pure: the record of a session's Start, Interim-Update or Stop.
  static radius::AccountingRecord record_of(const session::Client& client, radius::AcctStatusType status,
                                            std::int64_t now, const RadiusAccountingSettings& settings);
  static radius::AccountingRecord record_of(const session::Ended& ended, std::int64_t now,
                                            const RadiusAccountingSettings& settings);
  // RFC 2866 §5.10 for each way a session ends (docs/radius.md).
  static radius::TerminateCause terminate_cause(session::EndCause cause);

 private:
  void enqueue(const radius::AccountingRecord& record);
  void pump();
  void sent(Result<std::vector<std::byte>> answer);
  void arm_interim();

  boost::asio::io_context& io_;
  Send send_;
  List list_;
  RadiusAccountingSettings settings_;
  WallClock wall_;
  std::optional<radius::AccountingQueue> queue_;  // the disk worker's, after open()
  WorkPool disk_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer interim_timer_;
  // Records handed to the disk worker and not yet known written (home
  // thread), so the destructor can write those stop() dropped.
  struct Unwritten {
    std::uint64_t ticket;
    std::int64_t event_time;
    std::vector<std::byte> attributes;
  };
  std::deque<Unwritten> unwritten_;
  std::uint64_t next_ticket_ = 0;
  std::mutex written_mutex_;
  std::uint64_t written_upto_ = 0;  // the worker's: the last ticket it wrote (or failed to)
  bool busy_ = false;     // the head is being read or is out to a server
  bool waiting_ = false;  // retry_timer_ runs
  RadiusAccountingStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace captive::auth
