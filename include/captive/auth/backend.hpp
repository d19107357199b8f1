// How a sign-in attempt is judged (docs/auth.md).
//
// A backend answers through a callback, never by blocking: click-through
// answers inline, the users file hashes on a small worker pool
// (auth::WorkPool) and posts its answer back to the event loop, vouchers and
// RADIUS do the same. captived enables backends with `--auth NAME`
// (repeatable; kBackendNames) and puts them behind one auth::Gate (gate.hpp),
// which is itself a Backend: it picks the backend the form names (field
// `method`), applies the abuse limits (auth::Limiter) and delays the answer
// to a wrong credential. The portal only ever sees one Backend.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "captive/packet/address.hpp"
#include "captive/session/limits.hpp"
#include "captive/util/result.hpp"

namespace captive::auth {

// The names `--auth` takes, in the order --help lists them. A backend is
// added here and in the daemon's factory (make_backend, src/daemon/app.cpp).
inline constexpr std::string_view kBackendNames[] = {"click", "users", "voucher", "radius"};

// What the sign-in form sent, plus who the kernel says is asking. The
// portal has checked the anti-forgery token before a backend sees it.
struct Attempt {
  packet::MacAddr mac;
  packet::IpAddr ip;
  std::string form;  // the urlencoded body (http::form_value reads a field)
};

struct Decision {
  enum class Outcome {
    accepted,
    refused,            // not a credential failure (terms not ticked, voucher used up, ...)
    wrong_credentials,  // wrong password, unknown user, unknown voucher: counts against the MAC (Limiter)
    busy,               // the worker pool is full: "busy, try again" (503)
    locked_out,         // set by the Gate: too many failures from this MAC, or the global cap (429)
  };
  Outcome outcome = Outcome::refused;
  std::string reason;   // shown to the user when not accepted (plain text: the page escapes it)
  // The same in the page's language: a message key of the templates
  // (docs/templates.md), e.g. "voucher.expired"; `reason` where the
  // language has no such message (and in English, where it may say more).
  std::string reason_key;
  // Recorded with the session (session::SignIn::method; `captivectl list`,
  // the end log line): "click-through", "user", "voucher".
  std::string method;
  std::string user;     // the user name or voucher code; empty for click-through
  // The session's own time; empty: captived's --session-timeout.
  std::optional<std::chrono::seconds> duration;
  // The session's own limits; unset fields take captived's defaults.
  session::Limits limits;
  // Accepted: a word from the backend for the "you are online" page
  // (RADIUS Reply-Message; plain text: the page escapes it).
  std::string message;
  // RADIUS: the Acct-Session-Id sent in the Access-Request, for the
  // session's accounting (docs/radius.md). Empty for other backends.
  std::string acct_session_id;
  // busy, locked_out: when to try again (Retry-After). 0: not said.
  std::chrono::seconds retry_after{0};

  bool accepted() const { return outcome == Outcome::accepted; }

  static Decision accept(std::string method, std::string user = {}) {
    Decision d;
    d.outcome = Outcome::accepted;
    d.method = std::move(method);
    d.user = std::move(user);
    return d;
  }
  static Decision refuse(Outcome outcome, std::string reason) {
    Decision d;
    d.outcome = outcome;
    d.reason = std::move(reason);
    return d;
  }
};

// Runs exactly once, on the home thread (captived's event loop), possibly
// before judge() returns.
using Verdict = std::function<void(Decision)>;

// One form on the sign-in page. The portal wraps `fields` in
// <form method=post action=/login> with the hidden token, url and
// `method` = `name`, and a submit button labelled `button`.
struct Form {
  std::string name;    // the backend's --auth name, sent back as field `method`
  std::string fields;  // HTML (the backend escapes what it puts in)
  std::string button;  // plain text
};

using Counters = std::vector<std::pair<std::string, std::uint64_t>>;

class Backend {
 public:
  virtual ~Backend() = default;
  // The --auth name ("click", "users", "voucher"): the form's `method`.
  virtual std::string_view name() const = 0;
  // What the sign-in page shows for this backend (a Gate: one per backend).
  virtual std::vector<Form> forms() const = 0;
  // Judges `attempt`; `done` gets the Decision on the home thread. Never
  // blocks: CPU-heavy work goes to a WorkPool, kernel or network waits to
  // a thread of their own. `attempt` may be gone once judge returns (copy
  // what the work needs).
  virtual void judge(const Attempt& attempt, Verdict done) = 0;
  // Re-reads the backend's files (SIGHUP, `captivectl reload`), on the home
  // thread. An error keeps what was loaded before.
  virtual Result<void> reload() { return {}; }
  // Counters for `captivectl stats`, each name prefixed "auth.".
  virtual void counters(Counters& out) const { (void)out; }
  // Whether attempts can be guesses (passwords, codes): the Gate's abuse
  // limits apply to them. False for click-through, which a lockout or the
  // global cap must not stop.
  virtual bool takes_credentials() const { return true; }
};

// Accepts whoever ticked "I accept the terms" (field accept_terms=yes).
class ClickThrough final : public Backend {
 public:
  std::string_view name() const override { return "click"; }
  std::vector<Form> forms() const override;
  void judge(const Attempt& attempt, Verdict done) override;
  bool takes_credentials() const override { return false; }
};

}  // namespace captive::auth
