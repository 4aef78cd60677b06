#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The stream's socket memory is charged the kernel's way and net.ttp.mem
# bounds it (pages: low, pressure, high; global, as tcp_mem). 32
# connections between two namespaces move 500 KB each way (a quarter on
# the debug kernel) through slow readers, so that both ends' buffers fill:
# without the bound they would queue over 10 MB. With net.ttp.mem at 128 192 256 pages, the sum
# /proc/net/protocols shows for TTP_STREAM, and the bytes the sockets hold
# to send and to read (/proc/net/ttp), stay within 256 pages and the
# per-CPU reserves the socket layer keeps (mem_pcpu_rsv, 256 pages a CPU);
# the protocol goes under memory pressure; receivers drop what they have
# no room for (RcvQDrop), writers wait; and still every byte arrives, in
# order, once. With the connections gone the memory is given back. Over
# the bound every connection still makes progress (case_progress).

source "$(dirname "$0")/ttp_lib.sh"

TTPSTREAM=$TTP_DIR/ttpstream
CONNS=32
BYTES=500000
PROGRESS_BYTES=65536
ttp_debug_kernel && BYTES=125000
# drops and resends under the bound make it slow: 45 s on 6.12
CASE_TIMEOUT=$((CASE_TIMEOUT * 2))

# proto_mem: "PAGES PRESSURE" of TTP_STREAM in /proc/net/protocols
proto_mem()
{
	awk '$1 == "TTP_STREAM" { print $4, $5 }' /proc/net/protocols
}

