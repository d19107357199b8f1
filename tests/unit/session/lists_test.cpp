// The MAC lists, the walled garden's values and the list file: what an
// operator types is refused with a reason or taken exactly; the file survives
// a round trip and a damaged file never stops the daemon.
#include "captive/session/lists.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <random>

namespace captive::session {
namespace {

packet::MacAddr mac(std::string_view text) { return *packet::MacAddr::parse(text); }

TEST(ListMac, UnicastOnly) {
  ASSERT_TRUE(parse_list_mac("02:00:00:00:01:02"));
  EXPECT_EQ(parse_list_mac("02-00-00-00-01-0A")->to_string(), "02:00:00:00:01:0a");
  EXPECT_FALSE(parse_list_mac("00:00:00:00:00:00"));
  EXPECT_FALSE(parse_list_mac("01:00:5e:00:00:01"));  // multicast: never a source
  EXPECT_FALSE(parse_list_mac("ff:ff:ff:ff:ff:ff"));
  EXPECT_FALSE(parse_list_mac("02:00:00:00:01"));
  EXPECT_FALSE(parse_list_mac(""));
  EXPECT_NE(parse_list_mac("nonsense").error().what.find("nonsense"), std::string::npos);
}

TEST(IpPrefix, HostsAndPrefixes) {
  auto host = IpPrefix::parse("203.0.113.7");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->length, 32);
  EXPECT_EQ(host->to_string(), "203.0.113.7");
  auto net = IpPrefix::parse("203.0.113.0/28");
  ASSERT_TRUE(net);
  EXPECT_EQ(net->to_string(), "203.0.113.0/28");
  auto v6 = IpPrefix::parse("2001:db8:3::/64");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->to_string(), "2001:db8:3::/64");
  EXPECT_EQ(IpPrefix::parse("2001:db8::1/128")->to_string(), "2001:db8::1");
}

TEST(IpPrefix, Refused) {
  for (const char* bad : {"", "/24", "203.0.113.0/", "203.0.113.0/33", "203.0.113.5/24", "2001:db8::1/64",
                          "2001:db8::/129", "0.0.0.0/0", "::/0", "203.0.113.0/2x", "203.0.113.0/-1",
                          "example.org", "fe80::1%eth0", "::ffff:203.0.113.0/120", "203.0.113.0/0024"}) {
    EXPECT_FALSE(IpPrefix::parse(bad)) << bad;
  }
  EXPECT_NE(IpPrefix::parse("203.0.113.5/24").error().what.find("host bits"), std::string::npos);
}

TEST(Domain, Accepted) {
  EXPECT_EQ(*parse_domain("garden.example"), "garden.example");
  EXPECT_EQ(*parse_domain("Login.Garden.Example."), "login.garden.example");
  EXPECT_EQ(*parse_domain("a-b.x1.example"), "a-b.x1.example");
  EXPECT_TRUE(parse_domain(std::string(63, 'a') + ".example"));
}

TEST(Domain, Refused) {
  for (std::string bad : {std::string(""), std::string("."), std::string("example"), std::string("-a.example"),
                          std::string("a-.example"), std::string("a..example"), std::string("a b.example"),
                          std::string("a/b.example"), std::string("a#b.example"), std::string("a,b.example"),
                          std::string("*.example"), std::string(64, 'a') + ".example",
                          std::string(250, 'a').insert(60, ".").insert(120, ".").insert(180, ".") + ".example"}) {
    EXPECT_FALSE(parse_domain(bad)) << bad;
  }
}

TEST(Dnsmasq, SnippetNamesOurSets) {
  std::string s = dnsmasq_snippet({"garden.example", "login.example"});
  EXPECT_NE(s.find("nftset=/garden.example/4#inet#captive#garden_dns4,6#inet#captive#garden_dns6\n"),
            std::string::npos);
  EXPECT_NE(s.find("nftset=/login.example/4#inet#captive#garden_dns4,6#inet#captive#garden_dns6\n"),
            std::string::npos);
  std::string none = dnsmasq_snippet({});
  EXPECT_EQ(none.find("nftset="), std::string::npos);
}

