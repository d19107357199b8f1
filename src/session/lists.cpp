#include "captive/session/lists.hpp"
#include "captive/util/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace captive::session {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string shown(std::string_view text) { return excerpt(text); }

std::vector<packet::MacAddr> union_of(const std::set<packet::MacAddr>& a, const std::set<packet::MacAddr>& b) {
  std::vector<packet::MacAddr> out;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::vector<ListEntry> entries_of(const std::set<packet::MacAddr>& config, const std::set<packet::MacAddr>& runtime) {
  std::vector<ListEntry> out;
  for (const auto& m : config) out.push_back({m, ListSource::config});
  for (const auto& m : runtime)
    if (!config.contains(m)) out.push_back({m, ListSource::runtime});
  return out;
}

}  // namespace

Result<packet::MacAddr> parse_list_mac(std::string_view text) {
  auto mac = packet::MacAddr::parse(text);
  if (!mac) return make_error(EINVAL, "not a MAC address: " + shown(text));
  if (mac->is_zero() || mac->is_multicast()) return make_error(EINVAL, "not a unicast MAC address: " + shown(text));
  return *mac;
}

Result<IpPrefix> IpPrefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  std::string_view addr_text = text.substr(0, slash);
  // A zone id (fe80::1%eth0) means nothing to a forwarded destination.
  auto address = addr_text.find('%') == std::string_view::npos ? packet::IpAddr::parse(addr_text) : std::nullopt;
  if (!address) return make_error(EINVAL, "not an IPv4 or IPv6 address: " + shown(text));
  const unsigned max = address->is_v4() ? 32 : 128;
  unsigned length = max;
  if (slash != std::string_view::npos) {
    std::string_view len_text = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), length);
    if (len_text.empty() || len_text.size() > 3 || ec != std::errc() || end != len_text.data() + len_text.size() ||
        length > max)
      return make_error(EINVAL, "not a prefix length (0-" + std::to_string(max) + "): " + shown(text));
    // An IPv4-mapped ::ffff:a.b.c.d/LEN comes back as IPv4: its length
    // counted the 96 bits of the mapping.
    if (address->is_v4() && addr_text.find(':') != std::string_view::npos)
      return make_error(EINVAL, "an IPv4-mapped address with a prefix length: write the IPv4 prefix: " + shown(text));
  }
  if (length == 0) return make_error(EINVAL, "a /0 garden is the whole Internet: " + shown(text));
  for (unsigned bit = length; bit < max; ++bit)
    if (address->bytes[bit / 8] & (0x80u >> (bit % 8)))
      return make_error(EINVAL, "host bits set beyond /" + std::to_string(length) + ": " + shown(text));
  return IpPrefix{*address, static_cast<std::uint8_t>(length)};
}

std::string IpPrefix::to_string() const {
  const unsigned max = address.is_v4() ? 32 : 128;
  if (length == max) return address.to_string();
  return address.to_string() + "/" + std::to_string(length);
}

Result<std::string> parse_domain(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text.empty() || text.size() > 253) return make_error(EINVAL, "not a domain name (1-253 bytes): " + shown(text));
  std::string out;
  std::size_t label = 0, labels = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (label == 0 || text[i - 1] == '-') return make_error(EINVAL, "not a domain name (empty label or '-' at a label's end): " + shown(text));
      label = 0;
      ++labels;
      out += c;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return make_error(EINVAL, "not a domain name (letters, digits, '-' and '.' only): " + shown(text));
    if (c == '-' && label == 0) return make_error(EINVAL, "not a domain name ('-' at a label's start): " + shown(text));
    if (++label > 63) return make_error(EINVAL, "not a domain name (a label longer than 63 bytes): " + shown(text));
    out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  if (label == 0 || text.back() == '-') return make_error(EINVAL, "not a domain name: " + shown(text));
  // One label would put a whole top-level domain in the garden.
  if (labels < 2) return make_error(EINVAL, "not a domain name with at least two labels: " + shown(text));
  return out;
}

