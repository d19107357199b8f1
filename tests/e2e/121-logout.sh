#!/usr/bin/env bash
# Logout (issue 9, item 6): the "you are online" page has a logout button
# (POST /logout with an anti-forgery token); it ends this device's session:
# a "logged out" page, the client is intercepted again (511), and the
# conntrack entries of its flows are gone. A logout POST without this
# device's valid token is refused and changes nothing.
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
ruleset_up
captived_start
PORTAL=http://$GW_V4:$PORTAL_PORT

logout_token() {  # logout_token NS: the token of the logout form on the portal page
  local page
  page=$(ip netns exec "$1" curl -sS --max-time 5 "$PORTAL/") || fail "portal page not reachable from $1"
  grep -q 'action="/logout"' <<<"$page" || return 0
  sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' <<<"$page" | head -n1
}
post_logout() {  # post_logout NS [curl form args...]: prints "STATUS" and keeps the body in $WORK/logout.html
  local ns=$1
  shift
  ip netns exec "$ns" curl -s --max-time 5 -o "$WORK/logout.html" -w '%{http_code}' "$@" "$PORTAL/logout" || true
}

result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "sign-in answered '$result'"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 not through after sign-in"
pass "c1 signed in and through"
result=$(sign_in "$NS_C2")
[ "${result%% *}" = 303 ] || fail "c2 sign-in answered '$result'"

token=$(logout_token "$NS_C1")
[ -n "$token" ] || fail "the online page has no logout form with a token"
pass "the online page has a logout form with a token"

# CSRF: no token, a made-up one, another device's, and c1's own token sent
# from c2 (the identity is the connection's, never the form's).
c2_token=$(logout_token "$NS_C2")
[ "$(post_logout "$NS_C1" --data 'x=1')" = 403 ] || fail "logout without a token was not refused"
[ "$(post_logout "$NS_C1" --data "token=$(printf 'a%.0s' $(seq 64))")" = 403 ] || fail "made-up token not refused"
[ "$(post_logout "$NS_C1" --data "token=$c2_token")" = 403 ] || fail "c2's token logged c1 out"
[ "$(post_logout "$NS_C2" --data "token=$token")" = 403 ] || fail "c1's token, sent from c2, was accepted"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 lost its session to a refused logout"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 200 ] || fail "c2 lost its session to a refused logout"
[ "$(stat_of portal.logouts)" = 0 ] || fail "portal.logouts counted a refused logout"
pass "logout POSTs without this device's valid token are refused (403) and change nothing"

# A flow in progress, to see its conntrack entry go with the session.
spawn "$NS_C1" "$WORK/open-connection.log" python3 -c "
import socket, time
s = socket.create_connection(('$UP_V4', 8080)); print('connected', flush=True); time.sleep(20)"
wait_for "c1's open connection" grep -q connected "$WORK/open-connection.log"
in_gw conntrack -L -p tcp -s "$C1_V4" --dport 8080 2>/dev/null | grep ESTABLISHED >/dev/null ||
  fail "no established conntrack entry of c1's open connection: $(in_gw conntrack -L 2>&1)"

[ "$(post_logout "$NS_C1" --data "token=$token")" = 200 ] || fail "logout with the page's token failed"
grep -q "You are logged out" "$WORK/logout.html" || fail "no 'logged out' page: $(cat "$WORK/logout.html")"
pass "logout through the page's form: 'You are logged out'"

[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 not intercepted again after logout"
pass "c1 intercepted again (511)"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 200 ] || fail "c2 was logged out too"
pass "c2 still signed in"
in_gw conntrack -L -p tcp -s "$C1_V4" --dport 8080 2>/dev/null | grep ESTABLISHED >/dev/null &&
  fail "c1's established connection is still in conntrack after logout"
pass "c1's conntrack entries went with the session"
grep -q "ended (logout)" "$WORK/captived.log" || fail "no 'ended (logout)' in the log"
[ "$(stat_of portal.logouts)" = 1 ] || fail "portal.logouts = $(stat_of portal.logouts)"
ctl list | grep "$C1_MAC" >/dev/null && fail "c1 still listed"
pass "ended with cause logout, counted, gone from the list"

# The page after logout is the sign-in form again, and signing in works.
ip netns exec "$NS_C1" curl -s --max-time 5 "$PORTAL/" | grep 'action="/login"' >/dev/null || fail "no sign-in form after logout"
result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "sign-in after logout answered '$result'"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 not through after signing in again"
pass "signs in again after logout"
done_ok
