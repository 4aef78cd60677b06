# SPDX-License-Identifier: GPL-2.0
#
# Helpers sourced by the TTP shell tests: TAP output, one subshell per test
# case with a time limit, namespaces joined by veth, counters and waiting.
# TTP_TEST_AS_UDP=1 points the counter and socket-table readers (and ttpdg)
# at udp, to check the scripts themselves without the module.

KSFT_FAIL=1
KSFT_SKIP=4
TTP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TTPDG=${TTPDG:-$TTP_DIR/ttpdg}
CASE_TIMEOUT=${CASE_TIMEOUT:-90}
export PATH=$PATH:/usr/sbin:/sbin

if [ "${TTP_TEST_AS_UDP:-0}" = 1 ]; then
	SNMP=/proc/net/snmp SNMP_TAG=Udp: TABLE=/proc/net/udp IPPROTO=17
else
	SNMP=/proc/net/ttp_snmp SNMP_TAG=Ttp: TABLE=/proc/net/ttp
	IPPROTO=$(cat /sys/module/ttp/parameters/protocol 2> /dev/null || echo 253)
fi

TMPD=$(mktemp -d /tmp/ttp-selftest.XXXXXX)
NS_LIST=()
declare -A NS_PID	# namespace -> a process in it, to read /proc/PID/net
t_num=0 t_pass=0 t_fail=0 t_skip=0

ttp_cleanup()
{
	local ns

	disown -a 2> /dev/null	# no "Killed" notices for what we end here
	for ns in "${NS_LIST[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMPD"
}
trap ttp_cleanup EXIT

# The debug kernel (KASAN, lockdep, kmemleak) runs everything several times
# slower than Debian's: scripts scale their time limits by it.
ttp_debug_kernel()
{
	uname -r | grep -q -- '-ttp-debug$'
}

# The factor for a script's time limits: 3 on the debug kernel, else 1
TIME_SCALE=1
ttp_debug_kernel && TIME_SCALE=3
# The userspace tools (ttpcat, ttpstat, ttpperf)
TTP_TOOLS=${TTP_TOOLS:-$TTP_DIR/../userspace}

diag()
{
	echo "# $*"
}

# Inside a test case: stop it.
fail()
{
	echo "FAIL: $*"
	exit $KSFT_FAIL
}

skip()
{
	echo "SKIP: $*"
	exit $KSFT_SKIP
}

# expect_eq WHAT EXPECTED GOT
expect_eq()
{
	[ "$2" = "$3" ] || fail "$1: expected $2, got $3"
}

# expect_cmp WHAT A OP B (OP as for test: -lt -le -gt -ge -eq -ne)
expect_cmp()
{
	[ "$2" "$3" "$4" ] || fail "$1: $2 $3 $4 does not hold"
}

tap_begin()
{
	echo "TAP version 13"
	echo "1..$1"
}

# Background processes of a case, killed when the case ends.
CASE_PIDS=()
bg()
{
	"$@" &
	CASE_PIDS+=($!)
}

case_cleanup()
{
	[ ${#CASE_PIDS[@]} -gt 0 ] || return 0
	kill -TERM "${CASE_PIDS[@]}" 2>/dev/null
	sleep 0.1
	kill -9 "${CASE_PIDS[@]}" 2>/dev/null
	wait 2>/dev/null
}

# run_case NAME FUNCTION [ARGS...]: one TAP line; the function runs in a
# subshell, killed after CASE_TIMEOUT seconds.
run_case()
{
	local name=$1 pid wd rc reason t0=$SECONDS

	shift
	t_num=$((t_num + 1))
	( trap case_cleanup EXIT; trap 'exit 124' TERM; "$@" ) \
		> "$TMPD/case.log" 2>&1 &
	pid=$!
	( sleep "$CASE_TIMEOUT"; kill -TERM "$pid" ) > /dev/null 2>&1 &
	wd=$!
	wait "$pid"
	rc=$?
	kill "$wd" 2>/dev/null
	wait "$wd" 2>/dev/null
	sed 's/^/# /' "$TMPD/case.log"
	diag "$name: $((SECONDS - t0))s"
	case $rc in
	0)
		t_pass=$((t_pass + 1))
		echo "ok $t_num $name"
		;;
	$KSFT_SKIP)
		t_skip=$((t_skip + 1))
		reason=$(sed -n 's/^SKIP: //p' "$TMPD/case.log" | tail -n 1)
		echo "ok $t_num $name # SKIP $reason"
		;;
	*)
		t_fail=$((t_fail + 1))
		[ $rc = 124 ] && echo "# TIMEOUT after ${CASE_TIMEOUT}s"
		echo "not ok $t_num $name"
		;;
	esac
}

# Skip the whole script (before any case ran): only for a capability the
# kernel under test lacks (a config option), never for TTP itself.
skip_all()
{
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
	exit $KSFT_SKIP
}

# The set-up a script needs failed (before any case ran): one failed case.
bail_out()
{
	echo "TAP version 13"
	echo "1..1"
	echo "not ok 1 ${0##*/}: set-up # $*"
	exit $KSFT_FAIL
}

