#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# GSO for the stream (docs/protocol.md 5.13): A sends B a file of random
# bytes over veth; tcpdump on B's end captures what arrives, and
# ttp_pcap.py reads A's segments back.
#
#  - intact: veth takes GSO packets whole. Packets longer than the MTU
#    (1,500 bytes) cross, fewer packets than segments, and A's OutSegs
#    delta equals B's InSegs delta: both count segments, not packets.
#  - cut: with checksum offload off on A's end (tx off, which takes GSO
#    with it), the stack cuts each packet in TTP's gso_segment. Every
#    packet is at most 1,500 bytes and its Length and checksum verify;
#    A's OutSegs, B's InSegs and the packets captured agree.
#  - fin: B's reader is stopped while A writes and closes, so that A's
#    FIN rides on the last skb of a full send queue, sent as a GSO packet
#    once B reads again and cut on the way: the FIN comes out on the last
#    segment only.
#
# In every case the capture's payloads, put in sequence order, are the
# file, no two copies of a sequence number carry different bytes, and one
# segment carries A's FIN (the cut case's last packet, too, usually holds
# more than one segment: its FIN must not go on each).

source "$(dirname "$0")/ttp_lib.sh"

TTPCAT=${TTPCAT:-$TTP_TOOLS/ttpcat}
PCAP=$(dirname "$0")/ttp_pcap.py
IP_A=10.0.1.1
IP_B=10.0.1.2
BYTES=400000
ttp_debug_kernel && BYTES=100000

# capture_start: tcpdump on vb, in B, of the protocol's packets
capture_start()
{
	rm -f "$TMPD/cap.pcap"
	ip netns exec "$B" tcpdump -i vb --immediate-mode -U -n -Z root -s 0 \
		-B 65536 -w "$TMPD/cap.pcap" "ip proto $IPPROTO" \
		2> "$TMPD/tcpdump.err" &
	TCPDUMP=$!
	wait_until 20 grep -q "listening on" "$TMPD/tcpdump.err" ||
		fail "tcpdump did not start: $(cat "$TMPD/tcpdump.err")"
}

# capture_stop: tcpdump ends, having dropped nothing; A's segments in
# SEGS (lines of ttp_pcap.py segments), their payloads in $TMPD/wire
capture_stop()
{
	sleep "$TIME_SCALE"
	kill -INT "$TCPDUMP"
	wait "$TCPDUMP"
	grep -q "^0 packets dropped by kernel" "$TMPD/tcpdump.err" ||
		fail "tcpdump dropped packets: $(cat "$TMPD/tcpdump.err")"
	mapfile -t SEGS < <("$PCAP" segments "$TMPD/cap.pcap" $IP_A "$TMPD/wire")
	cmp -s "$TMPD/file" "$TMPD/wire" ||
		fail "the capture's payloads in sequence order are not the file"
	printf '%s\n' "${SEGS[@]}" | grep -q "^conflict\|^no SYN" &&
		fail "$(printf '%s\n' "${SEGS[@]}" | grep -m 3 "^conflict\|^no SYN")"
	# FLAGS: FIN is 4. Nothing is lost: A's FIN goes once, on one segment
	expect_eq "segments from A with FIN" 1 \
		"$(printf '%s\n' "${SEGS[@]}" | awk '$4 % 8 >= 4' | wc -l)"
}

