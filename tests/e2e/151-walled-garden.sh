#!/usr/bin/env bash
# The walled garden (issue 9, item 10): destinations an unsigned client may
# reach before signing in, not intercepted (port 80 reaches the real server)
# and forwarded. --allow-ip ranges (IPv4 and IPv6) from the start; for
# --allow-domain, a real dnsmasq on the router, configured with the lines
# captived writes (--dnsmasq-conf), puts the addresses it resolves for the
# name into @garden_dns4/@garden_dns6 (nftset=). A name's address is
# reachable once a client resolved it; its neighbour address, and the
# address of a name outside the garden resolved by the same dnsmasq, are not.
source "$(dirname "$0")/lib.sh"
require
dnsmasq --version | grep -qw nftset || fail "this dnsmasq has no nftset support (needs 2.87+ built with nftset)"
topology_up
services_up
GATE=$E2E_DIR/tools/gate.py

# The "Internet" behind the upstream namespace: a range in the garden by
# address, one outside it, a garden name's addresses and their neighbours.
IN_RANGE=203.0.113.17 OUT_RANGE=203.0.113.33
IN_RANGE6=2001:db8:3::5 OUT_RANGE6=2001:db8:4::5
NAME_V4=203.0.113.50 NEIGHBOUR_V4=203.0.113.51
NAME_V6=2001:db8:5::50 NEIGHBOUR_V6=2001:db8:5::51
AUTH_DNS=198.51.100.53   # the names' authoritative server, upstream
ROUTER_DNS=192.0.2.53    # the router's dnsmasq with the garden (on the LAN)
for a in $IN_RANGE $OUT_RANGE $NAME_V4 $NEIGHBOUR_V4 $AUTH_DNS; do ip -n "$NS_UP" addr add "$a/32" dev eth0; done
for a in $IN_RANGE6 $OUT_RANGE6 $NAME_V6 $NEIGHBOUR_V6; do ip -n "$NS_UP" -6 addr add "$a/128" dev eth0 nodad; done
ip -n "$NS_GW" route add 203.0.113.0/24 via "$UP_V4"
for p in 2001:db8:3::/48 2001:db8:4::/48 2001:db8:5::/48; do ip -n "$NS_GW" -6 route add "$p" via "$UP_V6"; done
ip -n "$NS_GW" addr add "$ROUTER_DNS/24" dev br0
# Authoritative for the test names (TTL 0, as dnsmasq answers its own
# records: the router's dnsmasq does not cache them, so every lookup goes
# upstream and adds the address again).
spawn "$NS_UP" "$WORK/dns-auth.log" dnsmasq --keep-in-foreground --no-resolv --no-hosts --conf-file=/dev/null \
  --pid-file= --bind-interfaces --listen-address="$AUTH_DNS" --port=53 --user=root \
  --address=/garden.example/$NAME_V4 --address=/garden.example/$NAME_V6 \
  --address=/other.example/$NEIGHBOUR_V4 --address=/other.example/$NEIGHBOUR_V6
wait_for "authoritative DNS" in_up dig +short +time=1 +tries=1 @"$AUTH_DNS" garden.example A

ruleset_up
SNIPPET=$WORK/dnsmasq.d/captive-walled-garden.conf
mkdir -p "$WORK/dnsmasq.d"
captived_start --allow-ip 203.0.113.16/28 --allow-ip 2001:db8:3::/64 --allow-domain Garden.Example \
  --dnsmasq-conf "$SNIPPET"
grep -q "walled garden: 2 addresses, 1 names" "$WORK/captived.log" || fail "start log: $(grep garden "$WORK/captived.log")"
grep -qx "nftset=/garden.example/4#inet#captive#garden_dns4,6#inet#captive#garden_dns6" "$SNIPPET" ||
  fail "the dnsmasq lines captived wrote: $(cat "$SNIPPET" 2>&1)"
pass "captived wrote the nftset line for garden.example to --dnsmasq-conf"

# The router's resolver: its own configuration (no system files), which
# includes captived's lines, as docs/walled-garden.md says to.
cat >"$WORK/dnsmasq-router.conf" <<CONF
no-resolv
no-hosts
bind-interfaces
listen-address=$ROUTER_DNS
port=53
server=$AUTH_DNS
log-queries
log-facility=-
conf-file=$SNIPPET
CONF
spawn "$NS_GW" "$WORK/dns-router.log" dnsmasq --keep-in-foreground --conf-file="$WORK/dnsmasq-router.conf" \
  --pid-file= --user=root
wait_for "the router's dnsmasq" in_gw dig +short +time=1 +tries=1 @"$ROUTER_DNS" router-check.example A

