#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check.sh [NAME[,NAME]...]: the whole TTP suite on each kernel (default: 6.1 6.12 sid
# debug). Installs what is missing, builds userspace + selftests once and ttp.ko per
# kernel, runs the UDP reference modes of dgram, diff_udp and netns.sh on the host
# (their expectations checked against Linux udp: the row "udp"), then
# selftests/run_guest.sh in the VM of each kernel, adds one "dmesg clean" test per
# kernel, prints a table, a line "kernels: N run, N missing" and last the line
# "N passed, N failed, N skipped" (test cases). Exit 1 if anything failed.
# A kernel that cannot be had (kernel.sh prints KSKIP) is a failure: name the kernels
# to run instead (make check KVER=6.1,6.12), or set TTP_ALLOW_MISSING_KERNELS=1 to
# report it as a missing kernel and go on.
# Results: build/results/NAME/ (tap.log, summary, dmesg.txt, console.log), udp/ likewise.
# With 6.1 and 6.12 among the kernels, the row "packaging" (packaging.sh) checks make
# install/uninstall and DKMS builds for both, booted.
# The VM runs go $(nproc) at a time (TTP_CHECK_JOBS); a failed one's console end is
# printed. Environment: V=1 runs one VM at a time and shows its console; TTP_KERNELS (default list);
# TTP_ALLOW_MISSING_KERNELS=1; TTP_SHUFFLE=SEED|random (run the programs in a shuffled
# order, in the VMs and on the host); TTP_VM_TIMEOUT (per VM, default 1800 s:
# debug parts took 850 to 1200 s, then 1062 to 1501 s on 2026-12-07, when
# part 3 ran out of 1500 s in the final kmemleak scan, all its tests passed;
# .ci/run's 85 minutes still bound the whole);
# TTP_CHECK_MAKE (default "userspace selftests") and TTP_CHECK_CMD (default
# selftests/run_guest.sh) for testing this script; TTP_CHECK_PARTS: the VMs each
# kernel gets, their run_guest.sh arguments separated by ";" (make stress's two).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO"

