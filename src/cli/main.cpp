// captivectl: the admin's view of captived, over its control socket.
// `captivectl --help` and captivectl(8) list the commands. Exit status:
// 0 done, 1 captived said no, 2 bad usage, 3 captived unreachable. Every
// error is one line on stderr.
#include <fcntl.h>
#include <getopt.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <termios.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <charconv>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "captive/auth/password.hpp"
#include "captive/auth/users_file.hpp"
#include "captive/cli/main.hpp"
#include "captive/control/protocol.hpp"
#include "captive/control/vouchers.hpp"
#include "captive/packet/address.hpp"
#include "captive/session/lists.hpp"

namespace {
namespace json = boost::json;
namespace control = captive::control;
using captive::packet::IpAddr;
using captive::packet::MacAddr;

constexpr const char* kDefaultSocket = "/run/captive/captived.sock";

enum Exit : int { kDone = 0, kRefused = 1, kUsage = 2, kUnreachable = 3 };

// Options, each allowed only with the commands that name it below.
enum Opt : unsigned {
  kOptAll = 1u << 0,
  kOptFor = 1u << 1,
  kOptIp = 1u << 2,
  kOptRateDown = 1u << 3,
  kOptRateUp = 1u << 4,
  kOptQuota = 1u << 5,
  kOptUsers = 1u << 6,
  kOptPasswordStdin = 1u << 7,
  kOptPwhashOps = 1u << 8,
  kOptPwhashMem = 1u << 9,
  kOptIdle = 1u << 10,
  // voucher create / print (--quota is shared with user add)
  kOptCount = 1u << 11,
  kOptDuration = 1u << 12,
  kOptDevices = 1u << 13,
  kOptAllUnused = 1u << 14,
  kOptNetwork = 1u << 15,
  kOptLast = kOptNetwork,
};

struct Options {
  std::string socket = kDefaultSocket;
  bool json = false;
  unsigned given = 0;  // Opt bits
  std::string for_text, ip_text, rate_down_text, rate_up_text;
  std::string quota_text, users_file, pwhash_ops_text, pwhash_mem_text, idle_text;
  std::string count_text, duration_text, devices_text, network_text;
};

void print_usage(FILE* out) {
  std::fputs(
      "Usage: captivectl [--socket PATH] [--json] COMMAND [ARGS]\n"
      "\n"
      "Commands:\n"
      "  list [--all]          clients signed in: MAC, IP, signed in at, expires, traffic;\n"
      "                        --all adds clients seen on the LAN but not signed in\n"
      "  show MAC|IP           one client\n"
      "  allow MAC [--for DURATION] [--ip ADDR] [--rate-down RATE] [--rate-up RATE]\n"
      "                        sign a client in without the portal (DURATION like 90s,\n"
      "                        15m, 24h, 7d; default captived's --session-timeout;\n"
      "                        RATE in bits/s: 2mbit, 500kbit)\n"
      "  revoke MAC|IP         end a client's session: its next packet is dropped\n"
      "  extend MAC DURATION   give a session more time\n"
      "  status                version, uptime, queue mode, LANs, sessions, a summary of the counters\n"
      "  stats                 every counter of captived\n"
      "  reload                read captived's config file again (as SIGHUP does)\n"
      "  trust MAC             never intercept this device (trusted-mac)\n"
      "  block MAC             never forward this device (blocked-mac)\n"
      "  untrust MAC           take a MAC off the trusted list\n"
      "  unblock MAC           take a MAC off the blocked list\n"
      "  lists                 the trusted and blocked MACs and the walled garden\n"
      "  doctor MAC            why a device did (not) pop up its sign-in window: its\n"
      "                        recent requests and OS probes, what captived answered\n"
      "                        (511, 302), whether it opened the sign-in page and\n"
      "                        signed in, and a one-line verdict\n"
      "  user add NAME [--for DURATION] [--idle DURATION] [--quota BYTES]\n"
      "           [--rate-down RATE] [--rate-up RATE]\n"
      "                        add a user to the users file (--auth users); the\n"
      "                        password is asked on the terminal (twice, not shown)\n"
      "                        or read from the first line of stdin (--password-stdin)\n"
      "  user passwd NAME      a new password (the user's options stay)\n"
      "  user del NAME         take a user out of the file\n"
      "  user list             the users and their options\n"
      "                        (user: --users FILE, default what captived uses, else\n"
      "                        /etc/captive/users; --pwhash-ops N, --pwhash-mem SIZE\n"
      "                        for new hashes, default 2 and 4M; captived reads the\n"
      "                        file again after each change)\n"
      "  voucher create --count N --duration DURATION [--devices K] [--quota SIZE]\n"
      "                [--rate-down RATE] [--rate-up RATE]\n"
      "                        make N vouchers and print their codes; the time starts\n"
      "                        at first use; up to K devices (default 1); SIZE like\n"
      "                        500M, 1G (per device session)\n"
      "  voucher list          every voucher: code, state, duration, devices, expiry\n"
      "  voucher show CODE     one voucher, with the MACs it signed in\n"
      "  voucher revoke CODE   withdraw a voucher and end its sessions\n"
      "  voucher print [CODE...|--all-unused] [--network NAME]\n"
      "                        a printable HTML sheet of cards on stdout\n"
      "\n"
      "Options (before or after the command):\n"
      "  --socket PATH         captived's control socket (default /run/captive/captived.sock)\n"
      "  --json                one JSON document on stdout instead of text\n"
      "  --help                this text\n"
      "  (voucher's options are listed with it above)\n"
      "\n"
      "Exit status: 0 done, 1 captived said no, 2 bad usage, 3 captived unreachable.\n",
      out);
}

int fail(const std::string& message, int status) {
  std::fprintf(stderr, "captivectl: %s\n", message.c_str());
  return status;
}

int usage_error(const std::string& message) { return fail(message + " (see captivectl --help)", kUsage); }

// Sends one request line and reads the reply line. On failure, `reply`
// holds the one-line error and the exit status is returned.
std::optional<int> exchange(const std::string& socket_path, const std::string& request, std::string& reply) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    reply = std::string("socket: ") + std::strerror(errno);
    return kUnreachable;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    ::close(fd);
    reply = "socket path too long: " + socket_path;
    return kUsage;
  }
  socket_path.copy(addr.sun_path, sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd);
    reply = "cannot reach captived at " + socket_path + ": " + std::strerror(err);
    if (err == ENOENT || err == ECONNREFUSED) reply += " (is captived running? see --socket)";
    if (err == EACCES) reply += " (captivectl must run as root)";
    return kUnreachable;
  }
  // captived accepted and hung up: it refuses anyone but root (SO_PEERCRED).
  static const char* kHungUp = "captived closed the connection without an answer (only root may use it)";
  std::string line = request + "\n";
  for (std::size_t sent = 0; sent < line.size();) {
    // MSG_NOSIGNAL: a daemon that hangs up on us is an error message, not SIGPIPE.
    ssize_t n = ::send(fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      if (err == EPIPE || err == ECONNRESET) {
        reply = kHungUp;
        return kRefused;
      }
      reply = std::string("send to captived: ") + std::strerror(err);
      return kUnreachable;
    }
    sent += static_cast<std::size_t>(n);
  }
  reply.clear();
  char buf[4096];
  while (reply.empty() || reply.back() != '\n') {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (reply.empty() || reply.back() != '\n') {
    reply = kHungUp;
    return kRefused;
  }
  reply.pop_back();
  return std::nullopt;
}

