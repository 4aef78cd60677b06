#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh [NAME]: what `make run` shows. Installs what is missing, builds ttp.ko,
# ttpcat and ttpstat, boots Debian's kernel NAME (default 6.12) in qemu and sends a
# TTP datagram from one network namespace to another, then a 2 MB file over a TTP
# stream across a link that loses (2%), delays and reorders TTP packets both ways:
# the SHA-256 of both ends must match and RetransSegs must show the retransmissions;
# last, curl fetches a page from python3 -m http.server, both unchanged, under ttp-run.
# The part inside the VM is `demo.sh --in-vm`; it exits non-zero if anything failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

say() { printf '\n=== %s\n' "$*"; }
run() { echo "\$ $*"; "$@"; }

in_vm() {
	dgram_demo
	stream_demo
	unmodified_demo
	say "Done: a datagram, a 2 MB stream and a web page crossed between the namespaces over TTP."
}

dgram_demo() {
	local cat=$REPO/build/userspace/ttpcat got=$RESULTS/received i
	say "ttp.ko is loaded: a new socket family (AF_TTP = $(cat /sys/module/ttp/parameters/family))" \
		"carried in IP packets as protocol $(cat /sys/module/ttp/parameters/protocol)."
	say "Two network namespaces, a and b, joined by a virtual Ethernet cable (veth):"
	run ip netns add a
	run ip netns add b
	run ip link add veth-a netns a type veth peer name veth-b netns b
	run ip -n a addr add 10.0.0.1/24 dev veth-a
	run ip -n b addr add 10.0.0.2/24 dev veth-b
	run ip -n a link set veth-a up
	run ip -n b link set veth-b up

	say "In namespace a, ttpcat listens for TTP datagrams on port 9000 (in the background):"
	echo "\$ ip netns exec a $cat -l -u -v 9000 &"
	ip netns exec a "$cat" -l -u -v 9000 >"$got" </dev/null &
	for i in $(seq 50); do	# wait until the socket is bound: port 9000 is 2328 in hex
		ip netns exec a grep -q ':2328 ' /proc/net/ttp && break
		sleep 0.1
	done
	say "Namespace a's TTP sockets (/proc/net/ttp, like /proc/net/udp; 2328 is port 9000 in hex):"
	run ip netns exec a cat /proc/net/ttp

	say "From namespace b, ttpcat sends one line to 10.0.0.1 port 9000:"
	echo "\$ echo 'Hello from namespace b!' | ip netns exec b $cat -u 10.0.0.1 9000"
	echo 'Hello from namespace b!' | ip netns exec b timeout 10 "$cat" -u 10.0.0.1 9000
	for i in $(seq 50); do [ -s "$got" ] && break; sleep 0.1; done
	say "What the listener in namespace a received:"
	cat "$got"

	for i in a b; do
		say "Namespace $i: its TTP sockets and counters (/proc/net/ttp, /proc/net/ttp_snmp):"
		run ip netns exec "$i" cat /proc/net/ttp
		run ip netns exec "$i" cat /proc/net/ttp_snmp
	done
	kill %1 2>/dev/null || true
	wait
	if [ -s "$got" ]; then
		say "The datagram crossed from namespace b to namespace a over TTP."
	else
		say "FAILED: nothing arrived."
		exit 1
	fi
}

# stream_counters NS: the stream's counters of namespace NS (ttpstat -s reads
# /proc/net/ttp_snmp), on one line
stream_counters() {
	ip netns exec "$1" "$REPO/build/userspace/ttpstat" -s |
		grep -E '^(ActiveOpens|PassiveOpens|InSegs|OutSegs|RetransSegs|OfoQueue|InRsts|OutRsts) ' |
		paste -sd ' '
}

# retrans NS: RetransSegs of namespace NS
retrans() {
	ip netns exec "$1" "$REPO/build/userspace/ttpstat" -s | sed -n 's/^RetransSegs //p'
}

