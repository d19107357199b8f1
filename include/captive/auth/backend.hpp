// How a sign-in attempt is judged. Click-through is the first backend; users
// file, vouchers and RADIUS implement the same interface later.
#pragma once

#include <string>
#include <string_view>

#include "captive/packet/address.hpp"

namespace captive::auth {

// What the sign-in form sent, plus who the kernel says is asking.
struct Attempt {
  packet::MacAddr mac;
  packet::IpAddr ip;
  std::string_view form;  // the decoded body is looked up field by field
};

struct Decision {
  bool accepted = false;
  std::string reason;  // shown to the user when not accepted
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;  // recorded with the session
  // May block (RADIUS will); the portal calls it off the packet path.
  virtual Decision judge(const Attempt& attempt) = 0;
};

// Accepts whoever ticked "I accept the terms" (field accept_terms=yes).
class ClickThrough final : public Backend {
 public:
  const char* name() const override { return "click-through"; }
  Decision judge(const Attempt& attempt) override;
};

}  // namespace captive::auth
