#!/usr/bin/env bash
# Sessions survive a restart and a reboot (issue 9, item 1). Two clients sign
# in and use the network; captived stops, the table goes (as a reboot takes
# it), and captived starts again from the same --state-dir: the same two are
# back in the kernel set with their metadata (method, signed-in time, counts
# that never go back), a session whose time ran out while captived was down
# is logged as ended (cause timeout), and a third device that never signed in
# is intercepted and stopped. Then a bad state file: captived starts empty,
# keeps the file aside and says why.
source "$(dirname "$0")/lib.sh"
require
topology_up

# A third client, c3, on the same bridge: it never signs in.
NS_C3=$P-c3 C3_MAC=02:00:00:00:01:04 C3_V4=192.0.2.4
ip netns add "$NS_C3"
trap 'ip netns del "$NS_C3" 2>/dev/null; cleanup' EXIT
ip -n "$NS_GW" link add lan3 type veth peer name eth0 netns "$NS_C3"
ip -n "$NS_GW" link set lan3 master br0 up
ip -n "$NS_C3" link set lo up
ip -n "$NS_C3" link set eth0 address "$C3_MAC" up
ip -n "$NS_C3" addr add "$C3_V4/24" dev eth0
ip -n "$NS_C3" route add default via "$GW_V4"

services_up
ruleset_up
captived_start --session-timeout 2h

for ns in "$NS_C1" "$NS_C2"; do
  result=$(sign_in "$ns" "$GW_V4" "http://$UP_V4/index.html")
  [ "$result" = "303 http://$UP_V4/index.html" ] || fail "sign-in from $ns answered '$result'"
done
for ns in "$NS_C1" "$NS_C2"; do
  for _ in 1 2 3; do ip netns exec "$ns" curl -sS --max-time 5 -o /dev/null "http://$UP_V4/index.html" || fail "$ns offline"; done
done
[ "$(http_status "$NS_C3" "http://$UP_V4/")" = 511 ] || fail "c3 not intercepted before the restart"
pass "c1 and c2 signed in and online, c3 intercepted"

before=$(ctl list --json) || fail "list before the restart"
captived_stop || fail "captived did not stop cleanly"
[ -s "$STATE_DIR/sessions.json" ] || fail "no state file after a clean stop"
python3 - "$STATE_DIR/sessions.json" "$C1_MAC" "$C2_MAC" <<'PY' || fail "state file: $(cat "$STATE_DIR/sessions.json")"
import json, sys
state = json.load(open(sys.argv[1]))
assert state["version"] == 1, state
macs = sorted(s["mac"] for s in state["sessions"])
assert macs == sorted(sys.argv[2:]), macs
for s in state["sessions"]:
    assert s["method"] == "click-through" and s["traffic"]["bytes_up"] > 0, s
PY
pass "a clean stop leaves sessions.json with both sessions and their counts"

# A reboot: the kernel forgets the table. And a session whose time ran out
# while the machine was down (added to the file as captived would have
# written it).
in_gw nft delete table inet captive
python3 - "$STATE_DIR/sessions.json" <<'PY'
import json, sys, time
path = sys.argv[1]
state = json.load(open(path))
now = int(time.time())
state["sessions"].append({"mac": "02:00:00:00:01:09", "ip": "192.0.2.9", "method": "click-through", "user": "",
    "signed_in_at": now - 7200, "expires_at": now - 60, "limits": {},
    "traffic": {"bytes_up": 5000, "packets_up": 50, "bytes_down": 0, "packets_down": 0},
    "element": {"bytes_up": 5000, "packets_up": 50, "bytes_down": 0, "packets_down": 0}})
json.dump(state, open(path, "w"))
PY
captived_start --session-timeout 2h
grep -q 'session end mac=02:00:00:00:01:09 ip=192.0.2.9 cause=timeout .*bytes_up=5000' "$WORK/captived.log" ||
  fail "the expired session is not logged as ended"
pass "the session that expired while down is logged: cause=timeout, its counts"

elements=$(in_gw nft list set inet captive allowed)
for mac in "$C1_MAC" "$C2_MAC"; do grep -q "$mac" <<<"$elements" || fail "$mac not back in @allowed: $elements"; done
grep -q "02:00:00:00:01:09\|$C3_MAC" <<<"$elements" && fail "somebody else is in @allowed: $elements"
pass "c1 and c2 are back in @allowed, nobody else"

for ns in "$NS_C1" "$NS_C2"; do
  body=$(ip netns exec "$ns" curl -sS --max-time 5 "http://$UP_V4/index.html") || fail "$ns offline after the reboot"
  [ "$body" = upstream-ok ] || fail "$ns got '$body'"
done
pass "c1 and c2 reach the upstream without signing in again"
[ "$(http_status "$NS_C3" "http://$UP_V4/")" = 511 ] || fail "c3 got in after the reboot"
ip netns exec "$NS_C3" curl -s --max-time 3 -o /dev/null "http://$UP_V4:8080/" && fail "c3 reaches port 8080"
pass "c3, never signed in, is intercepted and stopped"

after=$(ctl list --json) || fail "list after the restart"
python3 - "$before" "$after" <<'PY' || fail "metadata lost: before $before after $after"
import json, sys
before = {c["mac"]: c for c in json.loads(sys.argv[1])}
after = {c["mac"]: c for c in json.loads(sys.argv[2])}
assert sorted(before) == sorted(after), (before.keys(), after.keys())
for mac, b in before.items():
    a = after[mac]
    assert a["method"] == b["method"] == "click-through", (a, b)
    assert a["signed_in_at"] == b["signed_in_at"], (a, b)
    assert a["ip"] == b["ip"], (a, b)
    assert abs(a["expires_at"] - b["expires_at"]) <= 60, (a, b)
    # The element was re-created (counter 0): the totals carry on from the
    # file and grew by the requests since.
    for k in ("bytes_up", "packets_up", "bytes_down", "packets_down"):
        assert a[k] >= b[k], (k, a, b)
    assert a["bytes_up"] > b["bytes_up"], ("no growth", a, b)
PY
pass "after the reboot: same method, signed-in time, address and expiry; counts carried on, never back"

# A corrupt state file: captived starts, without its sessions, keeps the
# file aside, says why.
captived_stop || fail "captived did not stop cleanly"
in_gw nft delete table inet captive
printf '{"version":1,"sessions":[{"mac":"nonsense"' >"$STATE_DIR/sessions.json"
captived_start --session-timeout 2h
grep -q 'state file .*sessions.json: .*kept as .*sessions.json.bad' "$WORK/captived.log" ||
  fail "no clear word about the bad state file"
[ -f "$STATE_DIR/sessions.json.bad" ] || fail "the bad file was not kept aside"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 got in from a corrupt file"
pass "a corrupt state file: logged, kept aside, captived runs with nobody signed in"
done_ok
