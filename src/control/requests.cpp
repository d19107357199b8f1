// The client side of the protocol, for captivectl: apart from protocol.cpp
// so that captivectl links nothing of the daemon (it is linked statically:
// docs/performance.md, "revoke -> dead").
#include <boost/json.hpp>

#include "captive/control/protocol.hpp"

namespace captive::control {
namespace json = boost::json;

std::string make_list_request() { return R"({"cmd":"list"})"; }

std::string make_stats_request() { return R"({"cmd":"stats"})"; }

std::string make_doctor_request(std::string_view mac) {
  json::object request;
  request["cmd"] = "doctor";
  request["mac"] = mac;
  return json::serialize(request);
}

std::string make_revoke_request(std::string_view mac) {
  json::object request;
  request["cmd"] = "revoke";
  request["mac"] = mac;
  return json::serialize(request);
}

}  // namespace captive::control
