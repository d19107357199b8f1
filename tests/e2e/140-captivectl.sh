#!/usr/bin/env bash
# Every captivectl command and every exit status, through the real captived
# (issue 9, item 7): 0 done, 1 captived said no, 2 bad usage, 3 captived
# unreachable. Every error is one line; --json gives one JSON document on
# every command; --socket goes before or after the command.
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
ruleset_up
captived_start

# run WANT_STATUS CMD...: runs captivectl in the gateway; its stdout in $out,
# its stderr in $err.
run() {
  local want=$1 status=0
  shift
  out=$(in_gw "$CAPTIVECTL" "$@" 2>"$WORK/err") || status=$?
  err=$(cat "$WORK/err")
  [ "$status" = "$want" ] || fail "captivectl $* exited $status, want $want (stdout '$out', stderr '$err')"
  if [ "$want" != 0 ]; then
    [ "$(wc -l <"$WORK/err")" = 1 ] || fail "captivectl $*: the error is not one line: '$err'"
    [ -z "$out" ] || fail "captivectl $*: an error printed on stdout: '$out'"
  fi
}
# expect_json WHAT PYTHON-ASSERTIONS: $out parses as one JSON document `v`.
expect_json() {
  python3 - "$out" <<PY || fail "$1: $out"
import json, sys, time
v = json.loads(sys.argv[1])
$2
PY
}

# --- 0: done ----------------------------------------------------------------
run 0 --socket "$SOCKET" status
grep -q "^version *0\." <<<"$out" || fail "status has no version: $out"
# The queue rule captived installed, as its start-up line says (this
# machine's kernel has no CONFIG_NFT_QUEUE: xt NFQUEUE through nft_compat).
mode=compat
grep -q "ready: .* via native" "$WORK/captived.log" && mode=native
grep -q "^queue mode *$mode" <<<"$out" || fail "status queue mode (want $mode): $out"
grep -q "^sessions *0" <<<"$out" || fail "status sessions: $out"
run 0 status --json --socket "$SOCKET"
expect_json "status --json" "assert v['queue_mode'] == '$mode' and v['sessions'] == 0 and v['uptime_seconds'] >= 0, v
assert v['version'] and 'queued_packets' in v['counters'] and 'errors' in v['counters'], v"
pass "status (text and --json; --socket before and after the command): version, $mode queue, 0 sessions"

run 0 --socket "$SOCKET" stats --json
expect_json "stats --json" "assert 'queue.packets' in v and 'portal.sign_ins' in v, v"
run 0 --socket "$SOCKET" stats
grep -q "^portal.sign_ins" <<<"$out" || fail "stats: $out"
pass "stats (text and --json)"

run 0 --socket "$SOCKET" list
[ "$(wc -l <<<"$out")" = 1 ] || fail "list before anybody signed in: $out"
run 0 --socket "$SOCKET" list --json
[ "$out" = "[]" ] || fail "list --json before anybody signed in: $out"
pass "list: nobody yet"

