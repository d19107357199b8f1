# The sandbox LAN that the end-to-end tests, the demo and the benchmarks run
# in: network namespaces, documentation addresses only.
#
#   c1 (192.0.2.2, 2001:db8:1::2) ─┐
#                                  ├─ br0 [gw: 192.0.2.1, 2001:db8:1::1] ── wan0 ── up (198.51.100.2, 2001:db8:2::2)
#   c2 (192.0.2.3, 2001:db8:1::3) ─┘        captived, inet captive              http :80 :8080 :443, dns :53
#
# The caller sets P (namespace prefix), WORK (a directory for logs and
# sockets), BUILD_DIR, and defines fail(); processes started here are
# remembered in PIDS (and CAPTIVED_PID) for the caller to kill by PID.
#
# SANDBOX_DHCP=1: the clients get no static addresses. The gateway's dnsmasq
# hands them out (DHCPv4, with the router, DNS and RFC 8910 option 114; IPv6
# by SLAAC from its router advertisements, options by stateless DHCPv6 incl.
# option 103), and sandbox_dhcp_client runs a real DHCP client (busybox
# udhcpc) in a client namespace. dnsmasq gives c1 and c2 their usual
# addresses by MAC (dhcp-host), so everything else here still names them.

SANDBOX_ROOT=${SANDBOX_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SANDBOX_ROOT/build}
CAPTIVED=$BUILD_DIR/src/daemon/captived
CAPTIVECTL=$BUILD_DIR/src/cli/captivectl
INSTALL_RULESET=$SANDBOX_ROOT/scripts/install-ruleset

NS_C1=$P-c1 NS_C2=$P-c2 NS_GW=$P-gw NS_UP=$P-up
C1_MAC=02:00:00:00:01:02 C2_MAC=02:00:00:00:01:03 GW_MAC=02:00:00:00:01:01
C1_V4=192.0.2.2 C2_V4=192.0.2.3 GW_V4=192.0.2.1 UP_V4=198.51.100.2
C1_V6=2001:db8:1::2 C2_V6=2001:db8:1::3 GW_V6=2001:db8:1::1 UP_V6=2001:db8:2::2
PORTAL_PORT=${PORTAL_PORT:-8511}
PORTAL_TLS_PORT=${PORTAL_TLS_PORT:-8443}
SANDBOX_DHCP=${SANDBOX_DHCP:-0}
# What option 114 / 103 advertise (RFC 8910; dnsmasq/captive.conf): the RFC
# 8908 API over HTTPS.
API_URL_V4=https://$GW_V4:$PORTAL_TLS_PORT/api
API_URL_V6=https://[$GW_V6]:$PORTAL_TLS_PORT/api
STATE_DIR=$WORK/state
SOCKET=$WORK/captived.sock
PIDS=()
CAPTIVED_PID=

sandbox_down() {  # kill what we started (by PID), delete the namespaces; never fails
  local pid ns
  for pid in "${PIDS[@]}" $CAPTIVED_PID; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}" $CAPTIVED_PID; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  for ns in "$NS_C1" "$NS_C2" "$NS_GW" "$NS_UP" "$NS_C3"; do ip netns del "$ns" 2>/dev/null || true; done
  return 0
}

in_c1() { ip netns exec "$NS_C1" "$@"; }
in_c2() { ip netns exec "$NS_C2" "$@"; }
in_gw() { ip netns exec "$NS_GW" "$@"; }
in_up() { ip netns exec "$NS_UP" "$@"; }
in_c3() { ip netns exec "$NS_C3" "$@"; }

# Starts a background process in a namespace, remembering its PID.
spawn() {  # spawn NS LOGFILE CMD...
  local ns=$1 logfile=$2
  shift 2
  ip netns exec "$ns" "$@" >"$logfile" 2>&1 &
  PIDS+=($!)
}

