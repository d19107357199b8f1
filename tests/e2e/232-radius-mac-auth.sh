#!/usr/bin/env bash
# --radius-mac-auth against FreeRADIUS: c2's MAC is a RADIUS user
# (Service-Type == Call-Check, with its own Session-Timeout and rate); its
# first intercepted request (a 511) gets it asked about, off the packet
# path, and it is signed in without a page (method radius-mac). c1's MAC
# is unknown: it stays at the gate, and is asked about once however many
# requests it makes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/radius-lib.sh"
require
command -v freeradius >/dev/null || fail "freeradius not installed (scripts/install-deps)"
topology_up
services_up
ruleset_up

c1_id=$(tr 'a-f:' 'A-F-' <<<"$C1_MAC")
c2_id=$(tr 'a-f:' 'A-F-' <<<"$C2_MAC")
radius_up <<USERS
"$c2_id"	Cleartext-Password := "$c2_id", Service-Type == Call-Check
	Session-Timeout = 1200,
	WISPr-Bandwidth-Max-Down = 4000000

DEFAULT	Auth-Type := Reject
USERS
captived_start --auth radius --radius-mac-auth --radius-server "$UP_V4" --radius-secret-file "$WORK/radius-secret" \
  --radius-timeout 1s --radius-retries 1 --session-timeout 2h

[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "c2's first request was not intercepted"
for _ in $(seq 1 50); do [ "$(http_status "$NS_C2" "http://$UP_V4/")" = 200 ] && break; sleep 0.1; done
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 200 ] || fail "c2 not signed in by its MAC: $(tail -n 20 "$WORK/captived.log")"
ctl list --json | python3 -c "
import json, sys
c = {c['mac']: c for c in json.load(sys.stdin)}['$C2_MAC']
assert c['method'] == 'radius-mac' and c['user'] == '$c2_id', c
assert 1100 < c['expires_at'] - c['signed_in_at'] <= 1200, c" || fail "c2's session: $(ctl list --json)"
in_gw nft list set inet captive rate_down | grep -c 'limit rate over 500000 bytes/second' >/dev/null ||
  fail "c2's rate: $(in_gw nft list set inet captive rate_down)"
grep -qF "Service-Type = Call-Check" "$WORK/freeradius-main.log" || fail "no Call-Check request"
pass "c2's MAC is known: signed in without a page after its first 511 (method radius-mac, its Session-Timeout and rate)"

for _ in 1 2 3 4 5; do
  [ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "unknown c1 let through"
  sleep 0.3
done
asked=$(grep -c "User-Name = \"$c1_id\"" "$WORK/freeradius-main.log")
[ "$asked" = 1 ] || fail "c1 asked about $asked times"
[ "$(stat_of auth.radius_mac.asked)" = 2 ] && [ "$(stat_of auth.radius_mac.accepted)" = 1 ] &&
  [ "$(stat_of auth.radius_mac.rejected)" = 1 ] || fail "counters: $(ctl stats --json)"
pass "unknown c1 stays at the gate, asked about once over 5 requests"
done_ok
