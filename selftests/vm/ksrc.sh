#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Make sure Debian's linux-source-6.12 is extracted under $TTP_CACHE/src (for the
# kselftest harness and checkpatch.pl) and print the path of the tree.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKG=linux-source-6.12
DIR=$TTP_CACHE/src/$PKG
STAMP=$DIR.stamp	# the package version that was extracted

if [ -n "$(not_installed "$PKG")" ]; then
	log "installing $PKG"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -q update </dev/null >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -q install -y "$PKG" </dev/null >&2
fi
ver=$(dpkg-query -W -f='${Version}' "$PKG")

# The upstream version in a tree's Makefile, e.g. 6.12.117.
tree_ver() { awk -F' = ' '/^(VERSION|PATCHLEVEL|SUBLEVEL) =/ {v = v (v ? "." : "") $2} END {print v}' "$1/Makefile"; }

mkdir -p "$TTP_CACHE/src"
exec 9>"$TTP_CACHE/src/.lock"
flock 9
# A tree extracted before stamps existed is kept if its upstream version matches.
if [ ! -f "$STAMP" ] && [ -f "$DIR/Makefile" ] && [ "$(tree_ver "$DIR")" = "${ver%%-*}" ]; then
	echo "$ver" >"$STAMP"
fi
if [ "$(cat "$STAMP" 2>/dev/null)" != "$ver" ] || [ ! -f "$DIR/Makefile" ]; then
	log "extracting $PKG $ver into $DIR"
	tmp=$(mktemp -d "$TTP_CACHE/src/.x.XXXXXX")
	tar -xJf "/usr/src/$PKG.tar.xz" -C "$tmp"
	rm -rf "$DIR" "$STAMP"
	mv "$tmp/$PKG" "$DIR"
	rmdir "$tmp"
	echo "$ver" >"$STAMP"
fi
echo "$DIR"
