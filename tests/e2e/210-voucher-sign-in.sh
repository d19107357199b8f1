#!/usr/bin/env bash
# A voucher signs a device in (issue 12, items 3 and 8): a wrong code is
# refused with a page that says so and lets nobody in; the right code, typed
# in lower case with spaces, signs the device in for the voucher's time with
# its rate, and captivectl shows the session with the code and the voucher
# with its first use and device.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/voucher-lib.sh"
require
topology_up
services_up
ruleset_up
captived_start --auth voucher --session-timeout 24h

code=$(new_voucher --duration 2h --rate-down 8mbit)
[[ $code =~ ^[2-9ACDEFGHJKMNPQRTUVWXY]{4}-[2-9ACDEFGHJKMNPQRTUVWXY]{4}-[2-9ACDEFGHJKMNPQRTUVWXY]{2}$ ]] ||
  fail "voucher create printed '$code'"
[ "$(voucher_field "$code" state)" = unused ] || fail "a new voucher is not unused"
pass "voucher create: $code, unused"

# A code of the right shape that is not in the store, and one that is no code.
result=$(voucher_sign_in "$NS_C1" "ACDE-FG34-HJ")
[ "${result%% *}" = 403 ] || fail "an unknown code answered $result"
grep -q 'This voucher code is not valid' "$WORK/voucher-page.html" || fail "no 'not valid' notice: $(cat "$WORK/voucher-page.html")"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 got in with a wrong code"
result=$(voucher_sign_in "$NS_C1" "hello")
[ "${result%% *}" = 403 ] || fail "a malformed code answered $result"
grep -q 'That is not a voucher code' "$WORK/voucher-page.html" || fail "no 'not a voucher code' notice"
[ "$(voucher_field "$code" state)" = unused ] || fail "wrong codes touched the voucher"
pass "wrong codes: 403 with their notices, c1 still intercepted, the voucher untouched"

# The right code, as somebody types it off a card.
typed=$(tr 'A-Z' 'a-z' <<<"$code" | tr '-' ' ')
result=$(voucher_sign_in "$NS_C1" "$typed")
[ "$result" = "303 http://$UP_V4/" ] || fail "the right code ('$typed') answered '$result': $(cat "$WORK/voucher-page.html")"
body=$(in_c1 curl -sS --max-time 5 "http://$UP_V4/index.html") || fail "upstream not reachable after the voucher"
[ "$body" = upstream-ok ] || fail "upstream answered '$body'"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "c2 got in on c1's voucher"
pass "the right code (typed '$typed') signs c1 in: 303, upstream reachable; c2 still intercepted"

client=$(client_json "$C1_MAC")
python3 - "$client" "$code" <<'PY' || fail "captivectl list: $client"
import json, sys, time
c = json.loads(sys.argv[1])
assert c["method"] == "voucher", c
assert c["user"] == sys.argv[2], c
left = c["expires_at"] - time.time()
assert 2 * 3600 - 120 < left <= 2 * 3600 + 5, c      # the voucher's 2h, not --session-timeout 24h
PY
in_gw nft list set inet captive allowed | grep -q "$C1_MAC.*expires 1h5[0-9]m\|$C1_MAC.*expires 2h" ||
  fail "the kernel element has not the voucher's time: $(in_gw nft list set inet captive allowed)"
pass "the session is the voucher's: method voucher, user $code, 2 h (not --session-timeout)"

[ "$(voucher_field "$code" state)" = active ] || fail "voucher not active after use"
[ "$(voucher_field "$code" macs)" = "$C1_MAC" ] || fail "voucher macs: $(voucher_field "$code" macs)"
first=$(voucher_field "$code" first_used_at)
python3 -c "import sys,time; assert abs(int(sys.argv[1]) - time.time()) < 60" "$first" || fail "first_used_at $first"
out=$(ctl voucher show "$code") || fail "voucher show"
grep -q "^state        active" <<<"$out" && grep -q "$C1_MAC" <<<"$out" || fail "voucher show: $out"
out=$(ctl voucher list) || fail "voucher list"
grep -q "^$code  active" <<<"$out" || fail "voucher list: $out"
pass "captivectl voucher show/list: active, first used now, c1's MAC on it"

# Bad usage exits 2 and sends nothing (no voucher made).
before=$(ctl voucher list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
for args in "voucher" "voucher bogus" "voucher create --duration 1h" "voucher create --count 1" \
            "voucher create --count 0 --duration 1h" "voucher create --count 1001 --duration 1h" \
            "voucher create --count 1 --duration soon" "voucher create --count 1 --duration 1h --quota 1X" \
            "voucher create --count 1 --duration 1h --devices 0" "voucher create --count 1 --duration 1h --rate-down 8" \
            "voucher list --count 2" "voucher show" "voucher show $code extra" "voucher revoke --all-unused $code"; do
  status=0
  # shellcheck disable=SC2086
  ctl $args >/dev/null 2>"$WORK/err" || status=$?
  [ "$status" = 2 ] || fail "'captivectl $args' exited $status, not 2"
  grep -q '^captivectl: ' "$WORK/err" || fail "'captivectl $args' said: $(cat "$WORK/err")"
done
after=$(ctl voucher list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$before" = "$after" ] || fail "bad usage made vouchers ($before -> $after)"
pass "captivectl voucher: bad usage exits 2 with one line, nothing made"
done_ok
