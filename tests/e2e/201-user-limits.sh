#!/usr/bin/env bash
# A user entry's own session time, quota and rates override captived's
# defaults: bob (time=6s, quota=5M, rate-down=8mbit) gets them, alice (no
# options) gets --session-timeout 2h; bob's session ends by itself.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/auth-lib.sh"
require
topology_up
services_up
ruleset_up
USERS="$WORK/users"
user_add "$USERS" alice 'alice pw'
user_add "$USERS" bob 'bob pw' --for 6s --quota 5M --rate-down 8mbit
grep -q '^bob:\$argon2id\$[^:]*:time=6s,quota=5M,rate-down=8mbit$' "$USERS" || fail "bob's line: $(cat "$USERS")"
pass "captivectl user add writes the options"
captived_start --auth users --users "$USERS" --session-timeout 2h

result=$(user_sign_in "$NS_C1" bob 'bob pw')
[ "${result%% *}" = 200 ] || fail "bob answered '$result'"
result=$(user_sign_in "$NS_C2" alice 'alice pw')
[ "${result%% *}" = 200 ] || fail "alice answered '$result'"
json=$(ctl list --json) || fail "list --json"
python3 - "$json" "$C1_MAC" "$C2_MAC" <<'PY' || fail "list --json: $json"
import json, sys
clients = {c["mac"]: c for c in json.loads(sys.argv[1])}
bob, alice = clients[sys.argv[2]], clients[sys.argv[3]]
assert bob["user"] == "bob" and alice["user"] == "alice", clients
assert 0 < bob["expires_at"] - bob["signed_in_at"] <= 7, bob
assert bob["quota_bytes"] == 5_000_000, bob
assert 7000 < alice["expires_at"] - alice["signed_in_at"] <= 7200, alice
assert alice["quota_bytes"] is None, alice
PY
pass "bob: 6 s and 5 MB of his own; alice: captived's 2 h, no quota"
# The set is keyed by the session's mark: one element, bob's (alice has none).
elements=$(in_gw nft list set inet captive rate_down | grep -o 'limit rate over [0-9]* bytes/second timeout' | sort | uniq -c)
[ "$(awk '{print $1, $5}' <<<"$elements")" = "1 1000000" ] || fail "rate_down elements: $(in_gw nft list set inet captive rate_down)"
pass "bob's 8mbit rate is in the kernel"

for _ in $(seq 1 150); do grep -q "session end mac=$C1_MAC" "$WORK/captived.log" && break; sleep 0.1; done
grep "session end mac=$C1_MAC" "$WORK/captived.log" | grep -q "cause=timeout method=user .*user=bob$" ||
  fail "bob's session did not end by its time: $(grep 'session end' "$WORK/captived.log")"
[ "$(http_status "$NS_C1" "http://$UP_V4/")" = 511 ] || fail "bob still let through"
[ "$(http_status "$NS_C2" "http://$UP_V4/")" = 200 ] || fail "alice cut too"
pass "bob's session ended after its 6 s (cause=timeout user=bob); alice's goes on"
done_ok
