#include "captive/util/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace captive::util {

Result<std::string> read_rest(int fd, const std::string& path, std::size_t max_bytes) {
  std::string text;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read " + path);
    if (n == 0) return text;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_bytes)
      return make_error(EFBIG, path + ": larger than " + std::to_string(max_bytes) + " bytes");
  }
}

Result<std::string> read_file(const std::string& path, std::size_t max_bytes, int extra_open_flags) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | extra_open_flags);
  if (fd < 0) return errno_error("open " + path);
  auto text = read_rest(fd, path, max_bytes);
  ::close(fd);
  return text;
}

std::optional<long> read_number(const std::string& path) {
  auto text = read_file(path, 64);
  if (!text || text->empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text->c_str(), &end, 10);
  if (errno != 0 || end == text->c_str()) return std::nullopt;
  return value;
}

}  // namespace captive::util
