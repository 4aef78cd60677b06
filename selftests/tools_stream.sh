#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The userspace tools over TTP streams, between two namespaces joined by
# veth: ttpcat copies files both ways at once, exactly (on a clean link and
# with 5% loss on both sides), serves clients in a row with -l -k, takes one
# connection without -k, reports a refused and a reset connection with its
# exit status and one line on stderr; ttpstat lists the listener and the
# connection with their states and addresses and, with -i, the connection's
# TTP_INFO figures.

source "$(dirname "$0")/ttp_lib.sh"

TTPCAT=${TTPCAT:-$TTP_TOOLS/ttpcat}
TTPSTAT=${TTPSTAT:-$TTP_TOOLS/ttpstat}
# ttpcat's time limits (a process left behind by a failure ends by then)
# are scaled by TIME_SCALE
IP_A=10.0.1.1
IP_B=10.0.1.2

# stat_rows NS ARGS...: ttpstat -H ARGS in NS, the rows of sockets whose
# local or peer port is $PORT (earlier cases leave TIME-WAIT sockets), each
# reduced to "State Type Recv-Q Send-Q Local Peer"; an -i line (tab first)
# kept whole, under its row
stat_rows()
{
	local ns=$1

	shift
	ip netns exec "$ns" "$TTPSTAT" -H "$@" | awk -v p=":$PORT" '
		/^\t/ { if (keep) print; next }
		{
			keep = substr($5, length($5) - length(p) + 1) == p ||
			       substr($6, length($6) - length(p) + 1) == p
			if (keep) print $1, $2, $3, $4, $5, $6
		}'
}

# stat_is NS EXPECTED ARGS...: stat_rows NS ARGS prints the lines of
# EXPECTED, in any order (the kernel's table walk decides it)
stat_is()
{
	[ "$(stat_rows "$1" "${@:3}" | sort)" = "$(sort <<< "$2")" ]
}

# expect_stat WHAT NS EXPECTED ARGS...: within 5 s (queues drain, ACKs come)
expect_stat()
{
	wait_until 5 stat_is "$2" "$3" "${@:4}" ||
		fail "$1: ttpstat ${*:4} printed '$(stat_rows "$2" "${@:4}")', expected '$3'"
}

# info_field LINE NAME: the value of NAME:VALUE in an -i line
info_field()
{
	sed -n "s/.*[[:space:]]$2:\([^ ]*\).*/\1/p" <<< "$1"
}

# info_line NS: the one -i line of NS's connections
info_line()
{
	stat_rows "$1" -t -i | grep $'^\t'
}

# info_is NS NAME VALUE: NS's connection shows NAME:VALUE
info_is()
{
	[ "$(info_field "$(info_line "$1")" "$2")" = "$3" ]
}

# bg_cat SECS IN OUT ERR NS ARGS...: ttpcat ARGS in NS in the background,
# under timeout SECS (0: none, so that $! is ttpcat itself), stdin from IN,
# stdout to OUT, stderr to ERR, without the case's fifo descriptors; its pid
# in $!. ttp_lib's bg cannot be used: bash gives a background job started
# inside a function /dev/null for stdin, whatever the function's caller
# redirected.
bg_cat()
{
	local secs=$1 in=$2 out=$3 err=$4 ns=$5 t=()

	shift 5
	[ "$secs" = 0 ] || t=(timeout "$secs")
	ip netns exec "$ns" "${t[@]}" "$TTPCAT" "$@" \
		< "$in" > "$out" 2> "$err" 3>&- 4>&- &
	CASE_PIDS+=($!)
}

size_is()
{
	[ "$(stat -c %s "$1")" = "$2" ]
}

# a_port: the local port of A's one stream connection
a_port()
{
	stat_rows "$A" -t | awk '{ n = split($5, a, ":"); print a[n] }'
}

# copy_both PORT BYTES_A BYTES_B: ttpcat -l in B and ttpcat in A each send a
# file of random bytes to the other at once; both exit 0 with nothing on
# stderr and both copies are exact
copy_both()
{
	local port=$1 srv rc

	head -c "$2" /dev/urandom > "$TMPD/from_a"
	head -c "$3" /dev/urandom > "$TMPD/from_b"
	bg_cat $((80 * TIME_SCALE)) "$TMPD/from_b" "$TMPD/at_b" "$TMPD/err_b" "$B" -l "$port"
	srv=$!
	wait_until 10 port_bound "$B" "$port" 0A ||
		fail "ttpcat -l $port: no listener"
	ip netns exec "$A" timeout $((80 * TIME_SCALE)) "$TTPCAT" "$IP_B" "$port" \
		< "$TMPD/from_a" > "$TMPD/at_a" 2> "$TMPD/err_a"
	rc=$?
	expect_eq "client's exit status (stderr: $(cat "$TMPD/err_a"))" 0 $rc
	wait "$srv"
	rc=$?
	expect_eq "listener's exit status (stderr: $(cat "$TMPD/err_b"))" 0 $rc
	expect_eq "client's stderr" "" "$(cat "$TMPD/err_a")"
	expect_eq "listener's stderr" "" "$(cat "$TMPD/err_b")"
	cmp "$TMPD/from_a" "$TMPD/at_b" || fail "A to B: the copy differs"
	cmp "$TMPD/from_b" "$TMPD/at_a" || fail "B to A: the copy differs"
	diag "$2 bytes A to B and $3 bytes B to A, both exact"
}

