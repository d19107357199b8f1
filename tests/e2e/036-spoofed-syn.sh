#!/usr/bin/env bash
# The identity of a sign-in comes from that sign-in's own packets. c2 (the
# attacker) sends well-formed SYNs - valid checksums, MSS option, its own
# MAC - from the victim's address, to port 80 (queued: captived answers them)
# and to the portal port (the router answers them, to the real owner). Then
# the victim signs in. Only the victim's MAC may be let in: before issue 8
# the portal fell back to "the MAC last seen on the queue for this address"
# when the neighbour table had none, and the attacker was let in instead.
# Then the neighbour table as a cross-check: when it names another MAC than
# the connection's packets, the sign-in is refused and counted.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/tools/scapy.sh"
require
require_scapy
topology_up
services_up
ruleset_up
captived_start --session-timeout 1h

allowed() { in_gw nft list set inet captive allowed | grep -Eo '([0-9a-f]{2}:){5}[0-9a-f]{2}' | sort | tr '\n' ' '; }

# spoof SRC COUNT: COUNT well-formed SYNs from c2 with source address SRC
# (IPv4 or IPv6) and c2's own MAC, half to upstream port 80, half to the
# portal port.
spoof() {
  local up=$UP_V4 portal=$GW_V4
  case $1 in *:*) up=$UP_V6 portal=$GW_V6 ;; esac
  in_c2 "$SCAPY_PYTHON" - "$C2_MAC" "$GW_MAC" "$1" "$up" "$portal" "$PORTAL_PORT" "$2" <<'PY' || fail "spoofing from c2"
import random, socket, sys
from scapy.all import Ether, IP, IPv6, TCP, raw
mac, gw, src, up, portal, port, count = sys.argv[1:8]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
e = Ether(src=mac, dst=gw)
ip = (lambda dst: IPv6(src=src, dst=dst, hlim=64)) if ":" in src else (lambda dst: IP(src=src, dst=dst, ttl=64))
for i in range(int(count)):
    sport = random.randint(32768, 60999)
    syn = TCP(sport=sport, dport=80, flags="S", seq=random.getrandbits(32), window=64240,
              options=[("MSS", 1440), ("SAckOK", b""), ("WScale", 7)])
    s.send(raw(e / ip(up) / syn))  # scapy computes valid checksums
    syn.dport = int(port)
    s.send(raw(e / ip(portal) / syn))
PY
}

