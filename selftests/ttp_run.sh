#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ttp-run: programs from Debian that nobody here wrote, client and server
# both under ttp-run, in two namespaces joined by veth. Each case checks the
# bytes, and that the traffic was TTP: the namespaces' TTP ActiveOpens and
# PassiveOpens rose, their TCP ones did not.
#
#   socat      a file each way (TCP-LISTEN and TCP:)
#   curl       a 4 MiB file from python3 -m http.server, by host name
#              (/etc/hosts, bind-mounted for the client alone)
#   redis      SET and GET of a 1 MiB value (an epoll-driven server)
#   iperf3     a 4 MiB transfer; both ends report the same count of bytes
#              received (at most what was sent: iperf3 stops counting at its
#              end message, over TCP too)
#
# and, over loopback in one namespace, what a program sees of its sockets
# (python3): AF_INET names from bind, accept, getsockname and getpeername,
# SO_DOMAIN, SO_PROTOCOL, TCP_NODELAY, TCP_INFO; with -u a UDP exchange and
# a socket sending to port 53, which stays UDP; the help text and the
# warning about a static program.

source "$(dirname "$0")/ttp_lib.sh"

TTP_RUN=${TTP_RUN:-$TTP_TOOLS/ttp-run}
IP_B=10.0.1.2
PY=/usr/bin/python3
T=$((60 * TIME_SCALE))

# opens NS: "TTP-active TTP-passive TCP-active TCP-passive" of NS
opens()
{
	local ttp tcp

	ttp=$(snmp "$1" ActiveOpens PassiveOpens)
	snmp_read "$1" snmp Tcp:
	tcp="${SNMP_VALS[5]} ${SNMP_VALS[6]}"
	[ "${SNMP_NAMES[5]} ${SNMP_NAMES[6]}" = "ActiveOpens PassiveOpens" ] ||
		fail "/proc/net/snmp's Tcp: columns: ${SNMP_NAMES[*]}"
	echo "$ttp $tcp"
}

# opens_begin / opens_end WHAT: around a case's traffic, A the client and B
# the server: TTP opens rose by at least MIN (default 1), TCP's not at all
opens_begin()
{
	OA0=$(opens "$A")
	OB0=$(opens "$B")
}

opens_end()
{
	local min=${1:-1} a0 a1 b0 b1

	read -r -a a0 <<< "$OA0"
	read -r -a b0 <<< "$OB0"
	read -r -a a1 <<< "$(opens "$A")"
	read -r -a b1 <<< "$(opens "$B")"
	diag "A: TTP ActiveOpens +$((a1[0] - a0[0])), TCP ActiveOpens +$((a1[2] - a0[2]));" \
	     "B: TTP PassiveOpens +$((b1[1] - b0[1])), TCP PassiveOpens +$((b1[3] - b0[3]))"
	expect_cmp "A's TTP ActiveOpens delta" $((a1[0] - a0[0])) -ge "$min"
	expect_cmp "B's TTP PassiveOpens delta" $((b1[1] - b0[1])) -ge "$min"
	expect_eq "A's TCP ActiveOpens delta" 0 $((a1[2] - a0[2]))
	expect_eq "B's TCP PassiveOpens delta" 0 $((b1[3] - b0[3]))
	expect_eq "B's TCP ActiveOpens delta" 0 $((b1[2] - b0[2]))
	expect_eq "A's TCP PassiveOpens delta" 0 $((a1[3] - a0[3]))
}

# run_in NS CMD...: CMD under ttp-run in NS
run_in()
{
	local ns=$1

	shift
	ip netns exec "$ns" timeout "$T" "$TTP_RUN" "$@"
}

