#!/usr/bin/env bash
# captive-probe, the client side of the 511 (issue 10, item 8), against our
# gateway (511 -> exit 10 with our sign-in URL; after sign-in -> 0; --wait
# returns once the user signs in) and against small fake portals of other
# styles (tools/fake_portals.py): openNDS's 307, CoovaChilli's 302, a
# rewritten 200 with a meta refresh, RFC 8908 APIs over http and https; and
# offline (refused, no route -> 20). It never follows a portal's redirect.
source "$(dirname "$0")/lib.sh"
require
PROBE=$BUILD_DIR/src/probe/captive-probe
[ -x "$PROBE" ] || fail "captive-probe not built at $PROBE"
command -v openssl >/dev/null || fail "needs openssl (scripts/install-deps)"
topology_up
# The upstream's port 80 plays the probe servers (generate_204 -> 204).
spawn "$NS_UP" "$WORK/probes.log" python3 "$E2E_DIR/tools/probe_servers.py" serve :: 80
wait_for "probe servers" in_up python3 -c "import socket; socket.create_connection(('$UP_V4', 80), 1)"
ruleset_up
captived_start --session-timeout 1h
PROBE_URL=http://$UP_V4/generate_204

# run NS ARGS...: captive-probe's stdout, and its exit code in $rc
run() {
  local ns=$1
  shift
  rc=0
  out=$(ip netns exec "$ns" "$PROBE" "$@" 2>"$WORK/probe.err") || rc=$?
}
json_field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], ""))' "$1" "$2"; }

# --- our gateway ---------------------------------------------------------
run "$NS_C1" "$PROBE_URL"
[ "$rc" = 10 ] || fail "behind our gateway: exit $rc ($out)"
case $out in
  "captive: sign in at http://$GW_V4:$PORTAL_PORT/?url=$(urlencode "$PROBE_URL")&sig="*) ;;
  *) fail "behind our gateway it printed '$out'" ;;
esac
pass "our 511: exit 10, the signed sign-in URL from the body: ${out#captive: sign in at }"
run "$NS_C1" --json "$PROBE_URL"
[ "$rc" = 10 ] && [ "$(json_field "$out" state)" = captive ] && [ "$(json_field "$out" evidence)" = 511 ] &&
  [ "$(json_field "$out" status)" = 511 ] || fail "--json behind our gateway: $rc $out"
pass "--json: {state: captive, evidence: 511, status: 511, portal_url}"
# The link works: the portal serves the form at the printed URL.
portal_url=$(json_field "$out" portal_url)
in_c1 curl -sS --max-time 5 "$portal_url" | grep -q 'name="token"' || fail "no sign-in form at $portal_url"
pass "the printed URL is the sign-in form"
run "$NS_C1" "http://[$UP_V6]/generate_204"
[ "$rc" = 10 ] && [[ $out == "captive: sign in at http://"*":$PORTAL_PORT/?url="*"&sig="* ]] ||
  fail "IPv6 behind our gateway: exit $rc ($out)"
pass "IPv6: our 511, exit 10: ${out#captive: sign in at }"

# --wait on c2: it polls (backoff) until c2 signs in, then exits 0.
ip netns exec "$NS_C2" "$PROBE" --wait --timeout 60 --json "$PROBE_URL" >"$WORK/wait.out" 2>"$WORK/wait.err" &
wait_pid=$!
PIDS+=($wait_pid)
sleep 2.5
kill -0 "$wait_pid" 2>/dev/null || fail "--wait returned before sign-in: $(cat "$WORK/wait.out")"
result=$(sign_in "$NS_C2" "$GW_V4" "$PROBE_URL")
[ "${result%% *}" = 303 ] || fail "sign-in of c2 answered '$result'"
for _ in $(seq 1 200); do kill -0 "$wait_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$wait_pid" 2>/dev/null && fail "--wait still running 20 s after sign-in"
wait_rc=0
wait "$wait_pid" || wait_rc=$?
wait_out=$(cat "$WORK/wait.out")
[ "$wait_rc" = 0 ] && [ "$(json_field "$wait_out" state)" = open ] || fail "--wait: exit $wait_rc, $wait_out"
[ "$(json_field "$wait_out" attempts)" -ge 2 ] || fail "--wait made one attempt: $wait_out"
pass "--wait polls until the user signs in, then exit 0 ($(json_field "$wait_out" attempts) attempts)"

sign_in "$NS_C1" "$GW_V4" "$PROBE_URL" >/dev/null
run "$NS_C1" "$PROBE_URL"
[ "$rc" = 0 ] && [ "$out" = open ] || fail "after sign-in: exit $rc ($out)"
pass "after sign-in: open, exit 0 (the real generate_204 answer)"

# --- other portals' styles, in the upstream namespace ---------------------
start_portal() {  # start_portal STYLE PORT [CERT KEY]
  spawn "$NS_UP" "$WORK/portal-$1.log" python3 "$E2E_DIR/tools/fake_portals.py" "$1" 127.0.0.1 "$2" "${@:3}"
  wait_for "fake portal $1" in_up python3 -c "import socket; socket.create_connection(('127.0.0.1', $2), 1)"
}
start_portal opennds 2050
start_portal coova 3990
start_portal rewrite 8081
start_portal api-true 8082
start_portal api-false 8083

run "$NS_UP" http://127.0.0.1:2050/generate_204
[ "$rc" = 10 ] && [ "$out" = "captive: sign in at http://127.0.0.1:2050/opennds_preauth/?fas=aGlkPTEyMw&tok=5a8e" ] ||
  fail "openNDS 307: exit $rc ($out)"
