#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Streams in bulk, then the module's exit: two namespaces joined by veth,
# netem on both sides (TTP's packets only).
#
#  - wrap: both namespaces fix every ISN at 0xffff0000 (net.ttp.stream_isn,
#    a test-only knob), so 2 MB each way under 1% loss crosses 2^32; a
#    filter on the sequence-number field sorts the segments into netem
#    bands, which proves that the ones before and after the wrap were on
#    the wire, and nothing else.
#  - many: 64 connections to one listener at once, each moving 1 MiB in
#    both directions under 5% loss (ttpmany: one process per side; every
#    byte checked, keyed by connection, so that none strays to another).
#  - then every socket must go (TIME_WAIT and all), the module's
#    references drop to 0, and rmmod destroys TTP's slab caches (a cache
#    that still holds an object is left in /proc/slabinfo, with a kernel
#    warning); the module is loaded again ($TTP_KO).
#  - one chain: loaded with conn_hash_bits=0, the connection table is one
#    chain; 16 connections between the two hosts must each still get
#    their own bytes (a lookup that skipped a port would mix them up).
#
# Under a debug kernel (KASAN, lockdep, kmemleak) the wrap moves 256 KiB
# each way (4 times what comes before 2^32) and "many" is 16 connections
# of 256 KiB.

source "$(dirname "$0")/ttp_lib.sh"

TTPSTREAM=$TTP_DIR/ttpstream
TTPMANY=$TTP_DIR/ttpmany
WRAP_BYTES=2000000 CONNS=64 CONN_BYTES=1048576
if uname -r | grep -q -- '-ttp-debug$'; then
	WRAP_BYTES=262144 CONNS=16 CONN_BYTES=262144
fi
ISN=4294901760	# 0xffff0000

loaded()
{
	grep -q '^ttp ' /proc/modules
}

ensure_loaded()
{
	loaded || insmod "$TTP_KO"
}

# netem_sent NS DEV: "H1 N1 H2 N2 ..." for each netem qdisc on DEV, its
# handle and the packets that went through it
netem_sent()
{
	tc -s -n "$1" qdisc show dev "$2" | awk '
		$1 == "qdisc" && $2 == "netem" { h = $3; next }
		h && /Sent/ { printf "%s %s ", h, $4; h = "" }'
}

# wrap_netem NS DEV: netem loss 1% for TTP's packets in three bands by
# their sequence number (the 32-bit word at IP offset 32, with no IP
# options): 10: 0xffff0000 up to the wrap, 20: below 0x200000 (after it),
# 30: any other. Other packets pass untouched (band 4). One tc process: a
# debug kernel takes a second for each.
wrap_netem()
{
	local ns=$1 dev=$2 p=$IPPROTO

	tc -n "$ns" qdisc del dev "$dev" root 2> /dev/null
	tc -n "$ns" -batch - <<-EOF
	qdisc add dev $dev root handle 1: prio bands 4 priomap 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3
	qdisc add dev $dev parent 1:1 handle 10: netem loss 1%
	qdisc add dev $dev parent 1:2 handle 20: netem loss 1%
	qdisc add dev $dev parent 1:3 handle 30: netem loss 1%
	filter add dev $dev parent 1: protocol ip prio 1 u32 match ip protocol $p 0xff match u32 0xffff0000 0xffff0000 at 32 flowid 1:1
	filter add dev $dev parent 1: protocol ip prio 2 u32 match ip protocol $p 0xff match u32 0 0xffe00000 at 32 flowid 1:2
	filter add dev $dev parent 1: protocol ip prio 3 u32 match ip protocol $p 0xff flowid 1:3
	EOF
}

