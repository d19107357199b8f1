# captive on OpenWrt: /etc/config/captive turned into captived's --config
# file and into the nft file that loads table inet captive. Sourced (POSIX
# sh, busybox ash) by /etc/init.d/captive and /etc/uci-defaults/90-captive
# after /lib/functions.sh; tested by tests/openwrt/ against sample UCI files.
# See docs/openwrt.md.

: "${CAPTIVE_PROG:=/usr/sbin/captived}"
: "${CAPTIVE_NFT:=/usr/sbin/nft}"
: "${CAPTIVE_RUN_DIR:=/var/run/captive}"
: "${CAPTIVE_CONF:=$CAPTIVE_RUN_DIR/captived.conf}"
# Persistent (flash), so that fw4 finds it at boot before any network or
# captive service has run (fw4 starts at START=19, netifd at 20). Rewritten
# only when its content changes: no flash write per start.
: "${CAPTIVE_TABLE_FILE:=/etc/captive/table.nft}"
: "${CAPTIVE_RULESET:=/usr/share/captive/captive.nft}"

# Scalar options: UCI option, then captived key (docs/captived.conf).
CAPTIVE_SCALARS="portal_port:portal-port portal_tls_port:portal-tls-port portal_url:portal-url
tls_cert:tls-cert tls_key:tls-key venue_url:venue-url site_name:site-name
session_timeout:session-timeout idle_timeout:idle-timeout quota:quota
rate_down:rate-down rate_up:rate-up queue_num:queue-num queues:queues
log_level:log-level state_dir:state-dir socket:socket probes:probes templates:templates
auth_delay:auth-delay auth_max_delay:auth-max-delay auth_lockout_after:auth-lockout-after
auth_lockout:auth-lockout auth_global_rate:auth-global-rate auth_global_burst:auth-global-burst
users:users pwhash_mem:pwhash-mem pwhash_ops:pwhash-ops
radius_secret_file:radius-secret-file nas_id:nas-id acct_interval:acct-interval coa_port:coa-port
radius_timeout:radius-timeout radius_retries:radius-retries"
# List options: UCI list, then captived key (one line per value).
CAPTIVE_LISTS="dns_server:dns-server trusted_mac:trusted-mac blocked_mac:blocked-mac
allow_ip:allow-ip allow_domain:allow-domain auth:auth
radius_server:radius-server radius_acct_server:radius-acct-server"
# Boolean options (0/1, on/off): UCI option, then the captived key written
# when it is on.
CAPTIVE_BOOLS="bind_ip:bind-ip radius_vouchers:radius-vouchers radius_mac_auth:radius-mac-auth"
# Keys captived applies at SIGHUP (Applies::live in src/daemon/config.cpp);
# a change to any other key needs a restart.
CAPTIVE_LIVE_KEYS="session-timeout idle-timeout quota rate-down rate-up dns-server
trusted-mac blocked-mac allow-ip allow-domain site-name log-level templates"

captive_log() {
	echo "captive: $*" >&2
	command -v logger >/dev/null 2>&1 && logger -t captive "$*"
	return 0
}

# What captived and the installer accept (valid_interface_name in
# src/daemon/config.cpp): 1-15 of A-Z a-z 0-9 _ . -, not starting with '-',
# not "." or "..". The name goes into nft's input as a string.
captive_valid_ifname() {
	case "$1" in
		''|.|..|-*|*[!A-Za-z0-9_.-]*) return 1 ;;
	esac
	[ ${#1} -le 15 ]
}

# A value becomes one line `key value` of captived's file, where a newline
# would start another key and ` #` a comment (the rest of the value would be
# dropped without a word). Everything else captived checks itself
# (--check-config).
captive_valid_value() {
	local nl='
'
	local cr
	cr="$(printf '\r')"
	case "$1" in
		*"$nl"*|*"$cr"*) return 1 ;;
		*' #'*|*'	#'*|'#'*) return 1 ;;
	esac
	return 0
}

