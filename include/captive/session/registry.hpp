// Who is signed in. The kernel set `allowed` is the truth about who is in
// (its element timeouts expire sessions); the registry adds what the kernel
// does not know: the address the client signed in from, when, and how.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "captive/nft/allowed_set.hpp"
#include "captive/packet/address.hpp"
#include "captive/util/result.hpp"

namespace captive::session {

using Clock = std::chrono::system_clock;
using NowFn = std::function<Clock::time_point()>;

// One client as `captivectl list` shows it.
struct Client {
  packet::MacAddr mac;
  std::optional<packet::IpAddr> ip;             // where it signed in from, if we saw it
  std::optional<Clock::time_point> signed_in_at;
  std::optional<Clock::time_point> expires_at;  // from the kernel's time left
  std::string method;                           // "click-through", ... ("" if added outside captived)
  std::uint64_t bytes = 0;                      // sent by the client (element counter)
  std::uint64_t packets = 0;
};

// How a session is keyed in the kernel.
enum class Binding {
  mac,     // the MAC alone (set `allowed`): any address the device uses
  mac_ip,  // the MAC and the address it signed in from (--bind-ip)
};

class Registry {
 public:
  explicit Registry(nft::SetWriter& set, NowFn now = [] { return Clock::now(); }, Binding binding = Binding::mac);

  // Adds the MAC (with --bind-ip: the MAC and `ip`) to the kernel set with
  // `timeout` (one batch) and records who. With Binding::mac_ip an unknown
  // `ip` is an error (EINVAL): there would be nothing to bind to.
  Result<void> sign_in(const packet::MacAddr& mac, std::optional<packet::IpAddr> ip,
                       std::chrono::seconds timeout, std::string method);
  // Deletes every element of this MAC (whatever it is bound to). ENOENT if
  // it was not signed in.
  Result<void> revoke(const packet::MacAddr& mac);
  // The kernel set joined with what we know; forgets metadata of MACs the
  // kernel no longer has (their sessions expired).
  Result<std::vector<Client>> list();
  // Puts every unexpired session we know of back into the kernel set, with
  // the time it has left, in bulk (after somebody emptied or recreated the
  // set). Returns how many.
  Result<std::size_t> restore();
  // Takes over the sessions already in the kernel set that we have no record
  // of (signed in before a restart or a crash), with the time they have left,
  // so that restore() after a flush puts them back too. Their address (unless
  // bound), sign-in time and method are unknown. Elements without a timeout
  // are left alone. Returns how many were adopted.
  Result<std::size_t> adopt();
  // From what we recorded, without asking the kernel (for page rendering).
  std::optional<Client> find(const packet::MacAddr& mac) const;

 private:
  struct Record {
    nft::Key key;  // as added to the kernel
    std::optional<packet::IpAddr> ip;
    std::optional<Clock::time_point> signed_in_at;  // unknown for adopted sessions
    Clock::time_point expires_at;
    std::string method;
  };
  nft::SetWriter& set_;
  NowFn now_;
  Binding binding_;
  std::map<packet::MacAddr, Record> records_;
};

}  // namespace captive::session