case_copy_clean()
{
	copy_both 7100 1500000 1000001
}

case_copy_loss()
{
	local r0a r0b r1a r1b

	ttp_netem "$A" va loss 5% || fail "netem on va"
	ttp_netem "$B" vb loss 5% || fail "netem on vb"
	r0a=$(snmp "$A" RetransSegs)
	r0b=$(snmp "$B" RetransSegs)
	copy_both 7101 700000 500001
	r1a=$(snmp "$A" RetransSegs)
	r1b=$(snmp "$B" RetransSegs)
	tc -n "$A" qdisc del dev va root
	tc -n "$B" qdisc del dev vb root
	diag "RetransSegs +$((r1a - r0a)) in A, +$((r1b - r0b)) in B"
	expect_cmp "RetransSegs delta in A" $((r1a - r0a)) -gt 0
	expect_cmp "RetransSegs delta in B" $((r1b - r0b)) -gt 0
}

# ttpcat -l -k: two clients in a row, their bytes in order, and the
# listener still listening after each
case_keep()
{
	local i rc

	head -c 200000 /dev/urandom > "$TMPD/c1"
	head -c 300000 /dev/urandom > "$TMPD/c2"
	bg_cat 0 /dev/null "$TMPD/at_b" "$TMPD/err_b" "$B" -l -k 7102
	wait_until 10 port_bound "$B" 7102 0A || fail "ttpcat -l -k: no listener"
	for i in 1 2; do
		ip netns exec "$A" timeout $((30 * TIME_SCALE)) "$TTPCAT" "$IP_B" 7102 \
			< "$TMPD/c$i" > "$TMPD/at_a" 2> "$TMPD/err_a"
		rc=$?
		expect_eq "client $i's exit status ($(cat "$TMPD/err_a"))" 0 $rc
		expect_eq "client $i's output" 0 "$(stat -c %s "$TMPD/at_a")"
		port_bound "$B" 7102 0A ||
			fail "no listener after client $i"
	done
	cat "$TMPD/c1" "$TMPD/c2" > "$TMPD/both"
	wait_until 10 size_is "$TMPD/at_b" 500000 ||
		fail "listener printed $(stat -c %s "$TMPD/at_b") bytes, expected 500000"
	cmp "$TMPD/both" "$TMPD/at_b" || fail "listener's output differs"
	expect_eq "listener's stderr" "" "$(cat "$TMPD/err_b")"
	kill -0 "${CASE_PIDS[0]}" || fail "ttpcat -l -k exited"
}

# Without -k the listener stops listening once it has its connection: a
# second client is refused, while the first goes on to a clean end.
case_one_connection()
{
	local srv cli rc

	exec 3<> "$TMPD/fifo_a" 4<> "$TMPD/fifo_b"
	echo first > "$TMPD/msg"
	bg_cat $((30 * TIME_SCALE)) "$TMPD/fifo_b" "$TMPD/at_b" "$TMPD/err_b" "$B" -l 7103
	srv=$!
	wait_until 10 port_bound "$B" 7103 0A || fail "ttpcat -l: no listener"
	bg_cat $((30 * TIME_SCALE)) "$TMPD/fifo_a" "$TMPD/at_a" "$TMPD/err_a" "$A" "$IP_B" 7103
	cli=$!
	cat "$TMPD/msg" >&3
	wait_until 10 size_is "$TMPD/at_b" 6 || fail "the line did not arrive"
	! port_bound "$B" 7103 0A || fail "still listening after accept"
	ip netns exec "$A" timeout $((10 * TIME_SCALE)) "$TTPCAT" "$IP_B" 7103 < /dev/null \
		> "$TMPD/out2" 2> "$TMPD/err2"
	rc=$?
	expect_eq "second client's exit status" 1 $rc
	expect_eq "second client's stderr" \
		"ttpcat: connect $IP_B:7103: Connection refused" "$(cat "$TMPD/err2")"
	echo back >&4
	exec 3>&- 4>&-
	wait "$cli"
	expect_eq "first client's exit status ($(cat "$TMPD/err_a"))" 0 $?
	wait "$srv"
	expect_eq "listener's exit status ($(cat "$TMPD/err_b"))" 0 $?
	expect_eq "what the listener got" first "$(cat "$TMPD/at_b")"
	expect_eq "what the client got" back "$(cat "$TMPD/at_a")"
}

