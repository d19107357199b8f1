#include "captive/daemon/app.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <cstring>
#include <ctime>
#include <sys/stat.h>
#include <optional>

#include "captive/auth/backend.hpp"
#include "captive/auth/token.hpp"
#include "captive/control/server.hpp"
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
#include "captive/session/seen_addresses.hpp"
#include "captive/util/log.hpp"

namespace captive::daemon {
namespace asio = boost::asio;

namespace {

std::uint64_t now_seconds() { return static_cast<std::uint64_t>(std::time(nullptr)); }

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

std::string portal_url(const packet::IpAddr& address, std::uint16_t port) {
  std::string host = address.is_v4() ? address.to_string() : "[" + address.to_string() + "]";
  return "http://" + host + ":" + std::to_string(port) + "/";
}

}  // namespace

struct App::Impl {
  Config config;
  asio::io_context io{1};
  inject::Device device;
  std::optional<nft::Netlink> netlink;
  std::optional<neigh::NeighbourTable> neighbours;
  std::optional<nft::PortalPeers> portal_peers;
  session::SeenAddresses seen;
  std::vector<std::unique_ptr<PacketWorker>> workers;
  std::optional<session::Registry> registry;
  std::optional<auth::TokenIssuer> tokens;
  auth::ClickThrough backend;
  std::optional<portal::Handler> handler;
  std::optional<control::Context> control_context;
  std::unique_ptr<portal::Server> portal_server;
  std::unique_ptr<control::Server> control_server;
  asio::signal_set signals{io, SIGINT, SIGTERM};
  bool queue_rule_installed = false;
  std::optional<nft::TableWatch> watch;
  std::optional<asio::posix::stream_descriptor> watch_stream;
  asio::steady_timer reconcile_timer{io};
  nft::Change pending_change = nft::Change::none;
  std::uint64_t restores = 0;

