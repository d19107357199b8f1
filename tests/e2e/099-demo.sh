#!/usr/bin/env bash
# scripts/demo, as a user runs it: every step of the story succeeds, the LAN
# stays up afterwards, and `scripts/demo --down` removes all of it.
# (Uses the demo's fixed names captive-demo-*: a demo you left up is torn down.)
set -euo pipefail
ROOT=${CAPTIVE_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${CAPTIVE_BUILD:-$ROOT/build}
if [ "$(id -u)" -ne 0 ]; then
  [ "${CI:-}" = "true" ] && { echo "[099-demo] FAIL: needs root" >&2; exit 1; }
  echo "[099-demo] SKIP: needs root"; exit 77
fi
out=$(mktemp)
trap '"$ROOT/scripts/demo" --down >/dev/null 2>&1 || true; rm -f "$out"' EXIT

BUILD_DIR=$BUILD "$ROOT/scripts/demo" >"$out" 2>&1 || { cat "$out" >&2; echo "[099-demo] FAIL: demo exited non-zero" >&2; exit 1; }
for step in "option 114 (RFC 8910), decoded: https://192.0.2.1:8443/api" "{\"captive\":true," "{\"captive\":false," \
            "HTTP/1.1 511 Network Authentication Required" "-> 303 http://198.51.100.2/news" "upstream-ok" \
            "revoked 02:00:00:00:01:02" "Tear it down:  scripts/demo --down"; do
  grep -qF -- "$step" "$out" || { cat "$out" >&2; echo "[099-demo] FAIL: missing '$step'" >&2; exit 1; }
  echo "[099-demo] ok - printed: $step"
done
[ "$(ip netns list | grep -c '^captive-demo-')" = 4 ] || { echo "[099-demo] FAIL: the sandbox is not up after the demo" >&2; exit 1; }
status=$(ip netns exec captive-demo-c1 curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://198.51.100.2/ || true)
[ "$status" = 511 ] || { echo "[099-demo] FAIL: poking the LAN afterwards gave $status" >&2; exit 1; }
echo "[099-demo] ok - the LAN stays up to poke at (511)"
"$ROOT/scripts/demo" --down >/dev/null
[ "$(ip netns list | grep -c '^captive-demo-' || true)" = 0 ] || { echo "[099-demo] FAIL: namespaces left after --down" >&2; exit 1; }
[ ! -e /tmp/captive-demo ] || { echo "[099-demo] FAIL: /tmp/captive-demo left after --down" >&2; exit 1; }
echo "[099-demo] ok - --down removes it all"
echo "[099-demo] PASS"
