#include "captive/auth/vouchers.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <set>

#include "captive/session/lists.hpp"
#include "captive/util/file.hpp"

namespace captive::auth {
namespace json = boost::json;

namespace {

constexpr std::int64_t kVersion = 1;

std::int64_t epoch(VoucherClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

json::value optional_number(const std::optional<std::uint64_t>& v) {
  if (!v) return nullptr;
  return *v;
}

// Errors say which voucher and which field: "voucher 3: "macs": ...".
struct Where {
  std::size_t index;
  Error fail(std::string_view field, std::string_view why) const {
    return make_error(EINVAL, "voucher " + std::to_string(index) + ": \"" + std::string(field) + "\": " +
                                  std::string(why));
  }
};

Result<std::uint64_t> whole_number(const json::value* v, std::string_view name, const Where& at) {
  if (!v) return at.fail(name, "missing");
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
  return at.fail(name, "not a whole number >= 0");
}

Result<std::optional<std::uint64_t>> optional_positive(const json::object& o, std::string_view name, const Where& at) {
  const json::value* v = o.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::uint64_t>{};
  auto n = whole_number(v, name, at);
  if (!n) return n.error();
  if (*n == 0) return at.fail(name, "0 (absent means no limit)");
  return std::optional<std::uint64_t>{*n};
}

Result<VoucherClock::time_point> time_value(const json::value* v, std::string_view name, const Where& at) {
  auto n = whole_number(v, name, at);
  if (!n) return n.error();
  // Up to the year 2200, as the sessions' file (system_clock's nanoseconds
  // overflow in 2262).
  if (*n > 7'258'118'400ULL) return at.fail(name, "not a time");
  return VoucherClock::time_point(std::chrono::seconds(static_cast<std::int64_t>(*n)));
}

Result<Voucher> parse_voucher(const json::value& v, const Where& at) {
  if (!v.is_object()) return at.fail("", "not an object");
  const json::object& o = v.get_object();
  Voucher out;
  const json::value* code = o.if_contains("code");
  if (!code || !code->is_string()) return at.fail("code", "missing or not a string");
  auto normal = normalize_code(code->get_string());
  if (!normal) return at.fail("code", "not a voucher code");
  out.code = *normal;
  auto seconds = whole_number(o.if_contains("seconds"), "seconds", at);
  if (!seconds) return seconds.error();
  if (*seconds == 0 || *seconds > static_cast<std::uint64_t>(kMaxDuration.count()))
    return at.fail("seconds", "not a duration from 1 s to 365 days");
  out.spec.duration = std::chrono::seconds(static_cast<std::int64_t>(*seconds));
  auto devices = whole_number(o.if_contains("devices"), "devices", at);
  if (!devices) return devices.error();
  if (*devices == 0 || *devices > kMaxDevices) return at.fail("devices", "not from 1 to 100");
  out.spec.devices = static_cast<std::uint32_t>(*devices);
  for (auto [name, slot] : {std::pair{"quota_bytes", &out.spec.limits.quota_bytes},
                            std::pair{"rate_down", &out.spec.limits.rate_down},
                            std::pair{"rate_up", &out.spec.limits.rate_up}}) {
    auto n = optional_positive(o, name, at);
    if (!n) return n.error();
    *slot = *n;
  }
  auto created = time_value(o.if_contains("created_at"), "created_at", at);
  if (!created) return created.error();
  out.created_at = *created;
  if (const json::value* first = o.if_contains("first_used_at"); first && !first->is_null()) {
    auto t = time_value(first, "first_used_at", at);
    if (!t) return t.error();
    out.first_used_at = *t;
  }
  const json::value* macs = o.if_contains("macs");
  if (!macs || !macs->is_array()) return at.fail("macs", "missing or not an array");
  if (macs->get_array().size() > out.spec.devices) return at.fail("macs", "more MACs than \"devices\"");
  for (const auto& m : macs->get_array()) {
    auto mac = m.is_string() ? packet::MacAddr::parse(m.get_string()) : std::nullopt;
    if (!mac) return at.fail("macs", "not a MAC address");
    if (std::find(out.macs.begin(), out.macs.end(), *mac) != out.macs.end())
      return at.fail("macs", mac->to_string() + " twice");
    out.macs.push_back(*mac);
  }
  if (!out.macs.empty() && !out.first_used_at) return at.fail("first_used_at", "missing for a used voucher");
  const json::value* revoked = o.if_contains("revoked");
  if (!revoked || !revoked->is_bool()) return at.fail("revoked", "missing or not true/false");
  out.revoked = revoked->get_bool();
  return out;
}

json::object voucher_json(const Voucher& v) {
  json::object o;
  o["code"] = group_code(v.code);
  o["seconds"] = v.spec.duration.count();
  o["devices"] = v.spec.devices;
  o["quota_bytes"] = optional_number(v.spec.limits.quota_bytes);
  o["rate_down"] = optional_number(v.spec.limits.rate_down);
  o["rate_up"] = optional_number(v.spec.limits.rate_up);
  o["created_at"] = epoch(v.created_at);
  o["first_used_at"] = v.first_used_at ? json::value(epoch(*v.first_used_at)) : json::value(nullptr);
  json::array macs;
  for (const auto& m : v.macs) macs.push_back(json::value(m.to_string()));
  o["macs"] = std::move(macs);
  o["revoked"] = v.revoked;
  return o;
}

}  // namespace

std::string random_code() {
  // randombytes_uniform: uniform over [0, 28) by rejection, from the
  // kernel's getrandom() (libsodium's default), so every symbol carries its
  // full log2(28) bits.
  std::string code(kCodeLength, '?');
  for (char& c : code) c = kAlphabet[randombytes_uniform(static_cast<std::uint32_t>(kAlphabet.size()))];
  return code;
}

std::string_view state_of(const Voucher& voucher, VoucherClock::time_point now) {
  if (voucher.revoked) return "revoked";
  if (voucher.expired(now)) return "expired";
  if (!voucher.first_used_at) return "unused";
  return "active";
}

const char* refusal_key(Refusal refusal) {
  switch (refusal) {
    case Refusal::malformed: return "reason.voucher_malformed";
    case Refusal::unknown: return "reason.voucher_unknown";
    case Refusal::revoked: return "reason.voucher_revoked";
    case Refusal::expired: return "reason.voucher_expired";
    case Refusal::used_up: return "reason.voucher_used_up";
  }
  return "reason.voucher_unknown";
}

std::string refusal_message(Refusal refusal, std::uint32_t devices) {
  switch (refusal) {
    case Refusal::malformed:
      return "That is not a voucher code. Codes look like ACDE-FG34-HJ (letters and digits; case and dashes do not "
             "matter).";
    case Refusal::unknown: return "This voucher code is not valid. Please check it and try again.";
    case Refusal::revoked: return "This voucher has been withdrawn. Please ask the staff for a new one.";
    case Refusal::expired: return "This voucher has expired. Please ask the staff for a new one.";
    case Refusal::used_up:
      return devices == 1 ? std::string("This voucher is already in use on another device.")
                          : "This voucher is already in use on " + std::to_string(devices) +
                                " devices, as many as it allows.";
  }
  return "This voucher code is not valid.";
}

Result<std::vector<Voucher>> VoucherStore::create(const VoucherSpec& spec, std::size_t count,
                                                  VoucherClock::time_point now) {
  if (count == 0 || count > kMaxCreate)
    return make_error(EINVAL, "count must be from 1 to " + std::to_string(kMaxCreate));
  if (spec.duration.count() <= 0 || spec.duration > kMaxDuration)
    return make_error(EINVAL, "duration must be from 1 s to 365 days");
  if (spec.devices == 0 || spec.devices > kMaxDevices)
    return make_error(EINVAL, "devices must be from 1 to " + std::to_string(kMaxDevices));
  for (const auto* limit : {&spec.limits.quota_bytes, &spec.limits.rate_down, &spec.limits.rate_up})
    if (*limit && **limit == 0) return make_error(EINVAL, "a quota or rate of 0 (leave it out for no limit)");
  if (vouchers_.size() + count > kMaxVouchers)
    return make_error(ENOSPC, "the store holds at most " + std::to_string(kMaxVouchers) +
                                  " vouchers (revoked and expired ones count until they are removed)");
  std::set<std::string> taken;
  std::vector<Voucher> made;
  made.reserve(count);
  while (made.size() < count) {
    // A repeat is astronomically rare (birthday bound: 1e5 codes among
    // 3e14, p ~ 2e-5), but two vouchers must never share a code.
    std::string code = random_code();
    if (index_.count(code) || !taken.insert(code).second) continue;
    Voucher v;
    v.code = std::move(code);
    v.spec = spec;
    v.created_at = VoucherClock::time_point(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()));
    made.push_back(v);
  }
  vouchers_.insert(vouchers_.end(), made.begin(), made.end());
  reindex();
  return made;
}

VoucherStore::Outcome VoucherStore::redeem(std::string_view input, const packet::MacAddr& mac,
                                           VoucherClock::time_point now) {
  Outcome out;
  auto code = normalize_code(input);
  if (!code) {
    out.refusal = Refusal::malformed;
    return out;
  }
  Voucher* v = find_mutable(*code);
  if (!v) {
    out.refusal = Refusal::unknown;
    return out;
  }
  out.devices = v->spec.devices;
  if (v->revoked) {
    out.refusal = Refusal::revoked;
    return out;
  }
  if (v->expired(now)) {
    out.refusal = Refusal::expired;
    return out;
  }
  const bool known = std::find(v->macs.begin(), v->macs.end(), mac) != v->macs.end();
  if (!known && v->macs.size() >= v->spec.devices) {
    out.refusal = Refusal::used_up;
    return out;
  }
  Redeemed r;
  r.changed = !known || !v->first_used_at;
  // Whole seconds: the file keeps seconds, and a restart must not move the end.
  if (!v->first_used_at)
    v->first_used_at = VoucherClock::time_point(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()));
  if (!known) v->macs.push_back(mac);
  r.code = v->code;
  r.limits = v->spec.limits;
  r.remaining = std::chrono::duration_cast<std::chrono::seconds>(*v->expires_at() - now);
  // Less than a second left: not expired by the rule above, but a session
  // of 0 s is none; it gets the last second.
  if (r.remaining.count() <= 0) r.remaining = std::chrono::seconds(1);
  out.redeemed = std::move(r);
  return out;
}

Voucher* VoucherStore::find_mutable(std::string_view input) {
  auto code = normalize_code(input);
  if (!code) return nullptr;
  auto it = index_.find(*code);
  return it == index_.end() ? nullptr : &vouchers_[it->second];
}

void VoucherStore::reindex() {
  index_.clear();
  for (std::size_t i = 0; i < vouchers_.size(); ++i) index_.emplace(vouchers_[i].code, i);
}

const Voucher* VoucherStore::find(std::string_view input) const {
  return const_cast<VoucherStore*>(this)->find_mutable(input);
}

Result<bool> VoucherStore::revoke(std::string_view input) {
  Voucher* v = find_mutable(input);
  if (!v) return make_error(ENOENT, "no such voucher: " + excerpt(input));
  if (v->revoked) return false;
  v->revoked = true;
  return true;
}

void VoucherStore::forget(const std::vector<std::string>& codes) {
  std::set<std::string> gone(codes.begin(), codes.end());
  std::erase_if(vouchers_, [&](const Voucher& v) { return gone.count(v.code) > 0; });
  reindex();
}

std::string VoucherStore::format() const { return format_vouchers(vouchers_); }

std::string format_vouchers(const std::vector<Voucher>& vouchers) {
  // One voucher a line: a person can read and diff it.
  std::string text = "{\"version\":" + std::to_string(kVersion) + ",\"vouchers\":[";
  bool first = true;
  for (const auto& v : vouchers) {
    text += first ? "\n" : ",\n";
    text += json::serialize(voucher_json(v));
    first = false;
  }
  text += "\n]}\n";
  return text;
}

Result<VoucherStore> VoucherStore::parse(std::string_view text) {
  if (text.size() > kMaxVoucherFileBytes)
    return make_error(EFBIG, "larger than " + std::to_string(kMaxVoucherFileBytes) + " bytes");
  json::error_code ec;
  json::parse_options options;
  options.max_depth = 8;  // the format is 3 deep; deep junk must not exhaust the stack
  json::value root = json::parse(text, ec, {}, options);
  if (ec) return make_error(EINVAL, "not JSON: " + ec.message());
  if (!root.is_object()) return make_error(EINVAL, "not a JSON object");
  const json::object& o = root.get_object();
  const json::value* version = o.if_contains("version");
  if (!version || !version->is_int64() || version->get_int64() != kVersion)
    return make_error(EINVAL, "\"version\": not 1 (a file from another captive version?)");
  const json::value* list = o.if_contains("vouchers");
  if (!list || !list->is_array()) return make_error(EINVAL, "\"vouchers\": missing or not an array");
  const json::array& rows = list->get_array();
  if (rows.size() > kMaxVouchers) return make_error(EINVAL, "more than " + std::to_string(kMaxVouchers) + " vouchers");
  VoucherStore store;
  store.vouchers_.reserve(rows.size());
  std::set<std::string> seen;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto v = parse_voucher(rows[i], Where{i});
    if (!v) return v.error();
    if (!seen.insert(v->code).second) return Where{i}.fail("code", group_code(v->code) + " twice");
    store.vouchers_.push_back(std::move(*v));
  }
  store.reindex();
  return store;
}

Result<VoucherStore> load_vouchers(const std::string& dir) {
  const std::string path = dir + "/" + std::string(kVoucherFileName);
  // A full stock of vouchers is ~25 MB.
  auto text = util::read_file(path, kMaxVoucherFileBytes, O_NOFOLLOW);
  if (!text) {
    if (text.error().code == ENOENT) return VoucherStore{};
    return text.error();
  }
  auto store = VoucherStore::parse(*text);
  if (!store) return Error{store.error().code, path + ": " + store.error().what};
  return store;
}

Result<void> save_vouchers(const std::string& dir, std::string_view text) {
  return session::write_file_atomically(dir, kVoucherFileName, text);
}

}  // namespace captive::auth
