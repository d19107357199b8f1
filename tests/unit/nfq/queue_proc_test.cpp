// parse_kernel_drops: the queue-full counter of `captivectl stats` comes from
// /proc/net/netfilter/nfnetlink_queue, one line per bound queue, printed by
// net/netfilter/nfnetlink_queue.c seq_show as
//   "%5u %6u %5u %1u %5u %5u %5u %8u %2d\n"
//   queue_num portid queue_total copy_mode copy_range queue_dropped
//   queue_user_dropped id_sequence 1
#include <gtest/gtest.h>

#include <cstdio>
#include <unistd.h>

#include <fstream>

#include "captive/nfq/queue.hpp"

namespace captive::nfq {
namespace {

constexpr std::string_view kTwoQueues =
    "    0  41230     0 2  4096     0     0       10  1\n"
    "    7  41231    12 2  4096 123456   789  4000000  1\n";

TEST(KernelDrops, PicksTheLineOfOurQueue) {
  auto q0 = parse_kernel_drops(kTwoQueues, 0);
  ASSERT_TRUE(q0);
  EXPECT_EQ(q0->queue_dropped, 0u);
  EXPECT_EQ(q0->user_dropped, 0u);
  auto q7 = parse_kernel_drops(kTwoQueues, 7);
  ASSERT_TRUE(q7);
  EXPECT_EQ(q7->queue_total, 12u);        // the third column: waiting for a verdict
  EXPECT_EQ(q7->queue_dropped, 123456u);  // the sixth column: queue full
  EXPECT_EQ(q7->user_dropped, 789u);
  EXPECT_FALSE(parse_kernel_drops(kTwoQueues, 1));
  EXPECT_FALSE(parse_kernel_drops(kTwoQueues, 70));
}

TEST(KernelDrops, WideNumbersAndNoTrailingNewline) {
  // Columns widen past their printf width; the last line may lack '\n'.
  auto d = parse_kernel_drops("65535 4294967295 99999 2 65531 4294967295 4294967295 4294967295  1", 65535);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->queue_dropped, 4294967295u);
}

TEST(KernelDrops, MalformedLinesAreSkipped) {
  EXPECT_FALSE(parse_kernel_drops("", 0));
  EXPECT_FALSE(parse_kernel_drops("\n\n", 0));
  EXPECT_FALSE(parse_kernel_drops("    0  41230     0 2  4096\n", 0));             // too few fields
  EXPECT_FALSE(parse_kernel_drops("    0  41230     0 2  4096   x1     0   10  1\n", 0));  // not a number
  EXPECT_FALSE(parse_kernel_drops("   -1  41230     0 2  4096     5     0   10  1\n", 0));
  // A bad line does not hide a good one after it.
  auto d = parse_kernel_drops("garbage\n    3  1  0 2  4096     5     6   10  1\n", 3);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->queue_dropped, 5u);
  EXPECT_EQ(d->user_dropped, 6u);
}

TEST(KernelDrops, ReadsAFile) {
  char path[] = "/tmp/captive-nfq-proc-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream out(path);
    out << kTwoQueues;
  }
  auto d = read_kernel_drops(7, path);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->queue_dropped, 123456u);
  auto missing = read_kernel_drops(1, path);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("no line for queue 1"), std::string::npos);
  std::remove(path);
  EXPECT_FALSE(read_kernel_drops(0, "/nonexistent/captive-proc"));
}

}  // namespace
}  // namespace captive::nfq
