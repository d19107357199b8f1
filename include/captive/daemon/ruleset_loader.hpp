// Loads nft/captive.nft the way scripts/install-ruleset does, from inside the
// daemon: when somebody flushed the whole ruleset, the table has to come back
// before sessions can. The file stays the single definition of the policy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "captive/util/result.hpp"

namespace captive::daemon {

// nft's argument vector: nft -D lan="IFACE" -D portal_port=N -f FILE.
std::vector<std::string> ruleset_command(const std::string& lan, std::uint16_t portal_port,
                                         const std::string& ruleset);

// Runs the command (posix_spawnp, searching PATH) and waits for it. Errors
// carry nft's exit status. Blocks for as long as nft runs (tens of ms).
Result<void> run_command(const std::vector<std::string>& argv);

}  // namespace captive::daemon
