#!/usr/bin/env bash
# An unsigned client's HTTP is answered by captived itself with an RFC 6585
# 511, over IPv4 and IPv6, and never reaches the upstream server.
source "$(dirname "$0")/lib.sh"
require
topology_up
services_up
ruleset_up
captived_start

check_511() {  # check_511 FAMILY URL
  local family=$1 url=$2 out="$WORK/511-$1"
  ip netns exec "$NS_C1" curl -sS --max-time 5 -D "$out.headers" -o "$out.body" "$url" ||
    fail "$family: no answer to $url"
  local headers body
  headers=$(tr -d '\r' <"$out.headers")
  body=$(cat "$out.body")
  head -n1 <<<"$headers" | grep -qx 'HTTP/1.1 511 Network Authentication Required' ||
    fail "$family: status line: $(head -n1 <<<"$headers")"
  grep -qix 'Content-Type: text/html; charset=UTF-8' <<<"$headers" || fail "$family: Content-Type: $headers"
  grep -qix 'Cache-Control: no-store' <<<"$headers" || fail "$family: Cache-Control: $headers"
  grep -qix 'Connection: close' <<<"$headers" || fail "$family: Connection: $headers"
  local length
  length=$(sed -n 's/^[Cc]ontent-[Ll]ength: *//p' <<<"$headers")
  [ "$length" = "$(stat -c %s "$out.body")" ] || fail "$family: Content-Length $length, body $(stat -c %s "$out.body") bytes"
  pass "$family: 511 with text/html, no-store, close, Content-Length $length"
  local encoded portal_link
  encoded=$(urlencode "$url")
  # The URL travels with its signature (16 hex digits, docs/security.md).
  grep -q "<meta http-equiv=\"refresh\" content=\"0; url=[^\"]*?url=$encoded&amp;sig=[0-9a-f]\{16\}\"" <<<"$body" ||
    fail "$family: no meta refresh carrying the original URL and its signature: $body"
  portal_link=$(sed -n 's/.*<a href="\([^"]*\)".*/\1/p' <<<"$body" | head -n1)
  case "$portal_link" in
    "$3?url=$encoded&amp;sig="????????????????) pass "$family: body links to $portal_link" ;;
    *) fail "$family: link is '$portal_link', want '$3?url=$encoded&amp;sig=<16 hex digits>'" ;;
  esac
  # The link works: it is the sign-in page.
  local page_status
  page_status=$(http_status "$NS_C1" "$(sed 's/&amp;/\&/g' <<<"$portal_link")")
  [ "$page_status" = 200 ] || fail "$family: sign-in page link answered $page_status"
  pass "$family: the link opens the sign-in page"
}

check_511 IPv4 "http://$UP_V4/some/path?x=1" "http://$GW_V4:$PORTAL_PORT/"
check_511 IPv6 "http://[$UP_V6]/v6/path" "http://[$GW_V6]:$PORTAL_PORT/"

# A Host name travels into the original URL.
body=$(in_c1 curl -sS --max-time 5 -H 'Host: www.example.com' "http://$UP_V4/news?id=7")
grep -q "url=$(urlencode 'http://www.example.com/news?id=7')" <<<"$body" || fail "Host not in the original URL: $body"
pass "Host header becomes the original URL"

# Many connections in a row all answered (stateless: nothing to run out of).
for i in $(seq 1 50); do
  [ "$(http_status "$NS_C1" "http://$UP_V4/n$i")" = 511 ] || fail "request $i was not answered with 511"
done
pass "50 connections in a row answered with 511"

# The counters saw it: every request answered, nothing dropped for lack of room.
stats=$(ctl stats --json) || fail "captivectl stats failed"
python3 - "$stats" <<'PY' || fail "stats: $stats"
import json, sys
s = json.loads(sys.argv[1])
assert s["responder.answered"] >= 53, s          # 2 + 1 + 50 requests
assert s["responder.syn_ack"] >= 53, s
# SYN, request, FIN: the two pure ACKs of each connection are not queued.
assert 3 * 53 <= s["queue.packets"] < 4 * 53, s
assert s["responder.ignored_ack"] == 0, s
assert s["inject.frames_sent"] >= 2 * 53, s
for zero in ("queue.enobufs", "inject.send_errors", "queue.verdict_errors", "queue.no_hwaddr"):
    assert s[zero] == 0, (zero, s)
PY
pass "captivectl stats: answers, SYN-ACKs, frames counted; pure ACKs not queued; no drops"

# None of it reached the upstream server.
if grep -q 'request from' "$WORK/http80.log"; then fail "upstream saw requests: $(cat "$WORK/http80.log")"; fi
pass "upstream saw no request"
captived_stop || fail "captived did not exit cleanly on SIGTERM"
if queue_rule_present; then fail "queue rule still there after SIGTERM"; fi
pass "SIGTERM: clean exit, queue rule removed"
done_ok
