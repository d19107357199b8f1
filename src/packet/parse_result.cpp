#include "captive/packet/parse_result.hpp"

namespace captive::packet {

const char* parse_error_name(ParseError e) {
  switch (e) {
    case ParseError::truncated: return "truncated";
    case ParseError::bad_version: return "bad_version";
    case ParseError::bad_header_length: return "bad_header_length";
    case ParseError::bad_total_length: return "bad_total_length";
    case ParseError::bad_data_offset: return "bad_data_offset";
    case ParseError::bad_port: return "bad_port";
    case ParseError::not_tcp: return "not_tcp";
    case ParseError::fragment: return "fragment";
    case ParseError::too_many_headers: return "too_many_headers";
  }
  return "unknown";
}

}  // namespace captive::packet
