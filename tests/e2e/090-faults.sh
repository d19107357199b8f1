#!/usr/bin/env bash
# Faults, and what users see through them: packet loss on the LAN (nft
# numgen drops on the gateway's port to c1, this kernel has no netem), the
# neighbour table flushed, the state directory unusable (a file, read-only,
# full), captived killed with SIGKILL and the ruleset flushed under load,
# the upstream gone. Through all of it no signed-in client is lost and no
# unsigned one reaches the upstream.
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
ruleset_up
captived_start --session-timeout 1h

allowed() { in_gw nft list set inet captive allowed | grep -Eo '([0-9a-f]{2}:){5}[0-9a-f]{2}' | sort | tr '\n' ' '; }
c2_upstream() { cat "$WORK"/http*.log 2>/dev/null | grep -c "request from $C2_V4" || true; }
C2_SLIPPED=0  # requests of c2 let through while somebody else's flush left no table (documented gap)
c2_never_upstream() {
  [ "$(c2_upstream)" -le "$C2_SLIPPED" ] ||
    fail "$1: c2 reached the upstream: $(grep -h "request from $C2_V4" "$WORK"/http*.log | head -3)"
}

# --- Loss on the LAN ---------------------------------------------------------
# netdev hooks on lan1 (the bridge port to c1) see both directions, including
# captived's AF_PACKET frames (egress). First deterministic: every other
# SYN-ACK and every other answer segment is dropped, so each exchange needs
# the client's retransmission; then 20 % random loss of requests and answers.
in_gw nft -f - <<'NFT' || fail "cannot add the loss table (needs netdev egress hooks)"
table netdev lossy {
	chain in {
		type filter hook ingress device lan1 priority 0; policy accept;
	}
	chain out {
		type filter hook egress device lan1 priority 0; policy accept;
		tcp sport 80 tcp flags & (syn | ack) == (syn | ack) numgen inc mod 2 == 0 counter drop
		tcp sport 80 tcp flags & (psh | fin) == (psh | fin) numgen inc mod 2 == 0 counter drop
	}
}
NFT
a0=$(stat_of responder.answered)
s0=$(stat_of responder.syn_ack)
for i in 1 2 3; do
  code=$(in_c1 curl -s -o /dev/null -w '%{http_code}' --max-time 20 "http://$UP_V4/lost-$i")
  [ "$code" = 511 ] || fail "with every other SYN-ACK and answer dropped, fetch $i got $code"
done
a1=$(stat_of responder.answered)
s1=$(stat_of responder.syn_ack)
[ $((a1 - a0)) -ge 6 ] && [ $((s1 - s0)) -ge 6 ] ||
  fail "expected each SYN and request answered twice: syn_ack +$((s1 - s0)), answered +$((a1 - a0))"
drops=$(in_gw nft list chain netdev lossy out | grep -c 'counter packets [1-9]')
[ "$drops" = 2 ] || fail "the drop rules did not drop: $(in_gw nft list chain netdev lossy out)"
pass "lost SYN-ACKs and lost 511s: the client's retransmissions get them again (syn_ack +$((s1 - s0)), answered +$((a1 - a0)) for 3 fetches)"

in_gw nft flush chain netdev lossy out
in_gw nft add rule netdev lossy out tcp sport 80 tcp flags \& syn == 0 numgen random mod 100 '<' 20 counter drop
in_gw nft add rule netdev lossy in tcp dport 80 tcp flags \& syn == 0 numgen random mod 100 '<' 20 counter drop
start=$(date +%s)
# A segment is lost with ~36 % (request or answer), and each retransmission
# waits twice as long: six losses in a row take ~25 s, eight ~100 s. 60 s
# leaves a fetch 7 tries (a run of 7 losses: ~0.08 % per segment); 20 s
# failed about one run in thirty.
for i in $(seq 1 12); do
  code=$(in_c1 curl -s -o /dev/null -w '%{http_code}' --max-time 60 "http://$UP_V4/random-$i" || true)
  [ "$code" = 511 ] || fail "20 % loss: fetch $i got '$code' (curl gave up after 60 s, or another answer)"
