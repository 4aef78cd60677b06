#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh (make bench): TTP side by side with Linux TCP, UDP and AF_UNIX, measured
# by ttpperf in one VM run (Debian's kernel KVER, default 6.12), two namespaces on a
# veth, client pinned to CPU 0 and server to CPU 1:
#   - bulk goodput, 1-byte rr latency, crr time, datagrams received per second at 64
#     and 1,400 bytes: BENCH_ROUNDS (5) interleaved rounds of BENCH_SECS (3) s each,
#     the median and the spread, with veth offloads off (like for like) and at the
#     veth's defaults (TCP gets GSO); AF_UNIX (the local copy limit) in the server's
#     namespace;
#   - bulk goodput under netem loss 0, 0.5, 1, 2 and 5 % (offloads off): TTP with
#     CUBIC (its default) and with NewReno, TCP with its default, a PNG plot;
#   - kernel memory (Slab in /proc/meminfo) per idle connection, 1,000 open;
#   - bulk goodput with 10,000 idle connections open and with none.
# It reports, it does not assert. Results: build/bench/ (every run's JSON line),
# docs/bench/results.json, docs/bench/loss.png, and the table between README.md's
# "bench" markers. `bench.sh --in-vm` is the part that runs in the VM; `bench.sh
# --report` renders the last run's figures again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PERF=$REPO/build/userspace/ttpperf
ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECS:-3}
IP_B=10.0.1.2

# ---- in the VM ----

# veth PAIR: namespaces A and B joined by a new veth va/vb (the defaults)
veth() {
	ip -n A link del va 2>/dev/null || true
	ip link add va netns A type veth peer name vb netns B
	ip -n A addr add 10.0.1.1/24 dev va
	ip -n B addr add $IP_B/24 dev vb
	ip -n A link set va up
	ip -n B link set vb up
}

