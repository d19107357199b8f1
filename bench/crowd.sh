# The crowd at the door (issue 12 item 7; docs/performance.md "A crowd at
# the door"), sourced by scripts/bench after bench/lib.sh. N clients, each
# a macvlan with its own MAC and address in ONE client namespace, run by
# bench/crowd.cpp (one epoll thread).
#
# Why macvlans in one namespace: a macvlan costs a net_device and nothing
# else (no namespace, no veth pair, no bridge port), so 1 000 of them come
# up in about a second with one `ip -batch`, and the gateway's bridge sees
# them all behind one port as 1 000 MACs, as an access point's uplink does.
# 1 000 veths would be 1 000 bridge ports (flooding fans out to each), and
# 1 000 namespaces would need 1 000 driver processes or setns() per socket.
# Neighbour entries are written statically on both sides: a 1 000-way
# neighbour discovery storm through macvlan's broadcast queue would
# measure the kernel's multicast fan-out, not the portal.
#
# Addresses: 1 000 clients do not fit in the IPv4 documentation ranges
# (three /24s), so captive's crowd is IPv6 (2001:db8:1::a:N). openNDS 9.10
# is IPv4-only: its crowd is at most 240 clients in 192.0.2.0/24 (and
# CROWD_PEER_N, default 25: it signs in about one client a second).

CROWD_BIN=$BUILD_DIR/bench-crowd
CROWD_SINK_PORT=9998

crowd_build() {
  if [ ! -x "$CROWD_BIN" ] || [ "$BENCH_DIR/crowd.cpp" -nt "$CROWD_BIN" ]; then
    g++ -O2 -std=c++20 -Wall -Wextra -o "$CROWD_BIN" "$BENCH_DIR/crowd.cpp" || fail "crowd driver build failed"
  fi
}

# crowd_macvlans CLIENT_NS PARENT GW_NS GW_DEV GW_IP GW_MAC DEST_PREFIX N FAMILY LIST
# Makes N macvlans cw0.. on PARENT in CLIENT_NS, static neighbours both
# ways, a route to DEST_PREFIX per macvlan (the driver binds each socket to
# its macvlan; the route lookup then wants a route through that device),
# and writes "ifname address" lines to LIST.
crowd_macvlans() {
  local ns=$1 parent=$2 gw_ns=$3 gw_dev=$4 gw_ip=$5 gw_mac=$6 dest=$7 n=$8 family=$9 list=${10}
  local cl=$WORK/crowd-$ns.batch gw=$WORK/crowd-$ns-gw.batch
  py "import sys
n, fam, parent, gw_ip, gw_mac, dest = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
cl, gw, lst = open(sys.argv[7], 'w'), open(sys.argv[8], 'w'), open(sys.argv[9], 'w')
for i in range(n):
    mac = '02:00:00:cd:%02x:%02x' % (i >> 8, i & 255)
    if fam == '6':
        addr, plen, opt = '2001:db8:1::a:%x' % (i + 1), 64, ' nodad'
    else:
        addr, plen, opt = '192.0.2.%d' % (10 + i), 24, ''
    dev = 'cw%d' % i
    cl.write('link add %s link %s address %s type macvlan mode bridge\n' % (dev, parent, mac))
    if fam == '6':
        cl.write('link set %s addrgenmode none\n' % dev)
    cl.write('link set %s up\n' % dev)
    cl.write('addr add %s/%d dev %s%s\n' % (addr, plen, dev, opt))
    cl.write('neigh replace %s lladdr %s dev %s nud permanent\n' % (gw_ip, gw_mac, dev))
    cl.write('route add %s via %s dev %s metric %d\n' % (dest, gw_ip, dev, i + 1))
    gw.write('neigh replace %s lladdr %s dev %s nud permanent\n' % (addr, mac, sys.argv[10]))
    lst.write('%s %s\n' % (dev, addr))
" "$n" "$family" "$parent" "$gw_ip" "$gw_mac" "$dest" "$cl" "$gw" "$list" "$gw_dev"
  # No router solicitations, SLAAC, DAD or reverse-path drops on the crowd's links.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.autoconf=0 \
    net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.dad_transmits=0 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 >/dev/null 2>&1 || true
  for n_ in "$ns" "$gw_ns"; do
    ip netns exec "$n_" sysctl -qw net.ipv4.neigh.default.gc_thresh3=16384 net.ipv6.neigh.default.gc_thresh3=16384 \
      net.ipv4.neigh.default.gc_thresh2=8192 net.ipv6.neigh.default.gc_thresh2=8192 >/dev/null 2>&1 || true
  done
  ip -n "$ns" -batch "$cl" || fail "crowd: macvlans in $ns"
  ip -n "$gw_ns" -batch "$gw" || fail "crowd: neighbours in $gw_ns"
}

