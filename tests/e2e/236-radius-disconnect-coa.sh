#!/usr/bin/env bash
# Disconnect and CoA (RFC 5176; docs/radius.md "Disconnect and CoA") from
# FreeRADIUS's `radclient` in the upstream namespace to the gateway's
# --coa-port (3799):
#   a Disconnect-Request with a wrong secret, and one with the right secret
#   from an address that is no RADIUS server, are dropped unanswered,
#   counted and logged, and change nothing;
#   a Disconnect-Request naming alice's Acct-Session-Id is ACKed and cuts
#   her off (511 again; Stop with Admin-Reset), bob goes on;
#   a CoA-Request gives bob a new WISPr-Bandwidth-Max-Down (the kernel's
#   limiter) and Session-Timeout (then one of 3 s ends the session there:
#   Stop Session-Timeout); one naming no session is a CoA-NAK with
#   Error-Cause Session-Context-Not-Found.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/radius-lib.sh"
require
command -v freeradius >/dev/null || fail "freeradius not installed (scripts/install-deps)"
command -v radclient >/dev/null || fail "radclient not installed (scripts/install-deps: freeradius-utils)"
topology_up
services_up
ruleset_up
ip -n "$NS_UP" addr add 198.51.100.9/24 dev eth0

radius_up <<<"$ALICE_AND_BOB"
captived_start --auth radius --radius-server "$UP_V4" --radius-secret-file "$WORK/radius-secret" \
  --radius-timeout 1s --radius-retries 1
COA=198.51.100.1:3799

result=$(radius_sign_in "$NS_C1" alice 'alice pw')
[ "${result%% *}" = 200 ] || fail "alice answered '$result'"
result=$(radius_sign_in "$NS_C2" bob 'bob pw')
[ "${result%% *}" = 200 ] || fail "bob answered '$result'"
acct_wait "$DETAIL" Start 2 >/dev/null
sid_of() { acct_records "$DETAIL" Start | python3 -c "
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if r['User-Name'] == '$1': print(r['Acct-Session-Id'])"; }
alice=$(sid_of alice)
bob=$(sid_of bob)
[ -n "$alice" ] && [ -n "$bob" ] && [ "$alice" != "$bob" ] || fail "Acct-Session-Ids: '$alice' '$bob'"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "alice not through"

# radclient: one try, 1 s; prints the answer with -x.
radclient_to() {  # radclient_to TYPE SECRET (attributes on stdin)
  in_up radclient -x -t 1 -r 1 "$COA" "$1" "$2" 2>&1 || true
}

out=$(printf 'Acct-Session-Id = "%s"\n' "$alice" | radclient_to disconnect 'not the secret')
grep -q 'Disconnect-ACK\|Disconnect-NAK' <<<"$out" && fail "a wrong secret was answered: $out"
[ "$(stat_of radius.coa.dropped_bad_authenticator)" = 1 ] || fail "counters: $(ctl stats --json)"
grep -q "coa: dropped a request from .*$UP_V4.*bad_authenticator" "$WORK/captived.log" || fail "the drop is not logged"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "alice cut off by a wrong secret"
pass "a Disconnect-Request with a wrong secret: no answer, counted, logged, alice goes on"

cat > "$WORK/stranger.py" <<'PY'
# A Disconnect-Request with the right secret (RFC 5176 §2.3 Request
# Authenticator) from an address that is no --radius-server.
import hashlib, socket, struct, sys
secret, sid = sys.argv[1].encode(), sys.argv[2].encode()
attrs = bytes([44, 2 + len(sid)]) + sid
head = bytes([40, 7]) + struct.pack(">H", 20 + len(attrs))
packet = head + hashlib.md5(head + bytes(16) + attrs + secret).digest() + attrs
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.9", 0))
s.settimeout(2)
s.sendto(packet, ("198.51.100.1", 3799))
try:
    s.recvfrom(4096)
    print("answered")
except socket.timeout:
    print("no answer")
PY
out=$(in_up python3 "$WORK/stranger.py" "$RADIUS_SECRET" "$alice")
[ "$out" = "no answer" ] || fail "the stranger got: $out"
[ "$(stat_of radius.coa.dropped_unknown_source)" = 1 ] || fail "counters: $(ctl stats --json)"
grep -q "coa: dropped a request from .*198.51.100.9.*unknown_source" "$WORK/captived.log" || fail "the drop is not logged"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "alice cut off by a stranger"
pass "the right secret from an unknown address: no answer, counted, logged, alice goes on"

out=$(printf 'Acct-Session-Id = "%s"\n' "$alice" | radclient_to disconnect "$RADIUS_SECRET")
grep -q 'Received Disconnect-ACK' <<<"$out" || fail "no Disconnect-ACK: $out"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "alice still through after the Disconnect"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 200 ] || fail "bob cut off with alice"
stop=$(acct_wait "$DETAIL" Stop 1)
[ "$(acct_value Acct-Session-Id <<<"$stop")" = "$alice" ] && [ "$(acct_value Acct-Terminate-Cause <<<"$stop")" = Admin-Reset ] ||
  fail "the Disconnect's Stop: $stop"
