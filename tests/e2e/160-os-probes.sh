#!/usr/bin/env bash
# Issue 10 items 1, 3 and 7 (the probes): every probe of the shipped table
# (data/probes), requested from a client as its OS requests it (Host, path,
# User-Agent), gets what that OS acts on to show its sign-in window: a 302
# with an absolute Location to our sign-in page, a body of more than 4
# bytes, no-store, and never the "online" answer the OS looks for. A normal
# URL still gets the 511. `captivectl doctor MAC` then lists the probes and
# says why the device did (not) pop up; a custom probe from --probes FILE
# is answered too, and a broken file is refused with FILE:LINE.
#
# No DNS serves these names in the sandbox: curl --resolve sends each probe
# to a documentation address with the probe's own Host; the gateway
# intercepts any port-80 destination it can route (198.51.100.80, on its
# upstream subnet, where nobody listens; the gateway has no default route,
# so a 203.0.113.x destination was answered "network unreachable" in one of
# two runs here instead of being queued).
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
ruleset_up
captived_start

FAKE_SERVER=198.51.100.80
PORTAL="http://$GW_V4:$PORTAL_PORT/"

# The User-Agent each OS sends with its probe (docs/clients.md).
ua_of() {
  case "$1" in
    android) echo 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.32 Safari/537.36' ;;
    chrome) echo 'Mozilla/5.0 (X11; CrOS x86_64 15633.69.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.212 Safari/537.36' ;;
    apple) echo 'CaptiveNetworkSupport-481.0.1 wispr' ;;
    windows) echo 'Microsoft NCSI' ;;
    firefox) echo 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' ;;
    # NetworkManager's libcurl request carries no User-Agent (KDE uses it too).
    *) echo '' ;;
  esac
}

# probe NS LABEL HOST PATH: one request as the OS makes it; sets $out.
probe() {
  local ns=$1 label=$2 host=$3 path=$4
  out="$WORK/probe-$label-$host$(tr '/' '_' <<<"$path")"
  local extra=()
  # NetworkManager (and KDE through it) adds only this header.
  case "$label" in networkmanager | kde) extra=(-H 'Connection: close') ;; esac
  ip netns exec "$ns" curl -sS --max-time 5 --resolve "$host:80:$FAKE_SERVER" -A "$(ua_of "$label")" "${extra[@]}" \
    -D "$out.headers" -o "$out.body" "http://$host$path" || fail "$label: no answer to http://$host$path"
}

header_of() { tr -d '\r' <"$1.headers" | sed -n "s/^$2: *//Ip" | head -n1; }

# What the OS acts on, per label (sources in docs/clients.md).
check_probe() {  # LABEL HOST PATH
  local label=$1 host=$2 path=$3
  probe "$NS_C1" "$label" "$host" "$path"
  local status location body_size body
  status=$(head -n1 "$out.headers" | tr -d '\r')
  location=$(header_of "$out" Location)
  body_size=$(stat -c %s "$out.body")
  body=$(cat "$out.body")
  # Android: 200-399 is a portal, and the Location is the page it opens.
  # ChromeOS: only 302/307 with a valid absolute Location. Everyone else
  # (Apple, Windows, Firefox, NetworkManager) opens on any other answer,
  # a 302 included.
  [ "$status" = "HTTP/1.1 302 Found" ] || fail "$label $host$path: status '$status'"
  local encoded
  encoded=$(urlencode "http://$host$path")
  case "$location" in
    "$PORTAL?url=$encoded&sig="????????????????) ;;
    *) fail "$label $host$path: Location '$location', want $PORTAL?url=$encoded&sig=<16 hex>" ;;
  esac
  [ "$(header_of "$out" Cache-Control)" = no-store ] || fail "$label $host$path: Cache-Control: $(header_of "$out" Cache-Control)"
  # Android and NetworkManager read a body of <= 4 bytes as "no portal".
  [ "$body_size" -gt 4 ] || fail "$label $host$path: body of $body_size bytes"
  [ "$(header_of "$out" Content-Length)" = "$body_size" ] || fail "$label $host$path: Content-Length"
  case "$label" in
    apple) grep -q 'Success' <<<"$body" && fail "apple $host$path: body says Success: $body" ;;
    windows) grep -qx 'Microsoft Connect Test\|Microsoft NCSI' <<<"$body" && fail "windows $host$path: body is the online text" ;;
    firefox) { [ "$body" = success ] || grep -q 'support.mozilla.org/kb/captive-portal' <<<"$body"; } &&
      fail "firefox $host$path: body is the online text" ;;
    networkmanager | kde)
      { grep -qx 'NetworkManager is online\|OK' <<<"$body" ||
        grep -qix 'X-NetworkManager-Status: online' < <(tr -d '\r' <"$out.headers"); } &&
      fail "$label $host$path: looks online to NetworkManager" ;;
  esac
  return 0
}

