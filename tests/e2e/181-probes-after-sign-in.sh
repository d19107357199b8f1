#!/usr/bin/env bash
# After sign-in every OS sees the Internet (issue 10, item 2). The upstream
# plays the connectivity-check servers (tools/probe_servers.py: Android,
# Apple, Windows, Firefox, Chrome/ChromeOS, NetworkManager, KDE, Fedora);
# each probe is sent as its OS sends it (Host, path, User-Agent) to the
# upstream's address, the real names not resolving in the sandbox.
# Before sign-in the gateway answers it (511, or a 302 to our portal for a
# known probe), never the real server; after sign-in the real server's answer
# arrives byte for byte (status, Location, body), which is what makes the OS
# close its sign-in window by itself.
source "$(dirname "$0")/lib.sh"
require
topology_up
# The upstream's port 80 is the probe servers (instead of services_up's).
spawn "$NS_UP" "$WORK/probes.log" python3 "$E2E_DIR/tools/probe_servers.py" serve :: 80
wait_for "probe servers" in_up python3 -c "import socket; socket.create_connection(('$UP_V4', 80), 1)"
ruleset_up
captived_start --session-timeout 1h
PORTAL=http://$GW_V4:$PORTAL_PORT/

mapfile -t probes < <(python3 "$E2E_DIR/tools/probe_servers.py" table)
[ "${#probes[@]}" -ge 15 ] || fail "probe table has ${#probes[@]} entries"

# ask NS JSON OUT [ADDRESS]: the probe as its OS sends it; OUT.headers, OUT.body
ask() {
  local ns=$1 probe=$2 out=$3 address=${4:-$UP_V4} host path ua
  host=$(jq_field "$probe" host) path=$(jq_field "$probe" path) ua=$(jq_field "$probe" ua)
  ip netns exec "$ns" curl -s --max-time 5 -H "Host: $host" -A "$ua" -D "$out.headers" -o "$out.body" \
    "http://$address$path" || true
  [ -s "$out.headers" ] || : >"$out.headers"
  [ -f "$out.body" ] || : >"$out.body"
}
jq_field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
# is_real_answer JSON OUT: status, Location and body exactly the real server's
is_real_answer() {
  python3 - "$1" "$2" <<'PY'
import json, sys
probe = json.loads(sys.argv[1])
out = sys.argv[2]
headers = open(out + ".headers", "rb").read().decode("latin-1").replace("\r", "").split("\n")
status = int(headers[0].split()[1]) if headers[0] else 0
body = open(out + ".body", "rb").read()
location = next((h.split(":", 1)[1].strip() for h in headers if h.lower().startswith("location:")), "")
ok = status == probe["status"] and body == probe["body"].encode() and location == probe["location"]
if not ok:
    print(f"  status {status} (want {probe['status']}), body {body[:80]!r} (want {probe['body'][:80]!r}),"
          f" location {location!r} (want {probe['location']!r})", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}
status_of() { head -n1 "$1.headers" | cut -d' ' -f2; }
header_of() { tr -d '\r' <"$1.headers" | sed -n "s/^$2: *//Ip" | head -n1; }

# Before sign-in: the gateway's answer, not the real server's.
i=0
for probe in "${probes[@]}"; do
  i=$((i + 1))
  out=$WORK/before-$i
  ask "$NS_C1" "$probe" "$out"
  name="$(jq_field "$probe" os) $(jq_field "$probe" host)$(jq_field "$probe" path)"
  status=$(status_of "$out")
  case $status in
    511) ;;
    302 | 307)
      location=$(header_of "$out" Location)
      case $location in "$PORTAL"*) ;; *) fail "before sign-in, $name: $status to '$location', not our portal" ;; esac ;;
    *) fail "before sign-in, $name answered '$status' ($(cat "$out.headers"))" ;;
  esac
  python3 - "$probe" "$out.body" <<'PY' || fail "before sign-in, $name got the real server's body"
import json, sys
want = json.loads(sys.argv[1])["body"].encode()
assert open(sys.argv[2], "rb").read() != want
PY
done
grep -q '^probe ' "$WORK/probes.log" && fail "a probe reached the probe servers before sign-in: $(grep '^probe ' "$WORK/probes.log" | head -n3)"
pass "before sign-in: all ${#probes[@]} probes answered by the gateway (511 or a redirect to $PORTAL), none reached the servers"

result=$(sign_in "$NS_C1" "$GW_V4" "http://$UP_V4/")
[ "$result" = "303 http://$UP_V4/" ] || fail "sign-in answered '$result'"
pass "c1 signed in"

# After sign-in: byte for byte what the real server sends.
i=0
for probe in "${probes[@]}"; do
  i=$((i + 1))
  out=$WORK/after-$i
  ask "$NS_C1" "$probe" "$out"
  name="$(jq_field "$probe" os) $(jq_field "$probe" host)$(jq_field "$probe" path)"
  is_real_answer "$probe" "$out" || fail "after sign-in, $name: not the real server's answer"
  ua=$(jq_field "$probe" ua)
  grep -qF "probe $ua $(jq_field "$probe" host)$(jq_field "$probe" path) from $C1_V4" "$WORK/probes.log" ||
    fail "after sign-in, $name: the probe server did not see it with its User-Agent"
done
pass "after sign-in: all ${#probes[@]} probes get the real server's status, Location and body, byte for byte"

# IPv6 too (the sign-in is the device's MAC, not an address).
for n in 0 4 6; do
  ask "$NS_C1" "${probes[$n]}" "$WORK/v6-$n" "[$UP_V6]"
  is_real_answer "${probes[$n]}" "$WORK/v6-$n" ||
    fail "IPv6 probe $(jq_field "${probes[$n]}" host): $(head -n1 "$WORK/v6-$n.headers")"
done
pass "after sign-in, over IPv6: Android, Apple and Windows probes get the real answers"

# c2 did not sign in: its probes still meet the gateway.
ask "$NS_C2" "${probes[0]}" "$WORK/c2"
[ "$(status_of "$WORK/c2")" != 204 ] || fail "c2's probe passed on c1's sign-in"
pass "c2's probe is still answered by the gateway"
done_ok
