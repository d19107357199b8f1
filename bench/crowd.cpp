// The crowd at the door (scripts/bench, docs/performance.md): N clients,
// each on its own macvlan (its own MAC and address) in one client namespace,
// start within a window and sign in as a phone would:
//
//   captive:  GET http://PROBE/ (intercepted: 511) -> GET portal / (form and
//             token) -> POST /login (token, voucher code) -> online
//   opennds:  GET http://PROBE/ (307 Location) -> GET Location&continue=clicked
//             (the click-through page) -> GET Location&landing=yes (authenticates)
//             -> online
//
// "Online" is the first UDP datagram of the client that reaches a sink
// socket this program opens in the upstream namespace (setns): after the
// last HTTP answer the client sends one datagram every --probe-ms until the
// sink has seen one, and the sink's kernel receive timestamp ends the
// client's time-to-online (measured from the start of its first connect).
//
// One thread, epoll, non-blocking sockets, each bound to its client's
// address and macvlan (SO_BINDTODEVICE). Its own CPU time is reported, so
// that a run shows whether the driver could have been the bottleneck.
//
//   crowd --clients FILE (lines "ifname address") --mode captive|opennds
//         --probe-ip IP --portal-ip IP --portal-port P --sink-netns PATH
//         --sink-ip IP --sink-port P [--codes FILE] [--window-ms W]
//         [--timeout-s S] [--probe-ms M]
//
// Prints one JSON object. Only ever run inside namespaces made by scripts/bench.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

std::int64_t now_ns() {  // CLOCK_REALTIME: comparable with SO_TIMESTAMPNS
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "crowd: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

struct Addr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = 0;
};

Addr make_addr(const std::string& ip, int port) {
  Addr a;
  if (ip.find(':') != std::string::npos) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    if (inet_pton(AF_INET6, ip.c_str(), &s6->sin6_addr) != 1) die("bad address " + ip);
    a.len = sizeof(sockaddr_in6);
    a.family = AF_INET6;
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&a.ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    if (inet_pton(AF_INET, ip.c_str(), &s4->sin_addr) != 1) die("bad address " + ip);
    a.len = sizeof(sockaddr_in);
    a.family = AF_INET;
  }
  return a;
}

std::string host_of(const std::string& ip, int port) {
  std::string h = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
  if (port != 80) h += ":" + std::to_string(port);
  return h;
}

enum class Stage { waiting, probe, page, post, online, done, failed };
const char* stage_name(Stage s) {
  switch (s) {
    case Stage::waiting: return "waiting";
    case Stage::probe: return "probe";
    case Stage::page: return "page";
    case Stage::post: return "post";
    case Stage::online: return "online";
    case Stage::done: return "done";
    case Stage::failed: return "failed";
  }
  return "?";
}

struct Client {
  std::string ifname;
  Addr local;
  std::string code;
  Stage stage = Stage::waiting;
  int fd = -1;
  int udp = -1;
  std::string out;  // request still to send
  std::size_t sent = 0;
  std::string in;   // response so far (Connection: close: read to EOF)
  std::string location;  // openNDS: the 307's Location
  std::string token;     // captive: the form's token
  std::int64_t due = 0;  // scheduled start
  std::int64_t t_start = 0, t_probe = 0, t_page = 0, t_post_sent = 0, t_post = 0, t_online = 0;
  std::int64_t next_udp = 0;
  int udp_sent = 0;
  bool typo = false;  // posts a wrong code first
  bool mistyped = false;  // did
  std::string fail_reason;
};

