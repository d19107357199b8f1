#!/usr/bin/env bash
# Many sign-ins and revokes in a row, over IPv4 and IPv6, against one
# captived: every round must work, captived's memory must stay put, and it
# must exit cleanly on SIGTERM. In the sanitizer build (scripts/test's
# build-asan) LeakSanitizer checks captived at that exit: a leak, or any
# ASan/UBSan report, fails the scenario.
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
ruleset_up
captived_start

ROUNDS=${CHURN_ROUNDS:-50}
# (lib.sh's `sanitized`: under ASan the RSS bound means nothing and is skipped.)

round() {  # round N: c1 over IPv4, c2 over IPv6, both in, listed, revoked
  local n=$1 result
  result=$(sign_in "$NS_C1" "$GW_V4" "http://$UP_V4/r$n")
  [ "$result" = "303 http://$UP_V4/r$n" ] || fail "round $n: IPv4 sign-in answered '$result'"
  result=$(sign_in "$NS_C2" "[$GW_V6]" "http://[$UP_V6]/r$n")
  [ "$result" = "303 http://[$UP_V6]/r$n" ] || fail "round $n: IPv6 sign-in answered '$result'"
  [ "$(ctl list | grep -c -e "$C1_MAC" -e "$C2_MAC")" = 2 ] || fail "round $n: list: $(ctl list)"
  ctl revoke "$C1_MAC" >/dev/null || fail "round $n: revoke $C1_MAC failed"
  ctl revoke "$C2_MAC" >/dev/null || fail "round $n: revoke $C2_MAC failed"
}

# Warm up (first-use allocations: pools, Boost.JSON, Asio), then measure.
round 0
round 1
before=$(rss_kb)
for n in $(seq 2 $((ROUNDS + 1))); do
  round "$n"
  # Every tenth round: intercepted again (the responder's path; its IPv6
  # side is 010-intercept-511's).
  if [ $((n % 10)) = 0 ]; then
    got=$(http_status "$NS_C1" "http://$UP_V4/" --max-time 8)
    [ "$got" = 511 ] || fail "round $n: c1 not intercepted after revoke (got $got)"
  fi
done
after=$(rss_kb)
pass "$ROUNDS rounds of sign-in (IPv4 and IPv6), list and revoke"
[ "$(ctl list | wc -l)" = 1 ] || fail "clients left after the last revoke: $(ctl list)"
in_gw nft list set inet captive allowed | grep -e "$C1_MAC" -e "$C2_MAC" >/dev/null && fail "MACs left in @allowed"
pass "nobody left in the list or in @allowed"

growth=$((after - before))
log "captived VmRSS ${before} kB -> ${after} kB (${growth} kB over $ROUNDS rounds)"
if [ "$sanitized" = true ]; then
  log "sanitizer build: RSS bound not checked (ASan quarantine)"
else
  [ "$growth" -lt 2048 ] || fail "captived grew by ${growth} kB over $ROUNDS rounds"
  pass "RSS bounded (+${growth} kB < 2048 kB)"
fi

status=0
captived_stop || status=$?
[ "$status" = 0 ] || fail "captived exited with status $status on SIGTERM"
if grep -E 'LeakSanitizer|AddressSanitizer|runtime error' "$WORK/captived.log" >&2; then
  fail "sanitizer report in captived's log"
fi
pass "clean exit on SIGTERM (status 0$([ "$sanitized" = true ] && echo ', no leak or sanitizer report'))"
done_ok
