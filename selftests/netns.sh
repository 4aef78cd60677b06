#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Datagrams between two network namespaces joined by a veth pair: exact
# bytes both ways (up to the largest datagram, which IP fragments), sender
# addresses, per-namespace counters and socket tables, ttpcat, and deleting
# a namespace while its sockets are open.

source "$(dirname "$0")/ttp_lib.sh"

MAXDG=65503
[ "${TTP_TEST_AS_UDP:-0}" = 1 ] && MAXDG=65507
TTPCAT=${TTPCAT:-$TTP_DIR/../userspace/ttpcat}

# one_way FROM TO TO_ADDR FROM_ADDR SIZE: SIZE random bytes as one datagram
one_way()
{
	local from=$1 to=$2 to_addr=$3 from_addr=$4 size=$5
	local out0 fin0 in0 out1 fin1 in1 rx

	head -c "$size" /dev/urandom > "$TMPD/in"
	read -r out0 fin0 <<< "$(snmp "$from" OutDatagrams InDatagrams)"
	in0=$(snmp "$to" InDatagrams)
	bg ip netns exec "$to" timeout 20 "$TTPDG" rx -t 15000 7000 \
		> "$TMPD/out" 2> "$TMPD/err"
	rx=$!
	wait_port "$to" 7000 || fail "receiver did not bind"
	ip netns exec "$from" timeout 10 "$TTPDG" tx -p 7100 "$to_addr" 7000 \
		< "$TMPD/in" || fail "tx failed"
	wait $rx || fail "rx failed: $(cat "$TMPD/err")"
	cmp "$TMPD/in" "$TMPD/out" || fail "bytes differ"
	[[ "$(< "$TMPD/err")" == "from=$from_addr:7100 "* ]] ||
		fail "sender address: $(cat "$TMPD/err")"
	read -r out1 fin1 <<< "$(snmp "$from" OutDatagrams InDatagrams)"
	in1=$(snmp "$to" InDatagrams)
	expect_eq "$from OutDatagrams delta" 1 $((out1 - out0))
	expect_eq "$to InDatagrams delta" 1 $((in1 - in0))
	expect_eq "$from InDatagrams delta" 0 $((fin1 - fin0))
	expect_eq "sockets left in $to" 0 "$(table_rows "$to")"
}

case_a_to_b()
{
	one_way "$A" "$B" 10.0.1.2 10.0.1.1 1000
}

case_b_to_a()
{
	one_way "$B" "$A" 10.0.1.1 10.0.1.2 1000
}

case_max_fragmented()
{
	one_way "$A" "$B" 10.0.1.2 10.0.1.1 "$MAXDG"
	one_way "$B" "$A" 10.0.1.1 10.0.1.2 "$MAXDG"
}

case_zero_length()
{
	one_way "$A" "$B" 10.0.1.2 10.0.1.1 0
	[[ "$(< "$TMPD/err")" == *" len=0" ]] || fail "$(cat "$TMPD/err")"
}

case_many()
{
	local in0 err0 res

	in0=$(snmp "$B" InDatagrams)
	err0=$(snmp "$B" InErrors)
	bg ip netns exec "$B" timeout 60 "$TTPDG" recv -n 300 -s 1200 \
		-r 4000000 -t 50000 7001 > "$TMPD/recv"
	res=$!
	wait_port "$B" 7001 || fail "receiver did not bind"
	ip netns exec "$A" timeout 30 "$TTPDG" send -n 300 -s 1200 -i 100 \
		10.0.1.2 7001 || fail "send failed"
	wait $res || fail "receiver: $(cat "$TMPD/recv")"
	expect_eq "receiver" "received=300 corrupt=0 dup=0" "$(cat "$TMPD/recv")"
	expect_eq "InDatagrams delta" 300 $(($(snmp "$B" InDatagrams) - in0))
	expect_eq "InErrors delta" 0 $(($(snmp "$B" InErrors) - err0))
}

case_same_port()
{
	bg ip netns exec "$A" "$TTPDG" hold 7002
	bg ip netns exec "$B" "$TTPDG" hold 7002
	wait_port "$A" 7002 || fail "no socket in $A"
	wait_port "$B" 7002 || fail "no socket in $B"
	expect_eq "sockets in $A" 1 "$(table_rows "$A")"
	expect_eq "sockets in $B" 1 "$(table_rows "$B")"
	ip netns exec "$A" timeout 10 "$TTPDG" ping -t 5000 10.0.1.2 7002 ||
		fail "no echo from $B"
	ip netns exec "$B" timeout 10 "$TTPDG" ping -t 5000 10.0.1.1 7002 ||
		fail "no echo from $A"
}

