// The main() of every unit test binary (instead of gtest_main): a skipped
// test is never counted as a pass.
//
// GoogleTest exits 0 when tests skip (GTEST_SKIP), and meson then counts the
// binary OK, so a test that cannot run on a machine (no CAP_NET_RAW, no
// network namespace) would hide a regression there. Here, when nothing
// failed but something skipped:
//   - under CI=true: exit 1 (a failure, as an e2e scenario's skip is under
//     CI=true, docs/testing.md);
//   - otherwise: exit 77, which meson reports as SKIP, so scripts/test's
//     closing line counts it as skipped, never as passed.
// Failures keep GoogleTest's own exit status.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::strcmp(ci, "true") == 0;
}

// Names every skipped test at the end, where meson's log shows it.
void report_skips(const ::testing::UnitTest& unit) {
  for (int s = 0; s < unit.total_test_suite_count(); ++s) {
    const ::testing::TestSuite* suite = unit.GetTestSuite(s);
    for (int t = 0; t < suite->total_test_count(); ++t) {
      const ::testing::TestInfo* info = suite->GetTestInfo(t);
      if (info->should_run() && info->result()->Skipped())
        std::fprintf(stderr, "skipped: %s.%s\n", info->test_suite_name(), info->name());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const int status = RUN_ALL_TESTS();
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  if (status != 0 || unit.skipped_test_count() == 0) return status;
  report_skips(unit);
  if (in_ci()) {
    std::fprintf(stderr, "%d test(s) skipped under CI=true: that is a failure\n", unit.skipped_test_count());
    return 1;
  }
  std::fprintf(stderr, "%d test(s) skipped: reported to meson as SKIP (exit 77)\n", unit.skipped_test_count());
  return 77;
}