# sign_in_from NS SRC: the real form, from address SRC of NS; prints the POST's status.
sign_in_from() {
  local ns=$1 src=$2 page token
  page=$(ip netns exec "$ns" curl -sS --max-time 5 --interface "$src" "http://$GW_V4:$PORTAL_PORT/") ||
    fail "no sign-in page from $src"
  token=$(sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' <<<"$page" | head -n1)
  [ -n "$token" ] || { log "page from $src: $page"; echo "no-token"; return; }
  ip netns exec "$ns" curl -sS --max-time 5 --interface "$src" -o /dev/null -w '%{http_code}' \
    --data-urlencode "token=$token" --data-urlencode "accept_terms=yes" "http://$GW_V4:$PORTAL_PORT/login"
}

# --- 1. a victim the router has no neighbour entry for: a device behind c1
# (c1 routes 203.0.113.0/24), the case where the old fallback decided.
VICTIM=203.0.113.5
in_c1 ip addr add "$VICTIM/32" dev eth0
in_gw ip route add 203.0.113.0/24 via "$C1_V4" dev br0
syn0=$(stat_of responder.syn_ack)
spoof "$VICTIM" 20
sleep 0.3
syn1=$(stat_of responder.syn_ack)
[ $((syn1 - syn0)) -ge 20 ] || fail "captived answered $((syn1 - syn0)) of the 20 spoofed SYNs to port 80 (not well-formed?)"
pass "20 well-formed SYNs from $VICTIM with c2's MAC: captived answered them (responder.syn_ack +$((syn1 - syn0)))"
in_gw ip neigh show "$VICTIM" | grep -q . && fail "the router has a neighbour entry for $VICTIM: $(in_gw ip neigh show "$VICTIM")"
r=$(sign_in_from "$NS_C1" "$VICTIM")
[ "$r" = 200 ] || fail "the victim's sign-in from $VICTIM answered $r"
[ "$(allowed)" = "$C1_MAC " ] || fail "after the victim's sign-in @allowed holds '$(allowed)' (attacker is $C2_MAC)"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "the attacker got through"
pass "the victim behind c1 signs in: only $C1_MAC is let in, not the spoofer $C2_MAC"
ctl revoke "$C1_MAC" >/dev/null

# --- 2. the same against a directly connected victim (c1's own address),
# with a spoof burst right before the sign-in.
spoof "$C1_V4" 20
result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "c1's sign-in answered '$result'"
[ "$(allowed)" = "$C1_MAC " ] || fail "after c1's sign-in @allowed holds '$(allowed)'"
pass "spoofed SYNs from $C1_V4 with c2's MAC: c1's sign-in lets in $C1_MAC only"
ctl revoke "$C1_MAC" >/dev/null

# --- 3. IPv6: spoofed SYNs from c1's IPv6 address, then c1 signs in over IPv6.
spoof "$C1_V6" 20
result=$(sign_in "$NS_C1" "[$GW_V6]")
[ "${result%% *}" = 303 ] || fail "c1's sign-in over IPv6 answered '$result'"
[ "$(allowed)" = "$C1_MAC " ] || fail "after c1's IPv6 sign-in @allowed holds '$(allowed)'"
in_gw nft list map inet captive portal_macs6 | grep -c "$C1_V6 .*: $C1_MAC" >/dev/null ||
  fail "no $C1_V6 : $C1_MAC in @portal_macs6: $(in_gw nft list map inet captive portal_macs6)"
pass "spoofed SYNs from $C1_V6 with c2's MAC: c1's sign-in over IPv6 lets in $C1_MAC only"
ctl revoke "$C1_MAC" >/dev/null

# The attacker's SYNs to the portal port left nothing: a SYN that never
# completes a handshake writes no element.
for set in portal_peers4 portal_macs6 portal_peers6; do
  in_gw nft list set inet captive "$set" 2>/dev/null | grep -q "$C2_MAC" && fail "a spoofed SYN wrote c2's MAC into @$set"
  in_gw nft list map inet captive "$set" 2>/dev/null | grep -q "$C2_MAC" && fail "a spoofed SYN wrote c2's MAC into @$set"
done
pass "no element with c2's MAC in @portal_peers4, @portal_macs6, @portal_peers6"

# --- 4. the neighbour table as a cross-check: c1 opens a connection to the
# portal, then the router's entry for c1's address is changed to c2's MAC
# before c1 sends its request. Refused, counted, nobody let in.
mm0=$(stat_of portal.identity_mismatch)
in_c1 "$SCAPY_PYTHON" - "$GW_V4" "$PORTAL_PORT" "$WORK/connected" "$WORK/poisoned" >"$WORK/mismatch.out" 2>&1 <<'PY' &
import os, socket, sys, time
host, port, connected, poisoned = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.create_connection((host, port), timeout=5)
open(connected, "w").close()
for _ in range(100):
    if os.path.exists(poisoned):
        break
    time.sleep(0.05)
s.sendall(b"GET / HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host.encode(), port))
s.settimeout(2)
try:
    print(s.recv(200))
except OSError as e:
    print("no answer:", e)
PY
mismatch_pid=$!
PIDS+=("$mismatch_pid")
for _ in $(seq 1 50); do [ -e "$WORK/connected" ] && break; sleep 0.1; done
[ -e "$WORK/connected" ] || fail "c1 could not connect to the portal"
in_gw ip neigh replace "$C1_V4" lladdr "$C2_MAC" dev br0 nud permanent
touch "$WORK/poisoned"
wait "$mismatch_pid" || true
for _ in $(seq 1 30); do [ "$(stat_of portal.identity_mismatch)" -gt "$mm0" ] && break; sleep 0.1; done
mm1=$(stat_of portal.identity_mismatch)
in_gw ip neigh del "$C1_V4" dev br0
[ "$mm1" -gt "$mm0" ] || fail "portal.identity_mismatch went $mm0 -> $mm1 ($(cat "$WORK/mismatch.out"))"
[ -z "$(allowed)" ] || fail "@allowed holds '$(allowed)' after a refused mismatch"
grep -q "neighbour table says $C2_MAC; refused" "$WORK/captived.log" || fail "no log line for the mismatch"
pass "wire says $C1_MAC, neighbour table says $C2_MAC: refused, portal.identity_mismatch $mm0 -> $mm1, nobody in"

# And afterwards c1 signs in normally.
result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "c1's sign-in after the mismatch answered '$result'"
[ "$(allowed)" = "$C1_MAC " ] || fail "@allowed: '$(allowed)'"
pass "with the neighbour entry back, c1 signs in"
captived_stop || fail "captived did not stop cleanly"
done_ok
