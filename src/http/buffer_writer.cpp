#include "captive/http/buffer_writer.hpp"

namespace captive::http {

void BufferWriter::put_uint(std::uint64_t value) {
  char digits[20];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) put(digits[--n]);
}

}  // namespace captive::http
