#!/usr/bin/env bash
# Bad input gets clear errors: captived's flags, an unloadable ruleset, a second
# instance on the same socket, install-ruleset's arguments, captivectl.
source "$(dirname "$0")/lib.sh"
require
topology_up

expect_error() {  # expect_error WANT_STATUS PATTERN CMD...
  local want=$1 pattern=$2 out status=0
  shift 2
  out=$("$@" 2>&1) || status=$?
  [ "$status" = "$want" ] || fail "'$*' exited $status, want $want: $out"
  grep -q -- "$pattern" <<<"$out" || fail "'$*' said '$out', want /$pattern/"
  pass "'${*##*/}' -> $pattern"
}

out=$("$CAPTIVED" --help) || fail "--help failed"
for flag in --lan --portal-port --portal-url --session-timeout --queue-num --state-dir --socket --log-level; do
  grep -q -- "$flag" <<<"$out" || fail "--help does not list $flag"
done
pass "captived --help lists every flag"
expect_error 2 "--lan IFACE is required" "$CAPTIVED"
expect_error 2 "--portal-port: not a port number: 70000" "$CAPTIVED" --lan br0 --portal-port 70000
expect_error 2 "--session-timeout: not a duration" "$CAPTIVED" --lan br0 --session-timeout forever
expect_error 1 "interface nosuch0" in_gw "$CAPTIVED" --lan nosuch0 --state-dir "$STATE_DIR" --socket "$SOCKET"
# No table: captived loads --ruleset itself (051); if it cannot, it does not start.
expect_error 1 "ruleset $WORK/none.nft" in_gw "$CAPTIVED" --lan br0 --state-dir "$STATE_DIR" --socket "$SOCKET" --ruleset "$WORK/none.nft"

expect_error 2 "no such interface\|does not exist" in_gw "$INSTALL_RULESET" --lan nosuch0
expect_error 2 "port" in_gw "$INSTALL_RULESET" --lan br0 --portal-port 0
expect_error 2 "--lan" in_gw "$INSTALL_RULESET"
expect_error 2 "not an interface name" in_gw "$INSTALL_RULESET" --lan -br0
expect_error 2 "not an interface name" in_gw "$INSTALL_RULESET" --lan 'br0"'
ruleset_up
ruleset_up
[ "$(in_gw nft list tables | grep -c 'inet captive')" = 1 ] || fail "install twice: $(in_gw nft list tables)"
pass "install-ruleset is idempotent"

services_up
captived_start
expect_error 1 "another captived" in_gw "$CAPTIVED" --lan br0 --state-dir "$STATE_DIR" --socket "$SOCKET" --portal-port 8512
kill -0 "$CAPTIVED_PID" || fail "the first captived died"
pass "the first instance keeps running"
[ "$(ls -l "$SOCKET" | cut -c1-10)" = "srw-------" ] || fail "control socket mode: $(ls -l "$SOCKET")"
pass "control socket is root-only (0600)"
expect_error 3 "cannot reach captived" "$CAPTIVECTL" --socket "$WORK/none.sock" list
expect_error 2 "unknown command" "$CAPTIVECTL" --socket "$SOCKET" reboot
# A non-root user is refused even if the file mode let it in.
if id nobody >/dev/null 2>&1; then
  chmod 0711 "$WORK"
  chmod 0666 "$SOCKET"
  expect_error 1 "closed the connection\|refused" in_gw setpriv --reuid=nobody --regid=nogroup --clear-groups "$CAPTIVECTL" --socket "$SOCKET" list
fi
captived_stop || fail "captived did not exit cleanly"
in_gw "$INSTALL_RULESET" --remove >/dev/null || fail "--remove failed"
in_gw nft list tables | grep 'inet captive' >/dev/null && fail "table still there after --remove"
in_gw "$INSTALL_RULESET" --remove >/dev/null || fail "--remove of an absent table failed"
pass "install-ruleset --remove (twice)"
done_ok
