#!/usr/bin/env bash
# Accounting failover and the disk queue (docs/radius.md "Accounting"):
#   two --radius-acct-server, the first silent (its 1813 dropped): the
#   records reach the second;
#   both down (FreeRADIUS stopped): the Stops of alice and bob are held in
#   <state-dir>/acct-queue, kept across a restart of captived, and when
#   FreeRADIUS is back they arrive in the order they were made, with
#   Acct-Delay-Time saying how late (RFC 2866 §5.2), and with the
#   Acct-Session-Id of their Starts across a restart with the sessions on.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/radius-lib.sh"
require
command -v freeradius >/dev/null || fail "freeradius not installed (scripts/install-deps)"
topology_up
services_up
ruleset_up
ip -n "$NS_UP" addr add 198.51.100.4/24 dev eth0
in_up nft -f - <<'NFT'
table inet e2e_silent {
  chain input {
    type filter hook input priority 0;
    ip daddr 198.51.100.4 udp dport 1813 drop
  }
}
NFT

radius_up <<<"$ALICE_AND_BOB"
RADIUS_PID=${PIDS[-1]}
FLAGS=(--auth radius --radius-server "$UP_V4" --radius-acct-server 198.51.100.4 --radius-acct-server "$UP_V4"
  --radius-secret-file "$WORK/radius-secret" --radius-timeout 1s --radius-retries 0)
captived_start "${FLAGS[@]}"

result=$(radius_sign_in "$NS_C1" alice 'alice pw')
[ "${result%% *}" = 200 ] || fail "alice answered '$result'"
result=$(radius_sign_in "$NS_C2" bob 'bob pw')
[ "${result%% *}" = 200 ] || fail "bob answered '$result'"
acct_wait "$DETAIL" Start 2 >/dev/null
grep -q 'radius: no answer from 198.51.100.4:1813' "$WORK/captived.log" || fail "the first server was not tried"
stat_wait radius.acct.delivered 2 || fail "counters: $(ctl stats --json)"
pass "the first accounting server silent: both Starts reached the second"

starts=$(acct_records "$DETAIL" Start)

kill "$RADIUS_PID"
wait "$RADIUS_PID" 2>/dev/null || true
down_at=$(date +%s)
# A restart with the sessions on: they come back from the state file with
# their Acct-Session-Id (RFC 2866 §5.5: the Stop names the Start's session).
captived_stop || fail "captived did not stop cleanly"
captived_start "${FLAGS[@]}"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "alice's session did not survive the restart"
ctl revoke "$C1_MAC" >/dev/null || fail "revoke alice"
ctl revoke "$C2_MAC" >/dev/null || fail "revoke bob"
for _ in $(seq 1 50); do [ "$(stat_of radius.acct.queued)" = 2 ] && break; sleep 0.1; done
[ "$(stat_of radius.acct.queued)" = 2 ] || fail "counters: $(ctl stats --json)"
# Held after a try no server answered (two 1 s timeouts), not merely not sent yet.
for _ in $(seq 1 50); do [ "$(stat_of radius.acct.unanswered)" -ge 1 ] && break; sleep 0.1; done
[ "$(stat_of radius.acct.unanswered)" -ge 1 ] && [ "$(stat_of radius.acct.queued)" = 2 ] || fail "counters: $(ctl stats --json)"
[ "$(find "$STATE_DIR/acct-queue" -type f | wc -l)" = 2 ] || fail "the queue directory: $(ls -la "$STATE_DIR/acct-queue")"
[ "$(acct_records "$DETAIL" Stop | wc -l)" = 0 ] || fail "a Stop arrived with every server down"
pass "both servers down: the two Stops held on disk"

captived_stop || fail "captived did not stop cleanly"
captived_start "${FLAGS[@]}"
grep -q 'accounting queue .*: 2 records to send' "$WORK/captived.log" || fail "the restart did not find the queue"
sleep 2
radius_start "$NS_UP" "$RADDB" again
stops=$(acct_wait "$DETAIL" Stop 2 30 >/dev/null; acct_records "$DETAIL" Stop)
users=$(python3 -c "import json,sys; print(' '.join(json.loads(l)['User-Name'] for l in sys.stdin))" <<<"$stops")
[ "$users" = "alice bob" ] || fail "the Stops arrived as: $users"
late=$(($(date +%s) - down_at))
python3 -c "
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    assert r['Acct-Terminate-Cause'] == 'Admin-Reset', r
    assert 4 <= int(r['Acct-Delay-Time']) <= $late, r" <<<"$stops" || fail "the Stops: $stops"
python3 -c "
import json, sys
starts = {json.loads(l)['User-Name']: json.loads(l)['Acct-Session-Id'] for l in sys.argv[1].splitlines()}
for line in sys.stdin:
    r = json.loads(line)
    assert r['Acct-Session-Id'] == starts[r['User-Name']], (r, starts)" "$starts" <<<"$stops" ||
  fail "a Stop names another session than its Start: $starts / $stops"
for _ in $(seq 1 50); do [ "$(stat_of radius.acct.queued)" = 0 ] && break; sleep 0.1; done
[ "$(stat_of radius.acct.queued)" = 0 ] && [ "$(find "$STATE_DIR/acct-queue" -type f | wc -l)" = 0 ] ||
  fail "the queue did not empty: $(ctl stats --json)"
pass "kept across a restart of captived, delivered in order (alice, bob) when FreeRADIUS came back, with Acct-Delay-Time and the Starts' Acct-Session-Ids (two restarts)"
alive "queue"
done_ok