// One error line: no newline from the daemon's text may split it.
std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

// Asks captived; returns the answer object, or the exit status (having
// printed the error).
struct Answer {
  json::value holder;
  int status = kDone;
  const json::object& object() const { return holder.get_object(); }
};

Answer ask(const Options& options, const std::string& request) {
  Answer answer;
  std::string reply;
  if (auto status = exchange(options.socket, request, reply)) {
    answer.status = fail(one_line(reply), *status);
    return answer;
  }
  json::error_code ec;
  answer.holder = json::parse(reply, ec);
  if (ec || !answer.holder.is_object()) {
    answer.status = fail(one_line("unreadable answer from captived: " + reply.substr(0, 200)), kRefused);
    return answer;
  }
  const json::object& object = answer.holder.get_object();
  const json::value* ok = object.if_contains("ok");
  if (!ok || !ok->is_bool() || !ok->get_bool()) {
    const json::value* error = object.if_contains("error");
    answer.status =
        fail(one_line(error && error->is_string() ? std::string(error->get_string()) : "captived refused the request"),
             kRefused);
  }
  return answer;
}

const json::value& member(const json::object& o, const char* key) {
  static const json::value kNull;
  const json::value* v = o.if_contains(key);
  return v ? *v : kNull;
}

std::string format_time(const json::value& v) {
  if (!v.is_int64()) return "-";
  std::time_t t = static_cast<std::time_t>(v.as_int64());
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string text_of(const json::value& v) { return v.is_string() ? std::string(v.get_string()) : "-"; }

std::string number_of(const json::value& v) {
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_int64()) return std::to_string(v.get_int64());
  return "-";
}

std::string duration_text(std::int64_t seconds) {
  char buf[64];
  if (seconds >= 86400)
    std::snprintf(buf, sizeof buf, "%lldd %02lld:%02lld:%02lld", static_cast<long long>(seconds / 86400),
                  static_cast<long long>(seconds % 86400 / 3600), static_cast<long long>(seconds % 3600 / 60),
                  static_cast<long long>(seconds % 60));
  else
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds % 3600 / 60), static_cast<long long>(seconds % 60));
  return buf;
}

// Bytes up (sent by the client) and down: the daemon gives "bytes_up" and
// "bytes_down" where it counts both ways, "bytes" (up) where it does not.
std::string up_of(const json::object& c) {
  const json::value& up = member(c, "bytes_up");
  return number_of(up.is_null() ? member(c, "bytes") : up);
}
std::string down_of(const json::object& c) { return number_of(member(c, "bytes_down")); }

void print_json(const json::value& v) { std::printf("%s\n", json::serialize(v).c_str()); }

constexpr const char* kRowFormat = "%-17s  %-39s  %-19s  %-19s  %12s  %12s  %s\n";

// The user name or voucher code a session signed in with ("-" if none).
std::string user_of(const json::object& c) {
  const json::value& user = member(c, "user");
  return user.is_string() && !user.get_string().empty() ? std::string(user.get_string()) : "-";
}

void print_client_row(const json::object& c) {
  std::printf(kRowFormat, text_of(member(c, "mac")).c_str(), text_of(member(c, "ip")).c_str(),
              format_time(member(c, "signed_in_at")).c_str(), format_time(member(c, "expires_at")).c_str(),
              up_of(c).c_str(), down_of(c).c_str(), user_of(c).c_str());
}

// --- commands -------------------------------------------------------------

using Args = std::vector<std::string>;

int cmd_list(const Options& o, const Args&) {
  const bool all = o.given & kOptAll;
  Answer a = ask(o, control::make_list_request(all));
  if (a.status) return a.status;
  const json::value& clients = member(a.object(), "clients");
  if (!clients.is_array()) return fail("answer has no client list", kRefused);
  if (o.json) {
    // Without --all, the array alone (as before: scripts read it so).
    if (!all) print_json(clients);
    else {
      json::object out;
      out["clients"] = clients;
      out["seen"] = member(a.object(), "seen");
      print_json(out);
    }
    return kDone;
  }
  std::printf(kRowFormat, "MAC", "IP", "SIGNED IN", "EXPIRES", "BYTES UP", "BYTES DOWN", "USER");
  for (const auto& c : clients.get_array())
    if (c.is_object()) print_client_row(c.get_object());
  if (all) {
    const json::value& seen = member(a.object(), "seen");
    if (seen.is_array())
      for (const auto& c : seen.get_array())
        if (c.is_object())
          std::printf(kRowFormat, text_of(member(c.get_object(), "mac")).c_str(),
                      text_of(member(c.get_object(), "ip")).c_str(), "not signed in", "-", "-", "-", "-");
  }
  return kDone;
}

bool mac_or_ip(const std::string& text) { return MacAddr::parse(text) || IpAddr::parse(text); }

int cmd_show(const Options& o, const Args& args) {
  if (!mac_or_ip(args[0])) return usage_error("not a MAC or IP address: " + args[0]);
  Answer a = ask(o, control::make_show_request(args[0]));
  if (a.status) return a.status;
  const json::value& client = member(a.object(), "client");
  if (!client.is_object()) return fail("answer has no client", kRefused);
  if (o.json) {
    print_json(client);
    return kDone;
  }
  const json::object& c = client.get_object();
  std::printf("mac          %s\n", text_of(member(c, "mac")).c_str());
  std::printf("ip           %s\n", text_of(member(c, "ip")).c_str());
  std::printf("method       %s\n", member(c, "method").is_string() && !member(c, "method").get_string().empty()
                                        ? text_of(member(c, "method")).c_str()
                                        : "-");
  std::printf("user         %s\n", user_of(c).c_str());
  std::printf("signed in    %s\n", format_time(member(c, "signed_in_at")).c_str());
  std::printf("expires      %s\n", format_time(member(c, "expires_at")).c_str());
  std::printf("bytes up     %s\n", up_of(c).c_str());
  std::printf("bytes down   %s\n", down_of(c).c_str());
  return kDone;
}

