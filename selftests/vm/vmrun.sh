#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a test kernel in qemu and run one command in it:
#
#   vmrun.sh --kernel NAME [--module PATH.ko] --results DIR [--timeout SECS] [--quiet] -- CMD [ARGS...]
#
# The guest chroots into the host's root (shared read-only over 9p), so it sees the repo
# and every host tool at the same paths; DIR is mounted writable at the same path. There
# guest.sh loads veth, sch_netem, sch_prio and cls_u32, insmods PATH.ko, exports TTP_KO and RESULTS, runs CMD
# in the current directory and saves its exit status (125: a module did not load) to
# DIR/status and dmesg to DIR/dmesg.txt. The console goes to stdout (not with --quiet) and to DIR/console.log.
#
# Exit: 0 CMD passed with a clean dmesg; 1 CMD failed; 2 dmesg shows a kernel problem;
# 3 no result (boot failure, guest killed after SECS); 4 kernel skipped (KSKIP).
# Environment: TTP_VM_SMP (default 2), TTP_VM_MEM (MB, default 1024), TTP_VM_APPEND;
# TTP_SHUFFLE and the fuzzers' seed and doses (FUZZ_SEED, FUZZ_PACKETS, FUZZ_CALLS,
# FLOOD_SYNS, CYCLES), TTP_PROG_TIMEOUT and NETEM_DEFAULT_BACKOFF are handed to CMD
# in the guest (the only variables of the host's that are).
# The kernel boots with slab_nomerge: TTP's slab cache stays its own, so that
# /proc/slabinfo shows what is left in it (unload.sh checks).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { sed -n '3,5p' "$0" | sed 's/^# *//' >&2; exit 3; }

kname=6.12 ko='' results='' timeout=600 quiet=''
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kname=$2; shift 2 ;;
	--module) ko=$(realpath -e "$2"); shift 2 ;;
	--results) results=$(realpath -m "$2"); shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
if [ $# = 0 ] || [ -z "$results" ]; then usage; fi

load_kernel "$kname" || exit 3
if [ -n "${KSKIP:-}" ]; then
	log "kernel $kname skipped: $KSKIP"
	exit 4
fi

# The initramfs: static busybox, /init below, and the modules 9p needs (uncompressed,
# dependencies first). Cached per kernel release and version of this script.
initramfs() {
	local key out tmp m f
	key=$(cat "$0" "$VMDIR/lib.sh" /bin/busybox <(echo "$KREL $KMODROOT") | sha256sum | cut -c1-12)
	out=$TTP_CACHE/initramfs/$KREL-$key.cpio.gz
	if [ ! -s "$out" ]; then
		tmp=$(mktemp -d)
		mkdir -p "$tmp"/{bin,dev,proc,sys,mnt,host,results,modules}
		cp /bin/busybox "$tmp/bin/"
		init_script >"$tmp/init"
		chmod +x "$tmp/init"
		declare -A seen=()
		if [ -n "$KMODROOT" ]; then
			for m in virtio_pci 9pnet_virtio 9p; do add_module "$m"; done
		fi
		mkdir -p "${out%/*}"
		# older versions of this script's; another VM may be making this one too
		for f in "$TTP_CACHE/initramfs/$KREL"-*.cpio.gz; do
			[ "$f" = "$out" ] || rm -f "$f"
		done
		(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.$$"
		mv "$out.$$" "$out"
		rm -rf "$tmp"
	fi
	echo "$out"
}

# Copy module $1 and (first) its dependencies into the initramfs; skip built-in ones.
add_module() {
	local f dep
	[ -z "${seen[$1]:-}" ] || return 0
	seen[$1]=1
	f=$(modinfo -b "$KMODROOT" -k "$KREL" -F filename "$1" 2>/dev/null) || return 0
	[ -f "$f" ] || return 0
	for dep in $(modinfo -b "$KMODROOT" -k "$KREL" -F depends "$1" | tr , ' '); do
		add_module "$dep"
	done
	case $f in
	*.xz) xz -dc "$f" ;;
	*.zst) zstd -dcq "$f" ;;
	*.gz) gzip -dc "$f" ;;
	*) cat "$f" ;;
	esac >"$tmp/modules/$1.ko"
	echo "$1" >>"$tmp/modules/order"
}

init_script() {
	cat <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order 2>/dev/null); do insmod "/modules/$m.ko" || echo "vm: insmod $m failed"; done
o=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o "$o,ro,cache=loose" host /mnt && mount -t 9p -o "$o" results /results &&
	set -a && . /results/.vm/env && set +a || echo "vm: cannot mount the host's 9p shares"
