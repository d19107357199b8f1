#!/usr/bin/env bash
# What an unsigned client gets in each state of the daemon and the table
# (docs/security.md, "Fail closed"):
#   (a) table loaded, captived never started      -> nothing forwarded
#   (b) captived stopped cleanly (SIGTERM)        -> nothing forwarded
#   (c) captived killed (SIGKILL)                 -> nothing forwarded
#   (d) table flushed while captived runs         -> captived loads it again
#       (the leak while it does: 052); and when that load fails, the log
#       says what clients get, and captived retries by itself
#   (e) table flushed while captived is down      -> nothing of ours in the
#       path until captived starts, which loads the table itself
# "Nothing forwarded" is checked at the upstream: HTTP (port 80), TCP 8080,
# UDP, DNS; signed-in clients keep their access in (b) and (c).
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
GATE=$E2E_DIR/tools/gate.py
# nft through a wrapper we can break: the way to make captived's reload fail.
cat >"$WORK/nft" <<SH
#!/bin/sh
[ -e "$WORK/nft-broken" ] && { echo "nft (test wrapper): refusing" >&2; exit 1; }
exec /usr/sbin/nft "\$@"
SH
chmod +x "$WORK/nft"

udp_sink() { in_up nft list chain inet count input | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }
in_up nft -f - <<'NFT'
table inet count {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 9999 counter drop
	}
}
NFT