done
dropped=$(in_gw nft list table netdev lossy | grep -o 'counter packets [0-9]*' | awk '{s += $3} END {print s}')
pass "20 % random loss of requests and answers: 12 of 12 fetches got the 511 ($dropped segments dropped, $(($(date +%s) - start)) s)"
in_gw nft delete table netdev lossy

# --- The neighbour entry missing ----------------------------------------------
in_gw ip neigh flush dev br0
result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "sign-in after the neighbour flush answered '$result'"
[ "$(allowed)" = "$C1_MAC " ] || fail "@allowed after sign-in with flushed neighbours: $(allowed)"
ctl revoke "$C1_MAC" >/dev/null
# Flushed over and over while c1 and c2 sign in: each gets 303 (its own MAC)
# or a clean 403, nobody is signed in as somebody else.
( for _ in $(seq 1 100); do ip netns exec "$NS_GW" ip neigh flush dev br0 2>/dev/null; sleep 0.02; done ) &
flusher=$!
PIDS+=("$flusher")
r1=$(sign_in "$NS_C1")
r2=$(sign_in "$NS_C2")
wait "$flusher" || true
for r in "$r1" "$r2"; do
  case "${r%% *}" in 303 | 403) ;; *) fail "sign-in during neighbour flushes answered '$r'" ;; esac
done
want=
[ "${r1%% *}" = 303 ] && want="$C1_MAC "
[ "${r2%% *}" = 303 ] && want="$want$C2_MAC "
[ "$(allowed)" = "$want" ] || fail "@allowed '$(allowed)', want '$want'"
for mac in $(allowed); do ctl revoke "$mac" >/dev/null; done
pass "neighbour table flushed: sign-in still works (the kernel resolves the client again); under repeated flushes: c1 '${r1%% *}', c2 '${r2%% *}', nobody as somebody else"

# --- The state directory unusable ----------------------------------------------
# captived warns and runs with keys for this run only; users see no
# difference until a restart, when forms handed out before are refused once.
captived_stop || fail "captived did not stop cleanly"
cat >"$WORK/captived-in-private-mounts" <<'SH'
#!/bin/sh
# captived with its state directory made read-only or full, in a private
# mount namespace (nothing of it is seen outside).
mode=$1 dir=$2 real=$3
shift 3
exec unshare -m --propagation private sh -c '
  mode=$1 dir=$2 real=$3; shift 3
  mkdir -p "$dir"
  if [ "$mode" = ro ]; then mount --bind "$dir" "$dir" && mount -o remount,bind,ro "$dir" || exit 97
  else mount -t tmpfs -o size=4k tmpfs "$dir" || exit 97
       dd if=/dev/zero of="$dir/fill" bs=1k count=64 2>/dev/null; fi
  exec "$real" "$@"' sh "$mode" "$dir" "$real" "$@"