case_refused()
{
	local rc a0 b0 a1 b1 f0 r0 f1 r1

	a0=$(snmp "$A" AttemptFails InRsts)
	b0=$(snmp "$B" OutRsts)
	ip netns exec "$A" timeout $((10 * TIME_SCALE)) "$TTPCAT" "$IP_B" 7199 < /dev/null \
		> "$TMPD/out" 2> "$TMPD/err"
	rc=$?
	expect_eq "exit status" 1 $rc
	expect_eq "stderr" "ttpcat: connect $IP_B:7199: Connection refused" \
		"$(cat "$TMPD/err")"
	expect_eq "stdout" 0 "$(stat -c %s "$TMPD/out")"
	a1=$(snmp "$A" AttemptFails InRsts)
	b1=$(snmp "$B" OutRsts)
	read -r f0 r0 <<< "$a0"
	read -r f1 r1 <<< "$a1"
	expect_eq "AttemptFails delta in A" 1 $((f1 - f0))
	expect_eq "InRsts delta in A" 1 $((r1 - r0))
	expect_eq "OutRsts delta in B" 1 $((b1 - b0))
}

# rxq_over NS PORT BYTES: a connected stream socket on local PORT in NS
# holds more than BYTES unread (rx_queue of /proc/net/ttp)
rxq_over()
{
	local p l f

	printf -v p '%04X' "$2"
	ns_lines "$1" ttp
	for l in "${LINES[@]:1}"; do
		read -r -a f <<< "$l"
		[ "${f[1]##*:}" = "$p" ] && [ "${f[3]}" = 01 ] &&
			[ $((16#${f[5]##*:})) -gt "$3" ] && return 0
	done
	return 1
}

# The listener stops reading (its stdout is a fifo nobody reads) and is
# killed with bytes unread: its socket resets the connection, and the
# client, still sending, says so and fails. The listener's stdin stays open,
# so that the connection is ESTABLISHED both ways when the reset comes (in
# CLOSE-WAIT a reset reads EPIPE, as for TCP). One reset each way counted.
case_reset()
{
	local srv cli rc a0 a1 b0 b1

	# the case holds fifo_a's only reader, and never reads; and fifo_b's
	# only writer, and never writes
	exec 3<> "$TMPD/fifo_a" 4<> "$TMPD/fifo_b"
	bg_cat 0 "$TMPD/fifo_b" "$TMPD/fifo_a" /dev/null "$B" -l 7104
	srv=$!
	wait_until 10 port_bound "$B" 7104 0A || fail "ttpcat -l: no listener"
	bg_cat $((60 * TIME_SCALE)) /dev/zero /dev/null "$TMPD/err_a" "$A" "$IP_B" 7104
	cli=$!
	wait_until 20 rxq_over "$B" 7104 65536 ||
		fail "the listener's socket never held 64 KB unread: $(ip netns exec "$B" cat /proc/net/ttp; ip netns exec "$A" cat /proc/net/ttp)"
	a0=$(snmp "$A" InRsts EstabResets)
	b0=$(snmp "$B" OutRsts)
	{ kill -9 "$srv"; wait "$srv"; } 2> /dev/null
	wait "$cli"
	rc=$?
	expect_eq "client's exit status" 1 $rc
	grep -Eqx "ttpcat: (send|recv) $IP_B:7104: Connection reset by peer" \
		"$TMPD/err_a" || fail "client's stderr: '$(cat "$TMPD/err_a")'"
	a1=$(snmp "$A" InRsts EstabResets)
	b1=$(snmp "$B" OutRsts)
	expect_eq "InRsts EstabResets deltas in A" "1 1" \
		"$((${a1% *} - ${a0% *})) $((${a1#* } - ${a0#* }))"
	expect_eq "OutRsts delta in B" 1 $((b1 - b0))
}

# ttpstat: the listener alone (LISTEN, also with -l), then with a connection
# held open (ESTAB both ends, addresses and ports matching; -l still only the
# listener), and -i: the connection's exact byte counts and sane figures.
case_ttpstat()
{
	local port l ms rto cli

	PORT=7105
	exec 3<> "$TMPD/fifo_a" 4<> "$TMPD/fifo_b"
	bg_cat $((60 * TIME_SCALE)) "$TMPD/fifo_b" "$TMPD/at_b" "$TMPD/err_b" "$B" -l -k 7105
	wait_until 10 port_bound "$B" 7105 0A || fail "ttpcat -l: no listener"
	l="LISTEN stream 0 16 0.0.0.0:7105 0.0.0.0:*"	# Send-Q: the backlog of -k
	expect_stat "B" "$B" "$l"
	expect_stat "B, -l" "$B" "$l" -l
	expect_stat "B, -t -l" "$B" "$l" -t -l
	expect_stat "B, -u" "$B" "" -u
	expect_stat "A" "$A" ""

	bg_cat $((60 * TIME_SCALE)) "$TMPD/fifo_a" "$TMPD/at_a" "$TMPD/err_a" "$A" "$IP_B" 7105
	cli=$!
	head -c 1000 /dev/urandom > "$TMPD/m1"
	head -c 500 /dev/urandom > "$TMPD/m2"
	cat "$TMPD/m1" >&3
	cat "$TMPD/m2" >&4
	wait_until 10 size_is "$TMPD/at_b" 1000 || fail "B got $(stat -c %s "$TMPD/at_b") bytes"
	wait_until 10 size_is "$TMPD/at_a" 500 || fail "A got $(stat -c %s "$TMPD/at_a") bytes"
	port=$(a_port)
	[[ $port =~ ^[0-9]+$ ]] || fail "A's connection: '$(stat_rows "$A" -t)'"
	expect_stat "A" "$A" "ESTAB stream 0 0 $IP_A:$port $IP_B:7105"
	expect_stat "B" "$B" "$l
ESTAB stream 0 0 $IP_B:7105 $IP_A:$port" -t
	expect_stat "B, -l" "$B" "$l" -l

	# -i: one figures line under the connection, none under the listener
	wait_until 5 info_is "$A" bytes_acked 1000 ||
		fail "A: '$(info_line "$A")'"
	wait_until 5 info_is "$B" bytes_acked 500 ||
		fail "B: '$(info_line "$B")'"
	stat_rows "$B" -t -i > "$TMPD/rows"
	expect_eq "B's -i rows" 3 "$(wc -l < "$TMPD/rows")"
	expect_eq "the row above B's figures" "ESTAB" \
		"$(grep -B1 $'^\t' "$TMPD/rows" | awk 'NR == 1 { print $1 }')"
	l=$(info_line "$A")
	diag "A: $l"
	diag "B: $(info_line "$B")"
	expect_eq "A's bytes_received" 500 "$(info_field "$l" bytes_received)"
	expect_eq "A's bytes_sent - bytes_retrans" 1000 \
		$(($(info_field "$l" bytes_sent) - $(info_field "$l" bytes_retrans)))
	expect_eq "B's bytes_received" 1000 \
		"$(info_field "$(info_line "$B")" bytes_received)"
	[[ $(info_field "$l" rtt) =~ ^([0-9]+)\.([0-9]{3})/[0-9]+\.[0-9]{3}$ ]] ||
		fail "A's rtt: '$(info_field "$l" rtt)'"
	ms=$((10#${BASH_REMATCH[1]}${BASH_REMATCH[2]}))
	expect_cmp "A's srtt (us)" "$ms" -gt 0
	rto=$(info_field "$l" rto)
	rto=$((10#${rto/./}))
	expect_cmp "A's rto (us)" "$rto" -ge 200000
	expect_cmp "A's mss" "$(info_field "$l" mss)" -gt 0
	expect_cmp "A's cwnd" "$(info_field "$l" cwnd)" -ge "$(info_field "$l" mss)"
	expect_cmp "A's segs_out" "$(info_field "$l" segs_out)" -ge 2
	expect_cmp "A's segs_in" "$(info_field "$l" segs_in)" -ge 2

	exec 3>&- 4>&-
	wait "$cli"
	expect_eq "client's exit status ($(cat "$TMPD/err_a"))" 0 $?
	cmp "$TMPD/m1" "$TMPD/at_b" || fail "A to B differs"
	cmp "$TMPD/m2" "$TMPD/at_a" || fail "B to A differs"
}

require_basics
[ -x "$TTPCAT" ] || bail_out "$TTPCAT not built"
[ -x "$TTPSTAT" ] || bail_out "$TTPSTAT not built"
command -v tc > /dev/null || bail_out "tc missing (iproute2)"
setup_ns A B || bail_out "cannot create namespaces"
link_ns "$A" va "$B" vb 10.0.1 || bail_out "cannot create a veth pair"
mkfifo "$TMPD/fifo_a" "$TMPD/fifo_b" || bail_out "mkfifo"

tap_begin 7
run_case "tools_stream: ttpcat copies files both ways at once" case_copy_clean
run_case "tools_stream: ttpcat -l -k serves two clients in a row" case_keep
run_case "tools_stream: ttpcat -l takes one connection" case_one_connection
run_case "tools_stream: ttpcat to a closed port: Connection refused" case_refused
run_case "tools_stream: ttpcat reports a reset connection" case_reset
run_case "tools_stream: ttpstat lists listener and connection, -i figures" case_ttpstat
run_case "tools_stream: ttpcat copies both ways under 5% loss both sides" case_copy_loss
tap_end
