# The firewall side: the fw4 script include (loads table inet captive when
# it is missing, never replaces one that is there), uci-defaults (adds the
# include, writes the table file from /etc/config/network before netifd
# runs) and the Makefile's postrm (takes both away, and the table).
. "$CAPTIVE_SOURCE/tests/openwrt/lib.sh"
F="$HERE/fixtures"

# An init script whose `enabled` answers as $TEST_ENABLED says.
export CAPTIVE_INIT="$T/init.d-captive"
printf '#!/bin/sh\n[ "$1" = enabled ] && [ "${TEST_ENABLED:-1}" = 1 ]\n' >"$CAPTIVE_INIT"
chmod +x "$CAPTIVE_INIT"
# fw4 runs an include as: sh -c '... . PATH' (main.uc run_includes).
run_include() {
	export TEST_TABLE_PRESENT TEST_ENABLED CAPTIVE_NFT
	PATH="$T/bin:$PATH" busybox ash -c "config() { echo 'You cannot use UCI in firewall includes!' >&2; exit 1; }; . '$PKG/files/captive.fw4'"
}
mkdir -p "$T/bin"
printf '#!/bin/sh\necho "logger $*" >>"%s"\n' "$T/logger.log" >"$T/bin/logger"
chmod +x "$T/bin/logger"
cp "$F/full.table.nft" "$CAPTIVE_TABLE_FILE"

# --- table missing (boot, after fw4 flush): loaded ---
: >"$NFT_LOG"
TEST_TABLE_PRESENT=0 run_include
assert_eq "include: exit 0" 0 $?
assert_contains "include: table missing -> loaded from the table file" "$NFT_LOG" "nft -f $CAPTIVE_TABLE_FILE"

# --- table there (fw4 reload with captived's sessions in it): untouched ---
: >"$NFT_LOG"
TEST_TABLE_PRESENT=1 run_include
assert_eq "include: exit 0 with the table there" 0 $?
assert_lacks "include: table there -> not loaded again (sessions kept)" "$NFT_LOG" "^nft -f"

# --- service disabled, or no table file: nothing ---
: >"$NFT_LOG"
TEST_ENABLED=0 TEST_TABLE_PRESENT=0 run_include
assert_eq "include: disabled service -> nothing" "" "$(cat "$NFT_LOG")"
mv "$CAPTIVE_TABLE_FILE" "$T/table.away"
TEST_TABLE_PRESENT=0 run_include
assert_eq "include: no table file -> nothing, exit 0" "0|" "$?|$(cat "$NFT_LOG")"
mv "$T/table.away" "$CAPTIVE_TABLE_FILE"

# --- a load that fails: fw4 is told (warns), and the log says it ---
printf '#!/bin/sh\n[ "$1" = list ] && exit 1\nexit 1\n' >"$T/nft-broken"
chmod +x "$T/nft-broken"
CAPTIVE_NFT="$T/nft-broken" run_include
[ $? -ne 0 ] && ok "include: failed load -> non-zero (fw4 warns)" || fail "include: failed load reported as success"
grep -q "loading $CAPTIVE_TABLE_FILE failed" "$T/logger.log" && ok "include: failed load logged" || fail "nothing logged"

# --- uci-defaults: the include, and the table file before netifd ---
rm -f "$CAPTIVE_TABLE_FILE"
use_uci "$F/captive-full"
TEST_NETIFD=""   # first boot: netifd not up yet
echo 'network.lan.device=br-lan' >>"$TEST_UCI"
echo 'network.guest.device=br-guest' >>"$TEST_UCI"
(. "$PKG/files/captive.uci-defaults")
assert_eq "uci-defaults: exit 0" 0 $?
assert_contains "uci-defaults: include section" "$UCI_LOG" "uci batch: set firewall.captive=include"
assert_contains "uci-defaults: of type script" "$UCI_LOG" "uci batch: set firewall.captive.type=script"
assert_contains "uci-defaults: its path" "$UCI_LOG" "uci batch: set firewall.captive.path=/usr/share/captive/fw4-include.sh"
assert_contains "uci-defaults: committed" "$UCI_LOG" "uci batch: commit firewall"
assert_files_eq "uci-defaults: table file from /etc/config/network" "$F/full.table.nft" "$CAPTIVE_TABLE_FILE"
# Run twice (opkg upgrade runs it again): the same, one section.
: >"$UCI_LOG"
(. "$PKG/files/captive.uci-defaults")
assert_contains "uci-defaults again: old section deleted first" "$UCI_LOG" "uci batch: delete firewall.captive"

# --- postrm, from the Makefile's define ---
sed -n '/^define Package\/captive\/postrm$/,/^endef$/p' "$PKG/Makefile" | sed '1d;$d' | sed 's/\$\$/$/g' >"$T/postrm"
grep -q 'uci -q delete firewall.captive' "$T/postrm" && ok "postrm extracted" || fail "postrm not found in the Makefile"
touch "$CAPTIVE_TABLE_FILE"
: >"$UCI_LOG"; : >"$NFT_LOG"
# On a router: no IPKG_INSTROOT, captived gone (removal, not upgrade),
# /etc/captive/table.nft at its place: run with the paths moved into $T.
sed -e "s#/etc/captive/table.nft#$CAPTIVE_TABLE_FILE#; s#/var/run/captive#$T/run#; s#/usr/sbin/captived#$T/no-captived#; s#| nft -f#| \"\$CAPTIVE_NFT\" -f#" "$T/postrm" >"$T/postrm.here"
(unset IPKG_INSTROOT; . "$T/postrm.here")
assert_contains "postrm: include removed" "$UCI_LOG" "uci delete firewall.captive"
assert_contains "postrm: committed" "$UCI_LOG" "uci commit firewall"
[ -e "$CAPTIVE_TABLE_FILE" ] && fail "postrm: table file left" || ok "postrm: table file removed"
assert_contains "postrm: table deleted" "$NFT_LOG" "nft -f - <<table inet captive;delete table inet captive;"
# Upgrade: captived still installed -> nothing removed.
touch "$T/captived-here"; touch "$CAPTIVE_TABLE_FILE"; chmod +x "$T/captived-here"
: >"$UCI_LOG"
sed "s#$T/no-captived#$T/captived-here#" "$T/postrm.here" >"$T/postrm.upgrade"
(unset IPKG_INSTROOT; . "$T/postrm.upgrade")
assert_eq "postrm on upgrade: nothing done" "" "$(cat "$UCI_LOG")"

finish
