#!/usr/bin/env bash
# The printed voucher sheet (issue 12, item 3): captivectl voucher print
# writes one self-contained HTML page of cards; headless Chromium opens it
# from a file (no network: a sheet with external assets would show their
# absence), the layout is checked in the page itself (every code fits its
# card, 3 cards a row, 24 an A4 page, nothing fetched), and a screenshot is
# kept as $BUILD_DIR/meson-logs/artifacts/219-voucher-sheet/sheet.png.
source "$(dirname "$0")/lib.sh"
require
DEBIAN_PY=/usr/bin/python3
command -v chromium >/dev/null 2>&1 && "$DEBIAN_PY" -c 'import websocket' 2>/dev/null || {
  [ "${CI:-}" = true ] && fail "cannot run: needs chromium and python3-websocket (scripts/install-deps)"
  log "SKIP: needs chromium and python3-websocket (scripts/install-deps)"
  exit 77
}
ARTIFACTS=$BUILD_DIR/meson-logs/artifacts/$SCENARIO
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"

topology_up
services_up
ruleset_up
captived_start --site-name "Café Zur Post" --auth voucher

# A page and a half of cards, of several kinds.
ctl voucher create --count 20 --duration 2h >/dev/null || fail "voucher create (2h)"
ctl voucher create --count 10 --duration 1d --devices 3 --quota 2G --rate-down 10mbit >/dev/null ||
  fail "voucher create (1d, 3 devices)"
ctl voucher create --count 2 --duration 90m >/dev/null || fail "voucher create (90m)"
ctl voucher print --all-unused >"$WORK/sheet.html" || fail "voucher print"
[ "$(grep -c 'class="card"' "$WORK/sheet.html")" = 32 ] || fail "32 cards expected: $(grep -c 'class="card"' "$WORK/sheet.html")"
grep -q 'Café Zur Post' "$WORK/sheet.html" || fail "the network's name (--site-name) is not on the sheet"
grep -Eq 'src=|href=|@import|url\(' "$WORK/sheet.html" && fail "the sheet refers to something outside itself"
pass "voucher print: 32 cards, the network's name, nothing external"
cp "$WORK/sheet.html" "$ARTIFACTS/sheet.html"

# Two named codes, and a name given on the command line (escaped).
codes=$(ctl voucher list --json | python3 -c 'import json,sys; print(" ".join(v["code"] for v in json.load(sys.stdin)[:2]))')
ctl voucher print $codes --network '<Lobby & Bar>' >"$WORK/two.html" || fail "voucher print CODE CODE"
[ "$(grep -c 'class="card"' "$WORK/two.html")" = 2 ] || fail "print of two codes"
grep -q '&lt;Lobby &amp; Bar&gt;' "$WORK/two.html" || fail "--network not escaped: $(grep -o 'network">[^<]*' "$WORK/two.html" | head -1)"
status=0
ctl voucher print ACDE-FG34-H0 >/dev/null 2>&1 || status=$?
[ "$status" = 2 ] || fail "a malformed code is bad usage (2), got $status"
status=0
ctl voucher print >/dev/null 2>&1 || status=$?
[ "$status" = 2 ] || fail "print without codes or --all-unused is bad usage (2), got $status"
pass "print of named codes, --network escaped, bad usage exits 2"

# Chromium in the gateway's namespace (lo only is needed: file://).
CDP_PORT=9222
spawn "$NS_GW" "$WORK/chromium.log" chromium --headless --no-sandbox --disable-gpu \
  --no-first-run --no-default-browser-check --disable-background-networking --disable-component-update \
  --disable-sync --disable-breakpad --disable-dev-shm-usage --user-data-dir="$WORK/chrome-profile" \
  --hide-scrollbars --window-size=794,1123 --remote-debugging-address=127.0.0.1 --remote-debugging-port=$CDP_PORT about:blank
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
chmod 755 "$WORK"
state=$(cdp goto "file://$WORK/sheet.html")
grep -q '"error"' <<<"$state" && fail "open the sheet: $state"
cdp shot "$ARTIFACTS/sheet.png" >/dev/null
[ -s "$ARTIFACTS/sheet.png" ] || fail "no screenshot"
pass "screenshot: $ARTIFACTS/sheet.png"

# The layout, measured by the browser: 96 CSS px = 1 in = 25.4 mm.
layout=$(cdp eval "$(tr '\n' ' ' <<'JS'
(() => {
  const mm = px => px * 25.4 / 96;
  const cards = [...document.querySelectorAll(".card")];
  const codes = [...document.querySelectorAll(".code")];
  const terms = [...document.querySelectorAll(".terms")];
  const tops = new Set(cards.map(c => Math.round(c.getBoundingClientRect().top)));
  const first = cards[0].getBoundingClientRect();
  return JSON.stringify({
    cards: cards.length,
    per_row: cards.filter(c => Math.round(c.getBoundingClientRect().top) === Math.round(first.top)).length,
    width_mm: Math.round(mm(first.width)), height_mm: Math.round(mm(first.height)),
    codes_fit: codes.every(e => e.scrollWidth <= e.clientWidth + 1 && e.getBoundingClientRect().right <= e.closest(".card").getBoundingClientRect().right),
    terms_fit: terms.every(e => e.scrollWidth <= e.clientWidth + 1 && e.getBoundingClientRect().bottom <= e.closest(".card").getBoundingClientRect().bottom + 0.5),
    sheet_mm: Math.round(mm(document.querySelector(".sheet").getBoundingClientRect().width)),
    resources: performance.getEntriesByType("resource").length,
    code_px: parseFloat(getComputedStyle(codes[0]).fontSize)
  });
})()
JS
)")
log "layout: $layout"
python3 - "$layout" <<'PY' || fail "layout: $layout"
import json, sys
v = json.loads(json.loads(sys.argv[1])["value"])
assert v["cards"] == 32, v
assert v["per_row"] == 3, v                       # 3 across an A4 page
assert v["width_mm"] == 63 and v["height_mm"] == 34, v
assert v["sheet_mm"] <= 190, v                    # inside A4's 210 mm less 2 x 10 mm margins
assert v["codes_fit"] and v["terms_fit"], v       # no code cut off or wrapped
assert v["resources"] == 0, v                     # nothing fetched
assert v["code_px"] >= 18, v                      # readable: 15 pt = 20 px
PY
pass "layout: 3 cards a row of 63 x 34 mm, every code and its terms fit, nothing fetched"

done_ok
