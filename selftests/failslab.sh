#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fault injection: run a datagram workload, then a stream workload (listen,
# connect, accept, data both ways, close, round after round on loopback),
# with failslab failing 1 in 8 of the slab allocations made by the workload's
# task with ttp.ko on the stack, then show that every failure was a clean
# error, that the streams still moved every byte, that nothing was left
# behind (no socket in /proc/net/ttp within a bounded wait, module reference
# count back to 0, rmmod works) and that nothing was stuck. The stream
# workload runs a second time with the task filter off: then TTP's
# allocations in softirq fail too (a listener's child, the segments sent in
# answer), which must cost only retransmissions, each failed child being
# counted (ListenDrops). Then fail_page_alloc fails 1 in 8 of the page
# allocations with ttp.ko on the stack: the datagrams' payload pages
# (clean errors), the streams' (sk_page_frag_refill: the writer waits and
# tries again, as TCP's, and every byte arrives), and the pages of new
# slabs. KASAN, kmemleak and lockdep in the debug kernel watch the same
# run; the VM runner fails it on any report. Skips where the kernel has no
# failslab (Debian's own kernels).
set -u
here=$(cd "$(dirname "$0")" && pwd)
slab=/sys/kernel/debug/failslab
page=/sys/kernel/debug/fail_page_alloc
fs=$slab	# the fault attributes arm and reset work on
KSFT_SKIP=4

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
if [ ! -d "$fs" ] || [ ! -f "$fs/require-start" ]; then
	echo "1..0 # SKIP failslab with a stack filter is not in this kernel"
	exit $KSFT_SKIP
fi
if ! grep -q '^ttp ' /proc/modules; then
	echo "1..1"
	echo "not ok 1 failslab: ttp is not loaded"
	exit 1
fi

