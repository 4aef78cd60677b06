#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module lifetime: an open socket pins ttp.ko (rmmod fails, also when its
# namespace was deleted), the last close lets rmmod succeed and leave
# nothing behind, insmod $TTP_KO works again, and the family/protocol
# parameters refuse numbers in use. A namespace deleted with stream sockets
# in every state lets the module go once they end. The module is loaded
# again at the end.
#
# UNLOAD_QUICK=1 (the debug kernel's parts of make check but the last, each
# ending with this script): only rmmod, nothing left behind, and insmod
# again, after the tests before it in the same VM; the namespace and
# parameter cases, a few minutes there, run once, in the last part.
#
# "Nothing behind" includes TTP's slab cache ("TTP", made by proto_register):
# it must be in /proc/slabinfo while the module is loaded and gone after
# rmmod. The kernel merges it into a compatible cache unless booted with
# slab_nomerge (the test VMs are), and a merged cache has no line of its
# own: then the check fails rather than checking nothing.

source "$(dirname "$0")/ttp_lib.sh"

TTPCONN=$TTP_DIR/ttpconn
# the every-state case waits a minute for TIME_WAIT to run out
CASE_TIMEOUT=$((CASE_TIMEOUT * 2))

loaded()
{
	grep -q '^ttp ' /proc/modules
}

ensure_loaded()
{
	loaded || insmod "$TTP_KO"
}

# REF_WAIT: how long the last references may take to drop once every
# socket is closed. Sockets are freed after an RCU grace period, and a
# socket whose packets still wait in a queue (a neighbour being resolved,
# a qdisc) lives until they leave it; a test that leaves such packets
# behind must not make rmmod fail forever, but nor may it go unnoticed.
REF_WAIT=${REF_WAIT:-40}

# rmmod once the module's reference count is 0 (bounded wait, REF_WAIT s)
try_rmmod()
{
	local i

	if ! wait_until "$REF_WAIT" modref_le 0; then
		echo "module references still $(modref) after ${REF_WAIT}s"
		return 1
	fi
	for i in $(seq 30); do
		rmmod ttp 2> "$TMPD/rmmod.err" && return 0
		sleep 0.1
	done
	cat "$TMPD/rmmod.err"
	return 1
}

# slab_objs: active objects of the TTP slab cache; fails without its line
slab_objs()
{
	awk '$1 == "TTP" { print $2; found = 1 } END { exit !found }' \
		/proc/slabinfo
}

start_holder()
{
	bg ip netns exec "$1" "$TTPDG" hold 7000
	HOLDER=$!
	wait_port "$1" 7000 || fail "holder did not bind"
}

case_refused_while_open()
{
	local ref0 objs

	ref0=$(modref)
	start_holder "$A"
	expect_cmp "module references with a socket open" "$(modref)" -gt "$ref0"
	objs=$(slab_objs) ||
		fail "no TTP line in /proc/slabinfo (cache merged? slab_nomerge)"
	expect_cmp "TTP slab objects with a socket open" "$objs" -ge 1
	rmmod ttp 2> /dev/null && fail "rmmod succeeded with a socket open"
	loaded || fail "module gone"
	[ -r /proc/net/ttp ] || fail "/proc/net/ttp gone"
	ip netns exec "$A" timeout 10 "$TTPDG" ping 127.0.0.1 7000 ||
		fail "the open socket stopped working"
}

case_unload_after_close()
{
	try_rmmod || fail "rmmod failed after every socket closed"
	loaded && fail "still in /proc/modules"
	true
}

case_nothing_left()
{
	local f

	loaded && fail "module is still loaded"
	for f in /proc/net/ttp /proc/net/ttp_snmp /proc/sys/net/ttp \
		 /sys/module/ttp; do
		[ -e "$f" ] && fail "$f still exists"
	done
	ip netns exec "$A" sh -c '[ ! -e /proc/net/ttp ]' ||
		fail "/proc/net/ttp still exists in a namespace"
	"$TTPDG" probe > /dev/null && fail "TTP sockets can still be made"
	grep -qx TTP "$TMPD/slabs" ||
		fail "TTP's slab cache was not in /proc/slabinfo before rmmod"
	grep -w -f "$TMPD/slabs" /proc/slabinfo && fail "slab caches left"
	true
}

