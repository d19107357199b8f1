#!/usr/bin/env bash
# The portal serves only itself:
#  - DNS rebinding: a page of another origin whose name now resolves to the
#    router sends its own name in Host: 421 with a page saying so (IPv4 and
#    IPv6); the portal's addresses, and the host of --portal-url, are served.
#  - The return URL of a sign-in link counts only with the signature the 511
#    gave it for this device: a crafted ?url= link gets a form without it
#    (signed in to "you are online", no redirect); the 511's own link keeps it
#    (303 to it after the sign-in).
#  - The return URL is covered by the form's token: a form whose url was
#    swapped for another signs no one in and redirects nowhere.
#  - The connection limit counts per device (MAC), not per address: a device
#    cannot get more than its share by using its IPv4 and IPv6 addresses;
#    when its share is full its oldest idle connection is closed.
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
ruleset_up
captived_start --session-timeout 1h
allowed() { in_gw nft list set inet captive allowed | grep -Eo '([0-9a-f]{2}:){5}[0-9a-f]{2}' | sort | tr '\n' ' '; }

# --- Host
body_of() {  # body_of NS URL [curl flags]: "STATUS" and the body in $WORK/body.html
  local ns=$1 url=$2
  shift 2
  ip netns exec "$ns" curl -s -o "$WORK/body.html" -w '%{http_code}' --max-time 5 "$@" "$url" || true
}
wh0=$(stat_of portal.wrong_host)
code=$(body_of "$NS_C1" "http://evil.example:$PORTAL_PORT/" --resolve "evil.example:$PORTAL_PORT:$GW_V4")
[ "$code" = 421 ] || fail "rebound name over IPv4 answered $code"
grep -q 'only serves the sign-in page' "$WORK/body.html" || fail "421 without the page: $(cat "$WORK/body.html")"
grep -q 'name="token"' "$WORK/body.html" && fail "421 page carries a form token"
code=$(body_of "$NS_C1" "http://evil.example:$PORTAL_PORT/" --resolve "evil.example:$PORTAL_PORT:[$GW_V6]")
[ "$code" = 421 ] || fail "rebound name over IPv6 answered $code"
code=$(ip netns exec "$NS_C1" curl -s -o /dev/null -w '%{http_code}' --max-time 5 --resolve "evil.example:$PORTAL_PORT:$GW_V4" \
  --data "accept_terms=yes" "http://evil.example:$PORTAL_PORT/login" || true)
