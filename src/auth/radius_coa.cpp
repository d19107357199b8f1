#include "captive/auth/radius_coa.hpp"

#include <boost/asio/ip/v6_only.hpp>

#include "captive/util/log.hpp"

namespace captive::auth {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

packet::IpAddr ip_of(const asio::ip::address& a) {
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    return packet::IpAddr::v4(b.data());
  }
  const auto b = a.to_v6().to_bytes();
  return packet::IpAddr::v6(b.data()).unmapped();
}

// A Disconnect or CoA over several sessions: the answer once all are done.
struct Outcome {
  std::size_t left = 0;
  std::size_t ok = 0;
  std::size_t gone = 0;  // ENOENT: ended meanwhile
  std::size_t failed = 0;
};

}  // namespace

std::vector<packet::MacAddr> matching_sessions(const radius::SessionSelector& who,
                                               const std::vector<session::Client>& sessions) {
  std::vector<packet::MacAddr> out;
  if (who.empty()) return out;
  for (const auto& c : sessions) {
    if (who.acct_session_id && c.acct_session_id != *who.acct_session_id) continue;
    if (who.calling_station_id && c.mac != *who.calling_station_id) continue;
    if (who.user_name && c.user != *who.user_name) continue;
    if (who.framed_ip && (!c.ip || c.ip->unmapped() != *who.framed_ip)) continue;
    out.push_back(c.mac);
  }
  return out;
}

CoaListener::CoaListener(asio::io_context& io, CoaListenerSettings settings, SessionControl control,
                         std::function<std::int64_t()> wall)
    : io_(io),
      settings_(std::move(settings)),
      control_(std::move(control)),
      wall_(wall ? std::move(wall)
                 : std::function<std::int64_t()>([] {
                     return std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                         .count();
                   })),
      socket_(io) {}

CoaListener::~CoaListener() { *alive_ = false; }

Result<void> CoaListener::open() {
  boost::system::error_code ec;
  socket_.open(udp::v6(), ec);
  if (!ec) socket_.set_option(asio::ip::v6_only(false), ec);
  if (!ec) socket_.bind(udp::endpoint(udp::v6(), settings_.port), ec);
  if (ec) {
    // A kernel or namespace without IPv6.
    boost::system::error_code ec4;
    if (socket_.is_open()) socket_.close(ec4);
    socket_.open(udp::v4(), ec4);
    if (!ec4) socket_.bind(udp::endpoint(udp::v4(), settings_.port), ec4);
    if (ec4) return make_error(ec4.value(), "--coa-port " + std::to_string(settings_.port) + ": " + ec4.message());
  }
  receive();
  return {};
}

std::uint16_t CoaListener::port() const {
  boost::system::error_code ec;
  const auto local = socket_.local_endpoint(ec);
  return ec ? 0 : local.port();
}

void CoaListener::counters(Counters& out) const {
  out.emplace_back("radius.coa.disconnect_acked", stats_.disconnect_acked);
  out.emplace_back("radius.coa.disconnect_naked", stats_.disconnect_naked);
  out.emplace_back("radius.coa.coa_acked", stats_.coa_acked);
  out.emplace_back("radius.coa.coa_naked", stats_.coa_naked);
  out.emplace_back("radius.coa.duplicates", stats_.duplicates);
  for (std::size_t i = 0; i < radius::kCoaDropKinds; ++i)
    out.emplace_back("radius.coa.dropped_" + std::string(radius::to_string(static_cast<radius::CoaDrop>(i))),
                     stats_.dropped[i]);
}

void CoaListener::receive() {
  socket_.async_receive_from(asio::buffer(buffer_), from_,
                             [this, alive = alive_](boost::system::error_code ec, std::size_t n) {
                               if (!*alive || ec == asio::error::operation_aborted) return;
                               if (ec)
                                 LOG_WARN("coa: receive: %s", ec.message().c_str());
                               else
                                 on_datagram(n);
                               receive();
                             });
}

void CoaListener::drop(radius::CoaDrop why, const udp::endpoint& from) {
  const auto i = static_cast<std::size_t>(why);
  ++stats_.dropped[i];
  // One line per reason a minute: a flood from a stranger must not fill
  // the log (the counters have the totals).
  const auto now = std::chrono::steady_clock::now();
  if (now - last_logged_[i] < std::chrono::minutes(1) && last_logged_[i] != std::chrono::steady_clock::time_point{})
    return;
  last_logged_[i] = now;
  // The source as configured (a dual-stack socket shows IPv4 as ::ffff:).
  LOG_WARN("coa: dropped a request from %s port %u: %.*s (radius.coa.dropped_* counts them)",
           ip_of(from.address()).to_string().c_str(), from.port(), static_cast<int>(radius::to_string(why).size()),
           radius::to_string(why).data());
}

