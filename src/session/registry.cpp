#include "captive/session/registry.hpp"

#include <cerrno>

namespace captive::session {

Registry::Registry(nft::SetWriter& set, NowFn now) : set_(set), now_(std::move(now)) {}

Result<void> Registry::sign_in(const packet::MacAddr& mac, std::optional<packet::IpAddr> ip,
                               std::chrono::seconds timeout, std::string method) {
  if (auto added = set_.add(mac, timeout); !added) return added.error();
  auto now = now_();
  records_[mac] = Record{ip, now, now + timeout, std::move(method)};
  return {};
}

Result<void> Registry::revoke(const packet::MacAddr& mac) {
  auto removed = set_.remove(mac);
  // Whatever the kernel said, our record of a session it may not have is stale.
  records_.erase(mac);
  return removed;
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
    client.bytes = element.bytes;
    client.packets = element.packets;
    if (element.expires)
      client.expires_at = now + std::chrono::duration_cast<Clock::duration>(*element.expires);
    if (auto it = records_.find(element.mac); it != records_.end()) {
      client.ip = it->second.ip;
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
    specs.push_back(nft::ElementSpec{it->first, left});
    ++it;
  }
  if (specs.empty()) return std::size_t{0};
  if (auto added = set_.add_many(specs); !added) return added.error();
  return specs.size();
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
