#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Path MTU and the stream's MSS, through a router: namespaces A - R - B,
# R forwarding between two veth links (A's 1500 bytes). The MSS a stream
# sends is the path MTU less 20 (IPv4), 24 (stream header) and 12 (the
# timestamp option): 1224 for a 1280 path.
#
#  - pmtu: R's side of the R-B link has MTU 1280, B's side 1500, so B
#    announces an MSS of 1456 and only path MTU discovery can tell A of the
#    narrow hop: A's full-sized segments carry DF, R drops them with an ICMP
#    "fragmentation needed" (mtu 1280), and A must lower its MSS to 1224 and
#    resend. Data flows A to B only (B's full-sized segments could not
#    enter R through a 1280-byte device).
#  - mss option: both sides of the R-B link have MTU 1280, so B's SYN
#    announces 1236 and A starts at 1224 without any ICMP; data both ways.
#
# Every byte must arrive, in order, once (ttpstream checks each one).

source "$(dirname "$0")/ttp_lib.sh"

TTPSTREAM=$TTP_DIR/ttpstream
SCALE=1
uname -r | grep -q -- '-ttp-debug$' && SCALE=4

# ipstat NS TAG FIELD: a counter of /proc/net/snmp (TAG Icmp:, Ip:...) in NS
ipstat()
{
	local i

	snmp_read "$1" snmp "$2"
	for ((i = 1; i < ${#SNMP_NAMES[@]}; i++)); do
		[ "${SNMP_NAMES[i]}" = "$3" ] && { echo "${SNMP_VALS[i]}"; return; }
	done
	echo "no $2 $3 in /proc/net/snmp"
	return 1
}

# mtus RB VB: the MTUs of R's and B's sides of the R-B link; no path MTU
# A learnt before
mtus()
{
	ip -n "$R" link set rb mtu "$1" || fail "mtu $1 on rb"
	ip -n "$B" link set vb mtu "$2" || fail "mtu $2 on vb"
	ip -n "$A" route flush cache || fail "route flush cache in A"
	ip -n "$A" route get 10.0.2.2 | grep -q ' mtu ' &&
		fail "A still has a path MTU: $(ip -n "$A" route get 10.0.2.2)"
	true
}

# transfer A_TO_B B_TO_A: ttpstream from A to B's port 7000; the two
# output lines in OUT_A and OUT_B
transfer()
{
	local srv rc

	bg ip netns exec "$B" "$TTPSTREAM" -n "$2" -m "$1" -t 60 -l 7000 \
		> "$TMPD/srv" 2>&1
	srv=$!
	wait_until 10 port_bound "$B" 7000 0A || fail "no listener on port 7000"
	ip netns exec "$A" "$TTPSTREAM" -n "$1" -m "$2" -t 60 10.0.2.2 7000 \
		> "$TMPD/cli" 2>&1
	rc=$?
	wait "$srv" || { cat "$TMPD/cli" "$TMPD/srv"; fail "B: bytes lost or damaged"; }
	cat "$TMPD/cli" "$TMPD/srv"
	[ $rc = 0 ] || fail "A: bytes lost or damaged"
	OUT_A=$(cat "$TMPD/cli")
	OUT_B=$(cat "$TMPD/srv")
}

# mss_of OUTPUT: the mss= figure of a ttpstream line
mss_of()
{
	sed -n 's/.* mss=\([0-9]*\).*/\1/p' <<< "$1"
}

case_pmtu()
{
	local n=$((4000000 / SCALE)) icmp_r icmp_a retr rt

	mtus 1280 1500
	icmp_r=$(ipstat "$R" Icmp: OutDestUnreachs) || fail "$icmp_r"
	icmp_a=$(ipstat "$A" Icmp: InDestUnreachs) || fail "$icmp_a"
	retr=$(snmp "$A" RetransSegs)
	transfer "$n" 0
	icmp_r=$(($(ipstat "$R" Icmp: OutDestUnreachs) - icmp_r))
	icmp_a=$(($(ipstat "$A" Icmp: InDestUnreachs) - icmp_a))
	retr=$(($(snmp "$A" RetransSegs) - retr))
	rt=$(ip -n "$A" route get 10.0.2.2 | tr -s ' \n' ' ')
	diag "R sent $icmp_r, A received $icmp_a ICMP unreachable; A resent $retr segments"
	diag "A's route: $rt"
	expect_eq "A's MSS (1280 - 20 - 24 - 12)" 1224 "$(mss_of "$OUT_A")"
	expect_cmp "ICMP unreachable sent by R" "$icmp_r" -ge 1
	expect_cmp "ICMP unreachable received by A" "$icmp_a" -ge 1
	expect_cmp "A's RetransSegs delta (the dropped segments resent)" \
		"$retr" -ge 1
	[[ $rt == *" mtu 1280 "* ]] || fail "A's route has no path MTU 1280"
}

case_mss_option()
{
	local n=$((2000000 / SCALE)) icmp_r

	mtus 1280 1280
	icmp_r=$(ipstat "$R" Icmp: OutDestUnreachs) || fail "$icmp_r"
	transfer "$n" "$n"
	icmp_r=$(($(ipstat "$R" Icmp: OutDestUnreachs) - icmp_r))
	expect_eq "A's MSS (B announced 1280 - 44)" 1224 "$(mss_of "$OUT_A")"
	expect_eq "B's MSS (its route's 1280 - 44)" 1224 "$(mss_of "$OUT_B")"
	expect_eq "ICMP unreachable sent by R" 0 "$icmp_r"
}

require_basics
[ -x "$TTPSTREAM" ] || bail_out "$TTPSTREAM not built"
setup_ns A R B || bail_out "cannot create namespaces"
link_ns "$A" va "$R" ra 10.0.1 || bail_out "cannot create the A-R veth pair"
link_ns "$R" rb "$B" vb 10.0.2 || bail_out "cannot create the R-B veth pair"
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 ||
	bail_out "cannot turn forwarding on in R"
ip -n "$A" route add 10.0.2.0/24 via 10.0.1.2 || bail_out "route in A"
ip -n "$B" route add 10.0.1.0/24 via 10.0.2.1 || bail_out "route in B"

tap_begin 2
run_case "stream_pmtu: 1280 on R's side of R-B: ICMP lowers A's MSS to 1224" \
	case_pmtu
run_case "stream_pmtu: 1280 on both sides of R-B: the MSS option gives 1224" \
	case_mss_option
tap_end
