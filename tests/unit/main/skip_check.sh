#!/bin/sh
# unit-main-skips: honest_main.cpp's rule, checked on skip_probe (one test
# passes, one skips): under CI=true the binary fails (exit 1) and names the
# skipped test; otherwise it exits 77 (meson SKIP), never 0 (meson OK).
probe=$1
# Cross builds (scripts/cross): meson names its exe_wrapper (qemu-user) here.
wrapper=${MESON_EXE_WRAPPER:-}
out=$(CI=true $wrapper "$probe" 2>&1); rc=$?
[ "$rc" = 1 ] || { echo "CI=true: exit $rc, expected 1"; echo "$out"; exit 1; }
echo "$out" | grep -q 'skipped: SkipProbe.Skips' || { echo "CI=true: skipped test not named"; echo "$out"; exit 1; }
out=$(env -u CI $wrapper "$probe" 2>&1); rc=$?
[ "$rc" = 77 ] || { echo "no CI: exit $rc, expected 77"; echo "$out"; exit 1; }
# Only the passing test: exit 0.
env CI=true $wrapper "$probe" --gtest_filter=SkipProbe.RunsAndPasses >/dev/null 2>&1 || { echo "a passing run failed"; exit 1; }
echo "skip_check: ok"