topology_up() {
  for ns in "$NS_C1" "$NS_C2" "$NS_GW" "$NS_UP"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  # LAN: a bridge on the gateway, as br-lan on an OpenWrt router.
  ip -n "$NS_GW" link add br0 address "$GW_MAC" type bridge
  ip -n "$NS_GW" link add lan1 type veth peer name eth0 netns "$NS_C1"
  ip -n "$NS_GW" link add lan2 type veth peer name eth0 netns "$NS_C2"
  ip -n "$NS_GW" link add wan0 type veth peer name eth0 netns "$NS_UP"
  ip -n "$NS_GW" link set lan1 master br0 up
  ip -n "$NS_GW" link set lan2 master br0 up
  ip -n "$NS_GW" link set br0 up
  ip -n "$NS_GW" link set wan0 up
  ip -n "$NS_GW" addr add "$GW_V4/24" dev br0
  ip -n "$NS_GW" -6 addr add "$GW_V6/64" dev br0 nodad
  ip -n "$NS_GW" addr add 198.51.100.1/24 dev wan0
  ip -n "$NS_GW" -6 addr add 2001:db8:2::1/64 dev wan0 nodad
  in_gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

  local ns mac v4 v6
  for spec in "$NS_C1 $C1_MAC $C1_V4 $C1_V6" "$NS_C2 $C2_MAC $C2_V4 $C2_V6"; do
    read -r ns mac v4 v6 <<<"$spec"
    if [ "$SANDBOX_DHCP" = 1 ]; then
      # No DAD wait for the SLAAC address: the sandbox LAN has no duplicates.
      ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.accept_dad=0 net.ipv6.conf.eth0.use_tempaddr=0
      ip -n "$ns" link set eth0 address "$mac" up
      continue
    fi
    ip -n "$ns" link set eth0 address "$mac" up
    ip -n "$ns" addr add "$v4/24" dev eth0
    ip -n "$ns" -6 addr add "$v6/64" dev eth0 nodad
    ip -n "$ns" route add default via "$GW_V4"
    ip -n "$ns" -6 route add default via "$GW_V6"
  done
  ip -n "$NS_UP" link set eth0 up
  ip -n "$NS_UP" addr add "$UP_V4/24" dev eth0
  ip -n "$NS_UP" -6 addr add "$UP_V6/64" dev eth0 nodad
  ip -n "$NS_UP" route add 192.0.2.0/24 via 198.51.100.1
  ip -n "$NS_UP" -6 route add 2001:db8:1::/64 via 2001:db8:2::1
  # Bridge ports and link-local addresses come up in the background.
  sleep 0.5
}

# A second LAN on the same gateway (captived --lan br0 --lan br1; e2e 122),
# after topology_up. Its own subnet, router MAC and a smaller MTU, so a
# test can tell which LAN's answer a client got:
#
#   c3 (203.0.113.2, 2001:db8:3::2) ── br1 [gw: 203.0.113.1, 2001:db8:3::1, mtu 1400]
NS_C3=$P-c3
C3_MAC=02:00:00:00:02:02 GW2_MAC=02:00:00:00:02:01
C3_V4=203.0.113.2 GW2_V4=203.0.113.1 C3_V6=2001:db8:3::2 GW2_V6=2001:db8:3::1
LAN2_MTU=1400
second_lan_up() {
  ip netns add "$NS_C3"
  ip -n "$NS_C3" link set lo up
  ip -n "$NS_GW" link add br1 address "$GW2_MAC" mtu "$LAN2_MTU" type bridge
  ip -n "$NS_GW" link add lan3 mtu "$LAN2_MTU" type veth peer name eth0 mtu "$LAN2_MTU" netns "$NS_C3"
  ip -n "$NS_GW" link set lan3 master br1 up
  ip -n "$NS_GW" link set br1 up
  ip -n "$NS_GW" addr add "$GW2_V4/24" dev br1
  ip -n "$NS_GW" -6 addr add "$GW2_V6/64" dev br1 nodad
  ip -n "$NS_C3" link set eth0 address "$C3_MAC" up
  ip -n "$NS_C3" addr add "$C3_V4/24" dev eth0
  ip -n "$NS_C3" -6 addr add "$C3_V6/64" dev eth0 nodad
  ip -n "$NS_C3" route add default via "$GW2_V4"
  ip -n "$NS_C3" -6 route add default via "$GW2_V6"
  ip -n "$NS_UP" route add 203.0.113.0/24 via 198.51.100.1
  ip -n "$NS_UP" -6 route add 2001:db8:3::/64 via 2001:db8:2::1
  sleep 0.5
}

