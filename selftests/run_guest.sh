#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the TTP selftests inside the test VM (as root, module loaded):
#
#   run_guest.sh [TEST...]		default: every test, in suite order
#   run_guest.sh --except TEST...	every test but those
#
# Leading NAME=VALUE arguments are exported first, as env(1) would (make
# stress gives each of its VMs its own share of a dose that way).
#
# Each program runs under timeout (the "timeout=" of settings). The full
# TAP log goes to $RESULTS/tap.log, one line "PASS=n FAIL=n SKIP=n" to
# $RESULTS/summary, counting individual test cases (each harness test and
# variant, each shell case). Exit status 0 iff FAIL=0.
#
# A program passes only by keeping its TAP plan: exactly one "1..N" and N
# results. Each planned result that is missing counts as a failure, and a
# program that prints no plan, more results than planned, or crashes, times
# out or exits non-zero without reporting a failed case counts as one more.
# "1..0 # SKIP reason" with exit status 4 is a skip of the whole program
# (one skip): the programs use it only for a capability the kernel lacks.
#
# TTP_SHUFFLE=SEED runs the programs in an order drawn from SEED (printed
# with the order, "random" draws a seed): no test may depend on another.
#
# TTP_TEST_AS_UDP=1 is the UDP reference mode, run on the host by make
# check without the module: the programs that have one (dgram, diff_udp,
# netns.sh) check their expectations against Linux udp; the others test
# TTP only and are left out by name.
#
# The binaries are looked for in $TTP_SELFTESTS, else next to this script,
# else in ../build/selftests (the repository layout).

set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

HERE=$(cd "$(dirname "$0")" && pwd)
if [ -n "${TTP_SELFTESTS:-}" ]; then
	BIN=$TTP_SELFTESTS
elif [ -x "$HERE/dgram" ]; then
	BIN=$HERE
else
	BIN=$(cd "$HERE/.." && pwd)/build/selftests
fi
RESULTS=${RESULTS:-/tmp/ttp-results}
# The Makefile's order: TEST_GEN_PROGS, then TEST_PROGS (unload.sh last).
TESTS=(dgram diff_udp ports inet_addrs stream stream_wire ttpdrill stream_fuzz socket_fuzz netns.sh netem_corrupt.sh netem_loss.sh stream_netem.sh
       stream_icmp.sh stream_spoof.sh stream_mem.sh stream_timers.sh stream_pmtu.sh stream_gso.sh stream_many.sh tools_stream.sh tools_perf.sh
       wireshark.sh ttp_run.sh trace.sh failslab.sh unload.sh)
UDP_MODE=''
if [ "${TTP_TEST_AS_UDP:-0}" = 1 ]; then
	UDP_MODE=1
	TTP_ONLY=(inet_addrs stream_wire ttpdrill stream_fuzz socket_fuzz netem_corrupt.sh netem_loss.sh stream_netem.sh stream_icmp.sh stream_spoof.sh stream_mem.sh stream_timers.sh
		  stream_pmtu.sh stream_gso.sh stream_many.sh tools_stream.sh tools_perf.sh wireshark.sh ttp_run.sh trace.sh failslab.sh unload.sh)
	TESTS=(dgram diff_udp ports stream stream_wire netns.sh)
	export TTP_TEST_AS_UDP TTP_DIFF_UDP_ONLY=1
fi
while [[ "${1:-}" =~ ^[A-Z_][A-Z0-9_]*= ]]; do
	export "${1?}"
	shift
done
if [ "${1:-}" = --except ]; then	# every test but the ones named
	shift
	keep=()
	for t in "${TESTS[@]}"; do
		[[ " $* " == *" $t "* ]] || keep+=("$t")
	done
	TESTS=("${keep[@]}")
	set --