m=/mnt
mount --bind /mnt /host	# the host's /tmp and /run, for VM_BINDS below
mount -t proc proc $m/proc
mount -t sysfs sys $m/sys
mount -t devtmpfs dev $m/dev
mkdir -p $m/dev/pts $m/dev/shm
mount -t devpts devpts $m/dev/pts
mount -t tmpfs shm $m/dev/shm
mount -t tmpfs tmp $m/tmp
mount -t tmpfs run $m/run
for d in $VM_BINDS; do mkdir -p "$m$d" && mount --bind "/host$d" "$m$d"; done
mkdir -p "$m$VM_RESULTS" && mount --move /results "$m$VM_RESULTS"
chroot $m /bin/bash "$VM_VMDIR/guest.sh"
sync
# The debug kernel has no ACPI to power off with; reboot (qemu runs with -no-reboot).
if [ -d /sys/firmware/acpi ]; then poweroff -f; else reboot -f; fi
EOF
}

# The guest reads its job from DIR/.vm: env (sourced by /init) and cmd (run by guest.sh).
mkdir -p "$results/.vm"
rm -f "$results"/{status,dmesg.txt,dmesg.bad,kmemleak.txt,console.log}
binds=
for d in "$VMDIR" "$PWD" ${ko:+"${ko%/*}"} ${KMODROOT:+"$KMODROOT"}; do
	case $d in /tmp/* | /run/*) binds+=" $d" ;; esac
done
# Let the command stop itself (status 124) well before the guest is killed.
ctimeout=$((timeout > 180 ? timeout - 60 : timeout * 2 / 3))
printf '%s=%q\n' VM_RESULTS "$results" VM_VMDIR "$VMDIR" VM_CWD "$PWD" VM_KO "$ko" \
	VM_KMODROOT "$KMODROOT" VM_TIMEOUT "$ctimeout" VM_BINDS "$binds" >"$results/.vm/env"
for v in TTP_SHUFFLE FUZZ_SEED FUZZ_PACKETS FUZZ_CALLS FLOOD_SYNS CYCLES TTP_PROG_TIMEOUT \
	NETEM_DEFAULT_BACKOFF; do
	[ -z "${!v:-}" ] || printf '%s=%q\n' "$v" "${!v}" >>"$results/.vm/env"
done
printf 'exec' >"$results/.vm/cmd"
printf ' %q' "$@" >>"$results/.vm/cmd"
echo >>"$results/.vm/cmd"

initrd=$(initramfs)
log "booting $KREL${ko:+ with ${ko##*/}} (timeout ${timeout}s)"
start=$(date +%s)
qemu() {
	timeout --foreground -k 5 "$timeout" qemu-system-x86_64 -nodefaults -no-user-config \
		-display none -serial stdio -no-reboot -accel tcg,thread=single \
		-smp "${TTP_VM_SMP:-2}" -m "${TTP_VM_MEM:-1024}" \
		-kernel "$KIMAGE" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 loglevel=4 slab_nomerge ${TTP_VM_APPEND:-}" \
		-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=${results//,/,,},mount_tag=results,security_model=none,multidevs=remap" \
		</dev/null 2>&1 | sed -u -e 's/\r$//' -e '/] reboot: \(Power down\|Restarting system\)$/d'
}
rc=0
if [ -n "$quiet" ]; then
	qemu >"$results/console.log" || rc=$?
else
	qemu | tee "$results/console.log" || rc=$?
fi
secs=$(($(date +%s) - start))

# Without a result, show the first kernel problems on the console, or else its end.
no_result() {
	log "FAIL: $KREL: $*. Console:"
	dmesg_bad "$results/console.log" >&2 || tail -n 30 "$results/console.log" >&2
	exit 3
}
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	no_result "guest still running after ${timeout}s, killed (TIMEOUT)"
fi
[ -f "$results/status" ] || no_result "guest gave no exit status (${secs}s)"
status=$(cat "$results/status")
if [ ! -s "$results/dmesg.txt" ]; then
	log "FAIL: $KREL guest saved no dmesg"
	exit 2
fi
if dmesg_bad "$results/dmesg.txt" >"$results/dmesg.bad"; then
	log "FAIL: $KREL guest dmesg shows kernel problems (status $status, ${secs}s):"
	cat "$results/dmesg.bad" >&2
	exit 2
fi
rm -f "$results/dmesg.bad"
if [[ $KREL == *-ttp-debug ]] && [ ! -f "$results/kmemleak.txt" ]; then
	log "FAIL: $KREL: kmemleak did not scan (no kmemleak.txt): no leak check"
	exit 2
fi
case $status in
0) log "$KREL: command passed (${secs}s)"; exit 0 ;;
125)
	log "FAIL: $KREL: a module did not load in the guest, command not run (${secs}s):"
	grep -E 'insmod|modprobe' "$results/console.log" >&2 || true
	;;
124) log "FAIL: $KREL: command timed out in the guest after ${ctimeout}s (${secs}s)" ;;
*) log "FAIL: $KREL: command exited with status $status (${secs}s)" ;;
esac
exit 1
