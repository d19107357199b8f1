// neigh::match_neighbour over one rtnetlink RTM_NEWNEIGH message, as the
// portal's neighbour lookup reads it. Input: 1 byte (bit 0: IPv6, bits 1-3:
// ifindex), 16 address bytes, then the message, copied into an aligned heap
// buffer of exactly its size.
//
// A match is only ever returned for a message whose NDA_DST is the address
// asked for: asking again for any other address finds nothing.
// parse_neighbour (what a session end's addresses_of keeps) agrees with it:
// an entry it parses is the match for its own address, and a match is an
// entry it parses.
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
  const auto entry = neigh::parse_neighbour(msg, ifindex);
  if (mac) FUZZ_CHECK(entry && entry->address == addr && entry->mac == *mac);
  if (entry) {
    FUZZ_CHECK(neigh::match_neighbour(msg, ifindex, entry->address) == entry->mac);
    FUZZ_CHECK(!neigh::parse_neighbour(msg, ifindex + 1));
  }
  return 0;
}
