#include "voucher_requests.hpp"

#include <boost/json.hpp>
#include <cerrno>
#include <memory>

#include "captive/control/vouchers.hpp"

namespace captive::control {
namespace json = boost::json;

namespace {

using Reply = std::function<void(std::string)>;

std::int64_t epoch(auth::VoucherClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

json::value optional_number(const std::optional<std::uint64_t>& v) {
  if (!v) return nullptr;
  return *v;
}

json::object voucher_row(const auth::Voucher& v, auth::VoucherClock::time_point now) {
  json::object o;
  o["code"] = auth::group_code(v.code);
  o["seconds"] = v.spec.duration.count();
  o["devices"] = v.spec.devices;
  o["quota_bytes"] = optional_number(v.spec.limits.quota_bytes);
  o["rate_down"] = optional_number(v.spec.limits.rate_down);
  o["rate_up"] = optional_number(v.spec.limits.rate_up);
  o["created_at"] = epoch(v.created_at);
  o["first_used_at"] = v.first_used_at ? json::value(epoch(*v.first_used_at)) : json::value(nullptr);
  auto end = v.expires_at();
  o["expires_at"] = end ? json::value(epoch(*end)) : json::value(nullptr);
  json::array macs;
  for (const auto& m : v.macs) macs.push_back(json::value(m.to_string()));
  o["macs"] = std::move(macs);
  o["revoked"] = v.revoked;
  o["state"] = auth::state_of(v, now);
  return o;
}

// A positive whole number field at most `max`: absent -> nullopt; wrong -> error.
Result<std::optional<std::uint64_t>> number(const json::object& request, std::string_view name, std::uint64_t max) {
  const json::value* v = request.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::uint64_t>{};
  std::uint64_t n = 0;
  if (v->is_uint64()) n = v->get_uint64();
  else if (v->is_int64() && v->get_int64() > 0) n = static_cast<std::uint64_t>(v->get_int64());
  if (n == 0 || n > max)
    return make_error(EINVAL, "\"" + std::string(name) + "\" must be a whole number from 1 to " + std::to_string(max));
  return std::optional<std::uint64_t>{n};
}

void do_create(const json::object& request, VoucherContext& vc, Reply reply) {
  auto count = number(request, "count", auth::kMaxCreate);
  auto seconds = number(request, "seconds", static_cast<std::uint64_t>(auth::kMaxDuration.count()));
  auto devices = number(request, "devices", auth::kMaxDevices);
  auto quota = number(request, "quota_bytes", UINT64_MAX);
  constexpr std::uint64_t kMaxRate = 100'000'000'000ull / 8;  // 100 Gbit/s, as allow's
  auto down = number(request, "rate_down", kMaxRate);
  auto up = number(request, "rate_up", kMaxRate);
  for (auto* r : {&count, &seconds, &devices, &quota, &down, &up})
    if (!*r) return reply(failure("voucher create: " + r->error().what));
  if (!*seconds) return reply(failure("voucher create: \"seconds\" (the duration) is required"));
  auth::VoucherSpec spec;
  spec.duration = std::chrono::seconds(static_cast<std::int64_t>(**seconds));
  spec.devices = static_cast<std::uint32_t>(devices->value_or(1));
  spec.limits.quota_bytes = *quota;
  spec.limits.rate_down = *down;
  spec.limits.rate_up = *up;
  auto made = vc.store->create(spec, count->value_or(1), vc.now());
  if (!made) return reply(failure("voucher create: " + made.error().what));
  json::array rows;
  std::vector<std::string> codes;
  const auto now = vc.now();
  for (const auto& v : *made) {
    rows.push_back(voucher_row(v, now));
    codes.push_back(v.code);
  }
  if (!vc.save) {
    json::object out;
    out["vouchers"] = std::move(rows);
    return reply(success(std::move(out)));
  }
  // Printed codes must be in the file: answered once it is written, and
  // taken back if it cannot be.
  vc.save([&vc, rows = std::move(rows), codes = std::move(codes), reply = std::move(reply)](Result<void> saved) mutable {
    if (!saved) {
      if (vc.store) vc.store->forget(codes);
      return reply(failure("voucher create: not saved, so not created: " + saved.error().message()));
    }
    json::object out;
    out["vouchers"] = std::move(rows);
    reply(success(std::move(out)));
  });
}

const auth::Voucher* voucher_of(const json::object& request, std::string_view verb, VoucherContext& vc,
                                const Reply& reply) {
  const json::value* code = request.if_contains("code");
  if (!code || !code->is_string()) {
    reply(failure("voucher " + std::string(verb) + ": \"code\" (a string) is required"));
    return nullptr;
  }
  std::string_view text = code->get_string();
  if (!auth::normalize_code(text)) {
    reply(failure("voucher " + std::string(verb) + ": not a voucher code: " + excerpt(text)));
    return nullptr;
  }
  const auth::Voucher* v = vc.store->find(text);
  if (!v) reply(failure("no such voucher: " + excerpt(text)));
  return v;
}

// Every session signed in with `label`: the voucher's MACs whose session
// carries its code (a MAC that since signed in otherwise keeps that session).
void end_sessions(session::Registry& registry, const auth::Voucher& voucher, std::function<void(std::size_t)> done) {
  const std::string label = auth::group_code(voucher.code);
  std::vector<packet::MacAddr> macs;
  for (const auto& mac : voucher.macs)
    if (auto client = registry.find(mac); client && client->user == label) macs.push_back(mac);
  if (macs.empty()) return done(0);
  struct Count {
    std::size_t pending, ended = 0;
    std::function<void(std::size_t)> done;
  };
  auto count = std::make_shared<Count>(Count{macs.size(), 0, std::move(done)});
  for (const auto& mac : macs)
    registry.revoke(mac, session::EndCause::revoke, [count](Result<void> r) {
      if (r) ++count->ended;
      if (--count->pending == 0) count->done(count->ended);
    });
}

void do_revoke(const json::object& request, Context& context, VoucherContext& vc, Reply reply) {
  const auth::Voucher* v = voucher_of(request, "revoke", vc, reply);
  if (!v) return;
  auto changed = vc.store->revoke(v->code);
  if (!changed) return reply(failure("voucher revoke: " + changed.error().what));
  auto finish = [&context, code = v->code, changed = *changed, reply = std::move(reply)](Result<void> saved) {
    if (!saved) return reply(failure("voucher revoke: revoked, but not saved (a restart brings it back): " +
                                     saved.error().message()));
    const auth::Voucher* again = context.vouchers && context.vouchers->store ? context.vouchers->store->find(code)
                                                                              : nullptr;
    if (!again) return reply(failure("voucher revoke: the voucher is gone"));
    end_sessions(context.registry, *again, [code, changed, reply](std::size_t ended) {
      json::object out;
      out["code"] = auth::group_code(code);
      out["changed"] = changed;
      out["sessions_ended"] = ended;
      reply(success(std::move(out)));
    });
  };
  if (vc.save && *changed) return vc.save(std::move(finish));
  finish(Result<void>{});
}

}  // namespace

void handle_voucher_request(std::string_view name, const json::object& request, Context& context, Reply reply) {
  if (!context.vouchers) return reply(failure("vouchers are not enabled in this captived (--auth voucher)"));
  VoucherContext& vc = *context.vouchers;
  if (!vc.store) return reply(failure("vouchers are unavailable: " + vc.problem));
  if (name == "voucher_create") return do_create(request, vc, std::move(reply));
  if (name == "voucher_revoke") return do_revoke(request, context, vc, std::move(reply));
  const auto now = vc.now();
  if (name == "voucher_list") {
    json::array rows;
    for (const auto& v : vc.store->vouchers()) rows.push_back(voucher_row(v, now));
    json::object out;
    out["network"] = vc.network ? vc.network() : std::string();
    out["vouchers"] = std::move(rows);
    return reply(success(std::move(out)));
  }
  if (name == "voucher_show") {
    const auth::Voucher* v = voucher_of(request, "show", vc, reply);
    if (!v) return;
    json::object out;
    out["voucher"] = voucher_row(*v, now);
    return reply(success(std::move(out)));
  }
  reply(failure("unknown command: " + excerpt(name)));
}

}  // namespace captive::control