# offloads_off: every offload of both ends that can be turned off
offloads_off() {
	local ns dev f
	for ns in A:va B:vb; do
		dev=${ns#*:}
		for f in tx rx sg tso gso gro; do
			ip netns exec "${ns%:*}" ethtool -K "$dev" "$f" off >/dev/null 2>&1 || true
		done
	done
}

# record TAG NS ARGS...: one ttpperf run; its JSON line, tagged, to raw.jsonl (a failed
# run is recorded as one, with its message)
record() {
	local tag=$1 ns=$2 line err rc
	shift 2
	if line=$(ip netns exec "$ns" timeout $((SECS * 10 + 60)) "$PERF" -q -J -A 0 "$@" \
		  2>"$RESULTS/err"); then
		echo "{\"tag\":\"$tag\",${line#\{}" >>"$RESULTS/raw.jsonl"
	else
		rc=$?
		err=$(head -n1 "$RESULTS/err" | sed 's/["\\]//g')
		echo "{\"tag\":\"$tag\",\"error\":\"${err:-exit status $rc}\"}" >>"$RESULTS/raw.jsonl"
		echo "bench: $tag failed: $err" >&2
	fi
}

# one_round SETTING: each test once, for TTP and its peer (and AF_UNIX for "off")
one_round() {
	local s=$1 t name opts peer
	for t in "bulk:" "rr:-m rr" "crr:-m crr" "dg64:-m dgram -S 64" "dg1400:-m dgram -S 1400"; do
		name=${t%%:*} opts=${t#*:} peer=tcp
		[[ $name == dg* ]] && peer=udp
		# shellcheck disable=SC2086 # the test's options, one per word
		record "$s/$name/ttp" A -c $IP_B -l "$SECS" $opts
		# shellcheck disable=SC2086
		record "$s/$name/ref" A -c $IP_B -l "$SECS" -f $peer $opts
		# shellcheck disable=SC2086
		[ "$s" != off ] || record "$s/$name/unix" B -c - -l "$SECS" -f unix $opts
	done
}

# lossy PERCENT: netem loss on A's TCP and TTP packets (not ARP), or none for 0
lossy() {
	tc -n A qdisc del dev va root 2>/dev/null || true
	[ "$1" = 0 ] && return
	tc -n A qdisc add dev va root handle 1: prio bands 2 priomap 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
	tc -n A qdisc add dev va parent 1:1 handle 10: netem loss "$1%"
	tc -n A filter add dev va parent 1: protocol ip u32 match ip protocol 6 0xff flowid 1:1
	tc -n A filter add dev va parent 1: protocol ip u32 match ip protocol 253 0xff flowid 1:1
}

slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }

# idle_open FAMILY N: N idle connections from A, held until idle_close; waits until
# they are open
idle_open() {
	rm -f "$RESULTS/idle"	# not the last one's line
	ip netns exec A "$PERF" -c $IP_B -f "$1" -m idle -n "$2" -l 3600 -J >"$RESULTS/idle" &
	IDLE=$!
	while ! [ -s "$RESULTS/idle" ]; do
		kill -0 "$IDLE" 2>/dev/null || return 1
		sleep 0.2
	done
}

idle_close() {
	kill "$IDLE" 2>/dev/null || true
	wait "$IDLE" || true
}

# Slab growth with 1,000 idle connections (both ends: this kernel holds both)
memory() {
	local f m0 m1
	for _ in 1 2 3; do
		for f in ttp tcp; do
			echo 2 >/proc/sys/vm/drop_caches
			sleep 1
			m0=$(slab_kb)
			idle_open "$f" 1000 || { echo "bench: $f idle connections failed" >&2; continue; }
			sleep 1
			m1=$(slab_kb)
			idle_close
			echo "{\"tag\":\"mem/$f\",\"connections\":1000,\"slab_kb\":$((m1 - m0)),\"bytes_per_conn\":$(((m1 - m0) * 1024 / 1000))}" \
				>>"$RESULTS/raw.jsonl"
			sleep 2
		done
	done
}

# bulk goodput with 10,000 idle connections of the same family open, and with none
many_idle() {
	local f
	for f in ttp tcp; do
		for _ in 1 2 3; do
			record "idle0/$f" A -c $IP_B -l "$SECS" -f "$f"
		done
		idle_open "$f" 10000 || { echo "bench: $f: 10,000 idle connections failed" >&2; continue; }
		for _ in 1 2 3; do
			record "idle10k/$f" A -c $IP_B -l "$SECS" -f "$f"
		done
		idle_close
	done
}

in_vm() {
	local l srv
	ulimit -n 65536		# the idle connections' descriptors (hard limit too)
	: >"$RESULTS/raw.jsonl"
	ip netns add A
	ip netns add B
	ip -n A link set lo up
	ip -n B link set lo up
	veth
	ip netns exec B "$PERF" -s -q -A 1 &
	srv=$!
	sleep 1
	echo "bench: offloads off, $ROUNDS rounds of $SECS s" >&2
	offloads_off
	for _ in $(seq "$ROUNDS"); do one_round off; done
	echo "bench: netem loss" >&2
	for _ in 1 2 3; do
		for l in 0 0.5 1 2 5; do
			lossy "$l"
			record "loss$l/ttp" A -c $IP_B -l "$SECS"
			record "loss$l/ttp-newreno" A -c $IP_B -l "$SECS" -C newreno
			record "loss$l/tcp" A -c $IP_B -l "$SECS" -f tcp
		done
	done
	lossy 0
	echo "bench: veth defaults, $ROUNDS rounds" >&2
	veth
	for _ in $(seq "$ROUNDS"); do one_round on; done
	echo "bench: memory per idle connection, 10,000 idle connections" >&2
	memory
	many_idle
	kill "$srv"
	uname -r >"$RESULTS/kernel"
}

if [ "${1:-}" = --in-vm ]; then
	in_vm
	exit
fi

# ---- on the host ----

# aggregate RAW: per tag, the median, min and max of its figure (bulk: mbps; rr:
# mean_us; crr: us per transaction; dgram: recv_pps; mem: bytes_per_conn), as
# "TAG MEDIAN MIN MAX N" lines
aggregate() {
	awk '
	function num(key,   m) {
		if (!match($0, "\"" key "\":[-0-9.]+"))
			return ""
		m = substr($0, RSTART, RLENGTH)
		sub(/.*:/, "", m)
		return m + 0
	}
	/"error"/ { next }
	{
		match($0, /"tag":"[^"]*"/)
		tag = substr($0, RSTART + 7, RLENGTH - 8)
		if ((v = num("bytes_per_conn")) != "") ;
		else if ((v = num("mbps")) != "") ;
		else if ($0 ~ /"test":"rr"/) v = num("mean_us")
		else if ($0 ~ /"test":"crr"/) v = 1e6 / num("tps")
		else v = num("recv_pps")
		n[tag]++
		val[tag, n[tag]] = v
	}
	END {
		for (t in n) {
			for (i = 2; i <= n[t]; i++)	# insertion sort
				for (j = i; j > 1 && val[t, j - 1] > val[t, j]; j--) {
					x = val[t, j]; val[t, j] = val[t, j - 1]; val[t, j - 1] = x
				}
			k = n[t]
			med = k % 2 ? val[t, (k + 1) / 2] : (val[t, k / 2] + val[t, k / 2 + 1]) / 2
			printf "%s %.6g %.6g %.6g %d\n", t, med, val[t, 1], val[t, k], k
		}
	}' "$1" | sort
}

# field AGG TAG COLUMN: a column (2 median, 3 min, 4 max) of TAG, "" if absent
field() { awk -v t="$2" -v c="$3" '$1 == t { print $c }' "$1"; }

# cell AGG TAG: "median (±spread %)"; "failed" when every run of TAG failed
cell() {
	grep -q "^$2 " "$1" || { ! grep -q "\"tag\":\"$2\",\"error\"" "$RES/raw.jsonl" || echo failed; }
	awk -v t="$2" '$1 == t {
		s = $2 ? 50 * ($4 - $3) / $2 : 0
		v = $2 >= 100 ? sprintf("%.0f", $2) : sprintf("%.1f", $2)
		printf "%s (±%.0f %%)", v, s
	}' "$1"
}

