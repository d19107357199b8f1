#!/usr/bin/env bash
# What an unsigned client can and cannot do: DNS to the router and the
# sign-in page work; forwarded DNS does not (no --dns-server: port 53 of
# other hosts would be a tunnel, see 016); TCP is reset and QUIC rejected at
# once; everything else is dropped. Other interfaces are untouched.
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
ruleset_up
captived_start

answer=$(in_c1 dig +short +time=2 +tries=1 @"$GW_V4" router.test A) || true
[ "$answer" = "$GW_V4" ] || fail "DNS to the router: '$answer'"
pass "DNS to the router answers"
answer=$(in_c1 dig +short +time=2 +tries=1 @"$UP_V4" upstream.test A) || true
[ "$answer" != "$UP_V4" ] || fail "forwarded DNS answered without --dns-server"
answer=$(in_c1 dig +short +tcp +time=2 +tries=1 @"$UP_V4" upstream.test A) || true
[ "$answer" != "$UP_V4" ] || fail "forwarded DNS over TCP answered without --dns-server"
pass "forwarded DNS (UDP and TCP) gets nowhere without --dns-server"

[ "$(http_status "$NS_C1" "http://$GW_V4:$PORTAL_PORT/")" = 200 ] || fail "sign-in page not reachable"
pass "sign-in page reachable"

# TCP to another port: reset by the gateway at once.
start=$(date +%s%N)
err=$(in_c1 curl -sS --max-time 3 "http://$UP_V4:8080/" 2>&1 || true)
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep -q 'Connection refused\|Failed to connect' <<<"$err" || fail "TCP/8080 not reset: $err"
[ "$elapsed_ms" -lt 2500 ] || fail "TCP/8080 took ${elapsed_ms} ms to fail"
grep -q 'request from' "$WORK/http8080.log" && fail "upstream :8080 saw a request"
pass "TCP/8080 reset at once (connection refused)"

# HTTPS: reset by the gateway at once (the upstream listens, so a reset can only be ours).
start=$(date +%s%N)
err=$(in_c1 curl -sS --max-time 3 "https://$UP_V4/" 2>&1 || true)
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep -q 'Connection refused\|Failed to connect' <<<"$err" || fail "HTTPS not reset: $err"
[ "$elapsed_ms" -lt 2500 ] || fail "HTTPS took ${elapsed_ms} ms to fail"
grep -q 'request from' "$WORK/http443.log" && fail "upstream :443 saw a request"
pass "TCP/443 reset at once (connection refused)"
err=$(in_c1 curl -6 -sS --max-time 3 "https://[$UP_V6]/" 2>&1 || true)
grep -q 'Connection refused\|Failed to connect' <<<"$err" || fail "HTTPS over IPv6 not reset: $err"
pass "TCP/443 over IPv6 reset"

# QUIC: rejected with ICMP, which a connected UDP socket reports as refused.
quic=$(in_c1 python3 - "$UP_V4" "$UP_V6" <<'PY'
import socket, sys
results = []
for family, addr in ((socket.AF_INET, sys.argv[1]), (socket.AF_INET6, sys.argv[2])):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((addr, 443))
    s.send(b"\xc0quic-initial")
    try:
        s.recv(100)
        results.append("answered")
    except ConnectionRefusedError:
        results.append("refused")
    except socket.timeout:
        results.append("timeout")
print(" ".join(results))
PY
)
[ "$quic" = "refused refused" ] || fail "UDP/443 (v4 v6): $quic"
grep -q 'datagram from' "$WORK/udp443.log" && fail "upstream UDP/443 saw a datagram"
pass "UDP/443 rejected with ICMP unreachable (v4 and v6)"

# Anything else: ping through the gateway is dropped.
in_c1 ping -c1 -W1 "$UP_V4" >/dev/null 2>&1 && fail "ping got through"
pass "ICMP echo to upstream dropped"

# The router's other interface is not ours: upstream reaches the gateway freely.
in_up ping -c1 -W1 198.51.100.1 >/dev/null 2>&1 || fail "WAN side ping to the gateway failed"
pass "traffic of other interfaces untouched"
done_ok
