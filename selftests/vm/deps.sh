#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages TTP's build and test VM need; only what is missing.
# Kernels: the newest linux-image-*-amd64-unsigned + headers of 6.1 and 6.12 that apt lists.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS=(qemu-system-x86 busybox-static cpio kmod iproute2 xz-utils gcc make bc flex bison
	libelf-dev ethtool linux-source-6.12)

# Print the missing packages; "?" when apt lists no kernel of a series (no or stale lists).
missing() {
	local s r pkgs=("${PKGS[@]}")
	while read -r s r; do
		if [ -z "$r" ]; then echo "?"; continue; fi
		pkgs+=("linux-image-$r-unsigned" "linux-headers-$r")
	done < <(newest_rels)
	not_installed "${pkgs[@]}"
}

apt() { as_root env DEBIAN_FRONTEND=noninteractive apt-get -q "$@" </dev/null >&2; }

need=$(missing)
[ -z "$need" ] && exit 0
log "missing: $(echo "$need" | grep -vx '?' | tr '\n' ' ')- running apt-get update"
apt update
need=$(missing)
if grep -qx '?' <<<"$need"; then
	die "apt lists no linux-image-6.1.0-*-amd64-unsigned or 6.12.*+deb12-amd64-unsigned"
fi
[ -z "$need" ] && exit 0
log "installing: $(echo "$need" | tr '\n' ' ')"
# shellcheck disable=SC2086 # one package name per word
apt install -y --no-install-recommends $need
