#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tc netem drops datagrams on the veth between two namespaces: fewer arrive,
# none twice, and nothing is sent again (datagram mode does not retransmit):
# what left the netem qdisc plus what it dropped is exactly what was sent,
# and everything that left arrived. netem sees TTP's packets only (ttp_netem),
# so nothing else that crosses the link can change a count.

source "$(dirname "$0")/ttp_lib.sh"

# run_loss PERCENT N PORT: sets R (received), SENT and DROPPED (qdisc)
run_loss()
{
	local pct=$1 n=$2 port=$3 in0 out0 out1 rcv res st

	in0=$(snmp "$B" InDatagrams)
	out0=$(snmp "$A" OutDatagrams)
	ttp_netem "$A" va loss "$pct%" || fail "tc netem loss"
	bg ip netns exec "$B" timeout 60 "$TTPDG" recv -e -w 30000 -n "$n" -s 200 \
		-r 4000000 -t 30000 "$port" > "$TMPD/recv"
	rcv=$!
	wait_port "$B" "$port" || fail "receiver did not bind"
	ip netns exec "$A" timeout 30 "$TTPDG" send -n "$n" -s 200 -i 200 \
		10.0.1.2 "$port" > /dev/null || fail "send failed"
	out1=$(snmp "$A" OutDatagrams)
	st=$(ttp_netem_stats "$A" va)
	[ -n "$st" ] || fail "no netem statistics on va"
	SENT=${st% *}
	DROPPED=${st#* }
	# no retransmission later either
	sleep 1
	expect_eq "OutDatagrams a second later" "$out1" "$(snmp "$A" OutDatagrams)"
	expect_eq "netem qdisc a second later" "$st" "$(ttp_netem_stats "$A" va)"
	tc -n "$A" qdisc del dev va root
	echo -n E | ip netns exec "$A" "$TTPDG" tx 10.0.1.2 "$port"
	wait "$rcv"
	res=$?
	cat "$TMPD/recv"
	[ $res = 0 ] || fail "damaged or duplicated datagrams were delivered"
	grep -q " corrupt=0 dup=0$" "$TMPD/recv" || fail "bad receiver report"
	R=$(sed -n 's/^received=\([0-9]*\) .*/\1/p' "$TMPD/recv")
	diag "loss $pct%: $n sent, qdisc passed $SENT and dropped $DROPPED," \
	     "$R received"
	expect_eq "OutDatagrams delta" "$n" $((out1 - out0))
	expect_eq "qdisc passed + dropped" "$n" $((SENT + DROPPED))
	expect_eq "received" "$SENT" "$R"
	expect_eq "InDatagrams delta (with the end marker)" $((R + 1)) \
		$(($(snmp "$B" InDatagrams) - in0))
}

case_loss_some()
{
	run_loss 30 300 7000
	expect_cmp "received" "$R" -gt 0
	expect_cmp "received" "$R" -lt 300
	expect_cmp "dropped" "$DROPPED" -ge 30
}

case_loss_all()
{
	run_loss 100 100 7001
	expect_eq "received" 0 "$R"
}

setup_netem_pair

tap_begin 2
run_case "netem_loss: 30% loss, no duplicates, no retransmission" case_loss_some
run_case "netem_loss: 100% loss, nothing arrives" case_loss_all
tap_end
