#!/usr/bin/env bash
# RFC 8908 Captive Portal API at /api, over HTTP and over HTTPS with a
# certificate the test makes (openssl req): application/captive+json,
# no-store, `captive: true` before sign-in, `false` right after (iOS asks
# the API instead of probing once option 114 names it), `true` after
# revoke; seconds-remaining counts down. The sign-in page works over HTTPS
# (the same handler, the client identified by the TLS connection's own
# packets); plain HTTP, garbage or silence on the TLS port never hurt the
# daemon, and a silent TLS client is closed by the handshake timeout.
source "$(dirname "$0")/lib.sh"
require
command -v openssl >/dev/null || { [ "${CI:-}" = true ] && fail "needs openssl"; log "SKIP: needs openssl"; exit 77; }
TLS_PORT=8443
topology_up
services_up
ruleset_up

# A self-signed certificate for the router's LAN addresses.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$GW_V4" \
  -addext "subjectAltName=IP:$GW_V4,IP:$GW_V6" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>"$WORK/openssl.log" ||
  fail "openssl req: $(cat "$WORK/openssl.log")"
chmod 600 "$WORK/key.pem"
captived_start --session-timeout 1h --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" \
  --portal-tls-port "$TLS_PORT" --venue-url "https://venue.example/cafe"
grep -q "HTTPS on port $TLS_PORT" "$WORK/captived.log" || fail "no HTTPS listener: $(tail -5 "$WORK/captived.log")"

HTTPS="https://$GW_V4:$TLS_PORT"
api() {  # api NS URL [curl flags]: the body; headers in $WORK/api.headers
  local ns=$1 url=$2
  shift 2
  ip netns exec "$ns" curl -sS --max-time 5 --cacert "$WORK/cert.pem" -D "$WORK/api.headers" "$@" "$url" ||
    fail "GET $url from $ns failed"
}
field() {  # field JSON NAME: the value as Python prints it, or "absent"
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(json.dumps(d[sys.argv[2]]) if sys.argv[2] in d else "absent")' "$1" "$2"
}

# --- before sign-in ---
body=$(api "$NS_C1" "http://$GW_V4:$PORTAL_PORT/api")
grep -qi '^content-type: application/captive+json' "$WORK/api.headers" || fail "HTTP /api content type: $(cat "$WORK/api.headers")"
grep -qi '^cache-control: no-store' "$WORK/api.headers" || fail "HTTP /api cache control: $(cat "$WORK/api.headers")"
[ "$(field "$body" captive)" = true ] || fail "HTTP /api before sign-in: $body"
pass "HTTP /api: application/captive+json, no-store, captive: true"

body=$(api "$NS_C1" "$HTTPS/api")
grep -qi '^content-type: application/captive+json' "$WORK/api.headers" || fail "HTTPS /api content type: $(cat "$WORK/api.headers")"
grep -qi '^cache-control: no-store' "$WORK/api.headers" || fail "HTTPS /api cache control"
[ "$(field "$body" captive)" = true ] || fail "HTTPS /api before sign-in: $body"
# RFC 8908 §5: user-portal-url is to be accessed over TLS.
[ "$(field "$body" user-portal-url)" = "\"https://$GW_V4:$TLS_PORT/\"" ] || fail "user-portal-url: $body"
[ "$(field "$body" venue-info-url)" = '"https://venue.example/cafe"' ] || fail "venue-info-url: $body"
[ "$(field "$body" seconds-remaining)" = absent ] || fail "seconds-remaining before sign-in: $body"
pass "HTTPS /api (certificate verified): captive: true, https user-portal-url, venue-info-url"

body=$(api "$NS_C1" "https://[$GW_V6]:$TLS_PORT/api" -6)
[ "$(field "$body" captive)" = true ] || fail "HTTPS /api over IPv6: $body"
[ "$(field "$body" user-portal-url)" = "\"https://[$GW_V6]:$TLS_PORT/\"" ] || fail "IPv6 user-portal-url: $body"
pass "HTTPS /api over IPv6: captive: true, IPv6 user-portal-url"