# crowd_run NS OUT ARGS...: the driver in NS, its JSON in OUT. With
# CROWD_PERF=FILE set, under `perf record -a -g` (every CPU, for finding
# where a crowd's time goes; docs/performance.md).
crowd_run() {
  local ns=$1 out=$2 perf=()
  shift 2
  [ -z "${CROWD_PERF:-}" ] || perf=(perf record -q -a -g -F 1999 -e cpu-clock -o "$CROWD_PERF" --)
  timeout -k 2 300 "${perf[@]}" ip netns exec "$ns" "$CROWD_BIN" "$@" >"$out" 2>"$out.log" ||
    fail "crowd driver failed: $(tail -c 400 "$out.log")"
  py "import json,sys; json.load(open(sys.argv[1]))" "$out" || fail "crowd driver wrote no JSON: $(head -c 400 "$out")"
}

# The captive crowd: a fresh sandbox, captived --auth voucher, N vouchers,
# N macvlans in $P-cr behind lan9 on br0. Puts crowd.captive.
NS_CR=$P-cr
crowd_captive() {  # crowd_captive N WINDOW_MS [NAME (default captive)] [driver flags...]
  local n=$1 window=$2 name=${3:-captive} codes=$WORK/crowd-codes.txt
  shift 2
  [ $# -eq 0 ] || shift
  log "crowd: captive, $n clients (IPv6 macvlans) within ${window} ms"
  # A fresh state dir: sessions and used vouchers of an earlier run would
  # be put back into the set at start, and the crowd would be online already.
  rm -rf "$STATE_DIR"
  mkdir -p "$STATE_DIR"
  topology_up
  ruleset_up
  ip netns add "$NS_CR"
  ip -n "$NS_CR" link set lo up
  ip -n "$NS_GW" link add lan9 type veth peer name eth0 netns "$NS_CR"
  ip -n "$NS_GW" link set lan9 master br0 up
  ip -n "$NS_CR" link set eth0 up
  crowd_macvlans "$NS_CR" eth0 "$NS_GW" br0 "$GW_V6" "$GW_MAC" 2001:db8:2::/64 "$n" 6 "$WORK/crowd-clients.txt"
  # The gateway's neighbour entry for the upstream, before the clock runs:
  # on a fresh link the first neighbour solicitation waits out DAD (1 s),
  # which would be the crowd's first second, not captive's.
  log "   warming the path"
  wait_for "the upstream from the gateway" in_gw ping -6 -c1 -W1 "$UP_V6"
  log "   captived --auth voucher"
  captived_start --auth voucher
  : >"$codes"
  local left=$n k
  while [ "$left" -gt 0 ]; do
    k=$((left > 1000 ? 1000 : left))
    ctl voucher create --count "$k" --duration 2h | grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}' >>"$codes" ||
      fail "crowd: voucher create"
    left=$((left - k))
  done
  [ "$(wc -l <"$codes")" -ge "$n" ] || fail "crowd: $(wc -l <"$codes") voucher codes, wanted $n"
  log "   running the crowd"
  local st0 t0 w0 t1 w1 q0 qd0 ud0 q1 qd1 ud1
  st0=$(daemon_stats)
  read -r q0 qd0 ud0 <<<"$(nfq_stats "$NS_GW" 0)"
  t0=$(cpu_ticks "$CAPTIVED_PID") w0=$(date +%s.%N)
  crowd_run "$NS_CR" "$WORK/crowd-$name.json" --mode captive --clients "$WORK/crowd-clients.txt" \
    --codes "$codes" --probe-ip "$UP_V6" --portal-ip "$GW_V6" --portal-port "$PORTAL_PORT" \
    --sink-netns "/run/netns/$NS_UP" --sink-ip "$UP_V6" --sink-port "$CROWD_SINK_PORT" \
    --window-ms "$window" --timeout-s "${CROWD_TIMEOUT_S:-30}" "$@"
  t1=$(cpu_ticks "$CAPTIVED_PID") w1=$(date +%s.%N)
  # SYNs the queue cannot take go on (fail-open) to the upstream, which has
  # no port 80 here: the driver then counts "Connection refused".
  read -r q1 qd1 ud1 <<<"$(nfq_stats "$NS_GW" 0)"
  local in_set
  in_set=$(allowed_count)
  put "crowd.$name" "$(py "import json,sys
j=json.load(open(sys.argv[1]))
j['captived_cpu_pct']=round(($t1 - $t0) / $CLK_TCK / ($w1 - $w0) * 100, 1)
j['allowed_after']=int(sys.argv[3])
j['queue']={'queued': $q1 - $q0, 'queue_full_dropped': $qd1 - $qd0, 'socket_full_dropped': $ud1 - $ud0}
j['captived_counters']=json.loads(sys.argv[2])
j['note']='IPv6 macvlans (1 000 do not fit in the IPv4 documentation ranges); probe GET http://[upstream]/ -> 511, GET portal / -> form, POST /login with a voucher -> 200; online = first UDP datagram at a sink upstream (kernel timestamp); time_to_online from the start of the probe connect'
print(json.dumps(j))" "$WORK/crowd-$name.json" "$(stats_delta "$st0" "$(daemon_stats)")" "$in_set")"
  log "   $(py "import json,sys; j=json.load(open(sys.argv[1])); print('%d/%d online, %.0f sign-ins/s, time to online p50 %s p99 %s ms, driver CPU %s%%, failures %s' % (j['online'], j['clients'], j['sign_ins_per_s'], j['time_to_online_ms']['p50'], j['time_to_online_ms']['p99'], j['driver_cpu_pct'], j['failures']))" "$WORK/crowd-$name.json")"
  captived_stop || true
  ip netns del "$NS_CR" 2>/dev/null || true
  sandbox_down
  PIDS=() CAPTIVED_PID=
}

