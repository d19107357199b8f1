// Notices when somebody else takes our table apart: `nft flush ruleset`, a
// firewall reload (Debian's nftables.service, OpenWrt's `fw4 flush`), a
// reload of the ruleset, or a flush of chain `intercept`. Listens on the
// nftables multicast group (NFNLGRP_NFTABLES); the daemon then reconciles.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "captive/nft/allowed_set.hpp"
#include "captive/util/result.hpp"

namespace captive::nft {

// What an event means for us; a later kind includes the earlier ones.
enum class Change {
  none = 0,
  unknown = 1,     // events were lost (ENOBUFS): check what is there
  queue_rule = 2,  // a rule of our table was deleted: check the chains, put our queue rule back
  sessions = 3,    // table, chain or set deleted: the set is (or will be) empty
};

// Classifies one nftables event message (from its nlmsghdr). Events caused
// by `own_portid` (our own changes) and events of other tables are `none`.
// Pure; never reads outside `msg`.
Change classify_event(std::span<const std::byte> msg, const Names& names, std::uint32_t own_portid);

// Whether the message is NFT_MSG_NEWGEN: the kernel sends it after the last
// event of every committed transaction.
bool is_transaction_end(std::span<const std::byte> msg);

struct Events {
  Change change = Change::none;
  // A transaction ended among these events. The kernel emits a transaction's
  // events one by one while we may be reading: acting before its end would
  // see half of a flush (measured under ASan: a reload taken for a flush of
  // chain intercept only).
  bool transaction_end = false;
};

class TableWatch {
 public:
  static Result<TableWatch> open(Names names = {});
  TableWatch(TableWatch&&) noexcept;
  TableWatch& operator=(TableWatch&&) noexcept;
  ~TableWatch();

  int fd() const;  // non-blocking; readable when events are pending
  // Reads every pending event; returns the biggest change among them.
  // ENOBUFS (events lost) is Change::unknown: the daemon looks at what is
  // there. Our own bulk adds overflow the socket (one event per element), so
  // assuming the worst here made a restore of 100 000 sessions restore
  // itself again, forever (measured).
  Result<Events> read(std::uint32_t own_portid);

 private:
  struct Impl;
  explicit TableWatch(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace captive::nft
