// Vouchers: codes an operator prints and hands out (a café's receipt, a
// hotel's key card). Pure: the codes, the rules of a sign-in with one and
// the file that keeps them in --state-dir; no sockets, no clock of its own
// (every call is given `now`), so every rule is unit-tested
// (docs/auth-vouchers.md).
//
// A code is kCodeLength symbols of kAlphabet, drawn with libsodium's
// randombytes_uniform (uniform, no modulo bias), shown in groups
// ("ACDE-FG34-HJ"). Input is read case-insensitively; dashes and spaces are
// ignored, so "acde fg34 hj" is the same code.
//
// A voucher's time starts at its first use: from then on every device it
// signs in ends at first use + duration. Up to `devices` different MACs may
// use it (a phone that randomises its MAC per network comes back as a new
// MAC: it takes a second place while there is one). A MAC already on the
// voucher signs in again at any time until the end.
//
// Threads: one (captived's event loop). Not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "captive/packet/address.hpp"
#include "captive/session/limits.hpp"
#include "captive/util/result.hpp"

namespace captive::auth {

using VoucherClock = std::chrono::system_clock;

// No 0/O, 1/I/L, 2/Z, 5/S, 8/B: each symbol has no look-alike in common
// fonts or handwriting. 28 symbols, log2(28) = 4.81 bits each.
inline constexpr std::string_view kAlphabet = "23456789ACDEFGHJKMNPQRTUVWXY";
// 10 symbols: 28^10 = 2.96e14 codes, 48.1 bits (the arithmetic against
// guessing is in docs/auth-vouchers.md).
inline constexpr std::size_t kCodeLength = 10;
// Groups of 4, 4, 2 for reading aloud and typing.
inline constexpr std::size_t kGroup = 4;

// Bounds: a venue's stock, not a mistake (and the file stays small).
inline constexpr std::size_t kMaxVouchers = 100'000;
inline constexpr std::size_t kMaxCreate = 1000;       // per `voucher create`
inline constexpr std::uint32_t kMaxDevices = 100;     // per voucher
inline constexpr std::chrono::seconds kMaxDuration{365LL * 86400};

inline constexpr std::string_view kVoucherFileName = "vouchers.json";
inline constexpr std::size_t kMaxVoucherFileBytes = 64u * 1024 * 1024;

// The code without separators, upper case, if `input` is one: exactly
// kCodeLength symbols of kAlphabet once case, '-' and ' ' are set aside.
// (Inline: captivectl checks codes without linking the store.)
inline std::optional<std::string> normalize_code(std::string_view input) {
  // Longer than any spelling of a code: not one (and no work on junk).
  if (input.size() > 64) return std::nullopt;
  std::string code;
  for (char c : input) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (kAlphabet.find(c) == std::string_view::npos) return std::nullopt;
    code.push_back(c);
  }
  if (code.size() != kCodeLength) return std::nullopt;
  return code;
}
// "ACDEFG34HJ" -> "ACDE-FG34-HJ" (a normalised code).
inline std::string group_code(std::string_view code) {
  std::string out;
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (i > 0 && i % kGroup == 0) out.push_back('-');
    out.push_back(code[i]);
  }
  return out;
}
// A fresh random code (normalised form).
std::string random_code();

// What `voucher create` asks for.
struct VoucherSpec {
  std::chrono::seconds duration{0};  // from first use; 1 s .. kMaxDuration
  std::uint32_t devices = 1;         // 1 .. kMaxDevices
  session::Limits limits;            // quota (per device session) and rates
  friend bool operator==(const VoucherSpec&, const VoucherSpec&) = default;
};

struct Voucher {
  std::string code;  // normalised
  VoucherSpec spec;
  VoucherClock::time_point created_at;
  std::optional<VoucherClock::time_point> first_used_at;
  std::vector<packet::MacAddr> macs;  // the devices it signed in, in order
  bool revoked = false;
  friend bool operator==(const Voucher&, const Voucher&) = default;

  std::optional<VoucherClock::time_point> expires_at() const {
    if (!first_used_at) return std::nullopt;
    return *first_used_at + spec.duration;
  }
  bool expired(VoucherClock::time_point now) const {
    auto end = expires_at();
    return end && now >= *end;
  }
};

// Its state as captivectl shows it: "unused", "active", "expired",
// "revoked" (revoked wins, then expired).
std::string_view state_of(const Voucher& voucher, VoucherClock::time_point now);

// Why a code does not sign a device in: each has its own message.
enum class Refusal { malformed, unknown, revoked, expired, used_up };
// The sentence the sign-in page shows.
std::string refusal_message(Refusal refusal, std::uint32_t devices = 1);
// Its message key in the page templates (docs/templates.md).
const char* refusal_key(Refusal refusal);

// A successful redemption: what the session gets.
struct Redeemed {
  std::string code;                 // normalised: the session's label
  std::chrono::seconds remaining;   // until first use + duration, > 0
  session::Limits limits;
  bool changed = false;             // first use or a new MAC: the file must be written
};

class VoucherStore {
 public:
  // `count` new vouchers (1 .. kMaxCreate) with fresh codes, none equal to
  // a code the store has. EINVAL for a bad spec or count, ENOSPC past
  // kMaxVouchers. Returns them.
  Result<std::vector<Voucher>> create(const VoucherSpec& spec, std::size_t count, VoucherClock::time_point now);

  // The sign-in rule: `input` signs `mac` in if it is a code of this store,
  // not revoked, not expired, and `mac` is already on it or fewer than
  // `devices` MACs are. The first use starts the clock. On success the MAC
  // is recorded.
  struct Outcome {
    std::optional<Redeemed> redeemed;
    Refusal refusal = Refusal::unknown;  // when not redeemed
    std::uint32_t devices = 1;           // the voucher's limit (for the message)
  };
  Outcome redeem(std::string_view input, const packet::MacAddr& mac, VoucherClock::time_point now);

  // By code in any accepted spelling; nullptr if none.
  const Voucher* find(std::string_view input) const;
  // Revoked from now on (its sessions are ended by the caller). ENOENT if
  // no such code; false if it already was revoked.
  Result<bool> revoke(std::string_view input);
  // Drops the vouchers created by create() when they could not be saved.
  void forget(const std::vector<std::string>& codes);

  const std::vector<Voucher>& vouchers() const { return vouchers_; }

  // The file: {"version":1,"vouchers":[{...}, one a line]}.
  std::string format() const;
  // The reverse. Refuses (EINVAL, saying which voucher and field) anything
  // that is not such a file: not JSON, another version, a code outside the
  // alphabet or twice, a duration, device count or MAC out of range, more
  // MACs than devices, more than kMaxVouchers. Never throws.
  static Result<VoucherStore> parse(std::string_view text);

 private:
  Voucher* find_mutable(std::string_view input);
  void reindex();
  std::vector<Voucher> vouchers_;  // in creation order
  std::unordered_map<std::string, std::size_t> index_;  // code -> place in vouchers_
};

// The file's text for these vouchers (VoucherStore::format): captived
// formats a copy on its writer thread, not on the event loop.
std::string format_vouchers(const std::vector<Voucher>& vouchers);

// <dir>/vouchers.json. No file: an empty store. A file that cannot be read
// or parsed is an error naming it (the caller keeps the file as it is and
// refuses voucher sign-ins: never a silently emptied stock).
Result<VoucherStore> load_vouchers(const std::string& dir);
// Atomically (session::write_file_atomically). Blocks: not on the event loop.
Result<void> save_vouchers(const std::string& dir, std::string_view text);

}  // namespace captive::auth
