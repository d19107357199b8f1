#!/usr/bin/env bash
# A real browser, end to end (issue 10, item 7): Debian's headless Chromium in
# the client's namespace opens an ordinary http URL on the upstream, is
# answered by the gateway's 511, follows its meta refresh to the sign-in page,
# ticks the box and clicks Connect with real mouse events (DevTools
# protocol), and arrives at the page it asked for. A screenshot of each step
# is kept under $BUILD_DIR/meson-logs/artifacts/180-browser-sign-in/.
source "$(dirname "$0")/lib.sh"
require
# The driver needs Debian's python3-websocket: Debian's python3, even when
# another python3 comes first on PATH.
DEBIAN_PY=/usr/bin/python3
command -v chromium >/dev/null 2>&1 && "$DEBIAN_PY" -c 'import websocket' 2>/dev/null || {
  [ "${CI:-}" = true ] && fail "cannot run: needs chromium and python3-websocket (scripts/install-deps)"
  log "SKIP: needs chromium and python3-websocket (scripts/install-deps)"
  exit 77
}
ARTIFACTS=$BUILD_DIR/meson-logs/artifacts/$SCENARIO
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"
log "screenshots in $ARTIFACTS"

topology_up
services_up
cat >"$WORK/www/page.html" <<'HTML'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Upstream test page</title></head>
<body><h1>The page you asked for</h1><p>Served by the upstream at 198.51.100.2.</p></body></html>
HTML
ruleset_up
captived_start --session-timeout 1h
PAGE=http://$UP_V4/page.html
PORTAL=http://$GW_V4:$PORTAL_PORT/

# Chromium as root needs --no-sandbox; everything that would phone home
# (component updates, sync, field trials) is off, QUIC too (the gate is about
# TCP; UDP 443 is another test's matter). A fresh profile: no cache, no HSTS.
CDP_PORT=9222
spawn "$NS_C1" "$WORK/chromium.log" chromium --headless --no-sandbox --disable-gpu --disable-quic \
  --no-first-run --no-default-browser-check --disable-background-networking --disable-component-update \
  --disable-sync --disable-breakpad --disable-dev-shm-usage --user-data-dir="$WORK/chrome-profile" \
  --window-size=1000,700 --remote-debugging-address=127.0.0.1 --remote-debugging-port=$CDP_PORT about:blank
CHROMIUM_PID=${PIDS[-1]}

# The driver: one command a line in, one JSON line out (tools/cdp.py).
# The driver's log (each command and page event, timed) and Chromium's own
# go with the screenshots.
trap 'cp "$WORK/cdp.log" "$WORK/chromium.log" "$ARTIFACTS/" 2>/dev/null; cleanup' EXIT
coproc CDP { ip netns exec "$NS_C1" "$DEBIAN_PY" "$E2E_DIR/tools/cdp.py" "$CDP_PORT" 90 2>"$WORK/cdp.log"; }
PIDS+=($CDP_PID)
cdp() {  # cdp COMMAND... ; prints the JSON answer (bounded: 120 s)
  local answer
  echo "$*" >&"${CDP[1]}"
  read -r -t 120 answer <&"${CDP[0]}" || fail "browser driver gave no answer to '$*' ($(tail -n 5 "$WORK/cdp.log"))"
  printf '%s\n' "$answer"
}
field() { python3 -c 'import json,sys; v = json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"; }
read -r -t 120 ready <&"${CDP[0]}" ||
  fail "Chromium's DevTools not up after 120 s: $(tail -n 5 "$WORK/chromium.log") $(tail -n 5 "$WORK/cdp.log")"
pass "headless Chromium up in the client namespace (DevTools on 127.0.0.1:$CDP_PORT there)"

# 1. The page the user typed: the 511's meta refresh takes the browser to
# the sign-in page, with the original URL in the link.
state=$(cdp goto "$PAGE")
cdp shot "$ARTIFACTS/1-typed-url-lands-on-sign-in.png" >/dev/null
url=$(field "$state" url)
[ -z "$(field "$state" error)" ] || fail "navigation: $state"
case $url in
  "$PORTAL?url=$(urlencode "$PAGE")&sig="*) ;;
  *) fail "after opening $PAGE the browser is at '$url' ($state)" ;;
esac
# Chromium rendered the 511's body (it shows the body of any status) and its
# meta refresh moved it on: the way there was the refresh, nothing else.
[ "$(field "$state" scheduled)" = "['metaTagRefresh']" ] || fail "not through the 511's meta refresh: $state"
[ "$(cdp eval 'document.querySelectorAll("form[action=\"/login\"] button[type=submit]").length' )" = '{"value": 1}' ] ||
  fail "no sign-in form: $state"
pass "opening $PAGE lands on the sign-in page through the 511's refresh: $url"
grep -q "request from $C1_V4: \"GET /page.html" "$WORK/http80.log" && fail "the page reached the upstream before sign-in"
pass "the upstream saw no request from the browser before sign-in"

# 2. Accept: tick the box and click Connect, as a user does (mouse events).
[ -z "$(field "$(cdp click 'input[name=accept_terms]')" error)" ] || fail "no terms checkbox"
[ "$(cdp eval 'document.querySelector("input[name=accept_terms]").checked')" = '{"value": true}' ] ||
  fail "the click did not tick the box"
cdp shot "$ARTIFACTS/2-terms-accepted.png" >/dev/null
pass "terms ticked with a mouse click"
[ -z "$(field "$(cdp click 'button[type=submit]')" error)" ] || fail "no Connect button"

# 3. The 303 takes the browser back to the page it asked for, from the upstream.
state=$(cdp wait-url "$PAGE" 60)
cdp shot "$ARTIFACTS/3-original-page-after-sign-in.png" >/dev/null
[ -z "$(field "$state" error)" ] || fail "after Connect: $state"
[ "$(field "$state" title)" = "Upstream test page" ] || fail "after Connect the title is '$(field "$state" title)': $state"
grep -q "The page you asked for" <<<"$(field "$state" text)" || fail "after Connect the page says: $state"
grep -q "request from $C1_V4: \"GET /page.html" "$WORK/http80.log" || fail "the upstream did not serve the page"
pass "Connect leads to $PAGE, served by the upstream (title 'Upstream test page')"

ctl list | grep -q "^$C1_MAC " || fail "captivectl list does not show the browser's device"
pass "the browser's device is signed in (captivectl list)"

# 4. Another ordinary page now loads straight from the upstream.
state=$(cdp goto "http://$UP_V4/index.html")
cdp shot "$ARTIFACTS/4-browsing-after-sign-in.png" >/dev/null
[ "$(field "$state" text)" = upstream-ok ] || fail "after sign-in: $state"
pass "browsing after sign-in: upstream pages load"
ls "$ARTIFACTS"/*.png >/dev/null || fail "no screenshots"
pass "screenshots: $(cd "$ARTIFACTS" && echo *.png)"
done_ok