std::optional<MacAddr> mac_arg(const std::string& text) { return MacAddr::parse(text); }
int bad_mac(const std::string& text) {
  return usage_error("not a MAC address: " + text + " (expected like 02:00:00:00:01:02)");
}

int cmd_allow(const Options& o, const Args& args) {
  auto mac = mac_arg(args[0]);
  if (!mac) return bad_mac(args[0]);
  control::AllowOptions allow;
  if (o.given & kOptFor) {
    auto d = control::parse_duration(o.for_text);
    if (!d) return usage_error("--for: not a duration (like 90s, 15m, 24h, 7d; at most 365d): " + o.for_text);
    allow.seconds = static_cast<std::uint64_t>(d->count());
  }
  if (o.given & kOptIp) {
    auto ip = IpAddr::parse(o.ip_text);
    if (!ip) return usage_error("--ip: not an IPv4 or IPv6 address: " + o.ip_text);
    allow.ip = ip->to_string();
  }
  for (auto [bit, text, slot, name] :
       {std::tuple{kOptRateDown, &o.rate_down_text, &allow.rate_down, "--rate-down"},
        std::tuple{kOptRateUp, &o.rate_up_text, &allow.rate_up, "--rate-up"}}) {
    if (!(o.given & bit)) continue;
    auto rate = control::parse_rate(*text);
    if (!rate) return usage_error(std::string(name) + ": not a rate in bits per second (like 2mbit, 500kbit, 1gbit): " + *text);
    *slot = *rate;
  }
  Answer a = ask(o, control::make_allow_request(mac->to_string(), allow));
  if (a.status) return a.status;
  if (o.json) return print_json(a.holder), kDone;
  std::printf("allowed %s for %s\n", mac->to_string().c_str(),
              duration_text(member(a.object(), "seconds").is_number()
                                ? member(a.object(), "seconds").to_number<std::int64_t>()
                                : 0)
                  .c_str());
  return kDone;
}

int cmd_revoke(const Options& o, const Args& args) {
  auto mac = mac_arg(args[0]);
  auto ip = mac ? std::nullopt : IpAddr::parse(args[0]);
  if (!mac && !ip) return usage_error("not a MAC address or IP address: " + args[0]);
  Answer a = ask(o, control::make_revoke_request(mac ? mac->to_string() : ip->to_string()));
  if (a.status) return a.status;
  if (o.json) return print_json(a.holder), kDone;
  std::printf("revoked %s\n", text_of(member(a.object(), "mac")).c_str());
  return kDone;
}

int cmd_extend(const Options& o, const Args& args) {
  auto mac = mac_arg(args[0]);
  if (!mac) return bad_mac(args[0]);
  auto d = control::parse_duration(args[1]);
  if (!d) return usage_error("not a duration (like 90s, 15m, 24h, 7d; at most 365d): " + args[1]);
  Answer a = ask(o, control::make_extend_request(mac->to_string(), static_cast<std::uint64_t>(d->count())));
  if (a.status) return a.status;
  if (o.json) return print_json(a.holder), kDone;
  std::printf("extended %s by %s\n", mac->to_string().c_str(), duration_text(d->count()).c_str());
  return kDone;
}

int cmd_status(const Options& o, const Args&) {
  Answer a = ask(o, control::make_status_request());
  if (a.status) return a.status;
  const json::value& status = member(a.object(), "status");
  if (!status.is_object()) return fail("answer has no status", kRefused);
  if (o.json) return print_json(status), kDone;
  const json::object& s = status.get_object();
  std::printf("version      %s\n", text_of(member(s, "version")).c_str());
  const json::value& up = member(s, "uptime_seconds");
  std::printf("uptime       %s\n", up.is_number() ? duration_text(up.to_number<std::int64_t>()).c_str() : "-");
  std::printf("queue mode   %s\n", text_of(member(s, "queue_mode")).c_str());
  // One line per LAN: name, router MAC, MTU, the sign-in URLs on it.
  if (const json::value& lans = member(s, "lans"); lans.is_array())
    for (const auto& lan : lans.get_array()) {
      if (!lan.is_object()) continue;
      const json::object& l = lan.get_object();
      std::string urls;
      for (const char* key : {"portal_url_v4", "portal_url_v6"})
        if (auto url = text_of(member(l, key)); !url.empty() && url != "-" && urls.find(url) == std::string::npos)
          urls += " " + url;
      std::printf("lan          %s %s mtu %s%s\n", text_of(member(l, "name")).c_str(), text_of(member(l, "mac")).c_str(),
                  number_of(member(l, "mtu")).c_str(), urls.c_str());
    }
  std::printf("sessions     %s\n", number_of(member(s, "sessions")).c_str());
  const json::value& counters = member(s, "counters");
  if (counters.is_object())
    for (const auto& [name, value] : counters.get_object())
      std::printf("%-12s %s\n", std::string(name).c_str(), number_of(value).c_str());
  return kDone;
}

int cmd_stats(const Options& o, const Args&) {
  Answer a = ask(o, control::make_stats_request());
  if (a.status) return a.status;
  const json::value& values = member(a.object(), "stats");
  if (!values.is_object()) return fail("answer has no counters", kRefused);
  if (o.json) return print_json(values), kDone;
  for (const auto& [name, value] : values.get_object())
    std::printf("%-32s %s\n", std::string(name).c_str(), number_of(value).c_str());
  return kDone;
}

std::string joined(const json::value& v) {
  std::string out;
  if (v.is_array())
    for (const auto& k : v.get_array()) out += (out.empty() ? "" : ", ") + text_of(k);
  return out;
}

int cmd_reload(const Options& o, const Args&) {
  Answer a = ask(o, control::make_reload_request());
  if (a.status) return a.status;
  if (o.json) return print_json(a.holder), kDone;
  const std::string changed = joined(member(a.object(), "changed"));
  const std::string restart = joined(member(a.object(), "restart_needed"));
  std::printf("reloaded %s: %s%s\n", text_of(member(a.object(), "file")).c_str(),
              changed.empty() ? "nothing changed that applies live" : ("applied " + changed).c_str(),
              restart.empty() ? "" : ("; needs a restart: " + restart).c_str());
  return kDone;
}