case_socat()
{
	local srv rc

	head -c 1000003 /dev/urandom > "$TMPD/a_file"
	head -c 700001 /dev/urandom > "$TMPD/b_file"
	opens_begin
	run_in "$B" socat -u TCP-LISTEN:7400,bind=$IP_B,reuseaddr "CREATE:$TMPD/at_b" \
		2> "$TMPD/err_b" &
	srv=$!
	wait_until 10 port_bound "$B" 7400 0A || fail "socat TCP-LISTEN: no TTP listener"
	run_in "$A" socat -u "OPEN:$TMPD/a_file" TCP:$IP_B:7400 2> "$TMPD/err_a"
	rc=$?
	expect_eq "socat client's status ($(cat "$TMPD/err_a"))" 0 $rc
	wait $srv
	expect_eq "socat listener's status ($(cat "$TMPD/err_b"))" 0 $?
	cmp "$TMPD/a_file" "$TMPD/at_b" || fail "A to B: the copy differs"

	run_in "$B" socat -u "OPEN:$TMPD/b_file" TCP-LISTEN:7401,bind=$IP_B,reuseaddr \
		2> "$TMPD/err_b" &
	srv=$!
	wait_until 10 port_bound "$B" 7401 0A || fail "socat TCP-LISTEN: no TTP listener"
	run_in "$A" socat -u TCP:$IP_B:7401 "CREATE:$TMPD/at_a" 2> "$TMPD/err_a"
	rc=$?
	expect_eq "socat client's status ($(cat "$TMPD/err_a"))" 0 $rc
	wait $srv
	expect_eq "socat listener's status ($(cat "$TMPD/err_b"))" 0 $?
	cmp "$TMPD/b_file" "$TMPD/at_a" || fail "B to A: the copy differs"
	opens_end 2
}

case_curl()
{
	local rc

	mkdir "$TMPD/www"
	head -c $((4 << 20)) /dev/urandom > "$TMPD/www/file"
	echo "$IP_B ttp-b.test" > "$TMPD/hosts"
	opens_begin
	ip netns exec "$B" timeout "$T" "$TTP_RUN" "$PY" -m http.server --bind $IP_B \
		--directory "$TMPD/www" 7402 > "$TMPD/http.log" 2>&1 &
	CASE_PIDS+=($!)
	wait_until 20 port_bound "$B" 7402 0A || fail "http.server: no TTP listener: $(cat "$TMPD/http.log")"
	# shellcheck disable=SC2016 # the inner shell expands them
	ip netns exec "$A" unshare -m sh -c \
		'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh "$TMPD/hosts" \
		timeout "$T" "$TTP_RUN" curl -sS -o "$TMPD/got" http://ttp-b.test:7402/file \
		2> "$TMPD/err"
	rc=$?
	expect_eq "curl's status ($(cat "$TMPD/err"))" 0 $rc
	expect_eq "sha256 of the file fetched" \
		"$(sha256sum < "$TMPD/www/file")" "$(sha256sum < "$TMPD/got")"
	grep -q '"GET /file HTTP/1.1" 200' "$TMPD/http.log" ||
		fail "http.server's log: $(cat "$TMPD/http.log")"
	opens_end
}

case_redis()
{
	local out

	head -c 786432 /dev/urandom | base64 -w 0 > "$TMPD/value"	# 1 MiB
	opens_begin
	ip netns exec "$B" timeout "$T" "$TTP_RUN" redis-server --bind $IP_B --port 7403 \
		--save '' --appendonly no --protected-mode no --dir "$TMPD" \
		> "$TMPD/redis.log" 2>&1 &
	CASE_PIDS+=($!)
	wait_until 20 port_bound "$B" 7403 0A || fail "redis-server: no TTP listener: $(cat "$TMPD/redis.log")"
	out=$(run_in "$A" redis-cli -h $IP_B -p 7403 -x SET big < "$TMPD/value" 2>&1)
	expect_eq "redis-cli SET" OK "$out"
	run_in "$A" redis-cli -h $IP_B -p 7403 --raw GET big > "$TMPD/got" 2> "$TMPD/err" ||
		fail "redis-cli GET: $(cat "$TMPD/err")"
	echo >> "$TMPD/value"		# --raw ends the value with a newline
	cmp "$TMPD/value" "$TMPD/got" || fail "GET returned other bytes than SET took"
	expect_eq "STRLEN" 1048576 "$(run_in "$A" redis-cli -h $IP_B -p 7403 STRLEN big)"
	opens_end 3
}

