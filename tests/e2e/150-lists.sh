#!/usr/bin/env bash
# Trusted and blocked MACs (issue 9, item 9). A trusted device reaches the
# Internet without signing in, its port 80 not intercepted; a blocked one is
# never forwarded, gets a page saying it is blocked, cannot sign in (not even
# with a form fetched before the block), and a blocked device that was signed
# in is cut off at once. Both lists from the configuration (--trusted-mac,
# --blocked-mac) and at run time over the control socket (trust, block,
# unblock); the run-time ones survive a restart of captived and a flush of
# the ruleset.
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
GATE=$E2E_DIR/tools/gate.py
spawn "$NS_UP" "$WORK/slow9000.log" python3 "$GATE" slow-serve "$UP_V4" 9000
ruleset_up

# The JSON protocol itself (src/control/protocol.hpp), so the test does not
# depend on captivectl's commands for the lists.
ctl_json() {  # ctl_json '{"cmd":...}' -> the reply line
  in_gw python3 - "$SOCKET" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
data = b""
while not data.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(data.decode().strip())
PY
}
ok_reply() { python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if r.get("ok") else 1)' "$1"; }
in_set() { grep -q "$2" <<<"$(in_gw nft list set inet captive "$1" 2>/dev/null)"; }
body_of() { ip netns exec "$1" curl -s --max-time 3 "$2" 2>/dev/null || true; }
# The sign-in page as a browser reaches it: through the 511's link.
portal_page() {  # portal_page NS -> "STATUS<newline>BODY"
  local ns=$1 query
  query=$(ip netns exec "$ns" curl -s --max-time 5 "http://$UP_V4/" 2>/dev/null |
    sed -n 's/.*<a href="[^"?]*?\([^"]*\)".*/\1/p' | head -n1 | sed 's/&amp;/\&/g')
  [ -n "$query" ] || fail "no 511 link for $ns"
  ip netns exec "$ns" curl -s --max-time 5 -w '\n%{http_code}' "http://$GW_V4:$PORTAL_PORT/?$query" || true
}
blocked_page() {  # blocked_page NS WHEN: the portal says the device is blocked, with no form
  local page status
  page=$(portal_page "$1")
  status=$(tail -n1 <<<"$page")
  [ "$status" = 403 ] || fail "$2: the portal answered $status to a blocked device"
  grep -q "This device is blocked" <<<"$page" || fail "$2: no blocked page: $page"
  grep -q 'name="token"' <<<"$page" && fail "$2: a blocked device got a sign-in form"
  return 0
}
post_login() {  # post_login NS TOKEN -> status
  ip netns exec "$1" curl -s -o "$WORK/login.html" -w '%{http_code}' --max-time 5 \
    --data-urlencode "token=$2" --data-urlencode "url=" --data-urlencode "accept_terms=yes" \
    "http://$GW_V4:$PORTAL_PORT/login" || true
}
trusted_reaches_upstream() {  # trusted_reaches_upstream NS V4 WHEN
  : >"$WORK/http80.log"
  [ "$(body_of "$1" "http://$UP_V4/")" = upstream-ok ] || fail "$3: trusted device's port 80 did not reach the server"
  grep -q "request from $2" "$WORK/http80.log" || fail "$3: the upstream server saw no request from $2"
  [ "$(body_of "$1" "http://[$UP_V6]:8080/")" = upstream-ok ] || fail "$3: trusted device over IPv6, port 8080"
}

# --- from the configuration ---------------------------------------------
captived_start --trusted-mac "$C2_MAC" --blocked-mac "$C1_MAC"
grep -q "lists: 1 trusted, 1 blocked" "$WORK/captived.log" || fail "start log: $(grep lists: "$WORK/captived.log")"
in_set trusted "$C2_MAC" || fail "@trusted: $(in_gw nft list set inet captive trusted)"
in_set blocked "$C1_MAC" || fail "@blocked: $(in_gw nft list set inet captive blocked)"
pass "--trusted-mac / --blocked-mac: in @trusted / @blocked"

trusted_reaches_upstream "$NS_C2" "$C2_V4" "--trusted-mac"
[ "$(ctl list | grep -c "$C2_MAC")" = 0 ] || fail "the trusted device shows as a session"
pass "trusted c2 reaches the real server on port 80 (not intercepted) and on 8080 over IPv6, without a session"

[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "blocked c1's HTTP is not intercepted"
blocked_page "$NS_C1" "--blocked-mac"
[ "$(post_login "$NS_C1" "$(printf 'a%.0s' $(seq 64))")" = 403 ] || fail "a sign-in POST of a blocked device"
grep -q "This device is blocked" "$WORK/login.html" || fail "the sign-in refusal does not say blocked: $(cat "$WORK/login.html")"
[ "$(in_c1 python3 "$GATE" connect "$UP_V4" 8080 2)" = reset ] || fail "blocked c1's TCP/8080 was not refused"
in_c1 ping -c1 -W1 "$UP_V4" >/dev/null 2>&1 && fail "blocked c1's ping was forwarded"
in_set allowed "$C1_MAC" && fail "blocked c1 is in @allowed"
pass "blocked c1: 511, then 'this device is blocked' (403, no form); sign-in POST refused; nothing forwarded"
# The kernel alone: even in @allowed (put there by hand, as by any path
# that bypasses the portal) a blocked MAC is not forwarded.
in_gw nft add element inet captive allowed "{ $C1_MAC timeout 1h }"
[ "$(in_c1 python3 "$GATE" connect "$UP_V4" 8080 2)" = reset ] || fail "blocked c1 in @allowed got TCP/8080 through"
in_c1 ping -c1 -W1 "$UP_V4" >/dev/null 2>&1 && fail "blocked c1 in @allowed: ping forwarded"
in_gw nft delete element inet captive allowed "{ $C1_MAC }"
pass "a blocked MAC in @allowed is still not forwarded (@blocked comes first in forward)"

reply=$(ctl_json '{"cmd":"lists"}')
python3 - "$reply" "$C1_MAC" "$C2_MAC" <<'PY' || fail "lists: $reply"
import json, sys
r = json.loads(sys.argv[1])
assert r["ok"], r
assert r["trusted"] == [{"mac": sys.argv[3], "source": "config"}], r
assert r["blocked"] == [{"mac": sys.argv[2], "source": "config"}], r
PY
reply=$(ctl_json "{\"cmd\":\"unblock\",\"mac\":\"$C1_MAC\"}")
ok_reply "$reply" && fail "unblock of a configured block: $reply"
grep -q "remove it there" <<<"$reply" || fail "unblock of a configured block: $reply"
pass "lists shows the configuration's entries; unblocking one at run time is refused with a reason"

# --- at run time ------------------------------------------------------------
captived_stop || fail "captived did not stop cleanly"
captived_start
in_set blocked "$C1_MAC" && fail "the configured block outlived its flag"
result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "c1 sign-in answered '$result'"
[ "$(body_of "$NS_C1" "http://$UP_V4:8080/")" = upstream-ok ] || fail "signed-in c1 cannot reach the upstream"
pass "without the flags c1 signs in and is forwarded"

# A signed-in client is blocked: its open flow ends with a reset, nothing
# else passes, its session is gone.
spawn "$NS_C1" "$WORK/flow.log" python3 -u "$GATE" slow-get "$UP_V4" 9000
FLOW=${PIDS[-1]}
for _ in $(seq 1 50); do grep -q ready "$WORK/flow.log" && break; sleep 0.1; done
grep -q ready "$WORK/flow.log" || fail "no data on c1's flow before the block"
kill -USR1 "$FLOW"
reply=$(ctl_json "{\"cmd\":\"block\",\"mac\":\"$C1_MAC\"}")
ok_reply "$reply" || fail "block: $reply"
for _ in $(seq 1 30); do grep -q ended "$WORK/flow.log" && break; sleep 0.1; done
line=$(grep ended "$WORK/flow.log") || fail "c1's flow still open 3 s after the block"
read -r _ kind secs <<<"$line"
[ "$kind" = reset ] || fail "c1's flow ended by $kind, want a reset"
python3 -c "import sys; sys.exit(0 if 0 <= float('$secs') < 2.0 else 1)" || fail "reset after $secs s"
[ "$(in_c1 python3 "$GATE" connect "$UP_V4" 8080 2)" = reset ] || fail "blocked c1's new TCP/8080 was not refused"
in_set allowed "$C1_MAC" && fail "blocked c1 is still in @allowed"
[ "$(ctl list | grep -c "$C1_MAC")" = 0 ] || fail "blocked c1 still listed as signed in"
blocked_page "$NS_C1" "block at run time"
pass "block of a signed-in c1: its flow reset within ${secs}s, no new connection, session ended, blocked page"

# A form fetched before the block is no way in.
result=$(ctl_json "{\"cmd\":\"unblock\",\"mac\":\"$C1_MAC\"}")
ok_reply "$result" || fail "unblock: $result"
token=$(in_c1 curl -s --max-time 5 "http://$GW_V4:$PORTAL_PORT/" | sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' | head -n1)
[ -n "$token" ] || fail "no form for unblocked c1"
ok_reply "$(ctl_json "{\"cmd\":\"block\",\"mac\":\"$C1_MAC\"}")" || fail "block again"
[ "$(post_login "$NS_C1" "$token")" = 403 ] || fail "a valid token of a blocked device was accepted"
grep -q "This device is blocked" "$WORK/login.html" || fail "refusal does not say blocked"
in_set allowed "$C1_MAC" && fail "the blocked device got into @allowed"
pass "a sign-in with a form fetched before the block is refused (403, not in @allowed)"

reply=$(ctl_json "{\"cmd\":\"trust\",\"mac\":\"$C2_MAC\"}")
ok_reply "$reply" || fail "trust: $reply"
trusted_reaches_upstream "$NS_C2" "$C2_V4" "trust at run time"
pass "trust at run time: c2 reaches the real server without signing in"

grep -q "trust $C2_MAC" "$STATE_DIR/lists" || fail "list file: $(cat "$STATE_DIR/lists")"
grep -q "block $C1_MAC" "$STATE_DIR/lists" || fail "list file: $(cat "$STATE_DIR/lists")"
[ "$(stat -c %a "$STATE_DIR/lists")" = 600 ] || fail "list file mode $(stat -c %a "$STATE_DIR/lists")"
pass "the run-time lists are in --state-dir/lists (mode 600)"

# --- they persist -------------------------------------------------------
captived_stop || fail "captived did not stop cleanly"
in_gw nft delete table inet captive  # as a reboot leaves it
captived_start
in_set trusted "$C2_MAC" || fail "after restart: @trusted lost c2"
in_set blocked "$C1_MAC" || fail "after restart: @blocked lost c1"
trusted_reaches_upstream "$NS_C2" "$C2_V4" "after a restart"
blocked_page "$NS_C1" "after a restart"
reply=$(ctl_json '{"cmd":"lists"}')
grep -q "\"mac\":\"$C1_MAC\",\"source\":\"runtime\"" <<<"$reply" || fail "lists after restart: $reply"
pass "restart with the table gone: the run-time lists are back in the kernel and in 'lists'"

in_gw nft flush ruleset
for _ in $(seq 1 50); do grep -q 'restored queue rule' "$WORK/captived.log" && break; sleep 0.1; done
in_set trusted "$C2_MAC" || fail "after a flush: @trusted lost c2"
in_set blocked "$C1_MAC" || fail "after a flush: @blocked lost c1"
[ "$(in_c1 python3 "$GATE" connect "$UP_V4" 8080 2)" = reset ] || fail "after a flush: blocked c1 got through"
trusted_reaches_upstream "$NS_C2" "$C2_V4" "after nft flush ruleset"
pass "nft flush ruleset: captived loads the table with both lists in it"

ruleset_up  # the admin reloads the table: captived fills the lists again
for _ in $(seq 1 50); do in_set blocked "$C1_MAC" && break; sleep 0.1; done
in_set blocked "$C1_MAC" || fail "after install-ruleset: @blocked empty"
in_set trusted "$C2_MAC" || fail "after install-ruleset: @trusted empty"
pass "a reload by the admin: captived fills @trusted and @blocked again"

# Unblock: c1 is an ordinary unsigned client again.
ok_reply "$(ctl_json "{\"cmd\":\"unblock\",\"mac\":\"$C1_MAC\"}")" || fail "unblock"
in_set blocked "$C1_MAC" && fail "unblock left c1 in @blocked"
result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "unblocked c1 sign-in answered '$result'"
[ "$(body_of "$NS_C1" "http://$UP_V4:8080/")" = upstream-ok ] || fail "unblocked c1 after sign-in"
grep -q "block $C1_MAC" "$STATE_DIR/lists" && fail "the list file still blocks c1"
pass "unblock: c1 signs in again and is forwarded; the file forgets the block"

# A session in the kernel set when captived starts with the MAC blocked in
# the configuration: taken over, then ended, and the device stopped.
captived_stop || fail "captived did not stop cleanly"
in_set allowed "$C1_MAC" || fail "test premise: c1's session should outlive captived's stop"
captived_start --blocked-mac "$C1_MAC"
for _ in $(seq 1 30); do in_set allowed "$C1_MAC" || break; sleep 0.1; done
in_set allowed "$C1_MAC" && fail "a session of a configured blocked MAC survived the start"
grep -q "ended the session of blocked $C1_MAC" "$WORK/captived.log" || fail "no log line for the ended session"
[ "$(in_c1 python3 "$GATE" connect "$UP_V4" 8080 2)" = reset ] || fail "c1 blocked at start still forwarded"
[ "$(ctl list | grep -c "$C1_MAC")" = 0 ] || fail "c1 still listed"
pass "start with --blocked-mac: the session taken over from the kernel set is ended"
alive "end"
done_ok
