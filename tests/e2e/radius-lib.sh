# Helpers of the RADIUS scenarios (230-239): a real FreeRADIUS (Debian's
# `freeradius` 3.2) with a configuration written here, in the upstream
# namespace. Sourced after lib.sh (and auth-lib.sh).
RADIUS_SECRET='e2e radius secret'
RADIUS_LIB="$(dirname "${BASH_SOURCE[0]}")"

# Writes a minimal raddb into DIR: the dictionaries Debian ships, one
# client (the gateway, Message-Authenticator required), the files module
# reading DIR/users, PAP, and a listener on ADDR ports 1812/1813.
# Only those modules: FreeRADIUS starts in well under a second.
radius_config() {  # radius_config DIR ADDR CLIENT_ADDR
  local dir=$1 addr=$2 client=$3
  mkdir -p "$dir/run" "$dir/log"
  printf '%s\n' '$INCLUDE /usr/share/freeradius/dictionary' > "$dir/dictionary"
  cat > "$dir/radiusd.conf" <<CONF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = $dir/log
raddbdir = $dir
radacctdir = $dir/log
name = freeradius
confdir = $dir
modconfdir = $dir
certdir = $dir
cadir = $dir
run_dir = $dir/run
db_dir = $dir
libdir = /usr/lib/freeradius
pidfile = $dir/run/radiusd.pid
max_request_time = 5
cleanup_delay = 1
max_requests = 256
hostname_lookups = no
log {
  destination = files
  file = $dir/log/radius.log
  auth = yes
  auth_badpass = no
  auth_goodpass = no
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}
thread pool {
  start_servers = 1
  max_servers = 2
  min_spare_servers = 1
  max_spare_servers = 2
  max_requests_per_server = 0
}
client gateway {
  ipaddr = $client
  secret = "$RADIUS_SECRET"
  require_message_authenticator = yes
  nas_type = other
}
modules {
  files {
    filename = $dir/users
  }
  pap {
  }
  detail {
    filename = $dir/log/detail
    permissions = 0600
    header = "%t"
  }
}
server default {
  listen {
    type = auth
    ipaddr = $addr
    port = 1812
  }
  listen {
    type = acct
    ipaddr = $addr
    port = 1813
  }
  authorize {
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
  }
  preacct {
  }
  accounting {
    detail
  }
  # FreeRADIUS before 3.2.5 signs an answer with a Message-Authenticator
  # only when the reply holds one: captive drops answers without it
  # (RFC 3579 §3.2, Blast-RADIUS; docs/radius.md).
  post-auth {
    update reply {
      Message-Authenticator := 0x00
    }
    Post-Auth-Type REJECT {
      update reply {
        Message-Authenticator := 0x00
      }
    }
  }
}
CONF
}

# Starts freeradius (foreground, debug log in $WORK/freeradius-NAME.log) in
# namespace NS with the raddb DIR, and waits until it is ready.
radius_start() {  # radius_start NS DIR NAME
  local ns=$1 dir=$2 name=$3
  spawn "$ns" "$WORK/freeradius-$name.log" freeradius -X -d "$dir"
  for _ in $(seq 1 100); do
    grep -q 'Ready to process requests' "$WORK/freeradius-$name.log" 2>/dev/null && return 0
    grep -q -E 'Failed|[Ee]rror' "$WORK/freeradius-$name.log" 2>/dev/null && break
    sleep 0.1
  done
  fail "freeradius $name did not start: $(tail -n 20 "$WORK/freeradius-$name.log")"
}

# The usual server: a raddb in $WORK/raddb (RADDB; DETAIL is its detail
# file) for the gateway's upstream address 198.51.100.1, listening on
# $UP_V4, with the users file read from stdin, started in the upstream
# namespace as "main"; and the shared secret in $WORK/radius-secret for
# --radius-secret-file.
radius_up() {  # radius_up < USERS
  RADDB="$WORK/raddb"
  DETAIL="$RADDB/log/detail"
  radius_config "$RADDB" "$UP_V4" 198.51.100.1
  cat > "$RADDB/users"
  radius_start "$NS_UP" "$RADDB" main
  printf '%s\n' "$RADIUS_SECRET" > "$WORK/radius-secret"
  chmod 600 "$WORK/radius-secret"
}

