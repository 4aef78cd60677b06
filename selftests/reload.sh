#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# insmod/rmmod cycles with traffic between them (make stress): each cycle
# moves datagrams and a stream both ways between two namespaces, closes
# everything, waits for the module's references to drop to 0, removes the
# module and loads it again. After the last cycle: nothing of TTP left
# while it is out (no /proc/net/ttp, no slab cache), then it is loaded for
# whatever runs next. CYCLES sets the count (default 100).

source "$(dirname "$0")/ttp_lib.sh"

TTPSTREAM=$TTP_DIR/ttpstream
CYCLES=${CYCLES:-100}

# one_cycle N: traffic, then rmmod and insmod
one_cycle()
{
	local srv

	ip netns exec "$B" "$TTPDG" hold 7000 > /dev/null &
	srv=$!
	wait_port "$B" 7000 || fail "cycle $1: datagram holder"
	ip netns exec "$A" timeout 20 "$TTPDG" ping 10.0.1.2 7000 > /dev/null ||
		fail "cycle $1: no datagram echo"
	kill -9 $srv
	wait $srv 2> /dev/null
	ip netns exec "$B" "$TTPSTREAM" -n 100000 -m 100000 -t 60 -l 7001 \
		> "$TMPD/srv" 2>&1 &
	srv=$!
	wait_port "$B" 7001 || fail "cycle $1: stream listener"
	ip netns exec "$A" "$TTPSTREAM" -n 100000 -m 100000 -t 60 10.0.1.2 7001 \
		> "$TMPD/cli" 2>&1 || { cat "$TMPD/cli"; fail "cycle $1: stream"; }
	wait $srv || { cat "$TMPD/srv"; fail "cycle $1: stream (server)"; }
	wait_until 40 modref_le 0 || fail "cycle $1: references $(modref)"
	rmmod ttp || fail "cycle $1: rmmod"
	[ -e /proc/net/ttp ] && fail "cycle $1: /proc/net/ttp after rmmod"
	insmod "$TTP_KO" || fail "cycle $1: insmod"
}

case_cycles()
{
	local i

	# TIME_WAIT ends in 1 s: each cycle's streams are gone by the next
	for i in $(seq "$CYCLES"); do
		one_cycle "$i"
	done
	wait_until 40 modref_le 0 || fail "references $(modref)"
	rmmod ttp || fail "last rmmod"
	awk '$1 == "TTP"' /proc/slabinfo | grep -q . && fail "TTP slab cache left"
	insmod "$TTP_KO" || fail "insmod at the end"
}

[ "${TTP_TEST_AS_UDP:-0}" = 1 ] && skip_all "module test: TTP only"
[ -n "${TTP_KO:-}" ] && [ -r "$TTP_KO" ] || bail_out "TTP_KO (the ttp.ko to load) not set"
require_basics
trap 'grep -q "^ttp " /proc/modules || insmod "$TTP_KO"; ttp_cleanup' EXIT
setup_ns A B || bail_out "cannot create namespaces"
link_ns "$A" va "$B" vb 10.0.1 || bail_out "cannot create a veth pair"

tap_begin 1
# a cycle takes 20 s on the debug kernel
CASE_TIMEOUT=$((CASE_TIMEOUT > CYCLES * 40 ? CASE_TIMEOUT : CYCLES * 40))
run_case "reload: $CYCLES insmod/rmmod cycles with traffic" case_cycles
tap_end