case_ttpcat()
{
	[ "${TTP_TEST_AS_UDP:-0}" = 1 ] && skip "TTP only: ttpcat speaks TTP"
	[ -x "$TTPCAT" ] || fail "$TTPCAT not built"
	bg ip netns exec "$B" timeout 20 "$TTPCAT" -l -u 7003 > "$TMPD/cat"
	wait_port "$B" 7003 || fail "ttpcat -l -u 7003 did not bind"
	echo "hello over ttp" | ip netns exec "$A" timeout 5 \
		"$TTPCAT" -u 10.0.1.2 7003
	wait_until 5 grep -q "hello over ttp" "$TMPD/cat" ||
		fail "listener printed '$(cat "$TMPD/cat")'"
}

# refs_back BASE: within 10 s the module's references are back to at most
# BASE (what the case found when it began). Not in the UDP reference mode:
# udp is built in, no module to count.
refs_back()
{
	[ "${TTP_TEST_AS_UDP:-0}" = 1 ] && return 0
	wait_until 10 modref_le "$1" ||
		fail "module references: $(modref), were $1"
}

link_gone()
{
	! ip -n "$1" link show "$2" > /dev/null 2>&1
}

# Delete a namespace whose sockets are open (one busy, one with a full
# queue), then end them while datagrams still pour in.
case_netns_delete()
{
	local base holder quiet flood

	base=$(modref)
	ip netns add "$C" || fail "ip netns add"
	ip -n "$C" link set lo up
	link_ns "$A" vc1 "$C" vc2 10.0.2 || fail "veth"
	bg ip netns exec "$C" "$TTPDG" hold 7000
	holder=$!
	bg ip netns exec "$C" "$TTPDG" hold -q 7001
	quiet=$!
	wait_port "$C" 7000 && wait_port "$C" 7001 || fail "holders did not bind"
	ip netns exec "$A" timeout 10 "$TTPDG" ping 10.0.2.2 7000 ||
		fail "no echo"
	ip netns del "$C" || fail "ip netns del"
	ip netns exec "$A" timeout 10 "$TTPDG" ping 10.0.2.2 7000 ||
		fail "no echo after the namespace lost its name"
	bg ip netns exec "$A" timeout 30 "$TTPDG" send -q -n 1000000 -i 100 \
		-s 1000 10.0.2.2 7001
	flood=$!
	sleep 0.5
	kill -9 "$holder" "$quiet"
	wait_until 20 link_gone "$A" vc1 ||
		fail "the namespace was not destroyed"
	kill -TERM "$flood"
	wait "$flood"
	refs_back "$base"
}

# Short-lived namespaces, each with a socket that sent something.
case_netns_churn()
{
	local base i

	base=$(modref)
	for i in $(seq 10); do
		unshare -n sh -c "ip link set lo up &&
			$TTPDG tx 127.0.0.1 9 < /dev/null && {
			$TTPDG hold -q 9000 & p=\$!; sleep 0.05;
			kill -9 \$p; wait \$p 2>/dev/null; true; }" ||
			fail "round $i"
	done
	refs_back "$base"
}

require_basics
setup_ns A B || bail_out "cannot create namespaces"
link_ns "$A" va "$B" vb 10.0.1 || bail_out "cannot create a veth pair"
C=ttp-c-$$-$RANDOM
NS_LIST+=("$C")

tap_begin 9
run_case "netns: a to b, 1000 bytes" case_a_to_b
run_case "netns: b to a, 1000 bytes" case_b_to_a
run_case "netns: $MAXDG-byte datagram, fragmented, both ways" case_max_fragmented
run_case "netns: zero-length datagram" case_zero_length
run_case "netns: 300 datagrams, none lost or damaged" case_many
run_case "netns: same port in both namespaces" case_same_port
run_case "netns: ttpcat" case_ttpcat
run_case "netns: delete a namespace with sockets open" case_netns_delete
run_case "netns: 10 short-lived namespaces with sockets" case_netns_churn
tap_end
