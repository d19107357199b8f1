// The voucher requests' server side (protocol.cpp dispatches "voucher_*"
// here). Internal to the control module.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "captive/control/protocol.hpp"

namespace captive::control {

// The reply lines every request gets (protocol.cpp): {"ok":false,"error":…}
// and {"ok":true,…}.
std::string failure(std::string_view message);
std::string success(boost::json::object reply = {});

// Answers voucher_create, voucher_list, voucher_show, voucher_revoke
// (include/captive/control/vouchers.hpp) through `reply`, exactly once.
void handle_voucher_request(std::string_view name, const boost::json::object& request, Context& context,
                            std::function<void(std::string)> reply);

}  // namespace captive::control
