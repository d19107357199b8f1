#include "captive/http/original_url.hpp"

#include <arpa/inet.h>  // inet_ntop: a pure string conversion, no sockets

#include "captive/http/buffer_writer.hpp"

namespace captive::http {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != prefix[i]) return false;
  return true;
}

}  // namespace

std::size_t original_url(std::span<char> out, const Request& request,
                         const packet::IpAddr& destination, std::uint16_t destination_port) {
  BufferWriter w(out);
  const auto target = request.target;
  // Absolute-form (RFC 9112 §3.2.2): what a proxy-configured client sends.
  if (starts_with_nocase(target, "http://") || starts_with_nocase(target, "https://")) {
    w.put(target);
    return w.view().size();
  }
  w.put("http://");
  if (!request.host.empty()) {
    w.put(request.host);
  } else {
    char text[INET6_ADDRSTRLEN] = {};
    const bool v4 = destination.is_v4();
    if (inet_ntop(v4 ? AF_INET : AF_INET6, destination.bytes.data(), text, sizeof text) == nullptr)
      text[0] = '\0';
    // RFC 3986 §3.2.2: an IPv6 literal in a URL is bracketed.
    if (!v4) w.put('[');
    w.put(std::string_view(text));
    if (!v4) w.put(']');
    if (destination_port != 80) {
      w.put(':');
      w.put_uint(destination_port);
    }
  }
  // Origin-form keeps its path and query; authority-form (CONNECT) and
  // asterisk-form (OPTIONS *) name no page, so the site's root stands in.
  if (!target.empty() && target.front() == '/')
    w.put(target);
  else
    w.put('/');
  return w.view().size();
}

}  // namespace captive::http
