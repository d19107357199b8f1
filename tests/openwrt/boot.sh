# The boot sequence, with the real captived and nft, in a network namespace
# of its own (root): uci-defaults writes the table file from
# /etc/config/network; fw4's include loads it (clients held before
# captived); the init script's procd command starts captived, which adopts
# that table; a later fw4 reload (the include again) keeps its sessions;
# captived stopped, the table stays. procd and fw4 themselves are not here:
# their calls are made by hand as they would make them.
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! command -v nft >/dev/null; then
	echo "SKIP: needs root, unshare and nft" >&2
	[ "${CI:-}" = true ] && exit 1
	exit 77
fi
if [ -z "${CAPTIVE_IN_NETNS:-}" ]; then
	CAPTIVE_IN_NETNS=1 exec unshare -n busybox ash "$0" "$@"
fi
. "$CAPTIVE_SOURCE/tests/openwrt/lib.sh"
. "$IPKG_INSTROOT/lib/functions.sh"
. "$PKG/files/captive.init"
export CAPTIVE_NFT="$(command -v nft)"
export CAPTIVE_RULESET="$CAPTIVE_SOURCE/nft/captive.nft"
export CAPTIVE_INIT="$T/init.d-captive"
printf '#!/bin/sh\n[ "$1" = enabled ]\n' >"$CAPTIVE_INIT"
chmod +x "$CAPTIVE_INIT"
CTL="$CAPTIVE_BUILD/src/cli/captivectl"
pid=""
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT

ip link set lo up
ip link add br-lan type veth peer name lan-peer
ip link set br-lan up
ip link set lan-peer up
ip addr add 192.0.2.1/24 dev br-lan

# The shipped config, turned on, with paths of the test.
sed -e "s/option enabled '0'/option enabled '1'/" \
	-e "s#option state_dir '/var/lib/captive'#option state_dir '$T/state'\n\toption socket '$T/captived.sock'#" \
	"$PKG/files/captive.config" >"$T/captive"
use_uci "$T/captive"
echo 'network.lan.device=br-lan' >>"$TEST_UCI"

# 1. first boot: uci-defaults (netifd not up: /etc/config/network)
TEST_NETIFD=""
(. "$PKG/files/captive.uci-defaults")
assert_contains "uci-defaults: table file for br-lan" "$CAPTIVE_TABLE_FILE" 'define lan = { "br-lan" }'

# 2. fw4 start (START=19): the include
busybox ash -c ". '$PKG/files/captive.fw4'"
assert_eq "fw4 include: exit 0" 0 $?
nft list chain inet captive forward >"$T/forward" 2>&1
assert_contains "held before captived: forward stops br-lan" "$T/forward" '		iifname != "br-lan" return'
grep -q 'counter name "dropped" drop' "$T/forward" && ok "held: the final drop is there" || fail "no drop rule: $(cat "$T/forward")"

# 3. captive (START=95): start_service, then what procd would run
TEST_NETIFD="lan=br-lan"
start_service
assert_eq "start_service" 0 $?
cmd="$(sed -n 's/^set_param|command|//p' "$PROCD_LOG" | tr '|' ' ')"
assert_eq "procd command" "$CAPTIVE_PROG --config $CAPTIVE_CONF" "$cmd"
$cmd >"$T/captived.log" 2>&1 &
pid=$!
i=0
while [ ! -S "$T/captived.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
"$CTL" --socket "$T/captived.sock" status >"$T/status" 2>&1
assert_eq "captivectl status" 0 $?
assert_lacks "captived adopted fw4's table (did not load its own)" "$T/captived.log" 'loaded from|loading'

# 4. a session, then fw4 reload (the include runs again): kept
"$CTL" --socket "$T/captived.sock" allow 02:00:00:00:00:31 >/dev/null
busybox ash -c ". '$PKG/files/captive.fw4'"
sleep 0.3
nft list set inet captive allowed >"$T/allowed" 2>&1
grep -q '02:00:00:00:00:31' "$T/allowed" && ok "fw4 reload: session still in the kernel set" || fail "session gone after the include: $(cat "$T/allowed")"
assert_lacks "fw4 reload: the table was not replaced (captived restored nothing)" "$T/captived.log" 'is gone|restored'

# 5. captived stopped: the table stays, the session too
kill "$pid"
wait "$pid"
pid=""
nft list chain inet captive forward >"$T/forward2" 2>&1
assert_contains "stopped: forward still stops br-lan" "$T/forward2" '		iifname != "br-lan" return'
nft list set inet captive allowed | grep -q '02:00:00:00:00:31' && ok "stopped: session kept by the kernel" || fail "session gone after stop"
finish
