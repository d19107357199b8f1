#include "captive/util/result.hpp"

#include <cerrno>
#include <cstring>

namespace captive {

std::string excerpt(std::string_view text, std::size_t max) {
  std::size_t cut = text.size() < max ? text.size() : max;
  while (cut > 0 && cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut));
}

std::string Error::message() const {
  if (code == 0) return what;
  return what + ": " + std::strerror(code);
}

Error make_error(int code, std::string what) { return Error{code, std::move(what)}; }

Error errno_error(std::string what) { return Error{errno, std::move(what)}; }

}  // namespace captive