# The upstream "Internet": HTTP on 80 and 8080 (logging who asked), a TCP
# listener on 443, a UDP one on 443, and DNS on 53; DNS on the router too.
services_up() {
  mkdir -p "$WORK/www"
  echo "upstream-ok" >"$WORK/www/index.html"
  cat >"$WORK/http_server.py" <<'PY'
import http.server, socket, sys, os
port = int(sys.argv[1]); os.chdir(sys.argv[2])
class V6(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        # Dual-stack socket: IPv4 peers show as ::ffff:a.b.c.d; log them plain.
        peer = self.client_address[0].removeprefix("::ffff:")
        sys.stderr.write("request from %s: %s\n" % (peer, fmt % args)); sys.stderr.flush()
V6(("::", port), H).serve_forever()
PY
  cat >"$WORK/udp_server.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(2048)
    sys.stderr.write("datagram from %s\n" % (peer[0].removeprefix("::ffff:"),)); sys.stderr.flush()
    s.sendto(data, peer)
PY
  spawn "$NS_UP" "$WORK/http80.log" python3 "$WORK/http_server.py" 80 "$WORK/www"
  spawn "$NS_UP" "$WORK/http8080.log" python3 "$WORK/http_server.py" 8080 "$WORK/www"
  spawn "$NS_UP" "$WORK/http443.log" python3 "$WORK/http_server.py" 443 "$WORK/www"
  spawn "$NS_UP" "$WORK/udp443.log" python3 "$WORK/udp_server.py" 443
  spawn "$NS_UP" "$WORK/dns-up.log" dnsmasq --keep-in-foreground --no-resolv --no-hosts --conf-file=/dev/null \
    --pid-file= --bind-interfaces --listen-address="$UP_V4" --port=53 --address=/upstream.test/$UP_V4 --user=root
  if [ "$SANDBOX_DHCP" = 1 ]; then
    sandbox_dnsmasq_conf >"$WORK/dnsmasq-gw.conf"
    spawn "$NS_GW" "$WORK/dns-gw.log" dnsmasq --keep-in-foreground --conf-file="$WORK/dnsmasq-gw.conf"
  else
    spawn "$NS_GW" "$WORK/dns-gw.log" dnsmasq --keep-in-foreground --no-resolv --no-hosts --conf-file=/dev/null \
      --pid-file= --bind-interfaces --listen-address="$GW_V4" --port=53 --address=/router.test/$GW_V4 --user=root
  fi
  wait_for "upstream HTTP" in_up python3 -c "import socket; socket.create_connection(('$UP_V4', 80), 1)"
  wait_for "upstream HTTP 443" in_up python3 -c "import socket; socket.create_connection(('$UP_V4', 443), 1)"
}

# The gateway's dnsmasq with DHCP: its own config file only (--conf-file
# replaces /etc/dnsmasq.conf; nothing of the system's is read), its own
# lease and pid files under $WORK, documentation addresses only. The RFC
# 8910 lines come from dnsmasq/captive.conf, the shipped snippet.
sandbox_dnsmasq_conf() {
  cat <<CONF
no-resolv
no-hosts
bind-interfaces
interface=br0
except-interface=lo
port=53
user=root
pid-file=$WORK/dnsmasq-gw.pid
dhcp-leasefile=$WORK/dnsmasq-gw.leases
address=/router.test/$GW_V4
log-dhcp
log-facility=-
dhcp-authoritative
dhcp-range=192.0.2.100,192.0.2.199,255.255.255.0,1h
dhcp-host=$C1_MAC,$C1_V4
dhcp-host=$C2_MAC,$C2_V4
dhcp-option=option:router,$GW_V4
dhcp-option=option:dns-server,$GW_V4
# IPv6: addresses by SLAAC from our router advertisements, options (DNS,
# captive portal) by stateless DHCPv6 (RFC 8415 §6.1).
enable-ra
dhcp-range=::,constructor:br0,ra-stateless,64,1h
dhcp-option=option6:dns-server,[$GW_V6]
# RFC 8910 options 114 and 103: the shipped snippet itself, whose example
# addresses are the sandbox's (API_URL_V4, API_URL_V6).
conf-file=$SANDBOX_ROOT/dnsmasq/captive.conf
CONF
}

# A self-signed certificate for the gateway's LAN addresses (the HTTPS
# portal and API): $WORK/cert.pem, key in $WORK/key.pem (mode 0600).
sandbox_tls_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$GW_V4" \
    -addext "subjectAltName=IP:$GW_V4,IP:$GW_V6" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
    >"$WORK/openssl.log" 2>&1 || fail "openssl req: $(cat "$WORK/openssl.log")"
  chmod 600 "$WORK/key.pem"
}

