# Helpers of the sign-in backend scenarios (200-209): sourced after lib.sh.

# A user into FILE with captivectl (password from stdin), captived not asked.
user_add() {  # user_add FILE NAME PASSWORD [captivectl options...]
  local file=$1 name=$2 password=$3
  shift 3
  printf '%s\n' "$password" | "$CAPTIVECTL" --socket "$WORK/none.sock" --users "$file" --password-stdin \
    user add "$name" "$@" >/dev/null 2>&1 || fail "captivectl user add $name failed"
}

# Signs in through the users form: GET the page, take its token, POST
# method=users with the name and password. Prints "STATUS LOCATION".
user_sign_in() {  # user_sign_in NS NAME PASSWORD
  local ns=$1 name=$2 password=$3 page token
  page=$(ip netns exec "$ns" curl -sS --max-time 10 "http://$GW_V4:$PORTAL_PORT/" 2>&1) ||
    fail "sign-in page not reachable from $ns: $page"
  token=$(sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' <<<"$page" | head -n1)
  [ -n "$token" ] || fail "no token in the sign-in page: $page"
  ip netns exec "$ns" curl -sS --max-time 30 -o "$WORK/last-login.html" -w '%{http_code} %{redirect_url}' \
    --data-urlencode "token=$token" --data-urlencode "method=users" --data-urlencode "user=$name" \
    --data-urlencode "password=$password" "http://$GW_V4:$PORTAL_PORT/login"
}
