// captive-probe [URL]: is this network open, behind a captive portal, or
// without Internet? The client side of the 511, for scripts, kiosks and IoT
// devices on someone else's network (docs/captive-probe.md).
//
// It asks one probe URL (and first the RFC 8908 API if --api is given),
// never follows a redirect (the Location is reported, not fetched: RFC 6585
// §6 and the portal's own advice), and keeps nothing between runs: a 511 or
// a portal's answer is never cached.
#include <openssl/ssl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include "captive/probe/classify.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using captive::probe::Answer;
using captive::probe::Evidence;
using captive::probe::State;
using captive::probe::Verdict;

namespace {

constexpr int kExitOpen = 0, kExitUsage = 2, kExitCaptive = 10, kExitOffline = 20;
// Android's and Chrome's own probe: 204 with an empty body when open.
constexpr const char* kDefaultUrl = "http://connectivitycheck.gstatic.com/generate_204";
// A portal page is small; a probe answer bigger than this is not a probe's.
constexpr std::size_t kBodyLimit = 256 * 1024;

void usage(FILE* out) {
  std::fprintf(out,
               "usage: captive-probe [options] [URL]\n"
               "Checks whether this network reaches the Internet or holds us at a captive portal.\n"
               "  URL                 probe URL (default %s)\n"
               "  --expect-status N   the status URL answers when open (default 204)\n"
               "  --expect-body TEXT  and exactly this body (e.g. \"success\\n\" style probes)\n"
               "  --api URL           ask the RFC 8908 API first (DHCP option 114 / RA option 37)\n"
               "  --cacert FILE       trust these CAs for https (default: the system store)\n"
               "  --timeout SECS      per request; with --wait, the whole wait (default 10; 300 with --wait)\n"
               "  --wait              retry with backoff until the network is open or --timeout passes\n"
               "  --json              one JSON object on stdout\n"
               "exit: 0 open, 10 captive (sign-in URL printed), 20 offline, 2 usage\n",
               kDefaultUrl);
}

struct Url {
  bool tls = false;
  std::string host;  // without brackets, for connect and SNI
  std::string host_header;
  std::string port;
  std::string target;
};

std::optional<Url> parse_url(const std::string& text) {
  Url url;
  std::string_view rest = text;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
    url.port = "80";
  } else if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
    url.tls = true;
    url.port = "443";
  } else {
    return std::nullopt;
  }
  const std::size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view target = slash == std::string_view::npos ? "/" : rest.substr(slash);
  target = target.substr(0, target.find('#'));
  url.target = target.empty() || target.front() != '/' ? "/" + std::string(target) : std::string(target);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  url.host_header = std::string(authority);
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    url.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      url.port = std::string(authority.substr(close + 2));
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) url.port = std::string(authority.substr(colon + 1));
  }
  if (url.host.empty() || url.port.empty() ||
      !std::all_of(url.port.begin(), url.port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return url;
}

struct Fetched {
  std::optional<Answer> answer;
  std::string error;  // why there is no answer
};

template <typename Stream>
asio::awaitable<Answer> exchange(Stream& stream, const Url& url, const char* accept) {
  http::request<http::empty_body> request{http::verb::get, url.target, 11};
  request.set(http::field::host, url.host_header);
  request.set(http::field::user_agent, "captive-probe/0.1");
  request.set(http::field::accept, accept);
  // No cache between us and the server may answer for it (RFC 9111 §5.2.1.4).
  request.set(http::field::cache_control, "no-cache");
  request.set(http::field::connection, "close");
  co_await http::async_write(stream, request, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  parser.header_limit(16 * 1024);
  co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
  const auto& response = parser.get();
  Answer answer;
  answer.status = static_cast<int>(response.result_int());
  if (auto it = response.find(http::field::location); it != response.end()) answer.location = std::string(it->value());
  if (auto it = response.find(http::field::content_type); it != response.end())
    answer.content_type = std::string(it->value());
  answer.body = response.body();
  co_return answer;
}

asio::awaitable<Answer> fetch_async(Url url, ssl::context* tls, const char* accept) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(url.host, url.port, asio::use_awaitable);
  if (!url.tls) {
    beast::tcp_stream stream(executor);
    co_await stream.async_connect(endpoints, asio::use_awaitable);
    co_return co_await exchange(stream, url, accept);
  }
  beast::ssl_stream<beast::tcp_stream> stream(executor, *tls);
  // SNI, and the certificate must name the host (RFC 6125), not only chain
  // to a trusted CA.
  if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()))
    throw std::runtime_error("cannot set TLS server name");
  stream.set_verify_callback(ssl::host_name_verification(url.host));
  co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::use_awaitable);
  co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
  co_return co_await exchange(stream, url, accept);
}

