// ParseResult<T>: a view or the reason it could not be made. Like Result<T>
// (same names: has_value, value, error, operator bool) but the error is an
// enum, so parsing on the packet path never allocates.
#pragma once

#include <cassert>
#include <cstdint>

namespace captive::packet {

enum class ParseError : std::uint8_t {
  truncated,          // fewer bytes than a header needs
  bad_version,        // IP version nibble is not what the parser reads
  bad_header_length,  // IPv4 IHL < 5 or past the data
  bad_total_length,   // IPv4 total length < IHL, or a jumbogram
  bad_data_offset,    // TCP data offset < 5 or past the segment
  bad_port,           // TCP port 0
  not_tcp,            // upper-layer protocol is not TCP
  fragment,           // a non-first fragment: no TCP header in it
  too_many_headers,   // IPv6 extension header chain longer than we walk
};

const char* parse_error_name(ParseError e);

template <class T>
class [[nodiscard]] ParseResult {
 public:
  ParseResult(T value) : value_(value), ok_(true) {}  // NOLINT: implicit by design
  ParseResult(ParseError error) : error_(error), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const T& value() const { assert(ok_); return value_; }
  const T& operator*() const { return value(); }
  const T* operator->() const { return &value(); }
  ParseError error() const { assert(!ok_); return error_; }

 private:
  T value_{};
  ParseError error_ = ParseError::truncated;
  bool ok_;
};

}  // namespace captive::packet