# Two users, alice and bob (passwords "alice pw", "bob pw"), for an hour.
ALICE_AND_BOB='alice	Cleartext-Password := "alice pw"
	Session-Timeout = 3600
bob	Cleartext-Password := "bob pw"
	Session-Timeout = 3600'

# Signs in through the RADIUS form (method=radius). Prints "STATUS LOCATION";
# the page is in $WORK/last-login.html.
radius_sign_in() {  # radius_sign_in NS NAME PASSWORD
  local ns=$1 name=$2 password=$3 page token
  page=$(ip netns exec "$ns" curl -sS --max-time 10 "http://$GW_V4:$PORTAL_PORT/" 2>&1) ||
    fail "sign-in page not reachable from $ns: $page"
  token=$(sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' <<<"$page" | head -n1)
  [ -n "$token" ] || fail "no token in the sign-in page: $page"
  ip netns exec "$ns" curl -sS --max-time 30 -o "$WORK/last-login.html" -w '%{http_code} %{redirect_url}' \
    --data-urlencode "token=$token" --data-urlencode "method=radius" --data-urlencode "user=$name" \
    --data-urlencode "password=$password" "http://$GW_V4:$PORTAL_PORT/login"
}

# The same with the voucher form (--radius-vouchers): field `code`.
radius_voucher_sign_in() {  # radius_voucher_sign_in NS CODE
  local ns=$1 code=$2 page token
  page=$(ip netns exec "$ns" curl -sS --max-time 10 "http://$GW_V4:$PORTAL_PORT/" 2>&1) ||
    fail "sign-in page not reachable from $ns: $page"
  token=$(sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' <<<"$page" | head -n1)
  [ -n "$token" ] || fail "no token in the sign-in page: $page"
  ip netns exec "$ns" curl -sS --max-time 30 -o "$WORK/last-login.html" -w '%{http_code} %{redirect_url}' \
    --data-urlencode "token=$token" --data-urlencode "method=radius" --data-urlencode "code=$code" \
    "http://$GW_V4:$PORTAL_PORT/login"
}

# The records of FreeRADIUS's detail file (module `detail` above), one JSON
# object a line in the order written, the attribute values unquoted; with
# STATUS only those of that Acct-Status-Type (Start, Interim-Update, Stop).
acct_records() {  # acct_records DETAIL_FILE [STATUS]
  python3 - "$1" "${2:-}" <<'PY'
import json, sys
try:
    text = open(sys.argv[1]).read()
except FileNotFoundError:
    text = ""
for block in text.split("\n\n"):
    rec = {}
    for line in block.splitlines():
        if line.startswith("\t") and " = " in line:
            k, v = line.strip().split(" = ", 1)
            rec[k] = v.strip('"')
    if rec and (not sys.argv[2] or rec.get("Acct-Status-Type") == sys.argv[2]):
        print(json.dumps(rec))
PY
}

# Waits (up to SECONDS, default 10) until the detail file holds N records
# of STATUS; prints the last of them.
acct_wait() {  # acct_wait DETAIL_FILE STATUS N [SECONDS]
  local file=$1 status=$2 n=$3 limit=${4:-10} end
  end=$(($(date +%s) + limit))
  while [ "$(date +%s)" -le "$end" ]; do
    [ "$(acct_records "$file" "$status" | wc -l)" -ge "$n" ] && { acct_records "$file" "$status" | tail -n1; return 0; }
    sleep 0.2
  done
  fail "no $n $status record(s) after ${limit}s: $(acct_records "$file" | tail -n 5)"
}

# A value of a record (JSON on stdin).
acct_value() { python3 -c "import json,sys; print(json.load(sys.stdin).get('$1', ''))"; }

# Waits (up to 5 s) until captived's counter NAME is VALUE (the server writes
# its detail file before it answers: the counter may follow a moment later).
stat_wait() {  # stat_wait NAME VALUE
  for _ in $(seq 1 50); do [ "$(stat_of "$1")" = "$2" ] && return 0; sleep 0.1; done
  return 1
}
