#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TTP's trace events (module/ttp_trace.h), through tracefs as perf,
# trace-cmd and bpftrace see them: the four events and their formats; a
# stream copied under netem loss, where the events of A's connection show
# its states in order (B's FIN first, so A ends in LAST_ACK), ttp_retransmit
# events whose segs add up to what A counted in RetransSegs (each with a
# reason), and window changes that include a
# reduction; a datagram to a port nobody holds, traced as a drop with
# reason NoPorts.

source "$(dirname "$0")/ttp_lib.sh"

TTPCAT=${TTPCAT:-$TTP_TOOLS/ttpcat}
TR=/sys/kernel/tracing
IP_A=10.0.1.1
IP_B=10.0.1.2

tr_write()
{
	echo "$2" > "$TR/$1" || fail "cannot write $2 to $TR/$1"
}

case_formats()
{
	local e

	for e in ttp_state ttp_retransmit ttp_drop ttp_cwnd; do
		[ -r "$TR/events/ttp/$e/format" ] || fail "no event ttp:$e"
	done
	grep -q "field:int reason;" "$TR/events/ttp/ttp_retransmit/format" ||
		fail "ttp_retransmit has no reason: $(cat "$TR/events/ttp/ttp_retransmit/format")"
	grep -q "field:u32 cwnd;" "$TR/events/ttp/ttp_cwnd/format" || fail "ttp_cwnd has no cwnd"
	grep -q '"timeout"' "$TR/events/ttp/ttp_retransmit/format" ||
		fail "ttp_retransmit's reasons are not named"
}

case_stream_loss()
{
	local srv rc r0 r1 n port states

	head -c 600000 /dev/urandom > "$TMPD/file"
	tr_write tracing_on 0
	tr_write trace ""
	tr_write events/ttp/enable 1
	tr_write tracing_on 1
	ttp_netem "$A" va loss 8% || fail "netem on va"
	r0=$(snmp "$A" RetransSegs)
	ip netns exec "$B" timeout $((60 * TIME_SCALE)) "$TTPCAT" -l 7500 < /dev/null \
		> "$TMPD/got" &
	srv=$!
	wait_until 10 port_bound "$B" 7500 0A || fail "no listener"
	ip netns exec "$A" timeout $((60 * TIME_SCALE)) "$TTPCAT" $IP_B 7500 \
		< "$TMPD/file" > /dev/null
	rc=$?
	expect_eq "ttpcat's status" 0 $rc
	wait $srv
	cmp -s "$TMPD/file" "$TMPD/got" || fail "the copy differs"
	r1=$(snmp "$A" RetransSegs)
	# B's stdin is empty: its FIN came first, A closes last (LAST_ACK),
	# when its own FIN is acknowledged, which may be after ttpcat exits
	wait_until 10 grep -q "$IP_A:[0-9]* $IP_B:7500 LAST_ACK -> CLOSE" "$TR/trace"
	tr_write tracing_on 0
	tr_write events/ttp/enable 0
	tc -n "$A" qdisc del dev va root
	cp "$TR/trace" "$TMPD/trace"
	grep -m 1 "ttp_retransmit:.*reason=fast" "$TMPD/trace" | sed "s/^/# /"
	grep -m 1 "ttp_cwnd:" "$TMPD/trace" | sed "s/^/# /"
	grep -c "ttp_" "$TMPD/trace" | sed 's/^/# events: /'

	expect_cmp "RetransSegs delta in A" $((r1 - r0)) -gt 0
	# a GSO packet resent counts its segments (segs=)
	n=$(sed -n "s/.*ttp_retransmit: $IP_A:[0-9]* $IP_B:7500 seq=[0-9]* len=[0-9]* segs=\([0-9]*\) reason=\(timeout\|fast\|recovery\)$/\1/p" \
	    "$TMPD/trace" | awk '{ s += $1 } END { print s + 0 }')
	diag "A: RetransSegs +$((r1 - r0)), segments in ttp_retransmit events $n;" \
	     "$(grep -o "ttp_retransmit: .*reason=[a-z]*" "$TMPD/trace" | grep -o "reason=[a-z]*" | sort | uniq -c | tr -s ' \n' ' ')"
	expect_eq "segments in the ttp_retransmit events of A's connection" $((r1 - r0)) "$n"

	port=$(sed -n "s/.*ttp_state: $IP_A:\([0-9]*\) $IP_B:7500 SYN_SENT -> ESTABLISHED/\1/p" \
	       "$TMPD/trace")
	states=$(sed -n "s/.*ttp_state: $IP_A:$port $IP_B:7500 \(.*\)/\1/p" "$TMPD/trace" |
		 tr '\n' ';')
	expect_eq "A's states" \
		"SYN_SENT -> ESTABLISHED;ESTABLISHED -> CLOSE_WAIT;CLOSE_WAIT -> LAST_ACK;LAST_ACK -> CLOSE;" \
		"${states#CLOSE -> SYN_SENT;}"
	grep -q "ttp_state: $IP_B:7500 $IP_A:$port SYN_RECV -> ESTABLISHED" "$TMPD/trace" ||
		fail "no SYN_RECV -> ESTABLISHED for B's side"

	# the window grew and was cut: ssthresh came down from its start
	grep -q "ttp_cwnd: $IP_A:$port $IP_B:7500 cwnd=[1-9][0-9]* ssthresh=[0-9]* in_flight=" \
		"$TMPD/trace" || fail "no ttp_cwnd event for A's connection"
	[ "$(sed -n "s/.*ttp_cwnd: $IP_A:$port $IP_B:7500 cwnd=[0-9]* ssthresh=\([0-9]*\) .*/\1/p" \
		"$TMPD/trace" | sort -un | wc -l)" -ge 2 ] ||
		fail "ssthresh never changed in A's ttp_cwnd events"
}

case_drop()
{
	local d0 d1

	tr_write trace ""
	tr_write events/ttp/ttp_drop/enable 1
	tr_write tracing_on 1
	d0=$(snmp "$B" NoPorts)
	printf x | ip netns exec "$A" "$TTPDG" tx -p 7601 $IP_B 7600 || fail "ttpdg tx"
	wait_until 10 grep -q "ttp_drop:" "$TR/trace"
	tr_write tracing_on 0
	tr_write events/ttp/ttp_drop/enable 0
	d1=$(snmp "$B" NoPorts)
	expect_eq "NoPorts delta in B" 1 $((d1 - d0))
	expect_eq "the drop traced" "$IP_A -> $IP_B len=13 reason=NoPorts" \
		"$(sed -n 's/.*ttp_drop: //p' "$TR/trace")"
}

require_basics
[ -x "$TTPCAT" ] || bail_out "$TTPCAT not built"
if [ ! -d "$TR/events" ]; then
	mount -t tracefs nodev "$TR" 2> /dev/null ||
		skip_all "no tracefs (CONFIG_TRACING) at $TR"
fi
[ -d "$TR/events/ttp" ] || bail_out "no ttp events in $TR/events: the module defines none"
setup_netem_pair
trap 'echo 0 > "$TR/events/ttp/enable"; echo 1 > "$TR/tracing_on"; ttp_cleanup' EXIT

tap_begin 3
run_case "trace: the four events and their formats" case_formats
run_case "trace: states, every retransmission and window changes under loss" case_stream_loss
run_case "trace: a datagram to a closed port, a NoPorts drop" case_drop
tap_end