pass "openNDS-style 307: exit 10, the Location"
run "$NS_UP" --json http://127.0.0.1:3990/generate_204
[ "$rc" = 10 ] && [ "$(json_field "$out" evidence)" = redirect ] &&
  [ "$(json_field "$out" portal_url)" = "http://127.0.0.1:3990/prelogin?res=notyet&uamip=10.1.0.1&uamport=3990&challenge=ab12" ] ||
  fail "CoovaChilli 302: exit $rc ($out)"
pass "CoovaChilli-style 302: exit 10, the Location"
grep -E 'request /(opennds_preauth|prelogin)' "$WORK"/portal-*.log && fail "captive-probe followed a redirect"
[ "$(grep -c request "$WORK/portal-opennds.log")" = 1 ] && [ "$(grep -c request "$WORK/portal-coova.log")" = 1 ] ||
  fail "requests seen: $(cat "$WORK"/portal-opennds.log "$WORK"/portal-coova.log)"
pass "no redirect followed: each portal saw only the probe requests"
run "$NS_UP" http://127.0.0.1:8081/generate_204
[ "$rc" = 10 ] && [ "$out" = "captive: sign in at http://127.0.0.1:8081/login?orig=probe" ] ||
  fail "rewritten 200: exit $rc ($out)"
pass "a rewritten 200 with a meta refresh: exit 10, the refresh's URL"

# --- RFC 8908 API: http, then https with a certificate we trust -----------
run "$NS_UP" --json --api http://127.0.0.1:8082/api http://127.0.0.1:9/generate_204
[ "$rc" = 10 ] && [ "$(json_field "$out" evidence)" = api ] &&
  [ "$(json_field "$out" portal_url)" = "https://portal.example/sign-in?from=api" ] || fail "API captive: $rc $out"
pass "API {captive: true}: exit 10, user-portal-url"
run "$NS_UP" --api http://127.0.0.1:8083/api http://127.0.0.1:9/generate_204
[ "$rc" = 0 ] || fail "API {captive: false}: exit $rc ($out)"
pass "API {captive: false}: exit 0 (the API decides)"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=captive-test-ca -keyout "$WORK/ca.key" \
  -out "$WORK/ca.pem" -addext basicConstraints=critical,CA:TRUE 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$WORK/api.key" -out "$WORK/api.csr" 2>/dev/null
openssl x509 -req -in "$WORK/api.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial -days 2 \
  -extfile <(printf 'subjectAltName=IP:127.0.0.1\n') -out "$WORK/api.pem" 2>/dev/null
start_portal api-true 8443 "$WORK/api.pem" "$WORK/api.key"
run "$NS_UP" --json --cacert "$WORK/ca.pem" --api https://127.0.0.1:8443/api http://127.0.0.1:9/generate_204
[ "$rc" = 10 ] && [ "$(json_field "$out" evidence)" = api ] || fail "https API with --cacert: $rc $out"
pass "https API, certificate verified against --cacert: exit 10"
run "$NS_UP" --json --api https://127.0.0.1:8443/api http://127.0.0.1:9/generate_204
[ "$rc" = 20 ] && [ "$(json_field "$out" evidence)" = no-answer ] ||
  fail "https API with an untrusted certificate was believed: $rc $out"
pass "https API with a certificate the system store does not trust: not believed (falls back to the probe URL)"
# Chained to the CA we trust but issued for another address: the name
# check (RFC 6125), not only the chain, decides.
openssl req -newkey rsa:2048 -nodes -subj /CN=192.0.2.99 -keyout "$WORK/other.key" -out "$WORK/other.csr" 2>/dev/null
openssl x509 -req -in "$WORK/other.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial -days 2 \
  -extfile <(printf 'subjectAltName=IP:192.0.2.99\n') -out "$WORK/other.pem" 2>/dev/null
start_portal api-true 8444 "$WORK/other.pem" "$WORK/other.key"
run "$NS_UP" --json --cacert "$WORK/ca.pem" --api https://127.0.0.1:8444/api http://127.0.0.1:9/generate_204
[ "$rc" = 20 ] || fail "https API with a certificate for another address was believed: $rc $out"
pass "https API whose certificate names another address: not believed"

# --- offline --------------------------------------------------------------
run "$NS_UP" http://127.0.0.1:9/generate_204
[ "$rc" = 20 ] || fail "connection refused: exit $rc ($out)"
pass "connection refused: offline, exit 20 ($out)"
run "$NS_UP" --timeout 3 http://203.0.113.9/generate_204
[ "$rc" = 20 ] || fail "no route: exit $rc ($out)"
pass "no route: offline, exit 20 ($out)"
start=$(date +%s)
run "$NS_UP" --wait --timeout 3 http://127.0.0.1:9/generate_204
[ "$rc" = 20 ] && [ $(($(date +%s) - start)) -le 8 ] || fail "--wait --timeout 3 offline: exit $rc after $(($(date +%s) - start)) s"
pass "--wait is bounded by --timeout: offline after $(($(date +%s) - start)) s, exit 20"
run "$NS_UP" --bogus
[ "$rc" = 2 ] || fail "unknown option: exit $rc"
run "$NS_UP" ftp://x/
[ "$rc" = 2 ] || fail "non-http URL: exit $rc"
pass "usage errors: exit 2"
done_ok
