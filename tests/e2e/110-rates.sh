#!/usr/bin/env bash
# Per-session counters both ways and rates, in the kernel (issue 9, items 2
# and 4; docs/ruleset.md "Per session"):
#  - a 1 MB download shows up in the session's down counter (allowed_down,
#    by the session's ct mark), and its up counter moves too; with --bind-ip
#    as well;
#  - with --rate-down/--rate-up, a limited client gets its rate within
#    +-10 % (iperf3, TCP, both directions), while a client whose session has
#    no rate, at the same time, gets far more.
# The run is bounded: two 5 s iperf3 runs per direction at most.
source "$(dirname "$0")/lib.sh"
require
command -v iperf3 >/dev/null || { [ "${CI:-}" = true ] && fail "needs iperf3 (scripts/install-deps)"; log "SKIP: needs iperf3"; exit 77; }
topology_up
services_up
ruleset_up

RATE_DOWN_BIT=20000000   # --rate-down 20mbit
RATE_UP_BIT=10000000     # --rate-up 10mbit

# The kernel's view of one client's session: "mark up_bytes up_packets down_bytes down_packets".
session_counters() {  # session_counters MAC [SET]
  in_gw nft -j list ruleset | python3 -c '
import json, sys
mac, key_set = sys.argv[1], sys.argv[2]
items = json.load(sys.stdin)["nftables"]
sets = {i["set"]["name"]: i["set"] for i in items if "set" in i}
maps = {i["map"]["name"]: i["map"] for i in items if "map" in i}
def elems(s): return s.get("elem", []) if s else []
mark = None
for e in elems(maps.get("session_marks")):
    k, v = e
    k = k["elem"]["val"] if isinstance(k, dict) else k
    if k == mac: mark = v
up = None
for e in elems(sets.get(key_set)):
    val = e["elem"]["val"]
    k = val if isinstance(val, str) else val["concat"][0]
    if k == mac: up = e["elem"]["counter"]
down = None
for e in elems(sets.get("allowed_down")):
    if e["elem"]["val"] == mark: down = e["elem"]["counter"]
if mark is None or up is None or down is None: sys.exit("no session for %s: mark %s up %s down %s" % (mac, mark, up, down))
print(mark, up["bytes"], up["packets"], down["bytes"], down["packets"])
' "$1" "${2:-allowed}"
}

# --- counters ------------------------------------------------------------
head -c 1048576 /dev/urandom >"$WORK/www/1mb.bin"
check_counters() {  # check_counters SET LABEL
  local before after
  before=$(session_counters "$C1_MAC" "$1") || fail "$2: $before"
  in_c1 curl -sS --max-time 10 -o /dev/null "http://$UP_V4/1mb.bin" || fail "$2: download failed"
  after=$(session_counters "$C1_MAC" "$1") || fail "$2: $after"
  read -r mark0 ub0 up0 db0 dp0 <<<"$before"
  read -r mark1 ub1 up1 db1 dp1 <<<"$after"
  [ "$mark0" = "$mark1" ] && [ "$mark1" != 0 ] || fail "$2: mark changed or 0: $before / $after"
  [ $((db1 - db0)) -ge 1048576 ] || fail "$2: down counter moved $((db1 - db0)) bytes for a 1 MB download ($before / $after)"
  [ $((ub1 - ub0)) -gt 0 ] && [ $((up1 - up0)) -gt 0 ] || fail "$2: up counter did not move ($before / $after)"
  # Not the download counted as upload: the client sent only ACKs and a request.
  [ $((ub1 - ub0)) -lt 524288 ] || fail "$2: up counter moved $((ub1 - ub0)) bytes"
  pass "$2: 1 MB down counted in allowed_down[$mark1] (+$((db1 - db0)) B, +$((dp1 - dp0)) pkts), up +$((ub1 - ub0)) B"
}