case_wrap()
{
	local n=$WRAP_BYTES srv rc ns dev stats pre post other t0 i

	[ -z "$NO_NETEM" ] || skip "$NO_NETEM"
	expect_eq "net.ttp.stream_isn by default" 0 \
		"$(ip netns exec "$A" sysctl -n net.ttp.stream_isn)"
	set_isn "$A" $ISN
	set_isn "$B" $ISN
	wrap_netem "$A" va || fail "netem on va"
	wrap_netem "$B" vb || fail "netem on vb"
	t0=$SECONDS
	bg ip netns exec "$B" "$TTPSTREAM" -n "$n" -m "$n" -t 70 -l 7000 \
		> "$TMPD/srv" 2>&1
	srv=$!
	wait_until 10 port_bound "$B" 7000 0A || fail "no listener on port 7000"
	ip netns exec "$A" "$TTPSTREAM" -n "$n" -m "$n" -t 70 10.0.1.2 7000 \
		> "$TMPD/cli" 2>&1
	rc=$?
	wait "$srv" || { cat "$TMPD/srv"; fail "B: bytes lost or damaged"; }
	cat "$TMPD/cli" "$TMPD/srv"
	[ $rc = 0 ] || fail "A: bytes lost or damaged"
	diag "$n bytes each way in $((SECONDS - t0)) s"
	for ns in A B; do
		dev=v${ns,,}
		read -r -a stats <<< "$(netem_sent "${!ns}" "$dev")"
		pre='' post='' other=''
		for ((i = 0; i < ${#stats[@]}; i += 2)); do
			case ${stats[i]} in
			10:) pre=${stats[i + 1]} ;;
			20:) post=${stats[i + 1]} ;;
			30:) other=${stats[i + 1]} ;;
			esac
		done
		if [ -z "$pre" ] || [ -z "$post" ] || [ -z "$other" ]; then
			fail "netem qdiscs on $dev: ${stats[*]}"
		fi
		diag "$ns's segments: $pre before the wrap, $post after, $other elsewhere"
		expect_cmp "$ns's segments with seq in [0xffff0000, 2^32)" "$pre" -gt 0
		expect_cmp "$ns's segments with seq in [0, 0x200000)" "$post" -gt 0
		expect_eq "$ns's segments with any other seq" 0 "$other"
	done
	set_isn "$A" 0
	set_isn "$B" 0
}

case_many()
{
	local srv rc t0 a b

	[ -z "$NO_NETEM" ] || skip "$NO_NETEM"
	ttp_netem "$A" va loss 5% || fail "netem on va"
	ttp_netem "$B" vb loss 5% || fail "netem on vb"
	read -r -a a <<< "$(snmp "$A" ActiveOpens AttemptFails EstabResets RetransSegs)"
	read -r -a b <<< "$(snmp "$B" PassiveOpens ListenDrops EstabResets RetransSegs)"
	t0=$SECONDS
	bg ip netns exec "$B" "$TTPMANY" -c "$CONNS" -b "$CONN_BYTES" -t 80 \
		-l 7100 > "$TMPD/srv" 2>&1
	srv=$!
	wait_until 10 port_bound "$B" 7100 0A || fail "no listener on port 7100"
	ip netns exec "$A" "$TTPMANY" -c "$CONNS" -b "$CONN_BYTES" -t 80 \
		10.0.1.2 7100 > "$TMPD/cli" 2>&1
	rc=$?
	wait "$srv" || { cat "$TMPD/cli" "$TMPD/srv"; fail "B: bytes lost or damaged"; }
	cat "$TMPD/cli" "$TMPD/srv"
	[ $rc = 0 ] || fail "A: bytes lost or damaged"
	diag "$CONNS connections x $CONN_BYTES bytes each way in $((SECONDS - t0)) s"
	read -r -a a1 <<< "$(snmp "$A" ActiveOpens AttemptFails EstabResets RetransSegs)"
	read -r -a b1 <<< "$(snmp "$B" PassiveOpens ListenDrops EstabResets RetransSegs)"
	diag "A: ActiveOpens AttemptFails EstabResets RetransSegs +$((a1[0] - a[0])) +$((a1[1] - a[1])) +$((a1[2] - a[2])) +$((a1[3] - a[3]))"
	diag "B: PassiveOpens ListenDrops EstabResets RetransSegs +$((b1[0] - b[0])) +$((b1[1] - b[1])) +$((b1[2] - b[2])) +$((b1[3] - b[3]))"
	expect_eq "A's ActiveOpens delta" "$CONNS" $((a1[0] - a[0]))
	expect_eq "A's AttemptFails delta" 0 $((a1[1] - a[1]))
	expect_eq "A's EstabResets delta" 0 $((a1[2] - a[2]))
	expect_eq "B's PassiveOpens delta" "$CONNS" $((b1[0] - b[0]))
	expect_eq "B's ListenDrops delta" 0 $((b1[1] - b[1]))
	expect_eq "B's EstabResets delta" 0 $((b1[2] - b[2]))
	expect_cmp "RetransSegs delta, both sides" \
		$((a1[3] - a[3] + b1[3] - b[3])) -gt 0
}

no_sockets()
{
	[ "$(table_rows "$A")" = 0 ] && [ "$(table_rows "$B")" = 0 ]
}

case_all_gone()
{
	local t0=$SECONDS

	# the last segments of the closes still cross the lossy link
	wait_until 40 no_sockets ||
		fail "sockets left after 40 s: A $(table_rows "$A"), B $(table_rows "$B")"
	diag "every socket gone $((SECONDS - t0)) s after the last close"
	expect_eq "CurrEstab in A" 0 "$(snmp "$A" CurrEstab)"
	expect_eq "CurrEstab in B" 0 "$(snmp "$B" CurrEstab)"
	# sockets are freed after an RCU grace period, each dropping its
	# reference on the module as it goes
	wait_until 20 modref_le 0 || fail "module references still $(modref)"
}