[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 not intercepted before allow"
run 0 --socket "$SOCKET" allow "$C1_MAC" --for 10m --ip "$C1_V4"
grep -q "allowed $C1_MAC for 00:10:00" <<<"$out" || fail "allow said '$out'"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 not through after allow"
run 0 --socket "$SOCKET" list --json
expect_json "list --json after allow" "assert len(v) == 1, v
c = v[0]
assert c['mac'] == '$C1_MAC' and c['ip'] == '$C1_V4' and c['method'] == 'admin', c
assert 600 - 30 < c['expires_at'] - time.time() <= 605, c"
pass "allow MAC --for 10m --ip ADDR: c1 is through, listed with 10 minutes and method admin"

run 0 --json --socket "$SOCKET" allow "$C2_MAC"
expect_json "allow --json" "assert v['ok'] and v['mac'] == '$C2_MAC' and v['seconds'] == 24 * 3600, v"
pass "allow without --for: captived's --session-timeout (24h); --json"

for who in "$C1_MAC" "$C1_V4"; do
  run 0 --socket "$SOCKET" show "$who"
  grep -q "^mac *$C1_MAC" <<<"$out" && grep -q "^ip *$C1_V4" <<<"$out" || fail "show $who: $out"
  run 0 show "$who" --socket "$SOCKET" --json
  expect_json "show $who --json" "assert v['mac'] == '$C1_MAC' and v['ip'] == '$C1_V4' and v['method'] == 'admin', v"
done
pass "show by MAC and by IP (text and --json)"

run 0 --socket "$SOCKET" revoke "$C1_V4"
[ "$out" = "revoked $C1_MAC" ] || fail "revoke by IP said '$out'"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 still through after revoke by IP"
run 0 --socket "$SOCKET" revoke "$C2_MAC" --json
expect_json "revoke --json" "assert v['ok'] and v['mac'] == '$C2_MAC', v"
run 0 --socket "$SOCKET" list --json
[ "$out" = "[]" ] || fail "list after the revokes: $out"
pass "revoke by IP (c1 intercepted again) and by MAC (--json)"

# list --all: c2 talks to the router (a neighbour entry) without signing in.
in_c2 ping -c1 -W1 "$GW_V4" >/dev/null || true
run 0 --socket "$SOCKET" list --all
grep -q "^$C2_MAC  $C2_V4 .*not signed in" <<<"$out" || fail "list --all does not show c2 as seen: $out"
run 0 --socket "$SOCKET" list --all --json
expect_json "list --all --json" "assert v['clients'] == [], v
assert any(s['mac'] == '$C2_MAC' and s['ip'] == '$C2_V4' for s in v['seen']), v"
pass "list --all adds clients seen on the LAN but not signed in (text and --json)"

# --- 1: captived said no ----------------------------------------------------
run 1 --socket "$SOCKET" revoke "$C1_MAC"
grep -q "$C1_MAC is not signed in" <<<"$err" || fail "revoke of nobody said '$err'"
run 1 --socket "$SOCKET" revoke 192.0.2.77 --json
grep -q "192.0.2.77 is not signed in" <<<"$err" || fail "revoke of an unknown IP said '$err'"
run 1 --socket "$SOCKET" show "$C1_MAC"
grep -q "is not signed in" <<<"$err" || fail "show of nobody said '$err'"
run 1 --socket "$SOCKET" reload
grep -q "started without --config" <<<"$err" || fail "reload without a config file said '$err'"
run 1 --socket "$SOCKET" extend "$C1_MAC" 1h
grep -q "^captivectl: $C1_MAC is not signed in$" <<<"$err" || fail "extend of nobody said '$err'"
run 1 --socket "$SOCKET" unblock "$C1_MAC"
grep -q "^captivectl: $C1_MAC is not blocked$" <<<"$err" || fail "unblock of a MAC not blocked said '$err'"
pass "exit 1, one line: unknown client (revoke, show, extend, unblock), reload without --config"

# --- per-session rate, extend, trust/untrust, block/unblock ------------------
run 0 --socket "$SOCKET" allow "$C1_MAC" --for 10m --rate-up 8mbit
in_gw nft list set inet captive rate_up | grep -ci "$C1_MAC" >/dev/null || fail "allow --rate-up: no rate_up element for c1"
run 0 --socket "$SOCKET" extend "$C1_MAC" 1h
grep -q "^extended $C1_MAC" <<<"$out" || fail "extend said '$out'"
run 0 --socket "$SOCKET" list --json
expect_json "list after extend" "c = v[0]
assert c['mac'] == '$C1_MAC' and 4200 - 60 < c['expires_at'] - time.time() <= 4205, c"
in_gw nft list set inet captive rate_up | grep -ci "$C1_MAC" >/dev/null || fail "extend lost c1's rate"
run 0 --socket "$SOCKET" revoke "$C1_MAC"
pass "allow --rate-up puts the rate into the kernel; extend adds an hour and keeps it"

[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "c2 not intercepted before trust"
run 0 --socket "$SOCKET" trust "$C2_MAC"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 200 ] || fail "trusted c2 does not reach the upstream"
run 0 --socket "$SOCKET" lists --json
expect_json "lists --json" "assert any(t['mac'] == '$C2_MAC' and t['source'] == 'runtime' for t in v['trusted']), v"
run 0 --socket "$SOCKET" untrust "$C2_MAC"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "untrusted c2 still through"
run 0 --socket "$SOCKET" block "$C2_MAC"
grep -q "^blocked $C2_MAC" <<<"$out" || fail "block said '$out'"
run 0 --socket "$SOCKET" unblock "$C2_MAC"
pass "trust (not intercepted), lists, untrust, block, unblock"

# --- 2: bad usage -----------------------------------------------------------
for args in "" "reboot" "list extra" "show" "revoke" "revoke not-a-mac" "allow 02:00:00:00:01:0g" \
            "allow $C1_MAC --for forever" "allow $C1_MAC --for 0" "allow $C1_MAC --ip 192.0.2" \
            "allow $C1_MAC --rate-up 8" "extend $C1_MAC" "extend $C1_MAC soon" "revoke $C1_MAC --all" \
            "status --for 1h" "list --bogus" "list --socket" "trust 192.0.2.2"; do
  # shellcheck disable=SC2086
  run 2 --socket "$SOCKET" $args
  grep -q "^captivectl: " <<<"$err" || fail "'$args' said '$err'"
done
run 2 --socket "" list
pass "exit 2, one line: no command, unknown command or option, wrong arguments, bad MAC/IP/duration/rate"
help=$(in_gw "$CAPTIVECTL" --help) || fail "--help failed"
for cmd in list show allow revoke extend status stats reload trust untrust block unblock lists doctor; do
  grep -q "^  $cmd\b" <<<"$help" || fail "--help does not list $cmd"
  grep -q "^\.B.* $cmd\b\|^\.BR* $cmd\b\|^\.BI* \"\?$cmd\b" "$SANDBOX_ROOT/man/captivectl.8" || fail "captivectl(8) does not list $cmd"
  grep -q "commands=.*\b$cmd\b" "$SANDBOX_ROOT/completions/captivectl" || fail "bash completion does not offer $cmd"
done
pass "--help exits 0; --help, captivectl(8) and bash completion list every command"

# --- 3: unreachable ---------------------------------------------------------
run 3 --socket "$WORK/none.sock" status
grep -q "cannot reach captived at $WORK/none.sock" <<<"$err" || fail "unreachable said '$err'"
captived_stop || fail "captived did not exit cleanly"
for cmd in status list stats reload "revoke $C1_MAC"; do
  # shellcheck disable=SC2086
  run 3 --socket "$SOCKET" $cmd --json
done
pass "exit 3, one line: no socket, captived stopped"
done_ok