tap_end()
{
	echo "# Totals: pass:$t_pass fail:$t_fail xfail:0 xpass:0 skip:$t_skip error:0"
	[ $t_fail -gt 0 ] && exit $KSFT_FAIL
	[ $t_pass -eq 0 ] && [ $t_skip -gt 0 ] && exit $KSFT_SKIP
	exit 0
}

# Preconditions shared by every script. None of them is a capability of
# the kernel under test, so none is a reason to skip: a script that cannot
# open a socket of the stack it tests fails.
require_basics()
{
	[ "$(id -u)" = 0 ] || bail_out "needs root"
	command -v ip > /dev/null || bail_out "needs iproute2"
	[ -x "$TTPDG" ] || bail_out "$TTPDG not built"
	"$TTPDG" probe > "$TMPD/probe" 2>&1 ||
		bail_out "cannot open a socket: $(cat "$TMPD/probe")"
}

# setup_ns VAR...: make a namespace per name, lo up, no IPv6 chatter;
# sets $VAR to the namespace's name.
setup_ns()
{
	local v n

	for v in "$@"; do
		n=ttp-$v-$$-$RANDOM
		ip netns add "$n" || return 1
		NS_LIST+=("$n")
		ip -n "$n" link set lo up || return 1
		no_ipv6 "$n" || return 1
		ip netns exec "$n" sleep 1000000 > /dev/null 2>&1 &
		wait_until 10 in_ns "$!" "$n" && NS_PID[$n]=$!
		eval "$v=$n"
	done
}

# no_ipv6 NS: IPv6 off in NS, so that neighbour discovery and listener reports
# never cross a link whose packets a test counts. A kernel without IPv6 has
# nothing to turn off; any other failure is the caller's failure.
no_ipv6()
{
	[ -d /proc/sys/net/ipv6 ] || return 0
	command -v sysctl > /dev/null || { echo "no_ipv6: sysctl missing (procps)"; return 1; }
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 ||
		{ echo "no_ipv6: cannot disable IPv6 in $1"; return 1; }
}

# setup_netem_pair: namespaces $A and $B joined by veth va (10.0.1.1) and
# vb (10.0.1.2), with a netem qdisc known to work on va; else skips the
# whole script.
setup_netem_pair()
{
	require_basics
	command -v tc > /dev/null || bail_out "tc missing (iproute2)"
	setup_ns A B || bail_out "cannot create namespaces"
	link_ns "$A" va "$B" vb 10.0.1 || bail_out "cannot create a veth pair"
	netem_check "$A" va
	[ -z "$NO_NETEM" ] || skip_all "$NO_NETEM"
	ttp_netem "$A" va loss 1% || bail_out "cannot set up ttp_netem on va"
	tc -n "$A" qdisc del dev va root || bail_out "cannot remove netem from va"
}

# ttp_netem NS DEV NETEM-ARGS...: impair only the IP packets of the protocol
# under test ($IPPROTO) leaving DEV: a prio qdisc whose default band has no
# netem, and a u32 filter that sends the protocol to band 1:1, netem 10:.
# Whatever else crosses the link is neither impaired nor counted.
ttp_netem()
{
	local ns=$1 dev=$2

	shift 2
	tc -n "$ns" qdisc del dev "$dev" root 2> /dev/null
	tc -n "$ns" qdisc add dev "$dev" root handle 1: prio bands 2 \
		priomap 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 &&
	tc -n "$ns" qdisc add dev "$dev" parent 1:1 handle 10: netem "$@" &&
	tc -n "$ns" filter add dev "$dev" parent 1: protocol ip prio 1 u32 \
		match ip protocol "$IPPROTO" 0xff flowid 1:1
}

# ttp_netem_stats NS DEV: "PACKETS DROPPED" of ttp_netem's netem qdisc
ttp_netem_stats()
{
	tc -s -n "$1" qdisc show dev "$2" | awk '
		/^qdisc netem 10:/ { f = 1; next }
		f && /Sent/ { gsub(",", "", $7); print $4, $7; exit }'
}

# ns_sysctl NS NAME=VALUE...
ns_sysctl()
{
	local ns=$1

	shift
	ip netns exec "$ns" sysctl -qw "$@" || fail "sysctl $* in $ns"
}

