#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh [NAME]: what `make run` shows. Installs what is missing, builds ttp.ko and
# ttpcat, boots Debian's kernel NAME (default 6.12) in qemu and sends a TTP datagram
# from one network namespace to another. The part inside the VM is `demo.sh --in-vm`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

say() { printf '\n=== %s\n' "$*"; }
run() { echo "\$ $*"; "$@"; }

in_vm() {
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
		return 1
	fi
}

if [ "${1:-}" = --in-vm ]; then
	in_vm
	exit
fi

name=${1:-6.12}
cd "$REPO"
say "Installing what is missing (Debian packages; needs root the first time)"
bash "$VMDIR/deps.sh"
load_kernel "$name"
[ -z "${KSKIP:-}" ] || die "kernel $name is not available: $KSKIP"
say "Building ttp.ko for Linux $KREL and the ttpcat tool"
ko=$(bash "$VMDIR/build-module.sh" "$name" | tail -n1)
make -s userspace
say "Booting Linux $KREL in qemu (software emulation, ~10 s), then loading ttp.ko"
bash "$VMDIR/vmrun.sh" --kernel "$name" --module "$ko" --results "$REPO/build/demo" \
	--timeout 300 -- "$VMDIR/demo.sh" --in-vm
