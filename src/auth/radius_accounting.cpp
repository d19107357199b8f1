#include "captive/auth/radius_accounting.hpp"

#include <boost/asio/post.hpp>

#include "captive/auth/radius_backend.hpp"
#include "captive/util/log.hpp"

namespace captive::auth {

namespace asio = boost::asio;
using radius::AcctStatusType;
using radius::TerminateCause;

namespace {

std::int64_t epoch(session::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::uint32_t seconds_since(const std::optional<session::Clock::time_point>& since, std::int64_t now) {
  if (!since) return 0;  // adopted session: when it began is unknown
  return radius::acct_delay(epoch(*since), now);  // the same clamp: >= 0, <= 2^32 - 1
}

radius::AccountingCounters counters_of(const session::Traffic& t) {
  // RFC 2866 §5.3: Input is what the NAS received from the client.
  return {t.bytes_up, t.packets_up, t.bytes_down, t.packets_down};
}

void fill(radius::AccountingRecord& r, const packet::MacAddr& mac, const std::optional<packet::IpAddr>& ip,
          const std::string& user, const std::string& method, const std::string& session_id,
          const RadiusAccountingSettings& settings) {
  r.session_id = session_id;
  r.user_name = user;
  r.calling_station_id = station_id(mac);
  r.called_station_id = settings.called_station_id;
  r.nas_identifier = settings.nas_identifier;
  if (ip && ip->unmapped().is_v4()) {
    const auto v4 = ip->unmapped();
    r.framed_ip = std::array<std::uint8_t, 4>{v4.bytes[0], v4.bytes[1], v4.bytes[2], v4.bytes[3]};
  }
  r.authenticated_by_radius = method.rfind("radius", 0) == 0;
}

}  // namespace

TerminateCause RadiusAccounting::terminate_cause(session::EndCause cause) {
  switch (cause) {
    case session::EndCause::logout: return TerminateCause::user_request;
    case session::EndCause::idle: return TerminateCause::idle_timeout;
    case session::EndCause::timeout: return TerminateCause::session_timeout;
    // `captivectl revoke`, a Disconnect-Request, an element deleted by hand.
    case session::EndCause::revoke:
    case session::EndCause::admin: return TerminateCause::admin_reset;
    // §5.10 has no quota cause; NAS-Request is "NAS ended session for a
    // non-error reason not otherwise listed", and keeps a quota apart from
    // a time limit in the server's records (docs/radius.md).
    case session::EndCause::quota: return TerminateCause::nas_request;
  }
  return TerminateCause::nas_request;
}

radius::AccountingRecord RadiusAccounting::record_of(const session::Client& c, AcctStatusType status,
                                                     std::int64_t now, const RadiusAccountingSettings& settings) {
  radius::AccountingRecord r;
  r.status = status;
  fill(r, c.mac, c.ip, c.user, c.method, c.acct_session_id, settings);
  r.event_timestamp = static_cast<std::uint32_t>(now);
  if (status != AcctStatusType::start) {
    r.session_time = seconds_since(c.signed_in_at, now);
    r.counters = counters_of(c.traffic);
  }
  return r;
}

radius::AccountingRecord RadiusAccounting::record_of(const session::Ended& e, std::int64_t now,
                                                     const RadiusAccountingSettings& settings) {
  radius::AccountingRecord r;
  r.status = AcctStatusType::stop;
  fill(r, e.mac, e.ip, e.user, e.method, e.acct_session_id, settings);
  r.event_timestamp = static_cast<std::uint32_t>(now);
  r.session_time = seconds_since(e.signed_in_at, epoch(e.ended_at));
  r.counters = counters_of(e.traffic);
  r.cause = terminate_cause(e.cause);
  return r;
}

RadiusAccounting::RadiusAccounting(asio::io_context& io, Send send, List list, RadiusAccountingSettings settings,
                                   WallClock wall)
    : io_(io),
      send_(std::move(send)),
      list_(std::move(list)),
      settings_(std::move(settings)),
      wall_(wall ? std::move(wall) : WallClock([] { return epoch(session::Clock::now()); })),
      // Capacity: the jobs waiting, each a record of ~200 octets; past it a
      // record is counted as lost rather than the loop waiting.
      disk_(1, 100'000, "captived-acct", WorkPool::Start::later),
      retry_timer_(io),
      interim_timer_(io) {}

RadiusAccounting::~RadiusAccounting() {
  *alive_ = false;
  // stop() drops the jobs still waiting: a record made just before
  // captived stops (a Stop of a revoke, say) would be lost. The worker is
  // joined now, so the queue is ours: write what it did not.
  disk_.stop();
  if (!queue_) return;
  std::uint64_t written = 0;
  {
    std::lock_guard lock(written_mutex_);
    written = written_upto_;
  }
  for (const auto& u : unwritten_) {
    if (u.ticket <= written) continue;
    if (auto pushed = queue_->push(u.event_time, u.attributes); !pushed)
      LOG_ERROR("accounting: record lost at stop: %s", pushed.error().message().c_str());
  }
}

Result<void> RadiusAccounting::open() {
  radius::QueueOpened opened;
  auto q = radius::AccountingQueue::open(settings_.queue_dir, settings_.max_records, &opened);
  if (!q) return q.error();
  for (const auto& problem : opened.problems) LOG_WARN("accounting queue: set aside %s", problem.c_str());
  stats_.dropped_bad += opened.set_aside;
  if (opened.loaded > 0)
    LOG_INFO("accounting queue %s: %zu records to send", settings_.queue_dir.c_str(), opened.loaded);
  stats_.queued = q->size();
  queue_.emplace(std::move(*q));
  return {};
}

void RadiusAccounting::start() {
  disk_.start();
  arm_interim();
  pump();
}

void RadiusAccounting::arm_interim() {
  if (settings_.interval.count() <= 0) return;
  interim_timer_.expires_after(settings_.interval);
  interim_timer_.async_wait([this, alive = alive_](boost::system::error_code ec) {
    if (ec || !*alive) return;
    list_([this, alive](Result<std::vector<session::Client>> clients) {
      if (!*alive) return;
      if (clients) interim(*clients);
      else LOG_WARN("accounting: listing the sessions for Interim-Update: %s", clients.error().message().c_str());
    });
    arm_interim();
  });
}

void RadiusAccounting::session_started(const session::Client& client) {
  enqueue(record_of(client, AcctStatusType::start, wall_(), settings_));
}

void RadiusAccounting::session_ended(const session::Ended& ended) {
  enqueue(record_of(ended, wall_(), settings_));
}

void RadiusAccounting::interim(const std::vector<session::Client>& clients) {
  const auto now = wall_();
  for (const auto& c : clients)
    if (!c.acct_session_id.empty()) enqueue(record_of(c, AcctStatusType::interim_update, now, settings_));
}

void RadiusAccounting::enqueue(const radius::AccountingRecord& record) {
  ++stats_.records;
  auto attributes = radius::accounting_attributes(record);
  if (!attributes) {
    ++stats_.dropped_bad;
    LOG_WARN("accounting: %s", attributes.error().message().c_str());
    return;
  }
  const std::int64_t at = record.event_timestamp;
  const std::uint64_t ticket = ++next_ticket_;
  if (queue_) unwritten_.push_back(Unwritten{ticket, at, *attributes});
  const bool posted = queue_ && disk_.try_post([this, alive = alive_, at, ticket, attributes = std::move(*attributes)] {
    auto pushed = queue_->push(at, attributes);
    const auto size = queue_->size();
    {
      std::lock_guard lock(written_mutex_);
      written_upto_ = ticket;  // one worker, jobs in order: every earlier ticket is written too
    }
    asio::post(io_, [this, alive, ticket, pushed = std::move(pushed), size] {
      if (!*alive) return;
      while (!unwritten_.empty() && unwritten_.front().ticket <= ticket) unwritten_.pop_front();
      stats_.queued = size;
      if (!pushed) {
        ++stats_.dropped_full;
        LOG_ERROR("accounting: record lost: %s", pushed.error().message().c_str());
      }
      pump();
    });
  });
  if (!posted) {
    if (!unwritten_.empty() && unwritten_.back().ticket == ticket) unwritten_.pop_back();
    ++stats_.dropped_full;
    LOG_ERROR("accounting: record lost: the disk worker is behind");
  }
}

void RadiusAccounting::pump() {
  if (busy_ || waiting_ || !queue_) return;
  busy_ = true;
  const bool posted = disk_.try_post([this, alive = alive_] {
    std::optional<radius::QueuedRecord> head;
    if (const auto* front = queue_->front()) head = *front;
    asio::post(io_, [this, alive, head = std::move(head)] {
      if (!*alive) return;
      if (!head) {
        busy_ = false;
        return;
      }
      // A record that cannot become a packet would stop the queue for good.
      if (!radius::accounting_request(head->attributes, 0, 0, std::nullopt, settings_.secret)) {
        ++stats_.dropped_bad;
        LOG_ERROR("accounting: queued record %llu cannot be sent: dropped",
                  static_cast<unsigned long long>(head->sequence));
        return sent(Result<std::vector<std::byte>>(std::vector<std::byte>{}));
      }
      auto build = [attributes = head->attributes, event_time = head->event_time, wall = wall_,
                    secret = settings_.secret](std::uint8_t identifier, const radius::Authenticator&,
                                               const asio::ip::udp::endpoint& local) {
        // RFC 2866 §5.2: built per try (per server), so the delay is as
        // of this try; a retransmission to the same server repeats it
        // unchanged (RFC 5080 §2.2.1).
        std::optional<std::array<std::uint8_t, 4>> nas_ip;
        if (local.address().is_v4()) nas_ip = local.address().to_v4().to_bytes();
        auto p = radius::accounting_request(attributes, identifier, radius::acct_delay(event_time, wall()), nas_ip,
                                            secret);
        return p ? std::move(*p) : std::vector<std::byte>{};
      };
      send_(std::move(build), [this, alive](Result<std::vector<std::byte>> answer) {
        if (*alive) sent(std::move(answer));
      });
    });
  });
  if (!posted) busy_ = false;
}

void RadiusAccounting::sent(Result<std::vector<std::byte>> answer) {
  if (answer && !answer->empty()) {
    auto view = radius::PacketView::parse(*answer);
    if (!view || view->code() != radius::Code::accounting_response) {
      // RFC 2866 §4.2: only an Accounting-Response acknowledges.
      answer = make_error(EPROTO, "not an Accounting-Response");
    } else {
      ++stats_.delivered;
    }
  }
  if (!answer) {
    ++stats_.unanswered;
    LOG_WARN("accounting: %s; %zu records held, next try in %llds", answer.error().message().c_str(),
             static_cast<std::size_t>(stats_.queued), static_cast<long long>(settings_.retry_after.count()));
    busy_ = false;
    waiting_ = true;
    retry_timer_.expires_after(settings_.retry_after);
    retry_timer_.async_wait([this, alive = alive_](boost::system::error_code ec) {
      if (ec || !*alive) return;
      waiting_ = false;
      pump();
    });
    return;
  }
  // Delivered (or dropped as unsendable): off the queue, then the next.
  const bool posted = disk_.try_post([this, alive = alive_] {
    auto popped = queue_->pop();
    const auto size = queue_->size();
    asio::post(io_, [this, alive, popped = std::move(popped), size] {
      if (!*alive) return;
      stats_.queued = size;
      if (!popped) LOG_WARN("accounting queue: %s", popped.error().message().c_str());
      busy_ = false;
      pump();
    });
  });
  if (!posted) busy_ = false;
}

}  // namespace captive::auth