# set_isn NS VALUE: every stream ISN in NS from now on is VALUE (decimal;
# net.ttp.stream_isn, a test-only knob, 0: random); read back
set_isn()
{
	local out

	out=$(ip netns exec "$1" sh -c "sysctl -qw net.ttp.stream_isn=$2 &&
		sysctl -n net.ttp.stream_isn") || fail "cannot set net.ttp.stream_isn"
	expect_eq "net.ttp.stream_isn read back" "$2" "$out"
}

# in_ns PID NS: is process PID in namespace NS yet?
in_ns()
{
	[ "$(readlink "/proc/$1/ns/net")" = \
	  "net:[$(stat -L -c %i "/run/netns/$2")]" ]
}

# link_ns NS1 DEV1 NS2 DEV2 NET: a veth pair, NET.1 on NS1 and NET.2 on
# NS2 (/24), fixed MACs and permanent neighbours (no ARP on the wire).
link_ns()
{
	local ns1=$1 d1=$2 ns2=$3 d2=$4 net=$5 x
	local m1 m2

	x=$(printf '%02x' "${net##*.}")
	m1=02:00:00:00:$x:01
	m2=02:00:00:00:$x:02
	ip link add "$d1" netns "$ns1" address "$m1" type veth \
		peer name "$d2" netns "$ns2" address "$m2" || return 1
	ip -n "$ns1" addr add "$net.1/24" dev "$d1" &&
	ip -n "$ns2" addr add "$net.2/24" dev "$d2" &&
	ip -n "$ns1" link set "$d1" up &&
	ip -n "$ns2" link set "$d2" up &&
	ip -n "$ns1" neigh replace "$net.2" lladdr "$m2" dev "$d1" nud permanent &&
	ip -n "$ns2" neigh replace "$net.1" lladdr "$m1" dev "$d2" nud permanent
}

# ns_lines NS FILE: the lines of /proc/net/FILE as NS sees it, in LINES
# (no process started when NS has an anchor process from setup_ns)
ns_lines()
{
	local pid=${NS_PID[$1]:-}

	if [ -n "$pid" ] && [ -r "/proc/$pid/net/$2" ]; then
		mapfile -t LINES < "/proc/$pid/net/$2"
	else
		mapfile -t LINES <<< "$(ip netns exec "$1" cat "/proc/net/$2")"
	fi
}

# snmp NS COUNTER...: the counters of the namespace (0 if the file lacks
# one), space separated
snmp()
{
	local ns=$1 out=() k i

	shift
	snmp_read "$ns" "${SNMP##*/}" "$SNMP_TAG"
	for k in "$@"; do
		for ((i = 1; i < ${#SNMP_NAMES[@]}; i++)); do
			[ "${SNMP_NAMES[i]}" = "$k" ] && break
		done
		out+=("${SNMP_VALS[i]:-0}")
	done
	echo "${out[*]}"
}

# snmp_read NS FILE TAG: the names line and the values line of TAG ("Ttp:",
# "Icmp:") in /proc/net/FILE as NS sees it, in SNMP_NAMES and SNMP_VALS
snmp_read()
{
	local l

	SNMP_NAMES=() SNMP_VALS=()
	ns_lines "$1" "$2"
	for l in "${LINES[@]}"; do
		[[ $l == "$3 "* ]] || continue
		if [ ${#SNMP_NAMES[@]} = 0 ]; then
			read -r -a SNMP_NAMES <<< "$l"
		else
			read -r -a SNMP_VALS <<< "$l"
			break
		fi
	done
}

# netem_check NS DEV: NO_NETEM empty when netem works on DEV, else why not (a
# kernel without netem lacks a capability); any other failure bails out
netem_check()
{
	local err

	NO_NETEM=''
	if ! err=$(tc -n "$1" qdisc add dev "$2" root netem loss 1% 2>&1); then
		case $err in
		*nknown*) NO_NETEM="no netem (CONFIG_NET_SCH_NETEM): $err" ;;
		*) bail_out "netem on $2: $err" ;;
		esac
	fi
	tc -n "$1" qdisc del dev "$2" root 2> /dev/null
}

# port_bound NS PORT [ST]: is a socket bound to PORT in NS's socket table
# (in state ST, as the table prints it: 0A listening)?
port_bound()
{
	local p l f

	printf -v p '%04X' "$2"
	ns_lines "$1" "${TABLE##*/}"
	for l in "${LINES[@]:1}"; do
		read -r -a f <<< "$l"
		[ "${f[1]##*:}" = "$p" ] || continue
		{ [ -z "${3:-}" ] || [ "${f[3]}" = "$3" ]; } && return 0
	done
	return 1
}

# table_rows NS: number of sockets in NS's table
table_rows()
{
	ns_lines "$1" "${TABLE##*/}"
	echo $((${#LINES[@]} - 1))
}

# wait_port NS PORT [SECONDS]
wait_port()
{
	local i

	for ((i = 0; i < ${3:-10} * 20; i++)); do
		port_bound "$1" "$2" && return 0
		sleep 0.05
	done
	return 1
}

# within SECONDS COMMAND...: poll every 50 ms for at most SECONDS of the
# clock, however long COMMAND takes (wait_until counts polls: on a slow
# kernel its bound stretches, which a wait for something that times out
# by the clock cannot afford)
within()
{
	local end=$((SECONDS + $1))

	until "${@:2}"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# wait_until SECONDS COMMAND...: poll every 50 ms
wait_until()
{
	local i

	for ((i = 0; i < $1 * 20; i++)); do
		"${@:2}" && return 0
		sleep 0.05
	done
	return 1
}

# modref: how many references hold the module (sockets pin it); "none"
# when the module is not loaded, which no comparison accepts
modref()
{
	cat /sys/module/ttp/refcnt 2>/dev/null || echo none
}

# modref_le N: the module is loaded and at most N references hold it. A
# command for wait_until: it reads the count again on every call.
modref_le()
{
	local r

	r=$(modref)
	[ "$r" != none ] && [ "$r" -le "$1" ]
}
