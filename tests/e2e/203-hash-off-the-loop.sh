#!/usr/bin/env bash
# A password hash in progress does not hold the event loop: while c1's
# sign-in is being verified (a deliberately slow hash: 100 passes over
# 64 MiB, ~2.5 s here), c2 gets its page and captivectl answers. Ordering,
# not a timing threshold: the pool's own counters say the hash was running
# (auth.pool_started 1, auth.pool_done 0) before c2's page was asked for
# and still after it was served, and captivectl's own answer says so too.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/auth-lib.sh"
require
topology_up
services_up
ruleset_up
USERS="$WORK/users"
user_add "$USERS" slow 'slow pw' --pwhash-ops 100 --pwhash-mem 64M
captived_start --auth click --auth users --users "$USERS"

pool() {  # "STARTED DONE" from one `captivectl stats --json`
  ctl stats --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["auth.pool_started"], s["auth.pool_done"])'
}
user_sign_in "$NS_C1" slow 'slow pw' >"$WORK/c1.result" &
SIGN_IN_PID=$!
# Once a pool thread has taken the job, the hash is running.
running=
for _ in $(seq 1 200); do
  state=$(pool)
  [ "$state" = "1 0" ] && { running=1; break; }
  [ "$state" = "1 1" ] && fail "c1's hash was over before captivectl could say it ran: the event loop waited for it (or it was too fast to tell)"
  sleep 0.05
done
[ -n "$running" ] || fail "c1's hash never started (pool: $state)"
status=$(http_status "$NS_C2" "http://$GW_V4:$PORTAL_PORT/")
[ "$status" = 200 ] || fail "c2's page answered $status during c1's hash"
state=$(pool)
[ "$state" = "1 0" ] || fail "c1's hash was over before c2's page came (pool: $state): not slow enough to tell"
pass "c2's page served while c1's hash runs (pool started 1, done 0 before and after)"
# captivectl's answer carries the pool's state at the time it was made.
[ "$(pool)" = "1 0" ] || fail "captivectl answered only after the hash, or it was over (pool: $(pool))"
pass "captivectl answers during the hash (its stats: started 1, done 0)"
wait "$SIGN_IN_PID"
result=$(cat "$WORK/c1.result")
[ "${result%% *}" = 200 ] || fail "c1 answered '$result'"
[ "$(stat_of auth.pool_done)" = 1 ] || fail "pool_done $(stat_of auth.pool_done)"
pass "then c1's sign-in completes (pool_done 1)"
done_ok
