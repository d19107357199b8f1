// nft::parse_setelems over one NFT_MSG_NEWSETELEM message of a set dump, as
// `captivectl list` (through session::Registry::list) reads them from the
// kernel. Bytes are copied into an aligned heap buffer of exactly their size.
//
// Every element it returns has a 6-byte key (a MAC); the parser appends and
// never drops what was in `out` before.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "captive/nft/messages.hpp"
#include "fuzz_check.hpp"

using namespace captive;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::unique_ptr<std::byte[]> buf(new std::byte[size]);
  if (size != 0) std::memcpy(buf.get(), data, size);
  const std::span<const std::byte> msg(buf.get(), size);

  std::vector<nft::Element> out(1);
  out[0].mac = *packet::MacAddr::parse("02:00:00:00:00:99");
  auto r = nft::parse_setelems(msg, out);
  FUZZ_CHECK(!out.empty() && out[0].mac == *packet::MacAddr::parse("02:00:00:00:00:99"));
  if (!r) FUZZ_CHECK(!r.error().message().empty());
  for (const auto& e : out) (void)e.mac.to_string();
  return 0;
}
