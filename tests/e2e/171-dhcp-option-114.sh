#!/usr/bin/env bash
# RFC 8910 end to end with real DHCP: the gateway's dnsmasq (dnsmasq/captive.conf's
# lines) hands c1 its address by DHCP with option 114; a real DHCP client
# (busybox udhcpc) writes the lease; the URL in it is our RFC 8908 API over
# HTTPS, which says `captive: true`, then `false` once c1 signed in. IPv6
# comes by SLAAC from dnsmasq's router advertisements, and stateless DHCPv6
# answers option 103 with the API's IPv6 URL.
SANDBOX_DHCP=1
source "$(dirname "$0")/lib.sh"
require
for tool in busybox openssl; do
  command -v "$tool" >/dev/null || { [ "${CI:-}" = true ] && fail "needs $tool"; log "SKIP: needs $tool"; exit 77; }
done
topology_up
[ -z "$(ip -n "$NS_C1" -4 addr show dev eth0)" ] || fail "c1 has an IPv4 address before DHCP"
services_up
ruleset_up
sandbox_tls_cert
captived_start --session-timeout 1h --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem"

sandbox_dhcp_client "$NS_C1"
[ "$(lease_value "$NS_C1" ip)" = "$C1_V4" ] || fail "lease: $(cat "$WORK/$NS_C1.lease")"
[ "$(lease_value "$NS_C1" router)" = "$GW_V4" ] || fail "lease router: $(cat "$WORK/$NS_C1.lease")"
[ "$(lease_value "$NS_C1" dns)" = "$GW_V4" ] || fail "lease dns: $(cat "$WORK/$NS_C1.lease")"
ip -n "$NS_C1" -4 addr show dev eth0 | grep -q "inet $C1_V4/24" || fail "address not set: $(ip -n "$NS_C1" addr)"
grep -q "DHCPACK(br0) $C1_V4 $C1_MAC" "$WORK/dns-gw.log" || fail "dnsmasq did not log the ACK: $(tail -5 "$WORK/dns-gw.log")"
pass "c1 got $C1_V4/24, router and DNS $GW_V4 by DHCP (udhcpc, dnsmasq)"

url=$(lease_captive_url "$NS_C1")
[ "$url" = "$API_URL_V4" ] || fail "option 114 in the lease: '$url' ($(cat "$WORK/$NS_C1.lease"))"
pass "the lease carries option 114: $url"

# DNS from the DHCP-advertised resolver works before sign-in (the router's own).
[ "$(in_c1 dig +short +time=2 +tries=1 @"$(lease_value "$NS_C1" dns)" router.test)" = "$GW_V4" ] || fail "DNS via the leased resolver"
pass "DNS through the resolver named in the lease"

v6=$(ip -n "$NS_C1" -6 addr show dev eth0 scope global | sed -n 's/.*inet6 \(2001:db8:1:[^/]*\)\/64.*/\1/p' | head -n1)
[ -n "$v6" ] || fail "no SLAAC address"
pass "c1 got $v6 by SLAAC from dnsmasq's router advertisement"

# DHCPv6 option 103 (RFC 8910 §2.2): an Information-Request as a stateless
# DHCPv6 client sends it (RFC 8415 §18.2.6; busybox has no DHCPv6 client).
opt103=$(in_c1 python3 - "$C1_MAC" <<'PY' 2>"$WORK/dhcpv6.err"
import socket, struct, sys
mac = bytes.fromhex(sys.argv[1].replace(":", ""))
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
s.bind(("::", 546))
s.settimeout(3)
def option(code, data): return struct.pack("!HH", code, len(data)) + data
request = (bytes([11]) + b"\x12\x34\x56" +                      # INFORMATION-REQUEST, transaction id
           option(1, struct.pack("!HH", 3, 1) + mac) +          # Client Identifier: DUID-LL, Ethernet
           option(6, struct.pack("!HH", 23, 103)) +             # Option Request: DNS servers, captive portal
           option(8, b"\x00\x00"))                              # Elapsed Time
s.sendto(request, ("ff02::1:2", 547, 0, socket.if_nametoindex("eth0")))
reply, _ = s.recvfrom(2048)
assert reply[0] == 7 and reply[1:4] == b"\x12\x34\x56", reply[:4]  # REPLY to our transaction
i = 4
while i + 4 <= len(reply):
    code, length = struct.unpack("!HH", reply[i:i + 4])
    if code == 103:
        print(reply[i + 4:i + 4 + length].decode())
    i += 4 + length
PY
) || true
[ "$opt103" = "$API_URL_V6" ] || fail "DHCPv6 option 103: '$opt103' ($(tail -3 "$WORK/dhcpv6.err"))"
pass "stateless DHCPv6 answers option 103: $opt103"

# The URL from the lease, as the OS uses it (RFC 8908 §4: over TLS).
api() { in_c1 curl -sS --max-time 5 --cacert "$WORK/cert.pem" "$@"; }
captive_of() { python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["captive"]))'; }
[ "$(api "$url" | captive_of)" = true ] || fail "the API from option 114 before sign-in: $(api "$url")"
pass "GET $url (from option 114): captive: true"

portal=$(api "$url" | python3 -c 'import json,sys; print(json.load(sys.stdin)["user-portal-url"])')
page=$(api "$portal")
token=$(sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' <<<"$page" | head -n1)
[ -n "$token" ] || fail "no form at user-portal-url $portal: $page"
status=$(api -o /dev/null -w '%{http_code}' --data-urlencode "token=$token" --data-urlencode accept_terms=yes "${portal%/}/login")
[ "$status" = 200 ] || fail "sign-in at $portal answered $status"
pass "signed in at the API's user-portal-url $portal"
[ "$(api "$url" | captive_of)" = false ] || fail "the API after sign-in: $(api "$url")"
pass "GET $url: captive: false right after sign-in"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 not through after sign-in"
[ "$(in_c1 curl -6 -sS --max-time 5 "http://[$UP_V6]/")" = upstream-ok ] || fail "c1 not through over IPv6 (SLAAC address)"
pass "c1 through over IPv4 (DHCP address) and IPv6 (SLAAC address)"
captived_stop || fail "captived did not stop cleanly (exit status, or a sanitizer report in its log)"
pass "captived stops cleanly"
done_ok