echo "1..11"
fail=0
# The module's memory, from /proc/modules: "ttp SIZE REFS DEPS STATE ADDR".
line=$(grep '^ttp ' /proc/modules)
read -r _ size _ _ _ start _ <<<"$line"
end=$(printf '0x%x' $((start + size)))
reset() {
	echo 0 >"$fs/probability"
	echo 0 >"$fs/require-start"
	echo 0 >"$fs/require-end"
}
trap 'fs=$slab reset; [ -d "$page" ] && fs=$page reset' EXIT
# arm [N [PERCENT]]: fail 1 in 8 (or PERCENT in 100) of the allocations
# made with ttp.ko on the stack; only in the tasks that ask (make-it-fail),
# or with N in every context
arm() {
	echo N >"$fs/ignore-gfp-wait"
	echo "${1:-Y}" >"$fs/task-filter"
	echo 0 >"$fs/verbose"
	echo "$TIMES" >"$fs/times"
	echo 0 >"$fs/space"
	echo 1 >"$fs/interval"
	echo "$start" >"$fs/require-start"
	echo "$end" >"$fs/require-end"
	echo "$DEPTH" >"$fs/stacktrace-depth"
	echo "${2:-12}" >"$fs/probability"
}
TIMES=-1 DEPTH=10
# Only the workload fails allocations: make-it-fail is set in its own shell.
under_failslab() {
	timeout 120 bash -c 'echo 1 >/proc/self/make-it-fail && exec "$@"' \
		_ "$@" 2>&1
}
# wait_clean SECONDS: until no socket is left and no reference holds the
# module (sockets are freed after an RCU grace period); sets left and refs
wait_clean() {
	local i

	for ((i = 0; i < $1 * 10; i++)); do
		left=$(($(wc -l </proc/net/ttp) - 1))
		refs=$(cat /sys/module/ttp/refcnt)
		[ "$left" = 0 ] && [ "$refs" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# no_socket_left N WHAT SECONDS: TAP line N, nothing left of WHAT's run
no_socket_left() {
	if wait_clean "$3"; then
		echo "ok $1 ${2}no socket left behind"
	else
		echo "not ok $1 $2$left sockets after $3 s, refcnt $refs"
		sed 's/^/# /' /proc/net/ttp
		fail=1
	fi
}

# field NAME: the number the workload printed as NAME=N in $out
field() {
	sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$out"
}

arm
out=$(under_failslab "$here/dgram_workload" 400)
rc=$?
reset
echo "# $out"
# injected: calls that returned ENOMEM or ENOBUFS, the errors a failed
# allocation gives; datagrams lost on the way are reported apart (lost=)
injected=$(field injected)
if [ "$rc" = 0 ] && [ "${injected:-0}" -gt 0 ]; then
	echo "ok 1 failslab: every injected failure was a clean error ($out)"
else
	echo "not ok 1 failslab: workload rc=$rc, injected=${injected:-none}"
	fail=1
fi

no_socket_left 2 "failslab: " 5

# The streams: an orphan whose peer's FIN never comes (a reset whose
# allocation failed) waits net.ttp.fin_timeout, lowered for the run; the
# others end within TIME_WAIT (net.ttp.tw_timeout_ms, 1 s).
fin_timeout=$(cat /proc/sys/net/ttp/fin_timeout)
echo 3 >/proc/sys/net/ttp/fin_timeout
arm
out=$(under_failslab "$here/stream_workload" 300 60 8192)
rc=$?
reset
echo "# $out"
injected=$(field injected)
complete=$(field complete)
if [ "$rc" = 0 ] && [ "${injected:-0}" -gt 0 ] && [ "${complete:-0}" -gt 0 ]; then
	echo "ok 3 failslab: stream: every injected failure was a clean error, every byte arrived ($out)"
else
	echo "not ok 3 failslab: stream: workload rc=$rc, injected=${injected:-none}, complete=${complete:-none}"
	fail=1
fi

no_socket_left 4 "failslab: stream: " 15

# listen_drops: the ListenDrops counter of this namespace
listen_drops() {
	awk '$1 == "Ttp:" { if (!n) { for (i = 2; i <= NF; i++) if ($i == "ListenDrops") c = i; n = 1 } else { print $c; exit } }' /proc/net/ttp_snmp
}

# Softirq too: the segments that arrive run TTP's receive path in softirq,
# where a failed allocation cannot be an error for a caller: a child that
# could not be made is a dropped SYN (counted), an answer that could not be
# sent is resent by its timer. Every byte must still arrive. 1 in 25: a
# handshake takes several allocations, each resend doubles its wait, and a
# round must end within 20 s.
drops0=$(listen_drops)
arm N 4
out=$(timeout 120 "$here/stream_workload" 300 60 8192 2>&1)
rc=$?
reset
drops=$(($(listen_drops) - drops0))
echo "# $out (ListenDrops +$drops)"
complete=$(field complete)
if [ "$rc" = 0 ] && [ "${complete:-0}" -gt 0 ] && [ "$drops" -gt 0 ]; then
	echo "ok 5 failslab: stream, softirq too: children lost are counted, every byte arrived ($out, ListenDrops +$drops)"
else
	echo "not ok 5 failslab: stream, softirq too: workload rc=$rc, complete=${complete:-none}, ListenDrops +$drops"
	fail=1
fi

no_socket_left 6 "failslab: stream, softirq too: " 15

# fail_page_alloc: the pages of every order (min-order 0), allocations that
# may sleep too; "times" counts down from a million, so the failures it
# injected are told apart from the workload's own errors. The page
# allocator sits deeper under TTP's frames than the slab allocator does.
fs=$page TIMES=1000000 DEPTH=16
# page_faults: the page allocations fail_page_alloc failed since arm
page_faults() {
	echo $((TIMES - $(cat "$fs/times")))
}
# page_case N WHAT FIELD PROMISE WORKLOAD ARGS...: TAP line N, WORKLOAD run
# under fail_page_alloc exits 0, pages failed and its FIELD is above 0
page_case() {
	local n=$1 what=$2 fld=$3 promise=$4 rc faults v

	shift 4
	arm
	out=$(under_failslab "$@")
	rc=$?
	faults=$(page_faults)
	reset
	echo "# $out (pages failed: $faults)"
	v=$(field "$fld")
	if [ "$rc" = 0 ] && [ "$faults" -gt 0 ] && [ "${v:-0}" -gt 0 ]; then
		echo "ok $n fail_page_alloc: $what: $promise ($out, pages failed: $faults)"
	else
		echo "not ok $n fail_page_alloc: $what: workload rc=$rc, $fld=${v:-none}, pages failed: $faults"
		fail=1
	fi
}
if [ ! -f "$fs/require-start" ]; then
	for n in 7 8 9 10; do
		echo "ok $n fail_page_alloc # SKIP not in this kernel"
	done
else
	echo 0 >"$fs/min-order"
	echo N >"$fs/ignore-gfp-highmem"
	# datagrams of 16000 bytes: some 3.5 KB in the head, the rest in pages
	page_case 7 datagram injected "every failed page was a clean error" \
		"$here/dgram_workload" 400 16000
	no_socket_left 8 "fail_page_alloc: datagram: " 5
	# streams of 64 KB each way: the send path's page frags
	page_case 9 stream complete "every byte arrived" \
		"$here/stream_workload" 100 60 65536
	no_socket_left 10 "fail_page_alloc: stream: " 15
fi
echo "$fin_timeout" >/proc/sys/net/ttp/fin_timeout

if rmmod ttp && insmod "${TTP_KO:?}"; then
	echo "ok 11 failslab: module unloads and loads again"
else
	echo "not ok 11 failslab: rmmod/insmod failed"
	fail=1
fi
exit $fail