# The openNDS crowd, with openNDS up (run.sh setup + start): macvlans on
# cpx-cl0 in cpx-cl, a lease line each (openNDS 403s clients without one),
# click-through. Puts crowd.opennds.
crowd_opennds() {  # crowd_opennds N WINDOW_MS
  # openNDS signs in about one client a second (its scripts fork per
  # request) and resets most connections of a crowd of 100 (measured,
  # docs/performance.md): the crowd it gets is CROWD_PEER_N (default 25).
  local n=$1 window=$2
  [ "$n" -le "${CROWD_PEER_N:-25}" ] || n=${CROWD_PEER_N:-25}
  [ "$n" -le 240 ] || n=240
  log "crowd: openNDS click-through, $n clients (IPv4 macvlans) within ${window} ms"
  local gw_mac
  gw_mac=$(ip -n cpx-gw -o link show cpx-gwl | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
  crowd_macvlans cpx-cl cpx-cl0 cpx-gw cpx-gwl 192.0.2.1 "$gw_mac" 198.51.100.0/24 "$n" 4 "$WORK/crowd-nds-clients.txt"
  local exp=$(($(date +%s) + 86400)) i
  for i in $(seq 0 $((n - 1))); do
    printf '%s 02:00:00:cd:%02x:%02x 192.0.2.%d cw%d *\n' "$exp" $((i >> 8)) $((i & 255)) $((10 + i)) "$i"
  done >>/var/tmp/cpx-opennds/gwtmp/dhcp.leases
  local pid t0 w0 t1 w1
  pid=$(cat /var/tmp/cpx-opennds/opennds.pid)
  t0=$(cpu_ticks "$pid") w0=$(date +%s.%N)
  crowd_run cpx-cl "$WORK/crowd-opennds.json" --mode opennds --clients "$WORK/crowd-nds-clients.txt" \
    --probe-ip 198.51.100.2 --portal-ip 192.0.2.1 --portal-port 2050 \
    --sink-netns /run/netns/cpx-up --sink-ip 198.51.100.2 --sink-port "$CROWD_SINK_PORT" \
    --window-ms "$window" --timeout-s "${CROWD_PEER_TIMEOUT_S:-60}" --probe-ms 5
  t1=$(cpu_ticks "$pid") w1=$(date +%s.%N)
  put crowd.opennds "$(py "import json,sys
j=json.load(open(sys.argv[1])); j['status']='measured'
j['opennds_cpu_pct']=round(($t1 - $t0) / $CLK_TCK / ($w1 - $w0) * 100, 1)
j['note']='openNDS 9.10 click-through (default theme): GET http://upstream/ -> 307, GET Location&continue=clicked -> 200, GET Location&landing=yes -> 200 (authenticates); IPv4 only, so at most 240 clients in 192.0.2.0/24; opennds_cpu_pct is the opennds process only, not the scripts it forks'
print(json.dumps(j))" "$WORK/crowd-opennds.json")"
  log "   $(py "import json,sys; j=json.load(open(sys.argv[1])); print('%d/%d online, %.1f sign-ins/s, time to online p50 %s p99 %s ms, failures %s' % (j['online'], j['clients'], j['sign_ins_per_s'], j['time_to_online_ms']['p50'], j['time_to_online_ms']['p99'], j['failures']))" "$WORK/crowd-opennds.json")"
}
