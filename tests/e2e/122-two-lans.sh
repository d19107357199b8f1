#!/usr/bin/env bash
# Two LANs behind one gateway (captived --lan br0 --lan br1, issue 9 item
# 11): both are intercepted, and one captived serves both. Each unsigned
# client gets the 511 of its own LAN: the link names the portal address on
# that LAN, the frames come from that LAN's router MAC, the MSS fits that
# LAN's MTU. Each signs in through the portal on its own LAN; a sign-in or
# a revoke on one LAN leaves the other's client as it was.
source "$(dirname "$0")/lib.sh"
require
topology_up
second_lan_up
services_up
FRAMES=$E2E_DIR/tools/answer_frames.py

# install-ruleset with two LANs: every LAN match covers both. Run as on
# OpenWrt (issue 11): busybox ash, and a PATH with nft and busybox's sed
# and cat only (no bash, no ip).
command -v busybox >/dev/null || fail "needs busybox (scripts/install-deps)"
mkdir -p "$WORK/openwrt-bin"
for tool in sed cat; do ln -s "$(command -v busybox)" "$WORK/openwrt-bin/$tool"; done
ln -s "$(command -v nft)" "$WORK/openwrt-bin/nft"
in_gw env PATH="$WORK/openwrt-bin" "$(command -v busybox)" ash "$INSTALL_RULESET" --lan br0 --lan br1 \
  --portal-port "$PORTAL_PORT" --portal-tls-port "$PORTAL_TLS_PORT" >"$WORK/install-ruleset.log" 2>&1 ||
  fail "busybox ash install-ruleset --lan br0 --lan br1: $(cat "$WORK/install-ruleset.log")"
rules=$(in_gw nft list table inet captive)
[ "$(grep -c 'iifname != { "br0", "br1" } return' <<<"$rules")" = 3 ] ||
  fail "install-ruleset: prerouting, portal_input and forward do not all match both LANs: $rules"
[ "$(grep -c 'oifname { "br0", "br1" } ct mark' <<<"$rules")" = 2 ] || fail "install-ruleset: downloads to both LANs: $rules"
pass "install-ruleset --lan br0 --lan br1 (busybox ash, no ip): every LAN match is { \"br0\", \"br1\" }"

# captived loads the ruleset itself (no table) with both LANs too.
in_gw nft delete table inet captive
captived_start --lan br1
[ "$(in_gw nft list table inet captive | grep -c 'iifname != { "br0", "br1" } return')" = 3 ] ||
  fail "captived's own load does not match both LANs: $(in_gw nft list table inet captive)"
pass "captived loads the ruleset for both LANs"
grep -q "ready: lans br0 ($GW_MAC, mtu 1500), br1 ($GW2_MAC, mtu $LAN2_MTU)" "$WORK/captived.log" ||
  fail "ready line: $(grep 'ready:' "$WORK/captived.log")"
pass "the ready line names both LANs"

# An answer from LAN NS: status 511, link to PORTAL, frames from MAC, SYN-ACK MSS.
check_answer() {  # check_answer NS HOST URL_PATH PORTAL MAC MSS WHAT
  local json
  json=$(ip netns exec "$1" python3 "$FRAMES" eth0 "$2" 80 "$3") || fail "$7: no answer"
  python3 - "$json" "$4" "$5" "$6" <<'PY' || fail "$7: $json"
import json, sys
a = json.loads(sys.argv[1])
portal, mac, mss = sys.argv[2], sys.argv[3], int(sys.argv[4])
assert a["status"] == "HTTP/1.1 511 Network Authentication Required", a["status"]
assert '<a href="' + portal + '?url=' in a["body"], "link is not to " + portal
assert a["frames"], "no frames seen"
assert all(f["src"] == mac for f in a["frames"]), "frames not all from " + mac
synacks = [f for f in a["frames"] if f["flags"] & 0x12 == 0x12]
assert len(synacks) >= 1 and all(f["mss"] == mss for f in synacks), "SYN-ACK MSS not %d" % mss
PY
  pass "$7: 511 linking $4, frames from $5, MSS $6"
}
check_answer "$NS_C1" "$UP_V4" /a "http://$GW_V4:$PORTAL_PORT/" "$GW_MAC" 1460 "c1 (br0, IPv4)"
check_answer "$NS_C3" "$UP_V4" /b "http://$GW2_V4:$PORTAL_PORT/" "$GW2_MAC" $((LAN2_MTU - 40)) "c3 (br1, IPv4)"
check_answer "$NS_C1" "$UP_V6" /c "http://[$GW_V6]:$PORTAL_PORT/" "$GW_MAC" 1440 "c1 (br0, IPv6)"
check_answer "$NS_C3" "$UP_V6" /d "http://[$GW2_V6]:$PORTAL_PORT/" "$GW2_MAC" $((LAN2_MTU - 60)) "c3 (br1, IPv6)"