# unload: rmmod ttp, trying for 3 s (the last sockets go after an RCU
# grace period)
unload()
{
	for _ in $(seq 30); do
		rmmod ttp 2> "$TMPD/rmmod.err" && break
		sleep 0.1
	done
	loaded && fail "rmmod failed: $(cat "$TMPD/rmmod.err")"
}

# load [PARAM=VALUE]: insmod $TTP_KO (with PARAM)
load()
{
	insmod "$TTP_KO" "$@" || fail "insmod $TTP_KO $*"
	[ -r /proc/net/ttp ] || fail "no /proc/net/ttp after insmod"
}

# reload [PARAM=VALUE]: rmmod ttp, then load
reload()
{
	unload
	load "$@"
}

case_rmmod()
{
	if [ -z "${TTP_KO:-}" ] || [ ! -r "$TTP_KO" ]; then
		fail "TTP_KO (the ttp.ko to load again) not set"
	fi
	grep -qx TTP_STREAM "$TMPD/slabs" ||
		fail "no TTP_STREAM line in /proc/slabinfo (cache merged? slab_nomerge)"
	unload
	grep -w -f "$TMPD/slabs" /proc/slabinfo && fail "slab caches left after rmmod"
	load
}

# Every connection on one chain of the connection table (the module
# parameter conn_hash_bits=0): connections between one pair of hosts differ
# only in a port, and each segment must still find its own (ttpmany keys
# every byte by connection). Then the module is loaded as before.
case_one_chain()
{
	local p=/sys/module/ttp/parameters/conn_hash_bits srv rc

	[ -n "${TTP_KO:-}" ] || fail "TTP_KO (the ttp.ko to load again) not set"
	expect_eq "conn_hash_bits by default" 14 "$(cat $p)"
	reload conn_hash_bits=0
	expect_eq "conn_hash_bits" 0 "$(cat $p)"
	tc -n "$A" qdisc del dev va root 2> /dev/null
	tc -n "$B" qdisc del dev vb root 2> /dev/null
	bg ip netns exec "$B" "$TTPMANY" -c 16 -b 65536 -t 30 -l 7200 \
		> "$TMPD/srv" 2>&1
	srv=$!
	wait_until 10 port_bound "$B" 7200 0A || fail "no listener on port 7200"
	ip netns exec "$A" "$TTPMANY" -c 16 -b 65536 -t 30 10.0.1.2 7200 \
		> "$TMPD/cli" 2>&1
	rc=$?
	wait "$srv" || { cat "$TMPD/cli" "$TMPD/srv"; fail "B: bytes lost or damaged"; }
	cat "$TMPD/cli" "$TMPD/srv"
	[ $rc = 0 ] || fail "A: bytes lost or damaged"
	wait_until 20 no_sockets ||
		fail "sockets left: A $(table_rows "$A"), B $(table_rows "$B")"
	reload
	expect_eq "conn_hash_bits again" 14 "$(cat $p)"
}

[ "${TTP_TEST_AS_UDP:-0}" = 1 ] && skip_all "stream test: TTP only"
[ -r /proc/modules ] || skip_all "no loadable modules here"
loaded || bail_out "ttp is not loaded"
require_basics
[ -x "$TTPSTREAM" ] || bail_out "$TTPSTREAM not built"
[ -x "$TTPMANY" ] || bail_out "$TTPMANY not built"
command -v tc > /dev/null || bail_out "tc missing (iproute2)"
trap 'ensure_loaded; ttp_cleanup' EXIT
setup_ns A B || bail_out "cannot create namespaces"
link_ns "$A" va "$B" vb 10.0.1 || bail_out "cannot create a veth pair"
netem_check "$A" va
# the slab caches the module owns, to check that they empty and go
awk 'NR > 2 && tolower($1) ~ /ttp/ { print $1 }' /proc/slabinfo \
	> "$TMPD/slabs" 2> /dev/null

tap_begin 5
run_case "stream_many: ISNs at 0xffff0000, $WRAP_BYTES bytes each way under 1% loss cross 2^32" \
	case_wrap
run_case "stream_many: $CONNS connections x $CONN_BYTES bytes both ways under 5% loss" \
	case_many
run_case "stream_many: every socket and module reference gone" \
	case_all_gone
run_case "stream_many: rmmod leaves no slab cache, insmod again" case_rmmod
run_case "stream_many: 16 connections on one chain of the table (conn_hash_bits=0)" \
	case_one_chain
ensure_loaded
tap_end
