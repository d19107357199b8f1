#include "captive/daemon/app.hpp"

#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/signal_set.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sys/stat.h>
#include <unistd.h>
#include <optional>

#include "captive/auth/backend.hpp"
#include "captive/auth/gate.hpp"
#include "captive/auth/limiter.hpp"
#include "captive/auth/radius_backend.hpp"
#include "captive/auth/radius_accounting.hpp"
#include "captive/auth/radius_client.hpp"
#include "captive/auth/radius_coa.hpp"
#include "captive/auth/users.hpp"
#include "captive/auth/work_pool.hpp"
#include "captive/auth/token.hpp"
#include "captive/auth/voucher_backend.hpp"
#include "captive/auth/vouchers.hpp"
#include "captive/conntrack/flows.hpp"
#include "captive/control/server.hpp"
#include "captive/control/vouchers.hpp"
#include "captive/daemon/kernel_worker.hpp"
#include "captive/daemon/notify.hpp"
#include "captive/daemon/packet_worker.hpp"
#include "captive/daemon/privileges.hpp"
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
#include "captive/session/lists.hpp"
#include "captive/session/registry.hpp"
#include "captive/session/state_file.hpp"
#include "captive/util/log.hpp"
#include "captive/util/file.hpp"
#include "shipped_probes.hpp"

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

// The probe table (docs/clients.md): --probes FILE, else the installed
// copy of the shipped table, else the same table built in. A file given
// that cannot be read or parsed refuses the start (with FILE:LINE).
Result<std::shared_ptr<const http::ProbeTable>> load_probes(const std::string& given) {
  const std::string path = given.empty() ? kShippedProbesPath : given;
  auto text = util::read_file(path, http::kMaxProbeFileBytes);
  std::string_view source = path;
  if (!text) {
    if (!given.empty() || text.error().code != ENOENT) return Error{text.error().code, "--probes: " + text.error().what};
    text = std::string(kShippedProbes);
    source = "built-in probe table";
  }
  auto table = http::parse_probe_table(*text, source);
  if (!table) return Error{table.error().code, "--probes: " + table.error().what};
  LOG_INFO("probes: %zu from %.*s", table->size(), static_cast<int>(source.size()), source.data());
  return std::shared_ptr<const http::ProbeTable>(std::make_shared<http::ProbeTable>(std::move(*table)));
}

std::string portal_url(const packet::IpAddr& address, std::uint16_t port, std::string_view scheme = "http") {
  std::string host = address.is_v4() ? address.to_string() : "[" + address.to_string() + "]";
  return std::string(scheme) + "://" + host + ":" + std::to_string(port) + "/";
}

// The private key must be the daemon's secret: a key others can read lets
// them impersonate the portal (docs/security.md). Warned, not refused: the
// operator may keep it on a read-only image where the mode is fixed.
void warn_if_key_readable(const std::string& key_file) {
  struct stat st {};
  if (::stat(key_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    LOG_WARN("--tls-key %s: readable by group or others (mode %03o); chmod 600 it", key_file.c_str(),
             static_cast<unsigned>(st.st_mode & 0777));
}

// The RADIUS shared secret: the file's first line, without its line end.
// A file others may read is warned of (docs/security.md), as the TLS key.
Result<std::string> read_radius_secret(const std::string& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("--radius-secret-file " + file);
  struct stat st {};
  if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
    LOG_WARN("--radius-secret-file %s: readable by group or others (mode %03o); chmod 600 it", file.c_str(),
             static_cast<unsigned>(st.st_mode & 0777));
  char buf[512];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n < 0) return errno_error("--radius-secret-file " + file);
  std::string secret(buf, static_cast<std::size_t>(n));
  if (auto nl = secret.find('\n'); nl != std::string::npos) secret.resize(nl);
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty()) return make_error(EINVAL, "--radius-secret-file " + file + ": empty first line");
  return secret;
}

// What a backend may use: the configuration, the worker pool for CPU-heavy
// work and the event loop its answers go back to.
struct AuthContext {
  const Config& config;
  auth::WorkPool& pool;
  std::function<void(std::function<void()>)> home;
};

// The backend `name` (one of auth::kBackendNames). A backend whose files
// cannot be read refuses the start, with the file's error.
Result<std::unique_ptr<auth::Backend>> make_backend(std::string_view name, const AuthContext& context) {
  if (name == "click") return std::unique_ptr<auth::Backend>(std::make_unique<auth::ClickThrough>());
  if (name == "users") {
    auto users = auth::Users::open(context.config.users_file,
                                   auth::PwhashParams{context.config.pwhash_ops, context.config.pwhash_mem},
                                   context.pool, context.home);
    if (!users) return users.error();
    return std::unique_ptr<auth::Backend>(std::move(*users));
  }
  return make_error(0, "--auth " + std::string(name) + ": not built into this captived");
}

}  // namespace

// Sign-in attempts waiting for the auth pool at most: with ~100 ms per
// hash on a router's core (docs/performance.md), about 1.6 s of work.
constexpr std::size_t kAuthQueue = 16;

struct App::Impl {
  Config config;
  asio::io_context io{1};
  // captived --lan, in the order given: each LAN's device and what its
  // unsigned clients are answered with (its MAC, MTU, portal URLs).
  std::vector<worker::LanSettings> lans;
  // Used on the kernel worker only, once the event loop runs (start-up and
  // shutdown use it on the main thread while the worker is idle or stopped).
  std::optional<nft::Netlink> netlink;
  // The threads start after the privilege drop (privileges.hpp), at the
  // end of App::start; jobs posted before then wait.
  KernelWorker kernel{"captived-kernel", KernelWorker::Start::later};
  // The portal's identity lookups (peer map, neighbour table): their own
  // thread and sockets, used by nothing else, so a page load or a new
  // connection never waits behind a bulk restore on `kernel`.
  KernelWorker lookups{"captived-lookup", KernelWorker::Start::later};
  std::optional<neigh::NeighbourTable> neighbours;
  // Used on the kernel worker only (Executors::on_end): when a session
  // ends, the client's addresses (neighbour dump) and its conntrack entries.
  std::optional<neigh::NeighbourTable> end_neighbours;
  std::optional<conntrack::Conntrack> conntrack;
  std::atomic<std::uint64_t> flows_cut{0};
  std::atomic<std::uint64_t> flow_cut_failures{0};
  std::optional<nft::PortalPeers> portal_peers;
  std::vector<std::unique_ptr<PacketWorker>> workers;
  std::optional<session::Registry> registry;
  std::optional<auth::TokenIssuer> tokens;
  // The sign-in backends (--auth) behind one Gate with the abuse limits
  // (home thread), and the pool their CPU-heavy work runs on. The pool is
  // declared after the gate: it stops (joins) before the backends go.
  std::optional<auth::Limiter> limiter;
  // The page templates (--templates) and the 511 bodies made from them,
  // replaced together on reload (home thread; the slot is read by the
  // queue threads).
  std::shared_ptr<const portal::Pages> pages;
  std::shared_ptr<http::AnswerBodiesSlot> answer_bodies = std::make_shared<http::AnswerBodiesSlot>();
  std::optional<auth::Gate> gate;
  std::optional<auth::WorkPool> auth_pool;
  // What each client asked and got (captivectl doctor): written by the
  // queue threads and the portal, read by the control socket.
  std::unique_ptr<responder::ClientLog> client_log;
  // One per LAN, in the order of `lans`: they differ only in the RFC 8908
  // API's user-portal-url (the portal on the client's own LAN); everything
  // else (sessions, tokens, identity) they share.
  std::vector<std::unique_ptr<portal::Handler>> handlers;
  std::optional<control::Context> control_context;
  // One listening socket per LAN (SO_BINDTODEVICE) and port: the portal
  // answers on every LAN and on no other device.
  std::vector<std::unique_ptr<portal::Server>> portal_servers;
  std::vector<std::unique_ptr<portal::Server>> portal_tls_servers;  // with --tls-cert
  std::unique_ptr<control::Server> control_server;
  asio::signal_set signals{io, SIGINT, SIGTERM};
  // SIGHUP asks for a reload (by convention, and what service managers'
  // `reload` sends): the config file is read again.
  asio::signal_set hangup{io, SIGHUP};
  // The service manager (sd_notify protocol; nothing without $NOTIFY_SOCKET).
  Notifier notifier;
  asio::steady_timer watchdog_timer{io};
  // The kernel worker ran the job the last watchdog tick posted.
  bool kernel_answered = true;
  // The flags captived was started with: they win over the file at every
  // reload too.
  std::vector<Setting> command_line;
  std::chrono::steady_clock::time_point started_at = std::chrono::steady_clock::now();
  // Which queue rule the kernel took (put_back may install it again).
  std::atomic<nft::QueueKind> queue_kind{nft::QueueKind::native};
  // What others' live keys do on reload (idle-timeout, quota, rates,
  // trusted/blocked MACs, walled garden): each gets the running config and
  // the new one, on the home thread, and copies what it applied into the
  // running one. Registered at start, next to the code they drive.
  using ReloadHook = std::function<void(Config& running, const Config& fresh)>;
  std::vector<ReloadHook> reload_hooks;
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
  // The MAC lists (home thread) and what the kernel sets of the lists hold
  // (kernel worker once the loop runs: every load and restore puts them in).
  session::MacLists lists;
  ListSets list_sets;
  std::optional<control::ListsContext> lists_context;
  // A reconcile runs on the kernel worker and reads the watch socket itself:
  // meanwhile the event loop leaves the socket alone.
  bool reconciling = false;
  bool watch_waiting = false;
  // The state file (docs/operations.md): written on its own thread, the
  // latest snapshot only, at most once a second after a sign-in, an end or
  // an extend, and every kCountersSaveInterval when only counters moved.
  KernelWorker state_writer{"captived-state", KernelWorker::Start::later};
  asio::steady_timer save_timer{io};
  asio::steady_timer sweep_timer{io};
  bool saving = false;
  bool state_dirty = false;
  bool state_urgent = false;
  std::chrono::steady_clock::time_point last_save{};
  static constexpr std::chrono::seconds kSaveSpacing{1};
  static constexpr std::chrono::seconds kCountersSaveInterval{30};

