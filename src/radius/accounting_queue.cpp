#include "captive/radius/accounting_queue.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "captive/radius/packet.hpp"

namespace captive::radius {

namespace {

// "CAQ" + version 1.
constexpr std::byte kMagic[4] = {std::byte{'C'}, std::byte{'A'}, std::byte{'Q'}, std::byte{1}};
constexpr std::size_t kHashSize = 16;
constexpr std::size_t kFixed = sizeof kMagic + 8 + 2;  // magic, event time, attributes' length
constexpr std::size_t kMaxAttributes = kMaxPacketSize - kHeaderSize;
constexpr std::size_t kMaxFile = kFixed + kMaxAttributes + kHashSize;
constexpr std::string_view kSuffix = ".acct";
constexpr std::size_t kDigits = 20;

void hash(std::span<const std::byte> bytes, std::byte* out) {
  crypto_generichash(reinterpret_cast<unsigned char*>(out), kHashSize,
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr, 0);
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Result<void> fsync_dir(const std::string& dir) {
  Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0) return errno_error("open " + dir);
  if (::fsync(d.fd) != 0) return errno_error("fsync " + dir);
  return {};
}

Result<void> write_all(const std::string& path, std::span<const std::byte> bytes) {
  Fd f{::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
  if (f.fd < 0) return errno_error("open " + path);
  std::size_t at = 0;
  while (at < bytes.size()) {
    const auto n = ::write(f.fd, bytes.data() + at, bytes.size() - at);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("write " + path);
    }
    at += static_cast<std::size_t>(n);
  }
  if (::fsync(f.fd) != 0) return errno_error("fsync " + path);
  return {};
}

Result<std::vector<std::byte>> read_small(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (f.fd < 0) return errno_error("open " + path);
  std::vector<std::byte> out(kMaxFile + 1);
  std::size_t at = 0;
  while (at < out.size()) {
    const auto n = ::read(f.fd, out.data() + at, out.size() - at);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read " + path);
    }
    if (n == 0) break;
    at += static_cast<std::size_t>(n);
  }
  out.resize(at);
  return out;
}

// The sequence number of a queue file name, 0 when it is not one.
std::uint64_t sequence_of(std::string_view name) {
  if (name.size() != kDigits + kSuffix.size() || name.substr(kDigits) != kSuffix) return 0;
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < kDigits; ++i) {
    const char c = name[i];
    if (c < '0' || c > '9') return 0;
    if (n > (UINT64_MAX - 9) / 10) return 0;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

}  // namespace

std::vector<std::byte> encode_queued_record(std::int64_t event_time, std::span<const std::byte> attributes) {
  std::vector<std::byte> out(kMagic, kMagic + sizeof kMagic);
  const auto t = static_cast<std::uint64_t>(event_time);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::byte>((t >> shift) & 0xff));
  const auto n = static_cast<std::uint16_t>(std::min(attributes.size(), kMaxAttributes));
  out.push_back(static_cast<std::byte>(n >> 8));
  out.push_back(static_cast<std::byte>(n & 0xff));
  out.insert(out.end(), attributes.begin(), attributes.begin() + n);
  std::byte digest[kHashSize];
  hash(out, digest);
  out.insert(out.end(), digest, digest + kHashSize);
  return out;
}

Result<QueuedRecord> decode_queued_record(std::span<const std::byte> bytes) {
  if (bytes.size() < kFixed + kHashSize) return make_error(EINVAL, "queued record: cut short");
  if (!std::equal(kMagic, kMagic + sizeof kMagic, bytes.begin()))
    return make_error(EINVAL, "queued record: not a record of this version");
  const std::size_t n = (std::to_integer<std::size_t>(bytes[12]) << 8) | std::to_integer<std::size_t>(bytes[13]);
  if (n > kMaxAttributes) return make_error(EINVAL, "queued record: attributes over 4096 octets");
  if (bytes.size() != kFixed + n + kHashSize) return make_error(EINVAL, "queued record: length does not match");
  std::byte digest[kHashSize];
  hash(bytes.first(kFixed + n), digest);
  if (std::memcmp(digest, bytes.data() + kFixed + n, kHashSize) != 0)
    return make_error(EINVAL, "queued record: checksum mismatch");
  QueuedRecord r;
  std::uint64_t t = 0;
  for (std::size_t i = 4; i < 12; ++i) t = (t << 8) | std::to_integer<std::uint64_t>(bytes[i]);
  r.event_time = static_cast<std::int64_t>(t);
  r.attributes.assign(bytes.begin() + kFixed, bytes.begin() + static_cast<std::ptrdiff_t>(kFixed + n));
  return r;
}

