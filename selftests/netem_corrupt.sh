#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tc netem corrupts datagrams on the veth between two namespaces: the
# receiver's checksum error counter rises and nothing damaged is delivered
# (the receiver checks every byte of every datagram it gets). netem sees
# TTP's packets only (ttp_netem).

source "$(dirname "$0")/ttp_lib.sh"

# run_corrupt PERCENT N SIZE PORT: sets R (delivered intact), CSUM, MAL
run_corrupt()
{
	local pct=$1 n=$2 size=$3 port=$4 csum0 mal0 inerr0 c m e rcv res

	read -r csum0 mal0 inerr0 <<< \
		"$(snmp "$B" InCsumErrors Malformed InErrors)"
	if [ "$pct" != 0 ]; then
		ttp_netem "$A" va corrupt "$pct%" || fail "tc netem corrupt"
	fi
	bg ip netns exec "$B" timeout 60 "$TTPDG" recv -e -w 30000 -n "$n" -s "$size" \
		-r 4000000 -t 30000 "$port" > "$TMPD/recv" 2> "$TMPD/recv.err"
	rcv=$!
	wait_port "$B" "$port" || fail "receiver did not bind"
	ip netns exec "$A" timeout 30 "$TTPDG" send -n "$n" -s "$size" -i 200 \
		10.0.1.2 "$port" > /dev/null || fail "send failed"
	[ "$pct" != 0 ] && tc -n "$A" qdisc del dev va root
	echo -n E | ip netns exec "$A" "$TTPDG" tx 10.0.1.2 "$port"
	wait "$rcv"
	res=$?
	cat "$TMPD/recv" "$TMPD/recv.err"
	[ $res = 0 ] || fail "damaged or duplicated datagrams were delivered"
	R=$(sed -n 's/^received=\([0-9]*\) .*/\1/p' "$TMPD/recv")
	grep -q " corrupt=0 dup=0$" "$TMPD/recv" || fail "bad receiver report"
	read -r c m e <<< "$(snmp "$B" InCsumErrors Malformed InErrors)"
	CSUM=$((c - csum0))
	MAL=$((m - mal0))
	diag "corrupt $pct%: $n sent, $R delivered intact," \
	     "InCsumErrors +$CSUM, Malformed +$MAL"
	expect_eq "InErrors delta" $((CSUM + MAL)) $((e - inerr0))
	expect_cmp "delivered + dropped as bad" $((R + CSUM + MAL)) -le "$n"
}

case_corrupt_all()
{
	run_corrupt 100 200 1000 7000
	# a flipped bit lands in the TTP header or payload most of the time;
	# in the source MAC address it harms nothing
	expect_cmp "InCsumErrors delta" "$CSUM" -ge 20
	expect_cmp "intact datagrams" "$R" -le 100
}

case_corrupt_some()
{
	run_corrupt 30 300 1000 7001
	expect_cmp "InCsumErrors delta" "$CSUM" -ge 5
	expect_cmp "intact datagrams" "$R" -ge 150
	expect_cmp "intact datagrams" "$R" -lt 300
}

case_clean()
{
	run_corrupt 0 200 1000 7002
	expect_eq "intact datagrams" 200 "$R"
	expect_eq "InCsumErrors delta" 0 "$CSUM"
	expect_eq "Malformed delta" 0 "$MAL"
}

setup_netem_pair

tap_begin 3
run_case "netem_corrupt: 100% corrupt, checksum errors counted" case_corrupt_all
run_case "netem_corrupt: 30% corrupt, only intact datagrams delivered" case_corrupt_some
run_case "netem_corrupt: no corruption, all delivered, no errors" case_clean
tap_end
