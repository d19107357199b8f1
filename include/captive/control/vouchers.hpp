// The vouchers' side of the admin protocol (captivectl voucher ...). The
// store belongs to captived (its event loop); captivectl only asks.
//   voucher_create  count, seconds, [devices], [quota_bytes], [rate_down], [rate_up]
//                                   {"ok":true,"vouchers":[VOUCHER...]}
//   voucher_list                    {"ok":true,"network":NAME,"vouchers":[VOUCHER...]}
//   voucher_show    code            {"ok":true,"voucher":VOUCHER}
//   voucher_revoke  code            {"ok":true,"code":..,"changed":BOOL,"sessions_ended":N}
// VOUCHER: {"code":"ACDE-FG34-HJ","seconds","devices","quota_bytes",
// "rate_down","rate_up" (null: none),"created_at","first_used_at",
// "expires_at" (epoch seconds or null),"macs":[MAC...],"revoked",
// "state":"unused"|"active"|"expired"|"revoked"}.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "captive/auth/vouchers.hpp"
#include "captive/util/result.hpp"

namespace captive::control {

struct VoucherContext {
  // Null when the vouchers could not be loaded (`problem` says why):
  // every voucher request answers that, and nothing overwrites the file.
  auth::VoucherStore* store = nullptr;
  std::string problem;
  // Writes the store to --state-dir (off the home thread); `done` on the
  // home thread. `voucher create` answers only once its codes are saved.
  std::function<void(std::function<void(Result<void>)> done)> save;
  // The wall clock (tests step it).
  std::function<auth::VoucherClock::time_point()> now = [] { return auth::VoucherClock::now(); };
  // The network's name for the printed cards (captived's --site-name).
  std::function<std::string()> network;
};

// Client side, for captivectl.
struct VoucherCreate {
  std::uint64_t count = 1;
  std::uint64_t seconds = 0;
  std::optional<std::uint64_t> devices;
  std::optional<std::uint64_t> quota_bytes;
  std::optional<std::uint64_t> rate_down;
  std::optional<std::uint64_t> rate_up;
};
std::string make_voucher_create_request(const VoucherCreate& create);
std::string make_voucher_list_request();
std::string make_voucher_show_request(std::string_view code);
std::string make_voucher_revoke_request(std::string_view code);

// One card of the printed sheet.
struct VoucherCard {
  std::string code;      // grouped, as typed
  std::string duration;  // "2 hours"
  std::string extras;    // "2 devices · 1 GB", may be empty
};
// "2 hours", "90 minutes", "1 day 12 hours", "45 seconds".
std::string human_duration(std::uint64_t seconds);
// A self-contained HTML page (no external assets, A4, a grid of cards
// that never break across pages): each card shows the network's name, the
// code in a large monospaced face, the duration and the extras. Every value
// is HTML-escaped.
std::string voucher_sheet_html(const std::vector<VoucherCard>& cards, std::string_view network);

}  // namespace captive::control
