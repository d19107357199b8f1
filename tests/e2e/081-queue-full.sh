#!/usr/bin/env bash
# The kernel's queue counters in `captivectl stats`: while captived is
# stopped (SIGSTOP) a flood of unsigned SYNs fills its NFQUEUE to its 4096;
# /proc/net/netfilter/nfnetlink_queue shows it full. With fail-open (our
# default) the kernel lets the rest pass to the forward chain's drop and
# counts them in neither queue_dropped nor user_dropped (kernel fact,
# docs/nfq.md); `captivectl stats` shows the kernel's numbers as they are
# (queue.kernel_full_drops, queue.kernel_user_drops, queue.kernel_waiting),
# nobody got through, every queued packet got its verdict, curl gets its 511.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/tools/scapy.sh"
require
require_scapy
topology_up
services_up
ruleset_up
captived_start

in_c1 nft -f - <<'NFT'
table inet hostile {
	chain out {
		type filter hook output priority 0; policy accept;
		tcp sport 50000-59999 tcp flags rst drop
	}
}
NFT

proc_drops() {  # proc_drops: "queue_dropped user_dropped queue_total id_sequence" of queue 0
  in_gw awk '$1 == 0 {print $6, $7, $3, $8}' /proc/net/netfilter/nfnetlink_queue
}

[ "$(stat_of queue.kernel_full_drops)" = 0 ] || fail "queue.kernel_full_drops not 0 at start"
read -r full0 user0 _ id0 < <(proc_drops)
[ -n "$full0" ] || fail "no line for queue 0 in /proc/net/netfilter/nfnetlink_queue"
pass "at start: queue.kernel_full_drops 0, /proc says $full0 $user0"

# 6000 SYNs while nobody reads the queue (its max length is 4096).
kill -STOP "$CAPTIVED_PID"
in_c1 "$SCAPY_PYTHON" - "$C1_MAC" "$GW_MAC" "$C1_V4" "$UP_V4" <<'PY' || { kill -CONT "$CAPTIVED_PID"; fail "flooding"; }
import socket, sys, time
from scapy.all import Ether, IP, TCP, raw
mac, gw, src, dst = sys.argv[1:5]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for i in range(6000):
    s.send(raw(Ether(src=mac, dst=gw) / IP(src=src, dst=dst) /
               TCP(sport=50000 + i % 10000, dport=80, flags="S", seq=i, options=[("MSS", 1460)])))
    if i % 200 == 199:
        time.sleep(0.01)  # under the veth backlog (netdev_max_backlog 1000)
PY
sleep 0.3
read -r full1 user1 waiting1 id1 < <(proc_drops)
kill -CONT "$CAPTIVED_PID"
sleep 1
alive "after SIGCONT"
[ "$waiting1" = 4096 ] || fail "queue not full while stopped: $waiting1 waiting"
pass "6000 SYNs against a stopped captived: $waiting1 waiting (full), $((id1 - id0)) queued, $((full1 - full0)) queue-full and $((user1 - user0)) socket drops counted by the kernel"

read -r full2 user2 waiting2 id2 < <(proc_drops)
[ "$waiting2" = 0 ] || fail "after SIGCONT $waiting2 packets still wait for a verdict"
[ "$(stat_of queue.kernel_waiting)" = 0 ] || fail "queue.kernel_waiting $(stat_of queue.kernel_waiting)"
[ "$(stat_of queue.kernel_full_drops)" = "$full2" ] ||
  fail "captivectl stats queue.kernel_full_drops $(stat_of queue.kernel_full_drops), /proc $full2"
[ "$(stat_of queue.kernel_user_drops)" = "$user2" ] ||
  fail "captivectl stats queue.kernel_user_drops $(stat_of queue.kernel_user_drops), /proc $user2"
ctl stats | grep -q 'queue.kernel_full_drops' || fail "captivectl stats (text) has no queue.kernel_full_drops"
pass "captivectl stats: queue.kernel_full_drops $full2, queue.kernel_user_drops $user2, as /proc says"

[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 no 511 after the flood"
grep -q 'request from' "$WORK/http80.log" && fail "upstream saw requests"
[ "$(stat_of queue.verdict_errors)" = 0 ] || fail "verdict errors"
pass "after it: curl gets its 511, the upstream saw nothing, no verdict errors"
captived_stop || fail "captived did not exit cleanly on SIGTERM"
done_ok
