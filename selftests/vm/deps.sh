#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages TTP's build, test VM, suite and demo need (only what is
# missing), then check that every command they call is there: one line naming what is
# missing, exit 1. The guest chroots into this machine's root, so the same list serves
# the host side (build, qemu, apt) and the VM side (ip, tc, sysctl, ...).
# Kernels: the newest linux-image-*-amd64-unsigned + headers of 6.1 and 6.12 that apt lists.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# COMMAND:PACKAGE for every command that selftests/, selftests/vm/ and the Makefiles
# call and that a minimal Debian 12 root (debootstrap --variant=minbase) may lack.
# A path stands for a file that must exist (busybox is copied into the initramfs).
TOOLS=(
	# build: ttp.ko, userspace, selftests, the debug kernel; make lint (groff)
	gcc:gcc make:make bc:bc flex:flex bison:bison perl:perl groff:groff-base
	/usr/include/libelf.h:libelf-dev
	# the VM: kernel images and modules, initramfs, qemu
	qemu-system-x86_64:qemu-system-x86 /bin/busybox:busybox-static cpio:cpio
	gzip:gzip xz:xz-utils zstd:zstd
	modinfo:kmod depmod:kmod modprobe:kmod insmod:kmod rmmod:kmod
	# inside the VM: namespaces, veth, netem, counters, sysctls
	ip:iproute2 tc:iproute2 sysctl:procps ethtool:ethtool
	mount:mount mountpoint:util-linux dmesg:util-linux flock:util-linux
	unshare:util-linux hostname:hostname
	cmp:diffutils find:findutils xargs:findutils awk:mawk sed:sed grep:grep
	timeout:coreutils sha256sum:coreutils tar:tar
	# the Wireshark dissector's test: capture, decode, cut; the Follow
	# Stream plugin is built against libwireshark, run as nobody (setpriv)
	tcpdump:tcpdump tshark:tshark editcap:wireshark-common
	/usr/include/wireshark/epan/follow.h:libwireshark-dev
	/usr/lib/x86_64-linux-gnu/pkgconfig/glib-2.0.pc:libglib2.0-dev
	pkg-config:pkgconf setpriv:util-linux
	# ttp-run's test: programs nobody here wrote, over TTP
	socat:socat curl:curl redis-server:redis-server redis-cli:redis-tools
	iperf3:iperf3 /usr/bin/python3:python3
	# make install, DKMS (packaging.sh)
	dkms:dkms man:man-db
	# the sid kernel is fetched with a private apt configuration; debootstrap
	# (unpacked, not installed) builds its build root and downloads with wget
	apt-get:apt dpkg-deb:dpkg wget:wget
	/usr/share/keyrings/debian-archive-keyring.gpg:debian-archive-keyring
)
# TTP_DEPS_EXTRA: more COMMAND:PACKAGE words for one script (make bench: gnuplot)
# shellcheck disable=SC2206 # one word each
TOOLS+=(${TTP_DEPS_EXTRA:-})
PKGS=(linux-source-6.12)
for t in "${TOOLS[@]}"; do PKGS+=("${t#*:}"); done

# Print the missing packages; "?" when apt lists no kernel of a series (no or stale lists).
missing() {
	local s r pkgs=("${PKGS[@]}")
	while read -r s r; do
		if [ -z "$r" ]; then echo "?"; continue; fi
		pkgs+=("linux-image-$r-unsigned" "linux-headers-$r")
	done < <(newest_rels)
	# shellcheck disable=SC2046 # one package name per word, each once
	not_installed $(printf '%s\n' "${pkgs[@]}" | sort -u)
}

# Every command and file of TOOLS present? Else one line naming them, and exit 1.
check_tools() {
	local t what absent=()
	for t in "${TOOLS[@]}"; do
		what=${t%:*}
		if [[ $what == /* ]]; then
			[ -e "$what" ] && continue
		else
			PATH=$PATH:/usr/sbin:/sbin command -v "$what" >/dev/null && continue
		fi
		absent+=("$what (${t#*:})")
	done
	[ ${#absent[@]} = 0 ] || die "missing after install: ${absent[*]}"
}

apt() { as_root env DEBIAN_FRONTEND=noninteractive apt-get -q "$@" </dev/null >&2; }

need=$(missing)
if [ -n "$need" ]; then
	log "missing: $(echo "$need" | grep -vx '?' | tr '\n' ' ')- running apt-get update"
	apt update
	need=$(missing)
	if grep -qx '?' <<<"$need"; then
		die "apt lists no linux-image-6.1.0-*-amd64-unsigned or 6.12.*+deb12-amd64-unsigned"
	fi
fi
if [ -n "$need" ]; then
	log "installing: $(echo "$need" | tr '\n' ' ')"
	# shellcheck disable=SC2086 # one package name per word
	apt install -y --no-install-recommends $need
fi
check_tools
