#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ttpperf, the benchmark tool, between two namespaces joined by veth (its
# server in B): what it reports is what happened. bulk's byte count is the
# server's and exact, with one stream and with four; its retransmissions
# are the RetransSegs the connection caused, on a clean link and under
# loss; rr and crr make exactly the transactions asked for (crr one
# connection each, as the PassiveOpens counter shows); dgram's received
# count plus the receive buffer drops is what was sent (plus at most the
# END datagrams the drops took). TCP, UDP and AF_UNIX go through the same
# code. -C picks the streams' congestion control, as the JSON reports. A
# refused connection and bad arguments give exit status 1 and 2.

source "$(dirname "$0")/ttp_lib.sh"

TTPPERF=${TTPPERF:-$TTP_TOOLS/ttpperf}
IP_B=10.0.1.2
PORT=5301

# jget KEY JSON: the value of "KEY" in ttpperf's one-line JSON
jget()
{
	sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\)\"\{0,1\}[,}].*/\1/p" <<< "$2"
}

# perf NS ARGS...: ttpperf -J -q ARGS in NS; its JSON line in $OUT, exit
# status checked
perf()
{
	local ns=$1 rc

	shift
	OUT=$(ip netns exec "$ns" timeout $((60 * TIME_SCALE)) "$TTPPERF" -q -J "$@" \
	      2> "$TMPD/err")
	rc=$?
	expect_eq "ttpperf $* exit status (stderr: $(cat "$TMPD/err"))" 0 $rc
	diag "ttpperf $*: $OUT"
}

# serve NS PORT: a ttpperf server in NS for the case's lifetime
serve()
{
	bg ip netns exec "$1" "$TTPPERF" -s -q -p "$2"
	wait_until 10 port_bound "$1" "$2" 0A || fail "ttpperf -s: no listener"
}

# A's only connections are ttpperf's: the retransmissions it reports are
# A's RetransSegs delta.
case_bulk()
{
	local r0 r1

	serve "$B" $PORT
	r0=$(snmp "$A" RetransSegs)
	perf "$A" -c $IP_B -n 3000000
	r1=$(snmp "$A" RetransSegs)
	expect_eq "family" ttp "$(jget family "$OUT")"
	expect_eq "test" bulk "$(jget test "$OUT")"
	expect_eq "bytes" 3000000 "$(jget bytes "$OUT")"
	expect_eq "retrans (A's RetransSegs delta)" $((r1 - r0)) "$(jget retrans "$OUT")"
	awk -v m="$(jget mbps "$OUT")" 'BEGIN { exit !(m > 0) }' ||
		fail "goodput $(jget mbps "$OUT") Mbit/s"
	expect_eq "congestion control (the default)" cubic "$(jget cong "$OUT")"
	perf "$A" -c $IP_B -n 1000003 -P 4 -S 1000
	expect_eq "streams" 4 "$(jget streams "$OUT")"
	expect_eq "bytes of four streams" 1000003 "$(jget bytes "$OUT")"
	perf "$A" -c $IP_B -n 1000000 -C newreno
	expect_eq "bytes with -C newreno" 1000000 "$(jget bytes "$OUT")"
	expect_eq "congestion control (-C)" newreno "$(jget cong "$OUT")"
}

# The same under 5% loss, where there must be some.
case_retrans()
{
	local r0 r1

	serve "$B" $PORT
	ttp_netem "$A" va loss 5% || fail "netem on va"
	r0=$(snmp "$A" RetransSegs)
	perf "$A" -c $IP_B -n 2000000
	r1=$(snmp "$A" RetransSegs)
	tc -n "$A" qdisc del dev va root
	expect_eq "bytes" 2000000 "$(jget bytes "$OUT")"
	expect_eq "retrans (A's RetransSegs delta)" $((r1 - r0)) "$(jget retrans "$OUT")"
	expect_cmp "retrans" "$(jget retrans "$OUT")" -gt 0
}

case_rr()
{
	local o0 o1

	serve "$B" $PORT
	perf "$A" -c $IP_B -m rr -n 200 -S 100
	expect_eq "transactions" 200 "$(jget transactions "$OUT")"
	awk -v a="$(jget p50_us "$OUT")" -v b="$(jget p99_us "$OUT")" \
		'BEGIN { exit !(a > 0 && a <= b) }' || fail "p50 above p99 or 0"
	o0=$(snmp "$B" PassiveOpens)
	perf "$A" -c $IP_B -m crr -n 30
	o1=$(snmp "$B" PassiveOpens)
	expect_eq "crr transactions" 30 "$(jget transactions "$OUT")"
	expect_eq "B's PassiveOpens delta" 30 $((o1 - o0))
}

