// Findings of fuzz/neigh_message_fuzzer.cpp (docs/fuzzing.md), kept as tests.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <memory>

#include "captive/neigh/neighbours.hpp"

namespace captive::neigh {
namespace {

// crash-458ceeae: 1 byte (IPv4, ifindex 7), 16 address bytes, then an
// RTM_NEWNEIGH whose nlmsg_len is 0xfb00002a. libmnl's mnl_nlmsg_ok compares
// (int)nlmsg_len <= len, so a length >= 2^31 passed it and match_neighbour
// read the ndmsg past the 25 bytes there were (heap-buffer-overflow).
constexpr std::array<unsigned char, 42> kInput = {
    0x0e, 0xc0, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0xfb, 0x1c, 0x00, 0x02,
    0x01, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x01, 0x00, 0x02,
    0xc0, 0x00, 0x02, 0x02, 0x02, 0x00};

TEST(NeighboursRegression, MessageLengthOver2GiBIsRefused) {
  const auto addr = packet::IpAddr::v4(kInput.data() + 1);
  const std::size_t size = kInput.size() - 17;
  auto buf = std::make_unique<std::byte[]>(size);  // exactly the message: ASan sees overreads
  std::memcpy(buf.get(), kInput.data() + 17, size);
  EXPECT_FALSE(match_neighbour({buf.get(), size}, 7, addr));
  for (std::uint32_t len : {0x80000000u, 0xffffffffu, static_cast<std::uint32_t>(size + 1)}) {
    std::memcpy(buf.get(), &len, sizeof len);  // nlmsg_len, host order
    EXPECT_FALSE(match_neighbour({buf.get(), size}, 7, addr)) << len;
  }
}

// crash-bc6bc3d5: an RTM_NEWNEIGH with nlmsg_len 51 over exactly 51 bytes.
// libmnl walks attributes up to MNL_ALIGN(nlmsg_len) = 52, so NDA_DST was
// compared 1 byte past the message (heap-buffer-overflow in memcmp).
constexpr std::array<unsigned char, 68> kUnaligned = {
    0x0e, 0xc0, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x61, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x33, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
    0x00, 0x07, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, 0x08, 0x00, 0x02,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
    0x01, 0x08, 0x00, 0x01, 0x00, 0xc0, 0x00, 0xea};

TEST(NeighboursRegression, AttributesPastTheSpanAreRefused) {
  const auto addr = packet::IpAddr::v4(kUnaligned.data() + 1);
  const std::size_t size = kUnaligned.size() - 17;
  auto buf = std::make_unique<std::byte[]>(size);
  std::memcpy(buf.get(), kUnaligned.data() + 17, size);
  EXPECT_FALSE(match_neighbour({buf.get(), size}, 7, addr));
}

}  // namespace
}  // namespace captive::neigh
