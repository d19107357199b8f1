// Router builds (-Dsmall) are compiled with -fno-exceptions (meson.build).
// Boost then reports what it would have thrown by calling
// boost::throw_exception, which the program must define. Nothing in the
// daemon catches exceptions (its errors are values: docs/design.md), so a
// throw ended the process before, too; now it says what and where, in the
// log's format (captive::log is in the core, which captive-probe's
// classifier does not link), and aborts.
#include <boost/throw_exception.hpp>

#ifdef BOOST_NO_EXCEPTIONS
#include <errno.h>  // program_invocation_short_name (glibc, musl)

#include <cstdio>
#include <cstdlib>
#include <exception>

namespace boost {

void throw_exception(const std::exception& e) {
  std::fprintf(stderr, "%s: error: fatal: %s\n", program_invocation_short_name, e.what());
  std::abort();
}

void throw_exception(const std::exception& e, const boost::source_location& where) {
  std::fprintf(stderr, "%s: error: fatal: %s (%s:%u)\n", program_invocation_short_name, e.what(), where.file_name(),
               static_cast<unsigned>(where.line()));
  std::abort();
}

}  // namespace boost
#endif
