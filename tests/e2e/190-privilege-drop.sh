#!/usr/bin/env bash
# captived started as root with --user: it opens what needs root, then runs
# as that user with CAP_NET_ADMIN and CAP_NET_RAW only (docs/security.md),
# in every thread, and still does its whole job: sign-in, captivectl over
# the control socket, and loading the table again after a flush (the
# `nft -f` child gets the capabilities as ambient ones).
source "$(dirname "$0")/lib.sh"
require
# `nobody` (every Debian system has it): no account of our own on the host.
USER_NAME=nobody
USER_UID=$(id -u "$USER_NAME")
USER_GID=$(id -g "$USER_NAME")
# The user must reach the state dir, the socket dir and the ruleset: our
# temporary directory is 0700 root, and so may be the checkout's parents
# (/root/...): the restore reads a copy here, as a package's
# /usr/share/captive/captive.nft is world-readable.
chmod 0711 "$WORK"
install -m 0644 "$SANDBOX_ROOT/nft/captive.nft" "$WORK/captive.nft"
SOCKET=$WORK/run/captived.sock
topology_up
services_up
ruleset_up
captived_start --user "$USER_NAME" --session-timeout 1h --ruleset "$WORK/captive.nft"

grep -q "running as $USER_NAME (uid $USER_UID" "$WORK/captived.log" || fail "no 'running as' line"
status=/proc/$CAPTIVED_PID/status
ids() { awk -v k="$1:" '$1 == k {print $2, $3, $4, $5}' "$2"; }
cap() { awk -v k="$1:" '$1 == k {print $2}' "$2"; }
# CAP_NET_ADMIN (12) and CAP_NET_RAW (13): bits 0x1000 and 0x2000.
want=0000000000003000
[ "$(ids Uid "$status")" = "$USER_UID $USER_UID $USER_UID $USER_UID" ] || fail "Uid: $(ids Uid "$status")"
[ "$(ids Gid "$status")" = "$USER_GID $USER_GID $USER_GID $USER_GID" ] || fail "Gid: $(ids Gid "$status")"
[ "$(awk '$1 == "Groups:" {print $2 $3}' "$status")" = "$USER_GID" ] || fail "Groups: $(grep Groups: "$status")"
for c in CapEff CapPrm CapAmb CapBnd CapInh; do
  [ "$(cap $c "$status")" = $want ] || fail "$c is $(cap $c "$status"), not $want (CAP_NET_ADMIN, CAP_NET_RAW)"
done
[ "$(cap NoNewPrivs "$status")" = 1 ] || fail "NoNewPrivs: $(cap NoNewPrivs "$status")"
pass "captived runs as $USER_NAME (uid $USER_UID): CapEff = CapPrm = CapAmb = CapBnd = $want, NoNewPrivs"

# Credentials are per thread: every thread dropped, not only the main one.
threads=0
for t in /proc/$CAPTIVED_PID/task/*/status; do
  threads=$((threads + 1))
  name=$(awk '$1 == "Name:" {print $2}' "$t")
  [ "$(ids Uid "$t")" = "$USER_UID $USER_UID $USER_UID $USER_UID" ] || fail "thread $name: Uid $(ids Uid "$t")"
  [ "$(cap CapEff "$t")" = $want ] && [ "$(cap CapPrm "$t")" = $want ] || fail "thread $name: CapEff $(cap CapEff "$t"), CapPrm $(cap CapPrm "$t")"
done
[ $threads -ge 4 ] || fail "only $threads threads (kernel, lookup, state, queue expected)"
pass "all $threads threads run as $USER_NAME with the same two capabilities"

# What it writes after the drop is the user's.
[ "$(stat -c %u "$STATE_DIR")" = "$USER_UID" ] || fail "state dir owned by $(stat -c %U "$STATE_DIR")"
[ "$(stat -c '%u %a %F' "$SOCKET")" = "$USER_UID 600 socket" ] || fail "socket: $(stat -c '%U %a %F' "$SOCKET")"
pass "state dir and control socket (0600) belong to $USER_NAME"

[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 not intercepted"
result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "sign-in answered '$result'"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 not through after sign-in"
pass "intercept and sign-in work after the drop"

ctl status >"$WORK/status.out" || fail "captivectl status: $(cat "$WORK/status.out")"
grep -q "$C1_MAC" < <(ctl list) || fail "captivectl list does not show c1"
pass "captivectl (root) talks to the socket of the unprivileged daemon"

# The nft child: a table deleted outright must be loaded from --ruleset by
# `nft -f`, which needs CAP_NET_ADMIN after the exec (ambient).
wait_log() {  # wait_log N PATTERN: until PATTERN is in the log N times
  for _ in $(seq 1 100); do
    [ "$(grep -c "$2" "$WORK/captived.log")" -ge "$1" ] && return 0
    sleep 0.1
  done
  fail "no '$2' (x$1) in the log"
}
check_state() {  # check_state WHAT
  queue_rule_present || fail "$1: no queue rule"
  in_gw nft list set inet captive allowed | grep "$C1_MAC" >/dev/null || fail "$1: c1's session not back in @allowed"
  [ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "$1: c1 lost access"
  [ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "$1: c2 not intercepted"
  [ "$(http_status "$NS_C2" "http://$UP_V4:8080/" --max-time 2)" = 000 ] || fail "$1: c2 gets through"
}
in_gw nft delete table inet captive
wait_log 1 'table inet captive loaded in'
wait_log 1 'restored queue rule and 1 sessions'
check_state "nft delete table"
grep -q 'cannot restore the ruleset' "$WORK/captived.log" && fail "a restore failed: $(grep 'cannot restore' "$WORK/captived.log" | head -1)"
pass "table deleted: loaded again by the nft child as $USER_NAME, session back"

in_gw nft flush ruleset
wait_log 2 'table inet captive loaded in'
wait_log 2 'restored queue rule and 1 sessions'
check_state "nft flush ruleset"
pass "nft flush ruleset: loaded again, session back"

in_gw nft flush table inet captive
sleep 0.5
check_state "nft flush table inet captive"
pass "nft flush table inet captive: rules, queue rule and session back"

# The stop: the queue rule goes, the state file is written, the socket
# removed, all as the user.
captived_stop || fail "captived did not stop cleanly"
queue_rule_present && fail "queue rule left behind after the stop"
[ -e "$SOCKET" ] && fail "control socket left behind"
[ "$(stat -c %u "$STATE_DIR/sessions.json")" = "$USER_UID" ] || fail "state file not written by $USER_NAME"
pass "clean stop as $USER_NAME: queue rule removed, state file written, socket removed"

# Started as root again without --user, then as a user that does not exist.
: >"$WORK/captived.log"
if in_gw "$CAPTIVED" --lan br0 --state-dir "$STATE_DIR" --socket "$SOCKET" --user captive-no-such-user \
    >>"$WORK/captived.log" 2>&1; then
  fail "captived started with an unknown --user"
fi
grep -q 'no such user' "$WORK/captived.log" || fail "no 'no such user' error: $(cat "$WORK/captived.log")"
pass "an unknown --user refuses the start"
done_ok
