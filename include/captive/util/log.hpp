// Logging to stderr, one line per event, printf-style (no iostream in the
// daemon: it has to fit a 16 MB router). Lines look like
//   captived: info: queue 0 bound (native nft queue)
#pragma once

namespace captive::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

void set_program(const char* name);
void set_level(Level level);
Level level();

void write(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace captive::log

#define CAPTIVE_LOG(lvl, ...)                                              \
  do {                                                                     \
    if (static_cast<int>(lvl) >= static_cast<int>(::captive::log::level())) \
      ::captive::log::write(lvl, __VA_ARGS__);                             \
  } while (0)
#define LOG_DEBUG(...) CAPTIVE_LOG(::captive::log::Level::debug, __VA_ARGS__)
#define LOG_INFO(...) CAPTIVE_LOG(::captive::log::Level::info, __VA_ARGS__)
#define LOG_WARN(...) CAPTIVE_LOG(::captive::log::Level::warn, __VA_ARGS__)
#define LOG_ERROR(...) CAPTIVE_LOG(::captive::log::Level::error, __VA_ARGS__)
