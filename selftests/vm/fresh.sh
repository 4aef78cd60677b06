#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fresh.sh [--keep] [TARGET...]: the README's two commands as a new user would run them,
# in a minimal Debian 12 root (debootstrap --variant=minbase with git and make only),
# from a clean clone of this repository's HEAD. Default targets: run check.
#
# Nothing of this machine reaches the root but its apt sources (and resolv.conf): no
# packages, no cache, no apt options. The root is unpacked afresh from a cached tarball
# each time and removed afterwards (kept with --keep). Runs as root, in a private mount
# namespace, with CI=true and no standard input, as CI does. The whole log goes to
# build/fresh/log; the last line is the last target's own summary ("N passed, N failed,
# N skipped" for check). Exit status: that of the first target that failed.
# Takes about 30 minutes on 2 cores (apt installs, debug kernel build, four VM runs).
# Environment: TTP_CACHE (the tarball is kept in $TTP_CACHE/fresh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

keep=''
if [ "${1:-}" = --keep ]; then keep=1; shift; fi
targets=("$@")
[ $# -gt 0 ] || targets=(run check)

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"
cd "$REPO"
head=$(git rev-parse HEAD) || die "not a git checkout"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	log "note: uncommitted changes are not part of the clone; testing $head"

# The archive this machine's apt uses (deb822 sources first, then sources.list).
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++)
	if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || die "cannot tell the Debian mirror from /etc/apt/sources.list{,.d}"

if ! command -v debootstrap >/dev/null; then
	log "installing debootstrap"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -q update </dev/null >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -q install -y debootstrap </dev/null >&2
fi

top=$TTP_CACHE/fresh
tarball=$top/bookworm-minbase.tar
mkdir -p "$top"
if [ ! -s "$tarball" ]; then
	log "debootstrap: a minimal Debian 12 root from $mirror (~3 min)"
	rm -rf --one-file-system "$top/mk"
	unshare --mount --propagation private debootstrap --variant=minbase \
		--include=git,make,ca-certificates bookworm "$top/mk" "$mirror" \
		>"$top/debootstrap.log" 2>&1 || { tail -n 20 "$top/debootstrap.log" >&2; die "debootstrap failed"; }
	rm -f "$top/mk"/var/cache/apt/archives/*.deb
	tar -C "$top/mk" -cf "$tarball.$$" . && mv "$tarball.$$" "$tarball"
	rm -rf --one-file-system "$top/mk"
fi

root=$(mktemp -d "$top/root.XXXXXX")
cleanup() { [ -n "$keep" ] || rm -rf --one-file-system "$root"; }
trap cleanup EXIT
tar -C "$root" -xf "$tarball"
# Only the apt sources: apt.conf.d (e.g. an option that ignores Valid-Until) stays behind.
rm -f "$root"/etc/apt/sources.list "$root"/etc/apt/sources.list.d/*
cp -a /etc/apt/sources.list.d/. "$root/etc/apt/sources.list.d/" 2>/dev/null || true
[ ! -f /etc/apt/sources.list ] || cp /etc/apt/sources.list "$root/etc/apt/"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
git clone -q --no-hardlinks "$REPO" "$root/root/ttp"
git -C "$root/root/ttp" checkout -q "$head"

out=$REPO/build/fresh
mkdir -p "$out"
log "in a fresh Debian 12 root ($root), clone of $head: make ${targets[*]} (log: ${out#"$REPO"/}/log)"
# Inside: one make per target, each timed; the first failure ends the run.
inner='cd /root/ttp && for t in "$@"; do s=$(date +%s); rc=0; make "$t" || rc=$?
	echo "fresh: make $t: status $rc, $(( $(date +%s) - s )) s"; [ $rc = 0 ] || exit $rc; done'
start=$(date +%s)
rc=0
unshare --mount --propagation private bash -c '
	set -e
	r=$1; shift
	# the root a mount point, as on a real machine (unshare --propagation needs one)
	mount --bind "$r" "$r"
	mount -t proc proc "$r/proc"
	mount --rbind /sys "$r/sys"
	mount --rbind /dev "$r/dev"
	mount -t tmpfs tmp "$r/tmp"
	mount -t tmpfs run "$r/run"
	exec chroot "$r" /usr/bin/env -i HOME=/root LANG=C.UTF-8 CI=true \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
' fresh "$root" bash -c "$inner" fresh "${targets[@]}" </dev/null >"$out/log" 2>&1 || rc=$?
mins=$(( ($(date +%s) - start + 59) / 60 ))
grep '^fresh: make ' "$out/log" >&2 || true
echo "fresh.sh: make ${targets[*]} in a fresh Debian 12 root: status $rc, ${mins} min ($head)"
tail -n 1 "$out/log"
exit "$rc"