# Unsigned, a client of one LAN does not reach the other LAN's clients.
in_c3 ping -c1 -W1 "$C1_V4" >/dev/null 2>&1 && fail "unsigned c3 reaches c1 on the other LAN"
pass "unsigned c3 does not reach c1 across the LANs"

# captivectl status lists both LANs.
status=$(ctl status) || fail "captivectl status"
grep -q "^lan          br0 $GW_MAC mtu 1500 http://$GW_V4:$PORTAL_PORT/ http://\[$GW_V6\]:$PORTAL_PORT/\$" <<<"$status" ||
  fail "status does not list br0: $status"
grep -q "^lan          br1 $GW2_MAC mtu $LAN2_MTU http://$GW2_V4:$PORTAL_PORT/ http://\[$GW2_V6\]:$PORTAL_PORT/\$" <<<"$status" ||
  fail "status does not list br1: $status"
ctl status --json | python3 -c '
import json, sys
lans = json.load(sys.stdin)["lans"]
assert [l["name"] for l in lans] == ["br0", "br1"], lans' || fail "status --json: $(ctl status --json)"
pass "captivectl status lists both LANs"

# The RFC 8908 API names the portal on the LAN the connection came in on,
# whichever router address the client asked.
api_portal() {  # api_portal NS URL: the API's user-portal-url
  ip netns exec "$1" curl -sS --max-time 5 "$2" | python3 -c 'import json, sys; print(json.load(sys.stdin)["user-portal-url"])'
}
[ "$(api_portal "$NS_C1" "http://$GW_V4:$PORTAL_PORT/api")" = "http://$GW_V4:$PORTAL_PORT/" ] || fail "c1's API names another portal"
[ "$(api_portal "$NS_C3" "http://$GW2_V4:$PORTAL_PORT/api")" = "http://$GW2_V4:$PORTAL_PORT/" ] || fail "c3's API names another portal"
[ "$(api_portal "$NS_C3" "http://$GW_V4:$PORTAL_PORT/api")" = "http://$GW2_V4:$PORTAL_PORT/" ] ||
  fail "c3 asking br0's address: the API does not name br1's portal"
pass "RFC 8908 API: user-portal-url on the client's own LAN"

# c3 signs in through the portal on its own LAN; c1 stays intercepted.
result=$(sign_in "$NS_C3" "$GW2_V4" "http://$UP_V4/index.html")
[ "$result" = "303 http://$UP_V4/index.html" ] || fail "c3's sign-in on br1 answered '$result'"
[ "$(in_c3 curl -sS --max-time 5 "http://$UP_V4/index.html")" = upstream-ok ] || fail "c3 not through after sign-in"
pass "c3 signs in through $GW2_V4 (br1) and reaches the upstream"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 got through on c3's sign-in"
pass "c1 on br0 still intercepted"
out=$(ctl list)
grep -q "^$C3_MAC  $C3_V4 " <<<"$out" || fail "list does not show c3: $out"

# c1 signs in through the portal on br0.
result=$(sign_in "$NS_C1" "$GW_V4" "http://$UP_V4/index.html")
[ "$result" = "303 http://$UP_V4/index.html" ] || fail "c1's sign-in on br0 answered '$result'"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 not through after sign-in"
pass "c1 signs in through $GW_V4 (br0) and reaches the upstream"
allowed=$(in_gw nft list set inet captive allowed)
grep -q "$C1_MAC" <<<"$allowed" && grep -q "$C3_MAC" <<<"$allowed" || fail "not both in the one @allowed: $allowed"
pass "both sessions are in the one @allowed"

# Revoke c3 by its address (the neighbour table of br1): c1 stays in.
out=$(ctl revoke "$C3_V4") || fail "revoke $C3_V4: $out"
[ "$(http_status "$NS_C3" "http://$UP_V4/")" = 511 ] || fail "c3 not intercepted again after revoke"
pass "captivectl revoke $C3_V4: c3 intercepted again"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 lost its session on c3's revoke"
pass "c1 still through"

# c3 follows a link to br0's portal address: its connection arrives on br1
# (served by br1's socket), and the sign-in names the MAC of that
# connection's packets: c3 signs in itself, nobody of br0.
out=$(ctl revoke "$C1_MAC") || fail "revoke $C1_MAC: $out"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 not intercepted again after revoke"
result=$(sign_in "$NS_C3" "$GW_V4" "http://$UP_V4/index.html")
[ "$result" = "303 http://$UP_V4/index.html" ] || fail "c3's sign-in through $GW_V4 answered '$result'"
out=$(ctl list)
grep -q "^$C3_MAC  $C3_V4 " <<<"$out" || fail "list does not show c3: $out"
grep -q "$C1_MAC" <<<"$out" && fail "c3's sign-in through br0's address signed in c1: $out"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 got through on c3's sign-in via br0's address"
pass "c3 through br0's portal address signs in c3 only"
done_ok