fi
[ $# -gt 0 ] && TESTS=("$@")

TIMEOUT=$(sed -n 's/^timeout=//p' "$BIN/settings" 2>/dev/null)
TIMEOUT=${TIMEOUT:-300}
# The debug kernel (KASAN, lockdep, kmemleak) runs a program several times
# slower, the more so on a loaded host: twice the limit, and each shell
# case's (ttp_lib.sh's CASE_TIMEOUT) too; the fuzzers' doses are a fifth
# (packets), a half (calls) and a quarter (SYNs) of Debian's kernels'.
if uname -r | grep -q -- '-ttp-debug$'; then
	TIMEOUT=$((TIMEOUT * 2))
	export CASE_TIMEOUT=${CASE_TIMEOUT:-180}
	export FUZZ_PACKETS=${FUZZ_PACKETS:-10000} FUZZ_CALLS=${FUZZ_CALLS:-20000} \
		FLOOD_SYNS=${FLOOD_SYNS:-5000}
fi
# make stress's big doses need longer: TTP_PROG_TIMEOUT (s) then
TIMEOUT=${TTP_PROG_TIMEOUT:-$TIMEOUT}
TAP=$RESULTS/tap.log
PASS=0 FAIL=0 SKIP=0 NUM=0

mkdir -p "$RESULTS" || exit 1
: > "$TAP"

log()
{
	echo "$*" | tee -a "$TAP"
}

kmsg()
{
	echo "ttp-selftests: $*" > /dev/kmsg 2> /dev/null
}

# count OUTPUT_FILE: the program's own results (top-level TAP lines);
# prints "pass fail skip plans planned skipplan": the results, how many
# "1..N" lines, the last N, and 1 if that plan is "1..0 # SKIP ..."
count()
{
	awk '
		/^1\.\.[0-9]+/ {
			plans++; n = substr($1, 4) + 0
			sp = (n == 0 && /# *[Ss][Kk][Ii][Pp]/); next
		}
		/^ok [0-9]+ .*# *[Ss][Kk][Ii][Pp]/ { s++; next }
		/^ok [0-9]+ .*# *XPASS/ { f++; next }
		/^ok [0-9]+/ { p++; next }
		/^not ok [0-9]+/ { f++ }
		END { print p + 0, f + 0, s + 0, plans + 0, n + 0, sp + 0 }' "$1"
}

# shuffle SEED: permute TESTS (Fisher-Yates), the same way for a seed
shuffle()
{
	local i j t

	RANDOM=$1
	for ((i = ${#TESTS[@]} - 1; i > 0; i--)); do
		j=$((RANDOM % (i + 1)))
		t=${TESTS[i]} TESTS[i]=${TESTS[j]} TESTS[j]=$t
	done
}

run_one()
{
	local t=$1 path=$BIN/$1 out=$RESULTS/$1.out rc p f s start
	local plans n sp why=''

	NUM=$((NUM + 1))
	if [ ! -x "$path" ]; then
		log "not ok $NUM selftests: net/ttp: $t # missing $path"
		FAIL=$((FAIL + 1))
		return
	fi
	log "# selftests: net/ttp: $t"
	kmsg "start $t"
	start=$(date +%s)
	(cd "$BIN" && timeout -k 10 "$TIMEOUT" "$path") > "$out" 2>&1 < /dev/null
	rc=$?
	kmsg "end $t rc=$rc"
	sed 's/^/# /' "$out" >> "$TAP"
	read -r p f s plans n sp <<< "$(count "$out")"
	if [ "$plans" = 0 ]; then
		why+="no TAP plan; "
		f=$((f + 1))
	elif [ "$plans" != 1 ]; then
		why+="$plans TAP plans; "
		f=$((f + 1))
	elif [ "$n" = 0 ]; then
		if [ "$sp" = 1 ] && [ "$rc" = 4 ] && [ $((p + f + s)) = 0 ]; then
			s=1	# the whole program skipped, with its reason
		else
			why+="plan 1..0 without a skip (exit $rc, $((p + f + s)) results); "
			f=$((f + 1))
		fi
	elif [ $((p + f + s)) -lt "$n" ]; then
		why+="$((n - p - f - s)) of $n planned results missing; "
		f=$((f + n - p - f - s))
	elif [ $((p + f + s)) -gt "$n" ]; then
		why+="$((p + f + s)) results for a plan of $n; "
		f=$((f + 1))
	fi
	if [ "$rc" != 0 ] && [ "$rc" != 4 ] && [ "$f" = 0 ]; then
		why+="exit $rc without a failed case; "
		f=1	# crashed, timed out or bailed out without a failed case
	fi
	PASS=$((PASS + p)) FAIL=$((FAIL + f)) SKIP=$((SKIP + s))
	if [ "$f" != 0 ]; then
		case $rc in
		124|137) why+="TIMEOUT ${TIMEOUT}s; " ;;
		esac
		why=${why:+: ${why%; }}
		log "not ok $NUM selftests: net/ttp: $t # exit=$rc, $f failed$why"
	elif [ "$rc" = 4 ] && [ "$p" = 0 ]; then
		log "ok $NUM selftests: net/ttp: $t # SKIP $(grep -m1 -o '# *SKIP.*' "$out" | sed 's/^# *SKIP *//')"
	else
		log "ok $NUM selftests: net/ttp: $t ($p passed, $s skipped, $(($(date +%s) - start))s)"
	fi
}

if [ -n "${TTP_SHUFFLE:-}" ]; then
	seed=$TTP_SHUFFLE
	[ "$seed" = random ] && seed=$(( $(date +%s%N) % 32768 ))
	[[ $seed =~ ^[0-9]+$ ]] || { echo "TTP_SHUFFLE=$seed: not a number" >&2; exit 1; }
	shuffle "$seed"
fi
log "TAP version 13"
log "1..${#TESTS[@]}"
[ -n "${seed:-}" ] && log "# shuffled with TTP_SHUFFLE=$seed: ${TESTS[*]}"
if [ -n "$UDP_MODE" ]; then
	log "# UDP reference mode (TTP_TEST_AS_UDP=1): expectations checked against Linux udp"
	[ $# -gt 0 ] || log "# TTP only, not run in this mode: ${TTP_ONLY[*]}"
elif [ ! -r /proc/net/ttp ]; then
	log "# ttp.ko is not loaded: /proc/net/ttp is missing"
	FAIL=$((FAIL + 1))
fi
for t in "${TESTS[@]}"; do
	run_one "$t"
done
# unload.sh reloads the module, wherever it ran: it must be loaded now
if [ -z "$UDP_MODE" ] && [ ! -r /proc/net/ttp ]; then
	log "# ttp.ko is not loaded after the suite"
	FAIL=$((FAIL + 1))
fi
echo "PASS=$PASS FAIL=$FAIL SKIP=$SKIP" > "$RESULTS/summary"
log "# PASS=$PASS FAIL=$FAIL SKIP=$SKIP"
[ "$FAIL" = 0 ]
