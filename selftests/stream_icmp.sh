#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ICMP errors end a stream's handshake with the errno TCP gives: B routes
# between A and two networks it cannot reach. For 10.0.9.0/24 B has an
# "unreachable" route (it answers with ICMP host unreachable), for
# 10.0.8.0/24 no route at all (ICMP net unreachable); an address with no
# route on A itself fails at once. Each connect must fail with its errno,
# quickly (the SYN is not retransmitted until net.ttp.syn_retries runs out),
# and leave no socket behind. B's ICMP rate limit is off: the first SYN
# draws its error.

source "$(dirname "$0")/ttp_lib.sh"

TTPSTREAM=$TTP_DIR/ttpstream

# refused_with NET-ADDR MESSAGE: connect from A, the errno's text on stderr,
# within 12 s: the first SYN's error is kept as a soft error when it comes
# back while connect() still holds the socket (as TCP does), the second
# SYN's, a second later, ends the attempt; without the errors A's
# syn_retries of 4 would end it after 31 s (with the soft error's errno:
# only the time tells). The margin is for a loaded machine.
refused_with()
{
	local t0=$SECONDS out

	out=$(ip netns exec "$A" "$TTPSTREAM" -t 60 "$1" 7000 2>&1)
	expect_eq "exit status of a connect to $1" 1 $?
	diag "$out"
	[[ $out == *"connect: $2"* ]] || fail "connect to $1: '$out', not '$2'"
	expect_cmp "seconds to fail" $((SECONDS - t0)) -le 12
	wait_until 5 no_stream_sockets "$A" || fail "a socket was left in A"
}

# no_stream_sockets NS: no stream socket (type 01) in NS's /proc/net/ttp
no_stream_sockets()
{
	ns_lines "$1" ttp
	! printf '%s\n' "${LINES[@]:1}" | awk '$5 == "01"' | grep -q .
}

case_host_unreachable()
{
	refused_with 10.0.9.2 "No route to host"
}

case_net_unreachable()
{
	refused_with 10.0.8.2 "Network is unreachable"
}

case_no_local_route()
{
	refused_with 10.0.7.2 "Network is unreachable"
}

require_basics
[ -x "$TTPSTREAM" ] || bail_out "$TTPSTREAM not built"
setup_ns A B || bail_out "cannot create namespaces"
link_ns "$A" va "$B" vb 10.0.1 || bail_out "cannot create a veth pair"
ip -n "$A" route add 10.0.9.0/24 via 10.0.1.2 &&
	ip -n "$A" route add 10.0.8.0/24 via 10.0.1.2 &&
	ip -n "$B" route add unreachable 10.0.9.0/24 &&
	ip netns exec "$A" sysctl -qw net.ttp.syn_retries=4 &&
	ip netns exec "$B" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.icmp_ratelimit=0 ||
	bail_out "cannot set up the routes"

tap_begin 3
run_case "stream_icmp: ICMP host unreachable: EHOSTUNREACH" case_host_unreachable
run_case "stream_icmp: ICMP net unreachable: ENETUNREACH" case_net_unreachable
run_case "stream_icmp: no route: ENETUNREACH at once" case_no_local_route
tap_end
