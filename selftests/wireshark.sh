#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Wireshark dissector (userspace/wireshark/ttp.lua) on a capture of real
# TTP traffic: tcpdump -w on A's end of a veth pair (checksum offload off,
# so every packet carries its full checksum) while A and B exchange, with
# known ISNs (net.ttp.stream_isn):
#
#   stream 0  port 7300: handshake, an HTTP request from A and a response
#             from B at once, FIN both ways;
#   stream 1  port 7301: a line, then a second one while netem drops all of
#             B's packets, so that A sends it again after its RTO;
#   stream 2  port 7302: a SYN to a closed port, answered with a reset;
#   a datagram from port 7304 to 7303.
#
# tshark -X lua_script:ttp.lua -T fields decodes the capture; each case
# checks the decoded values against what was sent: ports, flags by name,
# raw and relative sequence and acknowledgement numbers, MSS and timestamp
# options, payload bytes, stream indexes, the retransmission mark, the
# checksum status (Good on every packet; Bad, with the right calculated
# value, on a copy of the datagram whose checksum was altered; Unverified
# with ttp253.check_checksum off), and the payload handed to Wireshark's
# HTTP dissector through Decode As (tcp.port, which the dissector consults
# after its own ttp253.port table).
#
# Follow Stream (the plugin ttp_follow.so, run as nobody: Wireshark loads
# no personal plugin as root): on the capture, each stream's bytes as each
# side wrote them, the resent line once; on crafted segments (ttp_pcap.py),
# an overlap, a segment past a gap and a duplicate, each byte once and in
# order, and only the stream asked for.

source "$(dirname "$0")/ttp_lib.sh"

TTPCAT=${TTPCAT:-$TTP_TOOLS/ttpcat}
TTP_LUA=${TTP_LUA:-$TTP_TOOLS/ttp.lua}
TTP_FOLLOW=${TTP_FOLLOW:-$TTP_TOOLS/ttp_follow.so}
IP_B=10.0.1.2
ISN_A=1000
ISN_B=4294967000	# B's numbers wrap: relative ones must not
CAP=$TMPD/cap.pcap
REQ=$'GET /ttp HTTP/1.1\r\nHost: b\r\n\r\n'
RESP=$'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nttp'
DGRAM=dgram-payload

# tshark_fields PCAP OUT TSHARK-ARGS...: ttp.lua's decoding of PCAP, one
# line per frame, the fields of FIELDS tab-separated, to OUT
FIELDS=(frame.number ttp253.stream ttp253.srcport ttp253.dstport ttp253.type
	ttp253.flags.str ttp253.seq ttp253.seq_raw ttp253.ack ttp253.ack_raw
	ttp253.payload_len ttp253.payload ttp253.checksum.status
	ttp253.options.mss_val ttp253.options.timestamp.tsval
	ttp253.analysis.retransmission ttp253.checksum ttp253.checksum_calculated
	ttp253.len ttp253.doff ttp253.window)
tshark_fields()
{
	local pcap=$1 out=$2 f args=()

	shift 2
	for f in "${FIELDS[@]}"; do
		args+=(-e "$f")
	done
	tshark -n -r "$pcap" -X "lua_script:$TTP_LUA" "$@" -T fields \
		-E occurrence=f "${args[@]}" > "$out" 2> "$out.err" &&
		! grep -q "Lua: Error" "$out.err"
}

# rows FILE AWK-CONDITION NAME...: the fields NAME of the rows matching the
# condition, which names fields as $f["ttp253.x"]
rows()
{
	local file=$1 cond=$2 names=("${@:3}")

	awk -F '\t' -v want="${names[*]}" -v all="${FIELDS[*]}" '
		BEGIN { n = split(all, h, " "); m = split(want, w, " ") }
		{
			for (i = 1; i <= n; i++)
				f[h[i]] = $i
			if (!('"$cond"'))
				next
			line = ""
			for (i = 1; i <= m; i++)
				line = line (i > 1 ? " " : "") f[w[i]]
			print line
		}' "$file"
}

hex()
{
	printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'
}

