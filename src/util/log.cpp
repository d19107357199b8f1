#include "captive/util/log.hpp"

#include <cstdarg>
#include <cstdio>

namespace captive::log {
namespace {
const char* program_ = "captive";
Level level_ = Level::info;

const char* level_name(Level l) {
  switch (l) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warning";
    case Level::error: return "error";
  }
  return "?";
}
}  // namespace

void set_program(const char* name) { program_ = name; }
void set_level(Level level) { level_ = level; }
Level level() { return level_; }

void write(Level lvl, const char* fmt, ...) {
  // One buffer, one write: lines from several threads never interleave.
  char line[1024];
  int n = std::snprintf(line, sizeof line, "%s: %s: ", program_, level_name(lvl));
  if (n < 0) return;
  va_list ap;
  va_start(ap, fmt);
  int m = std::vsnprintf(line + n, sizeof line - static_cast<size_t>(n) - 1, fmt, ap);
  va_end(ap);
  size_t len = static_cast<size_t>(n) + (m < 0 ? 0 : static_cast<size_t>(m));
  if (len > sizeof line - 2) len = sizeof line - 2;
  line[len++] = '\n';
  std::fwrite(line, 1, len, stderr);
}

}  // namespace captive::log
