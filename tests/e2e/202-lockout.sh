#!/usr/bin/env bash
# Wrong passwords from one MAC slow it down, then lock it out (429 with
# Retry-After, logged, counted), even with the right password; meanwhile
# another MAC signs in at once: the limits trip without hurting others.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/auth-lib.sh"
require
topology_up
services_up
ruleset_up
USERS="$WORK/users"
user_add "$USERS" alice 'alice pw'
user_add "$USERS" carol 'carol pw'
captived_start --auth users --users "$USERS"

# Failures 1-4 are answered 403 after a growing delay (0.5, 1, 2, 4 s); an
# attempt made while an answer is held back is refused unjudged (429), so
# parallel requests do not get around the delay.
stat() { ctl stats | awk -v k="$1" '$1 == k { print $2 }'; }
token=$(in_c1 curl -sS --max-time 5 "http://$GW_V4:$PORTAL_PORT/" | sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' | head -n1)
[ -n "$token" ] || fail "no token"
post() {  # post PASSWORD: prints the status
  in_c1 curl -sS -o /dev/null -w '%{http_code}' --max-time 30 --data-urlencode "token=$token" \
    --data "method=users&user=alice" --data-urlencode "password=$1" "http://$GW_V4:$PORTAL_PORT/login"
}
for n in 1 2 3 4; do
  (post "guess $n" >"$WORK/held.result") &
  held=$!
  for _ in $(seq 1 200); do [ "$(stat auth.delayed_answers)" = "$n" ] && break; sleep 0.01; done
  [ "$(stat auth.delayed_answers)" = "$n" ] || fail "the answer to failure $n is not held back"
  result=$(post "guess $n again at once")
  [ "$result" = 429 ] || fail "an attempt during the delay after failure $n answered '$result': $(ctl stats | grep auth)"
  wait "$held"
  result=$(cat "$WORK/held.result")
  [ "$result" = 403 ] || fail "failure $n answered '$result'"
done
[ "$(stat_of auth.refused_locked)" = 4 ] || fail "refused during delays: $(stat_of auth.refused_locked)"
pass "failures 1-4: 403 after a delay; an attempt during each delay: 429 unjudged"
result=$(user_sign_in "$NS_C1" alice 'guess 5')
[ "${result%% *}" = 429 ] || fail "failure 5 answered '$result'"
grep -q 'Too many failed attempts from this device' "$WORK/last-login.html" || fail "lockout page: $(cat "$WORK/last-login.html")"
grep -q "auth: $C1_MAC locked out for 300 s after 5 failed sign-ins" "$WORK/captived.log" || fail "lockout not logged"
[ "$(stat_of auth.lockouts)" = 1 ] || fail "lockout not counted"
pass "failure 5 locks c1 out: 429, logged, auth.lockouts 1"

headers=$(
  page=$(in_c1 curl -sS --max-time 5 "http://$GW_V4:$PORTAL_PORT/")
  token=$(sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' <<<"$page" | head -n1)
  in_c1 curl -sS -D - -o /dev/null --max-time 10 --data-urlencode "token=$token" --data "method=users&user=alice" \
    --data-urlencode "password=alice pw" "http://$GW_V4:$PORTAL_PORT/login"
)
grep -q '^HTTP/1.1 429' <<<"$headers" || fail "right password while locked out: $headers"
grep -qi '^retry-after: [0-9]' <<<"$headers" || fail "no Retry-After: $headers"
grep -qi '^cache-control: no-store' <<<"$headers" || fail "no no-store: $headers"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 in while locked out"
pass "locked out: even the right password gets 429 with Retry-After (no-store)"

before=$(stat_of auth.users.wrong_password)
result=$(user_sign_in "$NS_C2" carol 'carol pw')
[ "${result%% *}" = 200 ] || fail "c2 answered '$result' while c1 is locked out"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 200 ] || fail "c2 not let through"
[ "$(stat_of auth.users.wrong_password)" = "$before" ] || fail "c1's lockout judged more passwords"
pass "c2 signs in at once while c1 is locked out"
ctl stats | grep -q '^auth.lockouts  *1$' || fail "captivectl stats: $(ctl stats | grep auth)"
pass "captivectl stats shows auth.lockouts"
done_ok
