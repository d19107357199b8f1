#!/usr/bin/env bash
# RADIUS failover (docs/radius.md): four --radius-server, tried in order
# with --radius-timeout 1s and no retransmission:
#   198.51.100.4  drops everything (a server gone silent): left after 1 s;
#   198.51.100.5  answers with a right Response Authenticator but no
#                 Message-Authenticator (a forger, or an old server): the
#                 answer is dropped and counted, the server left after 1 s;
#   198.51.100.3  nothing listening: the ICMP port unreachable moves on at once;
#   198.51.100.2  FreeRADIUS: answers.
# The next sign-in starts at the server that answered last (no waiting).
# With every server down, the page says so within the timeouts.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/radius-lib.sh"
require
command -v freeradius >/dev/null || fail "freeradius not installed (scripts/install-deps)"
topology_up
services_up
ruleset_up
for a in 198.51.100.3 198.51.100.4 198.51.100.5; do ip -n "$NS_UP" addr add "$a/24" dev eth0; done
in_up nft -f - <<'NFT'
table inet e2e_silent {
  chain input {
    type filter hook input priority 0;
    ip daddr 198.51.100.4 udp dport 1812 drop
  }
}
NFT

radius_up <<'USERS'
alice	Cleartext-Password := "alice pw"
	Session-Timeout = 600
carol	Cleartext-Password := "carol pw"
	Session-Timeout = 600
USERS
RADIUS_PID=${PIDS[-1]}
# The forger: an Access-Accept for any request, its Response Authenticator
# right (it knows the secret), no Message-Authenticator.
cat > "$WORK/forger.py" <<PY
import hashlib, socket, struct
secret = b"$RADIUS_SECRET"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.5", 1812))
while True:
    data, peer = s.recvfrom(4096)
    head = bytes([2, data[1]]) + struct.pack(">H", 20)
    s.sendto(head + hashlib.md5(head + data[4:20] + secret).digest(), peer)
PY
spawn "$NS_UP" "$WORK/forger.log" python3 "$WORK/forger.py"
captived_start --auth radius --radius-server 198.51.100.4 --radius-server 198.51.100.5 --radius-server 198.51.100.3 \
  --radius-server "$UP_V4" --radius-secret-file "$WORK/radius-secret" --radius-timeout 1s --radius-retries 0

start=$(date +%s%N)
result=$(radius_sign_in "$NS_C1" alice 'alice pw')
took=$((($(date +%s%N) - start) / 1000000))
[ "${result%% *}" = 200 ] || fail "alice answered '$result': $(tail -n 20 "$WORK/captived.log")"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "alice not let through"
[ "$(stat_of auth.radius.failovers)" = 3 ] || fail "failovers: $(ctl stats --json)"
[ "$(stat_of auth.radius.dropped_no_message_authenticator)" = 1 ] || fail "the forged answer was not dropped: $(ctl stats --json)"
grep -q 'dropped answer .* from 198.51.100.5: no Message-Authenticator' "$WORK/captived.log" || fail "the drop is not logged"
[ "$took" -ge 2000 ] && [ "$took" -lt 6000 ] || fail "the sign-in took $took ms (two 1 s timeouts expected)"
pass "silent, forging and refusing servers passed over in $took ms; the fourth server signed alice in; the forged answer dropped, counted and logged"

start=$(date +%s%N)
result=$(radius_sign_in "$NS_C2" carol 'carol pw')
took=$((($(date +%s%N) - start) / 1000000))
[ "${result%% *}" = 200 ] || fail "carol answered '$result'"
[ "$(stat_of auth.radius.failovers)" = 3 ] || fail "carol's request did not start at the server that answered: $(ctl stats --json)"
pass "the next sign-in starts at the server that answered last ($took ms, no failover)"

kill "$RADIUS_PID"
wait "$RADIUS_PID" 2>/dev/null || true
ctl revoke "$C2_MAC" >/dev/null || fail "revoke carol"
start=$(date +%s%N)
result=$(radius_sign_in "$NS_C2" carol 'carol pw')
took=$((($(date +%s%N) - start) / 1000000))
[ "${result%% *}" = 403 ] || fail "with every server down carol got '$result'"
grep -q 'cannot be reached' "$WORK/last-login.html" || fail "the page does not say the service is unreachable"
[ "$(stat_of auth.radius.unanswered)" = 1 ] || fail "unanswered: $(ctl stats --json)"
[ "$took" -lt 6000 ] || fail "the refusal took $took ms"
alive "all servers down"
pass "every server down: refused after $took ms, the page says the service cannot be reached"
done_ok
