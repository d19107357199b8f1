#!/usr/bin/env bash
# captivectl user add|passwd|del|list against a running captived: each
# change is written atomically (mode 0600, comments kept) and read by
# captived at once (it asks for a reload); the password comes from stdin
# or a terminal, never the command line.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/auth-lib.sh"
require
topology_up
services_up
ruleset_up
USERS="$WORK/users"
printf '# the venue staff\n' >"$USERS"
chmod 600 "$USERS"
captived_start --auth users --users "$USERS"
uctl() { ctl "$@"; }

printf 'first pw\n' | uctl user add dave --password-stdin >/dev/null || fail "user add"
grep -q '^# the venue staff$' "$USERS" || fail "comment lost: $(cat "$USERS")"
ctl status --json | grep -q "\"users_file\":\"$USERS\"" || fail "status does not name the users file"
result=$(user_sign_in "$NS_C1" dave 'first pw')
[ "${result%% *}" = 200 ] || fail "dave (added while captived runs) answered '$result'"
ctl revoke "$C1_MAC" >/dev/null
pass "user add (no --users: the file captived names); captived takes dave at once"

out=$(uctl user list) || fail "user list"
grep -q '^dave  *-$' <<<"$out" || fail "list: $out"
uctl user list --json | python3 -c 'import json,sys; u=json.load(sys.stdin); assert u==[{"name":"dave","options":""}], u' ||
  fail "list --json"
pass "user list (text and --json)"

printf 'second pw\n' | uctl user passwd dave --password-stdin >/dev/null || fail "user passwd"
sleep 0.6
result=$(user_sign_in "$NS_C1" dave 'first pw')
[ "${result%% *}" = 403 ] || fail "old password answered '$result'"
sleep 0.6
result=$(user_sign_in "$NS_C1" dave 'second pw')
[ "${result%% *}" = 200 ] || fail "new password answered '$result'"
ctl revoke "$C1_MAC" >/dev/null
pass "user passwd: the old password fails, the new one works"

uctl user del dave >/dev/null || fail "user del"
grep -q '^dave:' "$USERS" && fail "dave still in the file"
result=$(user_sign_in "$NS_C1" dave 'second pw')
[ "${result%% *}" = 403 ] || fail "deleted user answered '$result'"
[ "$(stat -c %a "$USERS")" = 600 ] || fail "mode $(stat -c %a "$USERS")"
pass "user del: dave refused at once; file still 0600"

set +e
printf 'x\n' | uctl user add 'bad name' --password-stdin >/dev/null 2>"$WORK/err"; st=$?
[ $st = 2 ] || fail "bad name: exit $st"
printf 'x\n' | uctl user add erin --password-stdin >/dev/null 2>&1
printf 'x\n' | uctl user add erin --password-stdin >/dev/null 2>"$WORK/err"; st=$?
[ $st = 1 ] && grep -q 'already in' "$WORK/err" || fail "second add: exit $st $(cat "$WORK/err")"
uctl user del nobody >/dev/null 2>"$WORK/err"; st=$?
[ $st = 1 ] || fail "del of nobody: exit $st"
uctl user add frank --password-stdin --quota lots </dev/null >/dev/null 2>"$WORK/err"; st=$?
[ $st = 2 ] && grep -q quota "$WORK/err" || fail "bad quota: exit $st $(cat "$WORK/err")"
uctl user add frank </dev/null >/dev/null 2>"$WORK/err"; st=$?
[ $st = 1 ] && grep -q 'no terminal' "$WORK/err" || fail "no tty: exit $st $(cat "$WORK/err")"
uctl user add frank secret </dev/null >/dev/null 2>"$WORK/err"; st=$?
[ $st = 2 ] || fail "password on the command line accepted: exit $st"
set -e
grep -q '^frank:' "$USERS" && fail "frank added without a password"
pass "refusals: bad name (2), duplicate (1), unknown user (1), bad option (2), no tty (1), password as argument (2)"
done_ok
