#!/usr/bin/env bash
# --auth click --auth users: the page shows both forms (no-store, the
# anti-forgery token in each); the right password signs in and the session
# carries the user (captivectl list/show, the state file, the end line);
# a wrong password and an unknown user get the same 403 and the same words.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/auth-lib.sh"
require
topology_up
services_up
ruleset_up
USERS="$WORK/users"
user_add "$USERS" alice 'correct horse'
[ "$(stat -c %a "$USERS")" = 600 ] || fail "users file mode $(stat -c %a "$USERS")"
grep -q 'correct horse' "$USERS" && fail "plaintext password in the users file"
grep -q '^alice:\$argon2id\$v=19\$m=4096,t=2,p=1\$' "$USERS" || fail "not an Argon2id hash with the defaults: $(cat "$USERS")"
pass "captivectl user add: mode 0600, Argon2id (m=4096 KiB, t=2), no plaintext"
captived_start --auth click --auth users --users "$USERS"

headers=$(in_c1 curl -sS -D - -o "$WORK/page.html" --max-time 5 "http://$GW_V4:$PORTAL_PORT/")
grep -qi '^cache-control: no-store' <<<"$headers" || fail "page without no-store: $headers"
[ "$(grep -c 'name="token"' "$WORK/page.html")" = 2 ] || fail "not one token per form: $(cat "$WORK/page.html")"
grep -q 'name="method" value="click"' "$WORK/page.html" || fail "no click-through form"
grep -q 'name="method" value="users"' "$WORK/page.html" || fail "no users form"
grep -q 'type="password" name="password"' "$WORK/page.html" || fail "no password field"
grep -q 'name="accept_terms"' "$WORK/page.html" || fail "no terms checkbox"
pass "page: both forms, each with its token and method; no-store"

result=$(user_sign_in "$NS_C1" alice 'wrong horse')
[ "${result%% *}" = 403 ] || fail "wrong password answered '$result'"
grep -q 'Wrong user name or password' "$WORK/last-login.html" || fail "wrong password page: $(cat "$WORK/last-login.html")"
grep -q 'name="user" [^>]*value="alice"' "$WORK/last-login.html" || fail "the user name typed is not in the form again"
# The pages may differ only in the name typed (shown in its field again).
wrong_page=$(sed -e 's/value="[0-9a-f]*"/value=T/' -e 's/\(name="user" [^>]*\)value="[^"]*"/\1value=NAME/' "$WORK/last-login.html")
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "c1 in after a wrong password"
pass "wrong password: 403, still intercepted"

result=$(user_sign_in "$NS_C2" mallory 'correct horse')
[ "${result%% *}" = 403 ] || fail "unknown user answered '$result'"
unknown_page=$(sed -e 's/value="[0-9a-f]*"/value=T/' -e 's/\(name="user" [^>]*\)value="[^"]*"/\1value=NAME/' "$WORK/last-login.html")
[ "$wrong_page" = "$unknown_page" ] || fail "unknown user and wrong password pages differ: $(diff <(echo "$wrong_page") <(echo "$unknown_page"))"
[ "$(stat_of auth.users.unknown_user)" = 1 ] && [ "$(stat_of auth.users.wrong_password)" = 1 ] ||
  fail "counters: $(ctl stats | grep auth.users)"
pass "unknown user: the same 403 page as a wrong password (counted apart)"

result=$(user_sign_in "$NS_C1" alice 'correct horse')
[ "${result%% *}" = 200 ] || [ "${result%% *}" = 303 ] || fail "right password answered '$result'"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 200 ] || fail "c1 not let through after the right password"
pass "right password: signed in, upstream reachable"

ctl list | grep -q "^$C1_MAC  $C1_V4 .* alice$" || fail "list does not show alice: $(ctl list)"
ctl show "$C1_MAC" | grep -q '^user *alice$' || fail "show: $(ctl show "$C1_MAC")"
ctl show "$C1_MAC" | grep -q '^method *user$' || fail "show method: $(ctl show "$C1_MAC")"
pass "captivectl list and show: user alice, method user"

# The state file keeps the user over a restart.
captived_stop
python3 - "$STATE_DIR/sessions.json" <<'PY' || fail "state file: $(cat "$STATE_DIR"/sessions.json)"
import json, sys
s = json.load(open(sys.argv[1]))["sessions"]
assert len(s) == 1 and s[0]["user"] == "alice" and s[0]["method"] == "user", s
PY
captived_start --auth click --auth users --users "$USERS"
ctl list | grep -q "^$C1_MAC .* alice$" || fail "alice lost over the restart: $(ctl list)"
pass "the user survives a restart (state file)"

ctl revoke "$C1_MAC" >/dev/null || fail "revoke"
for _ in $(seq 1 30); do grep -q "session end mac=$C1_MAC" "$WORK/captived.log" && break; sleep 0.1; done
grep "session end mac=$C1_MAC" "$WORK/captived.log" | grep -q "cause=revoke method=user .* user=alice$" ||
  fail "end line: $(grep 'session end' "$WORK/captived.log")"
pass "the session-end line names the user"
done_ok
