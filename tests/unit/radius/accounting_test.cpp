// Accounting records (RFC 2866) as a server reads them: the counters in the
// right attributes and directions, Gigawords past 2^32 (RFC 2869 §5.1/5.2),
// the terminate cause on a Stop only, Acct-Delay-Time per try (§5.2) and a
// Request Authenticator the server can check (§3).
#include "captive/radius/accounting.hpp"

#include <gtest/gtest.h>

#include <random>

#include "captive/radius/crypto.hpp"

namespace captive::radius {
namespace {

constexpr std::string_view kSecret = "testing123";

AccountingRecord sample(AcctStatusType status) {
  AccountingRecord r;
  r.status = status;
  r.session_id = "0123456789ABCDEF";
  r.user_name = "alice";
  r.calling_station_id = "02-00-00-00-00-01";
  r.nas_identifier = "router-1";
  r.framed_ip = std::array<std::uint8_t, 4>{192, 0, 2, 10};
  r.session_time = 61;
  r.counters = {.input_octets = 1000, .input_packets = 10, .output_octets = 200000, .output_packets = 150};
  r.event_timestamp = 1'700'000'000;
  return r;
}

// Builds, sends nowhere, parses back.
std::vector<std::byte> packet_of(const AccountingRecord& r, std::uint32_t delay = 0) {
  auto attrs = accounting_attributes(r);
  EXPECT_TRUE(attrs) << (attrs ? "" : attrs.error().message());
  auto p = accounting_request(*attrs, 7, delay, std::array<std::uint8_t, 4>{198, 51, 100, 1}, kSecret);
  EXPECT_TRUE(p);
  return *p;
}

TEST(RadiusAccounting, InterimCarriesBothDirectionsAsRfc2866Says) {
  const auto bytes = packet_of(sample(AcctStatusType::interim_update));
  auto v = PacketView::parse(bytes);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->code(), Code::accounting_request);
  EXPECT_EQ(v->identifier(), 7);
  EXPECT_EQ(v->find_u32(attr::acct_status_type), 3u);
  EXPECT_EQ(v->find_text(attr::acct_session_id), "0123456789ABCDEF");
  EXPECT_EQ(v->find_text(attr::user_name), "alice");
  EXPECT_EQ(v->find_text(attr::calling_station_id), "02-00-00-00-00-01");
  // §5.3 input = from the client (up), §5.4 output = to the client (down).
  EXPECT_EQ(v->find_u32(attr::acct_input_octets), 1000u);
  EXPECT_EQ(v->find_u32(attr::acct_output_octets), 200000u);
  EXPECT_EQ(v->find_u32(attr::acct_input_packets), 10u);
  EXPECT_EQ(v->find_u32(attr::acct_output_packets), 150u);
  EXPECT_EQ(v->find_u32(attr::acct_input_gigawords), 0u);
  EXPECT_EQ(v->find_u32(attr::acct_output_gigawords), 0u);
  EXPECT_EQ(v->find_u32(attr::acct_session_time), 61u);
  EXPECT_EQ(v->find_u32(attr::event_timestamp), 1'700'000'000u);
  EXPECT_EQ(v->find_u32(attr::acct_delay_time), 0u);
  EXPECT_EQ(v->find_u32(attr::nas_ip_address), 0xc6336401u);
  EXPECT_EQ(v->find_u32(attr::acct_authentic), 2u);
  // §5.10: only in a Stop.
  EXPECT_FALSE(v->find(attr::acct_terminate_cause));
  // §3: the server recomputes the Request Authenticator with the secret.
  EXPECT_FALSE(verify(*v, kSecret, {}, false));
  EXPECT_TRUE(verify(*v, "wrong", {}, false));
}

TEST(RadiusAccounting, StartHasNoCountersAndStopHasTheCause) {
  auto start = sample(AcctStatusType::start);
  start.cause = TerminateCause::idle_timeout;  // ignored: not a Stop
  const auto sb = packet_of(start);
  auto s = PacketView::parse(sb);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->find_u32(attr::acct_status_type), 1u);
  // RFC 2866 §5.3-§5.8: the counters "can only be present" in a Stop (and
  // RFC 2869's Interim-Update).
  for (auto t : {attr::acct_input_octets, attr::acct_output_octets, attr::acct_input_packets,
                 attr::acct_output_packets, attr::acct_session_time, attr::acct_terminate_cause})
    EXPECT_FALSE(s->find(t)) << int(t);