# json FILE EXPR: a value of iperf3's JSON report
json()
{
	"$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}

case_iperf3()
{
	local srv rc sent got

	opens_begin
	run_in "$B" iperf3 -s -1 -B $IP_B -p 7404 -J > "$TMPD/srv.json" 2> "$TMPD/srv.err" &
	srv=$!
	wait_until 20 port_bound "$B" 7404 0A || fail "iperf3 -s: no TTP listener"
	run_in "$A" iperf3 -c $IP_B -p 7404 -n 4M -J > "$TMPD/cli.json" 2> "$TMPD/cli.err"
	rc=$?
	expect_eq "iperf3 client's status ($(cat "$TMPD/cli.err"; json "$TMPD/cli.json" "r.get('error')"))" 0 $rc
	wait $srv
	expect_eq "iperf3 server's status ($(cat "$TMPD/srv.err"))" 0 $?
	sent=$(json "$TMPD/cli.json" "r['end']['sum_sent']['bytes']")
	got=$(json "$TMPD/srv.json" "r['end']['sum_received']['bytes']")
	diag "iperf3: client sent $sent bytes, server received $got," \
	     "$(json "$TMPD/cli.json" "int(r['end']['sum_sent']['bits_per_second'] / 1e6)") Mbit/s"
	expect_eq "client's bytes sent" 4194304 "$sent"
	# Both ends report the same count of bytes received: the client's
	# report carries the server's. iperf3's server stops counting when the
	# client's end message arrives on the control connection, while bytes
	# may still be in flight: over TCP too, in this VM, it counted 3669152,
	# 4061728 and 3865496 of 4194304. So received <= sent, not ==.
	expect_eq "bytes received, as the client reports them" "$got" \
		"$(json "$TMPD/cli.json" "r['end']['sum_received']['bytes']")"
	expect_cmp "server's bytes received" "$got" -gt 0
	expect_cmp "server's bytes received" "$got" -le "$sent"
	expect_eq "congestion control iperf3 read (TCP_CONGESTION)" cubic \
		"$(json "$TMPD/cli.json" "r['end'].get('sender_tcp_congestion')")"
	opens_end 2		# the control connection and the data one
}

# What a program sees of its sockets: python3 over loopback in A
SOCKETS_PY='
import socket, struct
S = socket
l = S.socket(); l.bind(("127.0.0.1", 0)); l.listen()
c = S.create_connection(l.getsockname()); a, peer = l.accept()
print(l.family == S.AF_INET, l.getsockopt(S.SOL_SOCKET, S.SO_DOMAIN),
      l.getsockopt(S.SOL_SOCKET, S.SO_PROTOCOL), l.getsockopt(S.SOL_SOCKET, S.SO_TYPE))
print(peer == c.getsockname(), a.getpeername() == c.getsockname(),
      c.getpeername() == l.getsockname())
c.setsockopt(S.IPPROTO_TCP, S.TCP_NODELAY, 1)
print(c.getsockopt(S.IPPROTO_TCP, S.TCP_NODELAY) != 0)
c.sendall(b"x" * 100000)
n = 0
while n < 100000:
    n += len(a.recv(65536))
a.sendall(b"y")
c.recv(1)   # its segment acknowledges all 100000
info = c.getsockopt(S.IPPROTO_TCP, S.TCP_INFO, 232)
print(info[0], struct.unpack_from("I", info, 8)[0] > 0,
      struct.unpack_from("Q", info, 120)[0])
try:
    c.setsockopt(S.IPPROTO_TCP, 9999, 1)
except OSError as e:
    print(e.errno == 92)
'
case_sockets()
{
	local out ttp0 ttp1

	ttp0=$(snmp "$A" ActiveOpens)
	out=$(ip netns exec "$A" timeout "$T" "$TTP_RUN" "$PY" -c "$SOCKETS_PY" 2>&1)
	ttp1=$(snmp "$A" ActiveOpens)
	# family, SO_DOMAIN 2, SO_PROTOCOL 6, SO_TYPE 1; names; TCP_NODELAY;
	# TCP_INFO: ESTABLISHED (1), an RTO, 100000 bytes acked; an unknown
	# TCP option: ENOPROTOOPT (92)
	expect_eq "what python3 saw" "True 2 6 1
True True True
True
1 True 100000
True" "$out"
	expect_eq "TTP ActiveOpens delta" 1 $((ttp1 - ttp0))
}

DGRAM_PY='
import socket
S = socket
r = S.socket(S.AF_INET, S.SOCK_DGRAM); r.bind(("127.0.0.1", 0))
s = S.socket(S.AF_INET, S.SOCK_DGRAM)
s.sendto(b"over ttp", r.getsockname())
data, frm = r.recvfrom(100)
print(data.decode(), frm == ("127.0.0.1", s.getsockname()[1]),
      r.getsockopt(S.SOL_SOCKET, S.SO_PROTOCOL))
d = S.socket(S.AF_INET, S.SOCK_DGRAM)
d.sendto(b"q", ("127.0.0.1", 53))
print(d.getsockname()[1] > 0)
'
# udp_out NS: UDP's OutDatagrams in NS
udp_out()
{
	snmp_read "$1" snmp Udp:
	[ "${SNMP_NAMES[4]}" = OutDatagrams ] || fail "/proc/net/snmp's Udp: columns: ${SNMP_NAMES[*]}"
	echo "${SNMP_VALS[4]}"
}

case_dgram()
{
	local out ttp0 ttp1 udp0 udp1

	ttp0=$(snmp "$A" OutDatagrams InDatagrams)
	udp0=$(udp_out "$A")
	out=$(ip netns exec "$A" timeout "$T" "$TTP_RUN" -u -v "$PY" -c "$DGRAM_PY" 2> "$TMPD/err")
	ttp1=$(snmp "$A" OutDatagrams InDatagrams)
	udp1=$(udp_out "$A")
	expect_eq "what python3 saw" "over ttp True 17
True" "$out"
	expect_eq "ttp-run -v: three TTP datagram sockets, the third UDP again" \
		"ttp-run: fd N: TTP datagram socket for AF_INET
ttp-run: fd N: TTP datagram socket for AF_INET
ttp-run: fd N: TTP datagram socket for AF_INET
ttp-run: fd N: UDP again (port 53)" "$(sed 's/fd [0-9]*/fd N/' "$TMPD/err")"
	read -r -a ttp0 <<< "$ttp0"
	read -r -a ttp1 <<< "$ttp1"
	expect_eq "TTP OutDatagrams and InDatagrams deltas: the one exchange" "1 1" \
		"$((ttp1[0] - ttp0[0])) $((ttp1[1] - ttp0[1]))"
	expect_eq "UDP OutDatagrams delta: the query to port 53" 1 $((udp1 - udp0))
}

case_help()
{
	"$TTP_RUN" --help | grep -q "static binaries" || fail "--help says nothing of static binaries"
	expect_eq "ttp-run on a static program: its warning" \
		"ttp-run: warning: /bin/busybox is static: its sockets stay TCP/UDP" \
		"$("$TTP_RUN" /bin/busybox true 2>&1)"
	"$TTP_RUN" 2> /dev/null
	expect_eq "ttp-run without a program: status" 2 $?
}

require_basics
for t in socat curl redis-server redis-cli iperf3 "$PY" unshare; do
	command -v "$t" > /dev/null || bail_out "$t missing (make deps installs it)"
done
[ -x "$TTP_RUN" ] || bail_out "$TTP_RUN not built"
setup_ns A B || bail_out "cannot create namespaces"
link_ns "$A" va "$B" vb 10.0.1 || bail_out "cannot create a veth pair"

tap_begin 7
run_case "ttp_run: --help, a static program's warning" case_help
run_case "ttp_run: what python3 sees of its sockets" case_sockets
run_case "ttp_run: -u: datagrams, port 53 stays UDP" case_dgram
run_case "ttp_run: socat, a file each way" case_socat
run_case "ttp_run: curl from python3 -m http.server by host name" case_curl
run_case "ttp_run: redis-server and redis-cli, a 1 MiB value" case_redis
run_case "ttp_run: iperf3, 4 MiB, both ends report the same count" case_iperf3
tap_end
