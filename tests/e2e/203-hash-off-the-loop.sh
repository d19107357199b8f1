#!/usr/bin/env bash
# A password hash in progress does not hold the event loop: while c1's
# sign-in is being verified (a deliberately slow hash: 60 passes over
# 64 MiB), c2 gets its page, captivectl answers, and only then does c1's
# answer come. Ordering and counts, not a timing threshold: the pool's
# done count is still 0 when c2 is served, and c1's answer is not there yet.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/auth-lib.sh"
require
topology_up
services_up
ruleset_up
USERS="$WORK/users"
user_add "$USERS" slow 'slow pw' --pwhash-ops 60 --pwhash-mem 64M
captived_start --auth click --auth users --users "$USERS"

(user_sign_in "$NS_C1" slow 'slow pw' >"$WORK/c1.result"; touch "$WORK/c1.done") &
SIGN_IN_PID=$!
# The hash has started once the pool holds a job: the portal took the POST.
for _ in $(seq 1 100); do
  [ "$(stat_of portal.pages)" -ge 1 ] && grep -q . <(ctl stats | grep '^auth.pool_done  *0$') && break
  sleep 0.05
done
sleep 0.3
status=$(http_status "$NS_C2" "http://$GW_V4:$PORTAL_PORT/")
[ "$status" = 200 ] || fail "c2's page answered $status during c1's hash"
pool_done=$(stat_of auth.pool_done)
[ -e "$WORK/c1.done" ] && fail "c1's sign-in finished before c2's page: the hash was not slow enough to tell"
[ "$pool_done" = 0 ] || fail "the pool finished before c2's page: pool_done=$pool_done"
pass "c2's page served while c1's hash runs (pool_done 0, c1 not answered yet)"
ctl status >/dev/null || fail "captivectl status during the hash"
[ -e "$WORK/c1.done" ] && fail "captivectl answered only after the hash"
pass "captivectl answers during the hash"
wait "$SIGN_IN_PID"
result=$(cat "$WORK/c1.result")
[ "${result%% *}" = 200 ] || fail "c1 answered '$result'"
[ "$(stat_of auth.pool_done)" = 1 ] || fail "pool_done $(stat_of auth.pool_done)"
pass "then c1's sign-in completes (pool_done 1)"
done_ok