  for (auto [cause, value] : {std::pair{TerminateCause::user_request, 1u}, {TerminateCause::idle_timeout, 4u},
                              {TerminateCause::session_timeout, 5u}, {TerminateCause::admin_reset, 6u},
                              {TerminateCause::nas_request, 10u}}) {
    auto stop = sample(AcctStatusType::stop);
    stop.cause = cause;
    const auto b = packet_of(stop);
    auto v = PacketView::parse(b);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->find_u32(attr::acct_status_type), 2u);
    EXPECT_EQ(v->find_u32(attr::acct_terminate_cause), value);
    EXPECT_EQ(v->count(attr::acct_terminate_cause), 1u);
  }
}

TEST(RadiusAccounting, OctetsPast4GiBGoInGigawords) {
  auto r = sample(AcctStatusType::stop);
  r.counters.input_octets = (3ull << 32) + 5;
  r.counters.output_octets = 0xffffffffull + 1;  // exactly one wrap
  r.counters.input_packets = 1ull << 33;          // no gigawords for packets: saturates
  const auto b = packet_of(r);
  auto v = PacketView::parse(b);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->find_u32(attr::acct_input_octets), 5u);
  EXPECT_EQ(v->find_u32(attr::acct_input_gigawords), 3u);
  EXPECT_EQ(v->find_u32(attr::acct_output_octets), 0u);
  EXPECT_EQ(v->find_u32(attr::acct_output_gigawords), 1u);
  EXPECT_EQ(v->find_u32(attr::acct_input_packets), 0xffffffffu);
}

TEST(RadiusAccounting, GigawordsAndOctetsAddUpForAnyCount) {
  std::mt19937_64 rng(13);
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t n = rng() >> (rng() % 64);
    const auto s = split_octets(n);
    EXPECT_EQ((std::uint64_t{s.gigawords} << 32) + s.octets, n);
  }
}

TEST(RadiusAccounting, DelayTimeIsPerTryAndChangesTheAuthenticator) {
  const auto r = sample(AcctStatusType::stop);
  auto attrs = accounting_attributes(r);
  ASSERT_TRUE(attrs);
  auto first = accounting_request(*attrs, 1, 0, std::nullopt, kSecret);
  auto later = accounting_request(*attrs, 2, acct_delay(r.event_timestamp, r.event_timestamp + 95), std::nullopt,
                                  kSecret);
  ASSERT_TRUE(first && later);
  auto v = PacketView::parse(*later);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->find_u32(attr::acct_delay_time), 95u);
  EXPECT_EQ(v->count(attr::acct_delay_time), 1u);
  EXPECT_FALSE(v->find(attr::nas_ip_address));
  EXPECT_FALSE(verify(*v, kSecret, {}, false));
  EXPECT_NE(std::vector<std::byte>(first->begin() + 4, first->begin() + 20),
            std::vector<std::byte>(later->begin() + 4, later->begin() + 20));
  // A clock stepped back never makes a huge unsigned delay.
  EXPECT_EQ(acct_delay(1000, 900), 0u);
}

TEST(RadiusAccounting, RefusesCorruptStoredAttributes) {
  auto attrs = accounting_attributes(sample(AcctStatusType::start));
  ASSERT_TRUE(attrs);
  auto cut = *attrs;
  cut.pop_back();
  EXPECT_FALSE(accounting_request(cut, 1, 0, std::nullopt, kSecret));
  auto zero = *attrs;
  zero[1] = std::byte{0};
  EXPECT_FALSE(accounting_request(zero, 1, 0, std::nullopt, kSecret));
  // A stored Acct-Delay-Time would go out twice.
  Builder b(Code::accounting_request, 0);
  b.add_u32(attr::acct_delay_time, 3);
  auto with_delay = std::move(b).finish();
  EXPECT_FALSE(accounting_request(std::span(with_delay).subspan(kHeaderSize), 1, 0, std::nullopt, kSecret));
}

TEST(RadiusAccounting, RefusesAnEmptyOrOverlongSessionId) {
  auto r = sample(AcctStatusType::start);
  r.session_id.clear();
  EXPECT_FALSE(accounting_attributes(r));
  r.session_id.assign(254, 'x');
  EXPECT_FALSE(accounting_attributes(r));
}

}  // namespace
}  // namespace captive::radius
