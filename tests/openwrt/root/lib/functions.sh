# A minimal stand-in for OpenWrt's /lib/functions.sh, written for these
# tests (not OpenWrt's code): the UCI part the captive scripts use, with the
# same names, arguments and results: config_load, config_get,
# config_get_bool, config_foreach, config_list_foreach. Values are kept as
# OpenWrt keeps them: CONFIG_<section>_<option>, a list's items also joined
# by spaces into the option, and CONFIG_SECTIONS in file order.
#
# config_load NAME reads $UCI_CONFIG_DIR/NAME (default /etc/config), which
# is shell syntax (`config TYPE 'NAME'`, `option KEY 'VALUE'`,
# `list KEY 'VALUE'`), by sourcing it with these three functions defined:
# what uci itself writes is quoted so that this is safe for the sample
# files of the tests.

CONFIG_SECTIONS=""
CONFIG_NUM_SECTIONS=0
CONFIG_SECTION=""

config_unset_all() {
	local s
	for s in $CONFIG_SECTIONS; do
		eval "unset \$(set | sed -n 's/^\\(CONFIG_${s}_[A-Za-z0-9_]*\\)=.*/\\1/p')" 2>/dev/null
	done
	CONFIG_SECTIONS=""
	CONFIG_NUM_SECTIONS=0
	CONFIG_SECTION=""
}

config() {
	local type="$1" name="$2"
	CONFIG_NUM_SECTIONS=$((CONFIG_NUM_SECTIONS + 1))
	[ -n "$name" ] || name="cfg$CONFIG_NUM_SECTIONS"
	CONFIG_SECTIONS="${CONFIG_SECTIONS:+$CONFIG_SECTIONS }$name"
	CONFIG_SECTION="$name"
	export "CONFIG_${name}_TYPE=$type"
}

option() {
	export "CONFIG_${CONFIG_SECTION}_$1=$2"
}

list() {
	local len
	eval "len=\${CONFIG_${CONFIG_SECTION}_$1_LENGTH:-0}"
	len=$((len + 1))
	export "CONFIG_${CONFIG_SECTION}_$1_ITEM$len=$2"
	export "CONFIG_${CONFIG_SECTION}_$1_LENGTH=$len"
	local joined
	eval "joined=\${CONFIG_${CONFIG_SECTION}_$1}"
	export "CONFIG_${CONFIG_SECTION}_$1=${joined:+$joined }$2"
}

config_load() {
	config_unset_all
	local file="${UCI_CONFIG_DIR:-/etc/config}/$1"
	[ -f "$file" ] || return 1
	. "$file"
	CONFIG_SECTION=""
}

# config_get VAR SECTION OPTION [DEFAULT], or config_get SECTION OPTION
config_get() {
	case "$#" in
		4|3) eval "export -- \"$1=\${CONFIG_$2_$3:-\$4}\"" ;;
		2) eval "echo \"\${CONFIG_$1_$2:-}\"" ;;
		*) return 1 ;;
	esac
}

# As OpenWrt's: 1/yes/on/true/enabled are 1, 0/no/off/false/disabled 0.
config_get_bool() {
	local _v
	config_get _v "$2" "$3" "$4"
	case "$_v" in
		1|on|true|yes|enabled) _v=1 ;;
		0|off|false|no|disabled) _v=0 ;;
		*) return 1 ;;
	esac
	export -- "$1=$_v"
}

# config_foreach FUNCTION [TYPE [ARGS...]]
config_foreach() {
	local fn="$1" type="$2" s t
	shift
	[ "$#" -ge 1 ] && shift
	for s in $CONFIG_SECTIONS; do
		eval "t=\${CONFIG_${s}_TYPE}"
		[ -z "$type" ] || [ "$t" = "$type" ] || continue
		"$fn" "$s" "$@"
	done
}

# config_list_foreach SECTION OPTION FUNCTION [ARGS...]
config_list_foreach() {
	local section="$1" opt="$2" fn="$3" len i v
	shift 3
	eval "len=\${CONFIG_${section}_${opt}_LENGTH:-0}"
	i=1
	while [ "$i" -le "$len" ]; do
		eval "v=\${CONFIG_${section}_${opt}_ITEM$i}"
		"$fn" "$v" "$@"
		i=$((i + 1))
	done
}