# Every line of the shipped table, as its OS asks it.
count=0
labels=
while read -r host path answer label _; do
  case "$host" in '' | '#'*) continue ;; esac
  [ "$answer" = 302 ] || fail "shipped table line for $host answers $answer"
  case "$path" in
    '*') path=/ ; [ "$label" = apple ] && path=/hotspot-detect.html ;;
    *'*') path="${path%\*}probe" ;;
  esac
  check_probe "$label" "$host" "$path"
  count=$((count + 1))
  case " $labels " in *" $label "*) ;; *) labels="$labels $label" ;; esac
done <"$SANDBOX_ROOT/data/probes"
[ "$count" -ge 20 ] || fail "only $count probes in data/probes"
pass "$count probes of data/probes ($labels ) answered 302 to the sign-in page, body > 4 bytes, no-store, not the online text"

[ "$(stat_of responder.probe_redirects)" -ge "$count" ] || fail "responder.probe_redirects: $(stat_of responder.probe_redirects)"
pass "captivectl stats counts them: responder.probe_redirects"

# Over IPv6 (Windows' IPv6 probe, from the client's IPv6 address): the
# Location is the portal's IPv6 URL.
out="$WORK/probe-v6"
ip netns exec "$NS_C1" curl -sS --max-time 5 --resolve "ipv6.msftconnecttest.com:80:[2001:db8:2::80]" \
  -A 'Microsoft NCSI' -D "$out.headers" -o "$out.body" http://ipv6.msftconnecttest.com/connecttest.txt ||
  fail "IPv6: no answer to Windows' IPv6 probe"
head -n1 "$out.headers" | grep -q '^HTTP/1.1 302 Found' || fail "IPv6 probe: $(head -n1 "$out.headers")"
case "$(header_of "$out" Location)" in
  "http://[$GW_V6]:$PORTAL_PORT/?url=http%3A%2F%2Fipv6.msftconnecttest.com%2Fconnecttest.txt&sig="*) ;;
  *) fail "IPv6 probe Location: $(header_of "$out" Location)" ;;
esac
pass "IPv6: Windows' IPv6 probe gets the 302 to the portal's IPv6 URL"

# The Location works: it is the sign-in page (what the phone opens).
probe "$NS_C1" android connectivitycheck.gstatic.com /generate_204
page=$(http_status "$NS_C1" "$(header_of "$out" Location)")
[ "$page" = 200 ] || fail "Android's Location answered $page"
pass "Android's Location opens the sign-in page"

