// A test that always skips, run only by skip_check.sh to show that
// honest_main.cpp turns a skip into a failure under CI=true and into a meson
// SKIP otherwise. Not a unit test of its own (it is no `unit-*` test).
#include <gtest/gtest.h>

TEST(SkipProbe, RunsAndPasses) { SUCCEED(); }

TEST(SkipProbe, Skips) { GTEST_SKIP() << "skip probe"; }
