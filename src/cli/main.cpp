// captivectl: the admin's view of captived, over its control socket.
//   captivectl [--socket PATH] list [--json]
//   captivectl [--socket PATH] revoke MAC
//   captivectl [--socket PATH] stats [--json]
//   captivectl [--socket PATH] doctor MAC [--json]
#include <getopt.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "captive/control/protocol.hpp"
#include "captive/packet/address.hpp"

namespace {
namespace json = boost::json;

constexpr const char* kDefaultSocket = "/run/captive/captived.sock";

void print_usage(FILE* out) {
  std::fputs(
      "Usage: captivectl [--socket PATH] COMMAND\n"
      "\n"
      "Commands:\n"
      "  list [--json]   clients signed in: MAC, IP, signed in at, expires, bytes sent\n"
      "  revoke MAC      end a client's session: its next packet is dropped and it\n"
      "                  has to sign in again\n"
      "  stats [--json]  captived's counters: packets queued and answered by kind,\n"
      "                  every drop reason, sign-ins and refusals\n"
      "  doctor MAC [--json]\n"
      "                  why a device did (not) pop up its sign-in window: its recent\n"
      "                  requests and OS probes, what captived answered (511, 302),\n"
      "                  whether it opened the sign-in page and signed in, and a verdict\n"
      "\n"
      "Options:\n"
      "  --socket PATH   captived's control socket (default /run/captive/captived.sock)\n"
      "  --json          (list, stats, doctor) one JSON document instead of text\n"
      "  --help          this text\n",
      out);
}

int fail(const std::string& message, int status = 1) {
  std::fprintf(stderr, "captivectl: %s\n", message.c_str());
  return status;
}

// Sends one request line, returns the reply line (or an error message and false).
bool exchange(const std::string& socket_path, const std::string& request, std::string& reply) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    reply = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    ::close(fd);
    reply = "socket path too long: " + socket_path;
    return false;
  }
  socket_path.copy(addr.sun_path, sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd);
    reply = "cannot reach captived at " + socket_path + ": " + std::strerror(err);
    if (err == ENOENT || err == ECONNREFUSED) reply += " (is captived running? see --socket)";
    if (err == EACCES) reply += " (captivectl must run as root)";
    return false;
  }
  static const char* kHungUp = "captived closed the connection without an answer (only root may use it)";
  std::string line = request + "\n";
  for (std::size_t sent = 0; sent < line.size();) {
    // MSG_NOSIGNAL: a daemon that hangs up on us is an error message, not SIGPIPE.
    ssize_t n = ::send(fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      reply = (err == EPIPE || err == ECONNRESET) ? std::string(kHungUp)
                                                  : std::string("send to captived: ") + std::strerror(err);
      ::close(fd);
      return false;
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
    return false;
  }
  reply.pop_back();
  return true;
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

// Parses a reply; on {"ok":false} prints the error. Returns nullptr on failure.
const json::object* checked(const std::string& reply, json::value& holder) {
  json::error_code ec;
  holder = json::parse(reply, ec);
  if (ec || !holder.is_object()) {
    fail("unreadable answer from captived: " + reply.substr(0, 200));
    return nullptr;
  }
  const json::object& object = holder.get_object();
  const json::value* ok = object.if_contains("ok");
  if (!ok || !ok->is_bool() || !ok->get_bool()) {
    const json::value* error = object.if_contains("error");
    fail(error && error->is_string() ? std::string(error->get_string()) : "captived refused the request");
    return nullptr;
  }
  return &object;
}

int list(const std::string& socket_path, bool as_json) {
  std::string reply;
  if (!exchange(socket_path, captive::control::make_list_request(), reply)) return fail(reply);
  json::value holder;
  const json::object* object = checked(reply, holder);
  if (!object) return 1;
  const json::value* clients = object->if_contains("clients");
  if (!clients || !clients->is_array()) return fail("answer has no client list");
  if (as_json) {
    std::printf("%s\n", json::serialize(*clients).c_str());
    return 0;
  }
  std::printf("%-17s  %-39s  %-19s  %-19s  %s\n", "MAC", "IP", "SIGNED IN", "EXPIRES", "BYTES");
  for (const auto& c : clients->get_array()) {
    if (!c.is_object()) continue;
    const auto& o = c.get_object();
    auto field = [&](const char* k) -> const json::value& {
      static const json::value kNull;
      const json::value* v = o.if_contains(k);
      return v ? *v : kNull;
    };
    std::printf("%-17s  %-39s  %-19s  %-19s  %s\n", text_of(field("mac")).c_str(), text_of(field("ip")).c_str(),
                format_time(field("signed_in_at")).c_str(), format_time(field("expires_at")).c_str(),
                number_of(field("bytes")).c_str());
  }
  return 0;
}

int stats(const std::string& socket_path, bool as_json) {
  std::string reply;
  if (!exchange(socket_path, captive::control::make_stats_request(), reply)) return fail(reply);
  json::value holder;
  const json::object* object = checked(reply, holder);
  if (!object) return 1;
  const json::value* values = object->if_contains("stats");
  if (!values || !values->is_object()) return fail("answer has no counters");
  if (as_json) {
    std::printf("%s\n", json::serialize(*values).c_str());
    return 0;
  }
  for (const auto& [name, value] : values->get_object())
    std::printf("%-32s %s\n", std::string(name).c_str(), number_of(value).c_str());
  return 0;
}

int revoke(const std::string& socket_path, const std::string& mac_text) {
  auto mac = captive::packet::MacAddr::parse(mac_text);
  if (!mac) return fail("not a MAC address: " + mac_text + " (expected like 02:00:00:00:00:01)", 2);
  std::string reply;
  if (!exchange(socket_path, captive::control::make_revoke_request(mac->to_string()), reply)) return fail(reply);
  json::value holder;
  if (!checked(reply, holder)) return 1;
  std::printf("revoked %s\n", mac->to_string().c_str());
  return 0;
}

// Exit codes of doctor: 0 answered, 1 captived said no, 2 usage, 3 captived
// unreachable.
int doctor(const std::string& socket_path, const std::string& mac_text, bool as_json) {
  auto mac = captive::packet::MacAddr::parse(mac_text);
  if (!mac) return fail("not a MAC address: " + mac_text + " (expected like 02:00:00:00:00:01)", 2);
  std::string reply;
  if (!exchange(socket_path, captive::control::make_doctor_request(mac->to_string()), reply)) return fail(reply, 3);
  json::value holder;
  const json::object* object = checked(reply, holder);
  if (!object) return 1;
  if (as_json) {
    std::printf("%s\n", json::serialize(*object).c_str());
    return 0;
  }
  auto field = [](const json::object& o, const char* k) -> const json::value& {
    static const json::value kNull;
    const json::value* v = o.if_contains(k);
    return v ? *v : kNull;
  };
  auto yes = [](const json::value& v) { return v.is_bool() && v.get_bool() ? "yes" : "no"; };
  std::printf("%s\n", mac->to_string().c_str());
  const json::value& entries = field(*object, "entries");
  if (entries.is_array() && !entries.get_array().empty()) {
    std::printf("  %-19s  %-11s  %-14s  %s\n", "WHEN", "ANSWER", "PROBE", "HOST PATH");
    for (const auto& e : entries.get_array()) {
      if (!e.is_object()) continue;
      const auto& o = e.get_object();
      std::printf("  %-19s  %-11s  %-14s  %s %s\n", format_time(field(o, "at")).c_str(),
                  text_of(field(o, "event")).c_str(), text_of(field(o, "probe")).c_str(),
                  text_of(field(o, "host")).c_str(), text_of(field(o, "path")).c_str());
    }
  }
  std::printf("opened the sign-in page: %s; signed in now: %s\n", yes(field(*object, "opened_portal")),
              yes(field(*object, "signed_in")));
  std::printf("verdict: %s\n", text_of(field(*object, "verdict")).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  static const option kOptions[] = {
      {"socket", required_argument, nullptr, 's'},
      {"json", no_argument, nullptr, 'j'},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  std::string socket_path = kDefaultSocket;
  bool as_json = false;
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, ":h", kOptions, nullptr)) != -1) {
    switch (opt) {
      case 's': socket_path = optarg; break;
      case 'j': as_json = true; break;
      case 'h': print_usage(stdout); return 0;
      case ':': return fail(std::string(argv[optind - 1]) + " needs a value", 2);
      default: print_usage(stderr); return fail(std::string("unknown option: ") + argv[optind - 1], 2);
    }
  }
  std::vector<std::string> args(argv + optind, argv + argc);
  if (args.empty()) {
    print_usage(stderr);
    return 2;
  }
  const std::string& command = args[0];
  if (command == "list" && args.size() == 1) return list(socket_path, as_json);
  if (command == "revoke" && args.size() == 2) return revoke(socket_path, args[1]);
  if (command == "stats" && args.size() == 1) return stats(socket_path, as_json);
  if (command == "doctor" && args.size() == 2) return doctor(socket_path, args[1], as_json);
  if (command == "doctor") {
    print_usage(stderr);
    return fail("usage: captivectl doctor MAC [--json]", 2);
  }
  if (command == "list" || command == "revoke" || command == "stats") {
    print_usage(stderr);
    return fail("wrong arguments for " + command, 2);
  }
  print_usage(stderr);
  return fail("unknown command: " + command, 2);
}