int mac_list_command(const char* cmd, const char* done, const Options& o, const Args& args) {
  auto mac = mac_arg(args[0]);
  if (!mac) return bad_mac(args[0]);
  Answer a = ask(o, control::make_mac_request(cmd, mac->to_string()));
  if (a.status) return a.status;
  if (o.json) return print_json(a.holder), kDone;
  std::printf("%s %s\n", done, mac->to_string().c_str());
  return kDone;
}
int cmd_trust(const Options& o, const Args& a) { return mac_list_command("trust", "trusted", o, a); }
int cmd_block(const Options& o, const Args& a) { return mac_list_command("block", "blocked", o, a); }
int cmd_unblock(const Options& o, const Args& a) { return mac_list_command("unblock", "unblocked", o, a); }
int cmd_untrust(const Options& o, const Args& a) { return mac_list_command("untrust", "untrusted", o, a); }

int cmd_lists(const Options& o, const Args&) {
  Answer a = ask(o, control::make_lists_request());
  if (a.status) return a.status;
  if (o.json) return print_json(a.holder), kDone;
  const json::object& object = a.object();
  for (const char* list : {"trusted", "blocked"}) {
    const json::value& rows = member(object, list);
    if (!rows.is_array()) continue;
    for (const auto& row : rows.get_array())
      if (row.is_object())
        std::printf("%-8s %s (%s)\n", list, text_of(member(row.get_object(), "mac")).c_str(),
                    text_of(member(row.get_object(), "source")).c_str());
  }
  for (const char* garden : {"allow_ip", "allow_domain"}) {
    const json::value& rows = member(object, garden);
    if (!rows.is_array()) continue;
    for (const auto& row : rows.get_array()) std::printf("%-8s %s\n", "garden", text_of(row).c_str());
  }
  return kDone;
}

int cmd_doctor(const Options& o, const Args& args);
const char* option_name(unsigned bit);

// --- users file -------------------------------------------------------------

constexpr const char* kDefaultUsersFile = "/etc/captive/users";

// --users, else the file captived uses (status), else the default.
std::string users_file_of(const Options& o) {
  if (o.given & kOptUsers) return o.users_file;
  std::string reply;
  if (!exchange(o.socket, control::make_status_request(), reply)) {
    json::error_code ec;
    json::value v = json::parse(reply, ec);
    if (!ec && v.is_object()) {
      const json::value& status = member(v.get_object(), "status");
      if (status.is_object()) {
        const json::value& file = member(status.get_object(), "users_file");
        if (file.is_string() && !file.get_string().empty()) return std::string(file.get_string());
      }
    }
  }
  return kDefaultUsersFile;
}

// One line from the terminal without echo (termios ECHO off), or from
// stdin with --password-stdin. Never from the command line: argv is
// readable by every user in /proc.
std::optional<std::string> read_password(const Options& o, const char* prompt, std::string& error) {
  auto strip = [](std::string& line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  };
  if (o.given & kOptPasswordStdin) {
    std::string line;
    char buf[512];
    if (!std::fgets(buf, sizeof buf, stdin)) {
      error = "--password-stdin: no line on stdin";
      return std::nullopt;
    }
    line = buf;
    std::memset(buf, 0, sizeof buf);
    strip(line);
    return line;
  }
  const int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    error = "no terminal to ask the password on (use --password-stdin)";
    return std::nullopt;
  }
  termios old{};
  if (::tcgetattr(fd, &old) != 0) {
    ::close(fd);
    error = "no terminal to ask the password on (use --password-stdin)";
    return std::nullopt;
  }
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  (void)!::write(fd, prompt, std::strlen(prompt));
  ::tcsetattr(fd, TCSAFLUSH, &quiet);
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
  ::tcsetattr(fd, TCSAFLUSH, &old);
  ::close(fd);
  strip(line);
  return line;
}

// A new password, asked twice on a terminal.
std::optional<std::string> new_password(const Options& o, std::string& error) {
  auto first = read_password(o, "Password: ", error);
  if (!first) return std::nullopt;
  if (first->empty()) {
    error = "empty password";
    return std::nullopt;
  }
  if (first->size() > captive::auth::kMaxPassword) {
    error = "password longer than " + std::to_string(captive::auth::kMaxPassword) + " bytes";
    return std::nullopt;
  }
  if (!(o.given & kOptPasswordStdin)) {
    auto again = read_password(o, "Again: ", error);
    if (!again) return std::nullopt;
    if (*again != *first) {
      error = "the passwords differ";
      return std::nullopt;
    }
  }
  return first;
}

std::optional<captive::auth::PwhashParams> pwhash_params(const Options& o, std::string& error) {
  captive::auth::PwhashParams p;
  if (o.given & kOptPwhashOps) {
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(o.pwhash_ops_text.data(), o.pwhash_ops_text.data() + o.pwhash_ops_text.size(), n);
    if (ec != std::errc() || end != o.pwhash_ops_text.data() + o.pwhash_ops_text.size()) {
      error = "--pwhash-ops: not a number: " + o.pwhash_ops_text;
      return std::nullopt;
    }
    p.ops = n;
  }
  if (o.given & kOptPwhashMem) {
    auto m = captive::auth::parse_memory(o.pwhash_mem_text);
    if (!m) {
      error = "--pwhash-mem: not a size (like 4M, 16M): " + o.pwhash_mem_text;
      return std::nullopt;
    }
    p.mem = *m;
  }
  if (auto ok = captive::auth::check_params(p); !ok) {
    error = ok.error().what;
    return std::nullopt;
  }
  return p;
}

// The options of `user add` as the file writes them (time=,idle=,quota=,
// rate-down=,rate-up=), checked with the parser captived reads them with.
std::optional<std::string> user_options(const Options& o, std::string& error) {
  std::string out;
  auto add = [&](unsigned bit, const char* key, const std::string& value) {
    if (!(o.given & bit)) return;
    out += (out.empty() ? "" : ",") + std::string(key) + "=" + value;
  };
  add(kOptFor, "time", o.for_text);
  add(kOptIdle, "idle", o.idle_text);
  add(kOptQuota, "quota", o.quota_text);
  add(kOptRateDown, "rate-down", o.rate_down_text);
  add(kOptRateUp, "rate-up", o.rate_up_text);
  captive::auth::UserEntry probe;
  if (auto parsed = captive::auth::parse_user_options(out, probe); !parsed) {
    error = parsed.error().what;
    return std::nullopt;
  }
  return out;
}

