#!/usr/bin/env bash
# Sign-in -> forwarded and captivectl revoke -> dead, alone (part c of
# scripts/bench), for finding where the time goes without the whole run.
#
#   bench/latency.sh [--rounds N] [--build-dir DIR] [--strace FILE] [--restore N]
#
# --restore N: instead, N sessions in the set (taken over at start), then
# `nft flush ruleset`, and sign-ins and captivectl stats timed while captived
# restores them (part e of scripts/bench).
# --strace FILE: captived runs under `strace -f -tt -T` (slower: for where the
# time goes, not for the numbers). Prints the probe's JSON. Needs root; only
# namespaces made here, documentation addresses, PIDs killed by PID.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=50 BUILD_DIR=$ROOT/build STRACE= RESTORE=0
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) ROUNDS=$2; shift ;;
    --build-dir) BUILD_DIR=$(realpath -m "$2"); shift ;;
    --strace) STRACE=$(realpath -m "$2"); shift ;;
    --restore) RESTORE=$2; shift ;;
    *) echo "latency: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
fail() { printf '[latency] FAIL: %s\n' "$*" >&2; exit 1; }
P=cl$$
WORK=$(mktemp -d /tmp/captive-latency.XXXXXX)
SANDBOX_ROOT=$ROOT
source "$ROOT/bench/lib.sh"
cleanup() { set +e; sandbox_down; rm -rf "$WORK"; }
trap cleanup EXIT
topology_up
services_up
spawn "$NS_UP" "$WORK/sink.log" python3 "$PROBE" sink "$UP_V4" "$SINK_PORT" "$SINK_CTL"
wait_for "sink" test -S "$SINK_CTL"
ruleset_up
mkdir -p "$STATE_DIR"
if [ -n "$STRACE" ]; then
  CAPTIVED_REAL=$CAPTIVED
  CAPTIVED=$WORK/captived-strace
  printf '#!/bin/sh\nexec strace -f -tt -T -o %q %q "$@"\n' "$STRACE" "$CAPTIVED_REAL" >"$CAPTIVED"
  chmod +x "$CAPTIVED"
fi
if [ "$RESTORE" -gt 0 ]; then
  python3 "$PROBE" macs "$RESTORE" "$WORK/macs.nft"
  in_gw nft -f "$WORK/macs.nft" || fail "loading $RESTORE elements"
  captived_start
  in_c1 python3 "$PROBE" duringrestore "$WORK/captived.log" 20 "$GW_V4" "$PORTAL_PORT" "$CAPTIVECTL" "$SOCKET" \
    ip netns exec "$NS_GW" nft flush ruleset
  exit 0
fi
captived_start
in_c2 python3 "$PROBE" bypass "$GW_V4" "$PORTAL_PORT" "$UP_V4" "$SINK_PORT" "$SINK_CTL" "$CAPTIVECTL" "$SOCKET" \
  "$C2_MAC" "$ROUNDS" 100
