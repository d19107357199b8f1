// In-memory stand-ins for the kernel adapters, for service tests.
#pragma once

#include <cerrno>
#include <map>
#include <optional>

#include "captive/neigh/neighbours.hpp"
#include "captive/nft/allowed_set.hpp"

namespace captive::testing {

class FakeSet final : public nft::SetWriter {
 public:
  Result<void> add(const nft::Key& key, std::chrono::seconds timeout) override {
    if (fail_next) {
      fail_next = false;
      return make_error(ENOBUFS, "add " + key.to_string());
    }
    elements[key] = timeout;
    return {};
  }
  Result<void> add_many(std::span<const nft::ElementSpec> specs) override {
    ++bulk_adds;
    for (const auto& spec : specs) elements[spec.key] = spec.timeout;
    return {};
  }
  Result<void> remove(const nft::Key& key) override {
    if (elements.erase(key) == 0) return make_error(ENOENT, "delete " + key.to_string());
    return {};
  }
  Result<std::vector<nft::Element>> list() override {
    std::vector<nft::Element> out;
    ++lists;
    std::size_t index = 0;
    for (auto& [key, timeout] : elements) {
      // A dump that met a resize of the kernel's hash table misses elements.
      if (lists <= torn_lists && index++ % 3 == static_cast<std::size_t>(lists % 3)) continue;
      nft::Element e;
      e.mac = key.mac;
      e.ip = key.ip;
      e.timeout = timeout;
      e.expires = timeout - std::chrono::seconds(1);
      e.traffic.bytes_up = 1000;
      e.traffic.packets_up = 10;
      out.push_back(e);
    }
    // ... and repeats others (the dump resumes by count in a reordered walk).
    if (lists <= torn_lists && !out.empty()) out.push_back(out.front());
    return out;
  }

  std::map<nft::Key, std::chrono::seconds> elements;
  bool fail_next = false;
  int bulk_adds = 0;
  int lists = 0;       // list() calls so far
  int torn_lists = 0;  // the first this many list() calls miss a third of the elements, repeat one
};

class FakeNeighbours final : public neigh::Resolver {
 public:
  Result<std::optional<packet::MacAddr>> lookup(const packet::IpAddr& addr) override {
    auto it = table.find(addr);
    if (it == table.end()) return std::optional<packet::MacAddr>();
    return std::optional<packet::MacAddr>(it->second);
  }
  std::map<packet::IpAddr, packet::MacAddr> table;
};

inline packet::MacAddr mac(const char* text) { return *packet::MacAddr::parse(text); }
inline packet::IpAddr ip(const char* text) { return *packet::IpAddr::parse(text); }

}  // namespace captive::testing