// The users file locked against another captivectl (flock on its
// directory: the file itself is replaced by each write).
struct UsersFile {
  std::string path, dir, name;
  int dir_fd = -1;
  ~UsersFile() {
    if (dir_fd >= 0) ::close(dir_fd);
  }
};

std::optional<std::string> open_users_file(UsersFile& f, std::string& error) {
  const auto slash = f.path.rfind('/');
  f.dir = slash == std::string::npos ? "." : slash == 0 ? "/" : f.path.substr(0, slash);
  f.name = slash == std::string::npos ? f.path : f.path.substr(slash + 1);
  if (f.name.empty()) {
    error = "not a file path: " + f.path;
    return std::nullopt;
  }
  f.dir_fd = ::open(f.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (f.dir_fd < 0 || ::flock(f.dir_fd, LOCK_EX) != 0) {
    error = f.dir + ": " + std::strerror(errno);
    return std::nullopt;
  }
  auto text = captive::session::read_small_file(f.path);
  if (!text) {
    error = text.error().message();
    return std::nullopt;
  }
  return text->value_or("");
}

// After a change: captived reads the file again (if it runs).
void tell_captived(const Options& o) {
  std::string reply;
  if (exchange(o.socket, control::make_reload_request(), reply)) {
    std::fprintf(stderr, "captivectl: captived not reached (%s); it reads the file at its next start or reload\n",
                 one_line(reply).c_str());
    return;
  }
  json::error_code ec;
  json::value v = json::parse(reply, ec);
  const bool ok = !ec && v.is_object() && member(v.get_object(), "ok").is_bool() && member(v.get_object(), "ok").get_bool();
  if (!ok)
    std::fprintf(stderr, "captivectl: captived did not reload: %s\n",
                 !ec && v.is_object() ? text_of(member(v.get_object(), "error")).c_str() : "unreadable answer");
}

int cmd_user(const Options& o, const Args& args) {
  const std::string& verb = args[0];
  const bool takes_name = verb == "add" || verb == "del" || verb == "passwd";
  if (verb != "list" && !takes_name) return usage_error("user: add, del, passwd or list, not " + verb);
  if (takes_name && args.size() != 2) return usage_error("user " + verb + " takes a user name");
  if (!takes_name && args.size() > 2) return usage_error("user list takes at most a user name");
  const unsigned allowed = verb == "add"      ? (kOptUsers | kOptPasswordStdin | kOptPwhashOps | kOptPwhashMem | kOptFor |
                                                kOptIdle | kOptQuota | kOptRateDown | kOptRateUp)
                           : verb == "passwd" ? (kOptUsers | kOptPasswordStdin | kOptPwhashOps | kOptPwhashMem)
                                              : kOptUsers;
  for (unsigned bit = 1; bit <= kOptLast; bit <<= 1)
    if ((o.given & bit) && !(allowed & bit)) return usage_error(std::string(option_name(bit)) + " is not an option of user " + verb);
  if (args.size() == 2 && !captive::auth::valid_user_name(args[1]))
    return usage_error("not a user name (1-64 of A-Z a-z 0-9 . _ @ + -): " + args[1]);
  UsersFile file;
  file.path = users_file_of(o);
  std::string error;
  auto text = open_users_file(file, error);
  if (!text) return fail(error, kRefused);
  auto users = captive::auth::parse_users(*text, file.path);
  if (!users) return fail(users.error().what + " (fix the file by hand first)", kRefused);
  auto find = [&](const std::string& name) -> const captive::auth::UserEntry* {
    for (const auto& u : *users)
      if (u.name == name) return &u;
    return nullptr;
  };
  if (verb == "list") {
    if (o.json) {
      json::array out;
      for (const auto& u : *users) {
        if (args.size() == 2 && u.name != args[1]) continue;
        json::object row;
        row["name"] = u.name;
        row["options"] = u.options;
        out.push_back(std::move(row));
      }
      print_json(out);
      return kDone;
    }
    bool any = false;
    for (const auto& u : *users) {
      if (args.size() == 2 && u.name != args[1]) continue;
      any = true;
      std::printf("%-32s %s\n", u.name.c_str(), u.options.empty() ? "-" : u.options.c_str());
    }
    if (args.size() == 2 && !any) return fail("no user " + args[1] + " in " + file.path, kRefused);
    return kDone;
  }
  const std::string& name = args[1];
  const captive::auth::UserEntry* existing = find(name);
  std::string updated;
  if (verb == "del") {
    auto without = captive::auth::remove_user(*text, name);
    if (!without) return fail("no user " + name + " in " + file.path, kRefused);
    updated = std::move(*without);
  } else {
    if (verb == "add" && existing) return fail("user " + name + " is already in " + file.path + " (user passwd changes the password)", kRefused);
    if (verb == "passwd" && !existing) return fail("no user " + name + " in " + file.path, kRefused);
    captive::auth::UserEntry entry = existing ? *existing : captive::auth::UserEntry{};
    entry.name = name;
    if (verb == "add") {
      auto options = user_options(o, error);
      if (!options) return usage_error(error);
      entry.options = *options;
    }
    auto params = pwhash_params(o, error);
    if (!params) return usage_error(error);
    auto password = new_password(o, error);
    if (!password) return fail(error, kRefused);
    auto hash = captive::auth::hash_password(*password, *params);
    std::fill(password->begin(), password->end(), '\0');
    if (!hash) return fail(hash.error().message(), kRefused);
    entry.hash = *hash;
    updated = captive::auth::put_user(*text, entry);
  }
  if (auto written = captive::session::write_file_atomically(file.dir, file.name, updated); !written)
    return fail(written.error().message(), kRefused);
  if (!o.json) std::printf("%s %s in %s\n", verb == "add" ? "added" : verb == "del" ? "deleted" : "changed the password of",
                           name.c_str(), file.path.c_str());
  tell_captived(o);
  return kDone;
}
int cmd_voucher(const Options& o, const Args& args);

// `args` of a command that has subcommands (voucher): it checks them itself.
constexpr std::size_t kSubcommand = static_cast<std::size_t>(-1);

struct Command {
  const char* name;
  std::size_t args;  // exactly this many arguments
  unsigned options;  // Opt bits it takes (--socket, --json: every command)
  int (*run)(const Options&, const Args&);
};

// One row per command (bash completion and captivectl(8) list the same).
const Command kCommands[] = {
    {"list", 0, kOptAll, cmd_list},
    {"show", 1, 0, cmd_show},
    {"allow", 1, kOptFor | kOptIp | kOptRateDown | kOptRateUp, cmd_allow},
    {"revoke", 1, 0, cmd_revoke},
    {"extend", 2, 0, cmd_extend},
    {"status", 0, 0, cmd_status},
    {"stats", 0, 0, cmd_stats},
    {"reload", 0, 0, cmd_reload},
    {"trust", 1, 0, cmd_trust},
    {"block", 1, 0, cmd_block},
    {"untrust", 1, 0, cmd_untrust},
    {"unblock", 1, 0, cmd_unblock},
    {"lists", 0, 0, cmd_lists},
    {"doctor", 1, 0, cmd_doctor},
    {"voucher", kSubcommand,
     kOptCount | kOptDuration | kOptDevices | kOptQuota | kOptRateDown | kOptRateUp | kOptAllUnused | kOptNetwork,
     cmd_voucher},
};

const char* option_name(unsigned bit) {
  switch (bit) {
    case kOptAll: return "--all";
    case kOptFor: return "--for";
    case kOptIp: return "--ip";
    case kOptRateDown: return "--rate-down";
    case kOptRateUp: return "--rate-up";
    case kOptQuota: return "--quota";
    case kOptUsers: return "--users";
    case kOptPasswordStdin: return "--password-stdin";
    case kOptPwhashOps: return "--pwhash-ops";
    case kOptPwhashMem: return "--pwhash-mem";
    case kOptIdle: return "--idle";
    case kOptCount: return "--count";
    case kOptDuration: return "--duration";
    case kOptDevices: return "--devices";
    case kOptAllUnused: return "--all-unused";
    case kOptNetwork: return "--network";
  }
  return "?";
}

// doctor MAC: what the client asked lately and what we answered.
int cmd_doctor(const Options& o, const Args& args) {
  auto mac = mac_arg(args[0]);
  if (!mac) return bad_mac(args[0]);
  Answer a = ask(o, control::make_doctor_request(mac->to_string()));
  if (a.status) return a.status;
  if (o.json) return print_json(a.holder), kDone;
  const json::object& object = a.object();
  auto yes = [](const json::value& v) { return v.is_bool() && v.get_bool() ? "yes" : "no"; };
  std::printf("%s\n", mac->to_string().c_str());
  const json::value& entries = member(object, "entries");
  if (entries.is_array() && !entries.get_array().empty()) {
    std::printf("  %-19s  %-11s  %-14s  %s\n", "WHEN", "ANSWER", "PROBE", "HOST PATH");
    for (const auto& e : entries.get_array()) {
      if (!e.is_object()) continue;
      const auto& row = e.get_object();
      std::printf("  %-19s  %-11s  %-14s  %s %s\n", format_time(member(row, "at")).c_str(),
                  text_of(member(row, "event")).c_str(), text_of(member(row, "probe")).c_str(),
                  text_of(member(row, "host")).c_str(), text_of(member(row, "path")).c_str());
    }
  }
  std::printf("opened the sign-in page: %s; signed in now: %s\n", yes(member(object, "opened_portal")),
              yes(member(object, "signed_in")));
  std::printf("verdict: %s\n", text_of(member(object, "verdict")).c_str());
  return kDone;
}


// --- vouchers ---------------------------------------------------------------

int voucher_usage() {
  return usage_error("voucher takes create, list, show CODE, revoke CODE or print [CODE...]");
}

// Only the options of this subcommand (the table lets voucher have all of them).
int check_voucher_options(const Options& o, const std::string& sub, unsigned allowed) {
  for (unsigned bit = 1; bit <= kOptLast; bit <<= 1)
    if ((o.given & bit) && !(allowed & bit)) return usage_error(std::string(option_name(bit)) + " is not an option of voucher " + sub);
  return kDone;
}

std::optional<std::uint64_t> whole(const std::string& text, std::uint64_t max) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n == 0 || n > max) return std::nullopt;
  return n;
}