std::string AccountingQueue::path_of(std::uint64_t sequence) const {
  char name[kDigits + 1];
  std::snprintf(name, sizeof name, "%020llu", static_cast<unsigned long long>(sequence));
  return dir_ + "/" + name + std::string(kSuffix);
}

Result<AccountingQueue> AccountingQueue::open(std::string dir, std::size_t max_records, QueueOpened* opened) {
  QueueOpened report;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return errno_error("mkdir " + dir);
  DIR* d = ::opendir(dir.c_str());
  if (!d) return errno_error("opendir " + dir);
  std::vector<std::uint64_t> sequences;
  std::vector<std::string> partial;
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (const auto s = sequence_of(name); s != 0)
      sequences.push_back(s);
    else if (name.size() > 4 && name.front() == '.' && name.substr(name.size() - 4) == ".tmp")
      partial.emplace_back(name);
  }
  const int read_errno = errno;
  ::closedir(d);
  if (read_errno != 0) return make_error(read_errno, "readdir " + dir);

  AccountingQueue q(std::move(dir), max_records);
  // A .tmp was never renamed: its push() did not return success, so
  // nobody counts on it.
  for (const auto& name : partial)
    if (::unlink((q.dir_ + "/" + name).c_str()) == 0) ++report.partial_removed;
  std::sort(sequences.begin(), sequences.end());
  for (const auto s : sequences) {
    const auto path = q.path_of(s);
    auto bytes = read_small(path);
    Result<QueuedRecord> record = bytes ? decode_queued_record(*bytes) : Result<QueuedRecord>(bytes.error());
    if (!record) {
      // Kept for a look, out of the queue's way (a later push never
      // reuses the name: sequences only grow).
      ::rename(path.c_str(), (path + ".bad").c_str());
      ++report.set_aside;
      report.problems.push_back(path + ": " + record.error().message());
      continue;
    }
    record->sequence = s;
    q.records_.push_back(std::move(*record));
    ++report.loaded;
  }
  if (!sequences.empty()) q.next_sequence_ = sequences.back() + 1;
  if (opened) *opened = std::move(report);
  return q;
}

Result<void> AccountingQueue::push(std::int64_t event_time, std::span<const std::byte> attributes) {
  if (records_.size() >= max_records_)
    return make_error(ENOSPC, "accounting queue " + dir_ + ": full (" + std::to_string(max_records_) + " records)");
  if (attributes.size() > kMaxAttributes) return make_error(EMSGSIZE, "accounting record over 4096 octets");
  const auto sequence = next_sequence_;
  const auto path = path_of(sequence);
  const auto slash = path.rfind('/');
  const auto tmp = path.substr(0, slash + 1) + "." + path.substr(slash + 1) + ".tmp";
  const auto bytes = encode_queued_record(event_time, attributes);
  if (auto w = write_all(tmp, bytes); !w) {
    ::unlink(tmp.c_str());
    return w.error();
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto e = errno_error("rename " + tmp);
    ::unlink(tmp.c_str());
    return e;
  }
  if (auto s = fsync_dir(dir_); !s) {
    // The rename may not be durable; take it back so the queue in memory
    // and on disk agree.
    ::unlink(path.c_str());
    return s.error();
  }
  ++next_sequence_;
  records_.push_back(QueuedRecord{sequence, event_time, {attributes.begin(), attributes.end()}});
  return {};
}

Result<void> AccountingQueue::pop() {
  if (records_.empty()) return make_error(ENOENT, "accounting queue " + dir_ + ": empty");
  const auto path = path_of(records_.front().sequence);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error("unlink " + path);
  records_.pop_front();
  // Not durable until the directory is: a power loss may bring the file
  // back, and the record is sent twice (see pop() in the header).
  return fsync_dir(dir_);
}

}  // namespace captive::radius
