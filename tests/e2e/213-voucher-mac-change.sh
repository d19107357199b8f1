#!/usr/bin/env bash
# A phone that changes its MAC (per-network MAC randomisation) reuses its
# voucher (issue 12, items 3 and 8): with --devices 2, c1 signs in, comes
# back with a new MAC (intercepted again: the kernel knows MACs), and the
# same code signs the new MAC in; a third MAC is refused as used up.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/voucher-lib.sh"
require
topology_up
services_up
ruleset_up
captived_start --auth voucher

# c1 takes a new MAC, as a phone does: the gateway learns it anew.
new_mac() {  # new_mac MAC
  ip -n "$NS_C1" link set eth0 down
  ip -n "$NS_C1" link set eth0 address "$1" up
  ip -n "$NS_C1" route replace default via "$GW_V4"
  ip -n "$NS_C1" -6 route replace default via "$GW_V6" 2>/dev/null || true
  in_gw ip neigh flush dev br0
  in_c1 ip neigh flush dev eth0
  in_c1 ping -c1 -W2 "$GW_V4" >/dev/null || fail "c1 with MAC $1 cannot reach the gateway"
}

code=$(new_voucher --duration 1h --devices 2)
result=$(voucher_sign_in "$NS_C1" "$code")
[ "${result%% *}" = 303 ] || fail "c1 answered '$result'"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 not let through"
pass "c1 ($C1_MAC) signs in with a two-device voucher"

MAC_B=02:00:00:00:01:b2 MAC_C=02:00:00:00:01:c3
new_mac "$MAC_B"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 with a new MAC was not intercepted"
result=$(voucher_sign_in "$NS_C1" "$code")
[ "${result%% *}" = 303 ] || fail "c1 with MAC $MAC_B answered '$result': $(cat "$WORK/voucher-page.html")"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 with MAC $MAC_B not let through"
[ "$(voucher_field "$code" macs)" = "$C1_MAC $MAC_B" ] || fail "voucher macs: $(voucher_field "$code" macs)"
[ "$(client_json "$MAC_B" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("user"))')" = "$code" ] ||
  fail "the new MAC's session does not carry the code"
pass "the same code signs the new MAC ($MAC_B) in: the voucher has both MACs"

new_mac "$MAC_C"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 with a third MAC was not intercepted"
result=$(voucher_sign_in "$NS_C1" "$code")
[ "${result%% *}" = 403 ] || fail "a third MAC answered '$result'"
grep -q 'already in use on 2 devices' "$WORK/voucher-page.html" || fail "no used-up notice: $(cat "$WORK/voucher-page.html")"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "the third MAC got in"
pass "a third MAC ($MAC_C) is refused: 'already in use on 2 devices'"

# Back to a MAC on the voucher (the phone's per-network MAC for this
# network is stable): it signs in again.
new_mac "$MAC_B"
if [ "$(http_status "$NS_C1" "http://$UP_V4/")" != 200 ]; then
  result=$(voucher_sign_in "$NS_C1" "$code")
  [ "${result%% *}" = 303 ] || fail "MAC $MAC_B again answered '$result'"
fi
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "MAC $MAC_B not let through again"
pass "back on $MAC_B: still signed in on the voucher"
done_ok
