#!/usr/bin/env bash
# Forwarded port 53 before sign-in reaches only the resolvers the operator
# names (captived --dns-server, kept in @dns_ip4 / @dns_ip6), never any
# host: a VPN or tunnel listening on port 53 must not give an unsigned
# client the Internet. By default there are none (clients use the router's
# resolver). The resolvers survive a flush, a reload by the admin, and an
# upgrade from a ruleset that had no DNS sets.
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
GATE=$E2E_DIR/tools/gate.py
# The "tunnels": TCP listeners on port 53 of the upstream (IPv6; its IPv4
# port 53 is dnsmasq) and of a second upstream host that nobody names.
TUN_V4=198.51.100.3 TUN_V6=2001:db8:2::3
ip -n "$NS_UP" addr add "$TUN_V4/24" dev eth0
ip -n "$NS_UP" -6 addr add "$TUN_V6/64" dev eth0 nodad
spawn "$NS_UP" "$WORK/tcp53-up6.log" python3 "$GATE" listen "$UP_V6" 53
spawn "$NS_UP" "$WORK/tcp53-tun4.log" python3 "$GATE" listen "$TUN_V4" 53
spawn "$NS_UP" "$WORK/tcp53-tun6.log" python3 "$GATE" listen "$TUN_V6" 53
for a in "$UP_V6" "$TUN_V4" "$TUN_V6"; do
  wait_for "listener on [$a]:53" in_up python3 "$GATE" connect "$a" 53 1
done
: >"$WORK/tcp53-up6.log"; : >"$WORK/tcp53-tun4.log"; : >"$WORK/tcp53-tun6.log"

probe() { in_c1 python3 "$GATE" connect "$1" 53 2; }  # connected | reset | timeout
dig_udp() { in_c1 dig +short +time=1 +tries=1 @"$1" upstream.test A || true; }
dig_tcp() { in_c1 dig +short +tcp +time=1 +tries=1 @"$1" upstream.test A || true; }
# (Never `cmd | grep -q` here: under pipefail, grep quitting early makes the
# writer die of SIGPIPE and the check fail at random.)
refused_tcp() { in_gw nft list counter inet captive refused_tcp 2>/dev/null | sed -n 's/.*packets \([0-9]*\).*/\1/p' || true; }

ruleset_up
captived_start
grep -q "forwarded DNS before sign-in: none" "$WORK/captived.log" || fail "start log does not say which resolvers"

# Default: no forwarded DNS at all; the router's resolver answers.
[ "$(in_c1 dig +short +time=2 +tries=1 @"$GW_V4" router.test A)" = "$GW_V4" ] || fail "DNS to the router"
pass "DNS to the router's own resolver works"
before=$(refused_tcp)
for a in "$UP_V4" "$UP_V6" "$TUN_V4" "$TUN_V6"; do
  got=$(probe "$a")
  [ "$got" = reset ] || fail "TCP to [$a]:53 before sign-in: $got (want reset)"
done
[ "$(dig_udp "$UP_V4")" != "$UP_V4" ] || fail "UDP DNS to the upstream answered"
[ "$(dig_tcp "$UP_V4")" != "$UP_V4" ] || fail "TCP DNS to the upstream answered"
grep -q accepted "$WORK"/tcp53-*.log && fail "a port-53 listener was reached: $(cat "$WORK"/tcp53-*.log)"
after=$(refused_tcp)
[ $((${after:-0} - ${before:-0})) -ge 5 ] || fail "refused_tcp counter: $before -> $(refused_tcp)"
pass "no --dns-server: TCP/53 to any host is reset, UDP/53 dropped, no listener reached (v4 and v6)"

# Named resolvers: those, and only those.
captived_stop || fail "captived did not stop cleanly"
captived_start --dns-server "$UP_V4" --dns-server "$UP_V6"
grep -q "forwarded DNS before sign-in: $UP_V4, $UP_V6" "$WORK/captived.log" || fail "start log: $(grep DNS "$WORK/captived.log")"
check_named() {  # check_named WHEN
  [ "$(dig_udp "$UP_V4")" = "$UP_V4" ] || fail "$1: UDP DNS to the named resolver"
  [ "$(dig_tcp "$UP_V4")" = "$UP_V4" ] || fail "$1: TCP DNS to the named resolver"
  [ "$(probe "$UP_V6")" = connected ] || fail "$1: TCP to the named IPv6 resolver"
  grep -q "accepted from $C1_V6" "$WORK/tcp53-up6.log" || fail "$1: the IPv6 resolver saw nobody"
  [ "$(probe "$TUN_V4")" = reset ] || fail "$1: TCP/53 to an unnamed IPv4 host got through"
  [ "$(probe "$TUN_V6")" = reset ] || fail "$1: TCP/53 to an unnamed IPv6 host got through"
  grep -q accepted "$WORK/tcp53-tun4.log" "$WORK/tcp53-tun6.log" && fail "$1: an unnamed port-53 listener was reached"
  [ "$(in_c1 python3 "$GATE" connect "$UP_V4" 8080 2)" = reset ] || fail "$1: a named resolver is open beyond port 53"
  : >"$WORK/tcp53-up6.log"
}
check_named "--dns-server"
grep -q "$UP_V4" <<<"$(in_gw nft list set inet captive dns_ip4 2>/dev/null)" || fail "@dns_ip4: $(in_gw nft list set inet captive dns_ip4)"
grep -q "$UP_V6" <<<"$(in_gw nft list set inet captive dns_ip6 2>/dev/null)" || fail "@dns_ip6: $(in_gw nft list set inet captive dns_ip6)"
pass "--dns-server: the named resolvers answer (UDP, TCP, IPv4, IPv6); port 53 of other hosts stays shut"

