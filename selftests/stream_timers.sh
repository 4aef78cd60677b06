#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The stream's timers, each with its sysctl or option lowered so that it
# ends in seconds, in two namespaces joined by veth: a SYN into a black
# hole times out (ETIMEDOUT after net.ttp.syn_retries, sooner when
# net.ttp.rto_max_ms bounds the backoff); a peer that
# vanishes mid-transfer is given up on (ETIMEDOUT after net.ttp.retries2),
# but one that only stops reading is not (window probes answered);
# keepalive ends a dead idle connection and keeps a live one; TIME_WAIT
# and an orphan's FIN_WAIT2 end after net.ttp.tw_timeout_ms and
# net.ttp.fin_timeout. Each case checks the errno, the time it took (the
# expected figure is TCP's for the same settings), the counters and the
# socket table. A peer "vanishes" when netem drops every TTP packet both
# ways; the black-holed address has a neighbour entry whose MAC nobody has.

source "$(dirname "$0")/ttp_lib.sh"

TTPCONN=$TTP_DIR/ttpconn
# Under a debug kernel (KASAN, lockdep) every process this script starts
# takes a good part of a second: TIME_WAIT and FIN_WAIT2 are made longer
# there, so that the polling sees them.

# now_ms: the wall clock in ms (ttpconn's "at=" figures use the same
# clock), in NOW
now_ms()
{
	local t=${EPOCHREALTIME//[.,]/}

	NOW=$((t / 1000))
}

# wait_line FILE STEP SECONDS: wait until FILE has a line for STEP; sets LINE
wait_line()
{
	local i

	for ((i = 0; i < $3 * 20; i++)); do
		LINE=$(grep -m1 "^$2 " "$1")
		[ -n "$LINE" ] && return 0
		sleep 0.05
	done
	echo "no '$2' line within $3 s in ${1##*/}:"
	cat "$1"
	return 1
}

# field KEY: the value of KEY=... in LINE
field()
{
	sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<< "$LINE"
}

# expect_line FILE STEP RESULT SECONDS: STEP ended with RESULT (ok, ETIMEDOUT...)
expect_line()
{
	wait_line "$1" "$2" "$4" || fail "$2 did not end"
	[[ $LINE == "$2 $3 "* ]] || fail "expected '$2 $3', got '$LINE'"
	echo "$LINE"
}

# get_state NS PORT: the state column of the connection on local PORT in
# ST (empty when there is none); port_state prints it
get_state()
{
	local p l f

	ST=''
	printf -v p '%04X' "$2"
	ns_lines "$1" "${TABLE##*/}"
	for l in "${LINES[@]:1}"; do
		read -r -a f <<< "$l"
		[ "${f[1]##*:}" = "$p" ] && { ST=${f[3]}; return; }
	done
}

port_state()
{
	get_state "$@"
	echo "$ST"
}

# blackhole: every TTP packet between A and B is dropped, both ways
blackhole()
{
	[ -z "$NO_NETEM" ] || skip "$NO_NETEM"
	ttp_netem "$A" va loss 100% || fail "netem on va"
	ttp_netem "$B" vb loss 100% || fail "netem on vb"
}

# unblock: no netem left from an earlier case
unblock()
{
	tc -n "$A" qdisc del dev va root 2> /dev/null
	tc -n "$B" qdisc del dev vb root 2> /dev/null
	true
}

# deltas NS VAR COUNTER...: sets VAR to "d1 d2 ..." against the snapshot
# in ${VAR}0 (taken by snap NS VAR COUNTER...)
snap()
{
	local ns=$1 var=$2

	shift 2
	eval "${var}0=(\$(snmp \"\$ns\" \"\$@\"))"
}

deltas()
{
	local ns=$1 var=$2 now i out=()

	shift 2
	read -r -a now <<< "$(snmp "$ns" "$@")"
	eval "local old=(\"\${${var}0[@]}\")"
	for ((i = 0; i < ${#now[@]}; i++)); do
		out+=($((now[i] - old[i])))
	done
	eval "$var=(${out[*]})"
}

# syn_timeout RETRIES MIN-MS MAX-MS: with syn_retries=RETRIES a connect to
# the black-holed address gives ETIMEDOUT after MIN-MS to MAX-MS ms, having
# sent one SYN and RETRIES retransmissions
syn_timeout()
{
	local retries=$1 ms

	ns_sysctl "$A" net.ttp.syn_retries="$retries"
	ip -n "$A" neigh replace 10.0.1.99 lladdr 02:00:00:00:ee:ee dev va \
		nud permanent || fail "neighbour entry"
	snap "$A" DA ActiveOpens AttemptFails OutSegs RetransSegs CurrEstab
	snap "$B" DB InSegs
	ip netns exec "$A" "$TTPCONN" connect 10.0.1.99 7000 > "$TMPD/a"
	expect_line "$TMPD/a" connect ETIMEDOUT 1
	ms=$(field ms)
	diag "connect gave ETIMEDOUT after $ms ms"
	expect_cmp "ms to ETIMEDOUT" "$ms" -ge "$2"
	expect_cmp "ms to ETIMEDOUT" "$ms" -le "$3"
	deltas "$A" DA ActiveOpens AttemptFails OutSegs RetransSegs CurrEstab
	deltas "$B" DB InSegs
	diag "A: ActiveOpens AttemptFails OutSegs RetransSegs CurrEstab +${DA[*]}"
	expect_eq "ActiveOpens delta" 1 "${DA[0]}"
	expect_eq "AttemptFails delta" 1 "${DA[1]}"
	expect_eq "OutSegs delta (SYN and its retransmissions)" \
		$((retries + 1)) "${DA[2]}"
	expect_eq "RetransSegs delta" "$retries" "${DA[3]}"
	expect_eq "CurrEstab delta" 0 "${DA[4]}"
	expect_eq "B's InSegs delta (the hole is a hole)" 0 "${DB[0]}"
	expect_eq "sockets left in A" 0 "$(table_rows "$A")"
}

# TCP with tcp_syn_retries=2: SYNs at 0, 1 and 3 s, ETIMEDOUT at 7 s
case_syn_timeout()
{
	syn_timeout 2 6900 9000
}

# net.ttp.rto_max_ms bounds the backed-off RTO, as Linux's tcp_rto_max_ms
# (6.15): 1000 to 120000 ms, other values refused with EINVAL. With 1000
# and syn_retries=4 the SYNs go at 0, 1, 2, 3 and 4 s and connect gives up
# at 5 s; uncapped it would take 31 s.
case_rto_max()
{
	local f=/proc/sys/net/ttp/rto_max_ms v out

	expect_eq "default rto_max_ms" 120000 "$(ip netns exec "$A" cat $f)"
	for v in 0 999 120001; do
		out=$(ip netns exec "$A" bash -c "echo $v > $f" 2>&1) &&
			fail "rto_max_ms=$v accepted"
		[[ $out == *"Invalid argument"* ]] ||
			fail "rto_max_ms=$v: '$out', not EINVAL"
	done
	expect_eq "rto_max_ms after the refused writes" 120000 \
		"$(ip netns exec "$A" cat $f)"
	ns_sysctl "$A" net.ttp.rto_max_ms=1000
	syn_timeout 4 4900 7000
}

case_peer_vanishes()
{
	local t0 t1 ms port

	# retries2=3: from RTO 200 ms, resends at 0.2, 0.6, 1.4 s, abort at 3 s
	# (TCP too, whether the timeouts resend data or probe a shut window)
	ns_sysctl "$A" net.ttp.retries2=3
	bg ip netns exec "$B" "$TTPCONN" listen 7001 recveof hold > "$TMPD/b"
	wait_until 10 port_bound "$B" 7001 0A || fail "no listener"
	bg ip netns exec "$A" "$TTPCONN" connect 10.0.1.2 7001 sendall info \
		hold > "$TMPD/a"
	expect_line "$TMPD/a" connect ok 10
	port=$(field port)
	sleep 1		# data flowing
	expect_eq "state of A's connection while sending" 01 \
		"$(port_state "$A" "$port")"
	snap "$A" DA RetransSegs EstabResets CurrEstab
	# the hole opens between t0 and t1 (tc takes seconds in a debug kernel)
	now_ms
	t0=$NOW
	blackhole
	now_ms
	t1=$NOW
	expect_line "$TMPD/a" sendall ETIMEDOUT 30
	ms=$(($(field at) - t0))
	diag "write gave ETIMEDOUT $ms ms after the peer began to vanish, $((ms - t1 + t0)) ms after it was gone (TCP: ~3000)"
	expect_cmp "ms from the first drop to ETIMEDOUT" "$ms" -ge 2000
	expect_cmp "ms from the last drop to ETIMEDOUT" $((ms - t1 + t0)) -le 12000
	expect_line "$TMPD/a" info ok 5
	expect_eq "TTP_INFO retransmits (timeouts without progress)" 3 \
		"$(field retransmits)"
	deltas "$A" DA RetransSegs EstabResets CurrEstab
	diag "A: RetransSegs EstabResets CurrEstab +${DA[*]}"
	# one segment per timeout; the first is a window probe instead when
	# the reader's window happened to be shut as the peer vanished
	expect_cmp "RetransSegs delta" "${DA[0]}" -ge 2
	expect_eq "EstabResets delta" 1 "${DA[1]}"
	expect_eq "CurrEstab delta" -1 "${DA[2]}"
	# the file is still open: the connection is gone all the same
	expect_eq "A's connection in /proc/net/ttp" "" \
		"$(port_state "$A" "$port")"
	unblock
}

case_keepalive_dead()
{
	local t0 ms port

	# TCP with keepidle 1, keepintvl 1, keepcnt 2: probes at 1 and 2 s,
	# ETIMEDOUT at 3 s
	bg ip netns exec "$B" "$TTPCONN" listen 7002 hold > "$TMPD/b"
	wait_until 10 port_bound "$B" 7002 0A || fail "no listener"
	bg ip netns exec "$A" "$TTPCONN" connect 10.0.1.2 7002 \
		wait "$TMPD/go-dead" keepalive 1 1 2 recveof hold > "$TMPD/a"
	expect_line "$TMPD/a" connect ok 10
	port=$(field port)
	blackhole
	snap "$A" DA OutSegs EstabResets CurrEstab
	touch "$TMPD/go-dead"
	expect_line "$TMPD/a" keepalive ok 5
	t0=$(field at)
	expect_line "$TMPD/a" recveof ETIMEDOUT 20
	ms=$(($(field at) - t0))
	diag "read gave ETIMEDOUT $ms ms after keepalive was set (TCP: 3000)"
	expect_cmp "ms to ETIMEDOUT" "$ms" -ge 2500
	expect_cmp "ms to ETIMEDOUT" "$ms" -le 6000
	deltas "$A" DA OutSegs EstabResets CurrEstab
	diag "A: OutSegs EstabResets CurrEstab +${DA[*]}"
	expect_eq "OutSegs delta (probes)" 2 "${DA[0]}"
	expect_eq "EstabResets delta" 1 "${DA[1]}"
	expect_eq "CurrEstab delta" -1 "${DA[2]}"
	expect_eq "A's connection in /proc/net/ttp" "" \
		"$(port_state "$A" "$port")"
	unblock
}

case_keepalive_live()
{
	local n=65536 t0 secs

	bg ip netns exec "$B" "$TTPCONN" listen 7003 recv $n send $n shut \
		recveof > "$TMPD/b"
	wait_until 10 port_bound "$B" 7003 0A || fail "no listener"
	bg ip netns exec "$A" "$TTPCONN" connect 10.0.1.2 7003 \
		keepalive 1 1 2 wait "$TMPD/go-live" info send $n shut recveof \
		> "$TMPD/a"
	expect_line "$TMPD/a" keepalive ok 10
	t0=${EPOCHREALTIME//[.,]/}
	snap "$A" DA OutSegs InSegs
	snap "$B" DB OutSegs InSegs
	sleep 5		# idle: a probe every second, each answered
	deltas "$A" DA OutSegs InSegs
	deltas "$B" DB OutSegs InSegs
	# the snapshots themselves take time on a loaded debug kernel
	secs=$(((${EPOCHREALTIME//[.,]/} - t0 + 999999) / 1000000))
	touch "$TMPD/go-live"
	diag "$secs s idle: A OutSegs InSegs +${DA[*]}, B OutSegs InSegs +${DB[*]}"
	expect_cmp "A's probes in $secs s" "${DA[0]}" -ge 3
	expect_cmp "A's probes in $secs s" "${DA[0]}" -le $((secs + 2))
	expect_cmp "B's answers in $secs s" "${DB[0]}" -ge 3
	expect_cmp "B's answers in $secs s" "${DB[0]}" -le $((secs + 2))
	expect_line "$TMPD/a" info ok 10
	[[ $LINE == *" state=1 "* ]] || fail "not ESTABLISHED after the idle time"
	expect_line "$TMPD/a" recveof ok 20
	expect_eq "bytes A received" $n "$(field received)"
	expect_line "$TMPD/b" recveof ok 10
	expect_eq "bytes B received after its $n" 0 "$(field received)"
}

# watch_conn NS RPORT STATE SECONDS: from before the connection to remote
# port RPORT exists in NS until it has shown STATE and is gone; END = the
# ms it went (now_ms). Fails if it goes without showing STATE, shows
# another state after it, or outlives SECONDS. The loop starts no process
# (a read with a time limit on a fifo is its sleep): on a slow kernel a
# look still comes every few tens of milliseconds.
watch_conn()
{
	local seen='' had='' i fd l f p

	printf -v p '%04X' "$2"
	[ -p "$TMPD/tick" ] || mkfifo "$TMPD/tick"
	exec {fd}<> "$TMPD/tick"
	for ((i = 0; i < $4 * 50; i++)); do
		ST=''
		ns_lines "$1" "${TABLE##*/}"
		for l in "${LINES[@]:1}"; do
			read -r -a f <<< "$l"
			[ "${f[2]##*:}" = "$p" ] && { ST=${f[3]}; break; }
		done
		if [ -n "$ST" ]; then
			had=1
			[ "$ST" = "$3" ] && seen=1
			[ -n "$seen" ] && [ "$ST" != "$3" ] &&
				fail "state $3 became $ST"
		elif [ -n "$had" ]; then
			exec {fd}>&-
			[ -n "$seen" ] ||
				fail "the connection to port $2 went without state $3"
			now_ms
			END=$NOW
			return 0
		fi
		read -r -t 0.02 -u "$fd"
	done
	exec {fd}>&-
	fail "the connection to port $2: ${had:+state $3 ${seen:+did not end}${seen:-never seen}}${had:-never seen} within $4 s"
}

case_time_wait()
{
	local tw=$((2000 * TIME_SCALE))

	ns_sysctl "$A" net.ttp.tw_timeout_ms=$tw
	bg ip netns exec "$B" "$TTPCONN" listen 7004 recveof close hold \
		> "$TMPD/b"
	wait_until 10 port_bound "$B" 7004 0A || fail "no listener"
	bg ip netns exec "$A" "$TTPCONN" connect 10.0.1.2 7004 send 1000 \
		close hold > "$TMPD/a"
	watch_conn "$A" 7004 06 30
	expect_line "$TMPD/a" close ok 10
	SPAN=$((END - $(field at)))
	diag "TIME_WAIT (06) ended $SPAN ms after the close (net.ttp.tw_timeout_ms=$tw)"
	expect_cmp "ms from close to the end of TIME_WAIT" "$SPAN" -ge $((tw - 50))
	expect_cmp "ms from close to the end of TIME_WAIT" "$SPAN" -le \
		$((tw + 1500 * TIME_SCALE))
	expect_line "$TMPD/b" recveof ok 5
	expect_eq "bytes B received" 1000 "$(field received)"
	expect_eq "B's connection (its LAST_ACK ended)" "" \
		"$(port_state "$B" 7004)"
}

case_fin_wait2()
{
	local fin=$((2 * TIME_SCALE))

	# an orphan whose peer never closes waits net.ttp.fin_timeout s
	ns_sysctl "$A" net.ttp.fin_timeout=$fin
	bg ip netns exec "$B" "$TTPCONN" listen 7005 hold > "$TMPD/b"
	wait_until 10 port_bound "$B" 7005 0A || fail "no listener"
	bg ip netns exec "$A" "$TTPCONN" connect 10.0.1.2 7005 close hold \
		> "$TMPD/a"
	watch_conn "$A" 7005 05 30
	expect_line "$TMPD/a" close ok 10
	SPAN=$((END - $(field at)))
	diag "the orphan's FIN_WAIT2 (05) ended $SPAN ms after the close (net.ttp.fin_timeout=$fin)"
	expect_cmp "ms from close to the end of FIN_WAIT2" "$SPAN" -ge \
		$((fin * 1000 - 50))
	expect_cmp "ms from close to the end of FIN_WAIT2" "$SPAN" -le \
		$((fin * 1000 + 1500 * TIME_SCALE))
}

# fresh CASE: a case on a link with no netem left by an earlier one
fresh()
{
	unblock
	"$@"
}

case_zero_window()
{
	local n=1000000 port

	# a reader that stops reading shuts its window; the writer probes it,
	# and as long as the probes are answered the connection stays open
	# (RFC 9293 3.8.6.1, MUST-36; RFC 1122 4.2.2.17), however long that
	# is: with retries2=3 a writer that counted the probes as timeouts
	# would give up after 3 s
	ns_sysctl "$A" net.ttp.retries2=3
	bg ip netns exec "$B" "$TTPCONN" listen 7006 wait "$TMPD/go-read" \
		recv $n recveof > "$TMPD/b"
	wait_until 10 port_bound "$B" 7006 0A || fail "no listener"
	bg ip netns exec "$A" "$TTPCONN" connect 10.0.1.2 7006 send $n shut \
		hold > "$TMPD/a"
	expect_line "$TMPD/a" connect ok 10
	port=$(field port)
	sleep 6		# the window shuts at once
	grep "^send " "$TMPD/a" && fail "the writer gave up on a live peer"
	expect_eq "A's connection after 6 s of a shut window" 01 \
		"$(port_state "$A" "$port")"
	touch "$TMPD/go-read"
	expect_line "$TMPD/b" recv ok 20
	expect_line "$TMPD/a" send ok 10
	expect_eq "bytes A wrote" $n "$(field sent)"
	expect_line "$TMPD/b" recveof ok 10
	expect_eq "bytes B received after its $n" 0 "$(field received)"
}

require_basics
[ -x "$TTPCONN" ] || bail_out "$TTPCONN not built"
command -v tc > /dev/null || bail_out "tc missing (iproute2)"
setup_ns A B || bail_out "cannot create namespaces"
link_ns "$A" va "$B" vb 10.0.1 || bail_out "cannot create a veth pair"
# a kernel without netem is a missing capability (for the cases that need it)
netem_check "$A" va

tap_begin 8
run_case "stream_timers: SYN into a black hole: ETIMEDOUT after syn_retries" \
	fresh case_syn_timeout
run_case "stream_timers: peer vanishes mid-transfer: ETIMEDOUT after retries2" \
	fresh case_peer_vanishes
run_case "stream_timers: a shut window stays open while probes are answered" \
	fresh case_zero_window
run_case "stream_timers: keepalive ends a dead idle connection" \
	fresh case_keepalive_dead
run_case "stream_timers: keepalive keeps a live idle connection" \
	fresh case_keepalive_live
run_case "stream_timers: TIME_WAIT ends after tw_timeout_ms" fresh case_time_wait
run_case "stream_timers: an orphan's FIN_WAIT2 ends after fin_timeout" \
	fresh case_fin_wait2
# last: the namespaces keep its rto_max_ms
run_case "stream_timers: rto_max_ms bounds the backoff" fresh case_rto_max
tap_end
