#!/usr/bin/env bash
# Operator templates with hostile values (issue 12, items 4 and 8;
# docs/templates.md): a --templates directory replaces the 511 body, adds
# to the English messages and brings a logo; a site name full of markup
# and a voucher code / user name typed as markup come back escaped (text
# and attributes), in the 511 rendered on the packet path and in the
# portal's pages. A broken template on reload keeps the pages running (the
# log names file and line); fixed, the next reload takes it; at start a
# broken template refuses to run.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/voucher-lib.sh"
require
topology_up
services_up
ruleset_up

TPL=$WORK/templates
mkdir -p "$TPL/messages"
cat >"$TPL/511.html" <<'HTML'
<!DOCTYPE html>
<html lang="{{lang}}"><head><meta charset="utf-8"><title>{{@511.heading}}</title></head>
<body><h1 title="{{site_name}}">{{site_name}}</h1><p>{{@511.text}}</p>
<p><a href="{{link}}">{{@511.link}}</a></p></body></html>
HTML
printf '511.text = Custom 511 of {site_name}.\n' >"$TPL/messages/en.txt"
# A 1x1 PNG.
python3 -c 'import base64,sys; sys.stdout.buffer.write(base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="))' >"$TPL/logo.png"
# A link out of the directory is never read (a page that names it is refused).
echo 'secret' >"$WORK/outside.txt"
ln -s "$WORK/outside.txt" "$TPL/outside.html"
chmod -R a+rX "$TPL"

SITE='<script>alert("site")</script> Caf'"'"'e "Zur Post" & Bar'
# The abuse limits from flags too (issue 12, item 5): no delay, locked out
# at the second wrong code.
captived_start --auth voucher --auth click --templates "$TPL" --site-name "$SITE" --auth-delay 0 --auth-lockout-after 2
grep -q "templates: $TPL (languages: en de es fr; logo /logo.png)" "$WORK/captived.log" ||
  fail "no templates line in the log: $(grep templates "$WORK/captived.log")"

# The 511, rendered on the packet path from 511.html.
answer=$(in_c1 curl -s --max-time 5 "http://$UP_V4/some/page")
grep -q 'Custom 511 of &lt;script&gt;alert(&quot;site&quot;)&lt;/script&gt; Caf&#39;e &quot;Zur Post&quot; &amp; Bar.' <<<"$answer" ||
  fail "511 not from the template, or the site name not escaped: $answer"
grep -q '<h1 title="&lt;script&gt;alert(&quot;site&quot;)&lt;/script&gt; Caf&#39;e &quot;Zur Post&quot; &amp; Bar">' <<<"$answer" ||
  fail "site name not attribute-escaped in the 511: $answer"
grep -q '<script>' <<<"$answer" && fail "an unescaped <script> in the 511: $answer"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "the answer is not a 511"
pass "the 511 comes from 511.html on the packet path, the hostile site name escaped in text and attribute"

# The sign-in page (built-in signin.html) with the hostile site name.
query=$(sed -n 's/.*<a href="[^"?]*?\([^"]*\)".*/\1/p' <<<"$answer" | head -n1 | sed 's/&amp;/\&/g')
page=$(in_c1 curl -sS --max-time 5 "http://$GW_V4:$PORTAL_PORT/?$query") || fail "sign-in page: $page"
grep -q '<script>' <<<"$page" && fail "an unescaped <script> in the sign-in page"
grep -q 'Caf&#39;e &quot;Zur Post&quot; &amp; Bar' <<<"$page" || fail "site name not escaped on the page"
grep -q '<img src="/logo.png" alt="">' <<<"$page" || fail "no logo on the page"
[ "$(grep -c 'action="/login"' <<<"$page")" = 2 ] || fail "two forms expected (voucher, click)"
pass "sign-in page: site name escaped, the logo, one form per backend"

# The logo, served by the portal.
in_c1 curl -sS --max-time 5 -D "$WORK/logo.headers" -o "$WORK/logo.got" "http://$GW_V4:$PORTAL_PORT/logo.png" ||
  fail "logo not served"
cmp -s "$WORK/logo.got" "$TPL/logo.png" || fail "the logo served is not the file"
grep -qi '^content-type: image/png' "$WORK/logo.headers" || fail "logo content type: $(cat "$WORK/logo.headers")"
grep -qi '^x-content-type-options: nosniff' "$WORK/logo.headers" || fail "logo without nosniff"
pass "the logo is served at /logo.png as image/png, nosniff"

# A code typed as markup comes back escaped in the field's value attribute.
HOSTILE='"><script>alert(1)</script><input value="'
result=$(voucher_sign_in "$NS_C1" "$HOSTILE")
[ "${result%% *}" = 403 ] || fail "a hostile code answered $result"
grep -q '<script>' "$WORK/voucher-page.html" && fail "the code came back unescaped: $(grep -n script "$WORK/voucher-page.html")"
grep -q 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;input value=&quot;" required>' "$WORK/voucher-page.html" ||
  fail "the code is not echoed escaped: $(grep -n 'name="code"' "$WORK/voucher-page.html")"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 got in with markup for a code"
pass "a code typed as markup is echoed escaped in the value attribute; nobody got in"

