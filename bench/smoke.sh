#!/usr/bin/env bash
# CI smoke test of the benchmark harness: runs `scripts/bench --quick --no-peer`
# and checks that it wrote JSON with every key of the report (not the values:
# CI machines are too noisy for thresholds). Needs root, like the e2e tests.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$(mktemp -d /tmp/captive-bench-smoke.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
"$ROOT/scripts/bench" --quick --no-peer --out "$OUT/results.json" "$@"
python3 "$ROOT/bench/probe.py" keys "$OUT/results.json"
echo "bench smoke: ok"
