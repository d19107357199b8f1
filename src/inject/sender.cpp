// AF_PACKET sender on the LAN device. Thin on purpose: the frames are
// complete (Ethernet header, IP and TCP checksums) when they get here.
#include "captive/inject/sender.hpp"

#include <linux/if_packet.h>  // sockaddr_ll, PACKET_QDISC_BYPASS
#include <net/if.h>           // ifreq, IFNAMSIZ
#include <net/if_arp.h>       // ARPHRD_ETHER
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "captive/util/log.hpp"

namespace captive::inject {
namespace {

constexpr std::size_t kEthernetHeader = 14;

Error errno_on(const char* verb, const std::string& name) {
  const int err = errno;  // before anything allocates
  return make_error(err, std::string(verb) + " " + name);
}

}  // namespace

Result<Device> device_lookup(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return make_error(ENODEV, "interface " + name);
  }
  // Any socket will do for these ioctls; a UDP one needs no privilege.
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_on("interface", name);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  Device dev;
  dev.name = name;
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) return errno_on("interface", name);
  dev.ifindex = ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) return errno_on("interface", name);
  if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
    return make_error(EINVAL, "interface " + name + " is not Ethernet (ARPHRD " +
                                  std::to_string(ifr.ifr_hwaddr.sa_family) + ")");
  }
  std::memcpy(dev.mac.bytes.data(), ifr.ifr_hwaddr.sa_data, dev.mac.bytes.size());
  if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) return errno_on("interface", name);
  dev.mtu = static_cast<std::uint16_t>(std::clamp(ifr.ifr_mtu, 68, 65535));
  return dev;
}

Result<PacketSocketSender> PacketSocketSender::open(const Device& device) {
  // Protocol 0: no packet_type hook is registered, so nothing is ever
  // queued to this socket's receive buffer (packet(7)).
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_on("open packet socket on", device.name);
  PacketSocketSender sender(fd, device.ifindex, device.name);

  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = 0;
  sll.sll_ifindex = device.ifindex;
  if (bind(fd, reinterpret_cast<const sockaddr*>(&sll), sizeof(sll)) < 0) {
    return errno_on("bind packet socket to", device.name);
  }
  // PACKET_QDISC_BYPASS (Linux 3.14): straight to the driver, skipping the
  // qdisc layer. Cheaper per frame; the cost is that a busy TX queue drops
  // the frame instead of queueing it (we count send errors, the client
  // retransmits), and the frames are invisible to tc and to packet sockets
  // (tcpdump) on this host. Not fatal where unsupported.
  const int one = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0) {
    LOG_DEBUG("PACKET_QDISC_BYPASS on %s: %s", device.name.c_str(), std::strerror(errno));
  }
  return sender;
}

PacketSocketSender::PacketSocketSender(PacketSocketSender&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      ifindex_(other.ifindex_),
      name_(std::move(other.name_)) {}

PacketSocketSender& PacketSocketSender::operator=(PacketSocketSender&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    ifindex_ = other.ifindex_;
    name_ = std::move(other.name_);
  }
  return *this;
}

PacketSocketSender::~PacketSocketSender() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::size_t> PacketSocketSender::send_batch(std::span<const std::span<const std::byte>> frames) {
  // One sendmmsg per 64 frames. No address: the socket is bound to the
  // device, and the frames carry their own Ethernet header.
  constexpr std::size_t kChunk = 64;
  std::array<mmsghdr, kChunk> msgs;
  std::array<iovec, kChunk> iovs;
  std::size_t sent = 0;
  while (sent < frames.size()) {
    const std::size_t n = std::min(kChunk, frames.size() - sent);
    for (std::size_t i = 0; i < n; ++i) {
      auto frame = frames[sent + i];
      if (frame.size() < kEthernetHeader) {
        if (sent + i == 0) return make_error(EINVAL, "send on " + name_ + ": frame shorter than an Ethernet header");
        return sent + i;
      }
      iovs[i] = iovec{const_cast<std::byte*>(frame.data()), frame.size()};
      msgs[i] = mmsghdr{};
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int got = ::sendmmsg(fd_, msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (sent == 0) return errno_on("send on", name_);
      return sent;
    }
    sent += static_cast<std::size_t>(got);
    if (static_cast<std::size_t>(got) < n) return sent;  // the rest would have blocked or failed
  }
  return sent;
}

Result<void> PacketSocketSender::send(std::span<const std::byte> frame) {
  if (frame.size() < kEthernetHeader) {
    return make_error(EINVAL, "send on " + name_ + ": frame shorter than an Ethernet header");
  }
  // SOCK_RAW: the frame goes out as it is; the address only names the
  // device (sll_addr/sll_protocol are taken from the frame itself).
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifindex_;
  to.sll_halen = 6;
  std::memcpy(to.sll_addr, frame.data(), 6);
  std::memcpy(&to.sll_protocol, frame.data() + 12, sizeof(to.sll_protocol));
  for (;;) {
    const ssize_t n = ::sendto(fd_, frame.data(), frame.size(), MSG_DONTWAIT,
                               reinterpret_cast<const sockaddr*>(&to), sizeof(to));
    if (n >= 0) {
      if (static_cast<std::size_t>(n) != frame.size()) {
        return make_error(EIO, "send on " + name_ + ": short write");
      }
      return {};
    }
    if (errno == EINTR) continue;
    return errno_on("send on", name_);
  }
}

}  // namespace captive::inject
