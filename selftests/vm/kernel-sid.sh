#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel-sid.sh - fetch (once, cached) Debian sid's newest amd64 kernel and a
# sid build root to build modules for it, and print its descriptor for
# selftests/vm/kernel.sh:
#
#   KNAME=sid KREL=<rel> KIMAGE=<tree>/usr/lib/modules/<rel>/vmlinuz.unsigned
#   KMODROOT=<tree>   (unpacked packages; lib -> usr/lib, depmod'ed, so
#                      `modinfo -b <tree> -k <rel> veth` works)
#   KBUILD=/usr/src/linux-headers-<rel>   (a path INSIDE the build root)
#   KMAKE=<this dir>/sid-make.sh          (runs make inside the build root)
#
# Packages come from Debian's archive through a PRIVATE apt configuration
# under $TTP_CACHE/sid/apt (own sources list for suite sid, own lists and
# cache); the system's apt sources and state are never touched, nothing is
# installed: `apt-get download` + `dpkg -x`.  The mirror is the one the
# system's apt already uses for Debian (override: TTP_DEBIAN_MIRROR).
# That configuration accepts a Release file past its Valid-Until: a mirror
# or snapshot that lags behind sid serves one, and the kernel must not
# depend on how the machine's own apt is set up.  Every file is still checked
# against the archive key's signature and the Release file's hashes.
#
# The build root is a sid minbase made by Debian 12's debootstrap (itself
# fetched with apt-get download + dpkg -x) with make and
# linux-headers-<rel>, so modules are built by the compiler that built the
# kernel.  Everything is cached under $TTP_CACHE/sid/<rel>/ keyed by the
# release and package version; a second run costs an `apt-get update`.
#
# The archive unreachable / a package gone: prints KSKIP="reason", exits 0
# (if an earlier run left a complete release in the cache, that one is used
# instead, with a note on stderr).  Every network step runs under a timeout.
#
# Environment: TTP_CACHE (default /var/cache/ttp), TTP_DEBIAN_MIRROR.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cache=${TTP_CACHE:-/var/cache/ttp}
top=$cache/sid
flavour=amd64
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