struct Options {
  std::string clients, mode = "captive", probe_ip, portal_ip, sink_netns, sink_ip, codes;
  int portal_port = 8511, sink_port = 9998, window_ms = 1000, timeout_s = 30, probe_ms = 2;
  int typo_every = 0;  // captive: every Kth client first posts a mistyped code, then the right one 1 s later
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--clients") o.clients = v;
    else if (k == "--mode") o.mode = v;
    else if (k == "--probe-ip") o.probe_ip = v;
    else if (k == "--portal-ip") o.portal_ip = v;
    else if (k == "--portal-port") o.portal_port = std::stoi(v);
    else if (k == "--sink-netns") o.sink_netns = v;
    else if (k == "--sink-ip") o.sink_ip = v;
    else if (k == "--sink-port") o.sink_port = std::stoi(v);
    else if (k == "--codes") o.codes = v;
    else if (k == "--window-ms") o.window_ms = std::stoi(v);
    else if (k == "--timeout-s") o.timeout_s = std::stoi(v);
    else if (k == "--probe-ms") o.probe_ms = std::stoi(v);
    else if (k == "--typo-every") o.typo_every = std::stoi(v);
    else {
      std::fprintf(stderr, "crowd: unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  if (o.clients.empty() || o.probe_ip.empty() || o.portal_ip.empty() || o.sink_netns.empty() || o.sink_ip.empty()) {
    std::fprintf(stderr, "crowd: needs --clients --probe-ip --portal-ip --sink-netns --sink-ip\n");
    std::exit(2);
  }
  if (o.mode == "captive" && o.codes.empty()) {
    std::fprintf(stderr, "crowd: captive mode needs --codes\n");
    std::exit(2);
  }
  return o;
}

// The sink: a UDP socket in the upstream namespace, made there with setns
// and then used from here (a socket keeps the namespace it was made in).
int open_sink(const Options& o) {
  int here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int there = open(o.sink_netns.c_str(), O_RDONLY | O_CLOEXEC);
  if (here < 0 || there < 0) die("open netns");
  if (setns(there, CLONE_NEWNET) != 0) die("setns to the sink namespace");
  Addr a = make_addr(o.sink_ip, o.sink_port);
  int s = socket(a.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) die("sink socket");
  int one = 1, big = 4 << 20;
  setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  if (bind(s, reinterpret_cast<sockaddr*>(&a.ss), a.len) != 0) die("sink bind " + o.sink_ip);
  if (setns(here, CLONE_NEWNET) != 0) die("setns back");
  close(here);
  close(there);
  return s;
}

struct Stats {
  std::vector<double> xs;
  void add(double v) { xs.push_back(v); }
  std::string json() {
    if (xs.empty()) return "{\"n\": 0, \"p50\": null, \"p99\": null, \"max\": null}";
    std::sort(xs.begin(), xs.end());
    auto pct = [&](double q) {  // nearest rank, as bench/probe.py
      std::size_t k = std::size_t(std::max(1.0, std::ceil(q / 100.0 * double(xs.size())))) - 1;
      return xs[std::min(k, xs.size() - 1)];
    };
    char b[200];
    std::snprintf(b, sizeof b, "{\"n\": %zu, \"min\": %.3f, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"max\": %.3f}",
                  xs.size(), xs.front(), pct(50), pct(90), pct(99), xs.back());
    return b;
  }
};

int status_of(const std::string& r) {
  if (r.compare(0, 5, "HTTP/") != 0) return 0;
  auto sp = r.find(' ');
  return sp == std::string::npos ? 0 : std::atoi(r.c_str() + sp + 1);
}

std::string header(const std::string& r, const std::string& name) {  // name lower-case, with ':'
  auto end = r.find("\r\n\r\n");
  std::string head = r.substr(0, end);
  std::string lower = head;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  auto p = lower.find("\r\n" + name);
  if (p == std::string::npos) return {};
  p += 2 + name.size();
  auto e = head.find("\r\n", p);
  std::string v = head.substr(p, e - p);
  while (!v.empty() && v.front() == ' ') v.erase(v.begin());
  return v;
}

class Crowd {
 public:
  explicit Crowd(Options o) : o_(std::move(o)) {
    probe_ = make_addr(o_.probe_ip, 80);
    portal_ = make_addr(o_.portal_ip, o_.portal_port);
    sink_addr_ = make_addr(o_.sink_ip, o_.sink_port);
    std::ifstream f(o_.clients);
    std::string ifname, ip;
    while (f >> ifname >> ip) {
      Client c;
      c.ifname = ifname;
      c.local = make_addr(ip, 0);
      clients_.push_back(std::move(c));
    }
    if (clients_.empty()) die("no clients in " + o_.clients);
    if (o_.mode == "captive") {
      std::ifstream cf(o_.codes);
      std::string code;
      std::size_t i = 0;
      while (cf >> code && i < clients_.size()) {
        clients_[i].typo = o_.typo_every > 0 && i % std::size_t(o_.typo_every) == std::size_t(o_.typo_every) - 1;
        clients_[i++].code = code;
      }
      if (i < clients_.size()) {
        errno = 0;
        die("fewer codes than clients in " + o_.codes);
      }
    }
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    sink_ = open_sink(o_);
    add(sink_, EPOLLIN, kSinkTag);
    // One UDP socket per client, made now: its first datagram should not
    // wait for a socket() call.
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      Client& c = clients_[i];
      c.udp = bound_socket(c, SOCK_DGRAM);
    }
  }

