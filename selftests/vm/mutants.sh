#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mutants.sh: mutation testing of the suite (make mutants). Every mutant of
# selftests/mutants/*.mut (format: selftests/mutants/README) is a one-rule break of the
# module; the suite should notice each one, i.e. "kill" it.
#
# 1. On the host: build ttp.ko unmutated (the control) and once per mutant, each from a
#    scratch copy of the sources (build/mutants/REL/src; module/ is never touched). A
#    mutant whose fragment is missing or ambiguous "does not apply", one that does not
#    compile "does not build": both are errors of the list, not kills.
# 2. In one VM (mutants-guest.sh): the control, then each mutant: insmod, the suite
#    programs up to the first failure, rmmod. A mutant that crashes the kernel, or hangs
#    it past MUTANTS_HANG seconds, is killed too; the host then boots a new VM for the
#    rest. If the control does not survive, the run stops: the suite itself fails.
# 3. Prints one line per mutant (killed, survived, ...) and the score, killed/(killed +
#    survived). Results: build/mutants/REL/results/ (results, NAME.out of the failing
#    program, NAME.dmesg, console logs).
#
# A mutant of the stream's pure logic (the files `make unit` compiles for the host) meets
# the unit tests first, as in make check: if they fail it is killed there, without a VM.
#
# Environment: MUTANTS=name1,name2 (a subset; default all those of the kernel),
# MUTANTS_KVER (default 6.12; a .mut file's "kernel:" line names the one kernel its
# mutants run on, e.g. the debug kernel for fault injection; the others run on any),
# MUTANTS_TESTS (suite programs, in order, for every mutant; default: the "tests:" line
# of the mutant's .mut file, else "dgram diff_udp netns.sh netem_corrupt.sh
# netem_loss.sh unload.sh"; the control runs all of them), MUTANTS_PROG_TIMEOUT (s per program,
# default 150), MUTANTS_HANG (s one mutant may take before the VM is killed, default 600),
# MUTANTS_BUILD_ONLY=1 (only check that every mutant applies and builds).
# Exit 0 iff the control survived, every mutant applied and built, and none survived.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO"

kver=${MUTANTS_KVER:-6.12}
hang=${MUTANTS_HANG:-600}
deftests="dgram diff_udp netns.sh netem_corrupt.sh netem_loss.sh unload.sh"
ptimeout=${MUTANTS_PROG_TIMEOUT:-150}
t0=$(date +%s)

