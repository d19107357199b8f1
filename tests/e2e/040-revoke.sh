#!/usr/bin/env bash
# captivectl revoke cuts a signed-in client off: its next packet is dropped,
# its next HTTP request is intercepted again, and it leaves the list.
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
ruleset_up
captived_start

result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "sign-in answered '$result'"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 not through after sign-in"
pass "c1 signed in and through"

# A long-lived flow in progress: ping every 0.1 s in the background.
in_c1 ping -i 0.1 -c 400 -W 1 "$UP_V4" >"$WORK/ping.log" 2>&1 &
PING_PID=$!
PIDS+=($PING_PID)
sleep 1
out=$(ctl revoke "$C1_MAC") || fail "revoke failed: $out"
[ "$out" = "revoked $C1_MAC" ] || fail "revoke said '$out'"
pass "captivectl revoke $C1_MAC"
sleep 1
before=$(grep -c 'bytes from' "$WORK/ping.log")
sleep 1
after=$(grep -c 'bytes from' "$WORK/ping.log")
[ "$before" -gt 0 ] || fail "ping never worked"
[ "$before" = "$after" ] || fail "pings still answered after revoke ($before -> $after)"
pass "the flow in progress is cut off"

[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 not intercepted again"
pass "c1 intercepted again (511)"
[ "$(http_status "$NS_C1" "http://$UP_V4:8080/" --max-time 2)" = 000 ] || fail "c1 still reaches :8080"
pass "other traffic dropped again"
in_gw nft list set inet captive allowed | grep "$C1_MAC" >/dev/null && fail "MAC still in @allowed"
[ "$(ctl list | wc -l)" = 1 ] || fail "list still shows c1: $(ctl list)"
pass "gone from @allowed and from the list"

# Revoking again, or nonsense, is a clear error.
if out=$(ctl revoke "$C1_MAC" 2>&1); then fail "second revoke succeeded"; fi
grep -q "is not signed in" <<<"$out" || fail "second revoke said '$out'"
status=0
out=$(ctl revoke not-a-mac 2>&1) || status=$?
[ "$status" = 2 ] && grep -q "not a MAC address" <<<"$out" || fail "bad MAC: status $status, '$out'"
pass "revoking an unknown or malformed MAC is a clear error"

# And the client can come back.
result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "second sign-in answered '$result'"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 not through after signing in again"
pass "signs in again after revoke"
done_ok
