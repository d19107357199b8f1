# Test stand-in for OpenWrt's /lib/functions/network.sh: netifd's view of
# the networks, from $TEST_NETIFD ("lan=br-lan guest=br-guest"); a network
# not in it is down or unknown (network_get_device fails, as the real one
# does when ubus has no l3_device).
network_get_device() {
	local pair
	for pair in $TEST_NETIFD; do
		if [ "${pair%%=*}" = "$2" ]; then
			export -- "$1=${pair#*=}"
			return 0
		fi
	done
	export -- "$1="
	return 1
}