Fetched fetch(const Url& url, ssl::context* tls, const char* accept, std::chrono::milliseconds timeout) {
  asio::io_context io;
  Fetched fetched;
  bool done = false;
  asio::co_spawn(io, fetch_async(url, tls, accept), [&](std::exception_ptr error, Answer answer) {
    done = true;
    if (!error) {
      fetched.answer = std::move(answer);
      return;
    }
    try {
      std::rethrow_exception(error);
    } catch (const boost::system::system_error& e) {
      fetched.error = e.code().message();
    } catch (const std::exception& e) {
      fetched.error = e.what();
    }
  });
  io.run_for(timeout);
  if (!done) fetched.error = "no answer in " + std::to_string(timeout.count()) + " ms";
  return fetched;
}

struct Options {
  std::string url = kDefaultUrl;
  captive::probe::Expectation expected;
  std::optional<std::string> api;
  std::optional<std::string> cacert;
  std::optional<double> timeout;
  bool wait = false;
  bool json = false;
};

struct Report {
  Verdict verdict;
  int status = 0;       // the HTTP status that decided, 0 if none
  std::string checked;  // the URL whose answer decided
  std::string detail;   // why offline
};

Report check_once(const Options& options, ssl::context& tls, std::chrono::milliseconds timeout) {
  Report report;
  if (options.api) {
    // RFC 8908 §4: the API is https; an http one (tests, odd networks) is
    // still asked, the operator having chosen it.
    auto url = parse_url(*options.api);
    Fetched fetched = fetch(*url, &tls, "application/captive+json", timeout);
    if (fetched.answer) {
      if (auto verdict = captive::probe::classify_api(*fetched.answer)) {
        report.verdict = *verdict;
        report.status = fetched.answer->status;
        report.checked = *options.api;
        // "captive": false is the API's word; it still might be wrong about
        // the Internet, but RFC 8908 §5 makes it the authority on the portal.
        return report;
      }
    }
    // No usable API answer: the probe URL decides.
  }
  auto url = parse_url(options.url);
  Fetched fetched = fetch(*url, &tls, "*/*", timeout);
  report.checked = options.url;
  if (!fetched.answer) {
    report.verdict = {State::offline, Evidence::no_answer, {}};
    report.detail = fetched.error;
    return report;
  }
  report.status = fetched.answer->status;
  report.verdict = captive::probe::classify_probe(*fetched.answer, options.expected, options.url);
  if (report.verdict.state == State::offline)
    report.detail = "unexpected status " + std::to_string(report.status);
  return report;
}

void print(const Report& report, bool json, int attempts) {
  if (json) {
    boost::json::object o;
    o["state"] = captive::probe::state_name(report.verdict.state);
    o["evidence"] = captive::probe::evidence_name(report.verdict.evidence);
    if (!report.verdict.portal_url.empty()) o["portal_url"] = report.verdict.portal_url;
    o["checked"] = report.checked;
    if (report.status) o["status"] = report.status;
    if (!report.detail.empty()) o["detail"] = report.detail;
    o["attempts"] = attempts;
    std::printf("%s\n", boost::json::serialize(o).c_str());
    return;
  }
  switch (report.verdict.state) {
    case State::open: std::printf("open\n"); break;
    case State::captive:
      if (report.verdict.portal_url.empty())
        std::printf("captive (%s from %s; no sign-in URL given)\n",
                    captive::probe::evidence_name(report.verdict.evidence), report.checked.c_str());
      else
        std::printf("captive: sign in at %s\n", report.verdict.portal_url.c_str());
      break;
    case State::offline: std::printf("offline: %s (%s)\n", report.detail.c_str(), report.checked.c_str()); break;
  }
}

