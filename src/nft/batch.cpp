// Messages into a caller buffer, and the batch around them: see batch.hpp.
#include "captive/nft/batch.hpp"

#include <libnftnl/common.h>
#include <linux/netlink.h>

#include <cstdint>

#include "captive/nft/names.hpp"

namespace captive::nft {

MessageWriter::MessageWriter(std::span<std::byte> buf) : buf_(buf) {
  ok_ = buf.size() >= kBatchBufferSize &&
        reinterpret_cast<std::uintptr_t>(buf.data()) % alignof(nlmsghdr) == 0;
}

char* MessageWriter::next(std::size_t need) {
  if (!ok_ || buf_.size() - len_ < need) {
    ok_ = false;
    return nullptr;
  }
  return reinterpret_cast<char*>(buf_.data() + len_);
}

void MessageWriter::commit(const nlmsghdr* nlh) { len_ += NLMSG_ALIGN(nlh->nlmsg_len); }

nlmsghdr* begin_message(MessageWriter& w, std::uint16_t type, std::uint16_t flags, std::uint32_t seq) {
  char* p = w.next();
  if (p == nullptr) return nullptr;
  return nftnl_nlmsg_build_hdr(p, type, kFamily, flags, seq);
}

bool batch_begin(MessageWriter& w, std::uint32_t seq) {
  char* p = w.next();
  if (p == nullptr) return false;
  w.commit(nftnl_batch_begin(p, seq));  // NFNL_MSG_BATCH_BEGIN, res_id NFNL_SUBSYS_NFTABLES
  return true;
}

bool batch_end(MessageWriter& w, std::uint32_t seq) {
  char* p = w.next();
  if (p == nullptr) return false;
  w.commit(nftnl_batch_end(p, seq));  // NFNL_MSG_BATCH_END
  return true;
}

}  // namespace captive::nft
