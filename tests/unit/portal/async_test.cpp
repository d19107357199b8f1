// The portal never waits for the kernel on the event loop (issue 8, item 8):
// with executors, the identity lookups (peer map, neighbour table) run on a
// lookup thread and the answer continues on the io_context, so while one
// lookup is slow the loop keeps serving other requests and timers.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "../fakes/fakes.hpp"
#include "captive/portal/handler.hpp"
#include "fake_peers.hpp"

namespace captive::portal {
namespace {
using captive::testing::FakeNeighbours;
using captive::testing::FakePeers;
using captive::testing::FakeSet;
using captive::testing::Gate;
using captive::testing::ip;
using captive::testing::JobThread;
using captive::testing::mac;
using namespace std::chrono_literals;
namespace asio = boost::asio;

class PortalAsync : public ::testing::Test {
 protected:
  PortalAsync() {
    peers_.table[{ip("192.0.2.2"), 40000}] = mac("02:00:00:00:00:02");
    neighbours_.table[ip("192.0.2.2")] = mac("02:00:00:00:00:02");
    peers_.gate = &gate_;
  }

  static Request get(std::string target) {
    Request r{http::verb::get, target, 11};
    r.set(http::field::host, "192.0.2.1");
    return r;
  }
  // Runs the loop until `done` or 3 s.
  void run_until(const std::function<bool()>& done) {
    auto until = std::chrono::steady_clock::now() + 3s;
    while (!done() && std::chrono::steady_clock::now() < until) io_.run_one_for(20ms);
  }

  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  Gate gate_;
  FakePeers peers_;
  FakeNeighbours neighbours_;
  FakeSet set_;
  session::Registry registry_{set_};
  auth::TokenIssuer tokens_{auth::TokenIssuer::Key{}};
  auth::ClickThrough backend_;
  JobThread lookups_;
  Handler handler_{HandlerSettings{3600s, "Test", {"192.0.2.1"}},
                   Handler::Deps{registry_, peers_, neighbours_, tokens_, backend_, [] { return 1'700'000'000ull; },
                                 Executors{[this](Executors::Job job) { lookups_.post(std::move(job)); },
                                           [this](Executors::Job job) { asio::post(io_, std::move(job)); }}}};
};

// A page whose peer lookup hangs in the kernel: meanwhile a timer fires and
// another request is answered on the loop; the page follows once the
// lookup returns, on the loop's thread, and the lookup ran elsewhere.
TEST_F(PortalAsync, SlowLookupDoesNotStallTheLoop) {
  const Request page_request = get("/");
  const Request other_request = get("/favicon.ico");
  const Client client{ip("192.0.2.2"), 40000};
  std::optional<Response> page, other;
  std::thread::id page_thread;
  bool page_done_when_timer_fired = true;
  bool timer_fired = false;

  gate_.close();
  asio::post(io_, [&] {
    handler_.handle(page_request, client, [&](Response r) {
      page = std::move(r);
      page_thread = std::this_thread::get_id();
    });
  });
  asio::steady_timer timer(io_, 20ms);
  timer.async_wait([&](boost::system::error_code) {
    timer_fired = true;
    page_done_when_timer_fired = page.has_value();
    handler_.handle(other_request, client, [&](Response r) { other = std::move(r); });
  });
  run_until([&] { return timer_fired && other.has_value(); });
  ASSERT_TRUE(gate_.wait_for_held()) << "the page's lookup never started";
  EXPECT_TRUE(timer_fired);
  EXPECT_FALSE(page_done_when_timer_fired) << "the loop waited for the lookup before running the timer";
  ASSERT_TRUE(other.has_value()) << "another request was not answered while a lookup was slow";
  EXPECT_EQ(other->result(), http::status::not_found);
  EXPECT_FALSE(page.has_value());

  gate_.open();
  run_until([&] { return page.has_value(); });
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->result(), http::status::ok);
  EXPECT_NE(page->body().find("name=\"token\""), std::string::npos);
  EXPECT_EQ(page_thread, std::this_thread::get_id()) << "the answer must continue on the loop's thread";
  EXPECT_NE(gate_.lookup_thread(), std::this_thread::get_id()) << "the lookup ran on the loop's thread";
}

// A sign-in identifies through the lookup thread too and completes.
TEST_F(PortalAsync, SignInCompletesThroughTheLookupThread) {
  const Client client{ip("192.0.2.2"), 40000};
  const Request page_request = get("/");
  std::optional<Response> page;
  asio::post(io_, [&] { handler_.handle(page_request, client, [&](Response r) { page = std::move(r); }); });
  run_until([&] { return page.has_value(); });
  ASSERT_TRUE(page.has_value());
  const auto at = page->body().find("name=\"token\" value=\"");
  ASSERT_NE(at, std::string::npos);
  const std::string token = page->body().substr(at + 20, 64);

  Request login{http::verb::post, "/login", 11};
  login.set(http::field::host, "192.0.2.1");
  login.body() = "token=" + token + "&url=&accept_terms=yes";
  login.prepare_payload();
  std::optional<Response> signed_in;
  asio::post(io_, [&] { handler_.handle(login, client, [&](Response r) { signed_in = std::move(r); }); });
  run_until([&] { return signed_in.has_value(); });
  ASSERT_TRUE(signed_in.has_value());
  EXPECT_EQ(signed_in->result(), http::status::ok) << signed_in->body();
  EXPECT_EQ(set_.elements.count(mac("02:00:00:00:00:02")), 1u);
  EXPECT_EQ(handler_.stats().sign_ins, 1u);
  EXPECT_EQ(peers_.lookups, 2);
}

}  // namespace
}  // namespace captive::portal
