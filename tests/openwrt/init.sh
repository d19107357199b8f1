# /etc/init.d/captive's functions against a stand-in for procd's shell API
# (lib.sh records each call): what procd is asked to run, respawn, the
# triggers, reload by SIGHUP or restart, refusals, disable. The real
# captived checks the file (--check-config); nft is a recorder.
. "$CAPTIVE_SOURCE/tests/openwrt/lib.sh"
. "$IPKG_INSTROOT/lib/functions.sh"
# As rc.common does: the init script sourced into a shell that has
# /lib/functions.sh (and, with USE_PROCD, procd.sh: the stand-ins).
. "$PKG/files/captive.init"
F="$HERE/fixtures"
TEST_NETIFD="lan=br-lan guest=br-guest"
export TEST_NETIFD
echo 'show dhcp.@dnsmasq[0] dhcp.cfg01411c=dnsmasq' >>"$TEST_UCI"

assert_eq "procd script" 1 "$USE_PROCD"
[ "$START" -gt 19 ] && ok "starts after the firewall (19)" || fail "START=$START not after fw4's 19"

# --- as installed: off until the admin has chosen the networks ---
use_uci "$PKG/files/captive.config"
start_service 2>/dev/null
assert_eq "shipped config: start_service succeeds" 0 $?
assert_lacks "shipped config: nothing started (enabled '0')" "$PROCD_LOG" "open_instance"
: >"$NFT_LOG"

# --- start: the instance procd runs ---
use_uci "$F/captive-full"
start_service
assert_eq "start_service succeeds" 0 $?
P="$PROCD_LOG"
assert_contains "one instance" "$P" "open_instance|main"
assert_contains "command line" "$P" "set_param|command|$CAPTIVE_PROG|--config|$CAPTIVE_CONF"
assert_contains "respawn (threshold, delay, retries)" "$P" "set_param|respawn|3600|5|5"
assert_contains "restart when a start-only key changes" "$P" "set_param|file|$CAPTIVE_RUN_DIR/restart-keys"
assert_contains "netdev br-lan" "$P" "append_param|netdev|br-lan"
assert_contains "netdev br-guest" "$P" "append_param|netdev|br-guest"
assert_contains "netdev wlan-extra" "$P" "append_param|netdev|wlan-extra"
assert_contains "closed" "$P" "close_instance"
assert_files_eq "captived.conf written" "$F/full.conf" "$CAPTIVE_CONF"
assert_files_eq "table file written" "$F/full.table.nft" "$CAPTIVE_TABLE_FILE"
assert_contains "new table file loaded now" "$NFT_LOG" "nft -f $CAPTIVE_TABLE_FILE"
assert_lacks "restart-keys has no live key" "$CAPTIVE_RUN_DIR/restart-keys" '^(session-timeout|dns-server|allow-ip|site-name) '
assert_contains "restart-keys has the LANs" "$CAPTIVE_RUN_DIR/restart-keys" "lan wlan-extra"

# --- triggers ---
: >"$P"
service_triggers
assert_contains "reload on /etc/config/captive" "$P" "reload_trigger|captive"
assert_contains "reload on interface lan" "$P" "reload_interface_trigger|lan"
assert_contains "reload on interface guest" "$P" "reload_interface_trigger|guest"
assert_eq "no other trigger" 3 "$(wc -l <"$P")"

# --- reload, a live key: SIGHUP, no table load ---
: >"$P"; : >"$NFT_LOG"
sed "s/option session_timeout '2h'/option session_timeout '3h'/" "$F/captive-full" >"$T/live"
use_uci "$T/live"
keys_before="$(cat "$CAPTIVE_RUN_DIR/restart-keys")"
reload_service
assert_contains "live change: SIGHUP" "$P" "send_signal|captive|main|HUP"
assert_contains "live change: new value in the file" "$CAPTIVE_CONF" "session-timeout 3h"
assert_eq "live change: restart-keys unchanged (procd keeps captived)" "$keys_before" "$(cat "$CAPTIVE_RUN_DIR/restart-keys")"
assert_eq "live change: table untouched" "" "$(cat "$NFT_LOG")"

# --- reload, a start-only key: procd restarts, no SIGHUP ---
: >"$P"; : >"$NFT_LOG"
sed "s/option portal_port '8080'/option portal_port '8081'/" "$T/live" >"$T/restart"
use_uci "$T/restart"
reload_service
assert_lacks "restart change: no SIGHUP" "$P" "send_signal"
assert_contains "restart change: restart-keys changed" "$CAPTIVE_RUN_DIR/restart-keys" "portal-port 8081"
assert_contains "restart change: table with the new port loaded" "$NFT_LOG" "nft -f $CAPTIVE_TABLE_FILE"
assert_contains "restart change: table file" "$CAPTIVE_TABLE_FILE" "define portal_port = 8081"

# --- a value captived refuses: nothing changes, nothing (re)started ---
cp "$CAPTIVE_CONF" "$T/good.conf"
cp "$CAPTIVE_TABLE_FILE" "$T/good.table"
: >"$P"; : >"$NFT_LOG"
use_uci "$F/captive-badvalue"
start_service 2>"$T/err"
assert_eq "refused: start_service fails" 1 $?
assert_lacks "refused: no instance" "$P" "open_instance"
assert_files_eq "refused: captived.conf kept" "$T/good.conf" "$CAPTIVE_CONF"
assert_files_eq "refused: table file kept" "$T/good.table" "$CAPTIVE_TABLE_FILE"
: >"$P"
reload_service 2>/dev/null
assert_lacks "refused on reload: no SIGHUP" "$P" "send_signal"

# --- a line break in a value: refused before captived sees it ---
: >"$P"
use_uci "$F/captive-injection"
start_service 2>/dev/null
assert_eq "injection: start_service fails" 1 $?
assert_lacks "injection: no instance" "$P" "open_instance"
assert_lacks "injection: no key added" "$CAPTIVE_CONF" '^ruleset /tmp/evil'

# --- no LAN device ---
: >"$P"
use_uci "$F/captive-nolan"
start_service 2>/dev/null
assert_eq "no LAN: start_service fails" 1 $?
assert_lacks "no LAN: no instance" "$P" "open_instance"

# --- enabled '0': no daemon, no table, no table file for the next boot ---
: >"$P"; : >"$NFT_LOG"
use_uci "$F/captive-disabled"
start_service 2>/dev/null
assert_eq "disabled: start_service succeeds" 0 $?
assert_lacks "disabled: no instance" "$P" "open_instance"
[ -e "$CAPTIVE_TABLE_FILE" ] && fail "disabled: table file still there" || ok "disabled: table file removed"
assert_contains "disabled: table deleted" "$NFT_LOG" "nft -f - <<table inet captive;delete table inet captive;"

finish
