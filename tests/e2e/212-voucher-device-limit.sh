#!/usr/bin/env bash
# The device limit (issue 12, items 3 and 8): a voucher for one device signs
# c1 in; c2 with the same code is refused as used up, with its own message,
# and stays out; c1 signs in again with it after a logout.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/voucher-lib.sh"
require
topology_up
services_up
ruleset_up
captived_start --auth voucher

code=$(new_voucher --duration 1h)
[ "$(voucher_field "$code" devices)" = 1 ] || fail "default devices: $(voucher_field "$code" devices)"
result=$(voucher_sign_in "$NS_C1" "$code")
[ "${result%% *}" = 303 ] || fail "c1 answered '$result'"
pass "c1 signs in with a one-device voucher"

result=$(voucher_sign_in "$NS_C2" "$code")
[ "${result%% *}" = 403 ] || fail "c2 on a used-up voucher answered '$result'"
grep -q 'already in use on another device' "$WORK/voucher-page.html" ||
  fail "no 'already in use' notice: $(cat "$WORK/voucher-page.html")"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "c2 got in on c1's voucher"
[ "$(voucher_field "$code" macs)" = "$C1_MAC" ] || fail "voucher macs: $(voucher_field "$code" macs)"
pass "c2 refused: 'already in use on another device', still intercepted, only c1 on the voucher"

ctl revoke "$C1_MAC" >/dev/null || fail "revoke c1's session"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 still in after revoke"
result=$(voucher_sign_in "$NS_C1" "$code")
[ "${result%% *}" = 303 ] || fail "c1 again answered '$result'"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 not let through again"
pass "c1 (on the voucher) signs in again after its session ended"
done_ok
