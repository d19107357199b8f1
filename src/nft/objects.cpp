// Lookups of table, set and chain: see objects.hpp.
#include "captive/nft/objects.hpp"

#include <libnftnl/chain.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include "captive/nft/batch.hpp"
#include "nftnl_ptr.hpp"

namespace captive::nft {

using detail::ChainPtr;
using detail::SetPtr;
using detail::TablePtr;

std::size_t build_get(std::span<std::byte> buf, std::uint32_t seq, const Names& names, Object what) {
  if (!names_valid(names)) return 0;
  MessageWriter w(buf);
  nlmsghdr* nlh = nullptr;
  switch (what) {
    case Object::table: {
      TablePtr t(nftnl_table_alloc());
      if (!t || (nlh = begin_message(w, NFT_MSG_GETTABLE, NLM_F_ACK, seq)) == nullptr) return 0;
      nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, names.table.c_str());  // NFTA_TABLE_NAME
      nftnl_table_nlmsg_build_payload(nlh, t.get());
      break;
    }
    case Object::set: {
      SetPtr s = detail::make_set(names);
      if (!s || (nlh = begin_message(w, NFT_MSG_GETSET, NLM_F_ACK, seq)) == nullptr) return 0;
      nftnl_set_nlmsg_build_payload(nlh, s.get());  // NFTA_SET_TABLE, NFTA_SET_NAME
      break;
    }
    case Object::chain: {
      ChainPtr c(nftnl_chain_alloc());
      if (!c || (nlh = begin_message(w, NFT_MSG_GETCHAIN, NLM_F_ACK, seq)) == nullptr) return 0;
      nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, names.table.c_str());  // NFTA_CHAIN_TABLE
      nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, names.chain.c_str());   // NFTA_CHAIN_NAME
      nftnl_chain_nlmsg_build_payload(nlh, c.get());
      break;
    }
  }
  w.commit(nlh);
  return w.length();
}

}  // namespace captive::nft
