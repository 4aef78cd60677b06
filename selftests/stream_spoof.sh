#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An off-path attacker against a live transfer (RFC 5961). A and B move
# bytes both ways over one stream, through slow readers so that it lasts;
# C, joined to B by a second link, knows the addresses and ports but not
# the sequence numbers, and forges A's address (ttpspoof): blind SYNs, RSTs
# sweeping the sequence space, data and bare ACKs with random numbers, for
# as long as the transfer runs. Every byte must arrive, in order, once
# (ttpstream checks each); B's connection must never be reset; B must have
# answered blind segments with challenge ACKs (each blind SYN on an
# established connection draws one, or is held back by their rate limit).
#
#   A (10.0.1.1) -- va/vb -- B (10.0.1.2, 10.0.2.2) -- vd/vc -- C (10.0.2.1)

source "$(dirname "$0")/ttp_lib.sh"

TTPSTREAM=$TTP_DIR/ttpstream
TTPSPOOF=$TTP_DIR/ttpspoof
# through readers of 4 KB each 10 ms: at least 5 s, on any kernel, for
# the attacker (who starts once the connection is there) to act in
BYTES=2000000
# the attack slows the debug kernel's transfer to two minutes
CASE_TIMEOUT=$((CASE_TIMEOUT * 2))

# client_port: A's port of the connection B has on port 7000 (state 01)
client_port()
{
	local l f

	ns_lines "$B" ttp
	for l in "${LINES[@]:1}"; do
		read -r -a f <<< "$l"
		[ "${f[1]##*:}" = 1B58 ] && [ "${f[3]}" = 01 ] || continue
		echo $((16#${f[2]##*:}))
		return
	done
}

has_client_port()
{
	[ -n "$(client_port)" ]
}

case_blind_attack()
{
	local c0 c1 srv cli spoof port rc out

	c0=($(snmp "$B" ChallengeACKs ACKSkipped EstabResets InRsts))
	bg ip netns exec "$B" "$TTPSTREAM" -n $BYTES -m $BYTES -s 10 -t 150 \
		-l 7000 > "$TMPD/srv" 2>&1
	srv=$!
	wait_until 10 port_bound "$B" 7000 0A || fail "no listener on B"
	bg ip netns exec "$A" "$TTPSTREAM" -n $BYTES -m $BYTES -s 10 -t 150 \
		10.0.1.2 7000 > "$TMPD/cli" 2>&1
	cli=$!
	wait_until 10 has_client_port || fail "no connection on B"
	port=$(client_port)
	diag "A's port: $port"
	bg ip netns exec "$C" "$TTPSPOOF" 10.0.1.1 "$port" 10.0.1.2 7000 \
		> "$TMPD/spoof" 2>&1
	spoof=$!

	wait "$cli"
	rc=$?
	kill -TERM "$spoof"
	wait "$spoof" || { cat "$TMPD/spoof"; fail "ttpspoof failed"; }
	out=$(cat "$TMPD/spoof")
	diag "attacker: $out"
	cat "$TMPD/cli"
	wait "$srv" || { cat "$TMPD/srv"; fail "B: bytes lost or damaged"; }
	cat "$TMPD/srv"
	[ $rc = 0 ] || fail "A: bytes lost or damaged"
	[[ $out =~ syn=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 64 ] ||
		fail "the attacker did not send a round"

	c1=($(snmp "$B" ChallengeACKs ACKSkipped EstabResets InRsts))
	diag "B: challenge ACKs $((c1[0] - c0[0])), held back $((c1[1] - c0[1])), resets in $((c1[3] - c0[3]))"
	expect_eq "B's connections reset" 0 $((c1[2] - c0[2]))
	# one each invalid_ratelimit_ms (500), each round's SYNs most of
	# what meets that limit: a SYN draws the first, at least
	expect_cmp "B's challenge ACKs" $((c1[0] - c0[0])) -ge 1
	# and the first round's SYNs were each answered or held back
	expect_cmp "B's challenge ACKs and ACKs held back" \
		$((c1[0] - c0[0] + c1[1] - c0[1])) -ge 64
}

require_basics
[ -x "$TTPSTREAM" ] || bail_out "$TTPSTREAM not built"
[ -x "$TTPSPOOF" ] || bail_out "$TTPSPOOF not built"
setup_ns A B C || bail_out "cannot create namespaces"
link_ns "$A" va "$B" vb 10.0.1 || bail_out "cannot create a veth pair"
link_ns "$C" vc "$B" vd 10.0.2 || bail_out "cannot create a veth pair"
# C's packets reach B with A's address: B must not check the source's route
ip -n "$C" route add 10.0.1.0/24 via 10.0.2.2 &&
	ip netns exec "$B" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.vd.rp_filter=0 ||
	bail_out "cannot set up the routes"

tap_begin 1
run_case "stream_spoof: blind SYN, RST and data against a live transfer" case_blind_attack
tap_end
