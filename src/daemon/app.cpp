#include "captive/daemon/app.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/signal_set.hpp>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sys/stat.h>
#include <unistd.h>
#include <optional>

#include "captive/auth/backend.hpp"
#include "captive/auth/token.hpp"
#include "captive/control/server.hpp"
#include "captive/daemon/kernel_worker.hpp"
#include "captive/daemon/packet_worker.hpp"
#include "captive/daemon/ruleset_loader.hpp"
#include "captive/daemon/secrets.hpp"
#include "captive/inject/sender.hpp"
#include "captive/neigh/neighbours.hpp"
#include "captive/nft/allowed_set.hpp"
#include "captive/nft/portal_peers.hpp"
#include "captive/nft/table_watch.hpp"
#include "captive/portal/handler.hpp"
#include "captive/portal/server.hpp"
#include "captive/responder/responder.hpp"
#include "captive/session/registry.hpp"
#include "captive/util/log.hpp"

namespace captive::daemon {
namespace asio = boost::asio;

namespace {

// The sign-in form's token slots: on CLOCK_BOOTTIME like the SYN cookies, so
// the NTP step of a router without a real-time clock neither expires open
// forms nor revives old ones (issue 8, item 6). A reboot restarts the count:
// a form from before it is refused once, as after a key change.
std::uint64_t now_seconds() { return worker::boottime_seconds(); }

struct LanAddresses {
  std::optional<packet::IpAddr> v4;
  std::optional<packet::IpAddr> v6;  // global scope: link-local URLs need a zone id browsers reject
};

LanAddresses lan_addresses(const std::string& device) {
  LanAddresses found;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return found;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || device != a->ifa_name) continue;
    if (a->ifa_addr->sa_family == AF_INET && !found.v4) {
      auto* sin = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      found.v4 = packet::IpAddr::v4(reinterpret_cast<const std::uint8_t*>(&sin->sin_addr));
    } else if (a->ifa_addr->sa_family == AF_INET6 && !found.v6) {
      auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      if (!IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr))
        found.v6 = packet::IpAddr::v6(reinterpret_cast<const std::uint8_t*>(&sin6->sin6_addr));
    }
  }
  ::freeifaddrs(list);
  return found;
}

// --ruleset as an absolute path: nft reads it through `include "…"`, which
// looks a relative name up in nft's include directories, not our cwd.
std::string absolute_path(const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  char cwd[4096];
  if (!::getcwd(cwd, sizeof cwd)) return path;
  return std::string(cwd) + "/" + path;
}

std::string portal_url(const packet::IpAddr& address, std::uint16_t port) {
  std::string host = address.is_v4() ? address.to_string() : "[" + address.to_string() + "]";
  return "http://" + host + ":" + std::to_string(port) + "/";
}

}  // namespace

struct App::Impl {
  Config config;
  asio::io_context io{1};
  inject::Device device;
  // Used on the kernel worker only, once the event loop runs (start-up and
  // shutdown use it on the main thread while the worker is idle or stopped).
  std::optional<nft::Netlink> netlink;
  KernelWorker kernel;
  // The portal's identity lookups (peer map, neighbour table): their own
  // thread and sockets, used by nothing else, so a page load or a new
  // connection never waits behind a bulk restore on `kernel`.
  KernelWorker lookups{"captived-lookup"};
  std::optional<neigh::NeighbourTable> neighbours;
  std::optional<nft::PortalPeers> portal_peers;
  std::vector<std::unique_ptr<PacketWorker>> workers;
  std::optional<session::Registry> registry;
  std::optional<auth::TokenIssuer> tokens;
  auth::ClickThrough backend;
  std::optional<portal::Handler> handler;
  std::optional<control::Context> control_context;
  std::unique_ptr<portal::Server> portal_server;
  std::unique_ptr<control::Server> control_server;
  asio::signal_set signals{io, SIGINT, SIGTERM};
  // SIGHUP's default action ends the process; by convention it asks for a
  // reload, which captived does not have yet: logged and ignored.
  asio::signal_set hangup{io, SIGHUP};
  bool queue_rule_installed = false;
  std::optional<nft::TableWatch> watch;
  std::optional<asio::posix::stream_descriptor> watch_stream;
  asio::steady_timer reconcile_timer{io};
  asio::steady_timer retry_timer{io};
  std::chrono::seconds retry_delay{1};
  nft::Change pending_change = nft::Change::none;
  std::atomic<std::uint64_t> restores{0};
  std::atomic<std::uint64_t> restore_failures{0};
  RulesetLoad ruleset_load;  // nft's path, the defines, the file, the resolvers
  // A reconcile runs on the kernel worker and reads the watch socket itself:
  // meanwhile the event loop leaves the socket alone.
  bool reconciling = false;
  bool watch_waiting = false;


