// Appends text to a caller's fixed buffer without allocating. Writes past the
// end are counted but dropped, so one pass over an empty span measures what a
// render needs, and overflowed() tells a caller its buffer was too small.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace captive::http {

class BufferWriter {
 public:
  explicit BufferWriter(std::span<char> out) : out_(out) {}

  void put(char c) {
    if (size_ < out_.size()) out_[size_] = c;
    ++size_;
  }
  void put(std::string_view text) {
    for (char c : text) put(c);
  }
  void put_uint(std::uint64_t value);

  // Bytes written, or that would have been written had the buffer been large
  // enough.
  std::size_t size() const { return size_; }
  bool overflowed() const { return size_ > out_.size(); }
  // What is in the buffer (at most its capacity).
  std::string_view view() const {
    return {out_.data(), size_ < out_.size() ? size_ : out_.size()};
  }

 private:
  std::span<char> out_;
  std::size_t size_ = 0;
};

}  // namespace captive::http
