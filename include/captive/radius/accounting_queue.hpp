// The accounting records not yet acknowledged by a server, on disk
// (`<state-dir>/acct-queue/`), so that records made while every accounting
// server is unreachable, or while captived is down, are sent later and in
// order (docs/radius.md, "Accounting").
//
// One file per record, named by a sequence number (20 digits + ".acct"), in
// the order of push(). Each file is written whole or not at all: written as
// ".<name>.tmp", fsync'ed, renamed, and the directory fsync'ed (the state
// file's way). A file holds a magic and version, the record's wall-clock
// time (for Acct-Delay-Time when it is finally sent), its attributes and a
// BLAKE2b-128 (libsodium) over all that, so a torn or altered file is
// refused: open() moves it aside as "<name>.bad" and goes on with the rest.
//
// Every call blocks on the disk: keep the queue on a worker thread, never
// on the event loop. Not thread-safe (one thread owns it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "captive/util/result.hpp"

namespace captive::radius {

inline constexpr std::string_view kAccountingQueueDir = "acct-queue";
// Default bound: some 10 000 records of ~150 octets, about 1.5 MB of flash,
// an hour of Interim-Updates of 160 sessions at a 10-minute interval ... or
// a day of Start/Stop of a busy hotspot. Past it push() refuses (ENOSPC).
inline constexpr std::size_t kDefaultAccountingQueueRecords = 10'000;

struct QueuedRecord {
  std::uint64_t sequence = 0;
  std::int64_t event_time = 0;  // wall-clock seconds when the record was made
  std::vector<std::byte> attributes;  // accounting_attributes()
  friend bool operator==(const QueuedRecord&, const QueuedRecord&) = default;
};

// A file's bytes for a record, and back. decode refuses (EINVAL, saying
// why) a wrong magic or version, a cut or over-long file, attributes over
// 4096 octets, a checksum mismatch. Pure (tests, fuzzing).
std::vector<std::byte> encode_queued_record(std::int64_t event_time, std::span<const std::byte> attributes);
Result<QueuedRecord> decode_queued_record(std::span<const std::byte> bytes);

// What open() found.
struct QueueOpened {
  std::size_t loaded = 0;
  std::size_t set_aside = 0;        // corrupt files renamed to *.bad
  std::size_t partial_removed = 0;  // *.tmp left by a write that a crash cut off
  std::vector<std::string> problems;  // one line per file set aside
};

class AccountingQueue {
 public:
  // Opens (creating it, mode 0700) `dir` and loads its records in
  // sequence order. Error: the directory cannot be made or read.
  static Result<AccountingQueue> open(std::string dir, std::size_t max_records = kDefaultAccountingQueueRecords,
                                      QueueOpened* opened = nullptr);

  // Appends a record (durably: on disk when this returns). ENOSPC when
  // the queue holds max_records; an I/O error leaves the queue as it was.
  Result<void> push(std::int64_t event_time, std::span<const std::byte> attributes);
  // The oldest record; nullptr when empty.
  const QueuedRecord* front() const { return records_.empty() ? nullptr : &records_.front(); }
  // Removes the oldest record (its file). An I/O error keeps it (it would
  // be sent again: a duplicate the server can tell by Acct-Session-Id and
  // Event-Timestamp, rather than a loss).
  Result<void> pop();

  std::size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }
  std::size_t max_records() const { return max_records_; }
  const std::string& dir() const { return dir_; }

 private:
  AccountingQueue(std::string dir, std::size_t max_records) : dir_(std::move(dir)), max_records_(max_records) {}
  std::string path_of(std::uint64_t sequence) const;
  std::string dir_;
  std::size_t max_records_;
  std::deque<QueuedRecord> records_;
  std::uint64_t next_sequence_ = 1;
};

}  // namespace captive::radius