std::string bytes_text(const json::value& v) {
  if (!v.is_number()) return "";
  const auto n = v.to_number<std::uint64_t>();
  char buf[32];
  if (n >= 1000ull * 1000 * 1000 && n % (1000ull * 1000 * 1000 / 10) == 0)
    std::snprintf(buf, sizeof buf, "%g GB", static_cast<double>(n) / 1e9);
  else if (n >= 1000ull * 1000 && n % (1000ull * 1000 / 10) == 0)
    std::snprintf(buf, sizeof buf, "%g MB", static_cast<double>(n) / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(n));
  return buf;
}

std::string rate_text(const json::value& v) {
  if (!v.is_number()) return "";
  const double bits = static_cast<double>(v.to_number<std::uint64_t>()) * 8;
  char buf[32];
  if (bits >= 1e6) std::snprintf(buf, sizeof buf, "%g Mbit/s", bits / 1e6);
  else std::snprintf(buf, sizeof buf, "%g kbit/s", bits / 1e3);
  return buf;
}

std::int64_t seconds_of(const json::object& v) {
  const json::value& s = member(v, "seconds");
  return s.is_number() ? s.to_number<std::int64_t>() : 0;
}

// "2 devices · 1 GB · 2 Mbit/s down": what a card and `list` say besides the time.
std::string voucher_extras(const json::object& v, const char* separator) {
  std::string out;
  auto add = [&](const std::string& part) {
    if (!part.empty()) out += (out.empty() ? "" : separator) + part;
  };
  const json::value& devices = member(v, "devices");
  if (devices.is_number() && devices.to_number<std::uint64_t>() > 1)
    add(std::to_string(devices.to_number<std::uint64_t>()) + " devices");
  add(bytes_text(member(v, "quota_bytes")));
  if (auto r = rate_text(member(v, "rate_down")); !r.empty()) add(r + " down");
  if (auto r = rate_text(member(v, "rate_up")); !r.empty()) add(r + " up");
  return out;
}

constexpr const char* kVoucherRow = "%-12s  %-8s  %-13s  %-7s  %-19s  %s\n";

void print_voucher_row(const json::object& v) {
  const json::value& macs = member(v, "macs");
  const std::size_t used = macs.is_array() ? macs.get_array().size() : 0;
  std::string devices = std::to_string(used) + "/" + number_of(member(v, "devices"));
  std::printf(kVoucherRow, text_of(member(v, "code")).c_str(), text_of(member(v, "state")).c_str(),
              control::human_duration(static_cast<std::uint64_t>(seconds_of(v))).c_str(), devices.c_str(),
              format_time(member(v, "expires_at")).c_str(), voucher_extras(v, ", ").c_str());
}