SH
chmod +x "$WORK/captived-in-private-mounts"
state_case() {  # state_case WHAT: captived is running with an unusable state dir
  grep -q 'using keys for this run only' "$WORK/captived.log" || fail "$1: no warning: $(cat "$WORK/captived.log")"
  [ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "$1: no 511"
  local r
  r=$(sign_in "$NS_C1")
  [ "${r%% *}" = 303 ] || fail "$1: sign-in answered '$r'"
  ctl revoke "$C1_MAC" >/dev/null
  captived_stop || fail "$1: no clean stop"
}
echo "not a directory" >"$WORK/state-file"
STATE_DIR_SAVED=$STATE_DIR
STATE_DIR=$WORK/state-file
captived_start
state_case "state dir is a file"
captived_start_mounted() {  # MODE DIR: as lib's captived_start, through the wrapper
  STATE_DIR=$2
  : >"$WORK/captived.log"
  ip netns exec "$NS_GW" "$WORK/captived-in-private-mounts" "$1" "$STATE_DIR" "$CAPTIVED" --lan br0 \
    --state-dir "$STATE_DIR" --socket "$SOCKET" --portal-port "$PORTAL_PORT" --ruleset "$SANDBOX_ROOT/nft/captive.nft" \
    --session-timeout 1h >>"$WORK/captived.log" 2>&1 &
  CAPTIVED_PID=$!
  for _ in $(seq 1 100); do
    grep -q 'ready:' "$WORK/captived.log" && return 0
    kill -0 "$CAPTIVED_PID" 2>/dev/null || fail "captived exited at start: $(cat "$WORK/captived.log")"
    sleep 0.1
  done
  fail "captived not ready after 10 s"
}
captived_start_mounted ro "$WORK/state-ro"
grep -q 'Read-only file system' "$WORK/captived.log" || fail "read-only: $(head -3 "$WORK/captived.log")"
old_token=$(in_c1 curl -sS --max-time 5 "http://$GW_V4:$PORTAL_PORT/" | sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p')
state_case "state dir read-only"
captived_start_mounted full "$WORK/state-full"
grep -q 'No space left on device' "$WORK/captived.log" || fail "full: $(head -3 "$WORK/captived.log")"
# A form handed out by the previous run (other keys) is refused once, with a fresh form.
code=$(in_c1 curl -s -o "$WORK/expired.html" -w '%{http_code}' --max-time 5 --data "token=$old_token&accept_terms=yes" \
  "http://$GW_V4:$PORTAL_PORT/login")
[ "$code" = 403 ] && grep -q 'expired' "$WORK/expired.html" || fail "old form after a key change: $code"
state_case "state dir full"
pass "state dir a file, read-only or full: captived warns, runs with keys for this run only; 511 and sign-in work; a form from before a restart is refused once ('expired') with a fresh one"
STATE_DIR=$STATE_DIR_SAVED
captived_start --session-timeout 1h

# --- SIGKILL and nft flush ruleset under load -------------------------------
result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "sign-in answered '$result'"
load() {  # load NS URL OUTFILE: one request every 50 ms until $WORK/stop (at most 600)
  for _ in $(seq 1 600); do
    [ -e "$WORK/stop" ] && break
    ip netns exec "$1" curl -s -o /dev/null -w '%{http_code}\n' --max-time 1 "$2" >>"$3" || true
    sleep 0.05
  done
}
start_load() {
  rm -f "$WORK/stop" "$WORK"/load-*.txt
  load "$NS_C1" "http://$UP_V4:8080/" "$WORK/load-c1.txt" &
  PIDS+=($!)
  load "$NS_C2" "http://$UP_V4/" "$WORK/load-c2-80.txt" &
  PIDS+=($!)
  load "$NS_C2" "http://$UP_V4:8080/" "$WORK/load-c2-8080.txt" &
  PIDS+=($!)
  sleep 1
}
stop_load() {
  # A request of c2's that left inside a gap ends as 000 up to a second
  # later (curl --max-time 1): the load goes on until c2's latest answer is
  # one from after the gap, so the last line is the state we end in.
  for _ in $(seq 1 50); do
    [ "$(tail -n 1 "$WORK/load-c2-80.txt" 2>/dev/null)" = 511 ] && break
    sleep 0.1
  done
  touch "$WORK/stop"
  for _ in $(seq 1 50); do
    [ "$(jobs -rp | wc -l)" = 0 ] && break
    sleep 0.1
  done
}
tally() { sort "$1" | uniq -c | awk '{printf "%s×%s ", $1, $2}'; }

start_load
kill -9 "$CAPTIVED_PID"
wait "$CAPTIVED_PID" 2>/dev/null || true
CAPTIVED_PID=
sleep 2
captived_start --session-timeout 1h
sleep 1.5
stop_load
grep -qv '^200$' "$WORK/load-c1.txt" && fail "signed-in c1 failed under kill -9: $(tally "$WORK/load-c1.txt")"
grep -q '^200$' "$WORK/load-c2-80.txt" "$WORK/load-c2-8080.txt" && fail "c2 got a 200 around kill -9"
grep -qv '^\(511\|000\)$' "$WORK/load-c2-80.txt" && fail "c2 port 80: $(tally "$WORK/load-c2-80.txt")"
[ "$(tail -n 1 "$WORK/load-c2-80.txt")" = 511 ] || fail "c2 not intercepted after the restart: $(tail -3 "$WORK/load-c2-80.txt")"
c2_never_upstream "kill -9"
pass "kill -9 under load: c1 $(tally "$WORK/load-c1.txt"); c2 port 80 $(tally "$WORK/load-c2-80.txt")(511 → nothing while dead → 511); c2 :8080 $(tally "$WORK/load-c2-8080.txt")"

# The restarted daemon did not see c1 sign in: a flush must restore c1 anyway.
start_load
for n in 1 2 3; do
  in_gw nft flush ruleset
  for _ in $(seq 1 50); do
    [ "$(grep -c 'restored queue rule' "$WORK/captived.log")" -ge "$n" ] && break
    sleep 0.1
  done
  [ "$(grep -c 'restored queue rule' "$WORK/captived.log")" -ge "$n" ] || fail "no restore after flush $n"
  sleep 1
done
stop_load
ms=$(grep -o 'sessions in [0-9.]* ms' "$WORK/captived.log" | awk '{print $3}' | tr '\n' ' ')
[ "$(allowed)" = "$C1_MAC " ] || fail "after the flushes @allowed holds '$(allowed)' (c1 signed in before the restart)"
[ "$(http_status "$NS_C1" "http://$UP_V4:8080/")" = 200 ] || fail "c1 lost access after the flushes"
c1_fail=$(grep -vc '^200$' "$WORK/load-c1.txt" || true)
[ "$c1_fail" -le 6 ] || fail "c1 lost access for long: $(tally "$WORK/load-c1.txt")"
[ "$(tail -n 1 "$WORK/load-c2-80.txt")" = 511 ] || fail "c2 not intercepted after the flushes: $(tail -3 "$WORK/load-c2-80.txt" | tr '\n' ' ')"
# While the table is gone (the flush until captived has reloaded it, tens of
# ms) nothing is enforced, as docs/security.md says: a request of c2 may slip
# through then. Count them; after the restore none may.
C2_SLIPPED=$(c2_upstream)
log "flushes restored in: $ms ms; c1 $(tally "$WORK/load-c1.txt"); c2 :80 $(tally "$WORK/load-c2-80.txt"); c2 :8080 $(tally "$WORK/load-c2-8080.txt"); $C2_SLIPPED c2 request(s) reached the upstream inside a gap"
start_load
sleep 2
stop_load
grep -q '^200$' "$WORK/load-c2-80.txt" "$WORK/load-c2-8080.txt" && fail "c2 got a 200 after the table was restored"
grep -qv '^200$' "$WORK/load-c1.txt" && fail "c1 failed after the restore: $(tally "$WORK/load-c1.txt")"
c2_never_upstream "after the flushes"
pass "nft flush ruleset ×3 under load: restored each time (c1's session too, signed in before the kill -9); after that c1 all 200, c2 only 511 or nothing ($C2_SLIPPED c2 request(s) slipped through while the table was gone)"

# --- The upstream gone ------------------------------------------------------------
kill "${PIDS[0]}"  # the upstream HTTP server on port 80 (sandbox.sh started it first)
wait "${PIDS[0]}" 2>/dev/null || true
code=$(in_c1 curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$UP_V4/"; echo " $?")
[ "$code" = "000 7" ] || fail "c1 with the upstream server gone: '$code' (want connection refused)"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "c2 no 511 with the upstream server gone"
ip -n "$NS_UP" link set eth0 down
code=$(in_c1 curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$UP_V4/"; echo " $?")
[ "$code" = "000 28" ] || fail "c1 with the upstream link down: '$code' (want a timeout)"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "c2 no 511 with the upstream link down"
[ "$(http_status "$NS_C2" "http://[$UP_V6]/" -6)" = 511 ] || fail "c2 no IPv6 511 with the upstream link down"
kill -0 "$CAPTIVED_PID" || fail "captived died"
c2_never_upstream "the end"
pass "upstream gone: signed-in c1 gets connection refused (server dead) or a timeout (link down); unsigned c2 still gets the 511 (v4, v6)"
done_ok