# --auth-lockout-after 2: the second wrong code locks c1 out (429), said in
# the page's language.
start=$(date +%s%N)
result=$(voucher_sign_in "$NS_C1" "ACDE-FG34-HJ")
[ "${result%% *}" = 429 ] || fail "the second wrong code answered $result, not 429 (--auth-lockout-after 2)"
[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 2000 ] || fail "the answer was held back despite --auth-delay 0"
[ "$(stat_of auth.lockouts)" = 1 ] || fail "auth.lockouts: $(stat_of auth.lockouts)"
page=$(in_c1 curl -sS --max-time 5 -H 'Accept-Language: de' -o - -w '%{http_code}' \
  --data-urlencode "method=voucher" --data-urlencode "code=X" "http://$GW_V4:$PORTAL_PORT/login")
grep -q 'Dieses Formular ist abgelaufen' <<<"$page" || fail "the refusal is not in German: $page"
pass "--auth-delay 0 --auth-lockout-after 2: locked out at the second wrong code, at once; refusals in the page's language"

# Reload with a broken template: the old pages stay, the log names file and line.
printf '{{>head.html}}\n<p>{{nope}}</p>\n{{>foot.html}}\n' >"$TPL/signin.html"
kill -HUP "$CAPTIVED_PID"
for _ in $(seq 1 50); do grep -q 'keeping the pages loaded before' "$WORK/captived.log" && break; sleep 0.1; done
grep -q "templates: $TPL/signin.html:2: unknown variable {{nope}}; keeping the pages loaded before" "$WORK/captived.log" ||
  fail "no error naming file and line: $(grep -i templates "$WORK/captived.log" | tail -n 3)"
alive "after a reload with a broken template"
page=$(in_c1 curl -sS --max-time 5 "http://$GW_V4:$PORTAL_PORT/") || fail "sign-in page after the broken reload"
grep -q 'name="code"' <<<"$page" || fail "the old sign-in page is gone: $page"
pass "a broken template on reload: error with file and line, the old pages keep running"

printf '{{>head.html}}<h1>Version two</h1>{{forms}}{{>foot.html}}\n' >"$TPL/signin.html"
before=$(grep -c 'SIGHUP: reloading' "$WORK/captived.log")
kill -HUP "$CAPTIVED_PID"
for _ in $(seq 1 50); do [ "$(grep -c "templates: $TPL (" "$WORK/captived.log")" -ge 2 ] && break; sleep 0.1; done
page=$(in_c1 curl -sS --max-time 5 "http://$GW_V4:$PORTAL_PORT/") || fail "sign-in page after the good reload"
grep -q '<h1>Version two</h1>' <<<"$page" || fail "the fixed template was not taken: $page"
grep -q 'name="code"' <<<"$page" || fail "the forms are gone from version two"
[ "$(grep -c 'SIGHUP: reloading' "$WORK/captived.log")" -gt "$before" ] || fail "no reload logged"
pass "fixed and reloaded: the new sign-in page is served"

captived_stop || fail "captived did not stop cleanly"

# At start a broken template refuses to run, naming file and line; so does
# an include of a link out of the directory.
printf '{{>head.html}}{{#notice}}\n' >"$TPL/signin.html"
status=0
in_gw timeout 10 "$CAPTIVED" --lan br0 --state-dir "$STATE_DIR" --socket "$SOCKET" --portal-port "$PORTAL_PORT" \
  --ruleset "$SANDBOX_ROOT/nft/captive.nft" --templates "$TPL" >"$WORK/bad-start.log" 2>&1 || status=$?
[ "$status" != 0 ] && [ "$status" != 124 ] || fail "captived ran with a broken template (status $status)"
grep -q "$TPL/signin.html:1: {{#notice}} is never closed" "$WORK/bad-start.log" ||
  fail "the start error does not name file and line: $(tail -n 3 "$WORK/bad-start.log")"
printf '{{>head.html}}{{>outside.html}}{{>foot.html}}\n' >"$TPL/signin.html"
status=0
in_gw timeout 10 "$CAPTIVED" --lan br0 --state-dir "$STATE_DIR" --socket "$SOCKET" --portal-port "$PORTAL_PORT" \
  --ruleset "$SANDBOX_ROOT/nft/captive.nft" --templates "$TPL" >"$WORK/bad-start.log" 2>&1 || status=$?
[ "$status" != 0 ] && [ "$status" != 124 ] || fail "captived ran with an include out of the directory"
grep -q 'outside.html: a link out of the templates directory (refused)' "$WORK/bad-start.log" ||
  fail "the link out was not refused: $(tail -n 3 "$WORK/bad-start.log")"
grep -q secret "$WORK/bad-start.log" && fail "the outside file's text leaked"
status=0
"$CAPTIVED" --check-config --lan br0 --templates "$TPL" >"$WORK/check.log" 2>&1 || status=$?
[ "$status" = 2 ] && grep -q 'a link out of the templates directory' "$WORK/check.log" ||
  fail "--check-config passed a broken templates directory (status $status): $(cat "$WORK/check.log")"
pass "at start and in --check-config: a broken template or a link out of the directory is refused, naming the file"
done_ok