# A normal URL, same fake server, still gets the 511; so does a probe path
# on another host and another path on a probe host.
for url in http://www.example.com/ http://www.example.com/generate_204 http://connectivitycheck.gstatic.com/other; do
  host=${url#http://}; host=${host%%/*}
  status=$(ip netns exec "$NS_C1" curl -s -o /dev/null -w '%{http_code}' --max-time 5 --resolve "$host:80:$FAKE_SERVER" "$url")
  [ "$status" = 511 ] || fail "$url answered $status, want 511"
done
pass "non-probes keep the 511"

# doctor: c2 sends only Android's probe and never opens the page.
probe "$NS_C2" android connectivitycheck.gstatic.com /generate_204
probe "$NS_C2" android www.google.com /gen_204
doctor=$(ctl doctor "$C2_MAC") || fail "captivectl doctor $C2_MAC failed"
grep -q 'connectivitycheck.gstatic.com /generate_204' <<<"$doctor" || fail "doctor does not list the probe: $doctor"
grep -q 'verdict: sent android probes, got 302, never opened the sign-in page' <<<"$doctor" ||
  fail "doctor verdict for c2: $doctor"
pass "doctor c2: lists the Android probes; verdict: got 302, never opened the sign-in page"
json=$(ctl doctor "$C2_MAC" --json) || fail "doctor --json failed"
python3 - "$json" "$C2_MAC" <<'PY' || fail "doctor --json: $json"
import json, sys
d = json.loads(sys.argv[1])
assert d["mac"] == sys.argv[2], d
assert d["signed_in"] is False and d["opened_portal"] is False, d
e = d["entries"]
assert [x["probe"] for x in e] == ["android", "android"], e
assert [x["event"] for x in e] == ["302", "302"], e
assert e[0]["host"] == "connectivitycheck.gstatic.com" and e[0]["path"] == "/generate_204", e
assert all(0 <= x["ago"] < 60 for x in e), e
PY
pass "doctor --json parses: two android probes answered 302, not opened, not signed in"

# c1 opened the sign-in page (above): doctor says so.
doctor=$(ctl doctor "$C1_MAC") || fail "doctor $C1_MAC failed"
grep -q 'opened the sign-in page: yes' <<<"$doctor" || fail "doctor c1: $doctor"
grep -q 'verdict: opened the sign-in page but has not signed in' <<<"$doctor" || fail "doctor c1 verdict: $doctor"
pass "doctor c1: opened the sign-in page, not signed in"

# A device never seen.
doctor=$(ctl doctor 02:00:00:00:0f:0f) || fail "doctor of an unseen MAC failed"
grep -q 'verdict: no HTTP seen from this device' <<<"$doctor" || fail "doctor unseen: $doctor"
pass "doctor of an unseen device: no HTTP seen"

# c2 signs in: doctor shows the page load and the sign-in, and says so;
# after a revoke it says the session ended.
result=$(sign_in "$NS_C2")
case "$result" in 303*) ;; *) fail "sign-in of c2: $result" ;; esac
json=$(ctl doctor "$C2_MAC" --json) || fail "doctor --json after sign-in failed"
python3 - "$json" <<'PY' || fail "doctor after sign-in: $json"
import json, sys
d = json.loads(sys.argv[1])
events = [x["event"] for x in d["entries"]]
assert events[-2:] == ["portal_page", "signed_in"], events
assert d["signed_in"] is True and d["opened_portal"] is True, d
assert d["verdict"].startswith("signed in:"), d["verdict"]
PY
ctl revoke "$C2_MAC" >/dev/null || fail "revoke c2"
ctl doctor "$C2_MAC" | grep -q 'verdict: signed in earlier but not now' || fail "doctor after revoke: $(ctl doctor "$C2_MAC")"
pass "doctor c2: page load and sign-in noted by the portal; signed in, then 'signed in earlier' after revoke"

# Exit codes: 2 usage, 3 unreachable.
status=0; ctl doctor not-a-mac >/dev/null 2>&1 || status=$?
[ "$status" = 2 ] || fail "doctor not-a-mac exited $status, want 2"
status=0; in_gw "$CAPTIVECTL" --socket "$WORK/nobody.sock" doctor "$C1_MAC" >/dev/null 2>&1 || status=$?
[ "$status" = 3 ] || fail "doctor without captived exited $status, want 3"
pass "doctor exit codes: 2 for a bad MAC, 3 when captived is unreachable"

captived_stop || fail "captived did not stop cleanly"

# A broken probe file refuses the start, naming file and line.
printf 'ok.example /x\nbad.example no-slash\n' >"$WORK/bad-probes"
status=0
msg=$(in_gw "$CAPTIVED" --lan br0 --state-dir "$STATE_DIR" --socket "$SOCKET" --portal-port "$PORTAL_PORT" \
  --ruleset "$SANDBOX_ROOT/nft/captive.nft" --probes "$WORK/bad-probes" 2>&1) || status=$?
[ "$status" != 0 ] || fail "captived started with a broken probe file"
grep -q "$WORK/bad-probes:2: PATH must start with '/'" <<<"$msg" || fail "error does not name file:line: $msg"
pass "a broken --probes file is refused at start with FILE:LINE"

# A custom probe from --probes FILE.
cat >"$WORK/probes" <<'TABLE'
# a kiosk's own check
portal-check.example.net  /hello  302  kiosk
TABLE
captived_start --probes "$WORK/probes"
grep -q "probes: 1 from $WORK/probes" "$WORK/captived.log" || fail "log does not say which table: $(grep probes "$WORK/captived.log")"
check_probe kiosk portal-check.example.net /hello
status=$(ip netns exec "$NS_C1" curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
  --resolve "connectivitycheck.gstatic.com:80:$FAKE_SERVER" http://connectivitycheck.gstatic.com/generate_204)
[ "$status" = 511 ] || fail "with the custom table Android's probe got $status (the table replaces the shipped one)"
ctl doctor "$C1_MAC" | grep -q 'kiosk' || fail "doctor does not name the custom probe"
pass "custom probe from --probes answered 302 (and named by doctor); the shipped ones are replaced"
done_ok
