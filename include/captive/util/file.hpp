// Small files read whole: configuration, users, vouchers, state, /proc.
// One loop for all of them (EINTR, a size bound, errors that name the file).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "captive/util/result.hpp"

namespace captive::util {

// What is left of the open file `fd`, at most `max_bytes`: a longer file is
// refused (EFBIG, "PATH: larger than N bytes") rather than cut. `path` names
// it in errors. `fd` stays open.
Result<std::string> read_rest(int fd, const std::string& path, std::size_t max_bytes);

// The whole file, opened O_RDONLY | O_CLOEXEC | `extra_open_flags` (such as
// O_NOFOLLOW); a missing file is an error with code ENOENT.
Result<std::string> read_file(const std::string& path, std::size_t max_bytes, int extra_open_flags = 0);

// The number at the start of a one-number file (/proc/sys/...), if any.
std::optional<long> read_number(const std::string& path);

}  // namespace captive::util
