// Text helpers shared by the 511 renderer and the sign-in pages.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "captive/http/buffer_writer.hpp"

namespace captive::http {

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view text);
// Decodes %XX and '+' (as space, for application/x-www-form-urlencoded).
// nullopt on a malformed escape.
std::optional<std::string> url_decode(std::string_view text);
// Escapes & < > " ' for HTML text and attribute values.
std::string html_escape(std::string_view text);
// The value of `name` in an application/x-www-form-urlencoded body or a URL
// query ("a=1&b=2"), decoded. nullopt if absent or malformed.
std::optional<std::string> form_value(std::string_view form, std::string_view name);

// Non-allocating forms of url_encode and html_escape, for the packet path.
void url_encode_into(BufferWriter& out, std::string_view text);
void html_escape_into(BufferWriter& out, std::string_view text);

}  // namespace captive::http
