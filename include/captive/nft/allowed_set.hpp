// The kernel side of sessions: set `allowed` in table `inet captive`, and the
// queue rule in chain `intercept`. libnftnl builds the messages, libmnl sends
// them as one batch per change and waits for the kernel's ack.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "captive/packet/address.hpp"
#include "captive/util/result.hpp"

namespace captive::nft {

// What a session is bound to: a MAC (set `allowed`), or with --bind-ip a
// MAC and one address (sets `allowed_ip4`, `allowed_ip6`).
struct Key {
  packet::MacAddr mac;
  std::optional<packet::IpAddr> ip;

  Key() = default;
  Key(const packet::MacAddr& m) : mac(m) {}  // NOLINT: a MAC is a key
  Key(const packet::MacAddr& m, std::optional<packet::IpAddr> address) : mac(m), ip(address) {}
  std::string to_string() const;  // "02:..:01" or "02:..:01 . 192.0.2.2"
  auto operator<=>(const Key&) const = default;
};

// The key as the kernel stores it: the MAC, padded to 8 bytes (nft
// registers are 4 bytes wide), then the address (4 or 16 bytes). Returns the
// length: 6, 12 or 24.
std::size_t key_bytes(const Key& key, std::span<std::uint8_t, 24> out);
// The reverse; nullopt for any other length.
std::optional<Key> key_from_bytes(std::span<const std::uint8_t> bytes);

struct Names {
  std::string table = "captive";   // family inet
  std::string set = "allowed";
  std::string set_ip4 = "allowed_ip4";
  std::string set_ip6 = "allowed_ip6";
  std::string chain = "intercept";

  const std::string& set_for(const Key& key) const {
    if (!key.ip) return set;
    return key.ip->is_v4() ? set_ip4 : set_ip6;
  }
  // A copy whose `set` is the set of `key` (the builders name `set`).
  Names for_key(const Key& key) const {
    Names n = *this;
    n.set = set_for(key);
    return n;
  }
};

struct Element {
  packet::MacAddr mac;
  std::optional<packet::IpAddr> ip;                   // bound address (sets allowed_ip4/6)
  std::optional<std::chrono::milliseconds> timeout;   // NFTA_SET_ELEM_TIMEOUT
  std::optional<std::chrono::milliseconds> expires;   // NFTA_SET_ELEM_EXPIRATION (time left)
  std::uint64_t packets = 0;                          // per-element counter, if the set has one
  std::uint64_t bytes = 0;
};

// One element to add in bulk.
struct ElementSpec {
  Key key;
  std::chrono::seconds timeout{0};  // 0 = no timeout
};

// What services need of the set; tests use a fake.
class SetWriter {
 public:
  virtual ~SetWriter() = default;
  // Adds many keys in few batches (a few thousand elements each): how
  // sessions are put back after the set was emptied. Elements that exist are
  // left as they are on kernels before 6.10 and get the new timeout after.
  virtual Result<void> add_many(std::span<const ElementSpec> elements) = 0;
  // timeout 0 = no timeout. Adding a MAC that is there already refreshes its
  // timeout (delete + add in one batch, so no packet sees it missing).
  virtual Result<void> add(const Key& key, std::chrono::seconds timeout) = 0;
  // Removing a key that is not there is an error with code ENOENT.
  virtual Result<void> remove(const Key& key) = 0;
  // Every element of all three sets.
  virtual Result<std::vector<Element>> list() = 0;
};

enum class QueueKind { native, compat };
const char* queue_kind_name(QueueKind kind);  // "native nft queue" / "xt NFQUEUE (nft_compat)"

struct QueueRule {
  std::uint16_t queue_num = 0;
  std::uint16_t queues_total = 1;
  bool bypass = true;               // NFT_QUEUE_FLAG_BYPASS / NFQ_FLAG_BYPASS
};

class Netlink final : public SetWriter {
 public:
  static Result<Netlink> open(Names names = {});
  Netlink(Netlink&&) noexcept;
  Netlink& operator=(Netlink&&) noexcept;
  ~Netlink() override;

  // ENOENT when table, set or chain is missing (the ruleset is not installed).
  Result<void> check_ruleset();

  // Replaces whatever chain `intercept` holds with our queue rule, in one
  // batch (a stale rule of a crashed daemon goes with it). Tries the native
  // `queue` expression first, then the xt NFQUEUE target (revision 3) through
  // nft_compat, and says which one the kernel took.
  Result<QueueKind> install_queue_rule(const QueueRule& rule);
  // Flushes chain `intercept`.
  Result<void> remove_queue_rule();
  // Whether chain `intercept` holds a rule (ours: nobody else puts one
  // there). Recreating the table or flushing the chain removes it, so it
  // tells whether anything happened that needs restoring.
  Result<bool> queue_rule_present();

  Result<void> add(const Key& key, std::chrono::seconds timeout) override;
  Result<void> add_many(std::span<const ElementSpec> elements) override;
  Result<void> remove(const Key& key) override;
  Result<std::vector<Element>> list() override;

  // The netlink port id of our socket: events caused by our own changes
  // carry it (TableWatch ignores them).
  std::uint32_t portid() const;

 private:
  struct Impl;
  explicit Netlink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace captive::nft
