#!/usr/bin/env bash
# Two ways a stock system ended captived (issue 8, item 7):
# - the control socket's directory is missing (the default
#   /run/captive/captived.sock, /run being a fresh tmpfs at boot): captived
#   creates it, mode 0700, and starts;
# - SIGHUP (its default action ends a process; service managers and admins
#   send it to ask for a reload): captived reloads (here, started without
#   --config, it says there is nothing to read) and keeps answering clients
#   and captivectl (reload of a config file: e2e 141).
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
ruleset_up

# A socket two directory levels below anything that exists.
SOCKET=$WORK/run/captive/captived.sock
[ -e "$WORK/run" ] && fail "$WORK/run exists before the start"
captived_start
[ -S "$SOCKET" ] || fail "no control socket at $SOCKET"
for dir in "$WORK/run" "$WORK/run/captive"; do
  [ "$(stat -c %a "$dir")" = 700 ] || fail "$dir: mode $(stat -c %a "$dir"), want 700"
done
pass "missing socket directories created (0700), captived started"
ctl list >/dev/null || fail "captivectl cannot reach captived at $SOCKET"
pass "captivectl reaches captived through the new directory"

[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "no 511 before SIGHUP"
for round in 1 2; do
  kill -HUP "$CAPTIVED_PID"
  for _ in $(seq 1 50); do
    [ "$(grep -c 'SIGHUP: reloading' "$WORK/captived.log")" -ge "$round" ] && break
    alive "after SIGHUP $round"
    sleep 0.1
  done
  [ "$(grep -c 'SIGHUP: reloading' "$WORK/captived.log")" -ge "$round" ] || fail "SIGHUP $round not logged"
  alive "after SIGHUP $round"
  [ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "no 511 after SIGHUP $round"
  ctl stats >/dev/null || fail "captivectl after SIGHUP $round"
  grep -q 'started without --config: nothing to read again' "$WORK/captived.log" || fail "SIGHUP $round: no word on the missing config file"
  pass "SIGHUP $round: logged (no config file to read); 511 and captivectl still served"
done

captived_stop || fail "captived did not exit cleanly after the SIGHUPs"
[ -e "$SOCKET" ] && fail "socket left behind at $SOCKET"
pass "clean stop removes the socket"
done_ok