case_reload()
{
	insmod "$TTP_KO" || fail "insmod $TTP_KO"
	[ -r /proc/net/ttp ] || fail "no /proc/net/ttp"
	start_holder "$A"
	ip netns exec "$A" timeout 10 "$TTPDG" ping 127.0.0.1 7000 ||
		fail "no datagrams after reload"
}

case_deleted_netns_pins()
{
	ip netns add "$C" || fail "ip netns add"
	ip -n "$C" link set lo up
	start_holder "$C"
	ip netns del "$C" || fail "ip netns del"
	rmmod ttp 2> /dev/null &&
		fail "rmmod succeeded with a socket open in a deleted namespace"
	kill -9 "$HOLDER"
	wait "$HOLDER" 2> /dev/null
	try_rmmod || fail "rmmod failed after the namespace went away"
	insmod "$TTP_KO" || fail "insmod"
}

# states_in NS: the states of NS's stream sockets, as the table prints
# them, in STATES (" 01 0A ...", each once); no process forked: on the
# debug kernel every fork counts
states_in()
{
	local l f

	ns_lines "$1" ttp
	STATES=' '
	for l in "${LINES[@]:1}"; do
		read -r -a f <<< "$l"
		[ "${f[4]}" = 01 ] && [[ $STATES != *" ${f[3]} "* ]] &&
			STATES+="${f[3]} "
	done
}

# has_states NS STATE...: NS has stream sockets in each STATE
has_states()
{
	local st

	states_in "$1"
	for st in "${@:2}"; do
		[[ $STATES == *" $st "* ]] || return 1
	done
}

# A namespace D holds stream sockets in every state, its peer A behind a
# black hole (nothing of TTP leaves D): ESTABLISHED, SYN_SENT, SYN_RECV (a
# child whose SYN-ACK is lost), FIN_WAIT1 with data in flight, FIN_WAIT2
# and TIME_WAIT (fin_timeout, tw_timeout_ms: 60 s; the waits for the
# states are bounded by the clock, 20 s each, so that both are still there
# on a loaded debug kernel), a listener with children it never accepted. D's
# processes are killed (orphans now, in FIN_WAIT1 among them) and D
# deleted: every socket must end (orphans by net.ttp.orphan_retries=1),
# the namespace with them, the module's references drop to 0, rmmod
# succeeds and leaves no slab object (kmem_cache_destroy would complain,
# and the stream's or the datagram's memory accounting reports pages still
# charged: the dmesg check fails on either), and insmod works again.
case_netns_del_every_state()
{
	local want="01 02 03 04 05 06 0A" p

	setup_ns D || fail "ip netns add"
	CASE_PIDS+=("${NS_PID[$D]}")	# its anchor process ends with the case
	link_ns "$A" vx "$D" vy 10.0.5 || fail "veth"
	ns_sysctl "$D" net.ttp.orphan_retries=1 net.ttp.fin_timeout=60 \
		net.ttp.tw_timeout_ms=60000
	ns_sysctl "$A" net.ttp.orphan_retries=1
	for p in 7001 7002 7003; do
		bg ip netns exec "$A" "$TTPCONN" listen $p hold > /dev/null
	done
	bg ip netns exec "$A" "$TTPCONN" listen 7004 recveof close hold \
		> /dev/null
	for p in 7001 7002 7003 7004; do
		wait_port "$A" $p || fail "A's listener on $p"
	done
	bg ip netns exec "$D" "$TTPCONN" connect 10.0.5.1 7001 hold > /dev/null
	bg ip netns exec "$D" "$TTPCONN" connect 10.0.5.1 7002 \
		wait "$TMPD/go" send 20000 shut hold > /dev/null
	bg ip netns exec "$D" "$TTPCONN" connect 10.0.5.1 7003 close hold \
		> /dev/null
	bg ip netns exec "$D" "$TTPCONN" connect 10.0.5.1 7004 close hold \
		> /dev/null
	bg ip netns exec "$D" "$TTPCONN" backlog 8000 hold > /dev/null
	wait_port "$D" 8000 || fail "D's listener"
	for p in 1 2; do
		bg ip netns exec "$A" "$TTPCONN" connect 10.0.5.2 8000 hold \
			> /dev/null
	done
	within 20 has_states "$D" 01 05 06 0A ||
		fail "D before the black hole:$STATES"

	ttp_netem "$D" vy loss 100% || fail "netem on D"
	touch "$TMPD/go"
	bg ip netns exec "$D" "$TTPCONN" connect 10.0.5.1 7009 hold > /dev/null
	bg ip netns exec "$A" "$TTPCONN" connect 10.0.5.2 8000 hold > /dev/null
	# shellcheck disable=SC2086 # one state a word
	within 20 has_states "$D" $want ||
		fail "D's states:$STATES, not all of $want"
	diag "D's states:$STATES"

	ip netns pids "$D" | xargs -r kill -9
	ip netns del "$D" || fail "ip netns del"
	case_cleanup	# A's ends too
	CASE_PIDS=()
	# TIME_WAIT and FIN_WAIT2 run out within 60 s of their start
	REF_WAIT=90 try_rmmod || fail "rmmod after the namespace was deleted"
	grep -w -f "$TMPD/slabs" /proc/slabinfo && fail "slab caches left"
	insmod "$TTP_KO" || fail "insmod"
}