stream_demo() {
	local cat=$REPO/build/userspace/ttpcat stat=$REPO/build/userspace/ttpstat
	local sent=$RESULTS/stream.sent got=$RESULTS/stream.received srv cli i rc n
	local impair=(loss 2% delay 10ms reorder 25% 50%)

	say "Now a TTP stream (SOCK_STREAM: reliable and ordered, like TCP) over a bad link." \
		"On both ends of the cable, TTP's packets only: ${impair[*]}" \
		"(netem: 2% lost; 10 ms late; a quarter sent at once, overtaking earlier ones):"
	echo "\$ ttp_netem a veth-a ${impair[*]}    # tc prio + u32 filter + netem"
	# (in a condition: set -e must not stop at its "delete what may not exist")
	ttp_netem a veth-a "${impair[@]}" || { say "FAILED: netem on veth-a"; exit 1; }
	echo "\$ ttp_netem b veth-b ${impair[*]}"
	ttp_netem b veth-b "${impair[@]}" || { say "FAILED: netem on veth-b"; exit 1; }
	run tc -n b qdisc show dev veth-b

	head -c 2097152 /dev/urandom >"$sent"
	say "In namespace a, ttpcat listens on TTP stream port 9001 and writes what arrives to a file:"
	echo "\$ ip netns exec a $cat -l 9001 > stream.received &"
	ip netns exec a "$cat" -l 9001 </dev/null >"$got" &
	srv=$!
	for i in $(seq 50); do	# until the listener is there
		ip netns exec a "$stat" -l -t -H | grep -q ':9001 ' && break
		sleep 0.1
	done
	run ip netns exec a "$stat" -l

	say "From namespace b, ttpcat sends 2 MB of random data (2097152 bytes) to 10.0.0.1 port 9001:"
	echo "\$ ip netns exec b $cat 10.0.0.1 9001 < stream.sent"
	ip netns exec b timeout 200 "$cat" 10.0.0.1 9001 <"$sent" &
	cli=$!
	# halfway through, the connection as ttpstat -i shows it
	for i in $(seq 600); do
		n=$(ip netns exec b "$stat" -t -i -H | sed -n 's/.*bytes_acked:\([0-9]*\).*/\1/p') || n=0
		if [ "${n:-0}" -ge 1000000 ] || ! kill -0 "$cli" 2>/dev/null; then break; fi
		sleep 0.1
	done
	say "Halfway: the connection seen from each namespace (ttpstat -i: its TTP_INFO figures)." \
		"The listener's stdin is empty, so it sent its FIN at once (FIN-WAIT-2 in a," \
		"CLOSE-WAIT in b) while b's bytes still flow; rtt/rto in ms, the rest in bytes:"
	run ip netns exec b "$stat" -t -i
	run ip netns exec a "$stat" -t -i
	rc=0
	wait "$cli" || rc=$?
	if [ "$rc" != 0 ]; then
		say "FAILED: the sending ttpcat exited with status $rc"
		exit 1
	fi
	wait "$srv" || rc=$?
	if [ "$rc" != 0 ]; then
		say "FAILED: the listening ttpcat exited with status $rc"
		exit 1
	fi

	say "What was sent (namespace b) and what arrived (namespace a), byte for byte:"
	(cd "$RESULTS" && run sha256sum stream.sent stream.received)
	say "TTP's stream counters in each namespace (ttpstat -s, from /proc/net/ttp_snmp):"
	for i in b a; do
		echo "$i: $(stream_counters "$i")"
	done
	echo "netem on veth-b: $(ttp_netem_stats b veth-b | awk '{ print $1 " packets, " $2 " dropped" }')"
	echo "netem on veth-a: $(ttp_netem_stats a veth-a | awk '{ print $1 " packets, " $2 " dropped" }')"
	if ! cmp -s "$sent" "$got"; then
		say "FAILED: the file that arrived differs from the one sent."
		exit 1
	fi
	n=$(($(retrans a) + $(retrans b)))
	if [ "$n" = 0 ]; then
		say "FAILED: no segment was retransmitted, so the lossy link was not in the way."
		exit 1
	fi
	say "The 2 MB arrived intact (same SHA-256) although packets were lost and reordered:" \
		"$n segments were sent again (RetransSegs)."
}

# tcp_opens NS: "ActiveOpens PassiveOpens" of NS's TCP (/proc/net/snmp)
tcp_opens() {
	ip netns exec "$1" awk '/^Tcp:/ { if (n++) print $6, $7 }' /proc/net/snmp
}

unmodified_demo() {
	local run=$REPO/build/userspace/ttp-run www=$RESULTS/www srv i rc
	local tcp_a tcp_b

	tc -n a qdisc del dev veth-a root
	tc -n b qdisc del dev veth-b root
	mkdir -p "$www"
	echo "Hello over TTP: python3 -m http.server, served to curl, neither changed." \
		>"$www/hello.txt"
	tcp_a=$(tcp_opens a) tcp_b=$(tcp_opens b)
	say "Programs nobody changed, over TTP: ttp-run preloads a library that makes their" \
		"AF_INET TCP sockets TTP streams. In namespace a, Python's web server:"
	echo "\$ ip netns exec a ttp-run -v python3 -m http.server --bind 10.0.0.1 8080 &"
	ip netns exec a "$run" -v python3 -m http.server --bind 10.0.0.1 \
		--directory "$www" 8080 >"$RESULTS/http.log" 2>&1 &
	srv=$!
	for i in $(seq 100); do
		ip netns exec a grep -q ':1F90 ' /proc/net/ttp && break
		sleep 0.1
	done
	say "From namespace b, curl fetches a page from it:"
	echo "\$ ip netns exec b ttp-run curl -sS http://10.0.0.1:8080/hello.txt"
	rc=0
	ip netns exec b timeout 60 "$run" curl -sS http://10.0.0.1:8080/hello.txt || rc=$?
	kill "$srv" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
	say "The server's log (ttp-run -v names the socket it made TTP):"
	cat "$RESULTS/http.log"
	echo "TCP ActiveOpens PassiveOpens before/after: a $tcp_a / $(tcp_opens a)," \
		"b $tcp_b / $(tcp_opens b) (unchanged: it was not TCP)"
	if [ "$rc" != 0 ] || [ "$tcp_a $tcp_b" != "$(tcp_opens a) $(tcp_opens b)" ]; then
		say "FAILED: curl's status $rc, or TCP carried the page"
		exit 1
	fi
}

if [ "${1:-}" = --in-vm ]; then
	# ttp_netem (tc netem on TTP's packets only) and ttp_netem_stats
	# shellcheck source=/dev/null
	. "$REPO/selftests/ttp_lib.sh"
	in_vm
	exit
fi

name=${1:-6.12}
cd "$REPO"
say "Installing what is missing (Debian packages; needs root the first time)"
bash "$VMDIR/deps.sh"
load_kernel "$name"
[ -z "${KSKIP:-}" ] || die "kernel $name is not available: $KSKIP"
say "Building ttp.ko for Linux $KREL and the tools (ttpcat, ttpstat)"
ko=$(bash "$VMDIR/build-module.sh" "$name" | tail -n1)
make -s userspace
say "Booting Linux $KREL in qemu (software emulation, ~10 s), then loading ttp.ko"
bash "$VMDIR/vmrun.sh" --kernel "$name" --module "$ko" --results "$REPO/build/demo" \
	--timeout 300 -- "$VMDIR/demo.sh" --in-vm
