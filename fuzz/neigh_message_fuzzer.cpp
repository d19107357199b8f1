// neigh::match_neighbour over one rtnetlink RTM_NEWNEIGH message, as the
// portal's neighbour lookup reads it. Input: 1 byte (bit 0: IPv6, bits 1-3:
// ifindex), 16 address bytes, then the message, copied into an aligned heap
// buffer of exactly its size.
//
// A match is only ever returned for a message whose NDA_DST is the address
// asked for: asking again for any other address finds nothing. And
// parse_neighbour (one entry of a dump, for `captivectl list --all`) reads
// the same entry match_neighbour finds.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "captive/neigh/neighbours.hpp"
#include "fuzz_check.hpp"

using namespace captive;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 17) return 0;
  const bool v6 = (data[0] & 1) != 0;
  const int ifindex = (data[0] >> 1) & 7;
  const auto addr = v6 ? packet::IpAddr::v6(data + 1) : packet::IpAddr::v4(data + 1);
  data += 17;
  size -= 17;
  std::unique_ptr<std::byte[]> buf(new std::byte[size]);
  if (size != 0) std::memcpy(buf.get(), data, size);
  const std::span<const std::byte> msg(buf.get(), size);

  const auto mac = neigh::match_neighbour(msg, ifindex, addr);
  if (mac) {
    auto other = addr;
    other.bytes[other.size() - 1] ^= 1;
    FUZZ_CHECK(!neigh::match_neighbour(msg, ifindex, other));
    FUZZ_CHECK(!neigh::match_neighbour(msg, ifindex + 1, addr));
  }
  // parse_neighbour (a dump entry, any address) agrees with match_neighbour:
  // what it reads is exactly the entry match_neighbour finds for that address.
  if (const auto entry = neigh::parse_neighbour(msg, ifindex)) {
    FUZZ_CHECK(neigh::match_neighbour(msg, ifindex, entry->ip) == entry->mac);
    FUZZ_CHECK(!neigh::parse_neighbour(msg, ifindex + 1));
  }
  if (mac) FUZZ_CHECK(neigh::parse_neighbour(msg, ifindex).has_value());
  return 0;
}
