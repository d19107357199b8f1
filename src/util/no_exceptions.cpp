// Router builds (-Dsmall) are compiled with -fno-exceptions (meson.build).
// Boost then reports what it would have thrown by calling
// boost::throw_exception, which the program must define. Nothing in the
// daemon catches exceptions (its errors are values), so a throw ended the
// process before, too; now it says what and where, and aborts.
#include <boost/throw_exception.hpp>

#ifdef BOOST_NO_EXCEPTIONS
#include <cstdlib>
#include <exception>

#include "captive/util/log.hpp"

namespace boost {

void throw_exception(const std::exception& e) {
  captive::log::write(captive::log::Level::error, "fatal: %s", e.what());
  std::abort();
}

void throw_exception(const std::exception& e, const boost::source_location& where) {
  captive::log::write(captive::log::Level::error, "fatal: %s (%s:%u)", e.what(),
                      where.file_name(), static_cast<unsigned>(where.line()));
  std::abort();
}

}  // namespace boost
#endif
