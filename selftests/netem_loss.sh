#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tc netem drops datagrams on the veth between two namespaces: fewer arrive,
# none twice, and nothing is sent again (datagram mode does not retransmit):
# what left the qdisc plus what it dropped is exactly what was sent, and
# everything that left arrived.

source "$(dirname "$0")/ttp_lib.sh"

# qdisc_stats NS DEV: "SENT_PKTS DROPPED"
qdisc_stats()
{
	tc -s -n "$1" qdisc show dev "$2" |
		awk '/Sent/ { gsub(",", "", $7); print $4, $7; exit }'
}

tx_packets()
{
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/tx_packets"
}

# run_loss PERCENT N PORT: sets R (received), SENT and DROPPED (qdisc)
run_loss()
{
	local pct=$1 n=$2 port=$3 in0 out0 out1 rcv res st tx

	in0=$(snmp "$B" InDatagrams)
	out0=$(snmp "$A" OutDatagrams)
	tc -n "$A" qdisc replace dev va root netem loss "$pct%" ||
		fail "tc netem loss"
	bg ip netns exec "$B" timeout 60 "$TTPDG" recv -e -w 30000 -n "$n" -s 200 \
		-r 4000000 -t 30000 "$port" > "$TMPD/recv"
	rcv=$!
	wait_port "$B" "$port" || fail "receiver did not bind"
	ip netns exec "$A" timeout 30 "$TTPDG" send -n "$n" -s 200 -i 200 \
		10.0.1.2 "$port" > /dev/null || fail "send failed"
	out1=$(snmp "$A" OutDatagrams)
	st=$(qdisc_stats "$A" va)
	SENT=${st% *}
	DROPPED=${st#* }
	# no retransmission later either
	tx=$(tx_packets "$A" va)
	sleep 1
	expect_eq "veth tx packets a second later" "$tx" "$(tx_packets "$A" va)"
	expect_eq "qdisc a second later" "$st" "$(qdisc_stats "$A" va)"
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