[ "$code" = 421 ] || fail "POST under a rebound name answered $code"
[ $(($(stat_of portal.wrong_host) - wh0)) -eq 3 ] || fail "portal.wrong_host went $wh0 -> $(stat_of portal.wrong_host)"
pass "a rebound name (evil.example -> the router, IPv4 and IPv6, GET and POST): 421 with a page, no form, counted"
[ "$(body_of "$NS_C1" "http://$GW_V4:$PORTAL_PORT/")" = 200 ] || fail "own IPv4 address not served"
[ "$(body_of "$NS_C1" "http://[$GW_V6]:$PORTAL_PORT/" -g)" = 200 ] || fail "own IPv6 address not served"
pass "the portal's own addresses are served"
captived_stop || fail "captived did not stop"
captived_start --session-timeout 1h --portal-url "http://portal.example:$PORTAL_PORT/"
code=$(body_of "$NS_C1" "http://portal.example:$PORTAL_PORT/" --resolve "portal.example:$PORTAL_PORT:$GW_V4")
[ "$code" = 200 ] || fail "--portal-url's host not served: $code"
[ "$(body_of "$NS_C1" "http://$GW_V4:$PORTAL_PORT/")" = 200 ] || fail "LAN address not served with --portal-url"
code=$(body_of "$NS_C1" "http://evil.example:$PORTAL_PORT/" --resolve "evil.example:$PORTAL_PORT:$GW_V4")
[ "$code" = 421 ] || fail "rebound name with --portal-url answered $code"
pass "with --portal-url http://portal.example:$PORTAL_PORT/: that name and the LAN addresses served, others 421"

# --- the return URL of a sign-in link is signed (for this device)
A="http://$UP_V4/a" B="http://evil.example/"
form_url() { sed -n 's/.*name="url" value="\([^"]*\)".*/\1/p' <<<"$1" | head -n1; }
token_of() { sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' <<<"$1" | head -n1; }
uu0=$(stat_of portal.unsigned_url)
# A crafted link (no sig, a sig of another URL): the form comes without the URL,
# and accepting it ends on "you are online", redirected nowhere.
link=$(in_c1 curl -sS --max-time 5 "$A" | sed -n 's/.*<a href="[^"?]*?\([^"]*\)".*/\1/p' | head -n1 | sed 's/&amp;/\&/g')
sig=$(sed -n 's/.*&sig=\([0-9a-f]*\).*/\1/p' <<<"$link")
[ ${#sig} = 16 ] || fail "the 511 for $A links without a signature: '$link'"
for crafted in "url=$(urlencode "$B")" "url=$(urlencode "$B")&sig=$sig"; do
  page=$(in_c1 curl -sS --max-time 5 "http://$GW_V4:$PORTAL_PORT/?$crafted")
  token=$(token_of "$page")
  [ -n "$token" ] || fail "no form for the crafted link ?$crafted: $page"
  [ -z "$(form_url "$page")" ] || fail "the crafted link ?$crafted kept its url: $(form_url "$page")"
  grep -q 'evil.example' <<<"$page" && fail "the page for ?$crafted names $B"
  r=$(in_c1 curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 5 --data-urlencode "token=$token" \
    --data-urlencode "url=" --data-urlencode "accept_terms=yes" "http://$GW_V4:$PORTAL_PORT/login")
  [ "$r" = "200 " ] || fail "accepting the form of ?$crafted answered '$r' (want 200, no redirect)"
  ctl revoke "$C1_MAC" >/dev/null
done
[ $(($(stat_of portal.unsigned_url) - uu0)) -eq 2 ] || fail "portal.unsigned_url went $uu0 -> $(stat_of portal.unsigned_url)"
pass "a crafted sign-in link (?url=$B, bare or with another URL's sig): form without the URL, signed in to 'online', no redirect, counted"

# The link of a real 511 keeps its URL through the sign-in: 303 to it.
link=$(in_c1 curl -sS --max-time 5 "$A" | sed -n 's/.*<a href="[^"?]*?\([^"]*\)".*/\1/p' | head -n1 | sed 's/&amp;/\&/g')
page=$(in_c1 curl -sS --max-time 5 "http://$GW_V4:$PORTAL_PORT/?$link")
[ "$(form_url "$page")" = "$A" ] || fail "the 511's own link ?$link lost its url: '$(form_url "$page")'"
r=$(in_c1 curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 5 --data-urlencode "token=$(token_of "$page")" \
  --data-urlencode "url=$A" --data-urlencode "accept_terms=yes" "http://$GW_V4:$PORTAL_PORT/login")
[ "$r" = "303 $A" ] || fail "signing in through the 511's link answered '$r'"
ctl revoke "$C1_MAC" >/dev/null
[ $(($(stat_of portal.unsigned_url) - uu0)) -eq 2 ] || fail "the 511's own link counted as unsigned"
pass "the link of a real 511 for $A: its url kept, sign-in answers 303 to $A"

# --- the return URL is bound to the token
page=$(in_c1 curl -sS --max-time 5 "http://$GW_V4:$PORTAL_PORT/?$link")
token=$(sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' <<<"$page" | head -n1)
[ -n "$token" ] || fail "no token: $page"
bt0=$(stat_of portal.bad_token)
r=$(in_c1 curl -s -o "$WORK/swap.html" -w '%{http_code} %{redirect_url}' --max-time 5 --data-urlencode "token=$token" \
  --data-urlencode "url=$B" --data-urlencode "accept_terms=yes" "http://$GW_V4:$PORTAL_PORT/login")
[ "$r" = "403 " ] || fail "a form with its url swapped for $B answered '$r'"
grep -q 'evil.example' "$WORK/swap.html" && fail "the refused form still carries $B"
[ -z "$(allowed)" ] || fail "@allowed after a swapped url: $(allowed)"
[ $(($(stat_of portal.bad_token) - bt0)) -eq 1 ] || fail "portal.bad_token not counted"
r=$(in_c1 curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 5 --data-urlencode "token=$token" \
  --data-urlencode "url=$A" --data-urlencode "accept_terms=yes" "http://$GW_V4:$PORTAL_PORT/login")
[ "$r" = "303 $A" ] || fail "the form as rendered answered '$r'"
[ "$(allowed)" = "$C1_MAC " ] || fail "@allowed: $(allowed)"
ctl revoke "$C1_MAC" >/dev/null
pass "a form whose return URL was swapped ($A -> $B): 403, nobody in, no redirect; as rendered: 303 to $A"

# --- per device, not per address
ev0=$(stat_of portal.connections_evicted)
in_c1 python3 - "$GW_V4" "$GW_V6" "$PORTAL_PORT" >"$WORK/per-mac.out" 2>&1 <<'PY' || fail "per-MAC limit: $(cat "$WORK/per-mac.out")"
import socket, sys, time
v4, v6, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
socks = []
for _ in range(16):  # its whole share, idle, over IPv4
    socks.append(socket.create_connection((v4, port), timeout=5))
    time.sleep(0.01)
time.sleep(0.3)
extra = socket.create_connection((v6, port), timeout=5)  # one more, over IPv6: same device
closed = []
deadline = time.monotonic() + 2
while time.monotonic() < deadline and not closed:
    for i, s in enumerate(socks):
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                closed.append(i)
        except BlockingIOError:
            pass
        except OSError:
            closed.append(i)
    time.sleep(0.05)
assert closed == [0], "closed after the 17th connection: %r (want the oldest, 0)" % closed
extra.sendall(b"GET / HTTP/1.1\r\nHost: [%s]:%d\r\n\r\n" % (v6.encode(), port))
extra.settimeout(3)
answer = extra.recv(64)
assert answer.startswith(b"HTTP/1.1 200"), answer
print("ok oldest IPv4 connection closed for the IPv6 one, which is served")
PY
ev1=$(stat_of portal.connections_evicted)
[ $((ev1 - ev0)) -eq 1 ] || fail "portal.connections_evicted went $ev0 -> $ev1"
pass "16 idle connections over IPv4 + 1 over IPv6 from one device: its oldest is evicted (per MAC), the new one served"
captived_stop || fail "captived did not stop cleanly"
done_ok