  // --- RADIUS (docs/radius.md) ---
  std::optional<auth::RadiusClient> radius_client;
  // --radius-mac-auth: MACs the responders answered (written by the queue
  // threads, drained here on a timer) and who was asked about.
  responder::SeenMacs seen_macs;
  std::optional<auth::RadiusMacAuth> radius_mac_auth;
  std::optional<asio::steady_timer> seen_timer;

  // Every 250 ms: the devices answered since, each asked about once. A
  // device signed in meanwhile, or blocked, is not asked.
  void drain_seen_macs() {
    seen_macs.drain([this](const packet::MacAddr& mac) {
      if (registry->find(mac) || lists.is_blocked(mac)) return;
      radius_mac_auth->check(mac);
    });
    seen_timer->expires_after(std::chrono::milliseconds(250));
    seen_timer->async_wait([this](boost::system::error_code ec) {
      if (!ec) drain_seen_macs();
    });
  }

  void start_mac_auth(const auth::RadiusNas& nas) {
    radius_mac_auth.emplace(*radius_client, nas, [this](const packet::MacAddr& mac, auth::Decision d) {
      if (registry->find(mac)) return;
      session::SignIn how{d.duration.value_or(config.session_timeout), d.method, d.user, d.limits};
      registry->sign_in(mac, std::nullopt, std::move(how), [mac](Result<void> r) {
        if (!r) {
          LOG_ERROR("radius: MAC sign-in of %s: %s", mac.to_string().c_str(), r.error().message().c_str());
          return;
        }
        LOG_INFO("signed in %s by its MAC (radius-mac)", mac.to_string().c_str());
      });
    });
    seen_timer.emplace(io);
    drain_seen_macs();
  }

  // --auth radius: the client's sockets on the event loop and the backend.
  // The secret is read here, before the privilege drop.
  Result<std::unique_ptr<auth::Backend>> radius_backend() {
    if (config.radius_servers.empty()) return make_error(EINVAL, "--auth radius needs --radius-server");
    if (config.radius_secret_file.empty()) return make_error(EINVAL, "--auth radius needs --radius-secret-file");
    auto secret = read_radius_secret(config.radius_secret_file);
    if (!secret) return secret.error();
    auth::RadiusClientSettings settings;
    for (const auto& a : config.radius_servers) {
      const auto ip = a.ip.is_v4() ? asio::ip::address(asio::ip::address_v4(
                                         asio::ip::address_v4::bytes_type{a.ip.bytes[0], a.ip.bytes[1], a.ip.bytes[2], a.ip.bytes[3]}))
                                   : asio::ip::address(asio::ip::address_v6(a.ip.bytes));
      settings.servers.emplace_back(ip, a.port);
    }
    settings.secret = std::move(*secret);
    settings.timeout = config.radius_timeout;
    settings.retries = config.radius_retries;
    radius_client.emplace(io, std::move(settings));
    if (auto opened = radius_client->open(); !opened) return opened.error();
    auth::RadiusNas nas;
    nas.nas_identifier = config.nas_id;
    if (nas.nas_identifier.empty()) {
      char host[256] = {};
      if (::gethostname(host, sizeof host - 1) == 0) nas.nas_identifier = host;
    }
    // RFC 3580 §3.20: "the MAC address of the access point, with the SSID
    // after a colon"; the first LAN's MAC and the site name stand for them.
    if (!lans.empty()) nas.called_station_id = auth::station_id(lans.front().device.mac) + ":" + config.site_name;
    nas.vouchers = config.radius_vouchers;
    if (config.radius_mac_auth) start_mac_auth(nas);
    return std::unique_ptr<auth::Backend>(std::make_unique<auth::RadiusBackend>(*radius_client, std::move(nas)));
  }

  // --- RADIUS accounting and Disconnect/CoA (docs/radius.md) ---
  std::optional<auth::RadiusClient> acct_client;
  std::unique_ptr<auth::RadiusAccounting> accounting;
  std::unique_ptr<auth::CoaListener> coa;

  static asio::ip::address asio_address(const packet::IpAddr& ip) {
    if (ip.is_v4())
      return asio::ip::address_v4(asio::ip::address_v4::bytes_type{ip.bytes[0], ip.bytes[1], ip.bytes[2], ip.bytes[3]});
    return asio::ip::address_v6(ip.bytes);
  }
  std::string nas_identifier() const {
    if (!config.nas_id.empty()) return config.nas_id;
    char host[256] = {};
    return ::gethostname(host, sizeof host - 1) == 0 ? std::string(host) : std::string();
  }

  // Accounting for every session, when there are accounting servers
  // (--radius-acct-server, or the --radius-server hosts on 1813). Before
  // resume(): sessions that ended while captived was down get their Stop.
  Result<void> radius_accounting(const std::optional<Account>& account) {
    const auto servers = radius_acct_servers(config);
    if (servers.empty()) return {};
    if (config.radius_secret_file.empty()) return make_error(EINVAL, "RADIUS accounting needs --radius-secret-file");
    auto secret = read_radius_secret(config.radius_secret_file);
    if (!secret) return secret.error();
    auth::RadiusClientSettings settings;
    for (const auto& a : servers) settings.servers.emplace_back(asio_address(a.ip), a.port);
    settings.secret = *secret;
    settings.timeout = config.radius_timeout;
    settings.retries = config.radius_retries;
    // RFC 3579 §3.2 asks a Message-Authenticator of Access-* packets; an
    // Accounting-Response carries none (FreeRADIUS sends none): its
    // Response Authenticator is checked.
    settings.require_message_authenticator = false;
    acct_client.emplace(io, std::move(settings));
    if (auto opened = acct_client->open(); !opened) return opened.error();
    auth::RadiusAccountingSettings a;
    a.queue_dir = config.state_dir + "/" + std::string(radius::kAccountingQueueDir);
    a.interval = config.acct_interval;
    a.secret = std::move(*secret);
    a.nas_identifier = nas_identifier();
    if (!lans.empty()) a.called_station_id = auth::station_id(lans.front().device.mac) + ":" + config.site_name;
    accounting = std::make_unique<auth::RadiusAccounting>(
        io, [this](auth::RadiusClient::Build build, auth::RadiusClient::Done done) {
          acct_client->send(std::move(build), std::move(done));
        },
        [this](session::Done<std::vector<session::Client>> done) { registry->list(std::move(done)); }, std::move(a));
    if (auto opened = accounting->open(); !opened) return Error{opened.error().code, "accounting queue: " + opened.error().message()};
    if (account)
      if (auto handed = hand_over_directory(config.state_dir + "/" + std::string(radius::kAccountingQueueDir), *account);
          !handed)
        return handed.error();
    return {};
  }