# A real DHCP client in namespace NS: busybox udhcpc asks for an address
# and option 114 (-O 114), its script sets address and route in NS only
# (never /etc/resolv.conf: the namespace shares the host's /etc) and writes
# the lease as shell variables to $WORK/NS.lease (ip, subnet, router, dns,
# serverid, lease, opt114 = the option's bytes in hex). Exits once bound
# (-q): nothing is left running. Then waits for the SLAAC address (IPv6)
# from the gateway's router advertisements.
sandbox_dhcp_client() {  # sandbox_dhcp_client NS
  local ns=$1
  cat >"$WORK/udhcpc.script" <<'SH'
#!/bin/sh
# udhcpc calls this with the event in $1 and the lease in the environment.
case $1 in
  deconfig) ip -4 addr flush dev "$interface" ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/$subnet" dev "$interface"
    [ -z "$router" ] || ip route replace default via "${router%% *}" dev "$interface"
    for v in interface ip subnet router dns serverid lease opt114; do
      eval "printf '%s=%s\n' $v \"\$$v\""
    done >"$LEASE_FILE"
    ;;
esac
exit 0
SH
  chmod +x "$WORK/udhcpc.script"
  LEASE_FILE="$WORK/$ns.lease" ip netns exec "$ns" busybox udhcpc -i eth0 -f -q -n -t 5 -T 1 -A 1 -O 114 \
    -s "$WORK/udhcpc.script" >"$WORK/$ns.udhcpc.log" 2>&1 || fail "no DHCP lease in $ns: $(cat "$WORK/$ns.udhcpc.log")"
  [ -s "$WORK/$ns.lease" ] || fail "udhcpc in $ns wrote no lease: $(cat "$WORK/$ns.udhcpc.log")"
  wait_for "a SLAAC address in $ns" sh -c "ip -n '$ns' -6 addr show dev eth0 scope global | grep -q 'inet6 2001:db8:1:'"
}

# The value of NAME in NS's lease (sandbox_dhcp_client).
lease_value() {  # lease_value NS NAME
  sed -n "s/^$2=//p" "$WORK/$1.lease"
}

# RFC 8910 §2.1: option 114 carries the URI as bytes (no terminating NUL);
# udhcpc hands it over in hex.
lease_captive_url() {  # lease_captive_url NS
  lease_value "$1" opt114 | python3 -c 'import sys; print(bytes.fromhex(sys.stdin.read().strip()).decode())'
}

