#!/usr/bin/env bash
# After sign-in every OS sees the Internet (issue 10, item 2). The upstream
# plays the connectivity-check servers (tools/probe_servers.py: Android,
# Apple, Windows, Firefox, Chrome/ChromeOS, NetworkManager, KDE, Fedora);
# each probe is sent as its OS sends it (Host, path, User-Agent) to the
# upstream's address, the real names not resolving in the sandbox.
# Before sign-in the gateway answers it (511, or a 302 to our portal for a
# known probe), never the real server; after sign-in the real server's answer
# arrives byte for byte (status, Location, body), which is what makes the OS
# close its sign-in window by itself.
source "$(dirname "$0")/lib.sh"
require
topology_up
# The upstream's port 80 is the probe servers (instead of services_up's).
spawn "$NS_UP" "$WORK/probes.log" python3 "$E2E_DIR/tools/probe_servers.py" serve :: 80
wait_for "probe servers" in_up python3 -c "import socket; socket.create_connection(('$UP_V4', 80), 1)"
ruleset_up
captived_start --session-timeout 1h
PORTAL=http://$GW_V4:$PORTAL_PORT/
SERVERS=$E2E_DIR/tools/probe_servers.py

mapfile -t probes < <(python3 "$SERVERS" table)
[ "${#probes[@]}" -ge 15 ] || fail "probe table has ${#probes[@]} entries"

# ask_all NS DIR [ADDRESS]: every probe as its OS sends it -> DIR/N.headers, DIR/N.body
ask_all() {
  local ns=$1 dir=$2 address=${3:-$UP_V4} n=0 os host path ua
  mkdir -p "$dir"
  for probe in "${probes[@]}"; do
    n=$((n + 1))
    IFS=$'\t' read -r os host path ua <<<"$probe"
    ip netns exec "$ns" curl -s --max-time 5 -H "Host: $host" -A "$ua" -D "$dir/$n.headers" -o "$dir/$n.body" \
      "http://$address$path" || true
  done
}

# Before sign-in: the gateway's answer, not the real server's.
ask_all "$NS_C1" "$WORK/before"
python3 "$SERVERS" check gateway "$WORK/before" "$PORTAL" || fail "before sign-in, a probe got past the gateway"
grep -q '^probe ' "$WORK/probes.log" && fail "a probe reached the probe servers before sign-in: $(grep '^probe ' "$WORK/probes.log" | head -n3)"
pass "before sign-in: all ${#probes[@]} probes answered by the gateway (511 or a redirect to $PORTAL), none reached the servers"

result=$(sign_in "$NS_C1" "$GW_V4" "http://$UP_V4/")
[ "$result" = "303 http://$UP_V4/" ] || fail "sign-in answered '$result'"
pass "c1 signed in"

# After sign-in: byte for byte what the real server sends, and the server
# saw each probe with its OS's User-Agent.
ask_all "$NS_C1" "$WORK/after"
python3 "$SERVERS" check real "$WORK/after" || fail "after sign-in, a probe did not get the real server's answer"
for probe in "${probes[@]}"; do
  IFS=$'\t' read -r os host path ua <<<"$probe"
  grep -qF "probe $ua $host$path from $C1_V4" "$WORK/probes.log" ||
    fail "after sign-in, $os $host$path: the probe server did not see it with its User-Agent"
done
pass "after sign-in: all ${#probes[@]} probes get the real server's status, Location and body, byte for byte"

# IPv6 too (the sign-in is the device's MAC, not an address).
ask_all "$NS_C1" "$WORK/after-v6" "[$UP_V6]"
python3 "$SERVERS" check real "$WORK/after-v6" || fail "after sign-in, over IPv6, a probe did not get the real answer"
pass "after sign-in, over IPv6: all probes get the real answers"

# c2 did not sign in: its probes still meet the gateway.
ask_all "$NS_C2" "$WORK/c2"
python3 "$SERVERS" check gateway "$WORK/c2" "$PORTAL" || fail "c2's probes passed on c1's sign-in"
pass "c2's probes are still answered by the gateway"
done_ok