int exit_code(State state) {
  switch (state) {
    case State::open: return kExitOpen;
    case State::captive: return kExitCaptive;
    case State::offline: return kExitOffline;
  }
  return kExitOffline;
}

std::optional<double> parse_seconds(const char* text) {
  char* end = nullptr;
  double v = std::strtod(text, &end);
  if (end == text || *end || !(v > 0) || v > 86400) return std::nullopt;
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  bool have_url = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "captive-probe: %s needs a value\n", argv[i]);
        std::exit(kExitUsage);
      }
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      usage(stdout);
      return 0;
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--wait") {
      options.wait = true;
    } else if (arg == "--api") {
      options.api = value();
    } else if (arg == "--cacert") {
      options.cacert = value();
    } else if (arg == "--expect-body") {
      options.expected.body = value();
    } else if (arg == "--expect-status") {
      const char* v = value();
      char* end = nullptr;
      long status = std::strtol(v, &end, 10);
      if (*end || status < 100 || status > 599) {
        std::fprintf(stderr, "captive-probe: bad --expect-status %s\n", v);
        return kExitUsage;
      }
      options.expected.status = static_cast<int>(status);
    } else if (arg == "--timeout") {
      const char* v = value();
      options.timeout = parse_seconds(v);
      if (!options.timeout) {
        std::fprintf(stderr, "captive-probe: bad --timeout %s (seconds, > 0)\n", v);
        return kExitUsage;
      }
    } else if (arg.starts_with("-")) {
      std::fprintf(stderr, "captive-probe: unknown option %s\n", argv[i]);
      usage(stderr);
      return kExitUsage;
    } else if (!have_url) {
      options.url = argv[i];
      have_url = true;
    } else {
      usage(stderr);
      return kExitUsage;
    }
  }
  if (!parse_url(options.url)) {
    std::fprintf(stderr, "captive-probe: not an http(s) URL: %s\n", options.url.c_str());
    return kExitUsage;
  }
  if (options.api && !parse_url(*options.api)) {
    std::fprintf(stderr, "captive-probe: --api is not an http(s) URL: %s\n", options.api->c_str());
    return kExitUsage;
  }

  ssl::context tls(ssl::context::tls_client);
  tls.set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (options.cacert)
    tls.load_verify_file(*options.cacert, ec);
  else
    tls.set_default_verify_paths(ec);
  if (ec) {
    std::fprintf(stderr, "captive-probe: CA certificates %s: %s\n",
                 options.cacert ? options.cacert->c_str() : "(system store)", ec.message().c_str());
    return kExitUsage;
  }

  using namespace std::chrono;
  const auto total = duration_cast<milliseconds>(duration<double>(options.timeout.value_or(options.wait ? 300 : 10)));
  const auto per_request = std::min(total, milliseconds(10000));
  const auto deadline = steady_clock::now() + total;
  int attempts = 0;
  Report report;
  // Backoff 1, 2, 4 ... 30 s: a device that waits for its user to sign in
  // polls gently, and the whole wait is bounded by --timeout.
  milliseconds delay(1000);
  for (;;) {
    const auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
    report = check_once(options, tls, std::max(milliseconds(1), std::min(per_request, left)));
    ++attempts;
    if (!options.wait || report.verdict.state == State::open) break;
    const auto now_left = duration_cast<milliseconds>(deadline - steady_clock::now());
    if (now_left <= milliseconds(0)) break;
    if (!options.json) {
      std::fprintf(stderr, "captive-probe: %s; again in %.1f s\n", captive::probe::state_name(report.verdict.state),
                   std::min(delay, now_left).count() / 1000.0);
    }
    std::this_thread::sleep_for(std::min(delay, now_left));
    delay = std::min(delay * 2, milliseconds(30000));
  }
  print(report, options.json, attempts);
  return exit_code(report.verdict.state);
}