  void arm_hangup() {
    hangup.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      LOG_WARN("SIGHUP: ignored (captived has no reload; restart it to apply new flags)");
      arm_hangup();
    });
  }

  ~Impl() {
    // Nothing else may use the netlink socket from here on.
    kernel.stop();
    lookups.stop();
    // The rule goes first: from then on no packet is queued to us.
    if (queue_rule_installed && netlink) {
      if (auto removed = netlink->remove_queue_rule(); !removed)
        LOG_WARN("remove queue rule: %s", removed.error().message().c_str());
      else
        LOG_INFO("queue rule removed");
    }
    for (auto& worker : workers) worker->stop();
    // The descriptor borrows TableWatch's fd: TableWatch closes it.
    if (watch_stream) watch_stream->release();
  }

  void arm_watch() {
    watch_stream->async_wait(asio::posix::descriptor_base::wait_read, [this](boost::system::error_code ec) {
      if (ec) return;
      if (reconciling) {
        watch_waiting = true;  // read again when the reconcile is over
        return;
      }
      read_watch();
    });
  }

  void read_watch() {
    auto events = watch->read(netlink->portid());
    if (!events) {
      LOG_WARN("%s", events.error().message().c_str());
    } else if (events->change != nft::Change::none || (pending_change != nft::Change::none && events->transaction_end)) {
      schedule_reconcile(events->change, events->transaction_end);
    }
    arm_watch();
  }

  // Act once the transaction that took things away has ended (its
  // NFT_MSG_NEWGEN arrived): until the table is back nothing is enforced, so
  // no fixed wait (a 20 ms one let an unsigned request through in about 1 of
  // 3 flushes under load), but never on half of a transaction either. If the
  // end marker was lost (ENOBUFS), a short timer stands in for it.
  void schedule_reconcile(nft::Change change, bool transaction_end) {
    pending_change = std::max(pending_change, change);
    reconcile_timer.expires_after(std::chrono::milliseconds(transaction_end ? 0 : 50));
    reconcile_timer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      if (reconciling) return;  // the one running reads the watch when done
      nft::Change todo = std::exchange(pending_change, nft::Change::none);
      if (todo != nft::Change::none) start_reconcile(todo);
    });
  }

  // The reconcile waits for the kernel (netlink acks, `nft -f`, a bulk add
  // of every session): on the kernel worker, so sign-ins and captivectl are
  // answered meanwhile, their kernel jobs queued behind it. A failed restore
  // is tried again by itself (1 s, doubling up to 30 s), not only at the
  // next event: nobody may touch the firewall again soon.
  void start_reconcile(nft::Change todo) {
    reconciling = true;
    kernel.post([this, todo, delay = retry_delay] {
      bool done = reconcile(todo, delay);
      asio::post(io, [this, done] {
        reconciling = false;
        if (done) {
          retry_timer.cancel();
          retry_delay = std::chrono::seconds(1);
        } else {
          ++restore_failures;
          retry_timer.expires_after(retry_delay);
          retry_delay = std::min(retry_delay * 2, std::chrono::seconds(30));
          retry_timer.async_wait([this](boost::system::error_code ec) {
            if (!ec) schedule_reconcile(nft::Change::sessions, true);
          });
        }
        if (pending_change != nft::Change::none) schedule_reconcile(nft::Change::none, true);
        // Read at once rather than wait: Asio's epoll is edge-triggered, and
        // the edge of what arrived since the reconcile's last read found no
        // wait pending.
        if (std::exchange(watch_waiting, false)) read_watch();
      });
    });
  }

  // Puts back what somebody else took away: the table (from the ruleset
  // file, with the resolvers), our queue rule, the sessions we know of, and
  // the resolvers of a table somebody else loaded. False if something could
  // not be put back (logged; start_reconcile tries again later). Runs on the
  // kernel worker; `retry_delay` is only for the log line.
  bool reconcile(nft::Change change, std::chrono::seconds retry_delay) {
    auto started = std::chrono::steady_clock::now();
    bool loaded_here = false;
    if (auto present = netlink->check_ruleset(); !present) {
      if (present.error().code != ENOENT) {
        LOG_ERROR("ruleset check: %s", present.error().message().c_str());
        return false;
      }
      LOG_WARN("table inet captive is gone: loading %s", ruleset_load.ruleset.c_str());
      if (auto loaded = load_ruleset(ruleset_load); !loaded) {
        // Say what clients get, not what we wish: without the table, nothing
        // of ours is in the path (fail open as far as we are concerned).
        LOG_ERROR("cannot restore the ruleset (%s): table inet captive is gone, so unsigned clients are neither "
                  "intercepted nor stopped by captive: they reach whatever the rest of the firewall lets through; "
                  "captived tries again in %lld s and on the next nftables event",
                  loaded.error().message().c_str(), static_cast<long long>(retry_delay.count()));
        return false;
      }
      loaded_here = true;
      // From the start of the reconcile to nft's exit: the table came back
      // before that (nft commits, then closes its socket), so this bounds
      // how long the flush left clients unchecked (e2e 052).
      LOG_INFO("table inet captive loaded in %.1f ms", std::chrono::duration<double, std::milli>(
                                                            std::chrono::steady_clock::now() - started).count());
      change = nft::Change::sessions;
      // Our own load made events too: they are answered by what follows.
      (void)watch->read(netlink->portid());
    }
    if (change == nft::Change::unknown) {
      // Events were lost. Table, sets and chain are there (checked above);
      // our queue rule is the canary: recreating the table or flushing the
      // chain removes it, while our own bulk adds leave it alone.
      auto present = netlink->queue_rule_present();
      if (!present) {
        LOG_ERROR("ruleset check: %s", present.error().message().c_str());
        return false;
      }
      if (*present) return true;
      change = nft::Change::sessions;
    }
    auto sessions = put_back(change);
    if (!sessions) return false;
    // A table somebody else (re)created has empty resolver sets: forwarded
    // DNS fails closed until they are filled. Last, so HTTP interception
    // and sessions come back first.
    if (change == nft::Change::sessions && !loaded_here) {
      if (auto dns = replace_dns_servers(ruleset_load); !dns) {
        // No such sets: a table from an older captive.nft (port 53 open to
        // all). Ours replaces it, as at start.
        LOG_WARN("%s: loading %s over the table somebody loaded", dns.error().message().c_str(),
                 ruleset_load.ruleset.c_str());
        if (auto loaded = load_ruleset(ruleset_load); !loaded) {
          LOG_ERROR("cannot load %s (%s): unsigned clients get what the table somebody else loaded says, without "
                    "captived's resolvers; captived tries again in %lld s",
                    ruleset_load.ruleset.c_str(), loaded.error().message().c_str(),
                    static_cast<long long>(retry_delay.count()));
          return false;
        }
        (void)watch->read(netlink->portid());
        sessions = put_back(nft::Change::sessions);
        if (!sessions) return false;
      }
    }
    // Our own changes made events too (one per restored element): they
    // are answered by what we just did.
    (void)watch->read(netlink->portid());
    ++restores;
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    LOG_INFO("restored queue rule and %zu sessions in %.1f ms", *sessions, ms);
    return true;
  }

  // Our queue rule, and with Change::sessions every session we know of.
  // The number of sessions put back; nullopt on failure (logged).
  std::optional<std::size_t> put_back(nft::Change change) {
    auto kind = netlink->install_queue_rule(nft::QueueRule{config.queue_num, config.queues, true});
    if (!kind) {
      // The table is there: its forward chain still stops unsigned clients.
      LOG_ERROR("restore queue rule: %s; unsigned clients' HTTP is not answered (dropped in forward) until it is back",
                kind.error().message().c_str());
      return std::nullopt;
    }
    if (change != nft::Change::sessions) return 0;
    auto restored = registry->restore_from_kernel_thread();
    if (!restored) {
      LOG_ERROR("restore sessions: %s; signed-in clients are stopped like unsigned ones until they are back",
                restored.error().message().c_str());
      return std::nullopt;
    }
    return *restored;
  }

  Counters counters() const {
    Counters out;
    for (const auto& worker : workers) worker->add_counters(out);
    const portal::Stats& p = handler->stats();
    add_counter(out, "portal.pages", p.pages);
    add_counter(out, "portal.sign_ins", p.sign_ins);
    add_counter(out, "portal.unknown_client", p.unknown_client);
    add_counter(out, "portal.bad_token", p.bad_token);
    add_counter(out, "portal.refused", p.refused);
    add_counter(out, "portal.set_errors", p.set_errors);
    add_counter(out, "portal.identity_mismatch", p.identity_mismatch);
    add_counter(out, "portal.wrong_host", p.wrong_host);
    add_counter(out, "portal.unsigned_url", p.unsigned_url);
    add_counter(out, "portal.connections_evicted", portal_server->connections_evicted());
    add_counter(out, "portal.connections_refused", portal_server->connections_refused());
    add_counter(out, "nft.restores", restores.load());
    add_counter(out, "nft.restore_failures", restore_failures.load());
    return out;
  }
};