# transfer PORT [STOP]: the file from A to B's PORT, through ttpcat, and
# back out of B; with STOP, B's reader is stopped for 2 s while A writes
# and closes. OUTSEGS and INSEGS: A's OutSegs and B's InSegs deltas.
transfer()
{
	local srv o0 i0

	head -c "$BYTES" /dev/urandom > "$TMPD/file"
	set_isn "$A" 1000000
	o0=$(snmp "$A" OutSegs) i0=$(snmp "$B" InSegs)
	ip netns exec "$B" timeout $((60 * TIME_SCALE)) "$TTPCAT" -l "$1" \
		< /dev/null > "$TMPD/got" &
	srv=$!
	wait_until 10 port_bound "$B" "$1" 0A || fail "no listener"
	# ttpcat is the child of timeout (which ip netns exec became)
	[ -z "${2:-}" ] || pkill -STOP -P "$srv" || fail "cannot stop B's reader"
	ip netns exec "$A" timeout $((60 * TIME_SCALE)) "$TTPCAT" $IP_B "$1" \
		< "$TMPD/file" > /dev/null &
	if [ -n "${2:-}" ]; then
		sleep $((2 * TIME_SCALE))
		pkill -CONT -P "$srv"
	fi
	wait $! || fail "A's ttpcat failed"
	wait "$srv" || fail "B's ttpcat failed"
	set_isn "$A" 0
	cmp -s "$TMPD/file" "$TMPD/got" ||
		fail "B received other bytes: $(cmp "$TMPD/file" "$TMPD/got" 2>&1 | head -n 1), $(stat -c %s "$TMPD/got") of $BYTES"
	OUTSEGS=$(($(snmp "$A" OutSegs) - o0))
	INSEGS=$(($(snmp "$B" InSegs) - i0))
}

# A's data packets: "COUNT LONGEST SEGMENTS" (SEGMENTS: of 1,444 bytes,
# the MSS, rounded up), and how many failed their checksum
tally()
{
	printf '%s\n' "${SEGS[@]}" | awk '
		$3 > 0 { n++; if ($1 > max) max = $1; s += int(($3 + 1443) / 1444) }
		$5 == "bad" { bad++ }
		END { print n + 0, max + 0, s + 0, bad + 0 }'
}

case_intact()
{
	local n max segs bad

	capture_start
	transfer 7600
	capture_stop
	read -r n max segs bad <<< "$(tally)"
	diag "A: OutSegs +$OUTSEGS; B: InSegs +$INSEGS; captured $n data packets, $segs segments, the longest $max bytes"
	expect_eq "B's InSegs delta (A's OutSegs delta)" "$OUTSEGS" "$INSEGS"
	expect_cmp "the longest packet" "$max" -gt 1500
	expect_cmp "data packets captured" "$n" -lt "$segs"
}

case_cut()
{
	local n max segs bad

	ip netns exec "$A" ethtool -K va tx off > /dev/null || fail "ethtool on va"
	capture_start
	transfer 7601
	capture_stop
	read -r n max segs bad <<< "$(tally)"
	diag "A: OutSegs +$OUTSEGS; B: InSegs +$INSEGS; captured ${#SEGS[@]} packets, $n with data, the longest $max bytes"
	expect_eq "B's InSegs delta (A's OutSegs delta)" "$OUTSEGS" "$INSEGS"
	expect_eq "packets captured from A (A's OutSegs delta)" "$OUTSEGS" "${#SEGS[@]}"
	expect_cmp "the longest packet" "$max" -le 1500
	expect_eq "packets whose checksum fails" 0 "$bad"
}

case_fin()
{
	local last

	ip netns exec "$A" ethtool -K va tx off > /dev/null || fail "ethtool on va"
	capture_start
	transfer 7602 stop
	capture_stop
	# the segment that ends highest (A's ISN is fixed: no wrap)
	last=$(printf '%s\n' "${SEGS[@]}" | awk '$3 > 0 || $4 % 8 >= 4' |
	       sort -n -k2 | tail -n 1)
	diag "A: OutSegs +$OUTSEGS; the last segment: $last"
	expect_eq "the FIN's segment is the last (flags)" 6 "$(echo "$last" | awk '{ print $4 }')"
}

setup_netem_pair
command -v tcpdump > /dev/null || bail_out "tcpdump missing"
command -v ethtool > /dev/null || bail_out "ethtool missing"

tap_begin 3
run_case "stream_gso: intact GSO packets cross the veth" case_intact
run_case "stream_gso: cut by TTP's gso_segment (tx off)" case_cut
run_case "stream_gso: the FIN on the last segment only" case_fin
tap_end
