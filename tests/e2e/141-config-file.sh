#!/usr/bin/env bash
# captived --config FILE (issue 9, item 8): errors with FILE:LINE at start;
# flags on the command line win; SIGHUP and `captivectl reload` read the
# file again: a new session-timeout applies to the next sign-in, a key that
# needs a restart is named and keeps its value, and a bad file keeps the
# running configuration and says why (log and reload's error).
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
ruleset_up
CONF=$WORK/captived.conf

# --- refused at start, with FILE:LINE ---------------------------------------
start_fails() {  # start_fails PATTERN: captived with $CONF exits 2 saying PATTERN
  local out status=0
  out=$(in_gw "$CAPTIVED" --config "$CONF" --state-dir "$STATE_DIR" --socket "$SOCKET" 2>&1) || status=$?
  [ "$status" = 2 ] || fail "captived with a bad file exited $status, want 2: $out"
  [ "$(wc -l <<<"$out")" = 1 ] || fail "more than one line: $out"
  grep -q -- "$1" <<<"$out" || fail "captived said '$out', want /$1/"
  pass "refused at start: ${1//\\/}"
}
printf '# test\nlan br0\nfrobnicate yes\n' >"$CONF"
start_fails "$CONF:3: unknown key: frobnicate"
printf 'lan br0\n\n# the port\nportal-port 99999\n' >"$CONF"
start_fails "$CONF:4: portal-port: not a port number: 99999"
printf 'lan br0\nsession-timeout two hours\n' >"$CONF"
start_fails "$CONF:2: session-timeout: not a duration"
printf 'lan br0\nbind-ip yes\n' >"$CONF"
start_fails "$CONF:2: bind-ip: takes no value"
printf -- '--lan br0\n' >"$CONF"
start_fails "$CONF:1: write keys without their dashes"
start_fails_missing() {
  local out status=0
  out=$(in_gw "$CAPTIVED" --config "$WORK/none.conf" 2>&1) || status=$?
  [ "$status" = 2 ] && grep -q "$WORK/none.conf: No such file or directory" <<<"$out" || fail "missing file: $status '$out'"
  pass "refused at start: a missing file"
}
start_fails_missing
[ -e "$SOCKET" ] && fail "a refused start left a socket"

# --- runs; the command line wins --------------------------------------------
# captived_start passes --lan br0, --portal-port, --socket, --state-dir and
# --ruleset: the file's lan and portal-port lose to them.
write_conf() {  # write_conf SESSION-TIMEOUT [extra lines...]
  local timeout=$1
  shift
  {
    echo "# captived.conf for e2e 141"
    echo "lan nosuch0        # loses to --lan br0"
    echo "portal-port 9999   # loses to --portal-port"
    echo "session-timeout $timeout"
    echo "site-name ${SITE:-E2E 141}"
    printf '%s\n' "$@"
  } >"$CONF.tmp"
  mv "$CONF.tmp" "$CONF"
}
write_conf 2h
captived_start --config "$CONF"
ctl status >/dev/null || fail "status"
pass "started with --config; --lan and --portal-port on the command line won over the file"

# expires_in MAC: seconds the session of MAC has left, from list --json.
expires_in() {
  ctl list --json | python3 -c "import json,sys,time
for c in json.load(sys.stdin):
    if c['mac'] == '$1': print(int(c['expires_at'] - time.time()))"
}
within() {  # within MAC LOW HIGH
  local left
  left=$(expires_in "$1")
  [ -n "$left" ] && [ "$left" -ge "$2" ] && [ "$left" -le "$3" ] || fail "$1 has '$left' s left, want $2..$3"
}
signed_in() {  # signed_in NS
  local result
  result=$(sign_in "$1")
  [ "${result%% *}" = 303 ] || fail "sign-in from $1 answered '$result'"
}
signed_in "$NS_C1"
within "$C1_MAC" $((2 * 3600 - 60)) $((2 * 3600 + 5))
page=$(in_c2 curl -s --max-time 3 "http://$GW_V4:$PORTAL_PORT/") || fail "no sign-in page for c2"
grep -q "E2E 141" <<<"$page" || fail "site-name from the file not on the page"
pass "session-timeout 2h and site-name from the file"