TEST(MacLists, ConfigConflictRefused) {
  auto both = MacLists::from_config({mac("02:00:00:00:00:01")}, {mac("02:00:00:00:00:01")});
  ASSERT_FALSE(both);
  EXPECT_NE(both.error().what.find("02:00:00:00:00:01"), std::string::npos);
}

TEST(MacLists, RuntimeChangesAndConfigWins) {
  const auto printer = mac("02:00:00:00:00:01"), pest = mac("02:00:00:00:00:02"), x = mac("02:00:00:00:00:03");
  auto lists = MacLists::from_config({printer}, {pest});
  ASSERT_TRUE(lists);
  EXPECT_TRUE(lists->is_trusted(printer));
  EXPECT_TRUE(lists->is_blocked(pest));
  // The configuration cannot be undone at run time.
  EXPECT_EQ(lists->block(printer).error().code, EPERM);
  EXPECT_EQ(lists->trust(pest).error().code, EPERM);
  EXPECT_EQ(lists->unblock(pest).error().code, EPERM);
  EXPECT_EQ(lists->untrust(printer).error().code, EPERM);
  EXPECT_FALSE(*lists->trust(printer));  // already so
  // Run time: block, then trust moves it, unblock of a non-blocked is ENOENT.
  EXPECT_TRUE(*lists->block(x));
  EXPECT_FALSE(*lists->block(x));
  EXPECT_TRUE(lists->is_blocked(x));
  EXPECT_TRUE(*lists->trust(x));
  EXPECT_FALSE(lists->is_blocked(x));
  EXPECT_TRUE(lists->is_trusted(x));
  EXPECT_EQ(lists->unblock(x).error().code, ENOENT);
  EXPECT_EQ(lists->trusted(), (std::vector<packet::MacAddr>{printer, x}));
  EXPECT_EQ(lists->blocked(), (std::vector<packet::MacAddr>{pest}));
  auto entries = lists->trusted_entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].source, ListSource::config);
  EXPECT_EQ(entries[1].source, ListSource::runtime);
  EXPECT_TRUE(*lists->untrust(x));
  EXPECT_FALSE(lists->is_trusted(x));
}

TEST(MacLists, FullListRefused) {
  MacLists lists;
  for (std::size_t i = 0; i < kMaxListMacs; ++i) {
    packet::MacAddr m{{0x02, 0, 0, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)}};
    ASSERT_TRUE(lists.block(m));
  }
  EXPECT_EQ(lists.block(mac("02:00:00:ff:ff:ff")).error().code, ENOSPC);
}

TEST(MacLists, FileRoundTripsRuntimeEntriesOnly) {
  std::mt19937 rng(9);
  for (int round = 0; round < 50; ++round) {
    auto lists = *MacLists::from_config({mac("02:00:00:00:00:01")}, {});
    for (int i = 0; i < 20; ++i) {
      packet::MacAddr m{{0x02, 0, 0, 0, 1, static_cast<std::uint8_t>(rng() % 64)}};
      switch (rng() % 3) {
        case 0: (void)lists.trust(m); break;
        case 1: (void)lists.block(m); break;
        default: (void)lists.unblock(m); break;
      }
    }
    std::string file = lists.runtime_file();
    EXPECT_EQ(file.find("02:00:00:00:00:01"), std::string::npos) << "a config entry in the file";
    auto again = *MacLists::from_config({mac("02:00:00:00:00:01")}, {});
    std::vector<std::string> skipped;
    again.load_runtime_file(file, skipped);
    EXPECT_TRUE(skipped.empty());
    EXPECT_EQ(again.trusted(), lists.trusted());
    EXPECT_EQ(again.blocked(), lists.blocked());
    EXPECT_EQ(again.runtime_file(), file);
  }
}

TEST(MacLists, DamagedFileSkipsLinesWithReasons) {
  auto lists = *MacLists::from_config({}, {mac("02:00:00:00:00:09")});
  std::vector<std::string> skipped;
  lists.load_runtime_file(
      "# comment\n\ntrust 02:00:00:00:00:01\r\nblock nonsense\nfrobnicate 02:00:00:00:00:02\n"
      "trust 02:00:00:00:00:09\n  block   02:00:00:00:00:03  \ntrust",
      skipped);
  EXPECT_TRUE(lists.is_trusted(mac("02:00:00:00:00:01")));
  EXPECT_TRUE(lists.is_blocked(mac("02:00:00:00:00:03")));
  EXPECT_FALSE(lists.is_trusted(mac("02:00:00:00:00:09")));  // the config's block wins
  ASSERT_EQ(skipped.size(), 4u);
  EXPECT_NE(skipped[0].find("lists:4:"), std::string::npos) << skipped[0];
  EXPECT_NE(skipped[1].find("lists:5:"), std::string::npos) << skipped[1];
  EXPECT_NE(skipped[2].find("lists:6:"), std::string::npos) << skipped[2];
  EXPECT_NE(skipped[3].find("lists:8:"), std::string::npos) << skipped[3];
}

