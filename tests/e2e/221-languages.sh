#!/usr/bin/env bash
# Each language by Accept-Language (issue 12, items 4 and 8; RFC 9110
# §12.5.4): the 511 (rendered on the packet path) and the sign-in page in
# English, German, French and Spanish, English for a language we do not
# have; then headless Chromium shows the default sign-in page at phone
# width, checked for fitting the screen, and a screenshot is kept as
# $BUILD_DIR/meson-logs/artifacts/221-languages/signin-phone.png.
source "$(dirname "$0")/lib.sh"
require
DEBIAN_PY=/usr/bin/python3
ARTIFACTS=$BUILD_DIR/meson-logs/artifacts/$SCENARIO
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"

topology_up
services_up
ruleset_up
captived_start --site-name "Café Zur Post" --auth voucher --auth click

check_language() {  # check_language ACCEPT-LANGUAGE TAG 511-HEADING SIGN-IN-BUTTON
  local accept=$1 tag=$2 heading=$3 button=$4 answer query page
  answer=$(in_c1 curl -s --max-time 5 -H "Accept-Language: $accept" "http://$UP_V4/")
  grep -q "<html lang=\"$tag\">" <<<"$answer" || fail "511 for '$accept' is not $tag: $answer"
  grep -q "<h1>$heading</h1>" <<<"$answer" || fail "511 for '$accept' has not '$heading': $answer"
  query=$(sed -n 's/.*<a href="[^"?]*?\([^"]*\)".*/\1/p' <<<"$answer" | head -n1 | sed 's/&amp;/\&/g')
  page=$(in_c1 curl -sS --max-time 5 -H "Accept-Language: $accept" "http://$GW_V4:$PORTAL_PORT/?$query") ||
    fail "sign-in page for '$accept': $page"
  grep -q "<html lang=\"$tag\">" <<<"$page" || fail "sign-in page for '$accept' is not $tag"
  grep -q "<button type=\"submit\">$button</button>" <<<"$page" || fail "no '$button' button for '$accept': $page"
  [ "$(wc -c <<<"$page")" -lt 10240 ] || fail "the $tag sign-in page is $(wc -c <<<"$page") bytes"
  printf '%s' "$page" >"$WORK/signin-$tag.html"
}
check_language "en-GB,en;q=0.9" en "Sign in to the network" "Connect"
check_language "de-DE,de;q=0.9,en;q=0.8" de "Im Netzwerk anmelden" "Verbinden"
check_language "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5" fr "Connexion au réseau" "Se connecter"
check_language "es-419,es;q=0.9" es "Inicia sesión en la red" "Conectar"
check_language "en;q=0.2, es;q=0.8" es "Inicia sesión en la red" "Conectar"
check_language "ja,zh-CN;q=0.8" en "Sign in to the network" "Connect"
pass "511 and sign-in page in en, de, fr, es by Accept-Language q-values; English for ja/zh"

# The 511 without Accept-Language is English too.
in_c1 curl -s --max-time 5 "http://$UP_V4/" | grep -q '<html lang="en">' || fail "511 without Accept-Language"
pass "no Accept-Language: English"

command -v chromium >/dev/null 2>&1 && "$DEBIAN_PY" -c 'import websocket' 2>/dev/null || {
  [ "${CI:-}" = true ] && fail "cannot run: needs chromium and python3-websocket (scripts/install-deps)"
  log "SKIP (the screenshot): needs chromium and python3-websocket (scripts/install-deps)"
  exit 77
}
# Chromium in the gateway's namespace opens the saved page from a file: the
# page has no external assets, so what it shows is all there is.
cp "$WORK"/signin-*.html "$ARTIFACTS/"
chmod 755 "$WORK"
CDP_PORT=9222
spawn "$NS_GW" "$WORK/chromium.log" chromium --headless --no-sandbox --disable-gpu \
  --no-first-run --no-default-browser-check --disable-background-networking --disable-component-update \
  --disable-sync --disable-breakpad --disable-dev-shm-usage --user-data-dir="$WORK/chrome-profile" \
  --hide-scrollbars --window-size=500,844 \
  --remote-debugging-address=127.0.0.1 --remote-debugging-port=$CDP_PORT about:blank
trap 'cp "$WORK/cdp.log" "$WORK/chromium.log" "$ARTIFACTS/" 2>/dev/null; cleanup' EXIT
coproc CDP { ip netns exec "$NS_GW" "$DEBIAN_PY" "$E2E_DIR/tools/cdp.py" "$CDP_PORT" 90 2>"$WORK/cdp.log"; }
PIDS+=($CDP_PID)
cdp() {
  local answer
  echo "$*" >&"${CDP[1]}"
  read -r -t 120 answer <&"${CDP[0]}" || fail "browser driver gave no answer to '$*' ($(tail -n 5 "$WORK/cdp.log"))"
  printf '%s\n' "$answer"
}
read -r -t 120 ready <&"${CDP[0]}" ||
  fail "Chromium's DevTools not up after 120 s: $(tail -n 5 "$WORK/chromium.log") $(tail -n 5 "$WORK/cdp.log")"
grep -q '"error"' <<<"$(cdp phone 390 844 2)" && fail "cannot emulate a phone screen"
for tag in en de; do
  state=$(cdp goto "file://$ARTIFACTS/signin-$tag.html")
  grep -q '"error"' <<<"$state" && fail "open the $tag page: $state"
  cdp shot "$ARTIFACTS/signin-phone-$tag.png" >/dev/null
  [ -s "$ARTIFACTS/signin-phone-$tag.png" ] || fail "no screenshot"
  # Fits a phone: no sideways scrolling, the buttons span the card, text at least 16 px.
  fit=$(cdp eval "$(tr '\n' ' ' <<'JS'
(() => {
  const width = window.innerWidth;
  const buttons = [...document.querySelectorAll("button")];
  const font = parseFloat(getComputedStyle(document.body).fontSize);
  return [document.documentElement.scrollWidth <= width, buttons.length,
          buttons.every(b => b.getBoundingClientRect().width > width * 0.6), font >= 16, width].join(" ");
})()
JS
)")
  [ "$fit" = '{"value": "true 2 true true 390"}' ] || fail "the $tag page does not fit a phone: $fit"
done
cp "$ARTIFACTS/signin-phone-en.png" "$ARTIFACTS/signin-phone.png"
pass "screenshot at phone width (390 px): $ARTIFACTS/signin-phone.png, no sideways scroll, wide buttons"
done_ok
