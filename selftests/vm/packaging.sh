#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# packaging.sh: make install, make uninstall and DKMS, as make check's row
# "packaging" (TAP on stdout, exit 1 on a failure). Nothing outside build/
# is touched but dkms's signing key (/var/lib/dkms/mok.*, made once):
#   - make install DESTDIR=...: every file in its place, ttp-run finds its
#     library there, man -M finds ttp(7), the module's vermagic is KREL's;
#     make uninstall leaves no file behind;
#   - dkms add and build (private --sourcetree and --dkmstree) against the
#     headers of Debian's 6.1 and 6.12 kernels: a ttp.ko for each,
#   - each booted in the VM: insmod of the DKMS-built module, a TTP socket.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

out=$REPO/build/packaging
rm -rf "$out"
mkdir -p "$out"
n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)) fails=$((fails + 1)); echo "not ok $n $1"; shift; printf '#   %s\n' "$@"; }

# check NAME COMMAND...: one case
check() {
	local name=$1 log
	shift
	if log=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "${log//$'\n'/$'\n'#   }"; fi
}

declare -A krel=()
for k in 6.1 6.12; do
	load_kernel "$k" >/dev/null
	krel[$k]=${KREL:-}
	[ -z "${KSKIP:-}" ] || krel[$k]=''
done

install_tree() {
	local d=$out/destdir rel=${krel[6.12]} f missing=''
	make -s install DESTDIR="$d" KREL="$rel" WIRESHARK_PLUGINDIR=/usr/share/wireshark-plugins \
		WIRESHARK_EPAN_PLUGINDIR=/usr/share/wireshark-plugins/epan \
		>"$out/install.log" 2>&1 || { cat "$out/install.log"; return 1; }
	for f in lib/modules/$rel/updates/ttp.ko usr/local/bin/ttpcat usr/local/bin/ttpstat \
		usr/local/bin/ttpperf usr/local/bin/ttp-run usr/local/lib/ttp/libttp-run.so \
		usr/local/include/linux/ttp.h usr/local/share/man/man7/ttp.7 \
		usr/share/wireshark-plugins/ttp.lua usr/share/wireshark-plugins/epan/ttp_follow.so; do
		[ -f "$d/$f" ] || missing+=" $f"
	done
	[ -z "$missing" ] || { echo "not installed:$missing"; return 1; }
	[ "$(modinfo -F vermagic "$d/lib/modules/$rel/updates/ttp.ko" | cut -d' ' -f1)" = "$rel" ] ||
		{ echo "vermagic: $(modinfo -F vermagic "$d/lib/modules/$rel/updates/ttp.ko")"; return 1; }
	[ "$(man -M "$d/usr/local/share/man" -w 7 ttp)" = "$d/usr/local/share/man/man7/ttp.7" ] ||
		{ echo "man -w 7 ttp: $(man -M "$d/usr/local/share/man" -w 7 ttp 2>&1)"; return 1; }
	# the installed ttp-run preloads the installed library
	[ "$("$d/usr/local/bin/ttp-run" sh -c 'echo "$LD_PRELOAD"' 2>/dev/null)" = \
	  "$d/usr/local/lib/ttp/libttp-run.so" ] || { echo "ttp-run's LD_PRELOAD is not the installed library"; return 1; }
}

uninstall_tree() {
	local d=$out/destdir left
	make -s uninstall DESTDIR="$d" KREL="${krel[6.12]}" \
		WIRESHARK_PLUGINDIR=/usr/share/wireshark-plugins \
		WIRESHARK_EPAN_PLUGINDIR=/usr/share/wireshark-plugins/epan >"$out/uninstall.log" 2>&1 ||
		{ cat "$out/uninstall.log"; return 1; }
	left=$(find "$d" -type f)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

# dkms_ko REL: the module DKMS built for REL (compressed as that kernel's
# are: 6.12's with xz)
dkms_ko() {
	local f
	for f in "$out/dkms-tree/ttp/0.test/$1/x86_64/module/ttp.ko"{,.xz,.zst}; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	echo "no ttp.ko in $out/dkms-tree/ttp/0.test/$1/x86_64/module/"
	return 1
}

# dkms_build NAME: dkms add + build for that kernel's headers, private trees
dkms_build() {
	local rel=${krel[$1]} src=$out/dkms-src tree=$out/dkms-tree ver=0.test ko
	[ -n "$rel" ] || { echo "kernel $1 not available"; return 1; }
	if [ ! -d "$src/ttp-$ver" ]; then
		make -s dkms-src DKMS_SRC="$src" TTP_VERSION=$ver || return 1
		mkdir -p "$tree"
		dkms add -m ttp -v $ver --sourcetree "$src" --dkmstree "$tree" || return 1
	fi
	dkms build -m ttp -v $ver -k "$rel" --sourcetree "$src" --dkmstree "$tree" || return 1
	ko=$(dkms_ko "$rel") || { echo "$ko"; return 1; }
	[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$rel" ] || { echo "vermagic of $ko"; return 1; }
}

# dkms_loads NAME: the DKMS-built module, booted with that kernel: insmod
# (vmrun fails without it), the parameters, a TTP socket
dkms_loads() {
	local rel=${krel[$1]} ko r=$out/vm-$1
	ko=$(dkms_ko "$rel") || { echo "not built: $ko"; return 1; }
	mkdir -p "$r"
	cat >"$r/go.sh" <<EOF
#!/bin/bash
[ "\$(cat /sys/module/ttp/parameters/protocol)" = 253 ] || exit 1
modinfo -F filename ttp 2>/dev/null
"$REPO/build/selftests/ttpdg" probe && echo "ttp socket ok"
EOF
	chmod +x "$r/go.sh"
	bash "$VMDIR/vmrun.sh" --kernel "$1" --module "$ko" --results "$r" --timeout 300 \
		--quiet -- "$r/go.sh" >"$r/vmrun.log" 2>&1 || { cat "$r/vmrun.log"; return 1; }
}

echo "TAP version 13"
echo "1..6"
check "packaging: make install DESTDIR: every file, ttp-run's library, man 7 ttp" install_tree
check "packaging: make uninstall leaves nothing" uninstall_tree
check "packaging: dkms build for ${krel[6.1]:-6.1}" dkms_build 6.1
check "packaging: dkms build for ${krel[6.12]:-6.12}" dkms_build 6.12
check "packaging: the DKMS-built module loads in the VM (6.1)" dkms_loads 6.1
check "packaging: the DKMS-built module loads in the VM (6.12)" dkms_loads 6.12
echo "# $((n - fails)) passed, $fails failed"
[ "$fails" = 0 ]