# --- hostile input on the TLS port ---
status=$(http_status "$NS_C1" "http://$GW_V4:$TLS_PORT/api")
[ "$status" = 000 ] || fail "plain HTTP to the TLS port answered $status"
in_c1 python3 - "$GW_V4" "$TLS_PORT" <<'PY' || fail "garbage handshakes"
import socket, sys, os
for payload in (b"\x16\x03\x01\x00\x05hello", os.urandom(600), b"\x16\x03\x03\xff\xff" + b"A" * 100):
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 3)
    s.sendall(payload)
    s.settimeout(3)
    try:
        s.recv(100)
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
PY
alive "plain HTTP and garbage to the TLS port"
pass "plain HTTP and garbage on the TLS port: refused, daemon alive"
# A client that connects and says nothing is closed by the handshake timeout
# (the request timeout, 10 s), not kept forever.
closed_after=$(in_c1 python3 - "$GW_V4" "$TLS_PORT" <<'PY'
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 3)
s.settimeout(20)
t = time.monotonic()
try:
    data = s.recv(100)
except (socket.timeout, ConnectionResetError):
    data = None
print("%s %.0f" % ("closed" if data == b"" else "open", time.monotonic() - t))
PY
)
[ "${closed_after%% *}" = closed ] || fail "silent TLS client not closed: $closed_after"
[ "${closed_after##* }" -le 12 ] || fail "silent TLS client closed only after ${closed_after##* } s"
pass "a silent TLS client is closed by the handshake timeout (${closed_after##* } s)"
alive "silent TLS client"

# --- sign-in over HTTPS ---
page=$(api "$NS_C1" "$HTTPS/")
token=$(sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' <<<"$page" | head -n1)
[ -n "$token" ] || fail "no sign-in form over HTTPS: $page"
status=$(in_c1 curl -sS --max-time 5 --cacert "$WORK/cert.pem" -o /dev/null -w '%{http_code}' \
  --data-urlencode "token=$token" --data-urlencode "accept_terms=yes" "$HTTPS/login")
[ "$status" = 200 ] || fail "sign-in over HTTPS answered $status"
pass "sign-in page and form over HTTPS"

asked_first=$(date +%s)
body=$(api "$NS_C1" "$HTTPS/api")
[ "$(field "$body" captive)" = false ] || fail "HTTPS /api right after sign-in: $body"
first=$(field "$body" seconds-remaining)
[ "$first" != absent ] && [ "$first" -le 3600 ] && [ "$first" -gt 3500 ] || fail "seconds-remaining after sign-in: $body"
[ "$(field "$body" can-extend-session)" = false ] || fail "can-extend-session: $body"
body=$(api "$NS_C1" "http://$GW_V4:$PORTAL_PORT/api")
[ "$(field "$body" captive)" = false ] || fail "HTTP /api right after sign-in: $body"
pass "right after sign-in: captive: false over HTTPS and HTTP, seconds-remaining $first"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 not through after the HTTPS sign-in"
pass "c1 through after the HTTPS sign-in"

sleep 2.2
second=$(field "$(api "$NS_C1" "$HTTPS/api")" seconds-remaining)
# It went down by the time that passed between the two questions (at least
# the 2.2 s slept; on a loaded machine more), give or take a second's rounding.
elapsed=$(($(date +%s) - asked_first))
[ "$second" -lt "$first" ] && [ "$second" -ge $((first - elapsed - 1)) ] ||
  fail "seconds-remaining $first then $second, $elapsed s apart"
pass "seconds-remaining decreases ($first -> $second in $elapsed s)"

# Another device still hears captive: true (the API tells each only its own).
[ "$(field "$(api "$NS_C2" "$HTTPS/api")" captive)" = true ] || fail "c2 not captive on c1's sign-in"
pass "c2 still captive: true"

out=$(ctl revoke "$C1_MAC") || fail "revoke failed: $out"
body=$(api "$NS_C1" "$HTTPS/api")
[ "$(field "$body" captive)" = true ] || fail "HTTPS /api after revoke: $body"
[ "$(field "$body" seconds-remaining)" = absent ] || fail "seconds-remaining after revoke: $body"
pass "after revoke: captive: true"
[ "$(stat_of portal.api_requests)" -ge 8 ] || fail "portal.api_requests: $(stat_of portal.api_requests)"
pass "portal.api_requests counted"
alive "end"
captived_stop || fail "captived did not stop cleanly (exit status, or a sanitizer report in its log)"
pass "captived stops cleanly"
done_ok
