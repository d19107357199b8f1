// The users file: what captived reads and captivectl writes (docs/auth.md).
#include "captive/auth/users_file.hpp"

#include <gtest/gtest.h>

#include "captive/auth/password.hpp"

namespace captive::auth {
namespace {
using namespace std::chrono_literals;

const std::string kHash = "$argon2id$v=19$m=4096,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

TEST(UsersFile, ParsesNamesHashesAndOptionsWithTheDaemonsUnits) {
  const std::string text = "# staff\n\nalice:" + kHash + "\n  bob:" + kHash +
                           ":time=2h,idle=15m,quota=1G,rate-down=10mbit,rate-up=2mbit  \r\n";
  auto users = parse_users(text, "users");
  ASSERT_TRUE(users) << users.error().what;
  ASSERT_EQ(users->size(), 2u);
  const UserEntry& alice = (*users)[0];
  EXPECT_EQ(alice.name, "alice");
  EXPECT_EQ(alice.hash, kHash);
  EXPECT_FALSE(alice.duration);
  EXPECT_EQ(alice.limits, session::Limits{});
  const UserEntry& bob = (*users)[1];
  EXPECT_EQ(bob.duration, std::chrono::seconds(2h));
  EXPECT_EQ(bob.limits.idle_timeout, std::chrono::seconds(15min));
  EXPECT_EQ(bob.limits.quota_bytes, 1'000'000'000u);   // powers of 1000, as --quota
  EXPECT_EQ(bob.limits.rate_down, 10'000'000u / 8);    // bytes per second, as --rate-down
  EXPECT_EQ(bob.limits.rate_up, 2'000'000u / 8);
  EXPECT_EQ(bob.options, "time=2h,idle=15m,quota=1G,rate-down=10mbit,rate-up=2mbit");
}

TEST(UsersFile, ErrorsNameFileAndLine) {
  struct Case {
    std::string text;
    std::string says;
  } cases[] = {
      {"alice\n", "users:1: not NAME:HASH"},
      {"\nal ice:" + kHash + "\n", "users:2: not a user name"},
      {"alice:plaintext\n", "users:1: user alice: not a crypto_pwhash_str"},
      {"alice:$2y$10$bcryptbcryptbcrypt\n", "not a crypto_pwhash_str"},
      {"alice:" + kHash + ":time=forever\n", "time: not a duration"},
      {"alice:" + kHash + ":quota=0\n", "quota: not a byte count"},
      {"alice:" + kHash + ":rate-down=10M\n", "rate-down: not a rate"},  // bytes, not bits: refused as for --rate-down
      {"alice:" + kHash + ":colour=blue\n", "unknown option: colour"},
      {"alice:" + kHash + ":time=1h,time=2h\n", "option given twice"},
      {"alice:" + kHash + ":time=1h,\n", "empty option"},
      {"alice:" + kHash + "\nalice:" + kHash + "\n", "users:2: user alice given twice"},
      {std::string("alice:") + kHash + std::string(1, '\0') + "\n", "NUL byte"},
  };
  for (const auto& c : cases) {
    auto users = parse_users(c.text, "users");
    ASSERT_FALSE(users) << c.text;
    EXPECT_NE(users.error().what.find(c.says), std::string::npos) << users.error().what << " / wanted " << c.says;
  }
}

TEST(UsersFile, NamesAreBoundedAndPlain) {
  EXPECT_TRUE(valid_user_name("a"));
  EXPECT_TRUE(valid_user_name("room.101+guest@hotel_x-y"));
  EXPECT_TRUE(valid_user_name(std::string(64, 'a')));
  EXPECT_FALSE(valid_user_name(std::string(65, 'a')));
  EXPECT_FALSE(valid_user_name(""));
  for (std::string bad : {"a:b", "a b", "a<b", "a\"b", "a\nb", "\xc3\xa9"}) EXPECT_FALSE(valid_user_name(bad)) << bad;
}

TEST(UsersFile, EditsKeepCommentsAndOtherLines) {
  const std::string text = "# staff\nalice:" + kHash + "\n# guests\nbob:" + kHash + ":time=1h\n";
  UserEntry carol{"carol", kHash, "quota=1G", {}, {}};
  std::string added = put_user(text, carol);
  EXPECT_EQ(added, text + "carol:" + kHash + ":quota=1G\n");
  UserEntry bob{"bob", "$argon2id$new", "time=1h", {}, {}};
  std::string changed = put_user(added, bob);
  EXPECT_NE(changed.find("# guests\nbob:$argon2id$new:time=1h\ncarol:"), std::string::npos) << changed;
  EXPECT_EQ(changed.find(kHash + ":time=1h"), std::string::npos);
  auto removed = remove_user(changed, "alice");
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, "# staff\n# guests\nbob:$argon2id$new:time=1h\ncarol:" + kHash + ":quota=1G\n");
  EXPECT_FALSE(remove_user(*removed, "alice"));
  // A name that is a prefix of another's is not that other.
  EXPECT_FALSE(remove_user("alicex:" + kHash + "\n", "alice"));
  // The result parses back to what was put in.
  auto parsed = parse_users(*removed, "users");
  ASSERT_TRUE(parsed) << parsed.error().what;
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].hash, "$argon2id$new");
}

