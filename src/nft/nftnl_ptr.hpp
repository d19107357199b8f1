// Private to src/nft: owning pointers to libnftnl objects, and the set
// object that names one of our sets (set elements and set lookups use it).
#pragma once

#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include <memory>

#include "captive/nft/names.hpp"

namespace captive::nft::detail {

template <class T, void (*Free)(const T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using SetPtr = std::unique_ptr<nftnl_set, Deleter<nftnl_set, nftnl_set_free>>;
using RulePtr = std::unique_ptr<nftnl_rule, Deleter<nftnl_rule, nftnl_rule_free>>;
using TablePtr = std::unique_ptr<nftnl_table, Deleter<nftnl_table, nftnl_table_free>>;
using ChainPtr = std::unique_ptr<nftnl_chain, Deleter<nftnl_chain, nftnl_chain_free>>;

inline SetPtr make_set(const Names& names) {
  SetPtr s(nftnl_set_alloc());
  if (!s) return s;
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, names.table.c_str());  // NFTA_SET_ELEM_LIST_TABLE
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, names.set.c_str());     // NFTA_SET_ELEM_LIST_SET
  return s;
}

}  // namespace captive::nft::detail
