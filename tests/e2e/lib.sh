# Shared by the end-to-end scenarios. Each scenario builds its own sandbox LAN
# (scripts/lib/sandbox.sh), runs the real ruleset and captived in it, and
# tears everything down on exit, pass or fail. Only documentation addresses,
# only inside namespaces made here; processes are killed by PID, never by name.
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SANDBOX_ROOT=${CAPTIVE_SOURCE:-$(cd "$E2E_DIR/../.." && pwd)}
BUILD_DIR=${CAPTIVE_BUILD:-$SANDBOX_ROOT/build}

# The system's tools first (scripts/install-deps installs them): a version
# manager's python3 shim ahead in PATH (pyenv's takes 0.3 s a start, ten
# times Debian's) would cost minutes over the scenarios' hundreds of starts.
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

SCENARIO=$(basename "$0" .sh)
P=cap$$                        # namespace prefix, unique per run
WORK=$(mktemp -d /tmp/captive-e2e.XXXXXX)
CHECKS=0
source "$SANDBOX_ROOT/scripts/lib/sandbox.sh"

log() { printf '[%s] %s\n' "$SCENARIO" "$*"; }
fail() {
  printf '[%s] FAIL: %s\n' "$SCENARIO" "$*" >&2
  if [ -f "$WORK/captived.log" ]; then
    echo "--- captived log (last 30 lines) ---" >&2
    tail -n 30 "$WORK/captived.log" >&2
  fi
  exit 1
}
pass() { CHECKS=$((CHECKS + 1)); printf '[%s] ok %d - %s\n' "$SCENARIO" "$CHECKS" "$*"; }

# Under CI=true a scenario that cannot run is a failure, never a skip.
require() {
  local why=
  [ "$(id -u)" -eq 0 ] || why="needs root (network namespaces, nftables)"
  for tool in ip nft curl python3 dig dnsmasq; do
    [ -n "$why" ] || command -v "$tool" >/dev/null 2>&1 || why="needs $tool (run scripts/install-deps)"
  done
  [ -n "$why" ] || [ -x "$CAPTIVED" ] || why="captived not built at $CAPTIVED"
  if [ -n "$why" ]; then
    if [ "${CI:-}" = "true" ]; then fail "cannot run: $why"; fi
    log "SKIP: $why"
    exit 77
  fi
}

cleanup() {
  local status=$?
  set +e
  sandbox_down
  if [ $status -eq 0 ]; then rm -rf "$WORK"; else echo "[$SCENARIO] kept $WORK for inspection" >&2; fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

done_ok() { log "PASS ($CHECKS checks)"; }

# captived's counter NAME, from `captivectl stats --json` (0 if absent).
stat_of() { ctl stats --json | python3 -c "import json,sys; print(json.load(sys.stdin).get('$1', 0))"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$CAPTIVED_PID/status"; }
alive() { kill -0 "$CAPTIVED_PID" 2>/dev/null || fail "captived died ($1)"; }
# ASan keeps freed memory in quarantine: RSS bounds only hold in the normal
# build. `sanitized` says which build the scenarios run against.
sanitized=false
# (The options file is one line of JSON that lists every choice of
# b_sanitize, "address" among them: only the value tells.)
if grep -qs '"name": "b_sanitize", "value": "[^"]*address' "$BUILD_DIR/meson-info/intro-buildoptions.json" ||
   grep -aq '__asan_init' "$CAPTIVED" 2>/dev/null; then
  sanitized=true
fi