std::string dnsmasq_snippet(const std::vector<std::string>& domains) {
  std::string out =
      "# Written by captived from its --allow-domain list (docs/walled-garden.md).\n"
      "# dnsmasq puts every address it resolves for these names (and the names\n"
      "# below them) into the walled garden sets of table inet captive.\n";
  if (domains.empty()) return out + "# (no --allow-domain: nothing to add)\n";
  // One line per name: dnsmasq takes several /name/ in one nftset=, but a
  // line each keeps a long list readable and its errors local.
  for (const auto& d : domains) out += "nftset=/" + d + "/4#inet#captive#garden_dns4,6#inet#captive#garden_dns6\n";
  return out;
}

Result<MacLists> MacLists::from_config(const std::vector<packet::MacAddr>& trusted,
                                       const std::vector<packet::MacAddr>& blocked) {
  MacLists lists;
  lists.config_trusted_.insert(trusted.begin(), trusted.end());
  lists.config_blocked_.insert(blocked.begin(), blocked.end());
  for (const auto& m : lists.config_trusted_)
    if (lists.config_blocked_.contains(m))
      return make_error(EINVAL, m.to_string() + " is both a trusted-mac and a blocked-mac");
  if (lists.config_trusted_.size() > kMaxListMacs || lists.config_blocked_.size() > kMaxListMacs)
    return make_error(EINVAL, "more than " + std::to_string(kMaxListMacs) + " MACs in a list");
  return lists;
}

Result<std::vector<std::string>> MacLists::replace_config(const std::vector<packet::MacAddr>& trusted,
                                                          const std::vector<packet::MacAddr>& blocked) {
  auto fresh = from_config(trusted, blocked);
  if (!fresh) return fresh.error();
  std::vector<std::string> dropped;
  config_trusted_ = std::move(fresh->config_trusted_);
  config_blocked_ = std::move(fresh->config_blocked_);
  for (auto it = runtime_trusted_.begin(); it != runtime_trusted_.end();) {
    if (config_blocked_.contains(*it)) {
      dropped.push_back("run-time trust of " + it->to_string() + " dropped: blocked in the configuration");
    } else if (!config_trusted_.contains(*it)) {
      ++it;
      continue;
    }
    it = runtime_trusted_.erase(it);
  }
  for (auto it = runtime_blocked_.begin(); it != runtime_blocked_.end();) {
    if (config_trusted_.contains(*it)) {
      dropped.push_back("run-time block of " + it->to_string() + " dropped: trusted in the configuration");
    } else if (!config_blocked_.contains(*it)) {
      ++it;
      continue;
    }
    it = runtime_blocked_.erase(it);
  }
  return dropped;
}

Result<bool> MacLists::trust(const packet::MacAddr& mac) {
  if (config_blocked_.contains(mac))
    return make_error(EPERM, mac.to_string() + " is blocked in the configuration (blocked-mac): remove it there");
  if (is_trusted(mac)) return false;
  if (runtime_trusted_.size() >= kMaxListMacs) return make_error(ENOSPC, "the trusted list is full");
  runtime_blocked_.erase(mac);
  runtime_trusted_.insert(mac);
  return true;
}

Result<bool> MacLists::block(const packet::MacAddr& mac) {
  if (config_trusted_.contains(mac))
    return make_error(EPERM, mac.to_string() + " is trusted in the configuration (trusted-mac): remove it there");
  if (is_blocked(mac)) return false;
  if (runtime_blocked_.size() >= kMaxListMacs) return make_error(ENOSPC, "the blocked list is full");
  runtime_trusted_.erase(mac);
  runtime_blocked_.insert(mac);
  return true;
}

Result<bool> MacLists::unblock(const packet::MacAddr& mac) {
  if (config_blocked_.contains(mac))
    return make_error(EPERM, mac.to_string() + " is blocked in the configuration (blocked-mac): remove it there");
  if (runtime_blocked_.erase(mac) == 0) return make_error(ENOENT, mac.to_string() + " is not blocked");
  return true;
}