# ---- the list ------------------------------------------------------------------------
names=()
declare -A mfile mfrom mto mrule mtests mkern
parse() {	# parse FILE.mut
	local line key val name='' ftests=$deftests fkern=''
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		'#'* | '') continue ;;
		'['*']') name=${line#[}; name=${name%]}
			[[ $name =~ ^[A-Za-z0-9_]+$ ]] || die "$1: bad mutant name '$name'"
			[ -z "${mfile[$name]+x}" ] || die "$1: mutant $name defined twice"
			names+=("$name") mfile[$name]='' mfrom[$name]='' mto[$name]='' mrule[$name]=''
			mtests[$name]=${MUTANTS_TESTS:-$ftests} mkern[$name]=$fkern
			continue ;;
		'kernel:'*)
			[ -z "$name" ] || die "$1: 'kernel:' must come before the first mutant"
			fkern=${line#kernel:} fkern=${fkern// /}
			continue ;;
		'tests:'*)
			[ -z "$name" ] || die "$1: 'tests:' must come before the first mutant"
			ftests=${line#tests:}
			continue ;;
		esac
		[ -n "$name" ] || die "$1: '$line' outside a [mutant] block"
		key=${line%%:*} val=${line#*:}
		val=${val#"${val%%[! ]*}"}	# the blanks after the colon
		case $key in
		file) mfile[$name]=$val ;;
		from) mfrom[$name]=$val ;;
		to) mto[$name]=$val ;;
		rule) mrule[$name]=$val ;;
		*) die "$1: mutant $name: unknown key '$key'" ;;
		esac
	done <"$1"
}
for f in selftests/mutants/*.mut; do parse "$f"; done
for n in "${names[@]}"; do
	[ -n "${mfile[$n]}" ] && [ -n "${mfrom[$n]}" ] && [ -n "${mrule[$n]}" ] ||
		die "mutant $n: file, from and rule are required"
done
# runs_here NAME: the mutant runs on $kver (its file names no kernel, or this one)
runs_here() { [ -z "${mkern[$1]}" ] || [ "${mkern[$1]}" = "$kver" ]; }
if [ -n "${MUTANTS:-}" ]; then
	names=()
	for n in ${MUTANTS//,/ }; do
		[ -n "${mfile[$n]+x}" ] || die "MUTANTS: no mutant named $n"
		runs_here "$n" || die "mutant $n runs on kernel ${mkern[$n]}: MUTANTS_KVER=${mkern[$n]}"
		names+=("$n")
	done
else
	sel=() other=()
	for n in "${names[@]}"; do
		if runs_here "$n"; then sel+=("$n"); else other+=("$n"); fi
	done
	names=("${sel[@]}")
	[ ${#other[@]} = 0 ] || log "not run on $kver: ${other[*]} (they need another kernel: MUTANTS_KVER=...)"
fi
[ ${#names[@]} -gt 0 ] || die "no mutant runs on kernel $kver"
# the control runs every program any mutant runs, in the order first named
tests=''
for n in "${names[@]}"; do
	for t in ${mtests[$n]}; do
		[[ " $tests " == *" $t "* ]] || tests="$tests $t"
	done
done
mtests[control]=${tests# }

# unescape TEXT: \n and \t of the list as newline and tab
unescape() { local s=${1//\\n/$'\n'}; printf '%s' "${s//\\t/$'\t'}"; }

# mutate NAME SRC DST: write SRC with the mutant's fragment replaced to DST; false
# (and a reason on stdout) if the fragment is missing or occurs more than once.
mutate() {
	local from to text rest
	from=$(unescape "${mfrom[$1]}") to=$(unescape "${mto[$1]}")
	text=$(cat "$2"; echo x) text=${text%x}
	rest=${text#*"$from"}
	if [ "$rest" = "$text" ]; then echo "fragment not found"; return 1; fi
	if [[ $rest == *"$from"* ]]; then echo "fragment occurs more than once"; return 1; fi
	printf '%s' "${text/"$from"/"$to"}" >"$3"
}

# ---- build ---------------------------------------------------------------------------
load_kernel "$kver" || die "kernel $kver cannot be had"
[ -z "${KSKIP:-}" ] || die "kernel $kver skipped: $KSKIP"
out=$REPO/build/mutants/$KREL
src=$out/src res=$out/results
mkdir -p "$src" "$out/ko" "$out/log"
rm -rf "$res"
mkdir -p "$res/vm"
log "building the selftests and the tools"
make -s selftests userspace >"$out/log/selftests.log" 2>&1 ||
	die "make selftests userspace failed: $out/log/selftests.log"

# Make the scratch tree hold the sources, with FILE replaced by MUTATED if given. Only
# files whose content differs are rewritten, so kbuild recompiles just those: one or two
# objects per mutant instead of nine.
sync_src() {	# sync_src [FILE MUTATED]
	local f want
	while IFS= read -r f; do
		want=$REPO/$f
		[ "$f" != "${1:-}" ] || want=$2
		mkdir -p "$(dirname "$src/$f")"
		cmp -s "$want" "$src/$f" || cp "$want" "$src/$f"
	done < <(find Kbuild module uapi -type f ! -name '*.o' ! -name '.*' | sort)
}

# A module is rebuilt only when its sources changed: ko/NAME.key holds the hash of the
# sources and of the mutated file it was built from.
srckey=$(find Kbuild module uapi -type f | sort | xargs sha256sum | sha256sum | cut -c1-16)
declare -A status how
built=()
build_one() {	# build_one NAME: ko/NAME.ko, or status "does not build"
	local n=$1 why key
	if [ "$n" = control ]; then
		key="$KREL $srckey"
	elif ! why=$(mutate "$n" "$REPO/${mfile[$n]}" "$out/mutated"); then
		status[$n]="does not apply" how[$n]="${mfile[$n]}: $why"
		return
	else
		key="$KREL $srckey ${mfile[$n]} $(sha256sum <"$out/mutated" | cut -c1-16)"
	fi
	if [ "$n" != control ] && unit_kills "$n"; then
		status[$n]="killed (unit)"
		return
	fi
	[ -z "${status[$n]+x}" ] || return 0	# the unit build failed
	if [ -f "$out/ko/$n.ko" ] && [ "$(cat "$out/ko/$n.key" 2>/dev/null)" = "$key" ]; then
		built+=("$n")
		return
	fi
	if [ "$n" = control ]; then sync_src; else sync_src "${mfile[$n]}" "$out/mutated"; fi
	rm -f "$src/ttp.ko" "$out/ko/$n.ko"
	if $KMAKE -C "$KBUILD" M="$src" modules >"$out/log/$n.log" 2>&1 && [ -f "$src/ttp.ko" ]; then
		cp "$src/ttp.ko" "$out/ko/$n.ko"
		echo "$key" >"$out/ko/$n.key"
		built+=("$n")
	else
		status[$n]="does not build" how[$n]="see ${out#"$REPO"/}/log/$n.log"
	fi
}
# unit_kills NAME: does `make unit` fail with the mutant in place? Only for the files
# that make unit compiles (UNIT_LOGIC of the Makefile, and the header seq.h).
unit_files=" module/seq.h $(make -s --no-print-directory -f Makefile -pn unit 2>/dev/null |
	sed -n 's/^UNIT_LOGIC := //p') "
unit_kills() {
	local n=$1 u=$out/unit
	[[ $unit_files == *" ${mfile[$n]} "* ]] || return 1
	rm -rf "$u" && mkdir -p "$u/selftests"
	cp -a Makefile module "$u/" && cp -a selftests/unit "$u/selftests/"
	cp "$out/mutated" "$u/${mfile[$n]}"
	if make -s -C "$u" unit BUILD="$u/build" >"$out/log/$n.unit" 2>&1; then
		return 1
	fi
	if [ ! -x "$u/build/unit/unit" ]; then	# a compiler error is no kill
		status[$n]="does not build" how[$n]="see ${out#"$REPO"/}/log/$n.unit"
		return 1
	fi
	how[$n]="make unit: $(grep -m1 -E '^not ok|error|Error' "$out/log/$n.unit" | cut -c1-70)"
	return 0
}

log "building the control and ${#names[@]} mutants for $KREL"
bstart=$(date +%s)
build_one control
[ -z "${status[control]+x}" ] || die "the unmutated module does not build: $out/log/control.log"
for n in "${names[@]}"; do build_one "$n"; done
sync_src	# leave the scratch tree unmutated
log "built $((${#built[@]} - 1)) mutants in $(($(date +%s) - bstart))s"
if [ "${MUTANTS_BUILD_ONLY:-0}" = 1 ]; then
	bad=0
	for n in "${names[@]}"; do
		[ -z "${status[$n]+x}" ] || [ "${status[$n]}" = "killed (unit)" ] ||
			{ echo "$n: ${status[$n]}: ${how[$n]}"; bad=1; }
	done
	exit "$bad"
fi

# ---- run -----------------------------------------------------------------------------
# Boot VMs until every built mutant has a result. The guest appends "NAME VERDICT SECS
# HOW" to results and names the mutant under test in "current"; a mutant that is
# current when the VM dies (panic: panic_on_oops, softlockup_panic) or that the host
# kills after $hang seconds is killed by a crash or a hang.
vm=$res/vm
export TTP_VM_APPEND="panic_on_oops=1 softlockup_panic=1 hung_task_panic=1 hung_task_timeout_secs=60 ${TTP_VM_APPEND:-}"
: >"$vm/results"
boots=0 idle=0
result_of() { grep -m1 "^$1 " "$vm/results" || true; }
while :; do
	: >"$vm/todo"
	left=0
	for n in "${built[@]}"; do
		[ -n "$(result_of "$n")" ] && continue
		echo "$n $out/ko/$n.ko ${mtests[$n]}" >>"$vm/todo"
		left=$((left + 1))
	done
	[ "$left" != 0 ] || break
	boots=$((boots + 1))
	before=$(wc -l <"$vm/results")
	rm -f "$vm/current"
	log "VM $boots: $left module(s) to run"
	setsid bash "$VMDIR/vmrun.sh" --kernel "$kver" --results "$vm" --quiet \
		--timeout $((left * hang + 120)) -- env MUT_PROG_TIMEOUT="$ptimeout" \
		bash "$VMDIR/mutants-guest.sh" >"$res/vmrun.$boots.log" 2>&1 &
	vpid=$!
	cur='' since=$(date +%s) killed_vm=''
	while kill -0 "$vpid" 2>/dev/null; do
		sleep 2
		c=$(cat "$vm/current" 2>/dev/null || true)
		if [ "$c" != "$cur" ]; then
			cur=$c since=$(date +%s)
			[ -z "$c" ] || log "  $c"
		elif [ -n "$c" ] && [ $(($(date +%s) - since)) -gt "$hang" ]; then
			log "  $c: no result after ${hang}s, killing the VM"
			killed_vm=1
			kill -- -"$vpid" 2>/dev/null || true
		fi
	done
	wait "$vpid" || true
	cp "$vm/console.log" "$res/console.$boots.log" 2>/dev/null || true
	c=$(cat "$vm/current" 2>/dev/null || true)
	if [ -n "$c" ] && [ -z "$(result_of "$c")" ]; then
		if [ -n "$killed_vm" ]; then
			h="hang: no result after ${hang}s"
		else
			h="crash: $(grep -m1 -oE "($DMESG_BAD).{0,60}" "$res/console.$boots.log" || echo 'the VM died')"
		fi
		echo "$c killed $(($(date +%s) - since)) $h" >>"$vm/results"
	fi
	if [ "$(result_of control | cut -d' ' -f2)" = killed ]; then
		log "the control (the unmutated module) fails the suite: $(result_of control | cut -d' ' -f4-)"
		log "see $res/vm/control.out; no mutant was judged"
		exit 1
	fi
	if [ "$(wc -l <"$vm/results")" = "$before" ]; then
		idle=$((idle + 1))
		[ "$idle" -lt 2 ] || die "two VMs in a row gave no result: see $res/console.$boots.log"
	else
		idle=0
	fi
done

# ---- report --------------------------------------------------------------------------
killed=0 survived=0 errors=0
printf '\n%-30s %-14s %5s  %s\n' mutant result secs "how / rule broken"
for n in "${names[@]}"; do
	if [ "${status[$n]:-}" = "killed (unit)" ]; then
		killed=$((killed + 1))
		printf '%-30s %-14s %5s  %s\n' "$n" killed - "${how[$n]}"
		continue
	fi
	if [ -n "${status[$n]+x}" ]; then
		printf '%-30s %-14s %5s  %s\n' "$n" "${status[$n]}" - "${how[$n]}"
		errors=$((errors + 1))
		continue
	fi
	read -r _ v s h <<<"$(result_of "$n")"
	case $v in
	killed) killed=$((killed + 1)); printf '%-30s %-14s %5s  %s\n' "$n" killed "$s" "$h" ;;
	survived) survived=$((survived + 1))
		printf '%-30s %-14s %5s  %s\n' "$n" SURVIVED "$s" "${mrule[$n]}" ;;
	*) errors=$((errors + 1)); printf '%-30s %-14s %5s\n' "$n" "no result" - ;;
	esac
done
judged=$((killed + survived))
echo
echo "control: $(result_of control | cut -d' ' -f3)s; $boots VM boot(s); $(($(date +%s) - t0))s in all"
if [ "$judged" -gt 0 ]; then
	echo "score: $killed of $judged mutants killed ($((killed * 1000 / judged / 10)).$((killed * 1000 / judged % 10))%), $survived survived, $errors not applied/built/run"
else
	echo "score: no mutant judged, $errors not applied/built/run"
fi
[ "$survived" = 0 ] && [ "$errors" = 0 ]