# --- SIGHUP: a new session-timeout for the next sign-in ---------------------
write_conf 10m
reloads=$(grep -c 'reload: ' "$WORK/captived.log" || true)
kill -HUP "$CAPTIVED_PID"
for _ in $(seq 1 50); do
  [ "$(grep -c 'reload: ' "$WORK/captived.log")" -gt "$reloads" ] && break
  sleep 0.1
done
grep -q "reload: $CONF: applied session-timeout" "$WORK/captived.log" || fail "SIGHUP: no reload logged"
signed_in "$NS_C2"
within "$C2_MAC" $((600 - 60)) 605
within "$C1_MAC" $((2 * 3600 - 120)) $((2 * 3600 + 5))
pass "SIGHUP: the next sign-in gets 10m, the session made before keeps its 2h"

# --- captivectl reload: live keys applied, restart keys named ----------------
SITE="E2E 141 reloaded"
write_conf 5m "queues 2" "dns-server $UP_V4"
out=$(ctl reload) || fail "captivectl reload failed: $out"
grep -q "applied session-timeout, dns-server, site-name" <<<"$out" && grep -q "needs a restart: queues" <<<"$out" || fail "reload said '$out'"
out=$(ctl reload --json) || fail "reload --json"
python3 -c "import json,sys; v = json.loads(sys.argv[1]); assert v['changed'] == [] and v['restart_needed'] == ['queues'], v" "$out" ||
  fail "second reload --json: $out"
grep -q "needs a restart (running value kept): queues" "$WORK/captived.log" || fail "restart key not logged"
ctl revoke "$C2_MAC" >/dev/null
signed_in "$NS_C2"
within "$C2_MAC" $((300 - 60)) 305
# (nft's output in a variable: `nft | grep -q` fails under pipefail when
# grep exits before nft has written everything.)
for _ in $(seq 1 30); do
  dns=$(in_gw nft list set inet captive dns_ip4)
  grep -q "elements = { $UP_V4 }" <<<"$dns" && break
  sleep 0.1
done
grep -q "elements = { $UP_V4 }" <<<"$dns" || fail "dns-server not applied: $dns"
ctl revoke "$C1_MAC" >/dev/null  # signed in, c1 would get "you are online" without the name
page=$(in_c1 curl -s --max-time 3 "http://$GW_V4:$PORTAL_PORT/") || fail "no portal page for c1"
grep -q "E2E 141 reloaded" <<<"$page" || fail "site-name not applied: $page"
pass "captivectl reload: session-timeout 5m, dns-server and site-name applied live; queues named as needing a restart"

# --- a bad file keeps the running configuration and says why ------------------
write_conf 1m "frobnicate 1"
status=0
out=$(ctl reload 2>&1) || status=$?
[ "$status" = 1 ] || fail "reload of a bad file exited $status: $out"
[ "$(wc -l <<<"$out")" = 1 ] || fail "reload error not one line: $out"
grep -q "$CONF:6: unknown key: frobnicate (see captived --help); keeping the running configuration" <<<"$out" || fail "reload said '$out'"
grep -q "reload: $CONF:6: unknown key: frobnicate (see captived --help); keeping the running configuration" "$WORK/captived.log" ||
  fail "bad reload not logged"
write_conf 1m "portal-port 0"
kill -HUP "$CAPTIVED_PID"
for _ in $(seq 1 50); do
  grep -q "reload: $CONF:6: portal-port: not a port number: 0" "$WORK/captived.log" && break
  sleep 0.1
done
grep -q "reload: $CONF:6: portal-port: not a port number: 0; keeping" "$WORK/captived.log" || fail "bad SIGHUP not logged"
alive "after a bad reload"
ctl revoke "$C2_MAC" >/dev/null
signed_in "$NS_C2"
within "$C2_MAC" $((300 - 60)) 305
pass "a bad file (by captivectl reload and by SIGHUP): error with FILE:LINE, captived runs on with 5m"

captived_stop || fail "captived did not exit cleanly"
done_ok
