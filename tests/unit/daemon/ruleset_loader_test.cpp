#include "captive/daemon/ruleset_loader.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace captive::daemon {
namespace {

packet::IpAddr ip(const char* text) { return *packet::IpAddr::parse(text); }

TEST(RulesetLoader, LoadScriptIncludesTheFileAndAddsTheResolversInOneScript) {
  std::vector<packet::IpAddr> dns = {ip("198.51.100.53"), ip("2001:db8::53"), ip("203.0.113.5")};
  EXPECT_EQ(load_script("/usr/share/captive/captive.nft", dns),
            "include \"/usr/share/captive/captive.nft\"\n"
            "add element inet captive dns_ip4 { 198.51.100.53, 203.0.113.5 }\n"
            "add element inet captive dns_ip6 { 2001:db8::53 }\n");
}

TEST(RulesetLoader, NoResolversMeansNoElements) {
  EXPECT_EQ(load_script("/x/captive.nft", {}), "include \"/x/captive.nft\"\n");
  std::vector<packet::IpAddr> v6only = {ip("2001:db8::1")};
  EXPECT_EQ(load_script("/x/captive.nft", v6only),
            "include \"/x/captive.nft\"\nadd element inet captive dns_ip6 { 2001:db8::1 }\n");
}

TEST(RulesetLoader, DnsSetsScriptFlushesBothSetsThenAdds) {
  EXPECT_EQ(dns_sets_script({}), "flush set inet captive dns_ip4\nflush set inet captive dns_ip6\n");
  std::vector<packet::IpAddr> dns = {ip("192.0.2.53")};
  EXPECT_EQ(dns_sets_script(dns),
            "flush set inet captive dns_ip4\nflush set inet captive dns_ip6\n"
            "add element inet captive dns_ip4 { 192.0.2.53 }\n");
}

TEST(RulesetLoader, ArgvDefinesTheInterfaceAsAnNftStringAndReadsStdin) {
  RulesetLoad load{"/usr/sbin/nft", {"br-lan"}, 9000, "/r.nft", {}, 9443};
  // Both portal ports: chain portal_input records the peers of each.
  EXPECT_EQ(nft_argv(load), (std::vector<std::string>{"/usr/sbin/nft", "-D", "lan=\"br-lan\"", "-D", "portal_port=9000",
                                                      "-D", "portal_tls_port=9443", "-f", "-"}));
}

// More than one LAN: an anonymous set of names, which each `iifname $lan`
// and `oifname $lan` of captive.nft matches as a whole (as install-ruleset
// --lan A --lan B writes it).
TEST(RulesetLoader, SeveralLansAreAnAnonymousSet) {
  RulesetLoad load{"/usr/sbin/nft", {"br-guest", "br-hotel"}, 8511, "/r.nft", {}, 8443};
  EXPECT_EQ(nft_argv(load), (std::vector<std::string>{"/usr/sbin/nft", "-D", "lan={\"br-guest\",\"br-hotel\"}", "-D",
                                                      "portal_port=8511", "-D", "portal_tls_port=8443", "-f", "-"}));
}

TEST(RulesetLoader, IncludablePaths) {
  EXPECT_TRUE(includable_path("/usr/share/captive/captive.nft"));
  EXPECT_TRUE(includable_path("/with space/x.nft"));
  for (const char* bad : {"", "captive.nft", "./captive.nft", "/a\"b", "/a\nb", "/a\tb"})
    EXPECT_FALSE(includable_path(bad)) << bad;
}

// A scratch directory with fake programs in it.
class RulesetLoaderFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "captive-loader-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const auto& f : files_) std::remove(f.c_str());
    ::rmdir((dir_ + "/bin").c_str());
    ::rmdir(dir_.c_str());
  }
  std::string write(const std::string& name, const std::string& text, mode_t mode) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    files_.push_back(path);
    return path;
  }
  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(RulesetLoaderFiles, FindNftOverrideMustBeAnExecutableFile) {
  std::string exe = write("mynft", "#!/bin/sh\n", 0755);
  std::string plain = write("notexe", "", 0644);
  auto found = find_nft(exe, "");
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_EQ(*found, exe);
  auto r = find_nft(plain, "");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("--nft " + plain + ": not an executable file"), std::string::npos)
      << r.error().message();
  r = find_nft(dir_ + "/none", "/usr/sbin");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOENT);
  EXPECT_FALSE(find_nft(dir_, ""));  // a directory is not a program
  EXPECT_FALSE(find_nft("relative/nft", ""));
}

TEST_F(RulesetLoaderFiles, FindNftSearchesPathFirstAndSkipsRelativeEntries) {
  ASSERT_EQ(::mkdir((dir_ + "/bin").c_str(), 0755), 0);
  std::string fake = write("bin/nft", "#!/bin/sh\n", 0755);
  std::string fake_bin = dir_ + "/bin";
  // A relative entry is skipped even when it names the same directory.
  ASSERT_EQ(::chdir(dir_.c_str()), 0);
  auto found = find_nft("", "bin:/nonexistent-captive-dir", fake_bin);
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_EQ(*found, fake) << "found through the fallback, not the relative PATH entry";
  found = find_nft("", "/nonexistent-captive-dir:" + fake_bin + ":/usr/sbin", "");
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_EQ(*found, fake);
  ASSERT_EQ(::chdir("/"), 0);
  // A non-executable nft is passed over.
  ::chmod(fake.c_str(), 0644);
  auto r = find_nft("", fake_bin, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOENT);
}