case_dgram()
{
	local d0 d1 got ends

	serve "$B" $PORT
	d0=$(snmp "$B" RcvbufErrors)
	perf "$A" -c $IP_B -m dgram -n 2000 -S 1400
	d1=$(snmp "$B" RcvbufErrors)
	got=$(jget received "$OUT")
	ends=$(jget ends "$OUT")
	expect_eq "sent" 2000 "$(jget sent "$OUT")"
	expect_cmp "received" "$got" -gt 0
	expect_cmp "END datagrams sent" "$ends" -ge 1
	# a full buffer drops END datagrams too (the client sends another)
	expect_cmp "received + B's RcvbufErrors delta" $((got + d1 - d0)) -ge 2000
	expect_cmp "received + B's RcvbufErrors delta" $((got + d1 - d0)) -le $((2000 + ends - 1))
}

# The reference families through the same code: TCP and UDP across the
# veth, AF_UNIX (abstract names: one namespace) inside A
case_references()
{
	serve "$B" $PORT
	bg ip netns exec "$A" "$TTPPERF" -s -q -p $((PORT + 1))
	wait_until 10 port_bound "$A" $((PORT + 1)) 0A || fail "second server"
	perf "$A" -c $IP_B -f tcp -n 1000000 -C reno
	expect_eq "tcp bytes" 1000000 "$(jget bytes "$OUT")"
	expect_eq "tcp congestion control (-C)" reno "$(jget cong "$OUT")"
	perf "$A" -c $IP_B -f udp -m dgram -n 500
	expect_eq "udp sent" 500 "$(jget sent "$OUT")"
	expect_cmp "udp received" "$(jget received "$OUT")" -gt 0
	perf "$A" -c - -f unix -p $((PORT + 1)) -n 1000000
	expect_eq "unix bytes" 1000000 "$(jget bytes "$OUT")"
	expect_eq "unix retrans" -1 "$(jget retrans "$OUT")"
	expect_eq "unix congestion control" - "$(jget cong "$OUT")"
	perf "$A" -c - -f unix -p $((PORT + 1)) -m rr -n 100
	expect_eq "unix transactions" 100 "$(jget transactions "$OUT")"
}

# errors: EXPECTED_STATUS EXPECTED_STDERR ARGS...
errors()
{
	local rc

	ip netns exec "$A" "$TTPPERF" "${@:3}" > /dev/null 2> "$TMPD/err"
	rc=$?
	expect_eq "ttpperf ${*:3}: exit status" "$1" $rc
	expect_eq "ttpperf ${*:3}: first line on stderr" "$2" \
		"$(head -n 1 "$TMPD/err")"
}

case_errors()
{
	errors 1 "ttpperf: connect ttp stream port 5399: Connection refused" \
		-c $IP_B -p 5399 -q
	errors 2 "ttpperf: family udp does not carry that test" -c $IP_B -f udp
	errors 2 "ttpperf: -S: a datagram holds a 32-byte header" \
		-c $IP_B -m dgram -S 8
	errors 2 "ttpperf: one of -s and -c HOST, please" -q
	errors 1 "ttpperf: -C reno: No such file or directory" \
		-c $IP_B -C reno -q
	errors 2 "ttpperf: -C: a client's ttp or tcp streams only" \
		-c $IP_B -m dgram -C cubic
}

[ "${TTP_TEST_AS_UDP:-0}" = 1 ] && skip_all "TTP's tools: TTP only"
require_basics
[ -x "$TTPPERF" ] || bail_out "$TTPPERF not built"
command -v tc > /dev/null || bail_out "tc missing (iproute2)"
setup_ns A B || bail_out "cannot create namespaces"
link_ns "$A" va "$B" vb 10.0.1 || bail_out "cannot create a veth pair"

tap_begin 6
run_case "tools_perf: bulk counts every byte, one stream and four, -C" case_bulk
run_case "tools_perf: bulk's retransmissions are the connection's" case_retrans
run_case "tools_perf: rr and crr make the transactions asked for" case_rr
run_case "tools_perf: dgram's received and dropped add up to sent" case_dgram
run_case "tools_perf: TCP, UDP and AF_UNIX through the same code" case_references
run_case "tools_perf: refused connection and bad arguments" case_errors
tap_end
