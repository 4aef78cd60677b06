#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernel.sh [NAME]: make a test kernel available and print its variables for eval:
#   KNAME KREL KIMAGE KMODROOT KBUILD KMAKE, or KSKIP="reason" if it cannot be had.
# NAME: 6.1 or 6.12 (newest Debian 12 package of the series; default 6.12), sid, debug,
# or a Debian release such as 6.1.0-56-amd64.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

name=${1:-6.12}

skip() { kernel_skip "$name" "$1"; }

have() { [ -f "/boot/vmlinuz-$1" ] && [ -d "/lib/modules/$1/build" ]; }

case $name in
sid | debug)
	script=$VMDIR/kernel-$name.sh
	[ -f "$script" ] || skip "selftests/vm/kernel-$name.sh does not exist yet"
	exec bash "$script" "$@"
	;;
6.1 | 6.12)
	rel=$(newest_rel "$name")
	if [ -z "$rel" ] || ! have "$rel"; then
		bash "$VMDIR/deps.sh" >&2 || log "installing the newest $name kernel failed"
		rel=$(newest_rel "$name")
		if [ -z "$rel" ] || ! have "$rel"; then
			rel=$(installed_rel "$name")
			[ -n "$rel" ] || skip "no Debian $name kernel could be installed"
			log "using the installed $rel, not the newest that apt lists"
		fi
	fi
	;;
*)
	rel=$name
	if ! have "$rel"; then
		log "installing linux-image-$rel-unsigned and linux-headers-$rel"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get -q update </dev/null >&2 || true
		as_root env DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends \
			"linux-image-$rel-unsigned" "linux-headers-$rel" </dev/null >&2 ||
			skip "linux-image-$rel-unsigned or linux-headers-$rel cannot be installed"
	fi
	;;
esac

printf '%s=%q\n' KNAME "$name" KREL "$rel" KIMAGE "/boot/vmlinuz-$rel" KMODROOT / \
	KBUILD "/lib/modules/$rel/build" KMAKE make