# The traffic, captured; a failure here is the set-up's
make_traffic()
{
	local srv cli r0

	STEP=tcpdump
	set_isn "$A" $ISN_A > /dev/null
	set_isn "$B" $ISN_B > /dev/null
	ip netns exec "$A" tcpdump -i va --immediate-mode -U -n -Z root -s 0 -w "$CAP" "ip proto $IPPROTO" \
		2> "$TMPD/tcpdump.err" &
	TCPDUMP=$!
	wait_until 20 grep -q "listening on" "$TMPD/tcpdump.err" || return 1

	STEP='stream 0'
	printf '%s' "$RESP" > "$TMPD/resp"
	printf '%s' "$REQ" > "$TMPD/req"
	ip netns exec "$B" timeout 30 "$TTPCAT" -l 7300 < "$TMPD/resp" > "$TMPD/at_b0" &
	srv=$!
	wait_until 10 port_bound "$B" 7300 0A || return 1
	ip netns exec "$A" timeout 30 "$TTPCAT" "$IP_B" 7300 < "$TMPD/req" > "$TMPD/at_a0" ||
		return 1
	wait "$srv" || return 1
	cmp -s "$TMPD/req" "$TMPD/at_b0" && cmp -s "$TMPD/resp" "$TMPD/at_a0" || return 1

	STEP='stream 1'
	ip netns exec "$B" timeout 30 "$TTPCAT" -l 7301 < /dev/null > "$TMPD/at_b1" &
	srv=$!
	wait_until 10 port_bound "$B" 7301 0A || return 1
	ip netns exec "$A" timeout 30 "$TTPCAT" "$IP_B" 7301 < "$TMPD/fifo" > /dev/null &
	cli=$!
	exec 3> "$TMPD/fifo"
	echo first >&3
	wait_until 10 size_is "$TMPD/at_b1" 6 || return 1
	# B's ACK of it leaves before the loss begins (delayed ACK: 40 ms)
	sleep "$TIME_SCALE"
	r0=$(snmp "$A" RetransSegs)
	ttp_netem "$B" vb loss 100% || return 1
	echo second >&3
	wait_until 20 retrans_over "$r0" || return 1
	tc -n "$B" qdisc del dev vb root || return 1
	wait_until 20 size_is "$TMPD/at_b1" 13 || return 1
	exec 3>&-
	wait "$cli" && wait "$srv" || return 1

	STEP='stream 2'
	! ip netns exec "$A" timeout 10 "$TTPCAT" "$IP_B" 7302 < /dev/null 2> /dev/null ||
		return 1

	STEP='the datagram'
	ip netns exec "$B" timeout 10 "$TTPDG" rx -t 5000 7303 > "$TMPD/dg" 2> /dev/null &
	srv=$!
	wait_until 10 port_bound "$B" 7303 || return 1
	printf '%s' "$DGRAM" | ip netns exec "$A" "$TTPDG" tx -p 7304 "$IP_B" 7303 ||
		return 1
	wait "$srv" || return 1
	[ "$(cat "$TMPD/dg")" = "$DGRAM" ] || return 1

	STEP='tcpdump -w'
	sleep 0.5
	kill -INT "$TCPDUMP"
	wait "$TCPDUMP"
	grep -q "packets captured" "$TMPD/tcpdump.err"
}

size_is()
{
	[ "$(stat -c %s "$1")" = "$2" ]
}

retrans_over()
{
	[ "$(snmp "$A" RetransSegs)" -gt "$1" ]
}

F=$TMPD/fields

case_handshake()
{
	local syn synack ack

	syn=$(rows "$F" 'f["ttp253.flags.str"] == "S···"' ttp253.stream ttp253.srcport \
		ttp253.dstport ttp253.seq ttp253.seq_raw ttp253.options.mss_val \
		ttp253.doff ttp253.type ttp253.checksum.status | head -n 1)
	read -r -a s <<< "$syn"
	expect_eq "SYN's stream" 0 "${s[0]}"
	expect_cmp "SYN's source port" "${s[1]}" -ge 1024
	expect_eq "SYN's destination port" 7300 "${s[2]}"
	expect_eq "SYN's relative seq" 0 "${s[3]}"
	expect_eq "SYN's raw seq" $ISN_A "${s[4]}"
	expect_eq "SYN's MSS (1500 - 20 - 24)" 1456 "${s[5]}"
	expect_eq "SYN's Data Offset (6 + MSS 1 + timestamps 3)" 10 "${s[6]}"
	expect_eq "SYN's type" 2 "${s[7]}"
	expect_eq "SYN's checksum status" 1 "${s[8]}"
	SPORT=${s[1]}
	synack=$(rows "$F" 'f["ttp253.flags.str"] == "SA··" && f["ttp253.stream"] == 0' \
		ttp253.srcport ttp253.dstport ttp253.seq ttp253.seq_raw ttp253.ack ttp253.ack_raw \
		ttp253.options.mss_val)
	expect_eq "SYN-ACK: ports, seq, raw seq, ack, raw ack, MSS" \
		"7300 $SPORT 0 $ISN_B 1 $((ISN_A + 1)) 1456" "$synack"
	ack=$(rows "$F" 'f["ttp253.stream"] == 0 && f["ttp253.flags.str"] == "·A··"' \
		ttp253.srcport ttp253.seq ttp253.ack ttp253.ack_raw | head -n 1)
	expect_eq "third segment: from A, seq, ack, raw ack (B's ISN + 1 wraps)" \
		"$SPORT 1 1 $(((ISN_B + 1) % 4294967296))" "$ack"
	expect_cmp "TSval on the SYN" \
		"$(rows "$F" 'f["ttp253.flags.str"] == "S···"' ttp253.options.timestamp.tsval |
		   head -n 1)" -gt 0
}

