// A fake nft::PeerResolver: (address, port) -> MAC, as nft::PortalPeers
// would read it from the ruleset's maps.
#pragma once

#include <map>
#include <utility>

#include "captive/nft/portal_peers.hpp"

namespace captive::testing {

class FakePeers final : public nft::PeerResolver {
 public:
  Result<std::optional<packet::MacAddr>> lookup(const nft::PortalPeer& peer) override {
    ++lookups;
    if (fail_next) {
      fail_next = false;
      return make_error(EIO, "fake peer lookup");
    }
    auto it = table.find({peer.address.unmapped(), peer.port});
    if (it == table.end()) return std::optional<packet::MacAddr>();
    return std::optional<packet::MacAddr>(it->second);
  }
  std::map<std::pair<packet::IpAddr, std::uint16_t>, packet::MacAddr> table;
  bool fail_next = false;
  int lookups = 0;
};

}  // namespace captive::testing
