// Result<T>: a value or an Error, for everything below `services`.
// C++20 has no std::expected; this is the subset we use, with the same names
// (has_value, value, error, operator bool) so moving to C++23 is a rename.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace captive {

// What went wrong at the kernel edge or in a parser: errno (0 when none
// applies) and what we tried, e.g. {EPERM, "bind queue 0"}.
struct Error {
  int code = 0;
  std::string what;

  // "bind queue 0: Operation not permitted" (or just `what` when code == 0).
  std::string message() const;
};

Error make_error(int code, std::string what);
// Same, with errno as it is now.
Error errno_error(std::string what);

// At most `max` bytes of what somebody sent, to quote in an error, cut
// between UTF-8 characters: half a character would make a JSON reply
// invalid (RFC 8259 §8.1; found by fuzz_control_request).
std::string excerpt(std::string_view text, std::size_t max = 64);

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { assert(has_value()); return std::get<0>(v_); }
  const T& value() const& { assert(has_value()); return std::get<0>(v_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!has_value()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace captive
