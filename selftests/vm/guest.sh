#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test VM, chrooted into the host's root, started by vmrun.sh's /init with
# its job in the environment (VM_* from DIR/.vm/env). Writes DIR/status and DIR/dmesg.txt.
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
export RESULTS=$VM_RESULTS TTP_KO=$VM_KO
hostname ttp-vm
# devtmpfs has no /dev/fd: bash's <(...) and /dev/stdin need them.
for f in fd:fd stdin:fd/0 stdout:fd/1 stderr:fd/2; do
	[ -e "/dev/${f%%:*}" ] || ln -s "/proc/self/${f#*:}" "/dev/${f%%:*}"
done
ip link set lo up
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
kmemleak=/sys/kernel/debug/kmemleak
# forget boot's leaks (debug.config has no automatic scan: the scans at the
# end find what the run leaked)
[ -w "$kmemleak" ] && echo scan >"$kmemleak" && echo clear >"$kmemleak"

status=0
if [ -n "$VM_KMODROOT" ]; then
	mp=(modprobe)
	[ "$VM_KMODROOT" = / ] || mp+=(-d "$VM_KMODROOT")
	for m in veth tun sch_netem sch_prio cls_u32; do "${mp[@]}" "$m" || status=125; done
fi
if [ -n "$VM_KO" ] && ! insmod "$VM_KO"; then
	echo "vm: insmod $VM_KO failed" >&2
	status=125
fi
if [ "$status" = 0 ]; then
	cd "$VM_CWD" && timeout -k 10 "$VM_TIMEOUT" bash "$RESULTS/.vm/cmd" </dev/null
	status=$?
fi
# report objects >5 s old; kmemleak.txt only if both scans ran (a kmemleak
# that disabled itself refuses them): the host fails a debug run without it
if [ -w "$kmemleak" ] && echo scan >"$kmemleak" && sleep 5 &&
   echo scan >"$kmemleak"; then
	cat "$kmemleak" >"$RESULTS/kmemleak.txt"
fi
dmesg >"$RESULTS/dmesg.txt"
echo "$status" >"$RESULTS/status"
