#include "captive/util/result.hpp"

#include <cerrno>
#include <cstring>

namespace captive {

std::string Error::message() const {
  if (code == 0) return what;
  return what + ": " + std::strerror(code);
}

Error make_error(int code, std::string what) { return Error{code, std::move(what)}; }

Error errno_error(std::string what) { return Error{errno, std::move(what)}; }

}  // namespace captive