Result<bool> MacLists::untrust(const packet::MacAddr& mac) {
  if (config_trusted_.contains(mac))
    return make_error(EPERM, mac.to_string() + " is trusted in the configuration (trusted-mac): remove it there");
  if (runtime_trusted_.erase(mac) == 0) return make_error(ENOENT, mac.to_string() + " is not trusted");
  return true;
}

bool MacLists::is_trusted(const packet::MacAddr& mac) const {
  return config_trusted_.contains(mac) || runtime_trusted_.contains(mac);
}
bool MacLists::is_blocked(const packet::MacAddr& mac) const {
  return config_blocked_.contains(mac) || runtime_blocked_.contains(mac);
}
std::vector<packet::MacAddr> MacLists::trusted() const { return union_of(config_trusted_, runtime_trusted_); }
std::vector<packet::MacAddr> MacLists::blocked() const { return union_of(config_blocked_, runtime_blocked_); }
std::vector<ListEntry> MacLists::trusted_entries() const { return entries_of(config_trusted_, runtime_trusted_); }
std::vector<ListEntry> MacLists::blocked_entries() const { return entries_of(config_blocked_, runtime_blocked_); }

std::string MacLists::runtime_file() const {
  std::string out =
      "# captived lists: the run-time entries (captivectl trust/block/unblock/untrust).\n"
      "# Written by captived; the configuration's entries are not repeated here.\n";
  for (const auto& m : runtime_trusted_) out += "trust " + m.to_string() + "\n";
  for (const auto& m : runtime_blocked_) out += "block " + m.to_string() + "\n";
  return out;
}

void MacLists::load_runtime_file(std::string_view text, std::vector<std::string>& skipped) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = std::string(kListsFileName) + ":" + std::to_string(line_no) + ": ";
    auto space = line.find_first_of(" \t");
    std::string_view verb = line.substr(0, space);
    std::string_view value = space == std::string_view::npos ? std::string_view() : trim(line.substr(space + 1));
    auto mac = parse_list_mac(value);
    if (!mac) {
      skipped.push_back(where + mac.error().what);
      continue;
    }
    Result<bool> done = verb == "trust"   ? trust(*mac)
                        : verb == "block" ? block(*mac)
                                          : Result<bool>(make_error(EINVAL, "unknown entry: " + shown(verb)));
    if (!done) skipped.push_back(where + done.error().what);
  }
}

Result<void> write_file_atomically(const std::string& dir, std::string_view name, std::string_view content) {
  const std::string path = dir + "/" + std::string(name);
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());  // a temp file left by a crash
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error("create " + tmp);
  // A file replaced keeps its owner and group, and its group's read bit
  // (never more): root editing /etc/captive/users (root:captive 0640) for a
  // captived running as user captive must not lock the daemon out of it.
  // Not root: fchown fails and the file is the writer's own, as before.
  if (struct stat old{}; ::stat(path.c_str(), &old) == 0 && S_ISREG(old.st_mode)) {
    if (::fchown(fd, old.st_uid, old.st_gid) == 0) ::fchmod(fd, old.st_mode & 0640);
  }
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Error e = errno_error("write " + tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return e;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Error e = errno_error("fsync " + tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = errno_error("rename " + tmp + " to " + path);
    ::unlink(tmp.c_str());
    return e;
  }
  // fsync(2): syncing the file does not write its directory entry; without
  // this a power cut after the rename may bring back the old file.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return errno_error("open " + dir + " to sync it");
  const bool synced = ::fsync(dfd) == 0;
  Error e = synced ? Error{} : errno_error("fsync " + dir);
  ::close(dfd);
  if (!synced) return e;
  return {};
}

Result<std::optional<std::string>> read_small_file(const std::string& path) {
  // Two full lists are ~40 KB; more is not our file.
  auto text = util::read_file(path, std::size_t{1} << 20, O_NOFOLLOW);
  if (!text) {
    if (text.error().code == ENOENT) return std::optional<std::string>();
    return text.error();
  }
  return std::optional<std::string>(std::move(*text));
}

}  // namespace captive::session