  ~Impl() {
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
      auto events = watch->read(netlink->portid());
      if (!events) {
        LOG_WARN("%s", events.error().message().c_str());
      } else if (events->change != nft::Change::none || (pending_change != nft::Change::none && events->transaction_end)) {
        schedule_reconcile(events->change, events->transaction_end);
      }
      arm_watch();
    });
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
      nft::Change todo = std::exchange(pending_change, nft::Change::none);
      if (todo != nft::Change::none) reconcile(todo);
    });
  }

  // Puts back what somebody else took away: the table (from the ruleset
  // file), our queue rule, and the sessions we know of.
  void reconcile(nft::Change change) {
    auto started = std::chrono::steady_clock::now();
    if (auto present = netlink->check_ruleset(); !present) {
      if (present.error().code != ENOENT) {
        LOG_ERROR("ruleset check: %s", present.error().message().c_str());
        return;
      }
      LOG_WARN("table inet captive is gone: loading %s", config.ruleset.c_str());
      if (auto loaded = run_command(ruleset_command(config.lan, config.portal_port, config.ruleset)); !loaded) {
        LOG_ERROR("cannot restore the ruleset (%s): nobody is intercepted or let in until it is loaded again",
                  loaded.error().message().c_str());
        return;
      }
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
        return;
      }
      if (*present) return;
      change = nft::Change::sessions;
    }
    auto kind = netlink->install_queue_rule(nft::QueueRule{config.queue_num, config.queues, true});
    if (!kind) {
      LOG_ERROR("restore queue rule: %s", kind.error().message().c_str());
      return;
    }
    std::size_t sessions = 0;
    if (change == nft::Change::sessions) {
      auto restored = registry->restore();
      if (!restored) {
        LOG_ERROR("restore sessions: %s", restored.error().message().c_str());
        return;
      }
      sessions = *restored;
    }
    // Our own changes made events too (one per restored element): they
    // are answered by what we just did.
    (void)watch->read(netlink->portid());
    ++restores;
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    LOG_INFO("restored queue rule and %zu sessions in %.1f ms", sessions, ms);
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
    add_counter(out, "portal.connections_evicted", portal_server->connections_evicted());
    add_counter(out, "portal.connections_refused", portal_server->connections_refused());
    add_counter(out, "nft.restores", restores);
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
  rs.lan_mac = s.device.mac;
  rs.lan_mtu = s.device.mtu;
  s.tokens.emplace(secrets.token_key);

  auto netlink = nft::Netlink::open();
  if (!netlink) return netlink.error();
  s.netlink.emplace(std::move(*netlink));
  if (auto ruleset = s.netlink->check_ruleset(); !ruleset) return ruleset.error();

  auto neighbours = neigh::NeighbourTable::open(s.device.ifindex);
  if (!neighbours) return neighbours.error();
  s.neighbours.emplace(std::move(*neighbours));

  s.registry.emplace(*s.netlink, [] { return session::Clock::now(); },
                     config.bind_ip ? session::Binding::mac_ip : session::Binding::mac);
  // Sessions from before a restart or crash live on in the kernel set: take
  // them over, so a later flush of the table restores them too.
  if (auto adopted = s.registry->adopt(); !adopted)
    LOG_WARN("cannot read the sessions already in the set: %s", adopted.error().message().c_str());
  else if (*adopted > 0)
    LOG_INFO("took over %zu sessions already in the set", *adopted);
  // The identity of a sign-in is the MAC of that connection's packets (map
  // @portal_peers4, @portal_macs6 + @portal_peers6 of our table); the
  // neighbour table only cross-checks.
  auto portal_peers = nft::PortalPeers::open();
  if (!portal_peers) return portal_peers.error();
  s.portal_peers.emplace(std::move(*portal_peers));
  std::vector<packet::IpAddr> lan_ips;
  if (addresses.v4) lan_ips.push_back(*addresses.v4);
  if (addresses.v6) lan_ips.push_back(*addresses.v6);
  s.handler.emplace(portal::HandlerSettings{config.session_timeout, config.site_name,
                                            portal::accepted_hosts(lan_ips, config.portal_port, config.portal_url)},
                    portal::Handler::Deps{*s.registry, *s.portal_peers, *s.neighbours, *s.tokens, s.backend,
                                          now_seconds});

  auto portal_server = portal::Server::start(s.io, portal::ServerSettings{config.lan, config.portal_port}, *s.handler,
                                             *s.portal_peers);
  if (!portal_server) return portal_server.error();
  s.portal_server = std::move(*portal_server);

  s.control_context.emplace(control::Context{*s.registry, [&s] { return s.counters(); }});
  auto control_server = control::Server::start(s.io, config.socket_path, *s.control_context);
  if (!control_server) return control_server.error();
  s.control_server = std::move(*control_server);

  // Bind the queues before the rule points at them, so no packet meets a
  // rule with nobody behind it (with bypass it would pass to the forward drop).
  for (std::uint16_t i = 0; i < config.queues; ++i) {
    auto worker = PacketWorker::open(static_cast<std::uint16_t>(config.queue_num + i), rs, s.device, s.seen);
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
  if (::stat(config.ruleset.c_str(), &st) != 0)
    LOG_WARN("--ruleset %s: %s: a flushed table cannot be loaded again by captived", config.ruleset.c_str(),
             std::strerror(errno));

  auto kind = s.netlink->install_queue_rule(nft::QueueRule{config.queue_num, config.queues, true});
  if (!kind) return kind.error();
  s.queue_rule_installed = true;

  LOG_INFO("sign-in page %s%s%s, port %u; control socket %s", rs.portal_url_v4.c_str(),
           rs.portal_url_v6.empty() || rs.portal_url_v6 == rs.portal_url_v4 ? "" : " and ",
           rs.portal_url_v6 == rs.portal_url_v4 ? "" : rs.portal_url_v6.c_str(),
           static_cast<unsigned>(config.portal_port), config.socket_path.c_str());
  if (config.bind_ip) LOG_INFO("sessions are bound to MAC and address (--bind-ip)");
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
  s.arm_watch();
  s.io.run();
  return 0;
}

}  // namespace captive::daemon
