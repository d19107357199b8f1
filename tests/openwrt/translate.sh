# UCI -> captived's --config file and the table file, against sample
# /etc/config/captive files; the real captived checks what was written
# (--check-config) and, as root, the real nft loads the table file in a
# network namespace of its own. Run by meson under busybox ash.
. "$CAPTIVE_SOURCE/tests/openwrt/lib.sh"
. "$IPKG_INSTROOT/lib/functions.sh"
. "$IPKG_INSTROOT/usr/share/captive/openwrt.sh"
. "$IPKG_INSTROOT/lib/functions/network.sh"
F="$HERE/fixtures"

# netifd: lan and guest are up; /etc/config/network names the dnsmasq section.
TEST_NETIFD="lan=br-lan guest=br-guest"
echo 'show dhcp.@dnsmasq[0] dhcp.cfg01411c=dnsmasq' >>"$TEST_UCI"

translate() { # FIXTURE -> $T/out.conf, $T/out.table; status of the conf writer
	use_uci "$1"
	CAPTIVE_SECTION=""
	config_load captive
	section=""
	pick() { [ -n "$section" ] || section="$1"; }
	config_foreach pick captive
	captive_collect_devices "$section" || return 2
	captive_write_conf "$section" >"$T/out.conf" 2>"$T/out.err" || return 1
	captive_write_table "$section" >"$T/out.table" || return 3
	return 0
}

# --- the package's own default /etc/config/captive ---
translate "$PKG/files/captive.config"
assert_eq "default config translates" 0 $?
assert_files_eq "default config: captived.conf" "$F/default.conf" "$T/out.conf"
captived_accepts "$T/out.conf"
assert_eq "captived --check-config accepts the default" 0 $?

# --- every option, several LANs ---
translate "$F/captive-full"
assert_eq "full config translates" 0 $?
assert_files_eq "full config: captived.conf" "$F/full.conf" "$T/out.conf"
assert_files_eq "full config: table file" "$F/full.table.nft" "$T/out.table"
captived_accepts "$T/out.conf"
assert_eq "captived --check-config accepts the full file" 0 $?
assert_eq "devices: networks resolved, duplicates dropped" "br-lan br-guest wlan-extra" "$CAPTIVE_DEVICES"

# --- sign-in backends: users, vouchers, RADIUS (its booleans too) ---
translate "$F/captive-signin"
assert_eq "sign-in config translates" 0 $?
assert_files_eq "sign-in config: captived.conf" "$F/signin.conf" "$T/out.conf"
# captived checks the keys and their combinations; the users and secret
# files named are the router's, so they are written here first.
sed -e "s|/etc/captive/users|$T/users|" -e "s|/etc/captive/radius.secret|$T/radius.secret|" \
	"$T/out.conf" >"$T/signin.conf"
: >"$T/users"
printf 'testing123\n' >"$T/radius.secret"
chmod 600 "$T/users" "$T/radius.secret"
captived_accepts "$T/signin.conf"
assert_eq "captived --check-config accepts the sign-in backends" 0 $?

# --- a line break would add a key of the attacker's choosing ---
translate "$F/captive-injection"
assert_eq "a value with a line break is refused" 1 $?
assert_lacks "no injected key written" "$T/out.conf" '^ruleset /tmp/evil'

# --- ` #` would silently cut the value in captived's reading ---
translate "$F/captive-comment"
assert_eq "a value with ' #' is refused" 1 $?

# --- a bad value passes the translation and captived refuses it ---
translate "$F/captive-badvalue"
assert_eq "bad duration still one line" 0 $?
assert_contains "bad duration written as given" "$T/out.conf" "session-timeout soon"
captived_accepts "$T/out.conf" 2>"$T/check.err"
assert_eq "captived --check-config refuses it" 2 $?
grep -q "session-timeout: not a duration" "$T/check.err" && ok "captived says which key" || fail "captived's message: $(cat "$T/check.err")"

# --- no device at all ---
translate "$F/captive-nolan" 2>"$T/nolan.err"
assert_eq "unknown network and no device: nothing to run on" 2 $?
grep -q "network 'nosuchnet' has no device" "$T/nolan.err" && ok "says which network" || fail "message: $(cat "$T/nolan.err")"

# --- names nft would misread are left out ---
translate "$F/captive-baddevice" 2>/dev/null
assert_eq "bad device names left out, good one kept" "br-lan" "$CAPTIVE_DEVICES"
assert_contains "table file has only the good name" "$T/out.table" 'define lan = { "br-lan" }'

# --- at boot, before netifd: devices from /etc/config/network ---
TEST_NETIFD=""
echo 'network.lan.device=br-lan' >>"$TEST_UCI"
echo 'network.guest.type=bridge' >>"$TEST_UCI"
translate "$F/captive-full"
assert_eq "static devices (device option, old-style bridge)" "br-lan br-guest wlan-extra" "$CAPTIVE_DEVICES"
TEST_NETIFD="lan=br-lan guest=br-guest"

# --- restart or SIGHUP ---
translate "$F/captive-full"
cp "$T/out.conf" "$T/old.conf"
sed 's/^session-timeout 2h$/session-timeout 3h/; s/^dns-server 198.51.100.53$/dns-server 198.51.100.54/' "$T/old.conf" >"$T/live.conf"
captive_restart_needed "$T/old.conf" "$T/live.conf"
assert_eq "live keys changed: SIGHUP is enough" 1 $?
sed 's/^portal-port 8080$/portal-port 8081/' "$T/old.conf" >"$T/restart.conf"
captive_restart_needed "$T/old.conf" "$T/restart.conf"
assert_eq "portal-port changed: restart" 0 $?
sed 's/^lan wlan-extra$/lan wlan-other/' "$T/old.conf" >"$T/restart.conf"
captive_restart_needed "$T/old.conf" "$T/restart.conf"
assert_eq "a LAN changed: restart" 0 $?

# --- the table file, loaded by the real nft (root: a namespace of our own) ---
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v nft >/dev/null; then
	translate "$F/captive-full"
	sed "s#^include \".*\"#include \"$CAPTIVE_SOURCE/nft/captive.nft\"#" "$T/out.table" >"$T/load.nft"
	unshare -n sh -c "nft -f '$T/load.nft' && nft list chain inet captive forward && nft list set inet captive dns_ip6" >"$T/nft.out" 2>&1
	assert_eq "nft loads the table file" 0 $?
	assert_contains "forward holds every LAN" "$T/nft.out" '		iifname != { "br-lan", "br-guest", "wlan-extra" } return'
	grep -q '2001:db8::53' "$T/nft.out" && ok "resolvers in the same load" || fail "no resolver: $(cat "$T/nft.out")"
else
	echo "SKIP: loading the table file needs root, unshare and nft" >&2
	SKIPPED=1
fi

finish
