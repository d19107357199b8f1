#include "captive/daemon/app.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <ctime>
#include <optional>

#include "captive/auth/backend.hpp"
#include "captive/auth/token.hpp"
#include "captive/control/server.hpp"
#include "captive/daemon/secrets.hpp"
#include "captive/inject/sender.hpp"
#include "captive/neigh/neighbours.hpp"
#include "captive/nfq/queue.hpp"
#include "captive/nft/allowed_set.hpp"
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

// The source address of a queued IPv4/IPv6 packet, for the seen-addresses table.
std::optional<packet::IpAddr> source_of(std::span<const std::byte> l3) {
  if (l3.empty()) return std::nullopt;
  auto* b = reinterpret_cast<const std::uint8_t*>(l3.data());
  if ((b[0] >> 4) == 4 && l3.size() >= 20) return packet::IpAddr::v4(b + 12);
  if ((b[0] >> 4) == 6 && l3.size() >= 40) return packet::IpAddr::v6(b + 8);
  return std::nullopt;
}

}  // namespace

struct App::Impl {
  Config config;
  asio::io_context io{1};
  inject::Device device;
  std::optional<nft::Netlink> netlink;
  std::optional<nfq::Queue> queue;
  std::optional<inject::PacketSocketSender> sender;
  std::optional<neigh::NeighbourTable> neighbours;
  std::optional<responder::Responder> responder;
  std::optional<asio::posix::stream_descriptor> queue_stream;
  responder::Output output;
  session::SeenAddresses seen;
  std::optional<session::Registry> registry;
  std::optional<auth::TokenIssuer> tokens;
  auth::ClickThrough backend;
  std::optional<portal::Handler> handler;
  std::unique_ptr<portal::Server> portal_server;
  std::unique_ptr<control::Server> control_server;
  asio::signal_set signals{io, SIGINT, SIGTERM};
  bool queue_rule_installed = false;
  std::uint64_t no_hwaddr = 0;
  std::uint64_t send_errors = 0;

  ~Impl() {
    if (queue_rule_installed && netlink) {
      if (auto removed = netlink->remove_queue_rule(); !removed)
        LOG_WARN("remove queue rule: %s", removed.error().message().c_str());
      else
        LOG_INFO("queue rule removed");
    }
  }

  void arm_queue() {
    queue_stream->async_wait(asio::posix::descriptor_base::wait_read, [this](boost::system::error_code ec) {
      if (ec) return;
      drain_queue();
      arm_queue();
    });
  }

  void drain_queue() {
    std::uint64_t now = now_seconds();
    auto drained = queue->drain([this, now](const nfq::QueuedPacket& p) { on_packet(p, now); });
    if (!drained) LOG_WARN("%s", drained.error().message().c_str());
  }

  void on_packet(const nfq::QueuedPacket& p, std::uint64_t now) {
    if (!p.hwaddr) {
      ++no_hwaddr;  // not from an Ethernet-like device: nobody to answer
      return;
    }
    if (auto source = source_of(p.payload)) seen.record(*source, *p.hwaddr, now);
    responder::Packet in{p.payload, p.original_length, *p.hwaddr, p.checksum_not_ready};
    responder->handle(in, now, output);
    for (std::size_t i = 0; i < output.count; ++i) {
      if (auto sent = sender->send(output.frame(i)); !sent) {
        if (send_errors++ == 0) LOG_WARN("%s (counting further send errors)", sent.error().message().c_str());
      }
    }
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
  s.responder.emplace(std::move(rs));
  s.tokens.emplace(secrets.token_key);

  auto netlink = nft::Netlink::open();
  if (!netlink) return netlink.error();
  s.netlink.emplace(std::move(*netlink));
  if (auto ruleset = s.netlink->check_ruleset(); !ruleset) return ruleset.error();

  auto sender = inject::PacketSocketSender::open(s.device);
  if (!sender) return sender.error();
  s.sender.emplace(std::move(*sender));

  auto neighbours = neigh::NeighbourTable::open(s.device.ifindex);
  if (!neighbours) return neighbours.error();
  s.neighbours.emplace(std::move(*neighbours));

  s.registry.emplace(*s.netlink);
  s.handler.emplace(portal::HandlerSettings{config.session_timeout, config.site_name},
                    portal::Handler::Deps{*s.registry, *s.neighbours, s.seen, *s.tokens, s.backend, now_seconds});

  auto portal_server = portal::Server::start(s.io, portal::ServerSettings{config.lan, config.portal_port}, *s.handler);
  if (!portal_server) return portal_server.error();
  s.portal_server = std::move(*portal_server);

  auto control_server = control::Server::start(s.io, config.socket_path, *s.registry);
  if (!control_server) return control_server.error();
  s.control_server = std::move(*control_server);

  // Bind the queue before the rule points at it, so no packet meets a rule
  // with nobody behind it (with bypass it would pass to the forward drop).
  nfq::Options qo;
  qo.queue_num = config.queue_num;
  auto queue = nfq::Queue::open(qo);
  if (!queue) return queue.error();
  s.queue.emplace(std::move(*queue));
  s.queue_stream.emplace(s.io, s.queue->fd());

  auto kind = s.netlink->install_queue_rule(nft::QueueRule{config.queue_num, 1, true});
  if (!kind) return kind.error();
  s.queue_rule_installed = true;

  LOG_INFO("ready: lan %s (%s, mtu %u), queue %u via %s", config.lan.c_str(), s.device.mac.to_string().c_str(),
           static_cast<unsigned>(s.device.mtu), static_cast<unsigned>(config.queue_num), nft::queue_kind_name(*kind));
  LOG_INFO("sign-in page %s%s%s, port %u; control socket %s", s.responder->settings().portal_url_v4.c_str(),
           s.responder->settings().portal_url_v6.empty() ? "" : " and ",
           s.responder->settings().portal_url_v6.c_str(), static_cast<unsigned>(config.portal_port),
           config.socket_path.c_str());
  return std::unique_ptr<App>(new App(std::move(impl)));
}

int App::run() {
  Impl& s = *impl_;
  s.signals.async_wait([&s](boost::system::error_code ec, int signal) {
    if (ec) return;
    LOG_INFO("%s: stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
    s.io.stop();
  });
  s.arm_queue();
  s.io.run();
  return 0;
}

}  // namespace captive::daemon
