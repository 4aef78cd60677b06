#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build-module.sh [NAME]: build ttp.ko for one kernel (a name kernel.sh knows,
# default 6.12, or a release) into build/<release>/ttp.ko and print its path.
# Each kernel gets its own copy of the sources: one kernel's objects never mix
# with another's. Exit 4 (kselftest's "skip") when the kernel cannot be had.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

load_kernel "${1:-6.12}"
if [ -n "${KSKIP:-}" ]; then
	log "kernel ${1:-6.12} skipped: $KSKIP"
	exit 4
fi

out=$REPO/build/$KREL
mkdir -p "$out"
# cp -a keeps timestamps, so an unchanged file is not compiled again.
cp -a "$REPO/Kbuild" "$REPO/module" "$REPO/uapi" "$out/"
$KMAKE -C "$KBUILD" M="$out" modules >&2
echo "$out/ttp.ko"
