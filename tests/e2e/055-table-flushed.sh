#!/usr/bin/env bash
# Somebody else takes the table apart: `nft flush ruleset` (a firewall
# reload), a reload of our ruleset, a flush of chain intercept. captived
# notices and puts back the table, its queue rule and every session.
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
ruleset_up
captived_start --session-timeout 1h

result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "sign-in answered '$result'"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 not through after sign-in"

wait_restored() {  # wait_restored N: until the Nth "restored" log line
  for _ in $(seq 1 50); do
    [ "$(grep -c 'restored queue rule' "$WORK/captived.log")" -ge "$1" ] && return 0
    sleep 0.1
  done
  fail "captived did not restore (restore #$1)"
}

check_state() {  # check_state WHAT
  queue_rule_present || fail "$1: no queue rule"
  in_gw nft list set inet captive allowed | grep "$C1_MAC" >/dev/null || fail "$1: c1's session not back in @allowed"
  [ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "$1: c1 lost access"
  [ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "$1: c2 not intercepted"
  [ "$(http_status "$NS_C2" "http://$UP_V4:8080/" --max-time 2)" = 000 ] || fail "$1: c2 gets through"
}

in_gw nft flush ruleset
wait_restored 1
check_state "nft flush ruleset"
grep -q 'restored queue rule and 1 sessions' "$WORK/captived.log" || fail "log: $(tail -3 "$WORK/captived.log")"
pass "nft flush ruleset: table, queue rule and the session back"

ruleset_up
wait_restored 2
check_state "install-ruleset again"
pass "ruleset reloaded by the admin: queue rule and session back"

in_gw nft flush chain inet captive intercept
wait_restored 3
check_state "flush chain intercept"
pass "chain intercept flushed: queue rule back"

# Our own changes (sign-in, revoke) trigger nothing.
before=$(grep -c 'restored queue rule' "$WORK/captived.log")
ctl revoke "$C1_MAC" >/dev/null
result=$(sign_in "$NS_C1")
sleep 0.3
[ "$(grep -c 'restored queue rule' "$WORK/captived.log")" = "$before" ] || fail "own changes triggered a restore"
pass "captived's own changes are not mistaken for a flush"

# A revoked client stays revoked across a flush.
ctl revoke "$C1_MAC" >/dev/null
in_gw nft flush ruleset
wait_restored 4
in_gw nft list set inet captive allowed | grep "$C1_MAC" >/dev/null && fail "revoked c1 came back after the flush"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "revoked c1 not intercepted after the flush"
pass "a revoked session is not restored"

# Many sessions: 20 000 already in the set when captived starts (taken
# over), then a flush. One restore of all of them, and then quiet: our own
# 20 000 element events overflow the watch socket, which must not look like
# another flush (it once did, and restored forever).
captived_stop || fail "captived did not stop cleanly"
python3 - "$WORK/elements.nft" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for start in range(0, 20000, 1000):
        macs = ", ".join("02:77:00:%02x:%02x:%02x timeout 1h" % (i >> 16 & 255, i >> 8 & 255, i & 255)
                         for i in range(start, start + 1000))
        f.write("add element inet captive allowed { %s }\n" % macs)
PY
in_gw nft -f "$WORK/elements.nft" || fail "loading 20 000 elements"
captived_start
grep -q 'took over 20000 sessions' "$WORK/captived.log" || fail "not taken over: $(grep -i 'took over' "$WORK/captived.log")"
in_gw nft flush ruleset
for _ in $(seq 1 100); do grep -q 'restored queue rule and 20000 sessions' "$WORK/captived.log" && break; sleep 0.1; done
grep -q 'restored queue rule and 20000 sessions' "$WORK/captived.log" || fail "20 000 sessions not restored: $(grep restored "$WORK/captived.log" | tail -2)"
sleep 2
[ "$(grep -c 'restored queue rule' "$WORK/captived.log")" = 1 ] || fail "restored more than once: $(grep -c 'restored queue rule' "$WORK/captived.log") times"
[ "$(in_gw nft list set inet captive allowed | grep -o '02:77:' | wc -l)" = 20000 ] || fail "not 20 000 elements in the set"
pass "20 000 sessions: taken over at start, restored once after a flush ($(grep -o 'sessions in [0-9.]* ms' "$WORK/captived.log")), then quiet"
done_ok
