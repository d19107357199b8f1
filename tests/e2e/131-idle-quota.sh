#!/usr/bin/env bash
# Limits enforced by captived from the kernel's counters (issue 9, item 3):
# a quota (bytes up plus down) and an idle timeout end sessions, each with
# one `session end` line giving its cause, and the client is intercepted
# again; a session's time running out is swept and logged too, without
# anybody listing. Short values: seconds and kilobytes.
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
ruleset_up
captived_start --session-timeout 2h --idle-timeout 10s --quota 100K

# wait_log PATTERN SECONDS: until captived's log has PATTERN.
wait_log() {
  local i
  for i in $(seq 1 $(($2 * 10))); do
    grep -q "$1" "$WORK/captived.log" && return 0
    sleep 0.1
  done
  return 1
}

for ns in "$NS_C1" "$NS_C2"; do
  result=$(sign_in "$ns" "$GW_V4" "http://$UP_V4/index.html")
  [ "$result" = "303 http://$UP_V4/index.html" ] || fail "sign-in from $ns answered '$result'"
done
signed_in=$(date +%s)
pass "c1 and c2 signed in (idle timeout 10 s, quota 100 KB)"

# c1 sends about 150 KB: over its quota.
in_c1 ping -q -s 1000 -c 150 -i 0.02 -W 1 "$UP_V4" >/dev/null 2>&1 || true
wait_log "session end mac=$C1_MAC .*cause=quota" 12 || fail "c1 over its quota is not ended"
line=$(grep "session end mac=$C1_MAC " "$WORK/captived.log")
[ "$(wc -l <<<"$line")" = 1 ] || fail "more than one end line for c1: $line"
bytes=$(sed -n 's/.* bytes_up=\([0-9]*\) bytes_down=\([0-9]*\).*/\1 \2/p' <<<"$line")
read -r up down <<<"$bytes"
[ $((up + down)) -ge 100000 ] || fail "ended for quota below it: $line"
grep -q "ip=$C1_V4 cause=quota method=click-through duration=[0-9]*s" <<<"$line" || fail "end line lacks fields: $line"
pass "c1 over its quota: one line, cause=quota, $up bytes up, $down down"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 not intercepted after its quota"
in_gw nft list set inet captive allowed | grep -q "$C1_MAC" && fail "c1 still in @allowed"
pass "c1 is intercepted again"

# c2 sends nothing: ended for idleness, not before 10 s. (Its TCP stack may
# still retransmit a FIN of the connection captived answered before the
# sign-in, with backoff, for some seconds: the kernel counts that as
# traffic, so the idle clock starts after it.)
wait_log "session end mac=$C2_MAC .*cause=idle" 50 || fail "idle c2 is not ended"
ended=$(date +%s)
[ $((ended - signed_in)) -ge 10 ] || fail "c2 ended after $((ended - signed_in)) s, before its idle timeout"
pass "idle c2 ended after $((ended - signed_in)) s: cause=idle"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 511 ] || fail "c2 not intercepted after its idle timeout"
pass "c2 is intercepted again"

# Expiry is swept: nobody lists, the end is logged anyway.
captived_stop || fail "captived did not stop cleanly"
captived_start --session-timeout 3s
result=$(sign_in "$NS_C1" "$GW_V4" "http://$UP_V4/index.html")
[ "$result" = "303 http://$UP_V4/index.html" ] || fail "sign-in answered '$result'"
wait_log "session end mac=$C1_MAC .*cause=timeout" 15 || fail "an expired session is not logged"
pass "a session whose time is up is logged by the sweep: cause=timeout"
done_ok
