// The voucher store's file (<state-dir>/vouchers.json): the input is the
// file's text, to auth::VoucherStore::parse, which captived runs at start
// on whatever is on the disk.
//
// parse never throws. An error is EINVAL or EFBIG with a non-empty reason.
// A success holds distinct, well-formed codes, no more MACs than devices,
// no used voucher without a first use, and formats back to a text that
// parses to the same vouchers (what captived writes, it reads back).
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "captive/auth/vouchers.hpp"
#include "fuzz_check.hpp"

using namespace captive;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = auth::VoucherStore::parse(text);
  if (!parsed) {
    FUZZ_CHECK(parsed.error().code == EINVAL || parsed.error().code == EFBIG);
    FUZZ_CHECK(!parsed.error().what.empty());
    return 0;
  }
  std::set<std::string> codes;
  for (const auto& v : parsed->vouchers()) {
    FUZZ_CHECK(auth::normalize_code(v.code) == v.code);
    FUZZ_CHECK(codes.insert(v.code).second);
    FUZZ_CHECK(v.spec.devices >= 1 && v.macs.size() <= v.spec.devices);
    FUZZ_CHECK(v.spec.duration.count() > 0 && v.spec.duration <= auth::kMaxDuration);
    FUZZ_CHECK(v.macs.empty() || v.first_used_at);
    FUZZ_CHECK(parsed->find(auth::group_code(v.code)) != nullptr);
  }
  auto again = auth::VoucherStore::parse(parsed->format());
  FUZZ_CHECK(again);
  FUZZ_CHECK(again->vouchers() == parsed->vouchers());
  return 0;
}