http_body() { ip netns exec "$NS_C1" curl -s --max-time 3 "$@" 2>/dev/null || true; }
reaches() {  # reaches ADDR WHAT: port 80 (not intercepted) and 8080 reach the real server
  local url_host=$1 me=$C1_V4
  [[ $1 == *:* ]] && url_host="[$1]" me=$C1_V6
  : >"$WORK/http80.log"
  [ "$(http_body "http://$url_host/")" = upstream-ok ] || fail "$2: port 80 of $1 did not reach the server"
  grep -q "request from $me" "$WORK/http80.log" || fail "$2: the server saw no request ($(cat "$WORK/http80.log"))"
  [ "$(http_body "http://$url_host:8080/")" = upstream-ok ] || fail "$2: port 8080 of $1"
}
shut() {  # shut ADDR WHAT: port 80 intercepted (511), 8080 reset, nothing reaches the server
  local url_host=$1
  [[ $1 == *:* ]] && url_host="[$1]"
  : >"$WORK/http80.log"
  [ "$(http_status "$NS_C1" "http://$url_host/")" = 511 ] || fail "$2: port 80 of $1 not intercepted"
  [ "$(in_c1 python3 "$GATE" connect "$1" 8080 2)" = reset ] || fail "$2: TCP/8080 of $1 not refused"
  grep -q "request from" "$WORK/http80.log" && fail "$2: $1 reached the server: $(cat "$WORK/http80.log")"
  return 0
}

# --- --allow-ip ---------------------------------------------------------------
reaches "$IN_RANGE" "--allow-ip 203.0.113.16/28"
reaches "$IN_RANGE6" "--allow-ip 2001:db8:3::/64"
shut "$OUT_RANGE" "outside 203.0.113.16/28"
shut "$OUT_RANGE6" "outside 2001:db8:3::/64"
pass "--allow-ip: an unsigned client reaches the ranges (port 80 not intercepted, IPv4 and IPv6), not the next ones"

# --- --allow-domain through dnsmasq -------------------------------------------
shut "$NAME_V4" "garden.example's address before any lookup"
[ "$(in_c1 dig +short +time=2 +tries=1 @"$ROUTER_DNS" garden.example A)" = "$NAME_V4" ] || fail "lookup of garden.example"
[ "$(in_c1 dig +short +time=2 +tries=1 @"$ROUTER_DNS" garden.example AAAA)" = "$NAME_V6" ] || fail "AAAA of garden.example"
grep -q "$NAME_V4" <<<"$(in_gw nft list set inet captive garden_dns4)" || fail "@garden_dns4: $(in_gw nft list set inet captive garden_dns4)"
grep -q "$NAME_V6" <<<"$(in_gw nft list set inet captive garden_dns6)" || fail "@garden_dns6: $(in_gw nft list set inet captive garden_dns6)"
pass "the router's dnsmasq resolved garden.example into @garden_dns4 / @garden_dns6"
reaches "$NAME_V4" "garden.example (IPv4)"
reaches "$NAME_V6" "garden.example (IPv6)"
[ "$(http_body -H "Host: garden.example" "http://$NAME_V4/")" = upstream-ok ] || fail "garden.example by name"
pass "garden.example is reachable before sign-in once resolved (IPv4, IPv6, port 80 to the real server)"
shut "$NEIGHBOUR_V4" "the neighbour of garden.example's address"
shut "$NEIGHBOUR_V6" "the neighbour of garden.example's IPv6 address"
[ "$(in_c1 dig +short +time=2 +tries=1 @"$ROUTER_DNS" other.example A)" = "$NEIGHBOUR_V4" ] || fail "lookup of other.example"
shut "$NEIGHBOUR_V4" "other.example (resolved, not in the garden)"
grep -q "$NEIGHBOUR_V4" <<<"$(in_gw nft list set inet captive garden_dns4)" && fail "other.example went into the garden"
pass "the neighbour addresses stay shut, also after a name outside the garden resolved to one"

# --- what the operator sees, and a flush -------------------------------------
json=$(ctl_json_lists() { in_gw python3 - "$SOCKET" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(10); s.connect(sys.argv[1])
s.sendall(b'{"cmd":"lists"}\n'); data = b""
while not data.endswith(b"\n"):
    c = s.recv(65536)
    if not c: break
    data += c
print(data.decode().strip())
PY
}; ctl_json_lists)
python3 - "$json" <<'PY' || fail "lists: $json"
import json, sys
r = json.loads(sys.argv[1])
assert r["ok"] and r["allow_ip"] == ["203.0.113.16/28", "2001:db8:3::/64"] and r["allow_domain"] == ["garden.example"], r
PY
pass "the control protocol's lists shows the garden"
in_gw nft flush ruleset
for _ in $(seq 1 50); do grep -q 'restored queue rule' "$WORK/captived.log" && break; sleep 0.1; done
reaches "$IN_RANGE" "--allow-ip after nft flush ruleset"
shut "$OUT_RANGE" "outside the range after the flush"
[ "$(in_c1 dig +short +time=2 +tries=1 @"$ROUTER_DNS" garden.example A)" = "$NAME_V4" ] || fail "lookup after the flush"
reaches "$NAME_V4" "garden.example after the flush and a new lookup"
pass "after nft flush ruleset: the ranges are back at once, a name at its next lookup"

# Signed in: everything, the garden changes nothing.
result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "sign-in answered '$result'"
[ "$(http_body "http://$OUT_RANGE:8080/")" = upstream-ok ] || fail "signed-in c1 outside the garden"
pass "signed in: outside the garden too"
alive "end"
done_ok
