# Finds a python3 that has scapy (Debian's python3-scapy is installed for
# /usr/bin/python3, which a pyenv or venv python3 earlier on PATH may hide).
# Sourced after lib.sh by the scenarios that send raw packets.
SCAPY_PYTHON=
for candidate in python3 /usr/bin/python3; do
  if "$candidate" -c 'import scapy.all' >/dev/null 2>&1; then
    SCAPY_PYTHON=$(command -v "$candidate")
    break
  fi
done

# Like lib.sh's require, for scapy: a skip (77) normally, a failure under CI=true.
require_scapy() {
  [ -n "$SCAPY_PYTHON" ] && return 0
  local why="needs python3-scapy (run scripts/install-deps)"
  if [ "${CI:-}" = "true" ]; then fail "cannot run: $why"; fi
  log "SKIP: $why"
  exit 77
}
