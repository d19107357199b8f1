#include "captive/session/registry.hpp"

#include <algorithm>
#include <cerrno>

namespace captive::session {

Registry::Registry(nft::SetWriter& set, NowFn now, Binding binding)
    : set_(set), now_(std::move(now)), binding_(binding) {}

Result<void> Registry::sign_in(const packet::MacAddr& mac, std::optional<packet::IpAddr> ip,
                               std::chrono::seconds timeout, std::string method) {
  nft::Key key(mac);
  if (binding_ == Binding::mac_ip) {
    if (!ip) return make_error(EINVAL, "sign in " + mac.to_string() + ": no address to bind the session to");
    key.ip = ip->unmapped();
  }
  // Signing in again from elsewhere (bound sessions): the old binding goes.
  if (auto it = records_.find(mac); it != records_.end() && it->second.key != key) {
    auto removed = set_.remove(it->second.key);
    if (!removed && removed.error().code != ENOENT) return removed.error();
  }
  if (auto added = set_.add(key, timeout); !added) return added.error();
  auto now = now_();
  records_[mac] = Record{key, ip, now, now + timeout, std::move(method)};
  return {};
}

Result<void> Registry::revoke(const packet::MacAddr& mac) {
  // The recorded key first: one netlink round-trip in the common case.
  std::optional<nft::Key> recorded;
  if (auto it = records_.find(mac); it != records_.end()) recorded = it->second.key;
  records_.erase(mac);  // whatever the kernel says, our record is over
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
  if (!any) return make_error(ENOENT, "revoke " + mac.to_string() + ": not signed in");
  return {};
}

Result<std::vector<Client>> Registry::list() {
  auto elements = set_.list();
  if (!elements) return elements.error();
  auto now = now_();
  std::vector<Client> clients;
  clients.reserve(elements->size());
  std::map<packet::MacAddr, Record> still_in;
  for (const auto& element : *elements) {
    Client client;
    client.mac = element.mac;
    client.ip = element.ip;
    client.bytes = element.bytes;
    client.packets = element.packets;
    if (element.expires)
      client.expires_at = now + std::chrono::duration_cast<Clock::duration>(*element.expires);
    if (auto it = records_.find(element.mac); it != records_.end()) {
      if (!client.ip) client.ip = it->second.ip;
      client.signed_in_at = it->second.signed_in_at;
      client.method = it->second.method;
      still_in.insert(*it);
    }
    clients.push_back(std::move(client));
  }
  records_ = std::move(still_in);
  return clients;
}

Result<std::size_t> Registry::restore() {
  auto now = now_();
  std::vector<nft::ElementSpec> specs;
  specs.reserve(records_.size());
  for (auto it = records_.begin(); it != records_.end();) {
    auto left = std::chrono::ceil<std::chrono::seconds>(it->second.expires_at - now);
    if (left.count() <= 0) {
      it = records_.erase(it);
      continue;
    }
    specs.push_back(nft::ElementSpec{it->second.key, left});
    ++it;
  }
  if (specs.empty()) return std::size_t{0};
  // A bulk batch holds one set's elements: group them (MAC, MAC . IPv4, MAC . IPv6).
  auto set_of = [](const nft::ElementSpec& e) { return !e.key.ip ? 0 : e.key.ip->is_v4() ? 1 : 2; };
  std::stable_sort(specs.begin(), specs.end(),
                   [&](const nft::ElementSpec& a, const nft::ElementSpec& b) { return set_of(a) < set_of(b); });
  if (auto added = set_.add_many(specs); !added) return added.error();
  return specs.size();
}

Result<std::size_t> Registry::adopt() {
  auto elements = set_.list();
  if (!elements) return elements.error();
  auto now = now_();
  std::size_t adopted = 0;
  for (const auto& e : *elements) {
    if (!e.expires || records_.count(e.mac) != 0) continue;
    auto left = std::chrono::duration_cast<Clock::duration>(*e.expires);
    records_[e.mac] = Record{nft::Key(e.mac, e.ip), e.ip, std::nullopt, now + left, ""};
    ++adopted;
  }
  return adopted;
}

std::optional<Client> Registry::find(const packet::MacAddr& mac) const {
  auto it = records_.find(mac);
  if (it == records_.end() || it->second.expires_at <= now_()) return std::nullopt;
  Client client;
  client.mac = mac;
  client.ip = it->second.ip;
  client.signed_in_at = it->second.signed_in_at;
  client.expires_at = it->second.expires_at;
  client.method = it->second.method;
  return client;
}

}  // namespace captive::session