[ "$(stat_of radius.coa.disconnect_acked)" = 1 ] || fail "counters: $(ctl stats --json)"
pass "Disconnect-Request by Acct-Session-Id: ACK, alice intercepted again (511), Stop Admin-Reset; bob goes on"

out=$(printf 'Acct-Session-Id = "%s"\nWISPr-Bandwidth-Max-Down = 2000000\nSession-Timeout = 120\n' "$bob" |
  radclient_to coa "$RADIUS_SECRET")
grep -q 'Received CoA-ACK' <<<"$out" || fail "no CoA-ACK: $out"
# (Read whole, then matched: grep -q closing the pipe early can fail nft
# with SIGPIPE under pipefail.)
rates=$(in_gw nft list set inet captive rate_down)
grep -q 'limit rate over 250000 bytes/second' <<<"$rates" || fail "bob's rate: $rates"
ctl list --json | python3 -c "
import json, sys, time
c = {c['mac']: c for c in json.load(sys.stdin)}['$C2_MAC']
assert 100 < c['expires_at'] - time.time() <= 121, c" || fail "bob's session time: $(ctl list --json)"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 200 ] || fail "bob cut off by the CoA"
pass "CoA-Request: ACK, bob's rate 2 Mbit/s in the kernel's limiter (250000 bytes/s), 120 s left"

# The kernel element's timeout is the session's end: a CoA of 3 s ends it
# there, and its Stop says Session-Timeout.
out=$(printf 'Acct-Session-Id = "%s"\nSession-Timeout = 3\n' "$bob" | radclient_to coa "$RADIUS_SECRET")
grep -q 'Received CoA-ACK' <<<"$out" || fail "no CoA-ACK for 3 s: $out"
stop=$(acct_wait "$DETAIL" Stop 2 15)
[ "$(acct_value Acct-Session-Id <<<"$stop")" = "$bob" ] && [ "$(acct_value Acct-Terminate-Cause <<<"$stop")" = Session-Timeout ] ||
  fail "bob's Stop: $stop"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "bob still through after his CoA Session-Timeout"
pass "CoA-Request Session-Timeout = 3: bob's session ended by the kernel's timeout, Stop Session-Timeout, 511 again"

out=$(printf 'Acct-Session-Id = "%s"\nSession-Timeout = 60\n' "no-such-session" | radclient_to coa "$RADIUS_SECRET")
grep -q 'Received CoA-NAK' <<<"$out" && grep -q 'Error-Cause = Session-Context-Not-Found' <<<"$out" ||
  fail "a CoA for no session: $out"
pass "a CoA-Request naming no session: CoA-NAK, Error-Cause Session-Context-Not-Found"
alive "disconnect and coa"
done_ok