captived_start --session-timeout 2h --bind-ip
[ "$(sign_in "$NS_C1" "$GW_V4" "http://$UP_V4/index.html" | cut -d' ' -f1)" = 303 ] || fail "c1 sign-in (--bind-ip)"
check_counters allowed_ip4 "--bind-ip"
ctl revoke "$C1_MAC" >/dev/null || fail "revoke"
in_gw nft list map inet captive session_marks | grep -q "$C1_MAC" && fail "revoke left c1's mark"
in_gw nft list set inet captive allowed_down | grep -q "elements" && fail "revoke left a down counter"
pass "revoke removes the session's mark and down counter (one batch)"
captived_stop || fail "captived stop"

captived_start --session-timeout 2h --rate-down 20mbit --rate-up 10mbit
grep -q "rates per session (bytes/s, 0 = none): down 2500000, up 1250000" "$WORK/captived.log" || fail "rates not logged"
for ns in "$NS_C1" "$NS_C2"; do
  [ "$(sign_in "$ns" "$GW_V4" "http://$UP_V4/index.html" | cut -d' ' -f1)" = 303 ] || fail "sign-in from $ns"
done
check_counters allowed "MAC session"
in_gw nft list set inet captive rate_up | grep -c "$C1_MAC limit rate over 1250000 bytes/second" >/dev/null ||
  fail "c1 has no up rate: $(in_gw nft list set inet captive rate_up)"
pass "sign-in carries the daemon's rates into rate_up / rate_down"

# c2's session without its rate (as `captivectl allow` without --rate-* will
# make one): delete its rate elements, keep the session.
c2=$(session_counters "$C2_MAC") || fail "c2: $c2"
c2_mark=$(cut -d' ' -f1 <<<"$c2")
in_gw nft delete element inet captive rate_up "{ $C2_MAC }" || fail "delete c2 rate_up"
in_gw nft delete element inet captive rate_down "{ $c2_mark }" || fail "delete c2 rate_down"

# --- rates ----------------------------------------------------------------
spawn "$NS_UP" "$WORK/iperf-1.log" iperf3 -s -p 5201
spawn "$NS_UP" "$WORK/iperf-2.log" iperf3 -s -p 5202
wait_for "iperf3 servers" bash -c "ip netns exec $NS_UP ss -ltn | grep -q ':5202 '"
# Both clients at once, 5 s after 2 s left out (-O 2): the kernel's bucket
# starts full and holds one second of the rate (nft_limit.c: tokens_max =
# unit * (rate + burst) / rate), so the first second may go at line rate;
# over a 5 s run that alone is +20 % (measured +18.6 %). What is held to
# +-10 % is the rate after it (docs/ruleset.md). Prints "c1_bps c2_bps" as
# received, and the totals with the first 2 s into $WORK/with-burst.
measure() {  # measure [-R]
  in_c1 timeout 20 iperf3 -c "$UP_V4" -p 5201 -t 5 -O 2 -J "$@" >"$WORK/c1.json" &
  local p1=$!
  in_c2 timeout 20 iperf3 -c "$UP_V4" -p 5202 -t 5 -O 2 -J "$@" >"$WORK/c2.json" &
  local p2=$!
  wait "$p1" || fail "iperf3 c1 $*: $(tail -5 "$WORK/c1.json")"
  wait "$p2" || fail "iperf3 c2 $*: $(tail -5 "$WORK/c2.json")"
  python3 -c '
import json, sys
runs = [json.load(open(f)) for f in sys.argv[1:]]
print(" ".join(str(int(r["end"]["sum_received"]["bits_per_second"])) for r in runs))
# All 7 s, the omitted first 2 s included (as the sender saw them).
for r in runs:
    iv = r["intervals"]
    sys.stderr.write("with the first 2 s: %d bit/s over %d intervals\n" % (
        sum(i["sum"]["bytes"] for i in iv) * 8 / sum(i["sum"]["seconds"] for i in iv), len(iv)))
' "$WORK/c1.json" "$WORK/c2.json" 2>>"$WORK/with-burst"
}
check_rate() {  # check_rate LABEL LIMIT_BIT C1_BPS C2_BPS
  local label=$1 limit=$2 c1=$3 c2=$4
  log "$label: limited c1 $c1 bit/s (limit $limit), unlimited c2 $c2 bit/s"
  [ "$c1" -ge $((limit * 9 / 10)) ] && [ "$c1" -le $((limit * 11 / 10)) ] ||
    fail "$label: limited client got $c1 bit/s, not within 10 % of $limit"
  [ "$c2" -ge $((limit * 5)) ] || fail "$label: unlimited client got only $c2 bit/s (limit of the other: $limit)"
  pass "$label: limited $((c1 / 1000)) kbit/s (limit $((limit / 1000))), unlimited $((c2 / 1000000)) Mbit/s"
}
read -r c1 c2 <<<"$(measure -R)"
check_rate "down" "$RATE_DOWN_BIT" "$c1" "$c2"
read -r c1 c2 <<<"$(measure)"
check_rate "up" "$RATE_UP_BIT" "$c1" "$c2"
log "$(tr '\n' ';' <"$WORK/with-burst")"

done_ok
