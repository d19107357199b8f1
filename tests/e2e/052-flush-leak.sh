#!/usr/bin/env bash
# State (d) of docs/security.md "fail closed": the table flushed while
# captived runs. From `nft flush ruleset` until captived's reload commits,
# nothing of ours is in the path, and an unsigned client's packets are
# forwarded. Measured: a paced UDP stream from an unsigned client (COUNT
# datagrams, at least 1/RATE s apart) while the ruleset is flushed FLUSHES
# times; an nft counter in the upstream namespace counts what got through.
#
# The bound, derived: packet i passes only if it reaches the gateway's
# forward hook while the table is gone. Flush k removes it at t_k; captived
# gets the NEWGEN event, starts its reconcile, and the table is back when
# its `nft -f -` commits, before nft exits; captived logs the time from the
# start of the reconcile to nft's exit, L_k ("table inet captive loaded in
# L ms"). So the table is missing for at most E + L_k, with E the wake-up
# from the event to the start of the reconcile (sub-millisecond on an idle
# machine; 10 ms allowed for a busy 2-core one). The stream puts at most
# W*RATE + 1 datagrams in any window of W s, hence
#     leaked <= sum_k ( (E + L_k) * RATE + 1 ).
# And nothing leaks outside those windows: a second stream with no flush
# must lose every datagram.
source "$(dirname "$0")/lib.sh"
require
topology_up
GATE=$E2E_DIR/tools/gate.py
COUNT=${LEAK_COUNT:-3000} RATE=${LEAK_RATE:-1000} FLUSHES=${LEAK_FLUSHES:-5}
# E: 10 ms; the sanitizer build reacts more slowly (ASan roughly doubles
# captived's own work), so it gets 25.
SLACK_MS=10
[ "$sanitized" = true ] && SLACK_MS=25

# The upstream counts datagrams to port 9999 (and drops them: no ICMP noise).
in_up nft -f - <<'NFT'
table inet count {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 9999 counter drop
	}
}
NFT
arrived() { in_up nft list chain inet count input | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }
# Neighbours resolved beforehand: a forwarded datagram must not wait for ARP.
in_gw ping -c1 -W1 "$UP_V4" >/dev/null || fail "gateway cannot reach upstream"
in_c2 ping -c1 -W1 "$GW_V4" >/dev/null || fail "c2 cannot reach the gateway"

ruleset_up
captived_start

# Premise: with the table in place nothing arrives.
[ "$(in_c2 python3 "$GATE" stream "$UP_V4" 9999 200 "$RATE" | cut -d' ' -f1)" = 200 ] || fail "stream did not send"
sleep 0.2
[ "$(arrived)" = 0 ] || fail "premise: $(arrived) datagrams passed with the table in place"
pass "no flush: 0 of 200 unsigned datagrams forwarded"

# The stream, and FLUSHES flushes spread over it.
in_c2 python3 "$GATE" stream "$UP_V4" 9999 "$COUNT" "$RATE" >"$WORK/stream.out" &
STREAM=$!
PIDS+=($STREAM)
duration_ms=$((COUNT * 1000 / RATE))
gap_ms=$((duration_ms / (FLUSHES + 1)))
for k in $(seq 1 "$FLUSHES"); do
  sleep "$(printf '0.%03d' "$gap_ms")"
  in_gw nft flush ruleset
  for _ in $(seq 1 50); do
    [ "$(grep -c 'restored queue rule' "$WORK/captived.log")" -ge "$k" ] && break
    sleep 0.01
  done
  [ "$(grep -c 'restored queue rule' "$WORK/captived.log")" -ge "$k" ] || fail "flush $k: not restored within 0.5 s"
done
wait "$STREAM" || fail "the stream failed"
read -r sent seconds <"$WORK/stream.out"
sleep 0.2
leaked=$(arrived)
mapfile -t restore_ms < <(grep -o 'table inet captive loaded in [0-9.]* ms' "$WORK/captived.log" | awk '{print $(NF-1)}')
[ "${#restore_ms[@]}" = "$FLUSHES" ] || fail "loads: ${#restore_ms[@]}, want $FLUSHES"
bound=$(python3 -c '
import math, sys
rate, slack = float(sys.argv[1]), float(sys.argv[2])
print(sum(math.floor((slack + float(r)) / 1000 * rate) + 1 for r in sys.argv[3:]))' "$RATE" "$SLACK_MS" "${restore_ms[@]}")
log "sent $sent datagrams in $seconds s at <= $RATE/s; $FLUSHES flushes, loads took ${restore_ms[*]} ms; $leaked forwarded; bound $bound"
[ "$sent" = "$COUNT" ] || fail "only $sent of $COUNT sent"
[ "$leaked" -le "$bound" ] || fail "$leaked datagrams forwarded during $FLUSHES flushes, bound $bound"
pass "$leaked of $COUNT unsigned datagrams forwarded during $FLUSHES flushes (bound $bound = sum of (${SLACK_MS} ms + load) x rate + 1)"

# After the last restore: nothing more gets through.
before=$(arrived)
in_c2 python3 "$GATE" stream "$UP_V4" 9999 500 "$RATE" >/dev/null
sleep 0.2
[ "$(arrived)" = "$before" ] || fail "$(( $(arrived) - before )) datagrams forwarded after the restores"
pass "after the restores: 0 of 500 forwarded"
done_ok
