#!/usr/bin/env bash
# -Dmulticall=true (router builds): captivectl is a symbolic link to
# captived, and the program is the one named by argv[0]. Runs the
# multi-call binary through links named captived and captivectl and the
# separate executables with the same arguments, and checks that the output,
# the errors and the exit status are the same: --help, usage errors, every
# captivectl command against a stand-in control socket (python3: canned
# answers for list and stats, an error for the rest), the users file
# commands, and captived's --help, --version and --check-config.
# Usage: multicall.sh MULTICALL CAPTIVED CAPTIVECTL
set -euo pipefail
multicall=$(realpath "$1") captived=$(realpath "$2") captivectl=$(realpath "$3")
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok - $*"; }

dir=$(mktemp -d /tmp/captive-multicall.XXXXXX)
server=
cleanup() { [ -z "$server" ] || kill "$server" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
mkdir "$dir/bin"
ln -s "$multicall" "$dir/bin/captived"
ln -s "$multicall" "$dir/bin/captivectl"

# The stand-in daemon: one JSON line in, one out (control/protocol.hpp).
sock=$dir/control.sock
python3 - "$sock" <<'PY' &
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(8)
client = {"mac": "02:00:00:00:00:01", "ip": "192.0.2.10", "signed_in_at": 1700000000,
          "expires_at": None, "method": "click", "user": "", "bytes_up": 1, "bytes_down": 2}
while True:
    c, _ = s.accept()
    f = c.makefile("rwb")
    for line in f:
        cmd = json.loads(line).get("cmd", "")
        if cmd == "list":
            answer = {"ok": True, "clients": [client], "seen": [{"mac": "02:00:00:00:00:02", "ip": "192.0.2.11"}]}
        elif cmd == "stats":
            answer = {"ok": True, "stats": {"responder.syn_ack": 12, "portal.requests": 3}}
        else:
            answer = {"ok": False, "error": "stand-in: no " + cmd}
        f.write((json.dumps(answer) + "\n").encode()); f.flush()
    c.close()
PY
server=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "FAIL: the stand-in control socket did not appear" >&2; exit 1; }

users=$dir/users
printf 'alice:$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA:idle=600\n' >"$users"
conf=$dir/bad.conf
printf 'no-such-key = 1\n' >"$conf"

# same PROGRAM ARGS...: the link and the separate executable agree.
same() {
  local prog=$1; shift
  local real=$captivectl
  [ "$prog" = captived ] && real=$captived
  local a_rc=0 b_rc=0
  (cd "$dir" && "$dir/bin/$prog" "$@") >"$dir/a.out" 2>"$dir/a.err" </dev/null || a_rc=$?
  (cd "$dir" && "$real" "$@") >"$dir/b.out" 2>"$dir/b.err" </dev/null || b_rc=$?
  if [ $a_rc -ne $b_rc ]; then
    fail "$prog $*: exit $a_rc through the link, $b_rc separate"
  elif ! cmp -s "$dir/a.out" "$dir/b.out" || ! cmp -s "$dir/a.err" "$dir/b.err"; then
    fail "$prog $*: output differs: $(diff "$dir/a.out" "$dir/b.out" | head -5) $(diff "$dir/a.err" "$dir/b.err" | head -5)"
  else
    ok "$prog $* (exit $a_rc)"
  fi
}

# captivectl --help is captivectl's, not captived's.
"$dir/bin/captivectl" --help | grep -q '^Usage: captivectl' &&
  ok "the link named captivectl prints captivectl's usage" ||
  fail "captivectl --help through the link: $("$dir/bin/captivectl" --help 2>&1 | head -2)"

same captivectl --help
same captivectl
same captivectl no-such-command
same captivectl --no-such-option list
same captivectl --socket "$dir/absent.sock" status
s=(--socket "$sock")
same captivectl "${s[@]}" list
same captivectl "${s[@]}" list --all
same captivectl "${s[@]}" --json list
same captivectl "${s[@]}" stats
same captivectl "${s[@]}" --json stats
same captivectl "${s[@]}" status
same captivectl "${s[@]}" show 02:00:00:00:00:01
same captivectl "${s[@]}" allow 02:00:00:00:00:01 --for 1h --ip 192.0.2.10
same captivectl "${s[@]}" revoke 192.0.2.10
same captivectl "${s[@]}" extend 02:00:00:00:00:01 600
same captivectl "${s[@]}" reload
same captivectl "${s[@]}" trust 02:00:00:00:00:01
same captivectl "${s[@]}" block 02:00:00:00:00:01
same captivectl "${s[@]}" untrust 02:00:00:00:00:01
same captivectl "${s[@]}" unblock 02:00:00:00:00:01
same captivectl "${s[@]}" lists
same captivectl "${s[@]}" doctor 02:00:00:00:00:01
same captivectl "${s[@]}" voucher create --count 2 --duration 1h
same captivectl "${s[@]}" voucher list
same captivectl "${s[@]}" voucher show ABCD
same captivectl "${s[@]}" voucher revoke ABCD
same captivectl "${s[@]}" voucher
same captivectl "${s[@]}" revoke not-an-address
same captivectl "${s[@]}" list --for 1h
same captivectl user list --users "$users"
same captivectl user del nobody --users "$users"
same captivectl user
same captived --help
same captived --version
same captived --check-config --config "$conf"
same captived --no-such-option

[ $fails -eq 0 ] || { echo "$fails failed" >&2; exit 1; }
