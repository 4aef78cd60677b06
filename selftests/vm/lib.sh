# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the selftests/vm scripts (sourced, never run).
# shellcheck shell=bash

VMDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
REPO=$(cd "$VMDIR/../.." && pwd)
TTP_CACHE=${TTP_CACHE:-/var/cache/ttp}
export TTP_CACHE

log() { echo "${0##*/}: $*" >&2; }
die() { log "$*"; exit 1; }

# kernel_skip NAME REASON: print the descriptor of a kernel that cannot be had
# (KNAME and KSKIP, for eval) and end the script with status 0: the caller
# decides (check.sh fails a missing kernel unless TTP_ALLOW_MISSING_KERNELS=1).
kernel_skip() {
	log "skipping $1: $2"
	printf 'KNAME=%q\nKSKIP=%q\n' "$1" "$2"
	exit 0
}

# Run as root (through sudo when not root already).
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Print those of the given packages that are not installed.
not_installed() {
	local have
	have=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null | sed -n 's/^ii  *//p')
	printf '%s\n' "$@" | grep -vxF -e "${have:-/}" || true
}

# Extended regex of the Debian 12 kernel releases of series 6.1 or 6.12.
series_re() {
	case $1 in
	6.1) echo '6\.1\.0-[0-9]+-amd64' ;;
	6.12) echo '6\.12\.[0-9]+\+deb12-amd64' ;;
	*) return 1 ;;
	esac
}

# Newest release of each series that apt lists: "6.1 REL" and "6.12 REL" lines.
# Cached until apt's package cache changes (apt-cache takes a second).
newest_rels() {
	local names out s re key cache=$TTP_CACHE/apt-newest-kernels
	key=$(stat -c %Y /var/cache/apt/pkgcache.bin /var/lib/apt/lists 2>/dev/null | tr '\n' ' ')
	if [ -n "$key" ] && [ "$(head -n1 "$cache" 2>/dev/null)" = "$key" ]; then
		tail -n +2 "$cache"
		return
	fi
	names=$(apt-cache pkgnames linux-image-6.1 2>/dev/null)
	out=$(for s in 6.1 6.12; do
		re=$(series_re "$s")
		echo "$s $(sed -nE "s/^linux-image-($re)-unsigned\$/\1/p" <<<"$names" | sort -V | tail -n1)"
	done)
	if [ -n "$key" ] && printf '%s\n' "$key" "$out" 2>/dev/null >"$cache.$$"; then
		mv -f "$cache.$$" "$cache"
	fi
	echo "$out"
}

newest_rel() { newest_rels | sed -n "s/^${1//./\\.} //p"; }

# Newest release of a series whose image and build tree are installed.
installed_rel() {
	local re
	re=$(series_re "$1") || return 1
	find /boot -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sed -nE "s/^vmlinuz-($re)\$/\1/p" |
		sort -V | while read -r r; do [ -d "/lib/modules/$r/build" ] && echo "$r"; done | tail -n1
}

# Eval kernel.sh NAME's variables into this shell (old ones cleared first).
load_kernel() {
	local out
	unset KNAME KREL KIMAGE KMODROOT KBUILD KMAKE KSKIP
	out=$(bash "$VMDIR/kernel.sh" "$1") || return
	eval "$out"
}

# What fails a run when it appears in the guest's dmesg.
DMESG_BAD='Kernel panic|Oops|BUG:|WARNING:|ODEBUG:|possible [a-z ]*locking|circular locking|inconsistent lock state|KASAN:|KFENCE:|UBSAN:|soft lockup|blocked for more than|suspected memory leak|general protection|Call Trace'

# dmesg_bad FILE: print the offending lines (with some context); false if none.
dmesg_bad() {
	grep -qE "$DMESG_BAD" "$1" 2>/dev/null || return 1
	grep -E -A8 -m 20 "$DMESG_BAD" "$1" | head -n 120
}

# first_report FILE: the kernel's first report in FILE (a console log or
# dmesg) in brief: its first line, where it was (RIP) and the functions of
# its stack, at most 30 lines; nothing if there is none. CI shows only the
# end of a run's output: this is what a lockup or oops is diagnosed from.
first_report() {
	awk -v bad="$DMESG_BAD" '
		!on && $0 ~ bad { on = 1; n = 0; print; next }
		!on { next }
		++n > 120 || out >= 30 { exit }
		/RIP: |Call Trace|<TASK>|<IRQ>|[a-z_0-9.]+\+0x[0-9a-f]+\/0x/ {
			sub(/^\[[ 0-9.]+\] /, ""); print; out++
		}' "$1" 2>/dev/null
}
