#!/usr/bin/env bash
# Revoking a voucher ends its sessions (issue 12, item 3): c1 and c2 signed
# in with one voucher are cut off at once (511 again, gone from captivectl
# list, cause revoke in the log), the code is refused as withdrawn, and a
# session made otherwise stays.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/voucher-lib.sh"
require
topology_up
services_up
ruleset_up
captived_start --auth click --auth voucher

code=$(new_voucher --duration 1h --devices 2)
for ns in "$NS_C1" "$NS_C2"; do
  result=$(voucher_sign_in "$ns" "$code")
  [ "${result%% *}" = 303 ] || fail "$ns answered '$result'"
done
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] && [ "$(http_status "$NS_C2" "http://$UP_V4/")" = 200 ] ||
  fail "c1 and c2 not both online"
pass "c1 and c2 signed in with one voucher"

out=$(ctl voucher revoke "$(tr 'A-Z-' 'a-z ' <<<"$code")") || fail "voucher revoke: $out"
[ "$out" = "revoked $code; ended 2 sessions" ] || fail "voucher revoke said '$out'"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 still online after the voucher's revoke"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "c2 still online after the voucher's revoke"
[ "$(client_json "$C1_MAC")" = "{}" ] && [ "$(client_json "$C2_MAC")" = "{}" ] || fail "captivectl list still shows them"
[ "$(grep -c "session end mac=\($C1_MAC\|$C2_MAC\) .*cause=revoke method=voucher .*user=$code" "$WORK/captived.log")" = 2 ] ||
  fail "no session-end lines with cause=revoke: $(grep 'session end' "$WORK/captived.log")"
[ "$(voucher_field "$code" state)" = revoked ] || fail "state $(voucher_field "$code" state)"
pass "voucher revoke (typed in lower case) ends both sessions: 511 again, off the list, logged cause=revoke with the code"

result=$(voucher_sign_in "$NS_C1" "$code")
[ "${result%% *}" = 403 ] || fail "a revoked code answered '$result'"
grep -q 'This voucher has been withdrawn' "$WORK/voucher-page.html" || fail "page: $(cat "$WORK/voucher-page.html")"
pass "the revoked code is refused: 'This voucher has been withdrawn'"

# c1 now signs in by clicking through; a second revoke of the voucher
# leaves that session alone.
result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "click-through answered '$result'"
out=$(ctl voucher revoke "$code") || fail "second revoke: $out"
[ "$out" = "already revoked $code; ended 0 sessions" ] || fail "second revoke said '$out'"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "the click-through session was ended by the voucher's revoke"
status=0
ctl voucher revoke ACDE-FG34-HJ >/dev/null 2>&1 || status=$?
[ "$status" = 1 ] || fail "revoke of an unknown voucher exited $status, not 1"
status=0
ctl voucher revoke nonsense >/dev/null 2>&1 || status=$?
[ "$status" = 2 ] || fail "revoke of a malformed code exited $status, not 2"
pass "a session made otherwise stays; unknown code exits 1, malformed 2"
done_ok