# unsigned_gets WHAT WANT: c2's HTTP to port 80, TCP to 8080, UDP to 9999
# and forwarded DNS, against the upstream. WANT: "nothing" (nothing reaches
# the upstream), "intercepted" (HTTP answered 511 by captived, the rest as
# nothing), "everything" (no table of ours: all of it reaches the upstream).
unsigned_gets() {
  local what=$1 want=$2 http tcp udp0 udp1 dns
  : >"$WORK/http80.log"; : >"$WORK/http8080.log"
  http=$(http_status "$NS_C2" "http://$UP_V4/" --max-time 2)
  tcp=$(in_c2 python3 "$GATE" connect "$UP_V4" 8080 2)
  udp0=$(udp_sink)
  in_c2 python3 "$GATE" stream "$UP_V4" 9999 20 1000 >/dev/null
  sleep 0.1
  udp1=$(udp_sink)
  dns=$(in_c2 dig +short +time=1 +tries=1 @"$UP_V4" upstream.test A || true)
  [ "$dns" = "$UP_V4" ] || dns=none
  local got="http=$http tcp8080=$tcp udp=$((udp1 - udp0)) dns=$dns"
  case $want in
    nothing|intercepted)
      if [ "$want" = intercepted ]; then
        [ "$http" = 511 ] || fail "$what: HTTP not intercepted ($got)"
      else
        [ "$http" = 000 ] || fail "$what: HTTP answered ($got)"
        grep -q "request from $C2_V4" "$WORK/http80.log" && fail "$what: upstream :80 saw c2 ($got)"
      fi
      [ "$tcp" = reset ] || fail "$what: TCP/8080 not reset ($got)"
      [ $((udp1 - udp0)) = 0 ] || fail "$what: UDP reached the upstream ($got)"
      [ "$dns" != "$UP_V4" ] || fail "$what: forwarded DNS answered ($got)"
      ;;
    everything)
      [ "$http" = 200 ] && [ "$tcp" = connected ] && [ $((udp1 - udp0)) = 20 ] && [ "$dns" = "$UP_V4" ] ||
        fail "$what: expected the table gone to let everything through ($got)"
      ;;
  esac
  log "$what: $got"
}
signed_in_ok() { [ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "$1: signed-in c1 lost access"; }

# (a) The table, no daemon yet.
ruleset_up
unsigned_gets "(a) table loaded, captived never started" nothing
pass "(a) table loaded, daemon never started: nothing of c2 reaches the upstream"

captived_start --nft "$WORK/nft"
grep -q "nft $WORK/nft;" "$WORK/captived.log" || fail "--nft not used: $(grep 'nft ' "$WORK/captived.log")"
result=$(sign_in "$NS_C1")
[ "${result%% *}" = 303 ] || fail "sign-in answered '$result'"
unsigned_gets "running" intercepted
signed_in_ok "running"
pass "running: c2 intercepted, signed-in c1 through"

# (b) SIGTERM: the queue rule goes, the table and the sessions stay.
captived_stop || fail "captived did not stop cleanly"
queue_rule_present && fail "(b): queue rule left behind"
unsigned_gets "(b) captived stopped (SIGTERM)" nothing
signed_in_ok "(b)"
pass "(b) daemon stopped cleanly: nothing of c2 reaches the upstream; c1 keeps its session"

# (c) SIGKILL: the stale queue rule has nobody behind it; bypass = fall through.
captived_start --nft "$WORK/nft"
kill -9 "$CAPTIVED_PID"
wait "$CAPTIVED_PID" 2>/dev/null || true
CAPTIVED_PID=
queue_rule_present || fail "(c): expected the stale queue rule"
unsigned_gets "(c) captived killed (SIGKILL)" nothing
signed_in_ok "(c)"
pass "(c) daemon killed: nothing of c2 reaches the upstream; c1 keeps its session"

# (e) The table flushed while the daemon is down: nothing of ours is left.
in_gw nft flush ruleset
unsigned_gets "(e) table flushed, captived down" everything
pass "(e) table flushed while the daemon is down: no table, no gate (documented)"
captived_start --nft "$WORK/nft"
grep -q "table inet captive loaded from" "$WORK/captived.log" || fail "captived did not load the missing table"
unsigned_gets "(e) after captived started" intercepted
# The kernel set went with the flush; c1's session comes back from the
# state file (issue 9, item 1; e2e 130).
signed_in_ok "(e) after captived started"
pass "(e) captived started without a table: it loads it itself, c2 stopped again, c1 back from the state file"

# (d) Flushed while running, and the reload fails: the log says what
# clients get, and captived tries again by itself.
# c1 is signed in (its session came back above).
touch "$WORK/nft-broken"
in_gw nft flush ruleset
for _ in $(seq 1 30); do grep -q "cannot restore the ruleset" "$WORK/captived.log" && break; sleep 0.1; done
line=$(grep "cannot restore the ruleset" "$WORK/captived.log" | head -n1) || fail "(d): no log line for the failed reload"
grep -q "neither intercepted nor stopped" <<<"$line" && grep -q "tries again in 1 s and on the next nftables event" <<<"$line" ||
  fail "(d): the log does not say what clients get: $line"
unsigned_gets "(d) flushed, reload failing" everything
alive "reload failing"
pass "(d) reload failed: logged as it is ('$(cut -c1-80 <<<"${line#*: }")...')"
rm "$WORK/nft-broken"
for _ in $(seq 1 40); do grep -q 'restored queue rule' "$WORK/captived.log" && break; sleep 0.1; done
grep -q 'restored queue rule and 1 sessions' "$WORK/captived.log" || fail "(d): no retry after nft works again: $(tail -3 "$WORK/captived.log")"
[ "$(stat_of nft.restore_failures)" -ge 1 ] || fail "nft.restore_failures not counted"
unsigned_gets "(d) after the retry" intercepted
signed_in_ok "(d) after the retry"
pass "(d) captived retried by itself: table, queue rule and c1's session back; failures counted"

# captived never runs without the table: if it cannot load it, it does not start.
captived_stop || fail "captived did not stop cleanly"
in_gw nft flush ruleset
touch "$WORK/nft-broken"
status=0
out=$(in_gw "$CAPTIVED" --lan br0 --state-dir "$STATE_DIR" --socket "$SOCKET" --nft "$WORK/nft" \
  --ruleset "$SANDBOX_ROOT/nft/captive.nft" 2>&1) || status=$?
[ "$status" = 1 ] && grep -q "load $SANDBOX_ROOT/nft/captive.nft: run $WORK/nft: exit status 1" <<<"$out" ||
  fail "no table and no way to load it: status $status, '$out'"
pass "no table and nft failing: captived refuses to start (exit 1, says why)"
rm "$WORK/nft-broken"
for bad in "/nonexistent/nft:No such file" "$WORK/http80.log:not an executable file" "nft:not an absolute path"; do
  status=0
  out=$(in_gw "$CAPTIVED" --lan br0 --state-dir "$STATE_DIR" --socket "$SOCKET" --nft "${bad%%:*}" 2>&1) || status=$?
  [ "$status" != 0 ] && grep -q "${bad#*:}" <<<"$out" || fail "--nft ${bad%%:*}: status $status, '$out'"
done
pass "--nft: a missing, non-executable or relative path is a clear error"
done_ok
