// nfq::parse_packet over one netlink message as the kernel's
// NFQNL_MSG_PACKET would be read from the queue socket. The bytes are copied
// into a 4-byte aligned heap buffer of exactly their size (netlink messages
// are aligned in the receive buffer; ASan sees any read past the end).
//
// On success the payload lies inside the message and the packet goes on to
// SegmentView::parse, as in the daemon.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "captive/nfq/queue.hpp"
#include "captive/packet/segment_view.hpp"
#include "fuzz_check.hpp"

using namespace captive;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // operator new[] is aligned for any fundamental type: nlmsghdr included.
  std::unique_ptr<std::byte[]> buf(new std::byte[size]);
  if (size != 0) std::memcpy(buf.get(), data, size);
  const std::span<const std::byte> msg(buf.get(), size);

  auto r = nfq::parse_packet(msg);
  if (!r) {
    FUZZ_CHECK(!r.error().message().empty());
    return 0;
  }
  const auto& p = *r;
  FUZZ_CHECK(p.payload.empty() ||
             (p.payload.data() >= msg.data() && p.payload.data() + p.payload.size() <= msg.data() + msg.size()));
  if (auto seg = packet::SegmentView::parse(p.payload)) (void)seg->checksum_valid();
  return 0;
}
