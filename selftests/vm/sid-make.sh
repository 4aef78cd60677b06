#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sid-make.sh - `make` for the sid kernel: runs `make "$@"` inside the sid
# build root made by kernel-sid.sh, so out-of-tree modules are built by the
# compiler (gcc-16 today) and kbuild that built the kernel:
#
#   eval "$(selftests/vm/kernel-sid.sh)"
#   $KMAKE -C $KBUILD M=/work/main/build/$KREL modules
#
# The build root is found from -C /usr/src/linux-headers-<rel> (a path inside
# the root) as $TTP_CACHE/sid/<rel>/root; TTP_SID_ROOT overrides.  In a private
# mount namespace it mounts /proc (objtool needs it) and /dev, bind-mounts at
# their own absolute paths: this repository, the current directory, and every
# M=, O=, src= or KBUILD_EXTMOD= directory given (the whole git work tree
# around it if there is one, so symlinks and relative paths inside it keep
# working), then chroots and runs make in the current directory.  The root itself is read-only in there (its /tmp a
# private tmpfs), so no build can damage the cached headers.  Nothing is
# mounted on the host.  Give M= as an absolute path: kbuild takes a relative
# one relative to -C, i.e. the kernel headers.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${TTP_CACHE:-/var/cache/ttp}

die() { echo "sid-make: $*" >&2; exit 2; }

if [ "${1:-}" = "--sid-make-inner" ]; then
	# Inside the private mount namespace: ROOT then the bind list, '--', make args.
	shift
	root=$1
	shift
	# The cached root itself is read-only in here: a stray `make clean` with a
	# relative M= (taken relative to -C!) must not eat the kernel headers.
	mount --bind "$root" "$root"
	mount -t proc proc "$root/proc"
	mount --bind /dev "$root/dev"
	mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
	binds=()
	while [ "$1" != "--" ]; do
		mkdir -p "$root$1"	# mount point (in the root or its private /tmp)
		binds+=("$1")
		shift
	done
	shift
	mount -o remount,bind,ro "$root"
	for d in "${binds[@]}"; do
		mount --bind "$d" "$root$d"
	done
	cwd=$PWD
	# shellcheck disable=SC2016 # expanded by the inner shell
	exec chroot "$root" /usr/bin/env -u LD_LIBRARY_PATH -u LD_PRELOAD \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/sh -c 'cd "$0" && exec make "$@"' "$cwd" "$@"
fi

# --- which build root? ----------------------------------------------------------
kdir=
prev=
for a in "$@"; do
	case $prev in -C|--directory) kdir=$a ;; esac
	case $a in
	-C?*) kdir=${a#-C} ;;
	--directory=*) kdir=${a#--directory=} ;;
	esac
	prev=$a
done
root=${TTP_SID_ROOT:-}
if [ -z "$root" ]; then
	case $kdir in
	/usr/src/linux-headers-*)
		rel=${kdir#/usr/src/linux-headers-}
		rel=${rel%%/*}
		root=$cache/sid/$rel/root
		;;
	*) die "cannot tell the sid build root: pass -C /usr/src/linux-headers-<rel> or set TTP_SID_ROOT" ;;
	esac
fi
[ -x "$root/usr/bin/make" ] || die "no sid build root at $root (run selftests/vm/kernel-sid.sh)"
[ -z "$kdir" ] || [ -e "$root$kdir" ] || die "$kdir does not exist in the build root $root"

# --- host directories to show inside the root at the same path -------------------
abspath() {	# PATH: absolute and normalized, symlinks kept (need not exist yet)
	case $1 in /*) realpath -ms -- "$1" ;; *) realpath -ms -- "$PWD/$1" ;; esac
}
dirs=()
add() {	# DIR: bind it unless it (or a parent) is already bound or it is the root
	local d=$1 b
	[ -d "$d" ] || return 0
	# never shadow the build root's own system directories
	case $d in
	/|/proc|/proc/*|/dev|/dev/*|/sys|/sys/*|/usr|/usr/*|/etc|/etc/*|/bin|/bin/*|\
	/sbin|/sbin/*|/lib|/lib/*|/lib32*|/lib64*|/libx32*|/boot|/var|/var/lib|/var/lib/*|/run|/tmp)
		return 0 ;;
	esac
	for b in "${dirs[@]}"; do
		case $d/ in "$b"/*) return 0 ;; esac
	done
	# a new parent replaces children already listed
	local keep=()
	for b in "${dirs[@]}"; do
		case $b/ in "$d"/*) ;; *) keep+=("$b") ;; esac
	done
	dirs=("${keep[@]}" "$d")
}
add "$(abspath "$here/../..")"		# this repository
add "$(abspath "$PWD")"
for a in "$@"; do
	case $a in
	M=*|O=*|src=*|KBUILD_EXTMOD=*|MO=*)
		v=${a#*=}
		[ -n "$v" ] || continue
		v=$(abspath "$v")
		# a build dir that does not exist yet: bind its nearest existing parent
		while [ ! -d "$v" ]; do v=$(dirname "$v"); done
		# inside a git work tree: bind all of it, so symlinks and relative
		# paths to sources elsewhere in the tree resolve
		top=$(git -C "$v" rev-parse --show-toplevel 2>/dev/null || true)
		[ -z "$top" ] || add "$top"
		add "$v"
		;;
	esac
done

[ "$(id -u)" = 0 ] || die "needs root (mount namespace + chroot into the cached build root)"
exec unshare --mount --propagation private \
	"$here/${0##*/}" --sid-make-inner "$root" "${dirs[@]}" -- "$@"
