# Helpers of the voucher scenarios (210-219), sourced after lib.sh.

# Signs a client in with a voucher code through the real form, as a
# browser does: GET the page (its token), POST method=voucher&code=CODE.
# Prints "STATUS LOCATION"; the page's body is left in $WORK/voucher-page.html.
voucher_sign_in() {  # voucher_sign_in NS CODE
  local ns=$1 code=$2 url=http://$UP_V4/ page token query
  query=$(ip netns exec "$ns" curl -s --max-time 5 "$url" 2>/dev/null |
    sed -n 's/.*<a href="[^"?]*?\([^"]*\)".*/\1/p' | head -n1 | sed 's/&amp;/\&/g')
  [ -n "$query" ] || fail "no sign-in link in the 511 for $ns (already signed in?)"
  page=$(ip netns exec "$ns" curl -sS --max-time 5 "http://$GW_V4:$PORTAL_PORT/?$query" 2>&1) ||
    fail "sign-in page not reachable from $ns: $page"
  grep -q 'name="code"' <<<"$page" || fail "the sign-in page has no voucher field: $page"
  token=$(sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' <<<"$page" | head -n1)
  [ -n "$token" ] || fail "no token in the sign-in page: $page"
  ip netns exec "$ns" curl -sS --max-time 10 -o "$WORK/voucher-page.html" -w '%{http_code} %{redirect_url}' \
    --data-urlencode "token=$token" --data-urlencode "url=$url" --data-urlencode "method=voucher" \
    --data-urlencode "code=$code" "http://$GW_V4:$PORTAL_PORT/login"
}

# The first code of `captivectl voucher create ...`.
new_voucher() {  # new_voucher CREATE-OPTIONS...
  local codes
  codes=$(ctl voucher create --count 1 "$@") || fail "voucher create $*: $codes"
  head -n1 <<<"$codes"
}

# A field of `captivectl voucher show CODE --json`.
voucher_field() {  # voucher_field CODE FIELD
  ctl voucher show "$1" --json | python3 -c 'import json,sys; v = json.load(sys.stdin)[sys.argv[1]]; print(" ".join(v) if isinstance(v, list) else v)' "$2"
}

# The signed-in client with this MAC, as `captivectl list --json` shows it ({} if none).
client_json() {  # client_json MAC
  ctl list --json | python3 -c 'import json,sys; print(json.dumps(next((c for c in json.load(sys.stdin) if c["mac"] == sys.argv[1]), {})))' "$1"
}
