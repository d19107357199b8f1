// The daemon's names for the packet path, which lives in its own module
// (include/captive/worker/worker.hpp, namespace captive::worker).
#pragma once

#include "captive/worker/worker.hpp"

namespace captive::daemon {

using worker::add_counter;
using worker::Counters;
using worker::PacketWorker;

}  // namespace captive::daemon
