#!/usr/bin/env bash
# Datapath check of nft/captive.nft (needs root; touches only namespaces it
# makes, deleted on exit even on failure):
#
#   client (02:00:00:00:00:01, 192.0.2.2, 2001:db8:1::2)
#     -- veth -- gw (lan0 192.0.2.1 | wan0 198.51.100.1; table inet captive)
#     -- veth -- upstream (198.51.100.2, 2001:db8:2::2; servers on tcp 22 53 80
#                443, udp 53 443)
#   other (203.0.113.2) -- veth -- gw (lan1 203.0.113.1): a second LAN that is
#                not --lan, e.g. the staff network
#
# Checks what an unsigned client may do, that signed-in MACs pass untouched
# and are counted once per forwarded packet, that other interfaces and the
# router's own services are never affected, and that unsigned HTTP goes
# through chain `intercept` (a counter rule stands in for captived's queue).
# Usage: sudo tests/e2e/015-ruleset-datapath/run.sh      (exit 0 = all passed)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
probe=$here/probe.py
P=capnft-$$
fails=0

cleanup() {
  local pid
  # Servers started below; a process outlives `ip netns del`, so end them.
  for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done
  for n in c g u o; do ip netns del "$P-$n" 2>/dev/null || true; done
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
  echo "run.sh: needs root (network namespaces)" >&2
  # Under CI a test that cannot run is a failure, never a skip.
  [ "${CI:-}" = "true" ] && exit 1
  exit 77
fi

C="ip netns exec $P-c"
G="ip netns exec $P-g"
U="ip netns exec $P-u"
O="ip netns exec $P-o"

for n in c g u o; do ip netns add "$P-$n"; ip -n "$P-$n" link set lo up; done
ip -n "$P-g" link add lan0 type veth peer name eth0 netns "$P-c"
ip -n "$P-g" link add wan0 type veth peer name eth0 netns "$P-u"
ip -n "$P-g" link add lan1 type veth peer name eth0 netns "$P-o"
ip -n "$P-c" link set eth0 address 02:00:00:00:00:01
for l in c:eth0 u:eth0 o:eth0 g:lan0 g:wan0 g:lan1; do ip -n "$P-${l%%:*}" link set "${l#*:}" up; done
ip -n "$P-c" addr add 192.0.2.2/24 dev eth0
ip -n "$P-g" addr add 192.0.2.1/24 dev lan0
ip -n "$P-u" addr add 198.51.100.2/24 dev eth0
ip -n "$P-g" addr add 198.51.100.1/24 dev wan0
ip -n "$P-c" -6 addr add 2001:db8:1::2/64 dev eth0 nodad
ip -n "$P-g" -6 addr add 2001:db8:1::1/64 dev lan0 nodad
ip -n "$P-u" -6 addr add 2001:db8:2::2/64 dev eth0 nodad
ip -n "$P-g" -6 addr add 2001:db8:2::1/64 dev wan0 nodad
ip -n "$P-o" addr add 203.0.113.2/24 dev eth0
ip -n "$P-g" addr add 203.0.113.1/24 dev lan1
ip -n "$P-c" route add default via 192.0.2.1
ip -n "$P-o" route add default via 203.0.113.1
ip -n "$P-u" route add default via 198.51.100.1
ip -n "$P-c" -6 route add default via 2001:db8:1::1
ip -n "$P-u" -6 route add default via 2001:db8:2::1
$G sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

$U "$probe" serve-tcp 22 53 80 443 &
$U "$probe" serve-udp 53 443 &
$G "$probe" serve-tcp 8511 &
$C "$probe" serve-tcp 22 &
$O "$probe" serve-tcp 22 &
sleep 0.5

expect() {  # expect WANT NS-CMD probe-args...
  local want=$1 ns=$2
  shift 2
  local got
  got=$($ns "$probe" "$@")
  if [ "$got" = "$want" ]; then
    echo "ok   $* -> $got"
  else
    echo "FAIL $* -> $got (want $want)"
    fails=$((fails + 1))
  fi
}

echo "== before the ruleset: everything goes"
expect connected "$C" tcp 198.51.100.2 22

echo "== ruleset loaded twice (idempotent), unsigned client"
$G "$root/scripts/install-ruleset" --lan lan0 --portal-port 8511
$G "$root/scripts/install-ruleset" --lan lan0 --portal-port 8511
$G nft add rule inet captive intercept counter  # stands in for captived's queue rule
expect reply     "$C" icmp 192.0.2.1          # the router itself: never our business
expect reply     "$C" icmp 2001:db8:1::1      # (needs IPv6 ND, which is not forwarded)
expect connected "$C" tcp 192.0.2.1 8511      # the portal
expect connected "$C" tcp 2001:db8:1::1 8511
# Forwarded DNS only to the resolvers named with --dns-server: none here.
# Port 53 open to any host would be a tunnel past the portal (a VPN on 53).
expect timeout   "$C" udp 198.51.100.2 53
expect reset     "$C" tcp 198.51.100.2 53
expect reset     "$C" tcp 2001:db8:2::2 53
expect reset     "$C" tcp 198.51.100.2 443    # TLS: RST at once
expect reset     "$C" tcp 2001:db8:2::2 443
expect refused   "$C" udp 198.51.100.2 443    # QUIC: ICMP unreachable at once
expect refused   "$C" udp 2001:db8:2::2 443
expect timeout   "$C" tcp 198.51.100.2 80     # intercept (empty queue -> forward drop)
expect reset     "$C" tcp 198.51.100.2 22     # other TCP: RST at once
expect reset     "$C" tcp 2001:db8:2::2 22
expect timeout   "$C" udp 198.51.100.2 22     # everything else dropped
expect timeout   "$C" icmp 198.51.100.2
expect timeout   "$C" icmp 2001:db8:2::2
expect connected "$O" tcp 198.51.100.2 22     # other interfaces: untouched
expect connected "$O" tcp 198.51.100.2 80
expect connected "$U" tcp 203.0.113.2 22
# Inbound to an unsigned client: the SYN passes (not from $lan), the client's
# SYN-ACK is dropped. Intended: accepting `ct direction reply` would let any
# outside peer that can reach the client open a tunnel past the portal.
expect timeout   "$U" tcp 192.0.2.2 22

intercepted=$($G nft list chain inet captive intercept | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
named() { $G nft list counter inet captive "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
dropped=$(named dropped) refused_tcp=$(named refused_tcp) refused_quic=$(named refused_quic)
dropped_intercepted=$(named dropped_intercepted)
echo "intercept counter: $intercepted packets; forward: dropped $dropped, refused_tcp $refused_tcp," \
  "refused_quic $refused_quic, dropped_intercepted $dropped_intercepted"
[ "${intercepted:-0}" -ge 1 ] || { echo "FAIL: TCP/80 did not go through chain intercept"; fails=$((fails + 1)); }
# One counter per reason: udp/53 + udp/22 + 2 ICMP echos dropped; tcp/53
# (x2), 443 (x2), 22 (x2) reset; udp/443 (x2) refused; the TCP/80 SYN (and
# its retry) dropped as intercepted traffic.
[ "${dropped:-0}" -ge 4 ] || { echo "FAIL: counter dropped did not count"; fails=$((fails + 1)); }
[ "${refused_tcp:-0}" -ge 6 ] || { echo "FAIL: counter refused_tcp did not count"; fails=$((fails + 1)); }
[ "${refused_quic:-0}" -ge 2 ] || { echo "FAIL: counter refused_quic did not count"; fails=$((fails + 1)); }
[ "${dropped_intercepted:-0}" -ge 1 ] || { echo "FAIL: counter dropped_intercepted did not count"; fails=$((fails + 1)); }

echo "== ruleset loaded with --dns-server: those resolvers, and only those"
$G "$root/scripts/install-ruleset" --lan lan0 --portal-port 8511 --dns-server 198.51.100.2 --dns-server 2001:db8:2::2
expect answered  "$C" udp 198.51.100.2 53
expect connected "$C" tcp 198.51.100.2 53
expect connected "$C" tcp 2001:db8:2::2 53
expect reset     "$C" tcp 198.51.100.2 22     # a named resolver is open on port 53 only
$G "$root/scripts/install-ruleset" --lan lan0 --portal-port 8511 --dns-server 2001:db8:2::2
expect timeout   "$C" udp 198.51.100.2 53     # a reload replaces the list
expect reset     "$C" tcp 198.51.100.2 53
expect connected "$C" tcp 2001:db8:2::2 53
$G nft add rule inet captive intercept counter  # the reload emptied the chain
intercepted=0

echo "== signed in"
$G nft add element inet captive allowed '{ 02:00:00:00:00:01 timeout 1h }'
expect reply     "$C" icmp 198.51.100.2
expect reply     "$C" icmp 2001:db8:2::2
expect connected "$C" tcp 198.51.100.2 80
expect connected "$C" tcp 198.51.100.2 443
expect answered  "$C" udp 2001:db8:2::2 443
expect connected "$C" tcp 198.51.100.2 22
before=$($G nft list chain inet captive intercept | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
[ "$before" = "$intercepted" ] || { echo "FAIL: a signed-in client went through intercept"; fails=$((fails + 1)); }

# Element counter: counts forwarded packets once (the lookup in prerouting is
# negated and does not count; the one in forward does) and never traffic to
# the router. Let late FIN/ACKs of the probes above settle first.
counter() { $G nft list set inet captive allowed | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }
sleep 1
n0=$(counter)
for _ in 1 2 3; do expect reply "$C" icmp 192.0.2.1; done
n1=$(counter)
for _ in 1 2 3 4 5 6 7 8 9 10; do expect reply "$C" icmp 198.51.100.2; done
n2=$(counter)
echo "element counter: $n0 -> $n1 (3 echos to the router) -> $n2 (10 forwarded echos)"
[ "$n1" -eq "$n0" ] || { echo "FAIL: traffic to the router counted"; fails=$((fails + 1)); }
# Once each: 10, or a little more when a late packet of the TCP probes above
# is forwarded in the window (seen once in CI); counted twice would be 20.
d=$((n2 - n1))
[ "$d" -ge 10 ] && [ "$d" -le 12 ] || { echo "FAIL: 10 forwarded packets counted as $d"; fails=$((fails + 1)); }

echo "== revoked"
$G nft delete element inet captive allowed '{ 02:00:00:00:00:01 }'
expect reset "$C" tcp 198.51.100.2 22

echo "== removed"
$G "$root/scripts/install-ruleset" --remove
$G "$root/scripts/install-ruleset" --remove
expect connected "$C" tcp 198.51.100.2 22

if [ $fails -ne 0 ]; then
  echo "$fails check(s) FAILED"
  exit 1
fi
echo "all checks passed"
