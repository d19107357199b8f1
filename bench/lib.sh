# Shared by scripts/bench: the sandbox LAN of scripts/lib/sandbox.sh plus what
# the measurements need. The caller sets P, WORK, BUILD_DIR and defines fail().
# Only namespaces made here, only documentation addresses; processes are
# killed by the PIDs recorded here, never by name.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$BENCH_DIR/../scripts/lib/sandbox.sh"

PROBE=$BENCH_DIR/probe.py
FLOOD=$BUILD_DIR/bench-flood
SINK_PORT=9999
SINK_CTL=$WORK/sink.sock
R=$WORK/results      # one JSON file per measurement, merged by `probe.py report`
mkdir -p "$R"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# put NAME JSON: one result fragment; NAME is its dotted place in the report.
put() { printf '%s\n' "$2" >"$R/$1.json"; }

# Python one-liners over JSON without jq.
py() { python3 -c "$@"; }

rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status" 2>/dev/null || echo null; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
CLK_TCK=$(getconf CLK_TCK)

# Samples a PID's VmRSS every 0.2 s into FILE until killed.
rss_sampler() {  # rss_sampler PID FILE
  local pid=$1 file=$2
  ( while kill -0 "$pid" 2>/dev/null; do rss_kb "$pid"; sleep 0.2; done ) >"$file" &
  SAMPLER_PID=$!
}
rss_sampler_stop() {  # rss_sampler_stop FILE: sets RSS_MAX (not in a subshell: it forgets the PID)
  kill "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=
  RSS_MAX=$(sort -n "$1" | tail -n1)
}

# Column 8 of /proc/net/netfilter/nfnetlink_queue: id_sequence, the number
# of packets ever queued to that queue; 6 and 7: dropped (queue full, socket full).
nfq_stats() {  # nfq_stats NS QUEUE -> "queued queue_dropped user_dropped"
  ip netns exec "$1" awk -v q="$2" '$1 == q {print $8, $6, $7}' /proc/net/netfilter/nfnetlink_queue 2>/dev/null ||
    echo "0 0 0"
}

rx_packets() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/rx_packets"; }

# One wrk run from a namespace: prints the WRKJSON object with the connection
# count added. BENCH_DELAY_MS (think time per connection) limits the rate.
wrk_run() {  # wrk_run NS URL CONNECTIONS SECONDS [DELAY_MS]
  local ns=$1 url=$2 c=$3 s=$4 delay=${5:-0} threads=2 out
  [ "$c" -lt "$threads" ] && threads=$c
  # timeout: wrk's first connect blocks for the kernel's SYN retries (2 min) when nobody answers
  out=$(BENCH_DELAY_MS=$delay timeout -k 2 $((s + 20)) ip netns exec "$ns" wrk -t"$threads" -c"$c" -d"${s}s" --timeout 5s \
    -H 'Connection: close' -s "$BENCH_DIR/wrk.lua" "$url" 2>&1) || true
  printf '%s\n' "$out" >>"$WORK/wrk.log"
  local j
  j=$(sed -n 's/^WRKJSON //p' <<<"$out")
  [ -n "$j" ] || { printf '%s\n' "$out" >&2; fail "wrk produced no summary"; }
  py "import json,sys; j=json.loads(sys.argv[1]); j['connections']=$c; j['delay_ms']=$delay; print(json.dumps(j))" "$j"
}

# iperf3 from client 1 (or NS) to upstream, several streams; prints Mbit/s received.
iperf_mbps() {  # iperf_mbps SECONDS STREAMS [NS]
  local j
  j=$(ip netns exec "${3:-$NS_C1}" iperf3 -c "$UP_V4" -P "$2" -t "$1" -J 2>&1) || true
  py "import json,sys
try: print(round(json.loads(sys.argv[1])['end']['sum_received']['bits_per_second']/1e6, 1))
except Exception: print('null')" "$j"
}

# The number of elements in @allowed (nft -j is slow with 100 000; count lines).
allowed_count() {
  # timeout: nft restarts a dump whenever the ruleset changes under it
  { timeout 20 ip netns exec "$NS_GW" nft list set inet captive allowed 2>/dev/null || true; } | { grep -oE '([0-9a-f]{2}:){5}[0-9a-f]{2}' || true; } | wc -l
}

# Packets of unsigned clients dropped in the forward chain (named counters
# `dropped_intercepted`, port-80 traffic, and `dropped`, the rest): during
# the flood, SYNs that found the queue full and went on (fail-open).
forward_drops() {
  local n total=0
  for counter in dropped_intercepted dropped; do
    n=$(in_gw nft list counter inet captive "$counter" 2>/dev/null | sed -n 's/.*packets \([0-9]*\).*/\1/p')
    total=$((total + ${n:-0}))
  done
  echo "$total"
}

# The twin: the same LAN path (client -- veth -- bridge, routing -- veth --
# upstream) in three more namespaces, with no nftables at all. Its iperf3
# runs alternate with the sandbox's, so both see the same machine noise.
NS_TC=$P-tc NS_TG=$P-tg NS_TU=$P-tu
twin_up() {
  local ns
  for ns in "$NS_TC" "$NS_TG" "$NS_TU"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  ip -n "$NS_TG" link add br0 address "$GW_MAC" type bridge
  ip -n "$NS_TG" link add lan1 type veth peer name eth0 netns "$NS_TC"
  ip -n "$NS_TG" link add wan0 type veth peer name eth0 netns "$NS_TU"
  ip -n "$NS_TG" link set lan1 master br0 up
  ip -n "$NS_TG" link set br0 up
  ip -n "$NS_TG" link set wan0 up
  ip -n "$NS_TG" addr add "$GW_V4/24" dev br0
  ip -n "$NS_TG" addr add 198.51.100.1/24 dev wan0
  ip netns exec "$NS_TG" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$NS_TC" link set eth0 address "$C1_MAC" up
  ip -n "$NS_TC" addr add "$C1_V4/24" dev eth0
  ip -n "$NS_TC" route add default via "$GW_V4"
  ip -n "$NS_TU" link set eth0 up
  ip -n "$NS_TU" addr add "$UP_V4/24" dev eth0
  ip -n "$NS_TU" route add 192.0.2.0/24 via 198.51.100.1
  sleep 0.5
  spawn "$NS_TU" "$WORK/iperf3-twin.log" iperf3 -s -B "$UP_V4"
  wait_for "twin iperf3 server" ip netns exec "$NS_TC" python3 -c \
    "import socket; socket.create_connection(('$UP_V4', 5201), 1)"
}
twin_down() {
  local ns
  for ns in "$NS_TC" "$NS_TG" "$NS_TU"; do ip netns del "$ns" 2>/dev/null; done
  return 0
}

# captived's own counters (captivectl stats --json), or {} where it has none.
daemon_stats() { ctl stats --json 2>/dev/null || echo '{}'; }
# The difference of two counter snapshots, as JSON (nested objects flattened).
stats_delta() {
  py "import json,sys
def flat(x, p=''):
    out = {}
    if isinstance(x, dict):
        for k, v in x.items(): out.update(flat(v, p + k + '.'))
    elif isinstance(x, list):
        for i, v in enumerate(x): out.update(flat(v, p + str(i) + '.'))
    elif isinstance(x, (int, float)) and not isinstance(x, bool): out[p[:-1]] = x
    return out
try: a, b = flat(json.loads(sys.argv[1])), flat(json.loads(sys.argv[2]))
except Exception: a, b = {}, {}
print(json.dumps({k: b[k] - a.get(k, 0) for k in b if b[k] != a.get(k, 0)}))" "$1" "$2"
}