CoaListener::Taken* CoaListener::taken(const udp::endpoint& from, std::uint8_t identifier,
                                       const radius::Authenticator& authenticator) {
  for (auto& t : taken_)
    if (t.identifier == identifier && t.authenticator == authenticator && t.from == from) return &t;
  return nullptr;
}

void CoaListener::on_datagram(std::size_t size) {
  const udp::endpoint from = from_;
  const auto source = ip_of(from.address());
  bool known = false;
  for (const auto& s : settings_.servers) known = known || s.unmapped() == source;
  if (!known) return drop(radius::CoaDrop::unknown_source, from);
  auto parsed = radius::parse_coa_request(std::span<const std::byte>(buffer_.data(), size), settings_.secret, wall_());
  if (auto* why = std::get_if<radius::CoaDrop>(&parsed)) return drop(*why, from);
  const auto request = std::get<radius::CoaRequest>(std::move(parsed));
  // RFC 5080 §2.2.2: a retransmission (our answer was lost, or is slow)
  // gets the same answer; doing it again would NAK a Disconnect whose
  // session the first copy ended.
  const auto now = std::chrono::steady_clock::now();
  while (!taken_.empty() && (now - taken_.front().at > kCoaDuplicateWindow || taken_.size() > kCoaDuplicateEntries))
    taken_.pop_front();
  if (auto* seen = taken(from, request.identifier, request.authenticator)) {
    ++stats_.duplicates;
    boost::system::error_code ec;
    if (!seen->answer.empty()) socket_.send_to(asio::buffer(seen->answer), from, 0, ec);
    return;  // else the first copy's answer is on its way
  }
  taken_.push_back(Taken{from, request.identifier, request.authenticator, {}, now});
  const bool disconnect = request.code == radius::Code::disconnect_request;
  if (request.refuse) return answer(request, false, request.refuse, from);
  const auto macs = matching_sessions(request.who, control_.sessions());
  if (macs.empty()) return answer(request, false, radius::error_cause::session_context_not_found, from);

  auto outcome = std::make_shared<Outcome>();
  outcome->left = macs.size();
  auto one_done = [this, alive = alive_, outcome, request, from](Result<void> r) {
    if (!*alive) return;
    if (r)
      ++outcome->ok;
    else if (r.error().code == ENOENT)
      ++outcome->gone;
    else {
      ++outcome->failed;
      LOG_WARN("coa: %s", r.error().message().c_str());
    }
    if (--outcome->left != 0) return;
    if (outcome->failed == 0 && outcome->ok > 0) return answer(request, true, std::nullopt, from);
    answer(request, false,
           outcome->failed > 0 ? radius::error_cause::resources_unavailable
                               : radius::error_cause::session_context_not_found,
           from);
  };
  for (const auto& mac : macs) {
    if (disconnect) {
      LOG_INFO("coa: Disconnect-Request from %s ends %s", ip_of(from.address()).to_string().c_str(), mac.to_string().c_str());
      control_.disconnect(mac, one_done);
    } else {
      session::Limits limits;
      if (request.changes.idle_timeout) limits.idle_timeout = std::chrono::seconds(*request.changes.idle_timeout);
      limits.rate_up = request.changes.rate_up;
      limits.rate_down = request.changes.rate_down;
      std::optional<std::chrono::seconds> timeout;
      if (request.changes.session_timeout) timeout = std::chrono::seconds(*request.changes.session_timeout);
      LOG_INFO("coa: CoA-Request from %s changes %s", ip_of(from.address()).to_string().c_str(), mac.to_string().c_str());
      control_.change(mac, timeout, limits, one_done);
    }
  }
}

void CoaListener::answer(const radius::CoaRequest& request, bool ack, std::optional<std::uint32_t> cause,
                         const udp::endpoint& to) {
  const bool disconnect = request.code == radius::Code::disconnect_request;
  if (disconnect)
    ++(ack ? stats_.disconnect_acked : stats_.disconnect_naked);
  else
    ++(ack ? stats_.coa_acked : stats_.coa_naked);
  if (!ack)
    LOG_INFO("coa: %s from %s refused, Error-Cause %u", disconnect ? "Disconnect-Request" : "CoA-Request",
             ip_of(to.address()).to_string().c_str(), cause.value_or(0));
  const auto bytes = radius::coa_answer(request, ack, cause, settings_.secret);
  if (auto* entry = taken(to, request.identifier, request.authenticator)) entry->answer = bytes;
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(bytes.data(), bytes.size()), to, 0, ec);
  if (ec) LOG_WARN("coa: answer to %s: %s", ip_of(to.address()).to_string().c_str(), ec.message().c_str());
}

}  // namespace captive::auth