TEST(UsersFile, RoundTripThroughFormatAndParse) {
  for (int i = 0; i < 50; ++i) {
    std::string text;
    std::vector<UserEntry> put;
    for (int j = 0; j <= i % 7; ++j) {
      UserEntry e{"user" + std::to_string(j), kHash, j % 2 ? "time=" + std::to_string(j + 1) + "h" : "", {}, {}};
      text = put_user(text, e);
      put.push_back(e);
    }
    auto parsed = parse_users(text, "users");
    ASSERT_TRUE(parsed) << parsed.error().what;
    ASSERT_EQ(parsed->size(), put.size());
    for (std::size_t j = 0; j < put.size(); ++j) {
      EXPECT_EQ((*parsed)[j].name, put[j].name);
      EXPECT_EQ((*parsed)[j].options, put[j].options);
      EXPECT_EQ(format_user((*parsed)[j]), format_user(put[j]));
    }
  }
}

TEST(Password, HashVerifyRoundTrip) {
  const PwhashParams fast{1, 64 * 1024};
  auto hash = hash_password("correct horse", fast);
  ASSERT_TRUE(hash) << hash.error().message();
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=64,t=1,p=1$")) << *hash;
  EXPECT_TRUE(plausible_hash(*hash));
  EXPECT_TRUE(verify_password(*hash, "correct horse"));
  EXPECT_FALSE(verify_password(*hash, "correct horsf"));
  EXPECT_FALSE(verify_password(*hash, ""));
  // Salted: the same password twice is two hashes, both verifying.
  auto again = hash_password("correct horse", fast);
  ASSERT_TRUE(again);
  EXPECT_NE(*hash, *again);
  EXPECT_TRUE(verify_password(*again, "correct horse"));
  // The parameters travel in the string: verification needs nothing else.
  auto heavier = hash_password("x", PwhashParams{3, 128 * 1024});
  ASSERT_TRUE(heavier);
  EXPECT_NE(heavier->find("m=128,t=3"), std::string::npos);
  EXPECT_TRUE(verify_password(*heavier, "x"));
  EXPECT_FALSE(verify_password("$argon2id$garbage", "x"));
  EXPECT_FALSE(verify_password(std::string(300, '$'), "x"));
  EXPECT_FALSE(hash_password(std::string(kMaxPassword + 1, 'p'), fast));
}

TEST(Password, ParamsAndMemorySizes) {
  EXPECT_EQ(parse_memory("4M"), 4u * 1024 * 1024);
  EXPECT_EQ(parse_memory("4096K"), 4u * 1024 * 1024);
  EXPECT_EQ(parse_memory("65536"), 65536u);
  EXPECT_FALSE(parse_memory(""));
  EXPECT_FALSE(parse_memory("M"));
  EXPECT_FALSE(parse_memory("0M"));
  EXPECT_FALSE(parse_memory("4MB"));
  EXPECT_TRUE(check_params(PwhashParams{}));
  EXPECT_FALSE(check_params(PwhashParams{0, 4u << 20}));
  EXPECT_FALSE(check_params(PwhashParams{2, 1024}));
  EXPECT_FALSE(check_params(PwhashParams{2, std::size_t{2} << 30}));
}

}  // namespace
}  // namespace captive::auth
