// Umbrella header of the pure builders and parsers of the nf_tables netlink
// messages (STYLE rule 4), one header per kernel object as libnftnl has one
// file per object: batch.hpp (the batch around them), objects.hpp (table,
// set, chain lookups), set_elements.hpp, rules.hpp. Each builder writes
// into a caller buffer and returns the length; no socket, no allocation that
// outlives the call. Every builder has a round-trip test in
// tests/unit/nft/messages_test.cpp.
#pragma once

#include "captive/nft/allowed_set.hpp"
#include "captive/nft/batch.hpp"
#include "captive/nft/names.hpp"
#include "captive/nft/objects.hpp"
#include "captive/nft/rules.hpp"
#include "captive/nft/set_elements.hpp"
