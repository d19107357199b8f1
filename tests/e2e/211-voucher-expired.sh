#!/usr/bin/env bash
# A voucher's time runs from its first use, for every device on it, and then
# it is over (issue 12, items 3 and 8): a 6 s voucher signs c1 in for 6 s
# (the kernel element's timeout), c2 joins later and ends with c1, and
# afterwards the code is refused as expired, for c1 too.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/voucher-lib.sh"
require
topology_up
services_up
ruleset_up
captived_start --auth voucher

code=$(new_voucher --duration 8s --devices 2)
sleep 4  # made before: the time starts at first use, not at creation
before=$(date +%s)
result=$(voucher_sign_in "$NS_C1" "$code")
[ "${result%% *}" = 303 ] || fail "first use answered '$result'"
start=$(date +%s)
# The session ends 8 s after the sign-in, which happened between `before`
# and `start` (from creation it would end 4 s after `before`).
ends=$(client_json "$C1_MAC" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["expires_at"]))')
[ "$ends" -ge $((before + 7)) ] && [ "$ends" -le $((start + 9)) ] ||
  fail "c1's session ends $((ends - before)) s after the sign-in began, the voucher 8 s from first use (from creation it would be 4)"
pass "first use 4 s after creation: c1 gets the full 8 s (ends $((ends - before)) s after the sign-in began)"

sleep 3
result=$(voucher_sign_in "$NS_C2" "$code")
[ "${result%% *}" = 303 ] || fail "c2 answered '$result'"
ends2=$(client_json "$C2_MAC" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["expires_at"]))')
[ "$ends2" -ge $((ends - 1)) ] && [ "$ends2" -le $((ends + 1)) ] ||
  fail "c2 joined 3 s later and ends $((ends2 - ends)) s after c1 (the voucher ends for all at first use + 8 s)"
pass "c2 joins 3 s later and ends with c1"

# Past the end: the kernel's timeouts took both out; the code is expired.
while [ $(($(date +%s) - start)) -lt 10 ]; do sleep 0.5; done
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 not intercepted after the voucher's end"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "c2 not intercepted after the voucher's end"
pass "after first use + 8 s both are intercepted again"
result=$(voucher_sign_in "$NS_C1" "$code")
[ "${result%% *}" = 403 ] || fail "expired voucher answered '$result'"
grep -q 'This voucher has expired' "$WORK/voucher-page.html" || fail "no 'expired' notice: $(cat "$WORK/voucher-page.html")"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 got in on an expired voucher"
[ "$(voucher_field "$code" state)" = expired ] || fail "voucher state: $(voucher_field "$code" state)"
pass "the expired code is refused with 'This voucher has expired' (a MAC on it too); state expired"
done_ok
