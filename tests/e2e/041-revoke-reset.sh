#!/usr/bin/env bash
# A connection cut by `captivectl revoke` ends at the client at once, with a
# reset, not after minutes of retransmissions: a slow download on a port
# other than 80 (the client's ACKs meet `reject with tcp reset` in forward),
# the same over IPv6, a slow download on port 80 (its pure ACKs skip the
# queue; conntrack says the flow was established, so they are reset too),
# and a port-80 flow where the client sends data (queued to captived, whose
# responder answers the cookie mismatch with a RST).
source "$(dirname "$0")/lib.sh"
require
topology_up
GATE=$E2E_DIR/tools/gate.py
# Slow downloads: 100 bytes every 50 ms, for up to a minute.
spawn "$NS_UP" "$WORK/slow80.log" python3 "$GATE" slow-serve "$UP_V4" 80
spawn "$NS_UP" "$WORK/slow9000.log" python3 "$GATE" slow-serve "$UP_V4" 9000
spawn "$NS_UP" "$WORK/slow9000v6.log" python3 "$GATE" slow-serve "$UP_V6" 9000
ruleset_up
captived_start

result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "sign-in answered '$result'"
pass "c1 signed in"

flows=("$UP_V4 9000" "$UP_V6 9000" "$UP_V4 80" "$UP_V4 80 --send")
names=("TCP/9000 download" "TCP/9000 download over IPv6" "TCP/80 download" "TCP/80 with client data")
CLIENTS=()
for i in "${!flows[@]}"; do
  # shellcheck disable=SC2086 # the flow is "HOST PORT [FLAG]"
  spawn "$NS_C1" "$WORK/flow$i.log" python3 -u "$GATE" slow-get ${flows[$i]}
  CLIENTS+=("${PIDS[-1]}")
done
for i in "${!flows[@]}"; do
  for _ in $(seq 1 50); do grep -q ready "$WORK/flow$i.log" && break; sleep 0.1; done
  grep -q ready "$WORK/flow$i.log" || fail "${names[$i]}: no data before revoke: $(cat "$WORK/flow$i.log")"
done
pass "four long-lived flows carry data (v4/v6, port 9000 and 80)"

refused_tcp() { in_gw nft list counter inet captive refused_tcp 2>/dev/null | sed -n 's/.*packets \([0-9]*\).*/\1/p' || true; }
refused_before=$(refused_tcp)
# The clock starts just before revoke: a reset can come before `ctl revoke`
# returns (and would then come before a mark made after it).
kill -USR1 "${CLIENTS[@]}"
out=$(ctl revoke "$C1_MAC") || fail "revoke failed: $out"
pass "captivectl revoke $C1_MAC"

# Each client ends with ECONNRESET within 2 s: the next ACK (or data
# segment) after revoke is answered with a RST, and the slow server sends
# every 50 ms, so the client has something to ACK at once (delayed ACK
# <= 200 ms; an RFC 5961 challenge ACK round adds one more RTT).
for _ in $(seq 1 30); do
  n=0
  for i in "${!flows[@]}"; do grep -q ended "$WORK/flow$i.log" && n=$((n + 1)); done
  [ $n = ${#flows[@]} ] && break
  sleep 0.1
done
for i in "${!flows[@]}"; do
  line=$(grep ended "$WORK/flow$i.log") || fail "${names[$i]}: still open 3 s after revoke (no reset)"
  read -r _ kind secs <<<"$line"
  [ "$kind" = reset ] || fail "${names[$i]}: ended by $kind, want a reset"
  python3 -c "import sys; sys.exit(0 if 0 <= float('$secs') < 2.0 else 1)" ||
    fail "${names[$i]}: reset after $secs s, want < 2 s"
  pass "${names[$i]}: ECONNRESET at the client $secs s after revoke"
done
refused_after=$(refused_tcp)
[ "${refused_after:-0}" -gt "${refused_before:-0}" ] || fail "counter refused_tcp did not move ($refused_before -> $refused_after)"
pass "counted in refused_tcp ($refused_before -> $refused_after)"

# Interception is not broken by the port-80 rule: an unsigned client's
# intercepted connection is never established in conntrack.
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "c2 not intercepted"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "revoked c1 not intercepted"
pass "unsigned and revoked clients' HTTP still intercepted (511)"
done_ok
