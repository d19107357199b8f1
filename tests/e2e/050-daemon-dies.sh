#!/usr/bin/env bash
# Enforcement does not depend on captived: killed with SIGKILL, nobody new
# gets through, signed-in clients keep working; a restart takes over again.
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
ruleset_up
captived_start

result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "sign-in answered '$result'"
kill -9 "$CAPTIVED_PID"
wait "$CAPTIVED_PID" 2>/dev/null || true
CAPTIVED_PID=
pass "captived killed with SIGKILL"
queue_rule_present || fail "expected the stale queue rule to stay (the daemon could not remove it)"

[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "signed-in c1 lost access"
pass "signed-in c1 keeps working"
status=$(http_status "$NS_C2" "http://$UP_V4/" --max-time 2)
[ "$status" = 000 ] || fail "unsigned c2 got an answer ($status) with captived dead"
grep -q "request from $C2_V4" "$WORK/http80.log" && fail "c2 reached upstream"
[ "$(http_status "$NS_C2" "http://$UP_V4:8080/" --max-time 2)" = 000 ] || fail "c2 reached :8080"
pass "unsigned c2 gets nowhere (bypass falls through to the forward drop)"

captived_start
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "c2 not intercepted after restart"
[ "$(in_gw nft list chain inet captive intercept 2>/dev/null | grep -c queue)" = 1 ] || fail "queue rules after restart: $(in_gw nft list chain inet captive intercept)"
pass "restart: one queue rule, c2 intercepted again"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 lost access across the restart"
pass "c1 still in after the restart"
done_ok
