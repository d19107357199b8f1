// Boost.JSON used header-only (Debian's 1.81 and OpenWrt's boost both have
// it): its implementation is compiled once, here.
#include <boost/json/src.hpp>
