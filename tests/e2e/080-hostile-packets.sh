#!/usr/bin/env bash
# Hostile packets from an unsigned client, sent raw (scapy, AF_PACKET) to the
# gateway: bad checksums, malformed headers, odd TCP options, out-of-order,
# overlapping and 1-byte segments, fragments, IPv6 extension-header chains,
# odd HTTP, binary protocols, stray ACKs, MSS below 64, windows smaller than
# the answer, group source MACs, then a flood of thousands of frames. Each
# gets a clean answer (SYN-ACK, the 511 in segments no larger than the MSS
# asked for and never past the window, a RST with seq = their ack) or
# silence; the counters say which; captived stays up with bounded memory;
# nobody gets into @allowed; curl still gets its 511.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/tools/scapy.sh"
require
require_scapy
topology_up
services_up
ruleset_up
captived_start --session-timeout 1h

# c1's own kernel would reset the handshakes it did not start: drop its RSTs
# from the raw-socket port range, and keep its own connections out of it.
in_c1 sysctl -qw net.ipv4.ip_local_port_range="20000 29999"
in_c1 nft -f - <<'NFT'
table inet hostile {
	chain out {
		type filter hook output priority 0; policy accept;
		tcp sport 50000-59999 tcp flags rst drop
	}
}
NFT

hostile() {  # hostile CASE... : run tools/hostile_tcp.py in c1
  in_c1 "$SCAPY_PYTHON" "$E2E_DIR/tools/hostile_tcp.py" --iface eth0 --mac "$C1_MAC" --gw-mac "$GW_MAC" \
    --src4 "$C1_V4" --dst4 "$UP_V4" --src6 "$C1_V6" --dst6 "$UP_V6" "$@" >"$WORK/hostile.out" 2>&1 || {
    cat "$WORK/hostile.out" >&2
    fail "hostile_tcp.py $*"
  }
  grep -v '^frames sent' "$WORK/hostile.out" | sed 's/^/    /'
}
nobody_in() {
  local set
  set=$(in_gw nft list set inet captive allowed)
  grep -Eq '([0-9a-f]{2}:){5}[0-9a-f]{2}' <<<"$set" && fail "$1: somebody is in @allowed: $set"
  return 0
}

# Warm up (allocator, first sign-in page) before measuring memory.
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 not intercepted"
rss0=$(rss_kb)

run_case() {  # run_case CASE COUNTER MIN_DELTA WHAT
  local before after
  before=$(stat_of "$2")
  hostile "$1"
  after=$(stat_of "$2")
  [ $((after - before)) -ge "$3" ] || fail "$1: $2 went $before -> $after, want +$3 or more"
  alive "$1"
  pass "$4 ($2 +$((after - before)))"
}

run_case baseline responder.answered 2 "raw handshake + request: SYN-ACK (MSS only) and the 511 in one ACK|PSH|FIN segment, v4 and v6"
run_case bad_checksum responder.bad_checksum 3 "bad TCP/IP checksums: silence"
run_case malformed responder.bad_packet 8 "cut-short headers, bad data offsets, SYN+FIN, no ACK, port 0: silence"
run_case stray responder.reset 5 "ACKs with data or FIN matching no cookie: RST with seq = their ack; pure ACKs (not queued) and RSTs: silence"
run_case options responder.syn_ack 14 "odd TCP options: SYN-ACK with our MSS only, no segment above the MSS they asked for (64 and up)"
run_case tiny_mss responder.mss_too_small 4 "MSS below 64: no SYN-ACK, counted"
run_case window responder.answered_part 10 "window smaller than the answer: what fits, the rest on the request's retransmission"
# br0 drops a frame with a group source MAC before any hook (the bridge's
# is_valid_ether_addr check), so the counter may stay put here; on a LAN
# device that is not a bridge the responder refuses it (unit TcpRfcTest).
run_case group_mac responder.not_unicast 0 "broadcast/multicast source MAC: silence"
run_case real_client responder.answered_part 1 "the kernel's own TCP with MSS 88 and a clamped window: segments <= 88, the whole 511 after the request's retransmission"
run_case segments responder.ignored_ack 60 "out-of-order, overlapping, 1-byte segments, duplicate SYN, full-size segment, fragments"
run_case http responder.not_http 6 "absurd/no/duplicate Host, pipelining, huge targets: one-segment 511, escaped; binary, TLS, h2, HTTP/0.9: RST"
run_case ipv6_ext responder.syn_ack 1 "IPv6 extension-header chains: SYN-ACK or silence, never garbage"
nobody_in "after the cases"

before_packets=$(stat_of queue.packets)
hostile flood --count 4000
hostile flood --count 4000 --first-port 55000
sleep 0.5
after_packets=$(stat_of queue.packets)
alive "flood"
[ $((after_packets - before_packets)) -ge 4000 ] || fail "flood: only $((after_packets - before_packets)) packets queued"
rss1=$(rss_kb)
[ "$sanitized" = true ] || [ $((rss1 - rss0)) -lt 2048 ] || fail "RSS grew from $rss0 kB to $rss1 kB"
pass "8000-frame flood: $((after_packets - before_packets)) queued, captived up, RSS $rss0 -> $rss1 kB"

nobody_in "after the flood"
[ "$(stat_of portal.sign_ins)" = 0 ] || fail "somebody signed in"
grep -q 'request from' "$WORK/http80.log" && fail "upstream saw requests: $(grep 'request from' "$WORK/http80.log" | head -3)"
pass "nobody in @allowed, no sign-in, upstream saw nothing"

[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 no 511 after the flood"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "c2 no 511 after the flood"
[ "$(http_status "$NS_C2" "http://[$UP_V6]/" -6)" = 511 ] || fail "c2 no IPv6 511 after the flood"
result=$(sign_in "$NS_C2")
[ "${result%% *}" = 303 ] || fail "sign-in after the flood answered '$result'"
pass "after it all: curl gets its 511 (v4, v6), and a real sign-in works"
[ "$(stat_of queue.verdict_errors)" = 0 ] || fail "verdict errors"
log "counters: $(ctl stats | tr '\n' ' ')"
captived_stop || fail "captived did not exit cleanly on SIGTERM"
if grep -E 'LeakSanitizer|AddressSanitizer|runtime error' "$WORK/captived.log" >&2; then
  fail "sanitizer report in captived's log"
fi
pass "clean exit on SIGTERM, no sanitizer report"
done_ok