wait_for() {  # wait_for WHAT CMD... (up to 10 s)
  local what=$1
  shift
  for _ in $(seq 1 100); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  fail "timed out waiting for $what"
}

ruleset_up() {
  in_gw "$INSTALL_RULESET" --lan br0 --portal-port "$PORTAL_PORT" --portal-tls-port "$PORTAL_TLS_PORT" >"$WORK/install-ruleset.log" 2>&1 ||
    { cat "$WORK/install-ruleset.log" >&2; fail "install-ruleset failed"; }
}

captived_start() {  # extra flags for captived
  : >"$WORK/captived.log"
  ip netns exec "$NS_GW" "$CAPTIVED" --lan br0 --state-dir "$STATE_DIR" --socket "$SOCKET" \
    --portal-port "$PORTAL_PORT" --ruleset "$SANDBOX_ROOT/nft/captive.nft" "$@" >>"$WORK/captived.log" 2>&1 &
  CAPTIVED_PID=$!
  for _ in $(seq 1 100); do
    grep -q 'ready:' "$WORK/captived.log" && return 0
    kill -0 "$CAPTIVED_PID" 2>/dev/null || fail "captived exited at start"
    sleep 0.1
  done
  fail "captived not ready after 10 s"
}

captived_stop() {  # SIGTERM, wait for the clean exit
  [ -n "$CAPTIVED_PID" ] || return 0
  kill "$CAPTIVED_PID"
  local status=0
  wait "$CAPTIVED_PID" || status=$?
  CAPTIVED_PID=
  return $status
}

ctl() { in_gw "$CAPTIVECTL" --socket "$SOCKET" "$@"; }

# One HTTP request from a client; prints "STATUS" or "000" on no answer.
http_status() {  # http_status NS URL [curl flags...]
  local ns=$1 url=$2
  shift 2
  ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$@" "$url" || true
}

# Signs a client in through the real form, as a browser would: GET the page,
# take the token, POST it back with the terms accepted. Prints the POST's
# status and Location.
sign_in() {  # sign_in NS [PORTAL_HOST] [RETURN_URL]
  local ns=$1 host=${2:-$GW_V4} url=${3:-http://$UP_V4/}
  local page token query
  # As a browser does: RETURN_URL gets the 511, whose link carries the URL
  # with the signature the portal wants for this device (a bare ?url= is
  # dropped: docs/security.md). Its query goes to PORTAL_HOST.
  query=$(ip netns exec "$ns" curl -s --max-time 5 "$url" 2>/dev/null |
    sed -n 's/.*<a href="[^"?]*?\([^"]*\)".*/\1/p' | head -n1 | sed 's/&amp;/\&/g')
  [ -n "$query" ] || query="url=$(urlencode "$url")"
  page=$(ip netns exec "$ns" curl -sS --max-time 5 "http://$host:$PORTAL_PORT/?$query" 2>&1) ||
    fail "sign-in page not reachable from $ns via $host: $page"
  token=$(sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' <<<"$page" | head -n1)
  [ -n "$token" ] || fail "no token in the sign-in page: $page"
  ip netns exec "$ns" curl -sS --max-time 5 -o /dev/null -w '%{http_code} %{redirect_url}' \
    --data-urlencode "token=$token" --data-urlencode "url=$url" --data-urlencode "accept_terms=yes" \
    "http://$host:$PORTAL_PORT/login"
}

urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# nft prints the xt NFQUEUE target as "queue ..." too (with the iptables
# package's libxtables extensions; scripts/install-deps installs them), with
# a warning on stderr that the table holds xt expressions.
# Not `nft list ... | grep -q`: nft writes its listing in many small writes,
# grep -q exits at the first match, nft dies of SIGPIPE on the next write,
# and under `set -o pipefail` the pipeline fails (measured: 46 of 200 runs).
# A grep that reads to the end does not race.
queue_rule_present() { in_gw nft list chain inet captive intercept 2>/dev/null | grep 'queue' >/dev/null; }

