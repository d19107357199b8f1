#include "captive/nft/names.hpp"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

namespace captive::nft {

static_assert(kFamily == NFPROTO_INET);
static_assert(kMaxName < NFT_NAME_MAXLEN);

std::string Key::to_string() const { return ip ? mac.to_string() + " . " + ip->to_string() : mac.to_string(); }

bool names_valid(const Names& names) {
  for (const std::string* n : {&names.table, &names.set, &names.set_ip4, &names.set_ip6, &names.marks, &names.set_down,
                               &names.rate_up, &names.rate_down, &names.chain}) {
    if (n->empty() || n->size() > kMaxName || n->find('\0') != std::string::npos) return false;
  }
  return true;
}

}  // namespace captive::nft