int voucher_create(const Options& o) {
  if (int bad = check_voucher_options(o, "create", kOptCount | kOptDuration | kOptDevices | kOptQuota | kOptRateDown | kOptRateUp))
    return bad;
  control::VoucherCreate create;
  if (!(o.given & kOptCount)) return usage_error("voucher create: --count N is required");
  if (!(o.given & kOptDuration)) return usage_error("voucher create: --duration DURATION is required");
  auto count = whole(o.count_text, 1000);
  if (!count) return usage_error("--count: not a number from 1 to 1000: " + o.count_text);
  create.count = *count;
  auto d = control::parse_duration(o.duration_text);
  if (!d) return usage_error("--duration: not a duration (like 90s, 15m, 2h, 7d; at most 365d): " + o.duration_text);
  create.seconds = static_cast<std::uint64_t>(d->count());
  if (o.given & kOptDevices) {
    auto k = whole(o.devices_text, 100);
    if (!k) return usage_error("--devices: not a number from 1 to 100: " + o.devices_text);
    create.devices = *k;
  }
  if (o.given & kOptQuota) {
    auto q = control::parse_bytes(o.quota_text);
    if (!q) return usage_error("--quota: not a size (like 500M, 1G, 1500): " + o.quota_text);
    create.quota_bytes = *q;
  }
  for (auto [bit, text, slot, name] :
       {std::tuple{kOptRateDown, &o.rate_down_text, &create.rate_down, "--rate-down"},
        std::tuple{kOptRateUp, &o.rate_up_text, &create.rate_up, "--rate-up"}}) {
    if (!(o.given & bit)) continue;
    auto rate = control::parse_rate(*text);
    if (!rate) return usage_error(std::string(name) + ": not a rate in bits per second (like 2mbit, 500kbit, 1gbit): " + *text);
    *slot = *rate;
  }
  Answer a = ask(o, control::make_voucher_create_request(create));
  if (a.status) return a.status;
  const json::value& vouchers = member(a.object(), "vouchers");
  if (!vouchers.is_array()) return fail("answer has no vouchers", kRefused);
  if (o.json) return print_json(vouchers), kDone;
  // One code a line: easy to pipe into `voucher print`.
  for (const auto& v : vouchers.get_array())
    if (v.is_object()) std::printf("%s\n", text_of(member(v.get_object(), "code")).c_str());
  return kDone;
}

std::optional<std::string> code_arg(const std::string& text) {
  auto code = captive::auth::normalize_code(text);
  if (!code) return std::nullopt;
  return captive::auth::group_code(*code);
}

int bad_code(const std::string& text) {
  return usage_error("not a voucher code: " + text + " (like ACDE-FG34-HJ)");
}

int voucher_list(const Options& o) {
  if (int bad = check_voucher_options(o, "list", 0)) return bad;
  Answer a = ask(o, control::make_voucher_list_request());
  if (a.status) return a.status;
  const json::value& vouchers = member(a.object(), "vouchers");
  if (!vouchers.is_array()) return fail("answer has no vouchers", kRefused);
  if (o.json) return print_json(vouchers), kDone;
  std::printf(kVoucherRow, "CODE", "STATE", "DURATION", "DEVICES", "EXPIRES", "LIMITS");
  for (const auto& v : vouchers.get_array())
    if (v.is_object()) print_voucher_row(v.get_object());
  return kDone;
}

int voucher_show(const Options& o, const std::string& text) {
  if (int bad = check_voucher_options(o, "show", 0)) return bad;
  auto code = code_arg(text);
  if (!code) return bad_code(text);
  Answer a = ask(o, control::make_voucher_show_request(*code));
  if (a.status) return a.status;
  const json::value& voucher = member(a.object(), "voucher");
  if (!voucher.is_object()) return fail("answer has no voucher", kRefused);
  if (o.json) return print_json(voucher), kDone;
  const json::object& v = voucher.get_object();
  std::printf("code         %s\n", text_of(member(v, "code")).c_str());
  std::printf("state        %s\n", text_of(member(v, "state")).c_str());
  std::printf("duration     %s (from first use)\n", control::human_duration(static_cast<std::uint64_t>(seconds_of(v))).c_str());
  std::printf("devices      %s\n", number_of(member(v, "devices")).c_str());
  std::string limits = voucher_extras(v, ", ");
  std::printf("limits       %s\n", limits.empty() ? "-" : limits.c_str());
  std::printf("created      %s\n", format_time(member(v, "created_at")).c_str());
  std::printf("first used   %s\n", format_time(member(v, "first_used_at")).c_str());
  std::printf("expires      %s\n", format_time(member(v, "expires_at")).c_str());
  const json::value& macs = member(v, "macs");
  std::string list;
  if (macs.is_array())
    for (const auto& m : macs.get_array()) list += (list.empty() ? "" : " ") + text_of(m);
  std::printf("macs         %s\n", list.empty() ? "-" : list.c_str());
  return kDone;
}

int voucher_revoke(const Options& o, const std::string& text) {
  if (int bad = check_voucher_options(o, "revoke", 0)) return bad;
  auto code = code_arg(text);
  if (!code) return bad_code(text);
  Answer a = ask(o, control::make_voucher_revoke_request(*code));
  if (a.status) return a.status;
  if (o.json) return print_json(a.holder), kDone;
  const json::value& changed = member(a.object(), "changed");
  std::printf("%s %s; ended %s sessions\n", changed.is_bool() && !changed.get_bool() ? "already revoked" : "revoked",
              text_of(member(a.object(), "code")).c_str(), number_of(member(a.object(), "sessions_ended")).c_str());
  return kDone;
}

