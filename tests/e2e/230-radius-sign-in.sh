#!/usr/bin/env bash
# --auth radius against a real FreeRADIUS (Debian's freeradius 3.2) in the
# upstream namespace, with Message-Authenticator required of the router
# (require_message_authenticator = yes: a request without one is dropped
# by the server, so every accept here proves it is there and right).
#   - alice's Access-Accept carries Session-Timeout 6, Idle-Timeout,
#     ChilliSpot-Max-Total-Octets, WISPr-Bandwidth-Max-Up/Down and a
#     Reply-Message with HTML in it: the session's time, quota, idle time
#     and both rates are what the kernel holds, the message is on the page,
#     escaped;
#   - a wrong password and an unknown user are refused (403), the
#     Reject's Reply-Message on the page;
#   - a voucher code (the RADIUS user whose password is the code) signs
#     in through the voucher form;
#   - the Access-Request carried the attributes docs/radius.md lists.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/radius-lib.sh"
require
command -v freeradius >/dev/null || fail "freeradius not installed (scripts/install-deps)"
topology_up
services_up
ruleset_up

radius_up <<'USERS'
alice	Cleartext-Password := "alice pw"
	Session-Timeout = 6,
	Idle-Timeout = 300,
	ChilliSpot-Max-Total-Octets = 5000000,
	WISPr-Bandwidth-Max-Down = 8000000,
	WISPr-Bandwidth-Max-Up = 2000000,
	Reply-Message = "Welcome <alice> & enjoy"

"K7PM-Q2XR"	Cleartext-Password := "K7PM-Q2XR"
	Session-Timeout = 3600,
	Reply-Message = "Voucher accepted"

DEFAULT	Auth-Type := Reject
	Reply-Message = "No such account here"
USERS
captived_start --auth radius --radius-vouchers --radius-server "$UP_V4" --radius-secret-file "$WORK/radius-secret" \
  --nas-id e2e-router --radius-timeout 1s --radius-retries 1 --session-timeout 2h

page=$(ip netns exec "$NS_C1" curl -sS --max-time 10 "http://$GW_V4:$PORTAL_PORT/")
grep -q 'name="method" value="radius"' <<<"$page" && grep -q 'name="password"' <<<"$page" && grep -q 'name="code"' <<<"$page" ||
  fail "the page has no RADIUS user and voucher forms: $page"
pass "the page shows the RADIUS user form and the voucher form"

result=$(radius_sign_in "$NS_C1" alice 'wrong pw')
[ "${result%% *}" = 403 ] || fail "a wrong password answered '$result'"
result=$(radius_sign_in "$NS_C1" bob 'bob pw')
[ "${result%% *}" = 403 ] || fail "an unknown user answered '$result'"
grep -q 'No such account here' "$WORK/last-login.html" || fail "the Reject's Reply-Message is not on the page: $(cat "$WORK/last-login.html")"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "a rejected client let through"
pass "Access-Reject: 403, the Reply-Message on the page, still held at the gate"

result=$(radius_sign_in "$NS_C1" alice 'alice pw')
[ "${result%% *}" = 200 ] || fail "alice answered '$result': $(cat "$WORK/last-login.html"; tail -n 30 "$WORK/captived.log")"
grep -q 'Welcome &lt;alice&gt; &amp; enjoy' "$WORK/last-login.html" ||
  fail "the Accept's Reply-Message is not on the page, escaped: $(cat "$WORK/last-login.html")"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "alice not let through"
pass "Access-Accept: alice is in, the Reply-Message on the page (escaped)"

json=$(ctl list --json) || fail "list --json"
python3 - "$json" "$C1_MAC" <<'PY' || fail "list --json: $json"
import json, sys
c = {c["mac"]: c for c in json.loads(sys.argv[1])}[sys.argv[2]]
assert c["method"] == "radius" and c["user"] == "alice", c
assert 0 < c["expires_at"] - c["signed_in_at"] <= 7, c
assert c["quota_bytes"] == 5_000_000, c
assert c["idle_timeout"] == 300, c
PY
in_gw nft list set inet captive allowed | grep -E "$C1_MAC.*timeout [2-6]s" >/dev/null ||
  fail "alice's element has not the 6 s of Session-Timeout: $(in_gw nft list set inet captive allowed)"
# WISPr rates are bits per second: 8000000 down = 1000000 bytes/s, 2000000 up = 250000 bytes/s.
in_gw nft list set inet captive rate_down | grep -c 'limit rate over 1000000 bytes/second' >/dev/null ||
  fail "rate_down: $(in_gw nft list set inet captive rate_down)"
in_gw nft list set inet captive rate_up | grep -c 'limit rate over 250000 bytes/second' >/dev/null ||
  fail "rate_up: $(in_gw nft list set inet captive rate_up)"
pass "Session-Timeout, Idle-Timeout, ChilliSpot quota and WISPr rates are the session's, in the kernel"

result=$(radius_voucher_sign_in "$NS_C2" 'K7PM-Q2XR')
[ "${result%% *}" = 200 ] || fail "the voucher answered '$result': $(cat "$WORK/last-login.html")"
grep -q 'Voucher accepted' "$WORK/last-login.html" || fail "no Reply-Message for the voucher"
ctl list --json | python3 -c "
import json, sys
c = {c['mac']: c for c in json.load(sys.stdin)}['$C2_MAC']
assert c['method'] == 'radius-voucher' and c['user'] == 'K7PM-Q2XR', c
assert 3500 < c['expires_at'] - c['signed_in_at'] <= 3600, c" || fail "the voucher's session: $(ctl list --json)"
pass "a voucher code signs in as its RADIUS user (method radius-voucher, its Session-Timeout)"

# What the server received (freeradius -X prints each request's attributes).
log="$WORK/freeradius-main.log"
c1_station=$(tr 'a-f:' 'A-F-' <<<"$C1_MAC")
for want in "Calling-Station-Id = \"$c1_station\"" 'NAS-Identifier = "e2e-router"' 'NAS-Port-Type = Wireless-802.11' \
  'NAS-IP-Address = 198.51.100.1' "Framed-IP-Address = $C1_V4" 'Acct-Session-Id = "' 'Called-Station-Id = "' \
  'Message-Authenticator = 0x' 'User-Password = "alice pw"'; do
  grep -qF "$want" "$log" || fail "the Access-Request lacks $want: $(grep -A 14 'Received Access-Request' "$log" | head -n 30)"
done
pass "the Access-Request carries User-Name, User-Password, Calling/Called-Station-Id, NAS-*, Framed-IP-Address, Acct-Session-Id, Message-Authenticator"

for _ in $(seq 1 100); do grep -q "session end mac=$C1_MAC" "$WORK/captived.log" && break; sleep 0.1; done
grep "session end mac=$C1_MAC" "$WORK/captived.log" | grep -q "cause=timeout method=radius" ||
  fail "alice's session did not end by its Session-Timeout: $(grep 'session end' "$WORK/captived.log")"
pass "alice's session ended after the 6 s of Session-Timeout"
[ "$(stat_of auth.radius.accepted)" = 2 ] && [ "$(stat_of auth.radius.rejected)" = 2 ] ||
  fail "counters: $(ctl stats --json)"
pass "auth.radius.accepted 2, rejected 2"
done_ok