  int run() {
    rusage r0{};
    getrusage(RUSAGE_SELF, &r0);
    const std::int64_t start = now_ns() + 20'000'000;
    const std::size_t n = clients_.size();
    for (std::size_t i = 0; i < n; ++i)
      clients_[i].due = start + (n > 1 ? std::int64_t(o_.window_ms) * 1'000'000 * std::int64_t(i) / std::int64_t(n - 1) : 0);
    const std::int64_t deadline = start + std::int64_t(o_.window_ms) * 1'000'000 + std::int64_t(o_.timeout_s) * 1'000'000'000;
    std::size_t next_start = 0;
    epoll_event evs[256];
    while (finished_ < n) {
      std::int64_t t = now_ns();
      if (t > deadline) break;
      while (next_start < n && clients_[next_start].due <= t) begin(clients_[next_start++]);
      for (std::size_t r = 0; r < retries_.size();) {
        if (retries_[r].first > t) {
          ++r;
          continue;
        }
        post(clients_[retries_[r].second], clients_[retries_[r].second].code);
        retries_[r] = retries_.back();
        retries_.pop_back();
      }
      udp_round(t);
      if (finished_ == n) break;
      std::int64_t wake = deadline;
      if (next_start < n) wake = std::min(wake, clients_[next_start].due);
      for (auto& r : retries_) wake = std::min(wake, r.first);
      if (online_waiting_ > 0) wake = std::min(wake, t + std::int64_t(o_.probe_ms) * 1'000'000);
      int timeout_ms = int(std::max<std::int64_t>(0, (wake - now_ns() + 999'999) / 1'000'000));
      int k = epoll_wait(ep_, evs, 256, timeout_ms);
      if (k < 0 && errno != EINTR) die("epoll_wait");
      for (int j = 0; j < k; ++j) {
        if (evs[j].data.u64 == kSinkTag) {
          drain_sink();
          continue;
        }
        Client& c = clients_[evs[j].data.u64];
        if (c.fd >= 0) on_tcp(c, evs[j].events);
      }
    }
    rusage r1{};
    getrusage(RUSAGE_SELF, &r1);
    auto secs = [](const timeval& a, const timeval& b) { return double(b.tv_sec - a.tv_sec) + double(b.tv_usec - a.tv_usec) / 1e6; };
    double cpu = secs(r0.ru_utime, r1.ru_utime) + secs(r0.ru_stime, r1.ru_stime);
    report(start, cpu);
    return 0;
  }

 private:
  static constexpr std::uint64_t kSinkTag = ~std::uint64_t{0};

  void add(int fd, std::uint32_t events, std::uint64_t tag) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl add");
  }

  int bound_socket(Client& c, int type) {
    int s = socket(c.local.family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) die("socket (raise ulimit -n?)");
    if (setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, c.ifname.c_str(), socklen_t(c.ifname.size())) != 0)
      die("SO_BINDTODEVICE " + c.ifname);
    if (bind(s, reinterpret_cast<sockaddr*>(&c.local.ss), c.local.len) != 0) die("bind on " + c.ifname);
    return s;
  }

  void fail(Client& c, const std::string& why) {
    if (c.fd >= 0) close(c.fd);
    c.fd = -1;
    c.fail_reason = std::string(stage_name(c.stage)) + ": " + why;
    ++failures_[c.fail_reason.substr(0, 60)];
    if (c.stage == Stage::online) --online_waiting_;
    c.stage = Stage::failed;
    ++finished_;
  }

  void connect_to(Client& c, const Addr& to, std::string request) {
    c.fd = bound_socket(c, SOCK_STREAM);
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.out = std::move(request);
    c.sent = 0;
    c.in.clear();
    int rc = connect(c.fd, reinterpret_cast<const sockaddr*>(&to.ss), to.len);
    if (rc != 0 && errno != EINPROGRESS) return fail(c, std::string("connect: ") + std::strerror(errno));
    add(c.fd, EPOLLOUT | EPOLLIN | EPOLLRDHUP, std::uint64_t(&c - clients_.data()));
  }

  void begin(Client& c) {
    c.stage = Stage::probe;
    c.t_start = now_ns();
    start_lag_.add(double(c.t_start - c.due) / 1e6);
    connect_to(c, probe_,
               "GET / HTTP/1.1\r\nHost: " + host_of(o_.probe_ip, 80) +
                   "\r\nUser-Agent: crowd\r\nAccept: */*\r\nConnection: close\r\n\r\n");
  }

  std::string portal_get(const std::string& target) {
    return "GET " + target + " HTTP/1.1\r\nHost: " + host_of(o_.portal_ip, o_.portal_port) +
           "\r\nUser-Agent: crowd\r\nAccept: text/html\r\nConnection: close\r\n\r\n";
  }

  void on_tcp(Client& c, std::uint32_t events) {
    if (c.sent < c.out.size() && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
      ssize_t w = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN || errno == EINPROGRESS) return;
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &l);
        return fail(c, std::string("send: ") + std::strerror(err ? err : errno));
      }
      c.sent += std::size_t(w);
      if (c.sent == c.out.size()) {
        if (c.stage == Stage::post) c.t_post_sent = now_ns();
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.u64 = std::uint64_t(&c - clients_.data());
        epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
      }
    }
    if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
    char buf[16384];
    for (;;) {
      ssize_t r = recv(c.fd, buf, sizeof buf, 0);
      if (r > 0) {
        if (c.in.size() < (1 << 20)) c.in.append(buf, std::size_t(r));
        continue;
      }
      if (r < 0 && errno == EAGAIN) return;
      if (r < 0) return fail(c, std::string("recv: ") + std::strerror(errno));
      break;  // EOF: the whole response (Connection: close)
    }
    close(c.fd);
    c.fd = -1;
    answered(c);
  }

  void answered(Client& c) {
    const int status = status_of(c.in);
    ++statuses_[std::string(stage_name(c.stage)) + "_" + std::to_string(status)];
    const std::int64_t t = now_ns();
    if (c.stage == Stage::probe) {
      c.t_probe = t;
      if (o_.mode == "captive") {
        if (status != 511) return fail(c, "status " + std::to_string(status));
        c.stage = Stage::page;
        return connect_to(c, portal_, portal_get("/"));
      }
      if (status / 100 != 3) return fail(c, "status " + std::to_string(status));
      c.location = header(c.in, "location:");
      // http://HOST:PORT/path?query -> /path?query on the portal
      auto p = c.location.find("://");
      p = p == std::string::npos ? std::string::npos : c.location.find('/', p + 3);
      if (p == std::string::npos) return fail(c, "no Location");
      c.location = c.location.substr(p);
      c.stage = Stage::page;
      return connect_to(c, portal_, portal_get(c.location + "&continue=clicked"));
    }
    if (c.stage == Stage::page) {
      c.t_page = t;
      if (status != 200) return fail(c, "status " + std::to_string(status));
      c.stage = Stage::post;
      if (o_.mode == "captive") {
        auto p = c.in.find("name=\"token\" value=\"");
        if (p == std::string::npos) return fail(c, "no token in the page");
        p += 20;
        c.token = c.in.substr(p, c.in.find('"', p) - p);
        // A mistyped code: the last symbol changed to another of the alphabet.
        std::string code = c.code;
        if (c.typo) code.back() = code.back() == 'A' ? 'C' : 'A';
        return post(c, code);
      }
      return connect_to(c, portal_, portal_get(c.location + "&landing=yes"));
    }
    if (c.stage == Stage::post) {
      if (c.typo) {
        c.typo = false;
        c.mistyped = true;
        ++typos_;
        if (status != 403) return fail(c, "mistyped code: status " + std::to_string(status));
        // The person types it again: a second later, past the per-MAC delay (0.5 s).
        retries_.emplace_back(t + 1'000'000'000, std::size_t(&c - clients_.data()));
        return;
      }
      c.t_post = t;
      if (status != 200 && status != 303 && status != 302) return fail(c, "status " + std::to_string(status));
      if (o_.mode == "opennds" && c.in.find("logged in") == std::string::npos)
        return fail(c, "landing page without \"logged in\"");
      c.stage = Stage::online;
      ++online_waiting_;
      c.next_udp = t;
      send_udp(c, t);
    }
  }

  void post(Client& c, const std::string& code) {
    std::string body = "token=" + c.token + "&url=&method=voucher&code=" + code;
    connect_to(c, portal_,
               "POST /login HTTP/1.1\r\nHost: " + host_of(o_.portal_ip, o_.portal_port) +
                   "\r\nUser-Agent: crowd\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                   "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  }

  void send_udp(Client& c, std::int64_t t) {
    std::uint32_t idx = std::uint32_t(&c - clients_.data());
    // Errors (ICMP unreachable while the gateway still rejects) are expected: try again later.
    if (sendto(c.udp, &idx, sizeof idx, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&sink_addr_.ss),
               sink_addr_.len) < 0)
      ++udp_errors_[std::strerror(errno)];
    ++c.udp_sent;
    ++udp_total_;
    c.next_udp = t + std::int64_t(o_.probe_ms) * 1'000'000;
  }

  void udp_round(std::int64_t t) {
    if (online_waiting_ == 0) return;
    drain_sink();
    for (Client& c : clients_) {
      if (c.stage != Stage::online || c.next_udp > t) continue;
      send_udp(c, t);
    }
  }

  void drain_sink() {
    for (;;) {
      std::uint32_t idx = 0;
      char cbuf[256];
      iovec iov{&idx, sizeof idx};
      msghdr m{};
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      m.msg_control = cbuf;
      m.msg_controllen = sizeof cbuf;
      ssize_t r = recvmsg(sink_, &m, MSG_DONTWAIT);
      if (r < 0) return;
      if (r != sizeof idx || idx >= clients_.size()) continue;
      std::int64_t ts = now_ns();
      for (cmsghdr* h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SO_TIMESTAMPNS) {
          timespec k{};
          std::memcpy(&k, CMSG_DATA(h), sizeof k);
          ts = std::int64_t(k.tv_sec) * 1000000000 + k.tv_nsec;
        }
      }
      Client& c = clients_[idx];
      if (c.stage != Stage::online) continue;
      c.t_online = ts;
      c.stage = Stage::done;
      --online_waiting_;
      ++finished_;
    }
  }

  void report(std::int64_t start, double cpu) {
    Stats online, probe, page, post, fwd, online_right;
    std::int64_t first_post = 0, last_post = 0, last_online = 0;
    std::size_t ok = 0, posted = 0;
    for (auto& c : clients_) {
      if (c.t_post) {
        ++posted;
        if (!first_post || c.t_post_sent < first_post) first_post = c.t_post_sent;
        last_post = std::max(last_post, c.t_post);
      }
      if (c.stage != Stage::done) {
        if (c.stage != Stage::failed) ++failures_[std::string("timeout in ") + stage_name(c.stage)];
        continue;
      }
      ++ok;
      last_online = std::max(last_online, c.t_online);
      online.add(double(c.t_online - c.t_start) / 1e6);
      if (!c.mistyped) online_right.add(double(c.t_online - c.t_start) / 1e6);
      probe.add(double(c.t_probe - c.t_start) / 1e6);
      page.add(double(c.t_page - c.t_probe) / 1e6);
      post.add(double(c.t_post - c.t_page) / 1e6);
      fwd.add(double(c.t_online - c.t_post) / 1e6);
    }
    const double span = last_online > start ? double(last_online - start) / 1e9 : 0;
    const double post_span = last_post > first_post ? double(last_post - first_post) / 1e9 : 0;
    std::string fails = "{", sts = "{";
    for (auto& [k, v] : failures_) fails += (fails.size() > 1 ? ", \"" : "\"") + k + "\": " + std::to_string(v);
    for (auto& [k, v] : statuses_) sts += (sts.size() > 1 ? ", \"" : "\"") + k + "\": " + std::to_string(v);
    std::string uerr = "{";
    for (auto& [k, v] : udp_errors_) uerr += (uerr.size() > 1 ? ", \"" : "\"") + k + "\": " + std::to_string(v);
    uerr += "}";
    fails += "}";
    sts += "}";
    std::printf(
        "{\"mode\": \"%s\", \"clients\": %zu, \"online\": %zu, \"window_ms\": %d, \"span_s\": %.3f,\n"
        " \"sign_ins_per_s\": %.1f, \"sign_ins_per_s_posting\": %.1f,\n"
        " \"time_to_online_ms\": %s,\n \"time_to_online_right_first_ms\": %s,\n \"probe_ms\": %s,\n \"page_ms\": %s,\n \"post_ms\": %s,\n"
        " \"post_to_forward_ms\": %s,\n \"start_lag_ms\": %s,\n"
        " \"mistyped_first\": %zu, \"udp_probes\": %zu, \"udp_send_errors\": %s, \"statuses\": %s, \"failures\": %s,\n"
        " \"driver_cpu_s\": %.3f, \"driver_cpu_pct\": %.1f, \"driver_cpu_us_per_client\": %.1f}\n",
        o_.mode.c_str(), clients_.size(), ok, o_.window_ms, span, span > 0 ? double(ok) / span : 0.0,
        post_span > 0 ? double(posted) / post_span : 0.0, online.json().c_str(), online_right.json().c_str(), probe.json().c_str(),
        page.json().c_str(), post.json().c_str(), fwd.json().c_str(), start_lag_.json().c_str(), typos_, udp_total_, uerr.c_str(),
        sts.c_str(), fails.c_str(), cpu, span > 0 ? cpu / span * 100 : 0.0, cpu * 1e6 / double(clients_.size()));
  }

  Options o_;
  Addr probe_, portal_, sink_addr_;
  std::vector<Client> clients_;
  int ep_ = -1, sink_ = -1;
  std::size_t finished_ = 0, online_waiting_ = 0, udp_total_ = 0, typos_ = 0;
  std::vector<std::pair<std::int64_t, std::size_t>> retries_;
  std::map<std::string, int> failures_, statuses_, udp_errors_;
  Stats start_lag_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  rlimit nofile{65536, 65536};
  setrlimit(RLIMIT_NOFILE, &nofile);
  Crowd crowd(std::move(o));
  return crowd.run();
}
