#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel-debug.sh - build (once, cached) the TTP debug kernel and print its
# descriptor for selftests/vm/kernel.sh:
#
#   KNAME=debug KREL=<make kernelrelease> KIMAGE=<tree>/arch/x86/boot/bzImage
#   KMODROOT=  (empty: everything the VM needs is built in)
#   KBUILD=<tree>  KMAKE=make
#
# The kernel is a tinyconfig 6.12 from Debian's linux-source-6.12 plus the
# fragment selftests/vm/debug.config (KASAN, lockdep, kmemleak, failslab,
# debugobjects, DEBUG_NET, UBSAN bounds+shift, soft-lockup and hung-task
# detection, virtio/9p/veth/netem/tun built in).  It is built in its own
# copy of the source under $TTP_CACHE/debug/<key>/linux, key = source version +
# sha256 of debug.config, so a later run with the same inputs costs nothing.
# The build log goes to $TTP_CACHE/debug/build.log (kept as <key>/build.log).
#
# The source tree comes from $TTP_CACHE/src/linux-source-6.12 (made by
# selftests/vm/ksrc.sh).  If no source can be had: prints KSKIP="reason" and
# exits 0.  A failing build or a config option that did not stick is an error
# (non-zero exit), never a skip.
#
# Environment: TTP_CACHE (default /var/cache/ttp), TTP_JOBS (default nproc).

set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cache=${TTP_CACHE:-/var/cache/ttp}
frag=$here/debug.config
jobs=${TTP_JOBS:-$(nproc)}

say() { echo "kernel-debug: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
skip() { kernel_skip debug "$*"; }

[ -f "$frag" ] || die "missing $frag"

# --- the kernel source -------------------------------------------------------
src=$cache/src/linux-source-6.12
if [ ! -f "$src/Makefile" ] && [ -x "$here/ksrc.sh" ]; then
	src=$("$here/ksrc.sh" | tail -n 1) || skip "ksrc.sh could not provide linux-source-6.12"
fi
[ -f "$src/Makefile" ] || skip "no linux-source-6.12 tree at $src (run selftests/vm/ksrc.sh)"

for t in gcc make flex bison bc perl gzip; do
	command -v "$t" >/dev/null || die "build tool '$t' missing (apt-get install build-essential flex bison bc)"
done
[ -f /usr/include/libelf.h ] || [ -f /usr/include/gelf.h ] ||
	die "libelf headers missing (apt-get install libelf-dev), needed by objtool"

kver=$(make -s -C "$src" kernelversion 2>/dev/null) || die "cannot read kernel version of $src"
srcver=$kver
pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
case $pkgver in "$kver"-*) srcver=$pkgver ;; esac
sha=$(sha256sum "$frag" | cut -c1-12)
key=${srcver}_${sha}

top=$cache/debug
kdir=$top/$key
tree=$kdir/linux
stamp=$kdir/done
log=$top/build.log

mkdir -p "$top"

describe() {
	local krel
	krel=$(cat "$stamp")
	[ -f "$tree/arch/x86/boot/bzImage" ] || die "cache $kdir is incomplete (no bzImage); remove it"
	echo "KNAME=debug"
	echo "KREL=$krel"
	echo "KIMAGE=$tree/arch/x86/boot/bzImage"
	echo "KMODROOT="
	echo "KBUILD=$tree"
	echo "KMAKE=make"
}

# Serialize concurrent callers for this key; the winner builds, the rest wait.
exec 9>"$kdir.lock"
flock 9

if [ -s "$stamp" ]; then
	say "cached: $kdir"
	describe
	exit 0
fi

# --- build -------------------------------------------------------------------
start=$(date +%s)
say "building debug kernel $key in $tree (log: $log; takes ~16 min on 2 cores)"
mkdir -p "$kdir"
: >"$log"

run() { "$@" >>"$log" 2>&1 || { tail -n 40 "$log" >&2; die "failed: $* (see $log)"; }; }

# An interrupted build resumes: the copy and the config are kept once complete.
if [ ! -f "$kdir/copied" ]; then
	say "copying source $src"
	rm -rf --one-file-system "$tree"
	run cp -a "$src/." "$tree/"
	run make -C "$tree" mrproper
	touch "$kdir/copied"
fi
cd "$tree"
if [ ! -f "$kdir/configured" ]; then
	run make tinyconfig
	run scripts/kconfig/merge_config.sh -m .config "$frag"
	run make olddefconfig
	touch "$kdir/configured"
fi

# Every option the fragment sets must have ended up exactly so.
bad=
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF -- "$line" .config || bad="$bad
  wanted '$line', got '$(grep -E "^(# )?${line%%=*}[= ]" .config || echo unset)'"
		;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }
		sym=${sym%% *}
		! grep -q "^$sym=" .config || bad="$bad
  wanted '$line', got '$(grep "^$sym=" .config)'"
		;;
	esac
done <"$frag"
[ -z "$bad" ] || die "debug.config options did not stick (missing dependency?):$bad"
say "config verified ($(grep -c '^CONFIG_' .config) options)"

run make -j"$jobs" bzImage
say "bzImage built in $(( $(date +%s) - start )) s; building in-tree modules (Module.symvers)"
run make -j"$jobs" modules
krel=$(make -s kernelrelease)
{ [ -f arch/x86/boot/bzImage ] && [ -f Module.symvers ]; } || die "build produced no bzImage/Module.symvers"

cp "$log" "$kdir/build.log"
echo "$krel" >"$stamp"
say "done in $(( $(date +%s) - start )) s: $krel"

# Keep this build and the previous one (2 GB each); drop older keys.
# shellcheck disable=SC2012 # names are version strings
for old in $(ls -td "$top"/*/done 2>/dev/null | tail -n +3); do
	old=${old%/done}
	say "pruning old build ${old##*/}"
	rm -rf --one-file-system "$old" "$old.lock"
done
describe
