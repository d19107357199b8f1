#!/usr/bin/env bash
# Vouchers live in --state-dir and survive a restart (issue 12, item 3): a
# voucher used by c1 comes back with its first use and MAC, the second place
# is still free for c2 and a third device is refused; vouchers.json is
# mode 0600. A corrupt vouchers.json is never emptied: captived logs an
# error naming it, refuses codes and voucher commands with that error, and
# leaves the file byte for byte as it was.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/voucher-lib.sh"
require
topology_up
services_up
ruleset_up
captived_start --auth voucher

code=$(new_voucher --duration 1h --devices 2)
unused=$(new_voucher --duration 30m)
result=$(voucher_sign_in "$NS_C1" "$code")
[ "${result%% *}" = 303 ] || fail "c1 answered '$result'"
first=$(voucher_field "$code" first_used_at)
file=$STATE_DIR/vouchers.json
[ "$(stat -c %a "$file")" = 600 ] || fail "vouchers.json has mode $(stat -c %a "$file")"
pass "two vouchers, one used by c1; $file mode 0600"

captived_stop || fail "captived did not stop cleanly"
captived_start --auth voucher
grep -q "vouchers: 2 in $file" "$WORK/captived.log" || fail "the restart did not load 2 vouchers"
[ "$(voucher_field "$code" first_used_at)" = "$first" ] || fail "first use changed over the restart"
[ "$(voucher_field "$code" macs)" = "$C1_MAC" ] || fail "macs after restart: $(voucher_field "$code" macs)"
[ "$(voucher_field "$unused" state)" = unused ] || fail "the unused voucher is $(voucher_field "$unused" state)"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1's session did not survive the restart"
pass "after a restart: first use, MAC and the unused voucher are back; c1 still online"

result=$(voucher_sign_in "$NS_C2" "$code")
[ "${result%% *}" = 303 ] || fail "c2 on the second place answered '$result'"
[ "$(voucher_field "$code" macs)" = "$C1_MAC $C2_MAC" ] || fail "macs: $(voucher_field "$code" macs)"
pass "c2 takes the second place after the restart"

# A corrupt file: kept, reported, and no voucher works until it is fixed.
ctl revoke "$C2_MAC" >/dev/null || fail "revoke c2's session"
captived_stop || fail "captived did not stop cleanly"
printf '{"version":1,"vouchers":[{"code":"%s","seconds":3600,' "$code" >"$file"
cp "$file" "$WORK/corrupt.json"
ctl_status() { local s=0; ctl "$@" >"$WORK/ctl.out" 2>&1 || s=$?; echo $s; }
captived_start --auth voucher
grep -q "vouchers: $file: not JSON" "$WORK/captived.log" || fail "no error naming the corrupt file: $(grep vouchers "$WORK/captived.log")"
[ "$(ctl_status voucher list)" = 1 ] || fail "voucher list on a corrupt store: $(cat "$WORK/ctl.out")"
grep -q "vouchers are unavailable: $file" "$WORK/ctl.out" || fail "voucher list says: $(cat "$WORK/ctl.out")"
[ "$(ctl_status voucher create --count 1 --duration 1h)" = 1 ] || fail "voucher create on a corrupt store succeeded"
result=$(voucher_sign_in "$NS_C2" "$unused")
[ "${result%% *}" = 403 ] || fail "a code with a corrupt store answered '$result'"
grep -q 'Vouchers cannot be used right now' "$WORK/voucher-page.html" || fail "page: $(cat "$WORK/voucher-page.html")"
captived_stop || fail "captived did not stop cleanly"
cmp -s "$file" "$WORK/corrupt.json" || fail "the corrupt file was changed"
pass "a corrupt vouchers.json: error naming it, codes and voucher commands refused (exit 1), the file left as it was"
done_ok
