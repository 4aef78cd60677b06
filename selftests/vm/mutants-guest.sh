#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mutants-guest.sh: the in-VM half of mutants.sh (started through vmrun.sh, no module
# loaded). For each "NAME KO TEST..." line of $RESULTS/todo that has no line in
# $RESULTS/results yet: insmod KO, run the suite programs TEST... until the first one fails, rmmod,
# look at dmesg, and append one line "NAME VERDICT SECONDS HOW" to $RESULTS/results.
# VERDICT is "survived" (every program passed, rmmod worked, dmesg clean) or "killed";
# HOW says by what: the first failing program (and its first failed case), "rmmod"
# (the module stays pinned), "dmesg" (a kernel problem was logged) or "insmod".
# $RESULTS/current names the mutant under test, so that the host can tell which one
# crashed or hung the VM. After a mutant that pinned the module or logged a kernel
# problem (a WARN_ONCE fires once per boot) the loop stops: the host boots a fresh VM
# for the rest.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

BIN=${TTP_SELFTESTS:-$REPO/build/selftests}
ptimeout=${MUT_PROG_TIMEOUT:-150}
todo=$RESULTS/todo out=$RESULTS/results
touch "$out"

# killtree PID: stop PID and every process under it (a harness test runs in its own
# process group, so the group alone is not enough), then kill them all.
killtree() {
	local c
	kill -STOP "$1" 2>/dev/null || return 0
	for c in $(ps -o pid= --ppid "$1"); do killtree "$c"; done
	kill -KILL "$1" 2>/dev/null
}

# run_prog PROG: run one suite program, stopping it (and what it started, whose sockets
# would pin the module) at its first failed case. Prints "pass", "fail CASE", "exit RC"
# or "timeout".
run_prog() {
	local p=$1 log=$RESULTS/prog.out pid rc bad end=$((SECONDS + ptimeout))
	# stdbuf: line-buffered output, so that a failed case shows at once
	stdbuf -oL -eL bash -c 'cd "$1" && exec "./$2"' _ "$BIN" "$p" >"$log" 2>&1 </dev/null &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		bad=$(grep -m1 '^not ok' "$log")
		if [ -n "$bad" ]; then
			killtree "$pid"; wait "$pid" 2>/dev/null
			echo "fail ${bad#not ok }"; return
		fi
		if [ "$SECONDS" -ge "$end" ]; then
			killtree "$pid"; wait "$pid" 2>/dev/null
			echo timeout; return
		fi
		sleep 0.5
	done
	wait "$pid"
	rc=$?
	bad=$(grep -m1 '^not ok' "$log")
	if [ -n "$bad" ]; then
		echo "fail ${bad#not ok }"
	elif [ "$rc" = 0 ] || [ "$rc" = 4 ]; then	# 4: kselftest's skip
		echo pass
	else
		echo "exit $rc"
	fi
}

# The module, out of the way. The suite's processes are gone once run_prog returns, but
# a socket lives on while a namespace it sent through is torn down (asynchronously):
# allow a minute for the last references to drop.
unload() {
	local end=$((SECONDS + 60))
	ip -all netns delete 2>/dev/null	# left by a shell test stopped early
	while [ "$SECONDS" -lt "$end" ]; do
		grep -q '^ttp ' /proc/modules || return 0
		rmmod ttp 2>"$RESULTS/rmmod.err" && return 0
		sleep 0.2
	done
	echo "mutants: rmmod: $(cat "$RESULTS/rmmod.err"); $(grep '^ttp ' /proc/modules)" >&2
	return 1
}

while read -r name ko line; do
	read -ra tests <<<"$line"
	grep -q "^$name " "$out" && continue
	echo "$name" >"$RESULTS/current"
	sync
	dmesg -C
	echo "mutant $name" >/dev/kmsg
	start=$(date +%s)
	verdict=survived how=-
	if ! insmod "$ko" 2>"$RESULTS/insmod.err"; then
		verdict=killed how="insmod: $(head -c 80 "$RESULTS/insmod.err" | tr '\n' ' ')"
	else
		export TTP_KO=$ko
		for t in "${tests[@]}"; do
			echo "mutants: $name: $t" >&2
			r=$(run_prog "$t")
			[ "$r" = pass ] && continue
			verdict=killed how="$t: $r"
			cp "$RESULTS/prog.out" "$RESULTS/$name.out"
			break
		done
		if ! unload; then
			[ $verdict = killed ] || how="rmmod: the module stays pinned"
			verdict=killed stop=1
		fi
	fi
	dmesg >"$RESULTS/dmesg.now"
	if dmesg_bad "$RESULTS/dmesg.now" >"$RESULTS/$name.dmesg"; then
		[ $verdict = killed ] || how="dmesg: $(grep -m1 -oE "($DMESG_BAD).{0,60}" "$RESULTS/$name.dmesg")"
		verdict=killed stop=1
	else
		rm -f "$RESULTS/$name.dmesg"
	fi
	echo "$name $verdict $(($(date +%s) - start)) $how" | tr -s '\t' ' ' | tee -a "$out" >&2
	rm -f "$RESULTS/current"
	sync
	[ -z "${stop:-}" ] || exit 0
done <"$todo"
exit 0