case_data()
{
	local a b

	a=$(rows "$F" 'f["ttp253.stream"] == 0 && f["ttp253.payload_len"] > 0 &&
		      f["ttp253.dstport"] == 7300' ttp253.seq ttp253.payload_len ttp253.payload)
	b=$(rows "$F" 'f["ttp253.stream"] == 0 && f["ttp253.payload_len"] > 0 &&
		      f["ttp253.srcport"] == 7300' ttp253.seq ttp253.payload_len ttp253.payload)
	expect_eq "A's data segment: seq, payload length, bytes" \
		"1 ${#REQ} $(hex "$REQ")" "$a"
	expect_eq "B's data segment: seq, payload length, bytes" \
		"1 ${#RESP} $(hex "$RESP")" "$b"
	expect_eq "ttp253.len of A's data segment (header + payload)" \
		$((36 + ${#REQ})) "$(rows "$F" 'f["ttp253.payload_len"] == '${#REQ} ttp253.len)"
}

case_close()
{
	local fins

	fins=$(rows "$F" 'f["ttp253.stream"] == 0 && f["ttp253.flags.str"] == "·AF·"' \
		ttp253.dstport ttp253.seq | sort)
	expect_eq "FINs: to B at seq 1 + request, to A at 1 + response" \
		"$(printf '%s\n' "$SPORT_FIN_B" "$SPORT_FIN_A" | sort)" "$fins"
	rst=$(rows "$F" 'f["ttp253.dstport"] == 7302 || f["ttp253.srcport"] == 7302' \
		ttp253.stream ttp253.flags.str ttp253.seq ttp253.ack)
	expect_eq "stream 2: a SYN and its reset (RST, ACK of ISN + 1)" \
		"2 S··· 0 "$'\n'"2 ·A·R 0 1" "$rst"
}

case_retrans()
{
	local seen

	seen=$(rows "$F" 'f["ttp253.stream"] == 1 && f["ttp253.payload_len"] > 0' \
		ttp253.seq ttp253.payload ttp253.analysis.retransmission | sort -u)
	expect_eq "stream 1's data: 'first' once, 'second' sent and marked resent" \
		"1 $(hex $'first\n') "$'\n'"7 $(hex $'second\n') "$'\n'"7 $(hex $'second\n') 1" \
		"$seen"
	expect_eq "only stream 1 is marked" "1" \
		"$(rows "$F" 'f["ttp253.analysis.retransmission"] == 1' ttp253.stream | sort -u)"
}

case_datagram()
{
	expect_eq "datagram: ports, type, flags, length, payload, checksum status" \
		"7304 7303 1 ···· $((12 + ${#DGRAM})) ${#DGRAM} $(hex "$DGRAM") 1 3" \
		"$(rows "$F" 'f["ttp253.type"] == 1' ttp253.srcport ttp253.dstport ttp253.type \
			ttp253.flags.str ttp253.len ttp253.payload_len ttp253.payload \
			ttp253.checksum.status ttp253.doff)"
	expect_eq "no stream index on a datagram" "" \
		"$(rows "$F" 'f["ttp253.type"] == 1' ttp253.stream)"
}

case_checksums()
{
	expect_eq "frames whose checksum is not Good" "" \
		"$(rows "$F" 'f["ttp253.checksum.status"] != 1' frame.number)"
	expect_cmp "frames decoded" "$(wc -l < "$F")" -ge 15
}

# A copy of the datagram with its checksum changed: Bad, and the calculated
# value is the one the sender put in
case_bad_checksum()
{
	local n good off

	n=$(rows "$F" 'f["ttp253.type"] == 1' frame.number)
	good=$(rows "$F" 'f["ttp253.type"] == 1' ttp253.checksum)
	editcap -F pcap -r "$CAP" "$TMPD/dg.pcap" "$n" || fail "editcap"
	# pcap header 24, record header 16, Ethernet 14, IPv4 20, then TTP
	off=$((24 + 16 + 14 + 20 + 6))
	printf '\x12\x34' | dd of="$TMPD/dg.pcap" bs=1 seek=$off conv=notrunc 2> /dev/null
	tshark_fields "$TMPD/dg.pcap" "$TMPD/bad" || fail "tshark: $(cat "$TMPD/bad.err")"
	expect_eq "altered datagram: checksum, status, calculated" "0x1234 0 $good" \
		"$(rows "$TMPD/bad" 1 ttp253.checksum ttp253.checksum.status \
			ttp253.checksum_calculated)"
	tshark -n -r "$TMPD/dg.pcap" -X "lua_script:$TTP_LUA" -z expert,error \
		-q > "$TMPD/expert" 2>&1 || fail "tshark -z expert"
	grep -q "Bad checksum" "$TMPD/expert" || fail "no 'Bad checksum' expert info: $(cat "$TMPD/expert")"
	tshark_fields "$TMPD/dg.pcap" "$TMPD/off" -o ttp253.check_checksum:FALSE ||
		fail "tshark: $(cat "$TMPD/off.err")"
	expect_eq "ttp253.check_checksum off: status Unverified" 2 \
		"$(rows "$TMPD/off" 1 ttp253.checksum.status)"
}

case_decode_as()
{
	tshark -n -r "$CAP" -X "lua_script:$TTP_LUA" -d tcp.port==7300,http \
		-Y http -T fields -e http.request.uri -e http.response.code \
		> "$TMPD/http" 2> "$TMPD/http.err" || fail "tshark: $(cat "$TMPD/http.err")"
	# either may come first: both sides send at once
	expect_eq "HTTP over stream 0: the response's code, the request's URI" \
		$'\t200\n/ttp\t' "$(LC_ALL=C sort "$TMPD/http")"
}

# follow PCAP N: tshark's Follow Stream of TTP stream N (or of the
# connection "ADDR:PORT,ADDR:PORT") in raw mode, the lines after the two
# "Node" lines (one per record, the server's indented)
follow()
{
	setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$TMPD/home" \
		tshark -n -q -r "$1" -X "lua_script:$TMPD/home/ttp.lua" -z "follow,ttp253_follow,raw,$2" \
		2> "$TMPD/follow.err" | awk '/^Node 1:/ { on = 1; next } /^=+$/ { on = 0 } on'
}

case_follow()
{
	expect_eq "stream 0: A's request, B's response" \
		"$(printf '%s\n\t%s' "$(hex "$REQ")" "$(hex "$RESP")" | sort)" \
		"$(follow "$CAP" 0 | sort)"
	expect_eq "stream 1: both lines once (the second was sent twice)" \
		"$(hex $'first\n')"$'\n'"$(hex $'second\n')" "$(follow "$CAP" 1)"
	expect_eq "stream 2 (SYN, reset): no data" "" "$(follow "$CAP" 2)"
	[ ! -s "$TMPD/follow.err" ] || fail "tshark: $(cat "$TMPD/follow.err")"
}

# A's bytes 10-12 (past a gap, before any other), 1-6, B's 1-3, then A's
# 4-9 (4-6 again), 1-6 again; a second connection's 3 bytes between; a
# third on loopback
case_follow_crafted()
{
	local a=10.9.0.1 b=10.9.0.2

	"$(dirname "$0")/ttp_pcap.py" > "$TMPD/crafted.pcap" <<-EOF || fail "ttp_pcap.py"
		$a $b 40000 7399 100 0 1
		$b $a 7399 40000 5000 101 3
		$a $b 40000 7399 110 5001 2 jkl
		$a $b 40000 7399 101 5001 2 abcdef
		$a $b 40001 7399 900 0 1
		$b $a 7399 40000 5001 107 2 XYZ
		$a $b 40000 7399 104 5004 2 defghi
		$a $b 40000 7399 101 5004 2 abcdef
		$a $b 40001 7399 901 0 2 zzz
		$a $b 40000 7399 113 5004 6
		127.0.0.1 127.0.0.1 40002 7399 7 0 1
		127.0.0.1 127.0.0.1 7399 40002 70 8 3
		127.0.0.1 127.0.0.1 40002 7399 8 71 2 ping
		127.0.0.1 127.0.0.1 7399 40002 71 12 2 pong
	EOF
	chmod a+r "$TMPD/crafted.pcap"
	expect_eq "stream 0: abcdef, B's XYZ, then ghi and the held jkl" \
		"$(hex abcdef)"$'\n\t'"$(hex XYZ)"$'\n'"$(hex ghi)"$'\n'"$(hex jkl)" \
		"$(follow "$TMPD/crafted.pcap" 0)"
	expect_eq "stream 1: its own bytes only" "$(hex zzz)" "$(follow "$TMPD/crafted.pcap" 1)"
	expect_eq "stream 1 named by its addresses and ports" "$(hex zzz)" \
		"$(follow "$TMPD/crafted.pcap" "$b:7399,$a:40001")"
	expect_eq "stream 2, one address both ways: the ports tell the sides" \
		"$(hex ping)"$'\n\t'"$(hex pong)" "$(follow "$TMPD/crafted.pcap" 2)"
	[ ! -s "$TMPD/follow.err" ] || fail "tshark: $(cat "$TMPD/follow.err")"
}

# Wireshark's personal plugin folder under $TMPD/home, for nobody, and
# ttp.lua beside it (the checkout may be where nobody cannot read)
follow_plugin()
{
	local dir

	dir=$(HOME="$TMPD/home" tshark -G folders 2>/dev/null |
	      sed -n 's/^Personal Plugins:[[:space:]]*//p')
	[ -n "$dir" ] && mkdir -p "$dir/epan" && cp "$TTP_FOLLOW" "$dir/epan/" &&
		cp "$TTP_LUA" "$TMPD/home/ttp.lua" &&
		chmod -R a+rX "$TMPD" && chmod a+r "$CAP"
}

require_basics
for t in tshark tcpdump editcap setpriv; do
	command -v $t > /dev/null || bail_out "$t missing (make deps installs it)"
done
[ -x "$TTPCAT" ] || bail_out "$TTPCAT not built"
[ -r "$TTP_LUA" ] || bail_out "$TTP_LUA missing"
[ -r "$TTP_FOLLOW" ] || bail_out "$TTP_FOLLOW missing (libwireshark-dev: make deps)"
setup_ns A B || bail_out "cannot create namespaces"
link_ns "$A" va "$B" vb 10.0.1 || bail_out "cannot create a veth pair"
if ! ip netns exec "$A" ethtool -K va tx off > /dev/null 2>&1 ||
   ! ip netns exec "$B" ethtool -K vb tx off > /dev/null 2>&1; then
	bail_out "cannot turn checksum offload off"
fi
mkfifo "$TMPD/fifo" || bail_out "mkfifo"
make_traffic || bail_out "the traffic to capture, $STEP: $(cat "$TMPD/tcpdump.err")"
tshark_fields "$CAP" "$F" || bail_out "tshark: $(cat "$F.err")"
follow_plugin || bail_out "cannot put $TTP_FOLLOW into a plugin folder"
setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$TMPD/home" tshark -n -q \
	-r "$CAP" -X "lua_script:$TMPD/home/ttp.lua" -z follow,ttp253_follow,ascii,0 2>&1 |
	sed 's/^/# /'
sed 's/^/# /' "$F"
SPORT_FIN_B="7300 $((1 + ${#REQ}))"
SPORT_FIN_A="$(rows "$F" 'f["ttp253.flags.str"] == "S···"' ttp253.srcport | head -n 1) \
$((1 + ${#RESP}))"

tap_begin 10
run_case "wireshark: the handshake decoded" case_handshake
run_case "wireshark: data both ways, bytes and relative numbers" case_data
run_case "wireshark: FIN both ways, a reset" case_close
run_case "wireshark: a retransmission marked" case_retrans
run_case "wireshark: a datagram decoded" case_datagram
run_case "wireshark: every checksum Good" case_checksums
run_case "wireshark: an altered checksum Bad, or Unverified when off" case_bad_checksum
run_case "wireshark: payload to HTTP through Decode As" case_decode_as
run_case "wireshark: Follow Stream, each side's bytes once" case_follow
run_case "wireshark: Follow Stream of crafted overlaps and a gap" case_follow_crafted
tap_end
