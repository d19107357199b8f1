// Netlink messages written into a caller's buffer, and the nfnetlink batch
// around them (libnftnl: batch.c). Pure: no socket, no allocation.
//
// Batches: NFNL_MSG_BATCH_BEGIN (seq) .. messages (seq+1, seq+2, ..) ..
// NFNL_MSG_BATCH_END. Every message inside carries NLM_F_ACK, so the kernel
// answers each with exactly one NLMSG_ERROR (error 0 = ack), on success and
// on failure alike (nfnetlink_rcv_batch collects them and delivers them
// after the batch; on any error the whole batch is aborted).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

struct nlmsghdr;

namespace captive::nft {

// Room one object message may need: headers + three names of at most
// kMaxName bytes + a few small attributes. Builders refuse to start a message
// with less than this left, so they never write past the caller's buffer.
inline constexpr std::size_t kMaxMessage = 1536;
// A buffer this big (aligned to 4) fits every batch of the builders.
inline constexpr std::size_t kBatchBufferSize = 8192;

// Appends netlink messages to a caller buffer, refusing to start one with
// less than `need` bytes left (libnftnl's builders do no bounds checks).
// The buffer must hold kBatchBufferSize bytes and be aligned for nlmsghdr;
// otherwise nothing is written and length() is 0.
class MessageWriter {
 public:
  explicit MessageWriter(std::span<std::byte> buf);
  // Start of the next message if at least `need` bytes are left, else
  // nullptr (and the writer is spoilt: length() is 0 from then on).
  char* next(std::size_t need = kMaxMessage);
  void commit(const nlmsghdr* nlh);
  std::size_t length() const { return ok_ ? len_ : 0; }
  // Bytes left (0 once spoilt); asking does not spoil the writer.
  std::size_t room() const { return ok_ ? buf_.size() - len_ : 0; }
  bool ok() const { return ok_; }

 private:
  std::span<std::byte> buf_;
  std::size_t len_ = 0;
  bool ok_ = false;
};

// The nfnetlink header of a message of `type` (NFT_MSG_*) for our family;
// nullptr when it does not fit.
nlmsghdr* begin_message(MessageWriter& w, std::uint16_t type, std::uint16_t flags, std::uint32_t seq);
// NFNL_MSG_BATCH_BEGIN / NFNL_MSG_BATCH_END; false when it does not fit.
bool batch_begin(MessageWriter& w, std::uint32_t seq);
bool batch_end(MessageWriter& w, std::uint32_t seq);

}  // namespace captive::nft