wait_restored() {  # wait_restored N: until the Nth "restored" log line
  for _ in $(seq 1 50); do
    [ "$(grep -c 'restored queue rule' "$WORK/captived.log")" -ge "$1" ] && return 0
    sleep 0.1
  done
  fail "captived did not restore (restore #$1)"
}
in_gw nft flush ruleset
wait_restored 1
check_named "after nft flush ruleset"
pass "nft flush ruleset: captived loads the table with the resolvers in it"
ruleset_up  # the admin reloads without --dns-server: captived puts its own back
wait_restored 2
for _ in $(seq 1 30); do grep -q "$UP_V4" <<<"$(in_gw nft list set inet captive dns_ip4 2>/dev/null)" && break; sleep 0.1; done
check_named "after install-ruleset"
pass "a reload by the admin: captived fills the DNS sets again"

# Signed in: port 53 anywhere, like everything else.
result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "sign-in answered '$result'"
[ "$(probe "$TUN_V4")" = connected ] || fail "signed-in c1 cannot reach port 53 of another host"
pass "signed in: DNS to any resolver"
ctl revoke "$C1_MAC" >/dev/null

# Upgrade: a table from a ruleset without the DNS sets (port 53 open to
# all). captived replaces it at start and keeps the sessions it took over.
captived_stop || fail "captived did not stop cleanly"
python3 - "$SANDBOX_ROOT/nft/captive.nft" "$WORK/old.nft" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
text = re.sub(r"\tset dns_ip[46] \{[^}]*\}\n", "", text)
text = re.sub(r"\t\tmeta l4proto \{ tcp, udp \} th dport 53 ip6? daddr @dns_ip[46] accept[^\n]*\n", "", text)
text = text.replace("\t\ttcp dport 80 ct state", "\t\tmeta l4proto { tcp, udp } th dport 53 accept\n\t\ttcp dport 80 ct state", 1)
assert "set dns_ip" not in text and "daddr @dns_ip" not in text and "th dport 53 accept" in text
open(sys.argv[2], "w").write(text)
PY
in_gw nft -D 'lan="br0"' -D "portal_port=$PORTAL_PORT" -D portal_tls_port=8443 -f "$WORK/old.nft" || fail "loading the old ruleset"
in_gw nft add element inet captive allowed "{ $C2_MAC timeout 1h }"
[ "$(probe "$TUN_V4")" = connected ] || fail "the old ruleset should let port 53 through (test premise)"
captived_start --dns-server "$UP_V4"
grep -q "loading .* again" "$WORK/captived.log" || fail "no reload of the old table: $(tail -5 "$WORK/captived.log")"
grep -q "$UP_V4" <<<"$(in_gw nft list set inet captive dns_ip4 2>/dev/null)" || fail "no @dns_ip4 after the upgrade: $(in_gw nft list table inet captive 2>&1)"
[ "$(probe "$TUN_V4")" = reset ] || fail "after the upgrade: port 53 of another host still open"
[ "$(dig_udp "$UP_V4")" = "$UP_V4" ] || fail "after the upgrade: the named resolver"
grep -q "$C2_MAC" <<<"$(in_gw nft list set inet captive allowed 2>/dev/null)" || fail "the session taken over was lost in the upgrade"
pass "a table without DNS sets (older ruleset) is replaced at start; sessions kept"
# The same while captived runs: the admin loads the old file again.
in_gw nft -D 'lan="br0"' -D "portal_port=$PORTAL_PORT" -D portal_tls_port=8443 -f "$WORK/old.nft" || fail "loading the old ruleset again"
for _ in $(seq 1 50); do grep -q "$UP_V4" <<<"$(in_gw nft list set inet captive dns_ip4 2>/dev/null)" && break; sleep 0.1; done
grep -q "loading .* over the table somebody loaded" "$WORK/captived.log" || fail "no reload over the old table: $(tail -5 "$WORK/captived.log")"
[ "$(probe "$TUN_V4")" = reset ] || fail "old table loaded while running: port 53 of another host open"
[ "$(dig_udp "$UP_V4")" = "$UP_V4" ] || fail "old table loaded while running: the named resolver"
grep -q "$C2_MAC" <<<"$(in_gw nft list set inet captive allowed 2>/dev/null)" || fail "c2's session lost"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 not intercepted after the reload over the old table"
pass "an older ruleset loaded while captived runs is replaced too; sessions and queue rule back"

# install-ruleset names resolvers too (for a table loaded without captived).
captived_stop || fail "captived did not stop cleanly"
in_gw "$INSTALL_RULESET" --lan br0 --dns-server "$TUN_V4" --dns-server "$TUN_V6" >/dev/null || fail "install-ruleset --dns-server"
[ "$(probe "$TUN_V4")" = connected ] && [ "$(probe "$TUN_V6")" = connected ] || fail "install-ruleset --dns-server: not reachable"
[ "$(probe "$UP_V6")" = reset ] || fail "install-ruleset --dns-server: an unnamed host reachable"
pass "install-ruleset --dns-server ADDR: the same sets, without captived"
done_ok