# ratio AGG TAG_A TAG_B: median A / median B
ratio() {
	awk -v a="$(field "$1" "$2" 2)" -v b="$(field "$1" "$3" 2)" \
		'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f×", a / b }'
}

# table AGG: the README's table (markdown)
table() {
	local agg=$1 s t name target
	echo "| test | offloads | TTP | TCP / UDP | AF_UNIX | TTP / TCP·UDP | TTP / AF_UNIX | target |"
	echo "|---|---|---|---|---|---|---|---|"
	for t in "bulk:bulk goodput, Mbit/s:≥ 1.0×" "rr:1-byte rr latency, µs:≤ 0.8×" \
		 "crr:crr time per transaction, µs:≤ 0.7×" "dg64:64 B datagrams received/s:≥ 1.1×" \
		 "dg1400:1,400 B datagrams received/s:≥ 1.1×"; do
		name=${t#*:}
		target=${name#*:}
		name=${name%:*}
		for s in off on; do
			echo "| $name | $([ $s = off ] && echo off || echo "veth defaults") |" \
			     "$(cell "$agg" "$s/${t%%:*}/ttp") | $(cell "$agg" "$s/${t%%:*}/ref") |" \
			     "$(cell "$agg" "off/${t%%:*}/unix") |" \
			     "$(ratio "$agg" "$s/${t%%:*}/ttp" "$s/${t%%:*}/ref") |" \
			     "$(ratio "$agg" "$s/${t%%:*}/ttp" "off/${t%%:*}/unix") | $target |"
		done
	done
	echo
	echo "| other | TTP | TCP | TTP / TCP | target |"
	echo "|---|---|---|---|---|"
	echo "| kernel memory per idle connection (both ends), bytes | $(cell "$agg" mem/ttp) |" \
	     "$(cell "$agg" mem/tcp) | $(ratio "$agg" mem/ttp mem/tcp) | ≤ 0.5× |"
	echo "| bulk goodput with 10,000 idle connections / with none |" \
	     "$(ratio "$agg" idle10k/ttp idle0/ttp) | $(ratio "$agg" idle10k/tcp idle0/tcp) | | ≥ 0.9× |"
	echo "| bulk goodput under 1 % loss, Mbit/s (offloads off) | $(cell "$agg" loss1/ttp) |" \
	     "$(cell "$agg" loss1/tcp) | $(ratio "$agg" loss1/ttp loss1/tcp) | ≥ 1.0× |"
	if grep -q '"error"' "$RES/raw.jsonl"; then
		echo
		echo "Runs that failed (their figures are left out):"
		echo
		# shellcheck disable=SC2016 # the backquotes are markdown
		sed -n 's/^{"tag":"\([^"]*\)","error":"\(.*\)"}$/- `\1`: \2/p' "$RES/raw.jsonl" | sort | uniq -c |
			sed 's/^ *\([0-9]*\) \(.*\)/\2 (×\1)/'
	fi
}

# json AGG KERNEL: docs/bench/results.json
json() {
	awk -v k="$2" -v d="$(date -u +%Y-%m-%d)" -v r="$ROUNDS" -v s="$SECS" '
	BEGIN { printf "{\"date\":\"%s\",\"kernel\":\"%s\",\"rounds\":%d,\"seconds\":%d,\"figures\":{", d, k, r, s }
	{ printf "%s\n\"%s\":{\"median\":%s,\"min\":%s,\"max\":%s,\"runs\":%d}", (NR > 1 ? "," : ""), $1, $2, $3, $4, $5 }
	END { print "}}" }' "$1"
}

# plot AGG PNG: goodput versus loss
plot() {
	local l
	for l in 0 0.5 1 2 5; do
		echo "$l $(field "$1" "loss$l/ttp" 2) $(field "$1" "loss$l/tcp" 2)" \
		     "$(field "$1" "loss$l/ttp-newreno" 2)"
	done >"$RES/loss.dat"
	gnuplot <<-EOF
		set terminal png size 800,480
		set output "$2"
		set title "Bulk goodput under netem loss (veth offloads off, median of 3)"
		set xlabel "loss on the data path, %"
		set ylabel "Mbit/s"
		set key top right
		set grid
		set yrange [0:*]
		plot "$RES/loss.dat" using 1:2 with linespoints title "TTP (cubic)", \
		     "$RES/loss.dat" using 1:4 with linespoints title "TTP (newreno)", \
		     "$RES/loss.dat" using 1:3 with linespoints title "TCP (cubic)"
	EOF
}

# readme TABLE_FILE KERNEL: the table between README.md's bench markers
readme() {
	awk -v f="$1" -v k="$2" -v d="$(date -u +%Y-%m-%d)" '
	/<!-- bench:begin -->/ {
		print
		print ""
		printf "`make bench` on %s, kernel %s, %s rounds of %s s (median, ±half the spread):\n\n", d, k, ENVIRON["ROUNDS"], ENVIRON["SECS"]
		while ((getline l < f) > 0) print l
		print ""
		print "![bulk goodput under loss](docs/bench/loss.png)"
		print ""
		skip = 1
		next
	}
	/<!-- bench:end -->/ { skip = 0 }
	!skip' "$REPO/README.md" >"$RES/README.md"
	grep -q '<!-- bench:end -->' "$RES/README.md" && cp "$RES/README.md" "$REPO/README.md"
}

# report: the figures of build/bench/raw.jsonl to docs/bench/ and README.md
report() {
	local krel
	aggregate "$RES/raw.jsonl" >"$RES/agg"
	krel=$(cat "$RES/kernel")
	table "$RES/agg" >"$RES/table.md"
	json "$RES/agg" "$krel" >"$REPO/docs/bench/results.json"
	plot "$RES/agg" "$REPO/docs/bench/loss.png"
	export ROUNDS SECS
	readme "$RES/table.md" "$krel"
	cat "$RES/table.md"
}

KVER=${KVER:-6.12}
RES=$REPO/build/bench
t0=$(date +%s)
TTP_DEPS_EXTRA="gnuplot:gnuplot-nox" "$VMDIR/deps.sh"
mkdir -p "$REPO/docs/bench"
if [ "${1:-}" = --report ]; then	# again from the last run's figures
	report
	exit
fi
ko=$(bash "$VMDIR/build-module.sh" "$KVER" | tail -n1)
[ -f "$ko" ] || die "no ttp.ko for $KVER"
make -s -C "$REPO" userspace >/dev/null
rm -rf "$RES"
mkdir -p "$RES"
TTP_VM_MEM=${TTP_VM_MEM:-2048} bash "$VMDIR/vmrun.sh" --kernel "$KVER" --module "$ko" \
	--results "$RES" --timeout 1800 --quiet -- "$VMDIR/bench.sh" --in-vm ||
	die "the VM run failed: see $RES/console.log"
report
log "done in $(($(date +%s) - t0)) s: docs/bench/results.json, docs/bench/loss.png, README.md"
