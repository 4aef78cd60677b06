#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the TTP selftests inside the test VM (as root, module loaded):
#
#   run_guest.sh [TEST...]		default: every test, in suite order
#
# Each program runs under timeout (the "timeout=" of settings). The full
# TAP log goes to $RESULTS/tap.log, one line "PASS=n FAIL=n SKIP=n" to
# $RESULTS/summary, counting individual test cases (each harness test and
# variant, each shell case). A program that crashes, times out or exits
# non-zero without reporting a failed case counts as one more failure.
# Exit status 0 iff FAIL=0.
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
TESTS=(dgram diff_udp ports stream netns.sh netem_corrupt.sh netem_loss.sh stream_netem.sh failslab.sh
       unload.sh)
[ $# -gt 0 ] && TESTS=("$@")

TIMEOUT=$(sed -n 's/^timeout=//p' "$BIN/settings" 2>/dev/null)
TIMEOUT=${TIMEOUT:-300}
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

# count OUTPUT_FILE: add the program's own cases (top-level TAP lines)
# to the totals; prints "pass fail skip" of this program
count()
{
	awk '
		/^ok [0-9]+ .*# *[Ss][Kk][Ii][Pp]/ { s++; next }
		/^ok [0-9]+ .*# *XPASS/ { f++; next }
		/^ok [0-9]+/ { p++; next }
		/^not ok [0-9]+/ { f++ }
		END { print p + 0, f + 0, s + 0 }' "$1"
}

run_one()
{
	local t=$1 path=$BIN/$1 out=$RESULTS/$1.out rc p f s start

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
	read -r p f s <<< "$(count "$out")"
	if [ "$rc" != 0 ] && [ "$rc" != 4 ] && [ "$f" = 0 ]; then
		f=1	# crashed, timed out or bailed out without a failed case
	fi
	if [ $((p + f + s)) = 0 ]; then
		if [ "$rc" = 4 ]; then
			s=1
		else
			p=1
		fi
	fi
	PASS=$((PASS + p)) FAIL=$((FAIL + f)) SKIP=$((SKIP + s))
	case $rc in
	0) log "ok $NUM selftests: net/ttp: $t ($p passed, $s skipped, $(($(date +%s) - start))s)" ;;
	4) log "ok $NUM selftests: net/ttp: $t # SKIP" ;;
	124|137) log "not ok $NUM selftests: net/ttp: $t # TIMEOUT ${TIMEOUT}s" ;;
	*) log "not ok $NUM selftests: net/ttp: $t # exit=$rc ($f failed)" ;;
	esac
}

log "TAP version 13"
log "1..${#TESTS[@]}"
if [ ! -r /proc/net/ttp ]; then
	log "# ttp.ko is not loaded: /proc/net/ttp is missing"
	FAIL=$((FAIL + 1))
fi
for t in "${TESTS[@]}"; do
	run_one "$t"
done
# suite order puts unload.sh last; it must leave the module loaded
if [ ! -r /proc/net/ttp ]; then
	log "# ttp.ko is not loaded after the suite"
	FAIL=$((FAIL + 1))
fi
echo "PASS=$PASS FAIL=$FAIL SKIP=$SKIP" > "$RESULTS/summary"
log "# PASS=$PASS FAIL=$FAIL SKIP=$SKIP"
[ "$FAIL" = 0 ]