# insmod_refused PARAM=VALUE: insmod fails and says so naming PARAM
insmod_refused()
{
	local n0

	loaded && { try_rmmod || fail "rmmod"; }
	n0=$(dmesg | wc -l)
	insmod "$TTP_KO" "$1" 2> /dev/null && fail "insmod $1 succeeded"
	loaded && fail "module loaded with $1"
	dmesg | tail -n +$((n0 + 1)) > "$TMPD/dmesg"
	cat "$TMPD/dmesg"
	grep -q -w "${1%%=*}" "$TMPD/dmesg" ||
		fail "no kernel message naming '${1%%=*}'"
	insmod "$TTP_KO" || fail "insmod with defaults"
}

case_family_taken()
{
	insmod_refused family=2
}

case_protocol_taken()
{
	insmod_refused protocol=17
}

case_other_numbers()
{
	try_rmmod || fail "rmmod"
	insmod "$TTP_KO" family=13 protocol=254 || fail "insmod"
	expect_eq "family" 13 "$(cat /sys/module/ttp/parameters/family)"
	expect_eq "protocol" 254 "$(cat /sys/module/ttp/parameters/protocol)"
	start_holder "$A"
	ip netns exec "$A" timeout 10 "$TTPDG" ping 127.0.0.1 7000 ||
		fail "no datagrams with family 13"
	kill -9 "$HOLDER"
	wait "$HOLDER" 2> /dev/null
	try_rmmod || fail "rmmod"
	insmod "$TTP_KO" || fail "insmod with defaults"
	expect_eq "family" 22 "$(cat /sys/module/ttp/parameters/family)"
}

[ "${TTP_TEST_AS_UDP:-0}" = 1 ] && skip_all "module test: TTP only"
[ -r /proc/modules ] || skip_all "no loadable modules here"
[ -n "${TTP_KO:-}" ] && [ -r "$TTP_KO" ] || bail_out "TTP_KO (the ttp.ko to load) not set"
loaded || bail_out "ttp is not loaded"
require_basics
trap 'ensure_loaded; ttp_cleanup' EXIT
setup_ns A || bail_out "cannot create namespaces"
C=ttp-c-$$-$RANDOM
NS_LIST+=("$C")
# the slab caches the module owns (TTP's own must be one), to check that
# they go away
awk 'NR > 2 && tolower($1) ~ /ttp/ { print $1 }' /proc/slabinfo \
	> "$TMPD/slabs" 2> /dev/null

if [ "${UNLOAD_QUICK:-0}" = 1 ]; then
	tap_begin 5
else
	tap_begin 10
fi
run_case "unload: rmmod refused while a socket is open" case_refused_while_open
run_case "unload: rmmod succeeds after the last close" case_unload_after_close
run_case "unload: nothing left after rmmod" case_nothing_left
run_case "unload: insmod again, datagrams flow" case_reload
if [ "${UNLOAD_QUICK:-0}" = 1 ]; then
	run_case "unload: module loaded again at the end" loaded
	tap_end
fi
run_case "unload: a socket in a deleted namespace pins the module" case_deleted_netns_pins
run_case "unload: a namespace deleted with sockets in every state lets go" case_netns_del_every_state
run_case "unload: insmod refuses a family in use" case_family_taken
run_case "unload: insmod refuses a protocol in use" case_protocol_taken
run_case "unload: family=13 protocol=254 work" case_other_numbers
ensure_loaded
run_case "unload: module loaded again at the end" loaded
tap_end
