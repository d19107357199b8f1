// The portal's request and response: what portal::Handler reads and
// writes, and what portal::Server fills from http::RequestParser and puts
// on the wire. The part of Boost.Beast's message API the handler used
// (same names, so the handler and its tests read as before), without
// Beast's field table and containers: ~50 KB of captived on a router
// (docs/design.md, "Why not Boost.Beast").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace captive::portal::web {

// RFC 9110 §15: the statuses the portal answers with.
enum class status : unsigned {
  ok = 200,
  see_other = 303,
  bad_request = 400,
  forbidden = 403,
  not_found = 404,
  method_not_allowed = 405,
  length_required = 411,
  payload_too_large = 413,
  misdirected_request = 421,
  too_many_requests = 429,
  request_header_fields_too_large = 431,
  internal_server_error = 500,
  not_implemented = 501,
  service_unavailable = 503,
  http_version_not_supported = 505,
};
// The reason phrase of RFC 9110 §15 ("" for a status not above).
std::string_view reason(status s);

enum class verb { unknown, get, head, post, put, delete_, connect, options, trace, patch };
verb string_to_verb(std::string_view method);
std::string_view to_string(verb v);

// The fields the portal reads or writes by name.
enum class field {
  accept_language,
  cache_control,
  connection,
  content_length,
  content_type,
  host,
  location,
  retry_after,
  transfer_encoding,
  x_frame_options,
};
std::string_view to_string(field f);

// Field lines in the order they came or were set; names compare without
// case (RFC 9110 §5.1).
class Fields {
 public:
  using List = std::vector<std::pair<std::string, std::string>>;

  // The first value of `name`, empty when absent.
  std::string_view operator[](std::string_view name) const;
  std::string_view operator[](field f) const { return (*this)[to_string(f)]; }
  std::size_t count(std::string_view name) const;
  std::size_t count(field f) const { return count(to_string(f)); }
  // Replaces every line of `name` with one.
  void set(std::string_view name, std::string_view value);
  void set(field f, std::string_view value) { set(to_string(f), value); }
  // Adds a line, keeping those of the same name.
  void insert(std::string_view name, std::string_view value) { list_.emplace_back(name, value); }
  void insert(field f, std::string_view value) { insert(to_string(f), value); }
  void erase(std::string_view name);
  void erase(field f) { erase(to_string(f)); }

  List::const_iterator begin() const { return list_.begin(); }
  List::const_iterator end() const { return list_.end(); }

 private:
  List list_;
};

class Request : public Fields {
 public:
  Request() = default;
  Request(verb method, std::string_view target, unsigned version)
      : method_(method), method_string_(to_string(method)), target_(target), version_(version) {}

  verb method() const { return method_; }
  void method(verb v) {
    method_ = v;
    method_string_ = to_string(v);
  }
  std::string_view method_string() const { return method_string_; }
  void method_string(std::string_view s) {
    method_string_ = s;
    method_ = string_to_verb(s);
  }
  std::string_view target() const { return target_; }
  void target(std::string_view t) { target_ = t; }
  unsigned version() const { return version_; }
  void version(unsigned v) { version_ = v; }
  std::string& body() { return body_; }
  const std::string& body() const { return body_; }
  // Content-Length of the body (for tests that build requests).
  void prepare_payload() { set(field::content_length, std::to_string(body_.size())); }

 private:
  verb method_ = verb::unknown;
  std::string method_string_;
  std::string target_;
  unsigned version_ = 11;
  std::string body_;
};

class Response : public Fields {
 public:
  Response() = default;
  explicit Response(status s, unsigned version = 11) : status_(s), version_(version) {}

  status result() const { return status_; }
  void result(status s) { status_ = s; }
  unsigned result_int() const { return static_cast<unsigned>(status_); }
  std::string_view reason() const { return web::reason(status_); }
  unsigned version() const { return version_; }
  void version(unsigned v) { version_ = v; }
  std::string& body() { return body_; }
  const std::string& body() const { return body_; }
  // Whether the connection may stay open after this answer (the server
  // closes it anyway: every answer says Connection: close, server.cpp).
  bool keep_alive() const;
  void keep_alive(bool on);
  // Content-Length of the body (the server writes its own too).
  void prepare_payload() { set(field::content_length, std::to_string(body_.size())); }

 private:
  status status_ = status::ok;
  unsigned version_ = 11;
  std::string body_;
};

}  // namespace captive::portal::web
