#include "captive/auth/token.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include "captive/auth/backend.hpp"
#include "../fakes/fakes.hpp"

namespace captive::auth {
namespace {
using captive::testing::ip;
using captive::testing::mac;

TokenIssuer::Key key_of(std::uint8_t seed) {
  TokenIssuer::Key k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(seed + i);
  return k;
}

TEST(Token, VerifiesForSameMacWithinTwoSlots) {
  ASSERT_GE(sodium_init(), 0);
  TokenIssuer issuer(key_of(1));
  const auto m = mac("02:00:00:00:00:01");
  const std::uint64_t t = 1'700'000'000;
  std::string token = issuer.issue(m, "", t);
  EXPECT_EQ(token.size(), 64u);
  EXPECT_TRUE(issuer.verify(token, m, "", t));
  EXPECT_TRUE(issuer.verify(token, m, "", t + TokenIssuer::kSlotSeconds));
  EXPECT_FALSE(issuer.verify(token, m, "", t + 2 * TokenIssuer::kSlotSeconds + TokenIssuer::kSlotSeconds));
}

TEST(Token, BoundToMacAndKey) {
  TokenIssuer issuer(key_of(1));
  TokenIssuer other(key_of(2));
  const std::uint64_t t = 1'700'000'000;
  std::string token = issuer.issue(mac("02:00:00:00:00:01"), "", t);
  EXPECT_FALSE(issuer.verify(token, mac("02:00:00:00:00:02"), "", t));
  EXPECT_FALSE(other.verify(token, mac("02:00:00:00:00:01"), "", t));
}

// The return URL is part of what the token vouches for: a form rendered for
// URL A and submitted with URL B (an attacker's link or a tampered form) is
// refused, whichever of the two is empty.
TEST(Token, BoundToReturnUrl) {
  TokenIssuer issuer(key_of(1));
  const auto m = mac("02:00:00:00:00:01");
  const std::uint64_t t = 1'700'000'000;
  std::string for_a = issuer.issue(m, "http://example.com/a", t);
  EXPECT_TRUE(issuer.verify(for_a, m, "http://example.com/a", t));
  EXPECT_FALSE(issuer.verify(for_a, m, "http://evil.example/", t));
  EXPECT_FALSE(issuer.verify(for_a, m, "http://example.com/a/", t));
  EXPECT_FALSE(issuer.verify(for_a, m, "", t));
  EXPECT_FALSE(issuer.verify(issuer.issue(m, "", t), m, "http://example.com/a", t));
}

// The streamed HMAC is crypto_auth (HMAC-SHA-512-256) of
// MAC . slot (u64 LE) . URL length (u64 LE) . URL, as documented.
TEST(Token, IsCryptoAuthOfTheDocumentedMessage) {
  TokenIssuer::Key k = key_of(3);
  TokenIssuer issuer(k);
  const auto m = mac("02:00:00:00:00:09");
  const std::string url = "http://example.com/";
  const std::uint64_t t = 7 * TokenIssuer::kSlotSeconds + 5;
  std::string message(reinterpret_cast<const char*>(m.bytes.data()), 6);
  for (std::uint64_t v : {std::uint64_t{7}, std::uint64_t{url.size()}})
    for (int i = 0; i < 8; ++i) message.push_back(static_cast<char>(v >> (8 * i)));
  message += url;
  unsigned char tag[crypto_auth_BYTES];
  crypto_auth(tag, reinterpret_cast<const unsigned char*>(message.data()), message.size(), k.data());
  char hex[crypto_auth_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, tag, sizeof tag);
  EXPECT_EQ(issuer.issue(m, url, t), hex);
}

TEST(Token, RejectsMalformed) {
  TokenIssuer issuer(key_of(1));
  const auto m = mac("02:00:00:00:00:01");
  std::string token = issuer.issue(m, "", 100);
  EXPECT_FALSE(issuer.verify("", m, "", 100));
  EXPECT_FALSE(issuer.verify(token.substr(0, 63), m, "", 100));
  EXPECT_FALSE(issuer.verify(token + "0", m, "", 100));
  std::string flipped = token;
  flipped[10] = flipped[10] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(issuer.verify(flipped, m, "", 100));
}

// Judges inline and hands the Decision over exactly once.
Decision judged(Backend& backend, const Attempt& a) {
  int calls = 0;
  Decision out;
  backend.judge(a, [&](Decision d) {
    ++calls;
    out = std::move(d);
  });
  EXPECT_EQ(calls, 1);
  return out;
}

TEST(ClickThrough, AcceptsOnlyTickedTerms) {
  ClickThrough backend;
  Attempt a{mac("02:00:00:00:00:01"), ip("192.0.2.2"), "token=x&accept_terms=yes"};
  Decision yes = judged(backend, a);
  EXPECT_TRUE(yes.accepted());
  EXPECT_EQ(yes.method, "click-through");  // what sessions and state files have always recorded
  a.form = "token=x";
  Decision no = judged(backend, a);
  EXPECT_FALSE(no.accepted());
  EXPECT_EQ(no.outcome, Decision::Outcome::refused);  // not a credential failure: no lockout for it
  EXPECT_FALSE(no.reason.empty());
  a.form = "accept_terms=no";
  EXPECT_FALSE(judged(backend, a).accepted());
}

}  // namespace
}  // namespace captive::auth
