// nft::parse_element over one NFT_MSG_NEWSETELEM message, as PortalPeers
// reads the kernel's answer to its one-element get. Input: 1 byte (bit 0:
// IPv6; bit 1: ask for the IPv6 confirmation key), 16 address bytes, 2 port
// bytes, then the message, copied into a heap buffer of exactly its size
// (not aligned: the parser must copy before walking).
//
// A result only ever comes for the key asked for: asking for another port,
// another address or another table finds nothing in the same message (the
// parser takes only answers with exactly one element). Seeds: make_seeds.py.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "captive/nft/portal_peers.hpp"
#include "fuzz_check.hpp"

using namespace captive;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 19) return 0;
  const bool v6 = (data[0] & 1) != 0;
  const bool confirm = v6 && (data[0] & 2) != 0;
  const nft::PortalPeer peer{v6 ? packet::IpAddr::v6(data + 1) : packet::IpAddr::v4(data + 1),
                             static_cast<std::uint16_t>(data[17] << 8 | data[18])};
  data += 19;
  size -= 19;
  std::unique_ptr<std::byte[]> buf(new std::byte[size + 1]);
  if (size != 0) std::memcpy(buf.get() + 1, data, size);
  const std::span<const std::byte> msg(buf.get() + 1, size);  // odd address on purpose

  const packet::MacAddr mac{{0x02, 0, 0, 0, 0, 0x02}};
  const auto key = confirm ? nft::portal_peer_confirm_key(peer, mac) : nft::portal_peer_key(peer);
  const auto found = nft::parse_element(msg, "captive", key);
  if (found) {
    FUZZ_CHECK(found->length <= found->bytes.size());
    auto other = peer;
    other.port = static_cast<std::uint16_t>(other.port + 1);
    auto other_key = confirm ? nft::portal_peer_confirm_key(other, mac) : nft::portal_peer_key(other);
    if (v6 && !confirm) {  // portal_macs6 is keyed by the address alone
      other.address.bytes[15] ^= 1;
      other_key = nft::portal_peer_key(other);
    }
    FUZZ_CHECK(!nft::parse_element(msg, "captive", other_key));
    FUZZ_CHECK(!nft::parse_element(msg, "captivf", key));
  }
  return 0;
}
