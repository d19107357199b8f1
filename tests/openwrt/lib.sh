# Shared by tests/openwrt/*.sh (run under busybox ash, as OpenWrt runs the
# scripts): a scratch root, stand-ins for what OpenWrt has and this machine
# has not (uci, procd's shell API, logger, nft when asked), and assertions.
# CAPTIVE_SOURCE and CAPTIVE_BUILD come from meson (tests/openwrt/meson.build).


: "${CAPTIVE_SOURCE:?run through meson test (CAPTIVE_SOURCE)}"
: "${CAPTIVE_BUILD:?run through meson test (CAPTIVE_BUILD)}"
PKG="$CAPTIVE_SOURCE/openwrt/captive"
HERE="$CAPTIVE_SOURCE/tests/openwrt"
T="$(mktemp -d /tmp/captive-openwrt.XXXXXX)"
trap 'rm -rf "$T"' EXIT
FAILURES=0

fail() {
	echo "FAIL: $*" >&2
	FAILURES=$((FAILURES + 1))
}
ok() { echo "ok: $*"; }

assert_eq() { # WHAT EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected [$2], got [$3]"; fi
}
assert_files_eq() { # WHAT EXPECTED_FILE ACTUAL_FILE
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		fail "$1: differs from $2:"
		diff -u "$2" "$3" >&2
	fi
}
assert_contains() { # WHAT FILE LINE (a whole line, fixed string)
	if grep -qxF -- "$3" "$2"; then ok "$1"; else fail "$1: no line [$3] in $2:"; cat "$2" >&2; fi
}
assert_lacks() { # WHAT FILE LINE-PATTERN (extended regex)
	if grep -qE -- "$3" "$2"; then fail "$1: [$3] found in $2:"; cat "$2" >&2; else ok "$1"; fi
}
SKIPPED=0
# A skipped part is a failure under CI=true (as the e2e scenarios), else
# meson's SKIP (77): never a pass.
finish() {
	if [ "$FAILURES" -ne 0 ]; then
		echo "$FAILURES failure(s)" >&2
		exit 1
	fi
	if [ "$SKIPPED" -ne 0 ]; then
		[ "${CI:-}" = true ] && { echo "skipped under CI=true: a failure" >&2; exit 1; }
		exit 77
	fi
	echo "all passed"
	exit 0
}

# The image's paths, under $T. The package's files are used where the
# package installs them (IPKG_INSTROOT is what OpenWrt's scripts prefix
# their sourced files with).
IPKG_INSTROOT="$T/root"
mkdir -p "$IPKG_INSTROOT/lib/functions" "$IPKG_INSTROOT/usr/share/captive" "$T/etc/config" "$T/etc/captive" "$T/run"
cp "$HERE/root/lib/functions.sh" "$IPKG_INSTROOT/lib/functions.sh"
cp "$HERE/root/lib/functions/network.sh" "$IPKG_INSTROOT/lib/functions/network.sh"
cp "$PKG/files/captive.sh" "$IPKG_INSTROOT/usr/share/captive/openwrt.sh"
export UCI_CONFIG_DIR="$T/etc/config"
export CAPTIVE_RUN_DIR="$T/run"
export CAPTIVE_CONF="$T/run/captived.conf"
export CAPTIVE_TABLE_FILE="$T/etc/captive/table.nft"
export CAPTIVE_PROG="$CAPTIVE_BUILD/src/daemon/captived"
export CAPTIVE_RULESET="/usr/share/captive/captive.nft"
# nft: a recorder by default (tests that need the kernel use the real one in
# a network namespace of their own). `list table` answers as
# $TEST_TABLE_PRESENT says.
export CAPTIVE_NFT="$T/nft"
export NFT_LOG="$T/nft.log"
cat >"$CAPTIVE_NFT" <<'NFT'
#!/bin/sh
if [ "$1" = "-f" ] && [ "$2" = "-" ]; then
	printf 'nft -f - <<%s\n' "$(cat | tr '\n' ';')" >>"$NFT_LOG"
else
	echo "nft $*" >>"$NFT_LOG"
fi
[ "$1 $2" = "list table" ] && [ "${TEST_TABLE_PRESENT:-0}" = 0 ] && exit 1
exit 0
NFT
chmod +x "$CAPTIVE_NFT"
: >"$NFT_LOG"

# uci: `get KEY` from $TEST_UCI (lines KEY=VALUE, as `uci show` prints
# them), `show KEY` from its lines `show KEY OUTPUT`; every other call is
# recorded.
TEST_UCI="$T/uci-values"
UCI_LOG="$T/uci.log"
: >"$TEST_UCI"
: >"$UCI_LOG"
uci() {
	[ "${1:-}" = -q ] && shift
	case "$1" in
		get)
			local line
			while IFS= read -r line; do
				case "$line" in
					"$2="*) echo "${line#*=}"; return 0 ;;
				esac
			done <"$TEST_UCI"
			return 1
			;;
		show)
			local line found=1
			while IFS= read -r line; do
				case "$line" in
					"show $2 "*) echo "${line#"show $2 "}"; found=0 ;;
				esac
			done <"$TEST_UCI"
			return $found
			;;
		batch)
			sed 's/^[[:space:]]*/uci batch: /' >>"$UCI_LOG"
			;;
		*)
			echo "uci $*" >>"$UCI_LOG"
			;;
	esac
}
logger() { echo "logger $*" >>"$T/logger.log"; }

# procd's shell API (/lib/functions/procd.sh): each call recorded as one
# line, its arguments separated by |.
PROCD_LOG="$T/procd.log"
: >"$PROCD_LOG"
_procd_record() {
	local IFS='|'
	echo "$*" >>"$PROCD_LOG"
}
procd_open_instance() { _procd_record open_instance "$@"; }
procd_set_param() { _procd_record set_param "$@"; }
procd_append_param() { _procd_record append_param "$@"; }
procd_close_instance() { _procd_record close_instance "$@"; }
procd_add_reload_trigger() { _procd_record reload_trigger "$@"; }
procd_add_reload_interface_trigger() { _procd_record reload_interface_trigger "$@"; }
procd_add_interface_trigger() { _procd_record interface_trigger "$@"; }
procd_send_signal() { _procd_record send_signal "$@"; }
# rc.common's start: start_service in the same shell, as procd's rc.common
# runs it.
start() { start_service "$@"; }

use_uci() { # NAME FIXTURE: /etc/config/NAME
	cp "$1" "$UCI_CONFIG_DIR/${2:-captive}"
}

# The real captived reading a file as it would at start.
captived_accepts() {
	"$CAPTIVE_PROG" --config "$1" --check-config
}
