#!/usr/bin/env bash
# Guessing voucher codes trips the abuse limits without hurting anyone else
# (issue 12, items 5 and 8): c1's wrong codes are answered later and later,
# the fifth locks c1 out (429 with Retry-After, even for a right code, logged
# and counted), while c2 signs in with its voucher at once, and the
# voucher c1 tried to guess is untouched.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/voucher-lib.sh"
require
topology_up
services_up
ruleset_up
captived_start --auth voucher

good=$(new_voucher --duration 1h)
other=$(new_voucher --duration 1h)
wrong=ACDE-FG34-HJ
[ "$good" != "$wrong" ] && [ "$other" != "$wrong" ] || fail "the made-up code is real (p = 3e-15)"

took=()
for i in 1 2 3 4; do
  t0=$(date +%s%N)
  result=$(voucher_sign_in "$NS_C1" "$wrong")
  took+=($((($(date +%s%N) - t0) / 1000000)))
  [ "${result%% *}" = 403 ] || fail "wrong code $i answered '$result'"
done
log "answers to wrong codes 1-4 took ${took[*]} ms"
# 500 ms, 1 s, 2 s, 4 s: each later than the one before (the page GET adds a little).
[ "${took[1]}" -gt "${took[0]}" ] && [ "${took[2]}" -gt "${took[1]}" ] && [ "${took[3]}" -ge 3500 ] ||
  fail "wrong codes are not slowed down: ${took[*]} ms"
pass "wrong codes are answered later and later: ${took[*]} ms"

# The fifth failure starts the lockout (its own answer may already say so).
result=$(voucher_sign_in "$NS_C1" "$wrong")
case ${result%% *} in 403|429) ;; *) fail "wrong code 5 answered '$result'" ;; esac
result=$(voucher_sign_in "$NS_C1" "$good")
[ "${result%% *}" = 429 ] || fail "a locked-out MAC with a right code answered '$result'"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "the locked-out c1 got in"
[ "$(voucher_field "$good" state)" = unused ] || fail "the voucher was used by a locked-out MAC"
grep -q "$C1_MAC" "$WORK/captived.log" && grep -qi "lock" "$WORK/captived.log" || fail "the lockout is not logged"
pass "after 5 wrong codes c1 is locked out: a right code gets 429, the voucher stays unused, the lockout is logged"

t0=$(date +%s%N)
result=$(voucher_sign_in "$NS_C2" "$other")
ms=$((($(date +%s%N) - t0) / 1000000))
[ "${result%% *}" = 303 ] || fail "c2 answered '$result' while c1 is locked out"
[ "$ms" -lt 2000 ] || fail "c2's sign-in took $ms ms while c1 was locked out"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 200 ] || fail "c2 not let through"
pass "c2 signs in with its voucher meanwhile, in $ms ms"

[ "$(stat_of auth.voucher.wrong_code)" -ge 5 ] || fail "auth.voucher.wrong_code = $(stat_of auth.voucher.wrong_code)"
[ "$(stat_of auth.voucher.accepted)" = 1 ] || fail "auth.voucher.accepted = $(stat_of auth.voucher.accepted)"
pass "counted: auth.voucher.wrong_code, auth.voucher.accepted"
done_ok
