#!/usr/bin/env bash
# A client signs in through the form and then reaches the upstream at kernel
# speed (its packets no longer visit captived); captivectl lists it; the form
# cannot be used to sign in somebody else. Runs with two queues (two packet
# threads) to cover the fan-out.
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
ruleset_up
captived_start --session-timeout 2h --queues 2
in_gw nft list chain inet captive intercept 2>/dev/null | grep 'queue num 0-1' >/dev/null ||
  fail "queue rule does not spread over queues 0-1: $(in_gw nft list chain inet captive intercept 2>&1)"
pass "--queues 2: the rule spreads over queues 0-1"

[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 not intercepted before sign-in"
pass "c1 intercepted before sign-in"

# A forged token, or c2's token replayed by c1, signs nobody in.
status=$(in_c1 curl -s -o /dev/null -w '%{http_code}' --max-time 5 --data "token=$(printf 'a%.0s' $(seq 64))&accept_terms=yes" \
  "http://$GW_V4:$PORTAL_PORT/login")
[ "$status" = 403 ] || fail "forged token answered $status"
c2_token=$(in_c2 curl -sS --max-time 5 "http://$GW_V4:$PORTAL_PORT/" | sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p')
[ -n "$c2_token" ] || fail "no token for c2"
status=$(in_c1 curl -s -o /dev/null -w '%{http_code}' --max-time 5 --data "token=$c2_token&accept_terms=yes&mac=$C1_MAC" \
  "http://$GW_V4:$PORTAL_PORT/login")
[ "$status" = 403 ] || fail "c2's token from c1 answered $status"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 got in with a bad token"
pass "forged and foreign tokens refused"

result=$(sign_in "$NS_C1" "$GW_V4" "http://$UP_V4/index.html")
[ "$result" = "303 http://$UP_V4/index.html" ] || fail "sign-in answered '$result'"
pass "sign-in through the form: 303 to the original URL"

body=$(in_c1 curl -sS --max-time 5 "http://$UP_V4/index.html") || fail "upstream not reachable after sign-in"
[ "$body" = upstream-ok ] || fail "upstream answered '$body'"
pass "IPv4: upstream page after sign-in"
body=$(in_c1 curl -6 -sS --max-time 5 "http://[$UP_V6]/index.html") || fail "upstream (IPv6) not reachable"
[ "$body" = upstream-ok ] || fail "upstream (IPv6) answered '$body'"
pass "IPv6: upstream page after sign-in (the MAC is signed in, not an address)"
status=$(http_status "$NS_C1" "http://$UP_V4:8080/")
[ "$status" = 200 ] || fail "other ports after sign-in: $status"
in_c1 ping -c1 -W2 "$UP_V4" >/dev/null || fail "ping after sign-in"
pass "other traffic passes after sign-in"

# c2 is still intercepted: sign-in is per device.
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "c2 got through on c1's sign-in"
pass "c2 still intercepted"

out=$(ctl list) || fail "captivectl list failed"
grep -q "^$C1_MAC  $C1_V4 " <<<"$out" || fail "list does not show c1: $out"
grep -q "$C2_MAC" <<<"$out" && fail "list shows c2: $out"
[ "$(wc -l <<<"$out")" = 2 ] || fail "list has extra lines: $out"
pass "captivectl list shows c1 with its address"
json=$(ctl list --json) || fail "captivectl list --json failed"
python3 - "$json" "$C1_MAC" "$C1_V4" <<'PY' || fail "list --json: $json"
import json, sys, time
clients = json.loads(sys.argv[1])
assert len(clients) == 1, clients
c = clients[0]
assert c["mac"] == sys.argv[2] and c["ip"] == sys.argv[3], c
now = time.time()
assert abs(c["signed_in_at"] - now) < 60, c
assert 2 * 3600 - 120 < c["expires_at"] - now <= 2 * 3600 + 5, c
assert c["bytes_up"] > 0 and c["packets_up"] > 0, c
assert c["bytes_down"] >= 0 and c["packets_down"] >= 0, c
assert c["method"] == "click-through", c
PY
pass "captivectl list --json: address, times, 2h timeout, bytes counted"

# The kernel holds the session: the MAC is in @allowed with its timeout.
in_gw nft list set inet captive allowed | grep "$C1_MAC.*timeout 2h" >/dev/null || fail "MAC not in @allowed with timeout 2h"
pass "MAC in @allowed with timeout 2h"

# Signed-in HTTP is forwarded by the kernel, not answered by captived.
grep -q "request from $C1_V4" "$WORK/http80.log" || fail "upstream log does not show c1"
pass "c1's requests reach the upstream server"
done_ok