# captive_network_device NETWORK: prints the Linux device of a logical
# network. The running one (netifd, network_get_device) when netifd knows
# it; at boot, before netifd, what /etc/config/network says (`device`, or
# br-NAME for an old-style `type bridge`).
captive_network_device() {
	local net="$1" dev=""
	if command -v network_get_device >/dev/null 2>&1; then
		network_get_device dev "$net" 2>/dev/null || dev=""
	fi
	if [ -z "$dev" ] && command -v uci >/dev/null 2>&1; then
		dev="$(uci -q get "network.$net.device")"
		if [ -z "$dev" ] && [ "$(uci -q get "network.$net.type")" = bridge ]; then
			dev="br-$net"
		fi
	fi
	[ -n "$dev" ] || return 1
	echo "$dev"
}

# Sets CAPTIVE_DEVICES (space separated, in order, no duplicates) from
# `list network` (each resolved) then `list device` of section $1. Unknown
# networks and names that are not interface names are left out with a
# message: the others still get the portal.
captive_collect_devices() {
	CAPTIVE_DEVICES=""
	config_list_foreach "$1" network _captive_add_network
	config_list_foreach "$1" device _captive_add_device
	[ -n "$CAPTIVE_DEVICES" ]
}

_captive_add_network() {
	local d
	if d="$(captive_network_device "$1")"; then
		_captive_add_device "$d"
	else
		captive_log "network '$1' has no device (not in /etc/config/network, or down): left out"
	fi
}

_captive_add_device() {
	if ! captive_valid_ifname "$1"; then
		captive_log "device '$1': not an interface name (1-15 of A-Z a-z 0-9 _ . -): left out"
		return 0
	fi
	case " $CAPTIVE_DEVICES " in
		*" $1 "*) ;;
		*) CAPTIVE_DEVICES="${CAPTIVE_DEVICES:+$CAPTIVE_DEVICES }$1" ;;
	esac
	return 0
}

_captive_emit_list_item() {
	# $1: the value, $2: the captived key
	if ! captive_valid_value "$1"; then
		captive_log "$2 '$1': a value may not contain a line break or ' #'"
		CAPTIVE_BAD=1
		return 0
	fi
	[ -n "$1" ] && printf '%s %s\n' "$2" "$1"
	return 0
}

# captive_write_conf SECTION: prints captived's --config file for the
# `captive` section SECTION (the devices come from captive_collect_devices).
# Returns 1 if a value cannot be written as one line.
captive_write_conf() {
	local section="$1" pair opt key val bind
	CAPTIVE_BAD=0
	echo "# Written by /etc/init.d/captive from /etc/config/captive: edit that file"
	echo "# (uci, LuCI), not this one. Keys: captived --help, docs/captived.conf."
	for val in $CAPTIVE_DEVICES; do
		printf 'lan %s\n' "$val"
	done
	for pair in $CAPTIVE_SCALARS; do
		opt="${pair%%:*}"
		key="${pair#*:}"
		config_get val "$section" "$opt"
		[ -n "$val" ] || continue
		_captive_emit_list_item "$val" "$key"
	done
	for pair in $CAPTIVE_BOOLS; do
		opt="${pair%%:*}"
		key="${pair#*:}"
		config_get_bool bind "$section" "$opt" 0
		[ "$bind" = 1 ] && echo "$key"
	done
	for pair in $CAPTIVE_LISTS; do
		opt="${pair%%:*}"
		key="${pair#*:}"
		config_list_foreach "$section" "$opt" _captive_emit_list_item "$key"
	done
	# Walled-garden names need dnsmasq's nftset= lines (dnsmasq-full).
	config_get val "$section" dnsmasq_conf
	if [ -z "$val" ] && [ -n "$(_captive_first_list_value "$section" allow_domain)" ]; then
		val="$(captive_dnsmasq_confdir)/captive-walled-garden.conf"
	fi
	[ -n "$val" ] && _captive_emit_list_item "$val" dnsmasq-conf
	echo "ruleset $CAPTIVE_RULESET"
	[ "$CAPTIVE_BAD" = 0 ]
}

_captive_first_list_value() {
	local v
	config_get v "$1" "$2"
	echo "$v"
}

