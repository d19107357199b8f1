#include "captive/portal/message.hpp"

#include <algorithm>

namespace captive::portal::web {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x | 0x20 : x) == (y >= 'A' && y <= 'Z' ? y | 0x20 : y);
         });
}

}  // namespace

std::string_view reason(status s) {
  switch (s) {
    case status::ok: return "OK";
    case status::see_other: return "See Other";
    case status::bad_request: return "Bad Request";
    case status::forbidden: return "Forbidden";
    case status::not_found: return "Not Found";
    case status::method_not_allowed: return "Method Not Allowed";
    case status::length_required: return "Length Required";
    case status::payload_too_large: return "Payload Too Large";
    case status::misdirected_request: return "Misdirected Request";
    case status::too_many_requests: return "Too Many Requests";
    case status::request_header_fields_too_large: return "Request Header Fields Too Large";
    case status::internal_server_error: return "Internal Server Error";
    case status::not_implemented: return "Not Implemented";
    case status::service_unavailable: return "Service Unavailable";
    case status::http_version_not_supported: return "HTTP Version Not Supported";
  }
  return "";
}

namespace {
constexpr std::pair<verb, std::string_view> kVerbs[] = {
    {verb::get, "GET"},         {verb::head, "HEAD"},       {verb::post, "POST"},
    {verb::put, "PUT"},         {verb::delete_, "DELETE"},  {verb::connect, "CONNECT"},
    {verb::options, "OPTIONS"}, {verb::trace, "TRACE"},     {verb::patch, "PATCH"},
};
}  // namespace

// Methods are case-sensitive (RFC 9110 §9.1): "get" is no GET.
verb string_to_verb(std::string_view method) {
  for (const auto& [v, name] : kVerbs)
    if (name == method) return v;
  return verb::unknown;
}

std::string_view to_string(verb v) {
  for (const auto& [known, name] : kVerbs)
    if (known == v) return name;
  return "<unknown>";
}

std::string_view to_string(field f) {
  switch (f) {
    case field::accept_language: return "Accept-Language";
    case field::cache_control: return "Cache-Control";
    case field::connection: return "Connection";
    case field::content_length: return "Content-Length";
    case field::content_type: return "Content-Type";
    case field::host: return "Host";
    case field::location: return "Location";
    case field::retry_after: return "Retry-After";
    case field::transfer_encoding: return "Transfer-Encoding";
    case field::x_frame_options: return "X-Frame-Options";
  }
  return "";
}

std::string_view Fields::operator[](std::string_view name) const {
  for (const auto& [n, v] : list_)
    if (iequals(n, name)) return v;
  return {};
}

std::size_t Fields::count(std::string_view name) const {
  return static_cast<std::size_t>(
      std::count_if(list_.begin(), list_.end(), [&](const auto& line) { return iequals(line.first, name); }));
}

void Fields::set(std::string_view name, std::string_view value) {
  erase(name);
  list_.emplace_back(name, value);
}

void Fields::erase(std::string_view name) {
  std::erase_if(list_, [&](const auto& line) { return iequals(line.first, name); });
}

// RFC 9112 §9.3: HTTP/1.1 persists unless `close`; HTTP/1.0 (without the
// keep-alive extension, which we do not offer) does not.
bool Response::keep_alive() const {
  const auto connection = (*this)[field::connection];
  if (version_ < 11) return false;
  for (std::size_t at = 0; at < connection.size();) {
    auto comma = connection.find(',', at);
    if (comma == std::string_view::npos) comma = connection.size();
    auto item = connection.substr(at, comma - at);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (iequals(item, "close")) return false;
    at = comma + 1;
  }
  return true;
}

void Response::keep_alive(bool on) {
  if (on) {
    erase(field::connection);
  } else {
    set(field::connection, "close");
  }
}

}  // namespace captive::portal::web
