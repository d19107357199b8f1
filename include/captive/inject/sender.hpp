// Sends ready-made Ethernet frames out of the LAN device (AF_PACKET).
// The frames carry their own Ethernet header and full checksums: nothing
// offloads them for us on this path (KERNEL-NOTES).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "captive/packet/address.hpp"
#include "captive/util/result.hpp"

namespace captive::inject {

// What services see: fakes implement it in tests.
class Sender {
 public:
  virtual ~Sender() = default;
  // Never blocks; a full socket buffer is an error (EAGAIN) the caller counts.
  virtual Result<void> send(std::span<const std::byte> frame) = 0;
  // Sends frames in order with as few system calls as the kernel allows
  // (sendmmsg). Returns how many went out; stops at the first that could
  // not (its error is the Error when none went out). Never blocks.
  virtual Result<std::size_t> send_batch(std::span<const std::span<const std::byte>> frames) {
    std::size_t sent = 0;
    for (auto frame : frames) {
      if (auto r = send(frame); !r) {
        if (sent == 0) return r.error();
        break;
      }
      ++sent;
    }
    return sent;
  }
};

// The LAN device as the daemon needs to know it.
struct Device {
  std::string name;
  int ifindex = 0;
  packet::MacAddr mac;
  std::uint16_t mtu = 1500;
};

// Looks the device up (SIOCGIFINDEX, SIOCGIFHWADDR, SIOCGIFMTU). Needs no
// privilege, never blocks. Errors: "interface eth9: No such device"; a
// device that is not Ethernet (ARPHRD_ETHER) is EINVAL.
Result<Device> device_lookup(const std::string& name);

class PacketSocketSender final : public Sender {
 public:
  // Opens a non-blocking AF_PACKET/SOCK_RAW socket bound to the device, with
  // PACKET_QDISC_BYPASS where the kernel allows it. Protocol 0: the socket
  // receives nothing. Needs CAP_NET_RAW ("open packet socket on eth0: ...").
  static Result<PacketSocketSender> open(const Device& device);
  PacketSocketSender(PacketSocketSender&&) noexcept;
  PacketSocketSender& operator=(PacketSocketSender&&) noexcept;
  PacketSocketSender(const PacketSocketSender&) = delete;
  ~PacketSocketSender() override;

  // One complete Ethernet frame (>= 14 bytes). Errors: "send on eth0: ...".
  Result<void> send(std::span<const std::byte> frame) override;
  Result<std::size_t> send_batch(std::span<const std::span<const std::byte>> frames) override;

 private:
  PacketSocketSender(int fd, int ifindex, std::string name)
      : fd_(fd), ifindex_(ifindex), name_(std::move(name)) {}
  int fd_ = -1;
  int ifindex_ = 0;
  std::string name_;  // for error messages only
};

}  // namespace captive::inject