int voucher_print(const Options& o, const Args& codes) {
  if (int bad = check_voucher_options(o, "print", kOptAllUnused | kOptNetwork)) return bad;
  const bool all_unused = o.given & kOptAllUnused;
  if (all_unused == !codes.empty())
    return usage_error("voucher print takes CODEs or --all-unused (one of the two)");
  std::vector<std::string> wanted;
  for (const auto& text : codes) {
    auto code = code_arg(text);
    if (!code) return bad_code(text);
    wanted.push_back(*code);
  }
  Answer a = ask(o, control::make_voucher_list_request());
  if (a.status) return a.status;
  const json::value& vouchers = member(a.object(), "vouchers");
  if (!vouchers.is_array()) return fail("answer has no vouchers", kRefused);
  std::vector<const json::object*> chosen;
  if (all_unused) {
    for (const auto& v : vouchers.get_array())
      if (v.is_object() && text_of(member(v.get_object(), "state")) == "unused") chosen.push_back(&v.get_object());
  } else {
    for (const auto& code : wanted) {
      const json::object* found = nullptr;
      for (const auto& v : vouchers.get_array())
        if (v.is_object() && text_of(member(v.get_object(), "code")) == code) found = &v.get_object();
      if (!found) return fail("no such voucher: " + code, kRefused);
      chosen.push_back(found);
    }
  }
  std::vector<control::VoucherCard> cards;
  for (const auto* v : chosen)
    cards.push_back(control::VoucherCard{text_of(member(*v, "code")),
                                         control::human_duration(static_cast<std::uint64_t>(seconds_of(*v))),
                                         voucher_extras(*v, " \xC2\xB7 ")});
  const std::string network =
      (o.given & kOptNetwork) ? o.network_text : text_of(member(a.object(), "network")) == "-" ? std::string() : text_of(member(a.object(), "network"));
  const std::string html = control::voucher_sheet_html(cards, network);
  std::fwrite(html.data(), 1, html.size(), stdout);
  if (cards.empty()) std::fprintf(stderr, "captivectl: no unused vouchers: the sheet is empty\n");
  return kDone;
}

int cmd_voucher(const Options& o, const Args& args) {
  if (args.empty()) return voucher_usage();
  const std::string& sub = args[0];
  const Args rest(args.begin() + 1, args.end());
  auto arity = [&](std::size_t n) {
    return rest.size() == n ? kDone
                            : usage_error("voucher " + sub + " takes " + (n == 0 ? "no arguments" : "one argument") +
                                          ", not " + std::to_string(rest.size()));
  };
  if (sub == "create") return arity(0) ? kUsage : voucher_create(o);
  if (sub == "list") return arity(0) ? kUsage : voucher_list(o);
  if (sub == "show") return arity(1) ? kUsage : voucher_show(o, rest[0]);
  if (sub == "revoke") return arity(1) ? kUsage : voucher_revoke(o, rest[0]);
  if (sub == "print") return voucher_print(o, rest);
  return voucher_usage();
}

}  // namespace

int captive::cli::captivectl_main(int argc, char** argv) {
  static const option kOptions[] = {
      {"socket", required_argument, nullptr, 's'},
      {"json", no_argument, nullptr, 'j'},
      {"help", no_argument, nullptr, 'h'},
      {"all", no_argument, nullptr, 'a'},
      {"for", required_argument, nullptr, 'f'},
      {"ip", required_argument, nullptr, 'i'},
      {"rate-down", required_argument, nullptr, 'D'},
      {"rate-up", required_argument, nullptr, 'U'},
      {"quota", required_argument, nullptr, 'Q'},
      {"users", required_argument, nullptr, 'u'},
      {"password-stdin", no_argument, nullptr, 'P'},
      {"pwhash-ops", required_argument, nullptr, 'O'},
      {"pwhash-mem", required_argument, nullptr, 'M'},
      {"idle", required_argument, nullptr, 'I'},
      {"count", required_argument, nullptr, 'n'},
      {"duration", required_argument, nullptr, 'd'},
      {"devices", required_argument, nullptr, 'k'},
      {"all-unused", no_argument, nullptr, 'A'},
      {"network", required_argument, nullptr, 'w'},
      {nullptr, 0, nullptr, 0},
  };
  Options o;
  opterr = 0;
  int opt;
  // GNU getopt permutes: options may come before or after the command and
  // its arguments ("captivectl list --socket S", "captivectl --json list").
  while ((opt = getopt_long(argc, argv, ":h", kOptions, nullptr)) != -1) {
    switch (opt) {
      case 's':
        if (!*optarg) return usage_error("--socket: empty path");
        o.socket = optarg;
        break;
      case 'j': o.json = true; break;
      case 'h': print_usage(stdout); return kDone;
      case 'a': o.given |= kOptAll; break;
      case 'f': o.given |= kOptFor; o.for_text = optarg; break;
      case 'i': o.given |= kOptIp; o.ip_text = optarg; break;
      case 'D': o.given |= kOptRateDown; o.rate_down_text = optarg; break;
      case 'U': o.given |= kOptRateUp; o.rate_up_text = optarg; break;
      case 'Q': o.given |= kOptQuota; o.quota_text = optarg; break;
      case 'u':
        if (!*optarg) return usage_error("--users: empty path");
        o.given |= kOptUsers; o.users_file = optarg;
        break;
      case 'P': o.given |= kOptPasswordStdin; break;
      case 'O': o.given |= kOptPwhashOps; o.pwhash_ops_text = optarg; break;
      case 'M': o.given |= kOptPwhashMem; o.pwhash_mem_text = optarg; break;
      case 'I': o.given |= kOptIdle; o.idle_text = optarg; break;
      case 'n': o.given |= kOptCount; o.count_text = optarg; break;
      case 'd': o.given |= kOptDuration; o.duration_text = optarg; break;
      case 'k': o.given |= kOptDevices; o.devices_text = optarg; break;
      case 'A': o.given |= kOptAllUnused; break;
      case 'w': o.given |= kOptNetwork; o.network_text = optarg; break;
      case ':': return usage_error(std::string(argv[optind - 1]) + " needs a value");
      default: return usage_error(std::string("unknown option: ") + argv[optind - 1]);
    }
  }
  Args args(argv + optind, argv + argc);
  if (args.empty()) return usage_error("no command given");
  const std::string command = args[0];
  args.erase(args.begin());
  // user VERB [NAME]: its own checks of arguments and options.
  if (command == "user") {
    if (args.empty()) return usage_error("user: add, del, passwd or list");
    return cmd_user(o, args);
  }
  for (const Command& c : kCommands) {
    if (command != c.name) continue;
    if (c.args != kSubcommand && args.size() != c.args)
      return usage_error(command + " takes " + (c.args == 0 ? "no arguments" : c.args == 1 ? "one argument" : "two arguments") +
                         ", not " + std::to_string(args.size()));
    for (unsigned bit = 1; bit <= kOptLast; bit <<= 1)
      if ((o.given & bit) && !(c.options & bit)) return usage_error(std::string(option_name(bit)) + " is not an option of " + command);
    return c.run(o, args);
  }
  return usage_error("unknown command: " + command);
}
