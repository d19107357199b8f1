// Umbrella header, kept so that code written before the split by kernel
// object compiles unchanged: the session keys and names (names.hpp), the
// elements and SetWriter (set_elements.hpp), the queue rule (rules.hpp) and
// the adapter that owns the socket (netlink.hpp).
#pragma once

#include "captive/nft/names.hpp"
#include "captive/nft/netlink.hpp"
#include "captive/nft/rules.hpp"
#include "captive/nft/set_elements.hpp"