# Where the default dnsmasq instance reads extra files: its `confdir`, else
# /tmp/dnsmasq.<section>.d (OpenWrt's dnsmasq.init since 23.05).
captive_dnsmasq_confdir() {
	local dir sec
	dir="$(uci -q get 'dhcp.@dnsmasq[0].confdir')"
	if [ -z "$dir" ]; then
		sec="$(uci -q show 'dhcp.@dnsmasq[0]' | sed -n '1s/^dhcp\.\([^.=]*\)=dnsmasq$/\1/p')"
		dir="/tmp/dnsmasq${sec:+.$sec}.d"
	fi
	echo "$dir"
}

# captive_write_table SECTION: prints the nft file that loads table inet
# captive for the devices and ports of SECTION, with its resolvers, in one
# transaction: the same thing captived loads when the table is missing
# (src/daemon/ruleset_loader.cpp), as defines instead of `nft -D`.
captive_write_table() {
	local section="$1" port tls_port d lan="" dns dns4="" dns6=""
	config_get port "$section" portal_port 8511
	config_get tls_port "$section" portal_tls_port 8443
	case "$port" in ''|*[!0-9]*) captive_log "portal_port '$port': not a number"; return 1 ;; esac
	case "$tls_port" in ''|*[!0-9]*) captive_log "portal_tls_port '$tls_port': not a number"; return 1 ;; esac
	for d in $CAPTIVE_DEVICES; do
		lan="${lan:+$lan, }\"$d\""
	done
	[ -n "$lan" ] || return 1
	config_get dns "$section" dns_server
	for d in $dns; do
		case "$d" in
			*:*) case "$d" in *[!0-9A-Fa-f:.]*) continue ;; esac; dns6="${dns6:+$dns6, }$d" ;;
			*) case "$d" in *[!0-9.]*) continue ;; esac; dns4="${dns4:+$dns4, }$d" ;;
		esac
	done
	echo "# Written by /etc/init.d/captive from /etc/config/captive; loaded by fw4"
	echo "# (firewall include 'captive') when table inet captive is missing."
	echo "define lan = { $lan }"
	echo "define portal_port = $port"
	echo "define portal_tls_port = $tls_port"
	echo "include \"$CAPTIVE_RULESET\""
	[ -z "$dns4" ] || echo "add element inet captive dns_ip4 { $dns4 }"
	[ -z "$dns6" ] || echo "add element inet captive dns_ip6 { $dns6 }"
	return 0
}

# captive_replace_if_changed TMP DEST: moves TMP over DEST unless they are
# the same (returns 1 then, and removes TMP).
captive_replace_if_changed() {
	if [ -f "$2" ] && cmp -s "$1" "$2"; then
		rm -f "$1"
		return 1
	fi
	mv -f "$1" "$2"
}

# captive_restart_keys FILE: the lines of captived's FILE that captived
# reads only at start (no comments, no live keys).
captive_restart_keys() {
	local pattern k
	pattern='^#'
	for k in $CAPTIVE_LIVE_KEYS; do
		pattern="$pattern|^$k( |\$)"
	done
	grep -Ev "$pattern" "$1"
	return 0
}

# captive_restart_needed OLD NEW: whether two captived files differ in a
# key captived does not apply at SIGHUP (or there is no OLD).
captive_restart_needed() {
	[ -f "$1" ] || return 0
	[ "$(captive_restart_keys "$1")" != "$(captive_restart_keys "$2")" ]
}

# captive_update_table_file: (re)writes the table file from
# /etc/config/captive when the first `config captive` section is enabled
# and names a device; removes it when disabled. For uci-defaults, where
# neither procd nor captived runs.
_captive_first_section() {
	[ -n "$section" ] || section="$1"
}

captive_update_table_file() {
	local section="" enabled tmp
	config_load captive
	config_foreach _captive_first_section captive
	[ -n "$section" ] || return 0
	config_get_bool enabled "$section" enabled 1
	if [ "$enabled" = 0 ]; then
		rm -f "$CAPTIVE_TABLE_FILE"
		return 0
	fi
	captive_collect_devices "$section" || return 0
	mkdir -p "${CAPTIVE_TABLE_FILE%/*}"
	tmp="$CAPTIVE_TABLE_FILE.new"
	if captive_write_table "$section" >"$tmp"; then
		captive_replace_if_changed "$tmp" "$CAPTIVE_TABLE_FILE"
	else
		rm -f "$tmp"
	fi
	return 0
}