# Names separated by commas or spaces, in arguments or TTP_KERNELS.
names=${*:-${TTP_KERNELS:-6.1 6.12 sid debug}}
read -ra kernels <<<"${names//,/ }"
[ ${#kernels[@]} -gt 0 ] || die "no kernel to run"
allow_missing=${TTP_ALLOW_MISSING_KERNELS:-0}
if [ -n "${TTP_SHUFFLE:-}" ]; then
	# one seed for every kernel, printed so that a failing order can be rerun
	[ "$TTP_SHUFFLE" != random ] || TTP_SHUFFLE=$((RANDOM))
	export TTP_SHUFFLE
	log "programs run in an order shuffled with TTP_SHUFFLE=$TTP_SHUFFLE"
fi
read -ra guest_cmd <<<"${TTP_CHECK_CMD:-selftests/run_guest.sh}"
# V=1: one VM at a time, its console shown as it runs
quiet=--quiet jobs=${TTP_CHECK_JOBS:-$(nproc)}
if [ "${V:-0}" = 1 ]; then quiet='' jobs=${TTP_CHECK_JOBS:-1}; fi
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1

passed=0 failed=0 skipped=0 ran=0 missing=()
rows=()
row() { rows+=("$(printf '%s\t' "$@")"); }

# summary_of DIR: "p f s" from DIR/summary (run_guest.sh's), else false
summary_of() {
	local sum
	[ -f "$1/summary" ] && read -r sum <"$1/summary" &&
		[[ $sum =~ ^PASS=([0-9]+)\ FAIL=([0-9]+)\ SKIP=([0-9]+) ]] &&
		echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"
}

# The runs of the suite a kernel gets, one line of run_guest.sh arguments
# each ("" for the whole suite in one VM). The debug kernel (KASAN, lockdep,
# kmemleak) runs the suite several times slower than Debian's: it gets five
# VMs, each with the whole time limit: the C programs and the trace
# events'; the datagram's shell tests and failslab; the stream's netem,
# ICMP and PMTU tests and ttpcat's; the fuzzers, memory, stream_many and
# GSO; the rest of the stream's, spoofing included. Each VM but the first
# ends with unload.sh: parts 2 to 4 with its first cases only
# (UNLOAD_QUICK=1: rmmod, nothing left, insmod again), the last whole.
# wireshark.sh, ttp_run.sh and tools_perf.sh test userspace (the dissector,
# the preload library, Debian's programs, ttpperf) and run on the other
# kernels only: on debug they took 385, 537 and 332 s, and the kernel paths
# they use are the stream's, the datagram's and TTP_INET_ADDRS's, which the
# debug parts cover. Measured on 2026-12-07 (GSO in), two VMs at a
# time: parts 1 to 5 took 632, 599, 724, 810 and 701 s.
vm_parts() {
	if [ -n "${TTP_CHECK_PARTS:-}" ]; then
		tr ';' '\n' <<<"$TTP_CHECK_PARTS"
	elif [ "$1" = debug ] && [ -z "${TTP_CHECK_CMD:-}" ]; then
		echo "dgram diff_udp ports inet_addrs stream stream_wire trace.sh"
		echo "UNLOAD_QUICK=1 netns.sh netem_corrupt.sh netem_loss.sh failslab.sh unload.sh"
		echo "UNLOAD_QUICK=1 stream_netem.sh stream_icmp.sh stream_pmtu.sh tools_stream.sh unload.sh"
		echo "UNLOAD_QUICK=1 stream_fuzz socket_fuzz stream_mem.sh stream_many.sh stream_gso.sh unload.sh"
		echo "--except dgram diff_udp ports stream stream_wire tools_stream.sh tools_perf.sh netns.sh netem_corrupt.sh netem_loss.sh failslab.sh stream_netem.sh stream_icmp.sh stream_pmtu.sh stream_fuzz socket_fuzz stream_mem.sh stream_many.sh stream_gso.sh inet_addrs trace.sh wireshark.sh ttp_run.sh"
	else
		echo ""
	fi
}

# part_result DIR VRC: add one VM run's cases, and its "dmesg clean" case,
# to P F S and note.
part_result() {
	local r=$1 vrc=$2 p=0 f=0 s=0 st

	if read -r p f s < <(summary_of "$r"); then
		st=$(cat "$r/status" 2>/dev/null || echo none)
		if [ "$st" != 0 ] && [ "$f" = 0 ]; then f=1 note+="suite exited with status $st; "; fi
	else
		f=1 note+="suite gave no summary; "
	fi
	if [ ! -s "$r/dmesg.txt" ] || dmesg_bad "$r/dmesg.txt" >/dev/null; then
		f=$((f + 1)) note+="dmesg not clean; "
	elif [ "$k" = debug ] && [ ! -f "$r/kmemleak.txt" ]; then
		# a debug run kmemleak did not scan (debugfs not mounted...)
		# has not shown that nothing leaked
		f=$((f + 1)) note+="kmemleak did not scan; "
	else
		p=$((p + 1))
	fi
	[ "$vrc" != 3 ] || note+="no result from the VM (see ${r#"$REPO"/}/console.log); "
	if [ "$f" != 0 ] && [ -f "$r/tap.log" ]; then
		log "$k: failed tests:"
		failed_cases "$r/tap.log"
	fi
	P=$((P + p)) F=$((F + f)) S=$((S + s))
}

# failed_cases TAP-LOG: each failed case with the last 20 lines it printed
# (CI keeps no results directory: this is all there is to go on)
failed_cases() {
	[ -f "$1" ] || return 0
	awk '/^(# )?not ok [0-9]/ {
		for (i = (n > 20 ? n - 20 : 0); i < n; i++) print "    " buf[i]
		print; n = 0; if (++shown == 10) exit; next
	     }
	     /^# ok [0-9]|^# selftests:|^# #  RUN / { n = 0; next }
	     { buf[n++] = $0 }' "$1" >&2
}

# host_row_start NAME WHAT: a fresh results directory ($res) for a row run
# on the host, its clock ($start) and exit status ($urc)
host_row_start() {
	res=$REPO/build/results/$1
	rm -rf "$res"
	mkdir -p "$res"
	log "$1: $2 (results in ${res#"$REPO"/})"
	start=$(date +%s)
	urc=0
}

bash "$VMDIR/deps.sh"
built=1
for t in ${TTP_CHECK_MAKE-userspace selftests}; do
	log "make $t"
	if ! make -s "$t"; then
		log "FAIL: make $t"
		row "make $t" - 0 1 0 - "build failed"
		failed=$((failed + 1)) built=''
	fi
done

# The stream's pure logic, unit-tested on the host first: seconds, no VM.
# Each "ok"/"not ok" line of its TAP is a case; a plan not met is a failure.
if [ -n "$built" ]; then
	host_row_start unit "the stream's pure logic on the host"
	make -s unit >"$res/tap.log" 2>&1 || urc=$?
	read -r p f plan < <(awk '/^ok [0-9]/ { p++ } /^not ok [0-9]/ { f++ }
		/^1\.\.[0-9]+/ { split($1, a, "\\.\\."); n = a[2] }
		END { print p + 0, f + 0, n + 0 }' "$res/tap.log")
	note=''
	if [ "$plan" = 0 ] || [ $((p + f)) != "$plan" ]; then
		note="planned $plan, ran $((p + f)); " f=$((f + 1))
	fi
	if [ "$urc" != 0 ] && [ "$f" = 0 ]; then f=1 note+="exit status $urc; "; fi
	[ "$f" = 0 ] || grep -E '^not ok|error' "$res/tap.log" | head -n 20 >&2 || true
	row unit "host $(uname -r)" "$p" "$f" 0 "$(($(date +%s) - start))s" "${note%; }"
	passed=$((passed + p)) failed=$((failed + f))
fi

# The expectations themselves, against Linux udp on the host: seconds, no VM.
if [ -n "$built" ]; then
	host_row_start udp "the UDP reference modes on the host"
	TTP_TEST_AS_UDP=1 RESULTS=$res bash selftests/run_guest.sh >"$res/console.log" 2>&1 || urc=$?
	if read -r p f s < <(summary_of "$res"); then
		note=''
		if [ "$urc" != 0 ] && [ "$f" = 0 ]; then f=1 note="exit status $urc"; fi
	else
		p=0 f=1 s=0 note="gave no summary (see ${res#"$REPO"/}/console.log)"
	fi
	if [ "$f" != 0 ]; then
		log "udp: failed tests:"
		failed_cases "$res/tap.log"
	fi
	row udp "host $(uname -r)" "$p" "$f" "$s" "$(($(date +%s) - start))s" "${note:-dgram diff_udp ports netns.sh as udp, stream as tcp}"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
fi

# make install/uninstall and DKMS (selftests/vm/packaging.sh): on the host,
# then two short VM boots of the DKMS-built modules; when the kernels asked
# for include 6.1 and 6.12, whose headers DKMS builds against.
if [ -n "$built" ] && [[ " ${kernels[*]} " == *" 6.1 "* ]] && [[ " ${kernels[*]} " == *" 6.12 "* ]]; then
	host_row_start packaging "make install, make uninstall, DKMS for 6.1 and 6.12"
	bash "$VMDIR/packaging.sh" >"$res/tap.log" 2>&1 || urc=$?
	read -r p f < <(awk '/^ok [0-9]/ { p++ } /^not ok [0-9]/ { f++ }
		END { print p + 0, f + 0 }' "$res/tap.log")
	note=''
	if [ $((p + f)) != 6 ]; then note="planned 6, ran $((p + f))" f=$((f + 1)); fi
	if [ "$urc" != 0 ] && [ "$f" = 0 ]; then f=1 note="exit status $urc"; fi
	[ "$f" = 0 ] || grep -A12 '^not ok' "$res/tap.log" | head -n 40 >&2 || true
	row packaging "host $(uname -r)" "$p" "$f" 0 "$(($(date +%s) - start))s" "${note:-make install/uninstall, dkms build 6.1 6.12, loads}"
	passed=$((passed + p)) failed=$((failed + f))
fi

# First every kernel is fetched and its ttp.ko built, one after the other;
# then the VM runs (one per kernel, the debug kernel's parts each their own)
# go through a queue, $jobs at a time, longest first. A VM runs its vCPUs in
# one host thread (TCG), so two VMs on two cores do not slow each other down.
declare -A krel=() kko=()
queue=()
for k in "${kernels[@]}"; do
	[ -n "$built" ] || { row "$k" - - - - - "not run: the build failed"; continue; }
	if ! load_kernel "$k"; then
		row "$k" - 0 1 0 - "kernel.sh $k failed"
		failed=$((failed + 1))
		continue
	fi
	if [ -n "${KSKIP:-}" ]; then
		missing+=("$k")
		if [ "$allow_missing" = 1 ]; then
			log "$k: missing kernel, skipped (TTP_ALLOW_MISSING_KERNELS=1): $KSKIP"
			row "$k" - - - - - "missing kernel, skipped: $KSKIP"
		else
			log "FAIL: $k: missing kernel: $KSKIP"
			row "$k" - 0 1 0 - "missing kernel: $KSKIP (to go without it: KVER=<the others> or TTP_ALLOW_MISSING_KERNELS=1)"
			failed=$((failed + 1))
		fi
		continue
	fi
	log "$k: building ttp.ko for $KREL"
	if ! ko=$(bash "$VMDIR/build-module.sh" "$k" | tail -n1) || [ ! -f "$ko" ]; then
		row "$k" "$KREL" 0 1 0 - "module build failed"
		failed=$((failed + 1))
		continue
	fi
	krel[$k]=$KREL kko[$k]=$ko
	rm -rf "$REPO/build/results/$k" "$REPO/build/results/$k".vm*
	mkdir -p "$REPO/build/results/$k"
	part=0
	while IFS= read -r args; do
		part=$((part + 1))
		# KERNEL<tab>RESULTS DIR<tab>ARGS; a kernel of several parts goes first
		if [ -z "$args" ]; then
			queue+=("$k"$'\t'"$REPO/build/results/$k"$'\t')
		else
			queue=("$k"$'\t'"$REPO/build/results/$k/part$part"$'\t'"$args" "${queue[@]}")
		fi
	done < <(vm_parts "$k")
done

# vm_job KERNEL DIR ARGS: one VM run; its exit status and seconds go to DIR.vmrc
vm_job() {
	local t0 vrc=0
	t0=$(date +%s)
	mkdir -p "$2"
	# shellcheck disable=SC2086 # $3: test names, one per word
	bash "$VMDIR/vmrun.sh" --kernel "$1" --module "${kko[$1]}" --results "$2" \
		--timeout "${TTP_VM_TIMEOUT:-1800}" $quiet -- "${guest_cmd[@]}" $3 </dev/null \
		2>&1 | tee "$2.vmrun.log" | { if [ -n "$quiet" ]; then cat >/dev/null; else cat; fi; } ||
		vrc=${PIPESTATUS[0]}
	echo "$vrc $(($(date +%s) - t0))" >"$2.vmrc"
	log "${2#"$REPO"/build/results/}: VM done, status $vrc, $(($(date +%s) - t0))s"
}

[ ${#queue[@]} = 0 ] || log "${#queue[@]} VM runs, $jobs at a time (TTP_CHECK_JOBS)"
for j in "${queue[@]}"; do
	IFS=$'\t' read -r k r args <<<"$j"
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
	log "${r#"$REPO"/build/results/}: running ${args:-the suite} on ${krel[$k]} (VM console in ${r#"$REPO"/}/console.log)"
	vm_job "$k" "$r" "$args" &
done
wait

for k in "${kernels[@]}"; do
	[ -n "${kko[$k]:-}" ] || continue
	ran=$((ran + 1))
	P=0 F=0 S=0 note='' secs=0
	for j in "${queue[@]}"; do
		IFS=$'\t' read -r jk r args <<<"$j"
		[ "$jk" = "$k" ] || continue
		read -r vrc s <"$r.vmrc" 2>/dev/null || vrc=3 s=0
		secs=$((secs + s))
		part_result "$r" "$vrc"
		if [ "$vrc" != 0 ]; then
			log "${r#"$REPO"/build/results/}: the VM's end:"
			sed 's/^/    /' "$r.vmrun.log" >&2
			tail -n 15 "$r/console.log" 2>/dev/null | sed 's/^/    /' >&2 || true
		fi
		if dmesg_bad "$r/console.log" >/dev/null; then
			log "${r#"$REPO"/build/results/}: the kernel's first report:"
			first_report "$r/console.log" | sed 's/^/    /' >&2
		fi
	done
	row "$k" "${krel[$k]}" "$P" "$F" "$S" "${secs}s" "${note%; }"
	passed=$((passed + P)) failed=$((failed + F)) skipped=$((skipped + S))
done

if [ -n "$built" ] && [ "$ran" = 0 ]; then
	row all - 0 1 0 - "no kernel could be run"
	failed=$((failed + 1))
fi
w1=6 w2=7
for r in "${rows[@]}"; do
	IFS=$'\t' read -r a b _ <<<"$r"
	w1=$((${#a} > w1 ? ${#a} : w1)) w2=$((${#b} > w2 ? ${#b} : w2))
done
echo
for r in $'kernel\trelease\tpassed\tfailed\tskipped\ttime\tnote' "${rows[@]}"; do
	IFS=$'\t' read -r a b p f s t n <<<"$r"
	printf "%-${w1}s  %-${w2}s %6s %6s %7s %6s  %s\n" "$a" "$b" "$p" "$f" "$s" "$t" "$n"
done
echo
if [ ${#missing[@]} = 0 ]; then
	echo "kernels: $ran run, 0 missing"
elif [ "$allow_missing" = 1 ]; then
	echo "kernels: $ran run, ${#missing[@]} missing (${missing[*]}: skipped, TTP_ALLOW_MISSING_KERNELS=1)"
else
	echo "kernels: $ran run, ${#missing[@]} missing (${missing[*]}: failed)"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