App::App(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
App::~App() = default;

Result<std::unique_ptr<App>> App::start(const Config& config) {
  auto impl = std::make_unique<Impl>();
  Impl& s = *impl;
  s.config = config;

  auto device = inject::device_lookup(config.lan);
  if (!device) return device.error();
  s.device = *device;

  LanAddresses addresses = lan_addresses(config.lan);
  responder::Settings rs;
  if (!config.portal_url.empty()) {
    rs.portal_url_v4 = rs.portal_url_v6 = config.portal_url;
  } else {
    if (!addresses.v4 && !addresses.v6)
      return make_error(EADDRNOTAVAIL, "interface " + config.lan +
                                           " has no IPv4 or global IPv6 address for the sign-in page "
                                           "(give it one, or pass --portal-url)");
    if (addresses.v4) rs.portal_url_v4 = portal_url(*addresses.v4, config.portal_port);
    if (addresses.v6) rs.portal_url_v6 = portal_url(*addresses.v6, config.portal_port);
  }

  Secrets secrets;
  if (auto loaded = load_or_create_secrets(config.state_dir)) {
    secrets = *loaded;
  } else {
    LOG_WARN("%s; using keys for this run only", loaded.error().message().c_str());
    secrets = ephemeral_secrets();
  }
  rs.cookie_key = secrets.cookie_key;
  rs.link_key = secrets.link_key;
  rs.lan_mac = s.device.mac;
  rs.lan_mtu = s.device.mtu;
  s.tokens.emplace(secrets.token_key);

  // nft by an absolute path, found once: a restore must not depend on the
  // PATH of whoever started us, nor find another nft later.
  const char* path_env = std::getenv("PATH");
  auto nft_path = find_nft(config.nft, path_env ? path_env : "");
  if (!nft_path) return nft_path.error();
  s.ruleset_load = RulesetLoad{*nft_path, config.lan, config.portal_port, absolute_path(config.ruleset), config.dns_servers};

  auto netlink = nft::Netlink::open();
  if (!netlink) return netlink.error();
  s.netlink.emplace(std::move(*netlink));
  // No table: load it ourselves rather than run without enforcement.
  bool table_was_there = true;
  if (auto ruleset = s.netlink->check_ruleset(); !ruleset) {
    if (ruleset.error().code != ENOENT) return ruleset.error();
    // (Without the message's hint to run install-ruleset: we do it.)
    std::string missing = ruleset.error().what.substr(0, ruleset.error().what.find(": run "));
    LOG_INFO("%s: loading %s", missing.c_str(), s.ruleset_load.ruleset.c_str());
    if (auto loaded = load_ruleset(s.ruleset_load); !loaded)
      return Error{loaded.error().code, missing + " and cannot be loaded: " + loaded.error().what};
    if (auto again = s.netlink->check_ruleset(); !again) return again.error();
    table_was_there = false;
    LOG_INFO("table inet captive loaded from %s", s.ruleset_load.ruleset.c_str());
  }

  auto neighbours = neigh::NeighbourTable::open(s.device.ifindex);
  if (!neighbours) return neighbours.error();
  s.neighbours.emplace(std::move(*neighbours));

  session::Executors executors{[&s](session::Job job) { s.kernel.post(std::move(job)); },
                               [&s](session::Job job) { asio::post(s.io, std::move(job)); },
                               [&s] { s.kernel.run_queued(); }};
  s.registry.emplace(*s.netlink, session::Clocks{}, config.bind_ip ? session::Binding::mac_ip : session::Binding::mac,
                     std::move(executors));
  s.registry->set_default_limits(session::Limits{std::nullopt, std::nullopt, config.rate_down, config.rate_up});
  // Sessions from before a restart or crash live on in the kernel set: take
  // them over, so a later flush of the table restores them too.
  if (auto adopted = s.registry->adopt(); !adopted)
    LOG_WARN("cannot read the sessions already in the set: %s", adopted.error().message().c_str());
  else if (*adopted > 0)
    LOG_INFO("took over %zu sessions already in the set", *adopted);
  if (table_was_there) {
    // Whoever loaded it (install-ruleset, an older captived) may have named
    // other resolvers, or the table predates the DNS sets: ours apply.
    if (auto dns = replace_dns_servers(s.ruleset_load); !dns) {
      LOG_WARN("%s: loading %s again (the sessions taken over are put back)", dns.error().message().c_str(),
               s.ruleset_load.ruleset.c_str());
      if (auto loaded = load_ruleset(s.ruleset_load); !loaded) return loaded.error();
      if (auto restored = s.registry->restore(); !restored) return restored.error();
    }
  }
  // The identity of a sign-in is the MAC of that connection's packets (map
  // @portal_peers4, @portal_macs6 + @portal_peers6 of our table); the
  // neighbour table only cross-checks.
  auto portal_peers = nft::PortalPeers::open();
  if (!portal_peers) return portal_peers.error();
  s.portal_peers.emplace(std::move(*portal_peers));
  std::vector<packet::IpAddr> lan_ips;
  if (addresses.v4) lan_ips.push_back(*addresses.v4);
  if (addresses.v6) lan_ips.push_back(*addresses.v6);
  const portal::Executors portal_executors{[&s](portal::Executors::Job job) { s.lookups.post(std::move(job)); },
                                           [&s](portal::Executors::Job job) { asio::post(s.io, std::move(job)); }};
  s.handler.emplace(portal::HandlerSettings{config.session_timeout, config.site_name,
                                            portal::accepted_hosts(lan_ips, config.portal_port, config.portal_url),
                                            secrets.link_key},
                    portal::Handler::Deps{*s.registry, *s.portal_peers, *s.neighbours, *s.tokens, s.backend,
                                          now_seconds, portal_executors});

  auto portal_server = portal::Server::start(s.io, portal::ServerSettings{config.lan, config.portal_port}, *s.handler,
                                             *s.portal_peers, portal_executors);
  if (!portal_server) return portal_server.error();
  s.portal_server = std::move(*portal_server);

  s.control_context.emplace(control::Context{*s.registry, [&s] { return s.counters(); }});
  auto control_server = control::Server::start(s.io, config.socket_path, *s.control_context);
  if (!control_server) return control_server.error();
  s.control_server = std::move(*control_server);

  // Bind the queues before the rule points at them, so no packet meets a
  // rule with nobody behind it (with bypass it would pass to the forward drop).
  for (std::uint16_t i = 0; i < config.queues; ++i) {
    // Cookie slots run on CLOCK_BOOTTIME: NTP stepping the wall clock must
    // not expire or revive them.
    auto worker = PacketWorker::open(static_cast<std::uint16_t>(config.queue_num + i), rs, s.device,
                                     worker::boottime_seconds);
    if (!worker) return worker.error();
    s.workers.push_back(std::move(*worker));
  }
  for (auto& worker : s.workers) worker->start();

  // Watch before installing, so no change after this point goes unseen.
  auto watch = nft::TableWatch::open();
  if (!watch) return watch.error();
  s.watch.emplace(std::move(*watch));
  s.watch_stream.emplace(s.io, s.watch->fd());
  struct stat st {};
  if (::stat(s.ruleset_load.ruleset.c_str(), &st) != 0)
    LOG_WARN("--ruleset %s: %s: a flushed table cannot be loaded again by captived", s.ruleset_load.ruleset.c_str(),
             std::strerror(errno));

  auto kind = s.netlink->install_queue_rule(nft::QueueRule{config.queue_num, config.queues, true});
  if (!kind) return kind.error();
  s.queue_rule_installed = true;

  LOG_INFO("sign-in page %s%s%s, port %u; control socket %s", rs.portal_url_v4.c_str(),
           rs.portal_url_v6.empty() || rs.portal_url_v6 == rs.portal_url_v4 ? "" : " and ",
           rs.portal_url_v6 == rs.portal_url_v4 ? "" : rs.portal_url_v6.c_str(),
           static_cast<unsigned>(config.portal_port), config.socket_path.c_str());
  if (config.bind_ip) LOG_INFO("sessions are bound to MAC and address (--bind-ip)");
  if (config.rate_down || config.rate_up)
    LOG_INFO("rates per session (bytes/s, 0 = none): down %llu, up %llu",
             static_cast<unsigned long long>(config.rate_down.value_or(0)),
             static_cast<unsigned long long>(config.rate_up.value_or(0)));
  {
    std::string resolvers;
    for (const auto& a : config.dns_servers) resolvers += (resolvers.empty() ? "" : ", ") + a.to_string();
    LOG_INFO("nft %s; forwarded DNS before sign-in: %s", s.ruleset_load.nft.c_str(),
             resolvers.empty() ? "none (clients use the router's resolver)" : resolvers.c_str());
  }
  LOG_INFO("ready: lan %s (%s, mtu %u), queue %u%s via %s", config.lan.c_str(), s.device.mac.to_string().c_str(),
           static_cast<unsigned>(s.device.mtu), static_cast<unsigned>(config.queue_num),
           config.queues > 1 ? ("-" + std::to_string(config.queue_num + config.queues - 1) + " (one thread each)").c_str() : "",
           nft::queue_kind_name(*kind));
  return std::unique_ptr<App>(new App(std::move(impl)));
}

int App::run() {
  Impl& s = *impl_;
  s.signals.async_wait([&s](boost::system::error_code ec, int signal) {
    if (ec) return;
    LOG_INFO("%s: stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
    s.io.stop();
  });
  s.arm_hangup();
  s.arm_watch();
  s.io.run();
  return 0;
}

}  // namespace captive::daemon
