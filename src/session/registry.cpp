#include "captive/session/registry.hpp"

#include <sodium.h>

#include <set>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <future>
#include <memory>
#include <optional>

#include "captive/session/state_file.hpp"
#include "captive/util/log.hpp"

namespace captive::session {

namespace {

// What the kernel elements of the session have counted: up by the
// `allowed` element, down by the session mark's `allowed_down` element
// (docs/ruleset.md).
Traffic counted(const nft::Element& e) { return e.traffic; }

// A counter below the one read before: the element was re-created (by a
// flush and restore we did not see, or by hand) and counts from 0 again.
bool went_back(const Traffic& now, const Traffic& before) {
  return now.bytes_up < before.bytes_up || now.packets_up < before.packets_up || now.bytes_down < before.bytes_down ||
         now.packets_down < before.packets_down;
}

Traffic minus(const Traffic& a, const Traffic& b) {
  return Traffic{a.bytes_up - b.bytes_up, a.packets_up - b.packets_up, a.bytes_down - b.bytes_down,
                 a.packets_down - b.packets_down};
}

constexpr std::chrono::seconds kMaxSession{365LL * 86400};

}  // namespace

Traffic operator+(const Traffic& a, const Traffic& b) {
  return Traffic{a.bytes_up + b.bytes_up, a.packets_up + b.packets_up, a.bytes_down + b.bytes_down,
                 a.packets_down + b.packets_down};
}

namespace {
// One word: a log reader splits the line on blanks.
std::string user_field(std::string_view user) {
  if (user.empty()) return {};
  std::string out = " user=";
  for (unsigned char c : user.substr(0, 128)) out += (c > 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return out;
}
}  // namespace

std::string end_line(const Ended& e) {
  std::string duration = "-";
  if (e.signed_in_at)
    duration = std::to_string(
                   std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(e.ended_at - *e.signed_in_at).count())) +
               "s";
  char counts[160];
  std::snprintf(counts, sizeof counts, " bytes_up=%" PRIu64 " bytes_down=%" PRIu64 " packets_up=%" PRIu64 " packets_down=%" PRIu64,
                e.traffic.bytes_up, e.traffic.bytes_down, e.traffic.packets_up, e.traffic.packets_down);
  return "session end mac=" + e.mac.to_string() + " ip=" + (e.ip ? e.ip->to_string() : "-") +
         " cause=" + std::string(to_string(e.cause)) + " method=" + (e.method.empty() ? "-" : e.method) +
         " duration=" + duration + counts + user_field(e.user);
}

Registry::Registry(nft::SetWriter& set, Clocks clocks, Binding binding, Executors executors)
    : set_(set), clocks_(std::move(clocks)), binding_(binding), executors_(std::move(executors)) {}

void Registry::on_kernel(Job job) {
  if (executors_.kernel)
    executors_.kernel(std::move(job));
  else
    job();
}

void Registry::on_home(Job job) {
  if (executors_.home)
    executors_.home(std::move(job));
  else
    job();
}

namespace {
// `base` with each limit `over` sets put in its place.
Limits overlaid(Limits base, const Limits& over) {
  if (over.idle_timeout) base.idle_timeout = over.idle_timeout;
  if (over.quota_bytes) base.quota_bytes = over.quota_bytes;
  if (over.rate_down) base.rate_down = over.rate_down;
  if (over.rate_up) base.rate_up = over.rate_up;
  return base;
}
}  // namespace

Limits Registry::effective(const Limits& own) const { return overlaid(defaults_, own); }

void Registry::carry(Record& record) {
  record.offset = record.offset + record.element;
  record.element = Traffic{};
}

Client Registry::client_of(const packet::MacAddr& mac, const Record& record) const {
  Client client;
  client.mac = mac;
  client.ip = record.ip;
  client.signed_in_at = record.signed_in_at;
  client.expires_at =
      clocks_.wall() + std::chrono::duration_cast<Clock::duration>(record.expires_at - clocks_.session());
  client.method = record.method;
  client.user = record.user;
  client.limits = effective(record.limits);
  client.traffic = record.offset + record.element;
  client.acct_session_id = record.acct_session_id;
  return client;
}

void Registry::ended(const packet::MacAddr& mac, const Record& record, EndCause cause) {
  Ended e{mac,          record.ip,      cause, record.method, record.signed_in_at, clocks_.wall(),
          record.offset + record.element, record.user, record.acct_session_id};
  LOG_INFO("%s", end_line(e).c_str());
  if (hooks_.on_end) hooks_.on_end(e);
  changed(true);
}

void Registry::sign_in(const packet::MacAddr& mac, std::optional<packet::IpAddr> ip, std::chrono::seconds timeout,
                       std::string method, Done<void> done) {
  sign_in(mac, ip, SignIn{timeout, std::move(method), {}, {}}, std::move(done));
}

void Registry::sign_in(const packet::MacAddr& mac, std::optional<packet::IpAddr> ip, SignIn how, Done<void> done) {
  const std::chrono::seconds timeout = how.duration;
  if (timeout.count() <= 0 || timeout > kMaxSession)
    return done(make_error(EINVAL, "sign in " + mac.to_string() + ": a session lasts 1 s to 365 days"));
  nft::Key key(mac);
  if (binding_ == Binding::mac_ip) {
    if (!ip) return done(make_error(EINVAL, "sign in " + mac.to_string() + ": no address to bind the session to"));
    key.ip = ip->unmapped();
  }
  // Signing in again from elsewhere (bound sessions): the old binding goes.
  std::optional<nft::Key> old_key;
  std::optional<Record> previous;
  if (auto it = records_.find(mac); it != records_.end()) {
    previous = it->second;
    if (it->second.key != key) old_key = it->second.key;
  }
  // Recorded now, so a revoke or list issued before the kernel answers sees
  // it; the kernel jobs run in issue order, so they see the element too.
  std::uint64_t written = ++sequence_;
  Record record;
  record.key = key;
  record.ip = ip;
  record.signed_in_at = clocks_.wall();
  record.expires_at = clocks_.session() + timeout;
  record.method = std::move(how.method);
  record.user = std::move(how.user);
  record.limits = how.limits;
  record.acct_session_id = std::move(how.acct_session_id);
  record.written = written;
  record.active_at = clocks_.session();
  // Signed in already: the same session goes on, its counts too (the
  // element is re-created and counts from 0).
  if (previous) {
    record.offset = previous->offset;
    record.element = previous->element;
    carry(record);
    // RFC 2866 §5.5: one Acct-Session-Id per session, and this one goes on.
    if (!previous->acct_session_id.empty()) record.acct_session_id = previous->acct_session_id;
  }
  if (record.acct_session_id.empty()) record.acct_session_id = new_acct_session_id();
  const bool started = !previous;
  records_[mac] = std::move(record);
  changed(true);
  // The rates go to the kernel with the element (the defaults where the
  // session has none of its own); read here, on the home thread.
  const Limits limits = effective(how.limits);
  on_kernel([this, mac, key, old_key, timeout, limits, previous = std::move(previous), written, started,
             done = std::move(done)]() mutable {
    if (restoring_) touched_.insert(mac);
    Result<void> result;
    if (old_key) {
      auto removed = set_.remove(*old_key);
      if (!removed && removed.error().code != ENOENT) result = removed.error();
    }
    if (result) result = set_.add(nft::ElementSpec{key, timeout, limits});
    on_home([this, mac, result = std::move(result), previous = std::move(previous), written, started,
             done = std::move(done)]() mutable {
      if (result && started && hooks_.on_start) {
        if (auto it = records_.find(mac); it != records_.end() && it->second.written == written)
          hooks_.on_start(client_of(mac, it->second));
      }
      if (!result) {
        // Take our record back, unless a later change replaced it.
        auto it = records_.find(mac);
        if (it != records_.end() && it->second.written == written) {
          if (previous)
            it->second = *previous;
          else
            records_.erase(it);
        }
        changed(true);
      }
      done(std::move(result));
    });
  });
}

void Registry::revoke(const packet::MacAddr& mac, EndCause cause, Done<void> done) {
  // The recorded key first: one netlink round-trip in the common case.
  std::optional<nft::Key> recorded;
  std::optional<Record> record;
  if (auto it = records_.find(mac); it != records_.end()) {
    recorded = it->second.key;
    record = std::move(it->second);
    records_.erase(it);  // whatever the kernel says, our record is over
  }
  ++sequence_;
  on_kernel([this, mac, cause, recorded, record = std::move(record), done = std::move(done)]() mutable {
    // Mid-restore, a session we know of may be missing from the half-built
    // set: it is skipped now (touched_), so the revoke did its work.
    bool was_pending = restoring_ && (recorded || to_restore_.count(mac) != 0);
    if (restoring_) touched_.insert(mac);
    auto result = [&]() -> Result<void> {
      if (recorded) {
        auto removed = set_.remove(*recorded);
        if (removed || removed.error().code != ENOENT) return removed;
      }
      // Not recorded (signed in before a restart, or added by hand): every
      // element of this MAC, in any of the sets.
      auto elements = set_.list();
      if (!elements) return elements.error();
      bool any = false;
      for (const auto& e : *elements) {
        if (e.mac != mac) continue;
        auto removed = set_.remove(nft::Key(e.mac, e.ip));
        if (!removed && removed.error().code != ENOENT) return removed.error();
        any = any || removed.has_value();
      }
      // Not back in the set yet, but about to be: it stays out now.
      if (!any && !was_pending)
        return make_error(ENOENT, std::string(to_string(cause)) + " " + mac.to_string() + ": not signed in");
      return {};
    }();
    // The element is gone: from here no new flow of this client is let
    // through, so flows cut now stay cut.
    if (result && executors_.on_end) executors_.on_end(SessionEnd{mac, record ? record->ip : std::nullopt, cause});
    on_home([this, mac, cause, record = std::move(record), result = std::move(result),
             done = std::move(done)]() mutable {
      Record what = record ? *record : Record{};
      if (result) {
        ended(mac, what, cause);
      } else if (record && result.error().code == ENOENT) {
        // Gone from the kernel before we came: its time was up, or somebody
        // deleted it by hand.
        ended(mac, what, record->expires_at <= clocks_.session() ? EndCause::timeout : EndCause::admin);
      }
      done(std::move(result));
    });
  });
}

void Registry::extend(const packet::MacAddr& mac, std::chrono::seconds more, Done<std::chrono::seconds> done) {
  if (more.count() <= 0 || more > kMaxSession)
    return done(make_error(EINVAL, "extend " + mac.to_string() + ": by 1 s to 365 days"));
  recreate(
      mac, "extend", Limits{},
      [mac, more](std::chrono::seconds kernel_left) -> Result<std::chrono::seconds> {
        if (kernel_left + more > kMaxSession)
          return make_error(EINVAL, "extend " + mac.to_string() + ": longer than 365 days in all");
        return kernel_left + more;
      },
      std::move(done));
}

void Registry::change(const packet::MacAddr& mac, std::optional<std::chrono::seconds> timeout, const Limits& limits,
                      Done<void> done) {
  if (timeout && (timeout->count() <= 0 || *timeout > kMaxSession))
    return done(make_error(EINVAL, "change " + mac.to_string() + ": a session lasts 1 s to 365 days"));
  recreate(
      mac, "change", limits,
      [mac, timeout](std::chrono::seconds kernel_left) -> Result<std::chrono::seconds> {
        const auto left = timeout ? *timeout : kernel_left;
        if (left.count() <= 0) return make_error(ENOENT, "change " + mac.to_string() + ": not signed in");
        return left;
      },
      [done = std::move(done)](Result<std::chrono::seconds> set) mutable {
        if (!set) return done(set.error());
        done(Result<void>{});
      });
}

void Registry::recreate(const packet::MacAddr& mac, const char* verb, const Limits& changes, LeftOf left_of,
                        Done<std::chrono::seconds> done) {
  auto it = records_.find(mac);
  if (it == records_.end() || it->second.expires_at <= clocks_.session())
    return done(make_error(ENOENT, std::string(verb) + " " + mac.to_string() + ": not signed in"));
  const Limits own = overlaid(it->second.limits, changes);
  const Limits in_force = effective(own);  // the rates go with the new element
  const nft::Key key = it->second.key;
  const std::uint64_t written = ++sequence_;
  it->second.written = written;
  on_kernel([this, mac, verb, key, in_force, own, left_of = std::move(left_of), written,
             done = std::move(done)]() mutable {
    // The kernel's time left is the truth, and its counter is what the
    // re-created element would lose: read both first. A dump costs, but
    // these are an operator's (or a RADIUS server's) commands, not a
    // packet's.
    struct Outcome {
      std::chrono::seconds left{0};
      Traffic counts;
    };
    auto result = [&]() -> Result<Outcome> {
      auto elements = set_.list();
      if (!elements) return elements.error();
      for (const auto& e : *elements) {
        if (nft::Key(e.mac, e.ip) != key || !e.expires) continue;
        auto left = left_of(std::chrono::ceil<std::chrono::seconds>(*e.expires));
        if (!left) return left.error();
        if (auto added = set_.add(nft::ElementSpec{key, *left, in_force}); !added) return added.error();
        return Outcome{*left, counted(e)};
      }
      return make_error(ENOENT, std::string(verb) + " " + mac.to_string() + ": not signed in");
    }();
    on_home([this, mac, written, own, result = std::move(result), done = std::move(done)]() mutable {
      if (!result) return done(result.error());
      if (auto it = records_.find(mac); it != records_.end() && it->second.written == written) {
        Record& r = it->second;
        if (went_back(result->counts, r.element)) carry(r);
        r.element = result->counts;
        carry(r);
        r.limits = own;
        r.expires_at = clocks_.session() + result->left;
        changed(true);
      }
      done(result->left);
    });
  });
}

void Registry::list(Done<std::vector<Client>> done) {
  // Records written after this point are newer than the kernel's answer:
  // they stay even if the answer does not hold them yet.
  std::uint64_t asked_at = sequence_;
  on_kernel([this, asked_at, done = std::move(done)]() mutable {
    auto elements = set_.list();
    // Half restored, the set is no judge of which sessions are over.
    bool partial = restoring_;
    on_home([this, asked_at, partial, elements = std::move(elements), done = std::move(done)]() mutable {
      if (!elements) return done(elements.error());
      auto wall = clocks_.wall();
      auto now = clocks_.session();
      bool counts_moved = false;
      std::vector<Client> clients;
      clients.reserve(elements->size());
      std::map<packet::MacAddr, Record> still_in;
      // A dump that met a resize of the kernel's hash table repeats some
      // elements and misses others (see adopt()): a repeat says the dump
      // is no judge of which sessions are over.
      std::set<nft::Key> keys;
      bool torn = false;
      for (const auto& element : *elements) {
        if (!keys.insert(nft::Key(element.mac, element.ip)).second) {
          torn = true;
          continue;
        }
        Client client;
        client.mac = element.mac;
        client.ip = element.ip;
        client.traffic = counted(element);
        client.limits = defaults_;
        if (element.expires) client.expires_at = wall + std::chrono::duration_cast<Clock::duration>(*element.expires);
        if (auto it = records_.find(element.mac); it != records_.end()) {
          Record& r = it->second;
          // Counts of a record changed after we asked belong to an element
          // this answer does not show yet.
          if (r.written <= asked_at && r.key == nft::Key(element.mac, element.ip)) {
            const Traffic now_counted = counted(element);
            if (went_back(now_counted, r.element)) carry(r);
            if (now_counted != r.element) {
              r.active_at = now;
              counts_moved = true;
            }
            r.element = now_counted;
          }
          if (!client.ip) client.ip = r.ip;
          client.signed_in_at = r.signed_in_at;
          client.method = r.method;
          client.user = r.user;
          client.acct_session_id = r.acct_session_id;
          client.limits = effective(r.limits);
          client.traffic = r.offset + r.element;
          still_in.insert(*it);
        }
        clients.push_back(std::move(client));
      }
      for (const auto& [mac, record] : records_)
        if (record.written > asked_at) still_in.insert_or_assign(mac, record);
      if (!partial && !torn) {
        std::vector<std::pair<packet::MacAddr, Record>> over;
        for (auto& [mac, record] : records_)
          if (still_in.count(mac) == 0) over.emplace_back(mac, std::move(record));
        records_ = std::move(still_in);
        // The kernel timed it out, or somebody deleted it by hand (a second
        // of slack: the kernel counts in jiffies, we in nanoseconds).
        for (const auto& [mac, record] : over)
          ended(mac, record,
                record.expires_at <= now + std::chrono::seconds(1) ? EndCause::timeout : EndCause::admin);
      }
      if (counts_moved) changed(false);
      done(std::move(clients));
    });
  });
}

void Registry::sweep(Done<std::size_t> done) {
  list([this, done = std::move(done)](Result<std::vector<Client>> clients) mutable {
    if (!clients) return done(clients.error());
    const auto now = clocks_.session();
    std::vector<std::pair<packet::MacAddr, EndCause>> to_end;
    for (const auto& [mac, record] : records_) {
      const Limits limits = effective(record.limits);
      const Traffic total = record.offset + record.element;
      if (limits.quota_bytes && total.bytes_up + total.bytes_down >= *limits.quota_bytes)
        to_end.emplace_back(mac, EndCause::quota);
      else if (limits.idle_timeout && now - record.active_at >= *limits.idle_timeout)
        to_end.emplace_back(mac, EndCause::idle);
    }
    for (const auto& [mac, cause] : to_end)
      revoke(mac, cause, [mac = mac](Result<void> revoked) {
        if (!revoked && revoked.error().code != ENOENT)
          LOG_WARN("end session %s: %s", mac.to_string().c_str(), revoked.error().message().c_str());
      });
    done(to_end.size());
  });
}

std::vector<nft::ElementSpec> Registry::restore_plan() {
  auto now = clocks_.session();
  std::vector<nft::ElementSpec> specs;
  specs.reserve(records_.size());
  for (auto it = records_.begin(); it != records_.end();) {
    auto left = std::chrono::ceil<std::chrono::seconds>(it->second.expires_at - now);
    if (left.count() <= 0) {
      Record over = std::move(it->second);
      const packet::MacAddr mac = it->first;
      it = records_.erase(it);
      ended(mac, over, EndCause::timeout);
      continue;
    }
    specs.push_back(nft::ElementSpec{it->second.key, left, effective(it->second.limits)});
    carry(it->second);  // a new element, counting from 0
    ++it;
  }
  // A bulk batch holds one set's elements: group them (MAC, MAC . IPv4, MAC . IPv6).
  auto set_of = [](const nft::ElementSpec& e) { return !e.key.ip ? 0 : e.key.ip->is_v4() ? 1 : 2; };
  std::stable_sort(specs.begin(), specs.end(),
                   [&](const nft::ElementSpec& a, const nft::ElementSpec& b) { return set_of(a) < set_of(b); });
  return specs;
}

Result<std::size_t> Registry::restore() { return restore_write(restore_plan()); }

Result<std::size_t> Registry::restore_write(const std::vector<nft::ElementSpec>& specs) {
  if (specs.empty()) return std::size_t{0};
  restoring_ = true;
  touched_.clear();
  to_restore_.clear();
  for (const auto& spec : specs) to_restore_.insert(spec.key.mac);
  std::size_t added = 0;
  Result<void> result;
  std::vector<nft::ElementSpec> batch;
  batch.reserve(kRestoreBatch);
  for (std::size_t at = 0; at < specs.size() && result; at += kRestoreBatch) {
    if (at > 0 && executors_.kernel_yield) executors_.kernel_yield();
    batch.clear();
    for (std::size_t i = at; i < std::min(specs.size(), at + kRestoreBatch); ++i) {
      to_restore_.erase(specs[i].key.mac);
      if (touched_.count(specs[i].key.mac) == 0) batch.push_back(specs[i]);
    }
    if (batch.empty()) continue;
    result = set_.add_many(batch);
    if (result) added += batch.size();
  }
  restoring_ = false;
  touched_.clear();
  to_restore_.clear();
  if (!result) return result.error();
  return added;
}

Result<std::size_t> Registry::restore_from_kernel_thread() {
  if (!executors_.home) return restore();
  // The plan is made at home (records_ lives there); the bulk add runs here,
  // on the kernel worker, so jobs issued meanwhile queue behind it.
  // The event loop may drop the job unrun (shutdown): then the reply is
  // destroyed unset and answers "no plan" itself, instead of a
  // broken_promise, which needs exceptions (router builds have none).
  struct PlanReply {
    std::promise<std::optional<std::vector<nft::ElementSpec>>> promise;
    bool sent = false;
    void send(std::vector<nft::ElementSpec> specs) {
      promise.set_value(std::move(specs));
      sent = true;
    }
    ~PlanReply() {
      if (!sent) promise.set_value(std::nullopt);
    }
  };
  auto plan = std::make_shared<PlanReply>();
  auto planned = plan->promise.get_future();
  executors_.home([this, plan] { plan->send(restore_plan()); });
  plan.reset();
  // Bounded: at shutdown the home thread may have stopped for good.
  if (planned.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
    return make_error(ETIMEDOUT, "restore sessions: the event loop did not answer");
  auto specs = planned.get();
  if (!specs) return make_error(ECANCELED, "restore sessions: the event loop is gone");
  return restore_write(*specs);
}

Result<std::map<nft::Key, nft::Element>> Registry::dump_until_stable() {
  // A set dump that meets a resize of the kernel's hash table (which follows
  // a bulk add, in a kernel worker) misses and repeats elements: the dump
  // resumes each part by a count of elements already sent, and the resize
  // changes the walk's order (seen in e2e 075: 97 478 of 100 000 taken over
  // right after loading them). So dump until a dump finds nobody new, and
  // take the union.
  constexpr int kMaxDumps = 5;
  std::map<nft::Key, nft::Element> present;
  for (int dump = 0; dump < kMaxDumps; ++dump) {
    auto elements = set_.list();
    if (!elements) return elements.error();
    std::size_t found = 0;
    for (const auto& e : *elements)
      if (present.emplace(nft::Key(e.mac, e.ip), e).second) ++found;
    if (dump > 0 && found == 0) break;
  }
  return present;
}

std::size_t Registry::adopt_elements(const std::map<nft::Key, nft::Element>& present) {
  auto now = clocks_.session();
  std::size_t adopted = 0;
  for (const auto& [key, e] : present) {
    if (!e.expires || records_.count(e.mac) != 0) continue;
    auto left = std::chrono::duration_cast<SessionClock::duration>(*e.expires);
    Record record;
    record.key = key;
    record.ip = e.ip;
    record.expires_at = now + left;
    record.written = ++sequence_;
    record.element = counted(e);
    record.active_at = now;
    record.acct_session_id = new_acct_session_id();
    records_[e.mac] = std::move(record);
    ++adopted;
  }
  return adopted;
}

Result<std::size_t> Registry::adopt() {
  auto present = dump_until_stable();
  if (!present) return present.error();
  return adopt_elements(*present);
}

std::vector<Client> Registry::known() const {
  std::vector<Client> out;
  const auto now = clocks_.session();
  for (const auto& [mac, r] : records_)
    if (r.expires_at > now) out.push_back(client_of(mac, r));
  return out;
}

std::string new_acct_session_id() {
  std::uint8_t random[8];
  randombytes_buf(random, sizeof random);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string id;
  for (const auto b : random) {
    id += kHex[b >> 4];
    id += kHex[b & 0xf];
  }
  return id;
}

std::optional<Client> Registry::find(const packet::MacAddr& mac) const {
  auto it = records_.find(mac);
  if (it == records_.end() || it->second.expires_at <= clocks_.session()) return std::nullopt;
  return client_of(mac, it->second);
}

Result<Resumed> Registry::resume(const std::vector<StoredSession>& stored) {
  Resumed out;
  const auto wall = clocks_.wall();
  const auto now = clocks_.session();
  for (const auto& s : stored) {
    Record record;
    record.key = nft::Key(s.mac);
    if (binding_ == Binding::mac_ip && s.ip) record.key.ip = s.ip->unmapped();
    record.ip = s.ip;
    record.signed_in_at = s.signed_in_at;
    record.method = s.method;
    record.user = s.user;
    record.limits = s.limits;
    // A file from before Acct-Session-Id was kept: a new one from now on.
    record.acct_session_id = s.acct_session_id.empty() ? new_acct_session_id() : s.acct_session_id;
    record.offset = minus(s.traffic, s.element);
    record.element = s.element;
    record.active_at = now;
    record.written = ++sequence_;
    // Wall clock: the only clock that went on while we (or the machine)
    // were down. A router whose clock is stepped later at boot (no RTC)
    // sees sessions longer or shorter by the step (docs/operations.md).
    const auto left = std::chrono::ceil<std::chrono::seconds>(s.expires_at - wall);
    if (left.count() <= 0) {
      record.expires_at = now;
      ended(s.mac, record, EndCause::timeout);
      ++out.expired;
      continue;
    }
    if (binding_ == Binding::mac_ip && !s.ip) {
      LOG_WARN("state file: session of %s has no address to bind to (--bind-ip): not resumed", s.mac.to_string().c_str());
      continue;
    }
    record.expires_at = now + left;
    records_[s.mac] = std::move(record);
  }
  // Which of them the kernel still holds (a restart) and which it lost (a
  // reboot, or a flush while we were down).
  auto dumped = dump_until_stable();
  if (!dumped) return dumped.error();
  const auto& present = *dumped;
  std::vector<nft::ElementSpec> missing;
  for (auto& [mac, record] : records_) {
    auto it = present.find(record.key);
    if (it != present.end() && it->second.expires) {
      record.expires_at = now + std::chrono::duration_cast<SessionClock::duration>(*it->second.expires);
      const Traffic c = counted(it->second);
      if (went_back(c, record.element)) carry(record);
      record.element = c;
      ++out.kept;
      continue;
    }
    carry(record);  // put back as a new element, counting from 0
    missing.push_back(
        nft::ElementSpec{record.key, std::chrono::ceil<std::chrono::seconds>(record.expires_at - now), effective(record.limits)});
  }
  auto set_of = [](const nft::ElementSpec& e) { return !e.key.ip ? 0 : e.key.ip->is_v4() ? 1 : 2; };
  std::stable_sort(missing.begin(), missing.end(),
                   [&](const nft::ElementSpec& a, const nft::ElementSpec& b) { return set_of(a) < set_of(b); });
  for (std::size_t at = 0; at < missing.size(); at += kRestoreBatch) {
    auto batch = std::span(missing).subspan(at, std::min(kRestoreBatch, missing.size() - at));
    if (auto added = set_.add_many(batch); !added) return added.error();
  }
  out.restored = missing.size();
  out.adopted = adopt_elements(present);
  return out;
}

std::vector<StoredSession> Registry::snapshot() const {
  const auto wall = clocks_.wall();
  const auto now = clocks_.session();
  std::vector<StoredSession> out;
  out.reserve(records_.size());
  for (const auto& [mac, r] : records_) {
    if (r.expires_at <= now) continue;
    StoredSession s;
    s.mac = mac;
    s.ip = r.ip;
    s.method = r.method;
    s.user = r.user;
    s.signed_in_at = r.signed_in_at;
    s.expires_at = wall + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::ceil<std::chrono::seconds>(r.expires_at - now));
    s.limits = r.limits;
    s.acct_session_id = r.acct_session_id;
    s.traffic = r.offset + r.element;
    s.element = r.element;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace captive::session