  // The Disconnect/CoA listener (RFC 5176), when there are RADIUS servers
  // and --coa-port is not 0: requests only from those servers' addresses.
  Result<void> radius_coa() {
    if ((config.radius_servers.empty() && config.radius_acct_servers.empty()) || config.coa_port == 0) return {};
    if (config.radius_secret_file.empty()) return make_error(EINVAL, "--coa-port needs --radius-secret-file");
    auto secret = read_radius_secret(config.radius_secret_file);
    if (!secret) return secret.error();
    auth::CoaListenerSettings settings;
    settings.port = config.coa_port;
    settings.secret = std::move(*secret);
    for (const auto& a : config.radius_servers) settings.servers.push_back(a.ip);
    for (const auto& a : radius_acct_servers(config)) settings.servers.push_back(a.ip);
    auth::SessionControl control;
    control.sessions = [this] { return registry->known(); };
    control.disconnect = [this](const packet::MacAddr& mac, session::Done<void> done) {
      registry->revoke(mac, session::EndCause::revoke, std::move(done));
    };
    control.change = [this](const packet::MacAddr& mac, std::optional<std::chrono::seconds> timeout,
                            const session::Limits& limits, session::Done<void> done) {
      registry->change(mac, timeout, limits, std::move(done));
    };
    coa = std::make_unique<auth::CoaListener>(io, std::move(settings), std::move(control));
    return coa->open();
  }

  // --- vouchers (docs/auth-vouchers.md) ---
  // The store (home thread); empty when vouchers are off or the file could
  // not be loaded (then `voucher_problem` says why and nothing writes it).
  bool voucher_enabled = false;
  std::optional<auth::VoucherStore> vouchers;
  std::string voucher_problem;
  std::optional<control::VoucherContext> voucher_context;
  // Writes of vouchers.json on the state writer: one in flight, the next
  // one takes the latest store and answers everyone who asked meanwhile.
  bool vouchers_saving = false;
  bool vouchers_dirty = false;
  std::vector<std::function<void(Result<void>)>> voucher_waiters;

  void save_vouchers(std::function<void(Result<void>)> done) {
    if (done) voucher_waiters.push_back(std::move(done));
    vouchers_dirty = true;
    maybe_save_vouchers();
  }

  void maybe_save_vouchers() {
    if (vouchers_saving || !vouchers_dirty || !vouchers) return;
    vouchers_dirty = false;
    vouchers_saving = true;
    // A copy (tens of ms for the store's maximum), formatted on the writer:
    // the event loop serves a crowd's sign-ins meanwhile.
    state_writer.post([this, copy = vouchers->vouchers(), waiters = std::exchange(voucher_waiters, {})]() mutable {
      auto written = auth::save_vouchers(config.state_dir, auth::format_vouchers(copy));
      asio::post(io, [this, written, waiters = std::move(waiters)] {
        vouchers_saving = false;
        if (!written)
          LOG_ERROR("vouchers: %s (the change lives on until captived stops)", written.error().message().c_str());
        for (const auto& waiter : waiters) waiter(written);
        maybe_save_vouchers();
      });
    });
  }

  // At start, before the backends (--auth voucher): the store from
  // --state-dir.
  void load_voucher_store() {
    auto loaded = auth::load_vouchers(config.state_dir);
    if (loaded) {
      vouchers.emplace(std::move(*loaded));
      LOG_INFO("vouchers: %zu in %s/%.*s", vouchers->vouchers().size(), config.state_dir.c_str(),
               static_cast<int>(auth::kVoucherFileName.size()), auth::kVoucherFileName.data());
    } else {
      // Never emptied: the file stays as it is for the operator to look at,
      // and every voucher is refused until it is fixed (a restart). The
      // other backends work meanwhile.
      voucher_problem = loaded.error().message();
      LOG_ERROR("vouchers: %s; voucher sign-ins are refused and the file is left as it is: fix or move it, then "
                "restart captived",
                voucher_problem.c_str());
    }
  }

  std::unique_ptr<auth::Backend> voucher_backend() {
    auth::VoucherBackend::Deps deps;
    deps.store = vouchers ? &*vouchers : nullptr;
    deps.problem = voucher_problem;
    // A first use or a new MAC on a voucher: written soon, not waited for
    // (the sign-in goes on; a crash before the write loses that use only).
    deps.changed = [this] { save_vouchers(nullptr); };
    return std::make_unique<auth::VoucherBackend>(std::move(deps));
  }

  // The control requests on the store (only with --auth voucher).
  void open_vouchers(control::Context& ctl) {
    voucher_context.emplace();
    voucher_context->store = vouchers ? &*vouchers : nullptr;
    voucher_context->problem = voucher_problem;
    voucher_context->save = [this](std::function<void(Result<void>)> done) { save_vouchers(std::move(done)); };
    voucher_context->network = [this] { return config.site_name; };
    ctl.vouchers = &*voucher_context;
  }
  // --- end of vouchers ---

  void state_changed(bool urgent) {
    state_dirty = true;
    state_urgent = state_urgent || urgent;
    maybe_save();
  }

  void maybe_save() {
    if (saving || !state_dirty) return;
    const auto due = last_save + (state_urgent ? std::chrono::seconds(kSaveSpacing) : kCountersSaveInterval);
    if (std::chrono::steady_clock::now() < due) {
      save_timer.expires_at(due);
      save_timer.async_wait([this](boost::system::error_code ec) {
        if (!ec) maybe_save();
      });
      return;
    }
    state_dirty = state_urgent = false;
    saving = true;
    state_writer.post([this, sessions = registry->snapshot()] {
      auto written = session::write_state_file(config.state_dir, session::format_state(sessions));
      asio::post(io, [this, written] {
        saving = false;
        last_save = std::chrono::steady_clock::now();
        if (!written)
          LOG_WARN("state file: %s (sessions live on in the kernel set; their metadata is lost if captived stops now)",
                   written.error().message().c_str());
        maybe_save();
      });
    });
  }