say() { echo "kernel-sid: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
skip() { kernel_skip sid "$*"; }

for t in apt-get apt-cache dpkg dpkg-deb depmod unshare chroot timeout flock; do
	command -v "$t" >/dev/null || skip "tool '$t' missing"
done
[ -r "$keyring" ] || skip "no $keyring (apt-get install debian-archive-keyring)"

mkdir -p "$top"
exec 9>"$top/lock"
flock 9

# The Debian mirror the system's apt already uses (not security/updates).
mirror=${TTP_DEBIAN_MIRROR:-$(apt-cache policy 2>/dev/null | awk '
	$2 ~ /^[a-z]+:\/\// && $2 !~ /security/ && $3 ~ /^[a-z]+\/main$/ &&
	$3 !~ /-(updates|security|backports)\// { print $2; exit }')}
[ -n "$mirror" ] || skip "cannot tell the Debian mirror from the system's apt configuration (set TTP_DEBIAN_MIRROR)"

# --- private apt configurations ---------------------------------------------
# aptp DIR apt-get|apt-cache ARGS...: run apt with the private config in DIR.
apt_init() {	# DIR SUITE
	local d=$1
	mkdir -p "$d/sources.list.d" "$d/preferences.d" "$d/state/lists/partial" \
		"$d/cache/archives/partial"
	[ -f "$d/state/status" ] || : >"$d/state/status"
	echo "deb [signed-by=$keyring] $mirror $2 main" >"$d/sources.list"
}
aptp() {
	local d=$1 tool=$2
	shift 2
	timeout -k 10 "${APT_TIMEOUT:-900}" "$tool" \
		-o Dir::Etc::SourceList="$d/sources.list" \
		-o Dir::Etc::SourceParts="$d/sources.list.d" \
		-o Dir::Etc::Preferences="$d/preferences" \
		-o Dir::Etc::PreferencesParts="$d/preferences.d" \
		-o Dir::State="$d/state" \
		-o Dir::State::status="$d/state/status" \
		-o Dir::Cache="$d/cache" \
		-o Dir::Cache::pkgcache=pkgcache.bin -o Dir::Cache::srcpkgcache=srcpkgcache.bin \
		-o APT::Architecture=amd64 -o APT::Architectures::=amd64 \
		-o Acquire::Languages=none \
		-o Acquire::Check-Valid-Until=false \
		-o Acquire::http::Timeout=30 -o Acquire::https::Timeout=30 \
		-o Acquire::Retries=2 \
		-o APT::Sandbox::User=root \
		"$@"
}

# Newest release whose tree and build root are complete in the cache.
cached_rel() {
	local d best=
	for d in "$top"/*/done; do
		[ -f "$d" ] || continue
		d=${d%/done}
		best=$(printf '%s\n%s\n' "$best" "${d##*/}" | sed '/^$/d' | sort -V | tail -n 1)
	done
	echo "$best"
}

describe() {	# REL
	local rel=$1 t=$top/$1/tree
	[ -f "$t/usr/lib/modules/$rel/vmlinuz.unsigned" ] || die "cache $top/$rel incomplete; remove it"
	say "sid $rel, built by $(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' \
		"$top/$rel/root/usr/src/linux-headers-$rel/.config" 2>/dev/null)"
	echo "KNAME=sid"
	echo "KREL=$rel"
	echo "KIMAGE=$t/usr/lib/modules/$rel/vmlinuz.unsigned"
	echo "KMODROOT=$t"
	echo "KBUILD=/usr/src/linux-headers-$rel"
	echo "KMAKE=$here/sid-make.sh"
}

offline() {	# REASON
	local rel
	rel=$(cached_rel)
	if [ -n "$rel" ]; then
		say "$1; using the cached release $rel"
		describe "$rel"
		exit 0
	fi
	skip "$1"
}

# --- which release? -----------------------------------------------------------
sidapt=$top/apt
apt_init "$sidapt" sid
if ! APT_TIMEOUT=120 aptp "$sidapt" apt-get -q update --error-on=any >"$top/update.log" 2>&1; then
	offline "Debian archive unreachable ($mirror sid): $(grep -m1 -E '^(E|W|Err):' "$top/update.log" || echo 'apt-get update failed or timed out')"
fi

names=$(aptp "$sidapt" apt-cache pkgnames linux- 2>/dev/null | sort -u)
has() { printf '%s\n' "$names" | grep -qxF "$1"; }

rels=$(printf '%s\n' "$names" |
	sed -n "s/^linux-binary-unsigned-\(.*-$flavour\)\$/\1/p" |
	grep -E "^[0-9][0-9.]*(-[0-9]+)?(\+deb[0-9]+)?-$flavour\$" | sort -rV || true)
[ -n "$rels" ] || offline "no linux-binary-unsigned-*-$flavour package in sid"

rel='' missing=''
for r in $rels; do
	abi=${r%-"$flavour"}
	pkgs="linux-binary-unsigned-$r linux-modules-$r linux-base-$r linux-headers-$r linux-headers-$abi-common linux-kbuild-$abi"
	missing=
	for p in $pkgs; do has "$p" || missing="$missing $p"; done
	if [ -z "$missing" ]; then rel=$r; break; fi
	say "release $r incomplete in sid (missing:$missing), trying an older one"
done
[ -n "$rel" ] || offline "no complete sid kernel package set (newest $(echo "$rels" | head -n 1) lacks:$missing)"
abi=${rel%-"$flavour"}
pver=$(aptp "$sidapt" apt-cache show --no-all-versions "linux-binary-unsigned-$rel" 2>/dev/null |
	sed -n 's/^Version: //p' | head -n 1)
[ -n "$pver" ] || offline "cannot read the version of linux-binary-unsigned-$rel"

kd=$top/$rel
if [ -f "$kd/done" ] && [ "$(cat "$kd/version" 2>/dev/null)" = "$pver" ]; then
	describe "$rel"
	exit 0
fi

# --- fetch and unpack the kernel packages -------------------------------------
# Work in $kd.new; it replaces $kd (a cached older upload of the same release,
# if any, stays usable until then) only once complete.
start=$(date +%s)
say "fetching sid kernel $rel ($pver) from $mirror"
new=$kd.new
rm -rf --one-file-system "$new"
mkdir -p "$new/debs"
echo "$pver" >"$new/version"
# shellcheck disable=SC2086 # $pkgs: a list of package names
(cd "$new/debs" && aptp "$sidapt" apt-get -q download $pkgs) >"$new/download.log" 2>&1 ||
	offline "apt-get download failed for sid $rel: $(grep -m1 -E '^(E|Err):' "$new/download.log" || echo timeout)"

tree=$new/tree
mkdir -p "$tree.tmp"
for deb in "$new"/debs/*.deb; do
	dpkg -x "$deb" "$tree.tmp" || die "dpkg -x $deb failed"
done
[ -f "$tree.tmp/usr/lib/modules/$rel/vmlinuz.unsigned" ] ||
	die "linux-binary-unsigned-$rel has no usr/lib/modules/$rel/vmlinuz.unsigned (layout changed?)"
ln -sfn usr/lib "$tree.tmp/lib"	# bookworm's kmod looks under <base>/lib/modules
depmod -b "$tree.tmp" "$rel" || die "depmod -b failed"
mv "$tree.tmp" "$tree"
rm -rf "$new/debs"
say "kernel packages unpacked in $(( $(date +%s) - start )) s"

# --- Debian 12's debootstrap ------------------------------------------------------
hostapt=$top/apt-bookworm
apt_init "$hostapt" bookworm
APT_TIMEOUT=120 aptp "$hostapt" apt-get -q update --error-on=any >"$top/update-bookworm.log" 2>&1 ||
	offline "Debian archive unreachable ($mirror bookworm) for debootstrap"
dver=$(aptp "$hostapt" apt-cache show --no-all-versions debootstrap 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
[ -n "$dver" ] || offline "no debootstrap package in bookworm"
dbs=$top/debootstrap/$dver
if [ ! -f "$dbs/done" ]; then
	rm -rf "$dbs"
	mkdir -p "$dbs"
	(cd "$dbs" && aptp "$hostapt" apt-get -q download debootstrap) >"$dbs/download.log" 2>&1 ||
		offline "apt-get download debootstrap failed"
	dpkg -x "$dbs"/debootstrap_*.deb "$dbs/root" || die "dpkg -x debootstrap failed"
	rm -f "$dbs"/debootstrap_*.deb
	touch "$dbs/done"
fi

# --- the sid build root ----------------------------------------------------------
root=$new/root
t0=$(date +%s)
say "debootstrap sid build root with make,linux-headers-$rel (debootstrap $dver, ~70 s)"
rm -rf --one-file-system "$root.tmp"
# In a private mount namespace: whatever debootstrap mounts (proc, sys, a /dev
# bind) vanishes with it, so cleaning up a failed root never reaches the host.
if ! DEBOOTSTRAP_DIR=$dbs/root/usr/share/debootstrap timeout -k 10 1800 \
	unshare --mount --propagation private \
	"$dbs/root/usr/sbin/debootstrap" --variant=minbase --include="make,linux-headers-$rel" \
	--keyring="$keyring" sid "$root.tmp" "$mirror" >"$new/debootstrap.log" 2>&1; then
	tail -n 15 "$new/debootstrap.log" >&2
	rm -rf --one-file-system "$root.tmp"
	offline "debootstrap of the sid build root failed (see $new/debootstrap.log)"
fi
[ -f "$root.tmp/usr/src/linux-headers-$rel/Makefile" ] || die "build root lacks /usr/src/linux-headers-$rel"
rm -f "$root.tmp"/var/cache/apt/archives/*.deb
# The compiler the kernel was built with (Debian's kbuild calls it by this name).
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$root.tmp/usr/src/linux-headers-$rel/.config")
[ -x "$root.tmp/usr/bin/${cc%% *}" ] || die "build root lacks the kernel's compiler ${cc%% *}"
mv "$root.tmp" "$root"
say "build root ready in $(( $(date +%s) - t0 )) s"

echo "$pver" >"$new/done"
rm -rf --one-file-system "$kd"
mv "$new" "$kd"
say "sid $rel ready in $(( $(date +%s) - start )) s"

# Keep the two newest releases; older ones have usually left the archive.
# shellcheck disable=SC2012 # names are release strings
for old in $(ls -d "$top"/*/done 2>/dev/null | sed 's,/done$,,; s,.*/,,' | sort -rV | tail -n +3); do
	say "pruning old release $old"
	rm -rf --one-file-system "${top:?}/$old"
done

describe "$rel"