TEST(AtomicFile, WritesReplacesAndLeavesNoTemp) {
  char tmpl[] = "/tmp/captive-lists-test.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  EXPECT_FALSE(read_small_file(dir + "/lists")->has_value());
  ASSERT_TRUE(write_file_atomically(dir, "lists", "one\n"));
  ASSERT_TRUE(write_file_atomically(dir, "lists", "two\n"));
  auto got = read_small_file(dir + "/lists");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ(**got, "two\n");
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/lists").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(::stat((dir + "/lists.tmp").c_str(), &st), 0);
  // A temp file left by a crash does not stop the next write.
  ASSERT_TRUE(write_file_atomically(dir, "lists.tmp", "junk"));
  ASSERT_TRUE(write_file_atomically(dir, "lists", "three\n"));
  EXPECT_EQ(**read_small_file(dir + "/lists"), "three\n");
  EXPECT_FALSE(write_file_atomically(dir + "/missing", "lists", "x"));
  ::unlink((dir + "/lists").c_str());
  ::unlink((dir + "/lists.tmp").c_str());
  ::rmdir(dir.c_str());
}

// The users file on Debian is root:captive 0640: root's edit (captivectl
// user) must leave captived, running as captive, able to read it, and a
// world bit set by hand is not carried over.
TEST(AtomicFile, ReplacingKeepsOwnerGroupAndGroupRead) {
  char tmpl[] = "/tmp/captive-lists-test.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl, path = dir + "/users";
  ASSERT_TRUE(write_file_atomically(dir, "users", "a\n"));
  const gid_t group = ::getuid() == 0 ? 65534 : ::getgid();  // nogroup when root may give it
  ASSERT_EQ(::chown(path.c_str(), ::getuid(), group), 0);
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  ASSERT_TRUE(write_file_atomically(dir, "users", "b\n"));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::getuid());
  EXPECT_EQ(st.st_gid, group);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace captive::session

namespace captive::session {
namespace {

TEST(MacListsReload, ConfigReplacedRuntimeKeptUnlessContradicted) {
  const auto a = *packet::MacAddr::parse("02:00:00:00:00:01"), b = *packet::MacAddr::parse("02:00:00:00:00:02"),
             c = *packet::MacAddr::parse("02:00:00:00:00:03"), d = *packet::MacAddr::parse("02:00:00:00:00:04");
  auto lists = *MacLists::from_config({a}, {});
  ASSERT_TRUE(lists.trust(b));
  ASSERT_TRUE(lists.block(c));
  ASSERT_TRUE(lists.block(d));
  // New file: a no longer trusted, c trusted (contradicts the run-time block), d blocked (repeats it).
  auto dropped = lists.replace_config({c}, {d});
  ASSERT_TRUE(dropped);
  ASSERT_EQ(dropped->size(), 1u);
  EXPECT_NE((*dropped)[0].find("02:00:00:00:00:03"), std::string::npos);
  EXPECT_FALSE(lists.is_trusted(a));
  EXPECT_TRUE(lists.is_trusted(b));
  EXPECT_TRUE(lists.is_trusted(c));
  EXPECT_FALSE(lists.is_blocked(c));
  EXPECT_TRUE(lists.is_blocked(d));
  EXPECT_EQ(lists.runtime_file().find("block 02:00:00:00:00:04"), std::string::npos) << "now a config entry";
  // A bad new configuration changes nothing.
  EXPECT_FALSE(lists.replace_config({a}, {a}));
  EXPECT_TRUE(lists.is_trusted(c));
  EXPECT_FALSE(lists.is_trusted(a));
}

}  // namespace
}  // namespace captive::session
