// Boost.JSON header-only: its implementation, once, for captive-probe.
#include <boost/json/src.hpp>
