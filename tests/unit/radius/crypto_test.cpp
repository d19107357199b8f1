// The RADIUS hashes against the RFCs' own examples: RFC 2865 §7.1 (password
// hiding, Response Authenticator), RFC 5997 §6 (Message-Authenticator of a
// Status-Server, and its Access-Accept answer), and the round trips the
// auth client, accounting and Disconnect/CoA rely on.
#include "captive/radius/crypto.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace captive::radius {
namespace {

std::vector<std::byte> unhex(std::string_view hex) {
  std::vector<std::byte> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(std::byte(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

Authenticator auth_of(std::string_view hex) {
  Authenticator a{};
  const auto b = unhex(hex);
  std::copy_n(b.begin(), 16, a.begin());
  return a;
}

constexpr std::string_view kSecret = "xyzzy5461";
const Authenticator kRfcRequestAuth = auth_of("0f403f9473978057bd83d5cb98f4227a");
constexpr std::string_view kRfcRequest =
    "010000380f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406c0a80110050600000003";
constexpr std::string_view kRfcAccept = "0200002686fe220e7624ba2a1005f6bf9b55e0b20606000000010f06000000000e06c0a80103";

TEST(RadiusCrypto, HidesThePasswordAsRfc2865Section7) {
  EXPECT_EQ(hide_password("arctangent", kSecret, kRfcRequestAuth), unhex("0dbe708d93d413ce3196e43f782a0aee"));
  EXPECT_EQ(unhide_password(unhex("0dbe708d93d413ce3196e43f782a0aee"), kSecret, kRfcRequestAuth), "arctangent");
}

TEST(RadiusCrypto, HidesLongAndEmptyPasswordsInBlocksOf16) {
  const auto a = random_authenticator();
  for (std::size_t n : {0, 1, 15, 16, 17, 31, 32, 100, 128}) {
    const std::string pw(n, 'p');
    const auto hidden = hide_password(pw, "s3cret", a);
    EXPECT_EQ(hidden.size(), n == 0 ? 16 : (n + 15) / 16 * 16) << n;
    EXPECT_EQ(unhide_password(hidden, "s3cret", a), pw) << n;
    EXPECT_NE(unhide_password(hidden, "other", a), pw) << n;
  }
  EXPECT_TRUE(hide_password(std::string(129, 'p'), "s3cret", a).empty());
  // The second block is chained on the first cipher block (§5.2 c(1)), so
  // equal plaintext blocks hide differently.
  const auto two = hide_password(std::string(32, 'p'), "s3cret", a);
  EXPECT_FALSE(std::equal(two.begin(), two.begin() + 16, two.begin() + 16));
}

TEST(RadiusCrypto, ResponseAuthenticatorOfRfc2865Section7) {
  const auto accept = unhex(kRfcAccept);
  auto p = PacketView::parse(accept);
  ASSERT_TRUE(p);
  EXPECT_EQ(response_authenticator(accept, kRfcRequestAuth, kSecret), auth_of("86fe220e7624ba2a1005f6bf9b55e0b2"));
  EXPECT_FALSE(verify(*p, kSecret, kRfcRequestAuth, false));
  EXPECT_EQ(verify(*p, "wrong", kRfcRequestAuth, false), VerifyError::bad_authenticator);
  EXPECT_EQ(verify(*p, kSecret, random_authenticator(), false), VerifyError::bad_authenticator);
  // The RFC's answer has no Message-Authenticator: a client that requires
  // one (captive does) drops it.
  EXPECT_EQ(verify(*p, kSecret, kRfcRequestAuth, true), VerifyError::missing_message_authenticator);
}

TEST(RadiusCrypto, SignMakesTheRfc2865AcceptFromItsAttributes) {
  auto accept = unhex(kRfcAccept);
  std::fill(accept.begin() + 4, accept.begin() + 20, std::byte(0));
  ASSERT_TRUE(sign(accept, kSecret, kRfcRequestAuth));
  EXPECT_EQ(accept, unhex(kRfcAccept));
}

// RFC 5997 §6: a Status-Server with a Message-Authenticator, secret xyzzy5461.
constexpr std::string_view kRfcStatusServer = "0cda00268a54f4686fb394c52866e302185d062350125a665e2e1e8411f3e243822097c84fa3";

TEST(RadiusCrypto, MessageAuthenticatorOfRfc5997Section6) {
  const auto bytes = unhex(kRfcStatusServer);
  auto p = PacketView::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_FALSE(verify(*p, kSecret, {}, true));
  EXPECT_EQ(verify(*p, "xyzzy5462", {}, true), VerifyError::bad_message_authenticator);
  // Signing the same packet with its MA zeroed gives the RFC's bytes back.
  auto copy = bytes;
  std::fill(copy.begin() + 22, copy.end(), std::byte(0));
  ASSERT_TRUE(sign(copy, kSecret));
  EXPECT_EQ(copy, bytes);
  // One flipped bit anywhere is caught.
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 2 || i == 3) continue;  // Length: no longer parses at all
    auto bad = bytes;
    bad[i] ^= std::byte(0x01);
    auto q = PacketView::parse(bad);
    if (!q) continue;
    EXPECT_TRUE(verify(*q, kSecret, {}, true)) << "bit flip at " << i;
  }
}

TEST(RadiusCrypto, RfcStatusServerAnswerOfRfc5997Section6) {
  // The Access-Accept answering it (no attributes).
  const auto bytes = unhex("02da0014ef0d552a4bf2d693ec2b6fe8b5411d66");
  auto p = PacketView::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_FALSE(verify(*p, kSecret, auth_of("8a54f4686fb394c52866e302185d0623"), false));
}

TEST(RadiusCrypto, AnswersWithMessageAuthenticatorRoundTrip) {
  const auto request_auth = random_authenticator();
  Builder b(Code::access_accept, 9);
  b.add_message_authenticator();
  b.add_u32(attr::session_timeout, 3600);
  auto bytes = std::move(b).finish();
  ASSERT_TRUE(sign(bytes, "secret", request_auth));
  auto p = PacketView::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_FALSE(verify(*p, "secret", request_auth, true));
  // Another request's authenticator: the answer is not to us.
  EXPECT_EQ(verify(*p, "secret", random_authenticator(), true), VerifyError::bad_authenticator);
  // An attribute changed after signing (the Response Authenticator covers it).
  auto bad = bytes;
  bad.back() ^= std::byte(1);
  auto q = PacketView::parse(bad);
  ASSERT_TRUE(q);
  EXPECT_EQ(verify(*q, "secret", request_auth, true), VerifyError::bad_authenticator);
}

TEST(RadiusCrypto, ForgedResponseWithRightAuthenticatorButWrongMessageAuthenticatorIsCaught) {
  // Someone who knows the Response Authenticator scheme but not how the
  // HMAC goes: a right authenticator over a wrong Message-Authenticator.
  const auto request_auth = random_authenticator();
  Builder b(Code::access_accept, 9);
  b.add_message_authenticator();
  auto bytes = std::move(b).finish();
  bytes[22] = std::byte(0xaa);
  const auto a = response_authenticator(bytes, request_auth, "secret");
  std::copy(a.begin(), a.end(), bytes.begin() + 4);
  auto p = PacketView::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(verify(*p, "secret", request_auth, true), VerifyError::bad_message_authenticator);
}

TEST(RadiusCrypto, TwoMessageAuthenticatorsAreRefused) {
  Builder b(Code::access_request, 1, random_authenticator());
  b.add_message_authenticator();
  b.add_message_authenticator();
  auto bytes = std::move(b).finish();
  ASSERT_TRUE(sign(bytes, "secret"));
  auto p = PacketView::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(verify(*p, "secret", {}, true), VerifyError::several_message_authenticators);
}

// RFC 2866 §3 and RFC 5176 §2.3: the same hashed Request Authenticator; a
// Message-Authenticator in them is computed over 16 zero octets
// (RFC 5176 §3.1), before the authenticator.
TEST(RadiusCrypto, HashedRequestsSignAndVerify) {
  for (Code code : {Code::accounting_request, Code::disconnect_request, Code::coa_request}) {
    EXPECT_EQ(authenticator_kind(code), AuthenticatorKind::hashed_request);
    Builder b(code, 3);
    b.add(attr::acct_session_id, "0123456789abcdef");
    b.add_message_authenticator();
    auto bytes = std::move(b).finish();
    ASSERT_TRUE(sign(bytes, "s"));
    auto p = PacketView::parse(bytes);
    ASSERT_TRUE(p);
    Authenticator field{};
    std::copy(p->authenticator().begin(), p->authenticator().end(), field.begin());
    EXPECT_EQ(accounting_request_authenticator(bytes, "s"), field);
    EXPECT_FALSE(verify(*p, "s", {}, true));
    EXPECT_EQ(verify(*p, "t", {}, true), VerifyError::bad_authenticator);
    const auto ma = p->message_authenticator_offset();
    Authenticator mac{};
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(ma), 16, mac.begin());
    EXPECT_EQ(message_authenticator(bytes, ma, Authenticator{}, "s"), mac);
  }
}

TEST(RadiusCrypto, AccountingRequestAuthenticatorOfAKnownPacket) {
  // An Accounting-Request (User-Name nemo, Acct-Status-Type Start,
  // Acct-Session-Id "20024") signed with xyzzy5461, as pyrad and
  // FreeRADIUS make it.
  const auto bytes = unhex("0404002711019c27d4e00cbc523b3e2fc834baf401066e656d6f2806000000012c073230303234");
  auto p = PacketView::parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_FALSE(verify(*p, kSecret, {}, false));
  auto copy = bytes;
  std::fill(copy.begin() + 4, copy.begin() + 20, std::byte(0));
  ASSERT_TRUE(sign(copy, kSecret));
  EXPECT_EQ(copy, bytes);
}

TEST(RadiusCrypto, AccessRequestKeepsItsRandomAuthenticator) {
  const auto a = random_authenticator();
  EXPECT_NE(a, random_authenticator());
  Builder b(Code::access_request, 1, a);
  b.add_message_authenticator();
  auto bytes = std::move(b).finish();
  ASSERT_TRUE(sign(bytes, "s"));
  EXPECT_TRUE(std::equal(a.begin(), a.end(), bytes.begin() + 4));
  auto p = PacketView::parse(bytes);
  EXPECT_FALSE(verify(*p, "s", {}, true));
  EXPECT_EQ(verify(*p, "x", {}, true), VerifyError::bad_message_authenticator);
}

}  // namespace
}  // namespace captive::radius