# queued: the bytes the stream sockets of A and B hold, to send and to read
queued()
{
	local ns l f sum=0

	for ns in "$A" "$B"; do
		ns_lines "$ns" ttp
		for l in "${LINES[@]:1}"; do
			read -r -a f <<< "$l"
			[ "${f[4]}" = 01 ] || continue
			sum=$((sum + 16#${f[5]%%:*} + 16#${f[5]##*:}))
		done
	done
	echo $sum
}

case_bounded()
{
	local old i pids=() srv=() most=0 press=no mem p d0 d1 rsv limit
	local q qmost=0

	read -r -a old < /proc/sys/net/ttp/mem || fail "no net.ttp.mem"
	sysctl -qw net.ttp.mem="128 192 256" || fail "cannot set net.ttp.mem"
	rsv=$(mem_rsv)
	limit=$((256 + rsv))
	d0=$(($(snmp "$A" RcvQDrop) + $(snmp "$B" RcvQDrop)))
	for ((i = 0; i < CONNS; i++)); do
		bg ip netns exec "$B" "$TTPSTREAM" -n $BYTES -m $BYTES -s 20 \
			-t 150 -l $((7000 + i)) > "$TMPD/srv$i" 2>&1
		srv+=($!)
	done
	for ((i = 0; i < CONNS; i++)); do
		wait_port "$B" $((7000 + i)) || fail "listener $i"
	done
	for ((i = 0; i < CONNS; i++)); do
		bg ip netns exec "$A" "$TTPSTREAM" -n $BYTES -m $BYTES -s 20 \
			-t 150 10.0.1.2 $((7000 + i)) > "$TMPD/cli$i" 2>&1
		pids+=($!)
	done
	while kill -0 "${pids[@]}" 2> /dev/null; do
		read -r mem p <<< "$(proto_mem)"
		[ "$mem" -gt "$most" ] && most=$mem
		[ "$p" = yes ] && press=yes
		q=$(queued)
		[ "$q" -gt "$qmost" ] && qmost=$q
		sleep 0.1
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}" || { cat "$TMPD/cli$i"; fail "client $i: bytes lost or damaged"; }
		wait "${srv[i]}" || { cat "$TMPD/srv$i"; fail "server $i: bytes lost or damaged"; }
	done
	sysctl -qw net.ttp.mem="${old[*]}"
	d1=$(($(snmp "$A" RcvQDrop) + $(snmp "$B" RcvQDrop)))
	diag "at most $most pages charged, $qmost bytes queued (bound $limit pages), pressure: $press, RcvQDrop +$((d1 - d0))"
	expect_cmp "pages charged at most" "$most" -le "$limit"
	expect_cmp "bytes queued at most" "$qmost" -le $((limit * 4096))
	expect_eq "memory pressure seen" yes "$press"
	expect_cmp "RcvQDrop delta" $((d1 - d0)) -gt 0
	# given back once the sockets are gone (the reserves aside)
	wait_until 20 mem_back "$rsv" ||
		fail "still $(proto_mem) pages charged"
}

# over_bound: TTP_STREAM's charged pages above net.ttp.mem's high mark
over_bound()
{
	local mem p high

	read -r mem p <<< "$(proto_mem)"
	read -r _ _ high < /proc/sys/net/ttp/mem
	[ "$mem" -gt "$high" ]
}

# Progress over the bound: with net.ttp.mem at one page and 16 connections
# holding megabytes (writers that never stop, readers that never read),
# every allocation beyond a socket's minimum fails. A new connection must
# still move its bytes, a page at a time, as TCP's would: its writer may
# always queue a page, its reader always takes the next in-order segment
# when it has nothing queued. Without that, memory held in send queues
# waiting for ACKs starves every receiver, and nothing moves.
case_progress()
{
	local i srv cli mem p

	sysctl -qw net.ttp.mem="1 1 1" || fail "cannot set net.ttp.mem"
	for ((i = 0; i < 16; i++)); do
		bg ip netns exec "$B" "$TTPSTREAM" -n 0 -m 4000000 -s 600000 \
			-t 300 -l $((7100 + i)) > /dev/null 2>&1
	done
	for ((i = 0; i < 16; i++)); do
		wait_port "$B" $((7100 + i)) || fail "listener $i"
		bg ip netns exec "$A" "$TTPSTREAM" -n 4000000 -m 0 -t 300 \
			10.0.1.2 $((7100 + i)) > /dev/null 2>&1
	done
	within 60 over_bound || fail "never over the bound: $(proto_mem)"
	sleep 1
	over_bound || fail "fell back under the bound: $(proto_mem)"
	bg ip netns exec "$B" "$TTPSTREAM" -n 0 -m $PROGRESS_BYTES -t 120 \
		-l 7200 > "$TMPD/srv" 2>&1
	srv=$!
	wait_port "$B" 7200 || fail "listener"
	ip netns exec "$A" "$TTPSTREAM" -n $PROGRESS_BYTES -m 0 -t 120 \
		10.0.1.2 7200 > "$TMPD/cli" 2>&1
	cli=$?
	read -r mem p <<< "$(proto_mem)"
	diag "$PROGRESS_BYTES bytes over the bound; $mem pages charged, pressure: $p"
	[ $cli = 0 ] || { cat "$TMPD/cli"; fail "client: bytes lost or late"; }
	wait "$srv" || { cat "$TMPD/srv"; fail "server: bytes lost or late"; }
	over_bound || fail "not over the bound at the end: $(proto_mem)"
	# the fillers go (their unread bytes reset the connections): every
	# page, the ones charged by force too, is given back
	case_cleanup
	CASE_PIDS=()
	sysctl -qw net.ttp.mem="$OLD_MEM"
	wait_until 20 mem_back "$(mem_rsv)" ||
		fail "still $(proto_mem) pages charged"
}

# mem_rsv: the pages the CPUs together may keep charged in reserve,
# outside the protocol's total
mem_rsv()
{
	local per

	per=$(cat /proc/sys/net/core/mem_pcpu_rsv 2> /dev/null || echo 256)
	echo $(($(nproc) * per))
}

# mem_back MAX: TTP_STREAM's charged pages at most MAX
mem_back()
{
	local mem p

	read -r mem p <<< "$(proto_mem)"
	[ "$mem" -le "$1" ]
}

[ "${TTP_TEST_AS_UDP:-0}" = 1 ] && skip_all "stream test: TTP only"
require_basics
[ -x "$TTPSTREAM" ] || bail_out "$TTPSTREAM not built"
grep -q '^TTP_STREAM ' /proc/net/protocols ||
	bail_out "no TTP_STREAM line in /proc/net/protocols"
setup_ns A B || bail_out "cannot create namespaces"
link_ns "$A" va "$B" vb 10.0.1 || bail_out "cannot create a veth pair"
OLD_MEM=$(cat /proc/sys/net/ttp/mem)
trap 'sysctl -qw net.ttp.mem="$OLD_MEM"; ttp_cleanup' EXIT

tap_begin 2
run_case "stream_mem: net.ttp.mem bounds the charged memory, bytes exact" case_bounded
run_case "stream_mem: over the bound a connection still moves, a page at a time" case_progress
tap_end