  // Expiry, idle timeouts and quotas are swept, not only noticed when
  // somebody lists (Registry::sweep).
  void arm_sweep() {
    sweep_timer.expires_after(session::Registry::kSweepInterval);
    sweep_timer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      registry->sweep([](Result<std::size_t> swept) {
        if (!swept) LOG_WARN("session sweep: %s", swept.error().message().c_str());
      });
      arm_sweep();
    });
  }


  void notify(std::string_view state) {
    if (auto sent = notifier.send(state); !sent) LOG_WARN("%s", sent.error().message().c_str());
  }

  // WATCHDOG=1 every half $WATCHDOG_USEC, from the event loop (a stuck loop
  // sends nothing), and only while the kernel worker runs what is posted to
  // it: a restore that hangs in the kernel ends in a restart by the
  // service manager rather than a daemon that answers pages but enforces
  // nothing new. A long restore yields between batches (run_queued), so it
  // answers within a tick.
  void arm_watchdog() {
    const auto period = notifier.watchdog();
    if (!period) return;
    watchdog_timer.expires_after(*period);
    watchdog_timer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      if (kernel_answered) {
        notify("WATCHDOG=1");
      } else {
        LOG_WARN("watchdog: the kernel worker has not run a job for %lld ms: no keep-alive sent",
                 static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(*notifier.watchdog()).count()));
      }
      kernel_answered = false;
      kernel.post([this] { asio::post(io, [this] { kernel_answered = true; }); });
      arm_watchdog();
    });
  }

  void arm_hangup() {
    hangup.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      LOG_INFO("SIGHUP: reloading");
      reload([](Result<control::ReloadOutcome>) {});  // reload() logs either way
      arm_hangup();
    });
  }

  // Reads the config file again (home thread). A file that does not parse
  // changes nothing: the error is logged and answered. Keys that apply live
  // are applied; keys that need a restart keep their running value (and are
  // named, in the log and the answer).
  void reload(control::Done<control::ReloadOutcome> done) {
    // sd_notify(3): RELOADING=1, then READY=1 when the reload is done (or
    // refused: the old configuration runs on, ready as before).
    notify(reloading_message());
    struct ReadyAgain {
      Impl& s;
      ~ReadyAgain() { s.notify("READY=1"); }
    } ready_again{*this};
    // The backends' files (the users file) are read again in any case:
    // `captivectl user add` asks for this after each edit.
    const auto backends = auth_backends(config);
    const bool auth_files = std::find(backends.begin(), backends.end(), "users") != backends.end();
    Result<void> auth_reloaded = gate->reload();
    // The templates are compiled again in any case (an operator edits them
    // and sends SIGHUP); an error keeps the pages running.
    Result<void> pages_reloaded = load_pages(config);
    if (!pages_reloaded)
      LOG_ERROR("reload: %s; keeping the pages loaded before", pages_reloaded.error().message().c_str());
    if (config.config_file.empty() && !config.templates.empty() && !auth_files) {
      if (!pages_reloaded) return done(make_error(0, pages_reloaded.error().message() + "; keeping the pages loaded before"));
      control::ReloadOutcome outcome;
      outcome.file = config.templates;
      outcome.changed.push_back("templates");
      return done(std::move(outcome));
    }
    if (config.config_file.empty() && auth_files) {
      if (!auth_reloaded) return done(make_error(0, auth_reloaded.error().message() + "; keeping the users loaded before"));
      control::ReloadOutcome outcome;
      outcome.file = config.users_file;
      outcome.changed.push_back("users");
      return done(std::move(outcome));
    }
    if (config.config_file.empty()) {
      LOG_WARN("reload: captived was started without --config: nothing to read again");
      return done(make_error(0, "captived was started without --config: nothing to read again"));
    }
    auto fresh = load_config(config.config_file, command_line);
    if (!fresh) {
      LOG_ERROR("reload: %s; keeping the running configuration", fresh.error().message().c_str());
      return done(make_error(0, fresh.error().message() + "; keeping the running configuration"));
    }
    control::ReloadOutcome outcome;
    outcome.file = config.config_file;
    std::string applied, kept;
    for (const Change& change : changed_keys(config, *fresh)) {
      if (change.applies == Applies::live) {
        outcome.changed.push_back(change.key);
        applied += (applied.empty() ? "" : ", ") + change.key;
      } else {
        outcome.restart_needed.push_back(change.key);
        kept += (kept.empty() ? "" : ", ") + change.key;
      }
    }
    apply_reload(*fresh);
    LOG_INFO("reload: %s: %s%s%s%s", config.config_file.c_str(), applied.empty() ? "nothing to apply" : "applied ",
             applied.c_str(), kept.empty() ? "" : "; needs a restart (running value kept): ", kept.c_str());
    done(std::move(outcome));
  }

  // Compiles the pages of `c` (its --templates, else the built-in ones)
  // and the 511 bodies with its site name; on success they replace the
  // running ones (handlers and the queues' slot), else nothing changes.
  Result<void> load_pages(const Config& c) {
    auto loaded = c.templates.empty() ? portal::Pages::builtin() : portal::Pages::load(c.templates);
    if (!loaded) return Error{loaded.error().code, "templates: " + loaded.error().message()};
    auto bodies = (*loaded)->answer_bodies(portal::Common{c.site_name});
    if (!bodies) return Error{0, "templates: " + bodies.error().message()};
    pages = *loaded;
    config.templates = c.templates;
    answer_bodies->store(*bodies);
    for (auto& handler : handlers) handler->set_pages(pages);
    return {};
  }

  // The live keys of `fresh` into the running config and the parts that use
  // them. Keys that need a restart are left as they run.
  void apply_reload(const Config& fresh) {
    // New sign-ins (portal and `captivectl allow` without --for) get the
    // new time; sessions already made keep theirs.
    config.session_timeout = fresh.session_timeout;
    for (auto& handler : handlers) handler->set_session_timeout(fresh.session_timeout);
    // The templates again when their directory or the name rendered into
    // the 511 changed (reload() read them again already otherwise).
    if (fresh.templates != config.templates || fresh.site_name != config.site_name) {
      if (auto loaded = load_pages(fresh); !loaded)
        LOG_ERROR("reload: %s; keeping the pages loaded before", loaded.error().message().c_str());
    }
    config.site_name = fresh.site_name;
    for (auto& handler : handlers) handler->set_site_name(fresh.site_name);
    config.log_level = fresh.log_level;
    log::set_level(fresh.log_level);
    if (fresh.dns_servers != config.dns_servers) {
      config.dns_servers = fresh.dns_servers;
      // ruleset_load belongs to the kernel worker (reconcile reads it there).
      kernel.post([this, servers = fresh.dns_servers] {
        ruleset_load.dns_servers = servers;
        if (auto dns = replace_dns_servers(ruleset_load); !dns)
          LOG_ERROR("reload: dns-server: %s", dns.error().message().c_str());
      });
    }
    // idle-timeout, quota, rate-down, rate-up, trusted-mac, blocked-mac,
    // allow-ip, allow-domain: their code registers a hook (reload_hooks).
    for (const auto& hook : reload_hooks) hook(config, fresh);
  }

  ~Impl() {
    // Nothing else may use the netlink socket from here on.
    kernel.stop();
    lookups.stop();
    // The last word on the sessions, with their latest counters.
    state_writer.stop();
    // Vouchers first used since the last write (a write in flight is done:
    // stop() ran it).
    if (vouchers && (vouchers_dirty || !voucher_waiters.empty())) {
      if (auto written = auth::save_vouchers(config.state_dir, vouchers->format()); !written)
        LOG_WARN("vouchers: %s", written.error().message().c_str());
    }
    if (registry) {
      if (auto written = session::write_state_file(config.state_dir, session::format_state(registry->snapshot()));
          !written)
        LOG_WARN("state file: %s", written.error().message().c_str());
    }
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
      if (auto loaded = load_ruleset(ruleset_load, list_sets); !loaded) {
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
      if (auto dns = replace_dns_servers(ruleset_load, list_sets); !dns) {
        // No such sets: a table from an older captive.nft (port 53 open to
        // all). Ours replaces it, as at start.
        LOG_WARN("%s: loading %s over the table somebody loaded", dns.error().message().c_str(),
                 ruleset_load.ruleset.c_str());
        if (auto loaded = load_ruleset(ruleset_load, list_sets); !loaded) {
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
    if (kind) queue_kind = *kind;
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

  // Every address of the router, now (a WAN lease may have changed).
  static std::vector<packet::IpAddr> local_addresses() {
    std::vector<packet::IpAddr> found;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return found;
    for (ifaddrs* a = list; a; a = a->ifa_next) {
      if (!a->ifa_addr) continue;
      if (a->ifa_addr->sa_family == AF_INET)
        found.push_back(packet::IpAddr::v4(
            reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr)));
      else if (a->ifa_addr->sa_family == AF_INET6)
        found.push_back(packet::IpAddr::v6(
            reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr)));
    }
    ::freeifaddrs(list);
    return found;
  }

  // A session ended (kernel worker, its element already gone): delete the
  // conntrack entries of every address the client has, so that no flow of
  // it outlives the session, not even one a flowtable carries past chain
  // forward. The address it signed in from plus what the neighbour table
  // has for its MAC (privacy addresses, a new lease); connections to the
  // router itself stay (the portal connection that carries a logout). A failure is logged
  // and counted: the session is over in the set whatever happens here.
  void cut_flows(const session::SessionEnd& end) {
    if (!conntrack) return;
    std::vector<packet::IpAddr> neighbours;
    if (auto found = end_neighbours->addresses_of(end.mac)) {
      neighbours = std::move(*found);
    } else {
      LOG_WARN("%s", found.error().message().c_str());
    }
    auto addresses = conntrack::client_addresses(end.ip, neighbours);
    if (addresses.empty()) {
      LOG_INFO("%s ended (%s): no address known, no conntrack entries to delete", end.mac.to_string().c_str(),
               std::string(session::to_string(end.cause)).c_str());
      return;
    }
    std::string list;
    for (const auto& a : addresses) list += (list.empty() ? "" : ",") + a.to_string();
    auto cut = conntrack->cut(addresses, local_addresses());
    if (!cut) {
      ++flow_cut_failures;
      LOG_WARN("%s ended (%s): cutting its flows (%s): %s", end.mac.to_string().c_str(),
               std::string(session::to_string(end.cause)).c_str(), list.c_str(), cut.error().message().c_str());
      return;
    }
    flows_cut += cut->deleted;
    LOG_INFO("%s ended (%s): deleted %zu conntrack entries from %s", end.mac.to_string().c_str(),
             std::string(session::to_string(end.cause)).c_str(), cut->deleted, list.c_str());
  }

  // After a change of the lists (home thread): the file in --state-dir,
  // then the kernel sets, on the kernel worker (fsync and nft block), in
  // order with restores; `done` comes back home.
  // `garden`: a new --allow-ip list (a reload), else the current one stays.
  void commit_lists(std::function<void(Result<void>)> done,
                    std::optional<std::vector<session::IpPrefix>> garden = std::nullopt) {
    std::string file = lists.runtime_file();
    kernel.post([this, file = std::move(file), trusted = lists.trusted(), blocked = lists.blocked(),
                 garden = std::move(garden), done = std::move(done)]() mutable {
      list_sets.trusted = std::move(trusted);
      list_sets.blocked = std::move(blocked);
      if (garden) list_sets.garden = std::move(*garden);
      Result<void> applied = replace_lists(ruleset_load, list_sets);
      Result<void> saved = session::write_file_atomically(config.state_dir, session::kListsFileName, file);
      Result<void> result;
      if (!applied) {
        result = Error{applied.error().code, applied.error().what + " (the change is kept and applies when the table is loaded again)"};
      } else if (!saved) {
        result = Error{saved.error().code, "in effect, but not saved (lost at restart): " + saved.error().message()};
      }
      if (!result) LOG_ERROR("lists: %s", result.error().message().c_str());
      asio::post(io, [done = std::move(done), result] { done(result); });
    });
  }

  // For a reload of the configuration (SIGHUP, captivectl reload; wired
  // by the config-file work): the lists and the walled garden change live.
  // Home thread. An invalid list keeps the old ones (the error says why);
  // run-time entries the new file contradicts are dropped (logged); sessions
  // of newly blocked MACs end. Kernel sets and files are written on the
  // kernel worker; `done` comes back home. A changed --allow-domain list is
  // written to --dnsmasq-conf; dnsmasq reads it at its next start.
  Result<void> reload_lists(const Config& next, std::function<void(Result<void>)> done) {
    auto dropped = lists.replace_config(next.trusted_macs, next.blocked_macs);
    if (!dropped) return dropped.error();
    for (const auto& why : *dropped) LOG_WARN("lists: %s", why.c_str());
    std::vector<std::string> ips;
    for (const auto& p : next.allow_ips) ips.push_back(p.to_string());
    lists_context->allow_ips = std::move(ips);
    lists_context->allow_domains = next.allow_domains;
    for (const auto& mac : lists.blocked())
      if (registry->find(mac)) registry->revoke(mac, session::EndCause::admin, [](Result<void>) {});
    const std::string dnsmasq_conf = next.dnsmasq_conf, snippet = session::dnsmasq_snippet(next.allow_domains);
    commit_lists(
        [this, dnsmasq_conf, snippet, done = std::move(done)](Result<void> applied) {
          if (!dnsmasq_conf.empty()) {
            kernel.post([this, dnsmasq_conf, snippet] {
              const auto slash = dnsmasq_conf.rfind('/');
              if (auto w = session::write_file_atomically(slash == 0 ? "/" : dnsmasq_conf.substr(0, slash),
                                                          dnsmasq_conf.substr(slash + 1), snippet);
                  !w)
                LOG_WARN("--dnsmasq-conf: %s", w.error().message().c_str());
            });
          }
          done(applied);
        },
        next.allow_ips);
    return {};
  }

  Counters counters() const {
    Counters out;
    for (const auto& worker : workers) worker->add_counters(out);
    for (const auto& handler : handlers) {
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
      add_counter(out, "portal.logouts", p.logouts);
      add_counter(out, "portal.blocked", p.blocked);
      add_counter(out, "portal.api_requests", p.api_requests);
      add_counter(out, "portal.busy", p.busy);
      add_counter(out, "portal.locked_out", p.locked_out);
    }
    for (const auto& server : portal_servers) {
      add_counter(out, "portal.connections_evicted", server->connections_evicted());
      add_counter(out, "portal.connections_refused", server->connections_refused());
      add_counter(out, "portal.accept_pauses", server->accept_pauses());
    }
    add_counter(out, "conntrack.flows_cut", flows_cut.load());
    add_counter(out, "conntrack.cut_failures", flow_cut_failures.load());
    for (const auto& server : portal_tls_servers) {
      add_counter(out, "portal.tls_connections_evicted", server->connections_evicted());
      add_counter(out, "portal.tls_connections_refused", server->connections_refused());
      add_counter(out, "portal.tls_accept_pauses", server->accept_pauses());
    }
    {
      auth::Counters auth_counters;
      gate->counters(auth_counters);
      if (radius_mac_auth) {
        radius_mac_auth->counters(auth_counters);
        add_counter(out, "auth.radius_mac.seen_dropped", seen_macs.dropped());
      }
      for (const auto& [name, value] : auth_counters) add_counter(out, name, value);
      add_counter(out, "auth.pool_started", auth_pool->started());
      add_counter(out, "auth.pool_done", auth_pool->done());
      add_counter(out, "auth.pool_rejected", auth_pool->rejected());
    }
    if (accounting) {
      const auto& a = accounting->stats();
      add_counter(out, "radius.acct.records", a.records);
      add_counter(out, "radius.acct.delivered", a.delivered);
      add_counter(out, "radius.acct.unanswered", a.unanswered);
      add_counter(out, "radius.acct.queued", a.queued);
      add_counter(out, "radius.acct.dropped_full", a.dropped_full);
      add_counter(out, "radius.acct.dropped_bad", a.dropped_bad);
    }
    if (coa) {
      auth::Counters coa_counters;
      coa->counters(coa_counters);
      for (const auto& [name, value] : coa_counters) add_counter(out, name, value);
    }
    add_counter(out, "nft.restores", restores.load());
    add_counter(out, "nft.restore_failures", restore_failures.load());
    return out;
  }
};

Result<bool> ensure_ruleset(const Config& config) {
  const char* path_env = std::getenv("PATH");
  auto nft_path = find_nft(config.nft, path_env ? path_env : "");
  if (!nft_path) return nft_path.error();
  auto netlink = nft::Netlink::open();
  if (!netlink) return netlink.error();
  auto present = netlink->check_ruleset();
  if (present) return false;
  if (present.error().code != ENOENT) return present.error();
  const RulesetLoad load{*nft_path, config.lans, config.portal_port, absolute_path(config.ruleset), config.dns_servers,
                         config.portal_tls_port};
  // The configuration's lists; the daemon adds the run-time ones at start.
  const ListSets lists{config.trusted_macs, config.blocked_macs, config.allow_ips};
  if (auto loaded = load_ruleset(load, lists); !loaded) return loaded.error();
  return true;
}

App::App(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
App::~App() = default;

Result<std::unique_ptr<App>> App::start(const Config& config, std::vector<Setting> command_line) {
  auto impl = std::make_unique<Impl>();
  Impl& s = *impl;
  s.config = config;
  s.command_line = std::move(command_line);

  s.notifier = Notifier::from_environment();
  // --user: looked up first, so a typo fails before anything is touched.
  std::optional<Account> account;
  if (!config.user.empty()) {
    auto found = lookup_account(config.user);
    if (!found) return found.error();
    if (::geteuid() != 0) {
      // Started as that user already (a unit with User=): nothing to drop.
      if (::getuid() != found->uid || ::geteuid() != found->uid)
        return make_error(EPERM, "--user " + config.user + ": captived must start as root (or as " + config.user +
                                     ") to become " + config.user);
    } else {
      account = *found;
    }
  }

  // Every LAN: its device, its addresses, and the portal URL on it (the
  // link of the 511 a client of that LAN gets: an address it reaches on
  // its own link), unless --portal-url names one for all.
  std::vector<LanAddresses> lan_addrs;
  for (const auto& name : config.lans) {
    auto device = inject::device_lookup(name);
    if (!device) return device.error();
    for (const auto& other : s.lans)
      if (other.device.ifindex == device->ifindex)
        return make_error(EINVAL, "--lan " + name + ": the same device as --lan " + other.device.name);
    LanAddresses addresses = lan_addresses(name);
    worker::LanSettings lan{*device, {}};
    if (!config.portal_url.empty()) {
      lan.settings.portal_url_v4 = lan.settings.portal_url_v6 = config.portal_url;
    } else {
      if (!addresses.v4 && !addresses.v6)
        return make_error(EADDRNOTAVAIL, "interface " + name +
                                             " has no IPv4 or global IPv6 address for the sign-in page "
                                             "(give it one, or pass --portal-url)");
      if (addresses.v4) lan.settings.portal_url_v4 = portal_url(*addresses.v4, config.portal_port);
      if (addresses.v6) lan.settings.portal_url_v6 = portal_url(*addresses.v6, config.portal_port);
    }
    s.lans.push_back(std::move(lan));
    lan_addrs.push_back(addresses);
  }
  // What every LAN's responder shares (keys, probe table, client log).
  responder::Settings rs;

  Secrets secrets;
  if (auto loaded = load_or_create_secrets(config.state_dir)) {
    secrets = *loaded;
  } else {
    LOG_WARN("%s; using keys for this run only", loaded.error().message().c_str());
    secrets = ephemeral_secrets();
  }
  // The state directory is the user's from here on: the state file, the
  // lists and new keys are written after the drop.
  if (account)
    if (auto handed = hand_over_directory(config.state_dir, *account); !handed)
      return Error{handed.error().code, "--state-dir: " + handed.error().message()};
  rs.cookie_key = secrets.cookie_key;
  rs.link_key = secrets.link_key;
  auto probes = load_probes(config.probes);
  if (!probes) return probes.error();
  // The pages: a template with an error refuses the start (the error names
  // the file and line).
  if (auto loaded = s.load_pages(config); !loaded) return loaded.error();
  rs.answer_bodies = s.answer_bodies;
  rs.probes = std::move(*probes);
  s.client_log = responder::ClientLog::create(rs.probes);
  rs.client_log = s.client_log.get();
  if (config.radius_mac_auth) {
    // The MAC carries no address to bind to (sign-in without a connection).
    if (config.bind_ip) return make_error(EINVAL, "--radius-mac-auth cannot be used with --bind-ip");
    auto names = auth_backends(config);
    if (std::find(names.begin(), names.end(), "radius") == names.end())
      return make_error(EINVAL, "--radius-mac-auth needs --auth radius");
    rs.seen_macs = &s.seen_macs;
  }
  s.tokens.emplace(secrets.token_key);
  for (auto& lan : s.lans) {
    std::string v4 = std::move(lan.settings.portal_url_v4), v6 = std::move(lan.settings.portal_url_v6);
    lan.settings = rs;
    lan.settings.portal_url_v4 = std::move(v4);
    lan.settings.portal_url_v6 = std::move(v6);
    lan.settings.lan_mac = lan.device.mac;
    lan.settings.lan_mtu = lan.device.mtu;
  }

  // nft by an absolute path, found once: a restore must not depend on the
  // PATH of whoever started us, nor find another nft later.
  const char* path_env = std::getenv("PATH");
  auto nft_path = find_nft(config.nft, path_env ? path_env : "");
  if (!nft_path) return nft_path.error();
  s.ruleset_load = RulesetLoad{*nft_path, config.lans, config.portal_port, absolute_path(config.ruleset),
                               config.dns_servers, config.portal_tls_port};

  // The lists: the configuration's, then the run-time changes kept in
  // --state-dir. A damaged line is skipped (logged): the daemon starts.
  {
    auto lists = session::MacLists::from_config(config.trusted_macs, config.blocked_macs);
    if (!lists) return lists.error();
    s.lists = std::move(*lists);
    const std::string path = config.state_dir + "/" + std::string(session::kListsFileName);
    if (auto text = session::read_small_file(path); !text) {
      LOG_WARN("%s: starting with the configuration's lists only", text.error().message().c_str());
    } else if (text->has_value()) {
      std::vector<std::string> skipped;
      s.lists.load_runtime_file(**text, skipped);
      for (const auto& why : skipped) LOG_WARN("%s: skipped: %s", path.c_str(), why.c_str());
    }
    s.list_sets = ListSets{s.lists.trusted(), s.lists.blocked(), config.allow_ips};
    LOG_INFO("lists: %zu trusted, %zu blocked; walled garden: %zu addresses, %zu names",
             s.list_sets.trusted.size(), s.list_sets.blocked.size(), config.allow_ips.size(),
             config.allow_domains.size());
  }
  if (!config.dnsmasq_conf.empty()) {
    const auto slash = config.dnsmasq_conf.rfind('/');
    const std::string dir = slash == 0 ? "/" : config.dnsmasq_conf.substr(0, slash);
    if (auto written = session::write_file_atomically(dir, config.dnsmasq_conf.substr(slash + 1),
                                                      session::dnsmasq_snippet(config.allow_domains));
        !written)
      LOG_WARN("--dnsmasq-conf: %s: dnsmasq does not learn the walled garden's names",
               written.error().message().c_str());
    else
      LOG_INFO("wrote %s for dnsmasq (%zu names; dnsmasq reads it at its start)", config.dnsmasq_conf.c_str(),
               config.allow_domains.size());
  }

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
    if (auto loaded = load_ruleset(s.ruleset_load, s.list_sets); !loaded)
      return Error{loaded.error().code, missing + " and cannot be loaded: " + loaded.error().what};
    if (auto again = s.netlink->check_ruleset(); !again) return again.error();
    table_was_there = false;
    LOG_INFO("table inet captive loaded from %s", s.ruleset_load.ruleset.c_str());
  }

  // Clients of every LAN: sign-in, revoke by address, list --all.
  std::vector<int> ifindexes;
  for (const auto& lan : s.lans) ifindexes.push_back(lan.device.ifindex);
  auto neighbours = neigh::NeighbourTable::open(ifindexes);
  if (!neighbours) return neighbours.error();
  s.neighbours.emplace(std::move(*neighbours));
  auto end_neighbours = neigh::NeighbourTable::open(ifindexes);
  if (!end_neighbours) return end_neighbours.error();
  s.end_neighbours.emplace(std::move(*end_neighbours));
  // Without ctnetlink (no nf_conntrack_netlink) a revoke still takes the
  // element away; flows a flowtable carries would then outlive it: say so.
  if (auto conntrack = conntrack::Conntrack::open()) {
    s.conntrack.emplace(std::move(*conntrack));
  } else {
    LOG_WARN("%s: a session end cannot delete the client's conntrack entries (offloaded flows outlive it)",
             conntrack.error().message().c_str());
  }

  session::Executors executors{[&s](session::Job job) { s.kernel.post(std::move(job)); },
                               [&s](session::Job job) { asio::post(s.io, std::move(job)); },
                               [&s] { s.kernel.run_queued(); },
                               [&s](const session::SessionEnd& end) { s.cut_flows(end); }};
  s.registry.emplace(*s.netlink, session::Clocks{}, config.bind_ip ? session::Binding::mac_ip : session::Binding::mac,
                     std::move(executors));
  s.registry->set_default_limits(session::Limits{config.idle_timeout, config.quota_bytes, config.rate_down, config.rate_up});
  s.reload_hooks.push_back([&s](Config& running, const Config& fresh) {
    running.idle_timeout = fresh.idle_timeout;
    running.quota_bytes = fresh.quota_bytes;
    // New rates apply to sessions made from now on (and to a session's next
    // re-creation: extend, restore).
    running.rate_down = fresh.rate_down;
    running.rate_up = fresh.rate_up;
    s.registry->set_default_limits(
        session::Limits{fresh.idle_timeout, fresh.quota_bytes, fresh.rate_down, fresh.rate_up});
  });
  if (auto acct = s.radius_accounting(account); !acct) return acct.error();
  s.registry->set_hooks(session::Hooks{
      [&s](const session::Ended& ended) {
        if (s.accounting) s.accounting->session_ended(ended);
      },
      [&s](bool urgent) { s.state_changed(urgent); },
      [&s](const session::Client& client) {
        if (s.accounting) s.accounting->session_started(client);
      }});
  // The sessions of the state file come back (those the kernel lost are put
  // back); those in the kernel set but not in the file live on as before a
  // restart or crash: taken over, so a later flush restores them too.
  session::LoadedState state = session::load_state_file(config.state_dir);
  if (state.problem)
    LOG_ERROR("state file %s; %s; starting without its sessions (those still in the kernel set are taken over)",
              state.problem->c_str(),
              state.set_aside.empty() ? "it could not be moved aside" : ("kept as " + state.set_aside).c_str());
  if (auto resumed = s.registry->resume(state.sessions); !resumed)
    LOG_WARN("cannot read the sessions already in the set: %s", resumed.error().message().c_str());
  else if (resumed->kept + resumed->restored + resumed->expired + resumed->adopted > 0)
    LOG_INFO("sessions: %zu from the state file still in the set, %zu put back into it, %zu ended while captived was "
             "down; took over %zu sessions already in the set",
             resumed->kept, resumed->restored, resumed->expired, resumed->adopted);
  if (table_was_there) {
    // Whoever loaded it (install-ruleset, an older captived) may have named
    // other resolvers, or the table predates the DNS sets: ours apply.
    if (auto dns = replace_dns_servers(s.ruleset_load, s.list_sets); !dns) {
      LOG_WARN("%s: loading %s again (the sessions taken over are put back)", dns.error().message().c_str(),
               s.ruleset_load.ruleset.c_str());
      if (auto loaded = load_ruleset(s.ruleset_load, s.list_sets); !loaded) return loaded.error();
      if (auto restored = s.registry->restore(); !restored) return restored.error();
    }
  }
  // The identity of a sign-in is the MAC of that connection's packets (map
  // @portal_peers4, @portal_macs6 + @portal_peers6 of our table); the
  // neighbour table only cross-checks.
  auto portal_peers = nft::PortalPeers::open();
  if (!portal_peers) return portal_peers.error();
  s.portal_peers.emplace(std::move(*portal_peers));
  // The portal answers to the address of every LAN (a client may follow
  // a link to another LAN's address: it reaches the router all the same,
  // through its own LAN's socket, and signs in only itself).
  std::vector<packet::IpAddr> lan_ips;
  for (const auto& addresses : lan_addrs) {
    if (addresses.v4) lan_ips.push_back(*addresses.v4);
    if (addresses.v6) lan_ips.push_back(*addresses.v6);
  }
  const portal::Executors portal_executors{[&s](portal::Executors::Job job) { s.lookups.post(std::move(job)); },
                                           [&s](portal::Executors::Job job) { asio::post(s.io, std::move(job)); }};
  const bool tls = !config.tls_cert.empty();
  auto hosts = portal::accepted_hosts(lan_ips, config.portal_port, config.portal_url);
  if (tls)
    for (auto& host : portal::accepted_hosts(lan_ips, config.portal_tls_port, config.portal_url))
      if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) hosts.push_back(std::move(host));
  // The sign-in backends. One pool thread: Argon2id uses --pwhash-mem per
  // hash at a time, and a router has one or two cores (docs/auth.md); the
  // queue holds what the pool does in about a second and a half.
  s.auth_pool.emplace(1, kAuthQueue, "captived-auth", auth::WorkPool::Start::later);
  {
    std::vector<std::unique_ptr<auth::Backend>> backends;
    const AuthContext auth_context{s.config, *s.auth_pool, [&s](std::function<void()> job) { asio::post(s.io, std::move(job)); }};
    for (const auto& name : auth_backends(config)) {
      // The voucher store is captived's own (captivectl voucher uses it too).
      if (name == "voucher") {
        s.voucher_enabled = true;
        s.load_voucher_store();
        backends.push_back(s.voucher_backend());
        continue;
      }
      if (name == "radius") {
        auto radius = s.radius_backend();
        if (!radius) return radius.error();
        backends.push_back(std::move(*radius));
        continue;
      }
      auto backend = make_backend(name, auth_context);
      if (!backend) return backend.error();
      backends.push_back(std::move(*backend));
    }
    auth::GateExecutors gate_executors;
    gate_executors.after = [&s](std::chrono::milliseconds delay, auth::GateExecutors::Job job) {
      auto timer = std::make_shared<asio::steady_timer>(s.io, delay);
      timer->async_wait([timer, job = std::move(job)](boost::system::error_code ec) {
        if (!ec) job();
      });
    };
    s.limiter.emplace(auth::LimiterSettings{config.auth_delay, std::max(config.auth_delay, config.auth_max_delay),
                                            config.auth_lockout_after, config.auth_lockout,
                                            auth::LimiterSettings{}.forget_after, config.auth_global_rate,
                                            config.auth_global_burst, auth::LimiterSettings{}.max_tracked});
    s.gate.emplace(std::move(backends), *s.limiter, std::move(gate_executors));
  }
  if (auto coa = s.radius_coa(); !coa) return coa.error();
  // RFC 8908 §5: user-portal-url is to be reached over TLS. An https
  // --portal-url names it; else with --tls-cert our HTTPS port on the LAN
  // address of the client's family; else (no certificate) the http page.
  // The LAN is the one the connection came in on (its server's device).
  for (std::size_t i = 0; i < s.lans.size(); ++i) {
    std::string api_url_v4 = s.lans[i].settings.portal_url_v4, api_url_v6 = s.lans[i].settings.portal_url_v6;
    if (config.portal_url.starts_with("https://")) {
      api_url_v4 = api_url_v6 = config.portal_url;
    } else if (tls && config.portal_url.empty()) {
      api_url_v4 = lan_addrs[i].v4 ? portal_url(*lan_addrs[i].v4, config.portal_tls_port, "https") : "";
      api_url_v6 = lan_addrs[i].v6 ? portal_url(*lan_addrs[i].v6, config.portal_tls_port, "https") : "";
    }
    s.handlers.push_back(std::make_unique<portal::Handler>(
        portal::HandlerSettings{config.session_timeout, config.site_name, hosts, secrets.link_key, api_url_v4,
                                api_url_v6, config.venue_url, s.pages},
        portal::Handler::Deps{*s.registry, *s.portal_peers, *s.neighbours, *s.tokens, *s.gate, now_seconds,
                              portal_executors, [&s](const packet::MacAddr& mac) { return s.lists.is_blocked(mac); },
                              s.client_log.get()}));
  }

  // One socket per LAN and port, each bound to its device: sockets bound
  // to different devices may share a port (the kernel's bind conflict
  // check skips them), and a connection is taken by the socket of the
  // device it came in on.
  for (std::size_t i = 0; i < s.lans.size(); ++i) {
    auto portal_server = portal::Server::start(s.io, portal::ServerSettings{s.lans[i].device.name, config.portal_port},
                                               *s.handlers[i], *s.portal_peers, portal_executors);
    if (!portal_server) return portal_server.error();
    s.portal_servers.push_back(std::move(*portal_server));
  }
  if (tls) {
    warn_if_key_readable(config.tls_key);
    auto context = portal::tls_context(config.tls_cert, config.tls_key);
    if (!context) return context.error();
    for (std::size_t i = 0; i < s.lans.size(); ++i) {
      portal::ServerSettings tls_settings{s.lans[i].device.name, config.portal_tls_port};
      tls_settings.tls = *context;
      auto tls_server = portal::Server::start(s.io, tls_settings, *s.handlers[i], *s.portal_peers, portal_executors);
      if (!tls_server) return tls_server.error();
      s.portal_tls_servers.push_back(std::move(*tls_server));
    }
  }

  {
    std::vector<std::string> ips;
    for (const auto& p : config.allow_ips) ips.push_back(p.to_string());
    s.lists_context.emplace(control::ListsContext{
        s.lists, [&s](std::function<void(Result<void>)> done) { s.commit_lists(std::move(done)); }, std::move(ips),
        config.allow_domains});
  }
  s.control_context.emplace(control::Context{*s.registry, [&s] { return s.counters(); }});
  control::Context& ctl = *s.control_context;
  ctl.lists = &*s.lists_context;
  ctl.client_log = s.client_log.get();
  ctl.now_seconds = now_seconds;
  if (s.voucher_enabled) s.open_vouchers(ctl);
  // The lists and the walled garden change live on a reload.
  s.reload_hooks.push_back([&s](Config& running, const Config& fresh) {
    if (fresh.trusted_macs == running.trusted_macs && fresh.blocked_macs == running.blocked_macs &&
        fresh.allow_ips == running.allow_ips && fresh.allow_domains == running.allow_domains)
      return;
    auto applied = s.reload_lists(fresh, [](Result<void> r) {
      if (!r) LOG_ERROR("reload: lists: %s", r.error().message().c_str());
    });
    if (!applied) {
      LOG_ERROR("reload: lists: %s; keeping the running lists", applied.error().message().c_str());
      return;
    }
    running.trusted_macs = fresh.trusted_macs;
    running.blocked_macs = fresh.blocked_macs;
    running.allow_ips = fresh.allow_ips;
    running.allow_domains = fresh.allow_domains;
  });
  ctl.info = [&s] {
    control::DaemonInfo info{
        CAPTIVE_VERSION,
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - s.started_at),
        s.queue_kind.load() == nft::QueueKind::native ? "native" : "compat",
        {},
        s.gate->find("users") ? s.config.users_file : std::string()};
    for (const auto& lan : s.lans)
      info.lans.push_back(control::LanInfo{lan.device.name, lan.device.mac, lan.device.mtu, lan.settings.portal_url_v4,
                                           lan.settings.portal_url_v6});
    return info;
  };
  ctl.session_timeout = [&s] { return s.config.session_timeout; };
  ctl.reload = [&s](control::Done<control::ReloadOutcome> done) { s.reload(std::move(done)); };
  // The neighbour table of the LAN: who talked to the router lately, signed
  // in or not. On the lookups thread, which owns that socket.
  ctl.seen = [&s](control::Done<std::vector<control::Seen>> done) {
    s.lookups.post([&s, done = std::move(done)]() mutable {
      auto entries = s.neighbours->entries();
      asio::post(s.io, [entries = std::move(entries), done = std::move(done)]() mutable {
        if (!entries) return done(entries.error());
        std::vector<control::Seen> seen;
        // One row per address (a device has IPv4, link-local and global IPv6).
        for (const auto& e : *entries) seen.push_back(control::Seen{e.mac, e.address});
        done(std::move(seen));
      });
    });
  };
  ctl.extend = [&s](const packet::MacAddr& mac, std::chrono::seconds more, control::Done<void> done) {
    s.registry->extend(mac, more, [done = std::move(done)](Result<std::chrono::seconds> left) {
      if (!left) return done(left.error());
      done(Result<void>{});
    });
  };
  ctl.allow_with_limits = [&s](const control::Allow& allow, control::Done<void> done) {
    s.registry->sign_in(allow.mac, allow.ip, session::SignIn{allow.duration, "admin", "", allow.limits}, std::move(done));
  };
  auto control_server = control::Server::start(s.io, config.socket_path, *s.control_context);
  if (!control_server) return control_server.error();
  s.control_server = std::move(*control_server);
  if (account) {
    // The socket becomes the user's (captivectl runs as root, which any
    // mode lets in; SO_PEERCRED still admits root only). Its directory too
    // if it is captived's own (0700, like /run/captive), so the socket can
    // be removed at the stop; a shared one (/run, /tmp) keeps its owner and
    // the next start replaces the stale socket.
    const auto slash = config.socket_path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : config.socket_path.substr(0, slash);
    struct stat dir_st {};
    if (::stat(dir.c_str(), &dir_st) == 0 && (dir_st.st_mode & 077) == 0) {
      if (auto handed = hand_over_directory(dir, *account); !handed)
        return Error{handed.error().code, "--socket: " + handed.error().message()};
    } else if (::chown(config.socket_path.c_str(), account->uid, account->gid) != 0) {
      return errno_error("--socket: chown " + config.socket_path + " to " + account->name);
    }
  }

  // Bind the queues before the rule points at them, so no packet meets a
  // rule with nobody behind it (with bypass it would pass to the forward drop).
  for (std::uint16_t i = 0; i < config.queues; ++i) {
    // Cookie slots run on CLOCK_BOOTTIME: NTP stepping the wall clock must
    // not expire or revive them.
    auto worker = PacketWorker::open(static_cast<std::uint16_t>(config.queue_num + i), s.lans,
                                     worker::boottime_seconds);
    if (!worker) return worker.error();
    s.workers.push_back(std::move(*worker));
  }
  // Everything that needs root is open: become --user, while this is the
  // only thread (capset(2) changes the calling thread only). From here on
  // CAP_NET_ADMIN does the netlink work, CAP_NET_RAW nothing new (the
  // AF_PACKET sockets are open) but keeps it for a restart of a sender.
  if (account) {
    if (auto dropped = drop_privileges(*account); !dropped) return dropped.error();
    LOG_INFO("running as %s (uid %u, gid %u) with CAP_NET_ADMIN and CAP_NET_RAW only", account->name.c_str(),
             static_cast<unsigned>(account->uid), static_cast<unsigned>(account->gid));
  }
  s.kernel.start();
  s.lookups.start();
  s.state_writer.start();
  s.auth_pool->start();
  if (s.accounting) s.accounting->start();
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
  s.queue_kind = *kind;

  // A blocked MAC keeps no session (taken over from the set, or signed in
  // before it was blocked): forget it, so no restore puts it back. Only now:
  // the revoke runs on the kernel worker, and until here this thread used
  // the same netlink socket.
  for (const auto& mac : s.list_sets.blocked) {
    if (!s.registry->find(mac)) continue;
    s.registry->revoke(mac, session::EndCause::admin, [mac](Result<void> r) {
      if (r) LOG_INFO("ended the session of blocked %s", mac.to_string().c_str());
    });
  }

  for (const auto& lan : s.lans) {
    const auto& ls = lan.settings;
    LOG_INFO("sign-in page on %s: %s%s%s, port %u", lan.device.name.c_str(), ls.portal_url_v4.c_str(),
             ls.portal_url_v6.empty() || ls.portal_url_v6 == ls.portal_url_v4 || ls.portal_url_v4.empty() ? "" : " and ",
             ls.portal_url_v6 == ls.portal_url_v4 ? "" : ls.portal_url_v6.c_str(),
             static_cast<unsigned>(config.portal_port));
  }
  LOG_INFO("control socket %s", config.socket_path.c_str());
  if (config.bind_ip) LOG_INFO("sessions are bound to MAC and address (--bind-ip)");
  if (tls) LOG_INFO("HTTPS on port %u (%s); RFC 8908 API at /api", static_cast<unsigned>(config.portal_tls_port),
                    config.tls_cert.c_str());
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
  std::string lans;
  for (const auto& lan : s.lans)
    lans += (lans.empty() ? "" : ", ") + lan.device.name + " (" + lan.device.mac.to_string() + ", mtu " +
            std::to_string(lan.device.mtu) + ")";
  LOG_INFO("ready: %s %s, queue %u%s via %s", s.lans.size() == 1 ? "lan" : "lans", lans.c_str(),
           static_cast<unsigned>(config.queue_num),
           config.queues > 1 ? ("-" + std::to_string(config.queue_num + config.queues - 1) + " (one thread each)").c_str() : "",
           nft::queue_kind_name(*kind));
  return std::unique_ptr<App>(new App(std::move(impl)));
}

int App::run() {
  Impl& s = *impl_;
  s.signals.async_wait([&s](boost::system::error_code ec, int signal) {
    if (ec) return;
    LOG_INFO("%s: stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
    s.notify("STOPPING=1");
    s.io.stop();
  });
  s.arm_hangup();
  s.arm_watch();
  s.arm_sweep();
  // The table is loaded, the queues bound and the rule in, the portal and
  // the control socket listen: App::start did all of it.
  std::string lans;
  for (const auto& lan : s.config.lans) lans += (lans.empty() ? "" : ", ") + lan;
  s.notify("READY=1\nSTATUS=intercepting on " + lans);
  s.arm_watchdog();
  s.io.run();
  return 0;
}

}  // namespace captive::daemon
