#!/usr/bin/env bash
# RADIUS accounting (RFC 2866; docs/radius.md "Accounting") against
# FreeRADIUS's detail file: alice signs in (Start, with the Acct-Session-Id
# of her Access-Request), downloads a 1 000 000-byte file through the
# gateway, and the Interim-Update (--acct-interval 60s) and the Stop carry
# the bytes the kernel counted: Acct-Output-Octets is the file plus the
# HTTP header plus at most 60 octets of IP and TCP header per packet
# (Acct-Output-Packets), plus what the server sent again (a segment resent
# went through the router twice: counted twice, as RADIUS should; the
# server's TcpRetransSegs says how many), and equals the session end line's
# bytes_down.
# `captivectl revoke` is Stop cause Admin-Reset; the page's logout is
# User-Request. All records of a session carry the same Acct-Session-Id.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/radius-lib.sh"
require
command -v freeradius >/dev/null || fail "freeradius not installed (scripts/install-deps)"
topology_up
services_up
ruleset_up
FILE_SIZE=1000000
head -c "$FILE_SIZE" /dev/urandom >"$WORK/www/blob"

radius_up <<<"$ALICE_AND_BOB"
captived_start --auth radius --radius-server "$UP_V4" --radius-secret-file "$WORK/radius-secret" \
  --radius-timeout 1s --radius-retries 1 --acct-interval 60s --nas-id e2e-gw
signed_in_at=$(date +%s)

result=$(radius_sign_in "$NS_C1" alice 'alice pw')
[ "${result%% *}" = 200 ] || fail "alice answered '$result'"
start=$(acct_wait "$DETAIL" Start 1)
sid=$(acct_value Acct-Session-Id <<<"$start")
[ -n "$sid" ] || fail "Start without Acct-Session-Id: $start"
grep -qF "Acct-Session-Id = \"$sid\"" "$WORK/freeradius-main.log" || fail "the Access-Request had another Acct-Session-Id than $sid"
[ "$(acct_value User-Name <<<"$start")" = alice ] && [ "$(acct_value NAS-Identifier <<<"$start")" = e2e-gw ] &&
  [ "$(acct_value Calling-Station-Id <<<"$start")" = "$(tr 'a-f:' 'A-F-' <<<"$C1_MAC")" ] &&
  [ "$(acct_value Framed-IP-Address <<<"$start")" = "$C1_V4" ] && [ "$(acct_value Acct-Authentic <<<"$start")" = RADIUS ] ||
  fail "Start's attributes: $start"
pass "Start at sign-in, with the Access-Request's Acct-Session-Id $sid, user, NAS-Identifier, MAC, address"

resent_segments() { in_up nstat -asz TcpRetransSegs | awk '$1 == "TcpRetransSegs" {print $2}'; }
resent_before=$(resent_segments)
got=$(in_c1 curl -s --max-time 20 -o /dev/null -w '%{size_download} %{size_header}' "http://$UP_V4/blob") ||
  fail "the download failed: $got"
[ "${got%% *}" = "$FILE_SIZE" ] || fail "downloaded $got"
header=${got##* }
resent=$(($(resent_segments) - resent_before))
interim=$(acct_wait "$DETAIL" Interim-Update 1 75)
out=$(acct_value Acct-Output-Octets <<<"$interim")
pk=$(acct_value Acct-Output-Packets <<<"$interim")
[ "$(acct_value Acct-Session-Id <<<"$interim")" = "$sid" ] || fail "Interim-Update of another session: $interim"
overhead=$((out - FILE_SIZE - header))
[ "$overhead" -gt 0 ] && [ "$overhead" -le $((pk * 60 + resent * 1460)) ] ||
  fail "Interim-Update Acct-Output-Octets $out: $FILE_SIZE + $header header + $overhead for $pk packets, $resent segments resent"
in_octets=$(acct_value Acct-Input-Octets <<<"$interim")
[ "$in_octets" -gt 0 ] && [ "$in_octets" -lt $((FILE_SIZE / 10)) ] || fail "Acct-Input-Octets $in_octets"
st=$(acct_value Acct-Session-Time <<<"$interim")
[ "$st" -ge 55 ] && [ "$st" -le $(($(date +%s) - signed_in_at + 1)) ] || fail "Acct-Session-Time $st"
pass "Interim-Update after 60 s: Acct-Output-Octets $out = the file + $header header + $overhead IP/TCP header over $pk packets ($resent segments resent); input $in_octets"

ctl revoke "$C1_MAC" >/dev/null || fail "revoke"
stop=$(acct_wait "$DETAIL" Stop 1)
end_line=$(grep "session end mac=$C1_MAC" "$WORK/captived.log" | tail -n1)
bytes_down=$(sed -n 's/.* bytes_down=\([0-9]*\).*/\1/p' <<<"$end_line")
[ "$(acct_value Acct-Terminate-Cause <<<"$stop")" = Admin-Reset ] || fail "revoke's Stop: $stop"
[ "$(acct_value Acct-Session-Id <<<"$stop")" = "$sid" ] || fail "Stop of another session: $stop"
[ "$(acct_value Acct-Output-Octets <<<"$stop")" = "$bytes_down" ] && [ "$bytes_down" -ge "$out" ] ||
  fail "Stop Acct-Output-Octets $(acct_value Acct-Output-Octets <<<"$stop"), the end line: $end_line"
pass "revoke: Stop with Admin-Reset and the kernel's count ($bytes_down octets, as the end line)"

result=$(radius_sign_in "$NS_C2" bob 'bob pw')
[ "${result%% *}" = 200 ] || fail "bob answered '$result'"
acct_wait "$DETAIL" Start 2 >/dev/null
page=$(in_c2 curl -s --max-time 5 "http://$GW_V4:$PORTAL_PORT/")
token=$(sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' <<<"$page" | head -n1)
grep -q 'action="/logout"' <<<"$page" && [ -n "$token" ] || fail "bob's page has no logout form"
in_c2 curl -s --max-time 5 -o /dev/null --data-urlencode "token=$token" "http://$GW_V4:$PORTAL_PORT/logout"
stop=$(acct_wait "$DETAIL" Stop 2)
[ "$(acct_value Acct-Terminate-Cause <<<"$stop")" = User-Request ] && [ "$(acct_value User-Name <<<"$stop")" = bob ] ||
  fail "logout's Stop: $stop"
pass "the page's logout: Stop with User-Request"
stat_wait radius.acct.delivered 5 && stat_wait radius.acct.queued 0 || fail "counters: $(ctl stats --json)"
alive "accounting"
done_ok
