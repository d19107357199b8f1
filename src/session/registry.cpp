#include "captive/session/registry.hpp"

#include <set>

#include <algorithm>
#include <cerrno>
#include <future>
#include <memory>

namespace captive::session {

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

void Registry::sign_in(const packet::MacAddr& mac, std::optional<packet::IpAddr> ip, std::chrono::seconds timeout,
                       std::string method, Done<void> done, std::optional<Limits> limits_given) {
  const Limits limits = limits_given.value_or(default_limits_);
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
  records_[mac] = Record{key, ip, clocks_.wall(), clocks_.session() + timeout, std::move(method), written, limits};
  on_kernel([this, mac, key, old_key, timeout, limits, previous = std::move(previous), written,
             done = std::move(done)]() mutable {
    if (restoring_) touched_.insert(mac);
    Result<void> result;
    if (old_key) {
      auto removed = set_.remove(*old_key);
      if (!removed && removed.error().code != ENOENT) result = removed.error();
    }
    if (result) result = set_.add(nft::ElementSpec{key, timeout, limits});
    on_home([this, mac, result = std::move(result), previous = std::move(previous), written,
             done = std::move(done)]() mutable {
      if (!result) {
        // Take our record back, unless a later change replaced it.
        auto it = records_.find(mac);
        if (it != records_.end() && it->second.written == written) {
          if (previous)
            it->second = *previous;
          else
            records_.erase(it);
        }
      }
      done(std::move(result));
    });
  });
}

void Registry::revoke(const packet::MacAddr& mac, Done<void> done) {
  // The recorded key first: one netlink round-trip in the common case.
  std::optional<nft::Key> recorded;
  if (auto it = records_.find(mac); it != records_.end()) recorded = it->second.key;
  records_.erase(mac);  // whatever the kernel says, our record is over
  ++sequence_;
  on_kernel([this, mac, recorded, done = std::move(done)]() mutable {
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
      if (!any && !was_pending) return make_error(ENOENT, "revoke " + mac.to_string() + ": not signed in");
      return {};
    }();
    on_home([result = std::move(result), done = std::move(done)]() mutable { done(std::move(result)); });
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
        client.bytes = element.traffic.bytes_up;
        client.packets = element.traffic.packets_up;
        if (element.expires) client.expires_at = wall + std::chrono::duration_cast<Clock::duration>(*element.expires);
        if (auto it = records_.find(element.mac); it != records_.end()) {
          if (!client.ip) client.ip = it->second.ip;
          client.signed_in_at = it->second.signed_in_at;
          client.method = it->second.method;
          still_in.insert(*it);
        }
        clients.push_back(std::move(client));
      }
      for (const auto& [mac, record] : records_)
        if (record.written > asked_at) still_in.insert_or_assign(mac, record);
      if (!partial && !torn) records_ = std::move(still_in);
      done(std::move(clients));
    });
  });
}

std::vector<nft::ElementSpec> Registry::restore_plan() {
  auto now = clocks_.session();
  std::vector<nft::ElementSpec> specs;
  specs.reserve(records_.size());
  for (auto it = records_.begin(); it != records_.end();) {
    auto left = std::chrono::ceil<std::chrono::seconds>(it->second.expires_at - now);
    if (left.count() <= 0) {
      it = records_.erase(it);
      continue;
    }
    specs.push_back(nft::ElementSpec{it->second.key, left, it->second.limits});
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
  auto plan = std::make_shared<std::promise<std::vector<nft::ElementSpec>>>();
  auto planned = plan->get_future();
  executors_.home([this, plan] { plan->set_value(restore_plan()); });
  // Bounded: at shutdown the home thread may have stopped for good.
  if (planned.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
    return make_error(ETIMEDOUT, "restore sessions: the event loop did not answer");
  std::vector<nft::ElementSpec> specs;
  try {
    specs = planned.get();
  } catch (const std::future_error&) {  // the event loop dropped the job unrun (shutdown)
    return make_error(ECANCELED, "restore sessions: the event loop is gone");
  }
  return restore_write(specs);
}

Result<std::size_t> Registry::adopt() {
  // A set dump that meets a resize of the kernel's hash table (which follows
  // a bulk add, in a kernel worker) misses and repeats elements: the dump
  // resumes each part by a count of elements already sent, and the resize
  // changes the walk's order (seen in e2e 075: 97 478 of 100 000 taken over
  // right after loading them). So dump until a dump finds nobody new, and
  // take over the union.
  constexpr int kMaxDumps = 5;
  auto now = clocks_.session();
  std::size_t adopted = 0;
  for (int dump = 0; dump < kMaxDumps; ++dump) {
    auto elements = set_.list();
    if (!elements) return elements.error();
    std::size_t found = 0;
    for (const auto& e : *elements) {
      if (!e.expires || records_.count(e.mac) != 0) continue;
      auto left = std::chrono::duration_cast<SessionClock::duration>(*e.expires);
      records_[e.mac] = Record{nft::Key(e.mac, e.ip), e.ip, std::nullopt, now + left, "", ++sequence_, {}};
      ++found;
    }
    adopted += found;
    if (dump > 0 && found == 0) break;
  }
  return adopted;
}

std::optional<Client> Registry::find(const packet::MacAddr& mac) const {
  auto it = records_.find(mac);
  auto now = clocks_.session();
  if (it == records_.end() || it->second.expires_at <= now) return std::nullopt;
  Client client;
  client.mac = mac;
  client.ip = it->second.ip;
  client.signed_in_at = it->second.signed_in_at;
  client.expires_at = clocks_.wall() + std::chrono::duration_cast<Clock::duration>(it->second.expires_at - now);
  client.method = it->second.method;
  return client;
}

}  // namespace captive::session