TEST(RulesetLoader, FindNftNotFoundNamesWhatWasTried) {
  auto r = find_nft("", "/nonexistent-captive-a:relative", "/nonexistent-captive-b:/nonexistent-captive-a");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "nft not found (tried /nonexistent-captive-a/nft, /nonexistent-captive-b/nft; install nftables or pass "
            "--nft PATH): No such file or directory");
}

TEST(RulesetLoader, FindNftDefaultsToTheSystemDirectories) {
  // This machine has nft in /usr/sbin (scripts/install-deps): an empty PATH
  // still finds it, as a daemon started with a minimal environment must.
  auto r = find_nft("", "");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, "/usr/sbin/nft");
}

TEST_F(RulesetLoaderFiles, RunWithInputFeedsStdinAndReportsTheExitStatus) {
  std::string out = dir_ + "/out";
  files_.push_back(out);
  std::string prog = write("cat-to-file", "#!/bin/sh\ncat > \"$1\"\nexit \"$2\"\n", 0755);
  ASSERT_TRUE(run_with_input({prog, out, "0"}, "include \"/x\"\n"));
  std::ifstream in(out);
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, "include \"/x\"\n");

  auto r = run_with_input({prog, out, "3"}, "x");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("exit status 3"), std::string::npos) << r.error().message();
  // A program that exits without reading its input is no problem (no SIGPIPE).
  EXPECT_TRUE(run_with_input({"/bin/true"}, std::string(2000, 'x')));
  EXPECT_FALSE(run_with_input({"true"}, ""));  // no $PATH search
  EXPECT_FALSE(run_with_input({dir_ + "/none"}, ""));
}

}  // namespace
}  // namespace captive::daemon

// The lists and the walled garden go in with the table (one transaction)
// and are replaced as a whole at run time; dnsmasq's sets are never touched.
namespace captive::daemon {
namespace {

ListSets with_lists() {
  ListSets load;
  load.trusted = {*packet::MacAddr::parse("02:00:00:00:00:01"), *packet::MacAddr::parse("02:00:00:00:00:02")};
  load.blocked = {*packet::MacAddr::parse("02:00:00:00:00:03")};
  load.garden = {*session::IpPrefix::parse("203.0.113.0/28"), *session::IpPrefix::parse("2001:db8:3::/64"),
                 *session::IpPrefix::parse("198.51.100.7")};
  return load;
}

TEST(RulesetLists, LoadScriptCarriesTheLists) {
  RulesetLoad file;
  file.ruleset = "/x/captive.nft";
  EXPECT_EQ(load_script_with_lists(file, with_lists()),
            "include \"/x/captive.nft\"\n"
            "add element inet captive trusted { 02:00:00:00:00:01, 02:00:00:00:00:02 }\n"
            "add element inet captive blocked { 02:00:00:00:00:03 }\n"
            "add element inet captive garden_ip4 { 203.0.113.0/28, 198.51.100.7 }\n"
            "add element inet captive garden_ip6 { 2001:db8:3::/64 }\n");
  EXPECT_EQ(load_script_with_lists(file, {}), "include \"/x/captive.nft\"\n");
}

TEST(RulesetLists, ReplaceFlushesOursNotDnsmasqs) {
  const std::string script = lists_script(with_lists());
  EXPECT_EQ(script.rfind("flush set inet captive trusted\nflush set inet captive blocked\n"
                         "flush set inet captive garden_ip4\nflush set inet captive garden_ip6\n", 0),
            0u);
  EXPECT_NE(script.find("add element inet captive blocked { 02:00:00:00:00:03 }\n"), std::string::npos);
  EXPECT_EQ(script.find("garden_dns"), std::string::npos);
  EXPECT_EQ(lists_script(ListSets{}).find("add element"), std::string::npos) << "an empty list only flushes";
}

TEST(RulesetLists, LargestListsFitOnePipeWrite) {
  RulesetLoad file;
  file.ruleset = "/usr/share/captive/captive.nft";
  ListSets load;
  for (std::size_t i = 0; i < session::kMaxListMacs; ++i) {
    packet::MacAddr m{{0x02, 0xff, 0xff, 0xff, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)}};
    load.trusted.push_back(m);
    m.bytes[1] = 0xee;
    load.blocked.push_back(m);
  }
  for (std::size_t i = 0; i < session::kMaxGardenPrefixes; ++i)
    load.garden.push_back(*session::IpPrefix::parse("2001:db8:ffff:" + std::to_string(1000 + i) + ":ffff:ffff:ffff:ff00/120"));
  for (int i = 0; i < 32; ++i)
    file.dns_servers.push_back(*packet::IpAddr::parse("2001:db8:ffff:ffff:ffff:ffff:ffff:" + std::to_string(1000 + i)));
  // A pipe holds 64 KiB by default (pipe(7)); run_with_input writes once.
  EXPECT_LT(load_script_with_lists(file, load).size(), 65536u);
  EXPECT_LT((dns_sets_script(file.dns_servers) + lists_script(load)).size(), 65536u);
}

}  // namespace
}  // namespace captive::daemon
