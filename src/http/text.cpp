#include "captive/http/text.hpp"

namespace captive::http {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

// RFC 3986 §2.3.
bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view html_entity(char c) {
  switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return {};
  }
}

}  // namespace

void url_encode_into(BufferWriter& out, std::string_view text) {
  for (char c : text) {
    if (unreserved(c)) {
      out.put(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.put('%');
      out.put(kHex[b >> 4]);
      out.put(kHex[b & 0x0f]);
    }
  }
}

void html_escape_into(BufferWriter& out, std::string_view text) {
  for (char c : text) {
    const auto entity = html_entity(c);
    if (entity.empty())
      out.put(c);
    else
      out.put(entity);
  }
}

std::string url_encode(std::string_view text) {
  BufferWriter measure({});
  url_encode_into(measure, text);
  std::string s(measure.size(), '\0');
  BufferWriter w(s);
  url_encode_into(w, text);
  return s;
}

std::string html_escape(std::string_view text) {
  BufferWriter measure({});
  html_escape_into(measure, text);
  std::string s(measure.size(), '\0');
  BufferWriter w(s);
  html_escape_into(w, text);
  return s;
}

std::optional<std::string> url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (text.size() - i < 3) return std::nullopt;
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> form_value(std::string_view form, std::string_view name) {
  // WHATWG URL "application/x-www-form-urlencoded parsing": split on '&',
  // then on the first '='; names are compared after decoding. The first match
  // wins.
  while (true) {
    const auto amp = form.find('&');
    const auto pair = form.substr(0, amp);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      const auto raw_name = pair.substr(0, eq);
      const auto raw_value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      auto decoded_name = url_decode(raw_name);
      if (decoded_name && *decoded_name == name) return url_decode(raw_value);
    }
    if (amp == std::string_view::npos) return std::nullopt;
    form.remove_prefix(amp + 1);
  }
}

}  // namespace captive::http
