-- SPDX-License-Identifier: GPL-2.0
--
-- ttp.lua: a Wireshark dissector for TTP, the Tiny Transport Protocol (IP
-- protocol 253). It decodes both modes (docs/protocol.md sections 1, 2, 4.1
-- and 5.1): the common header, the stream header and its options, the flags
-- by name; it verifies the checksum over the pseudo-header; it numbers the
-- conversations (ttp253.stream) and gives sequence and acknowledgement numbers
-- relative to each direction's first, marking a segment that repeats bytes
-- already seen as a retransmission. The payload goes to the dissector
-- registered for one of its ports in the "ttp253.port" table (Decode As), else
-- to "data".
--
--   wireshark -X lua_script:ttp.lua capture.pcap
--   tshark -X lua_script:ttp.lua -r capture.pcap -Y ttp253.flags.syn==1
--
-- or copy it into the personal Lua plugin folder (tshark -G folders).
-- Preferences: ttp253.check_checksum (default on; a capture taken on the
-- sending host of a device with checksum offload shows stream segments
-- with only the pseudo-header's sum, as TCP's do), ttp253.relative_seq.
-- Follow Stream comes from the C plugin beside it (ttp_follow.c).
-- Written for the Lua API of Wireshark 3.6 and later (Lua 5.1 to 5.4).

local ttp = Proto("ttp253", "Tiny Transport Protocol (IP protocol 253)")

local TYPE_DGRAM, TYPE_STREAM = 1, 2
local HDR_LEN, STREAM_HDR_LEN = 12, 24
local F_SYN, F_ACK, F_FIN, F_RST = 0x0001, 0x0002, 0x0004, 0x0008
local OPT_EOL, OPT_NOP, OPT_MSS, OPT_SACK_PERM, OPT_SACK, OPT_TS = 0, 1, 2, 4, 5, 8
local TWO32 = 4294967296

local type_names = { [TYPE_DGRAM] = "Datagram", [TYPE_STREAM] = "Stream" }
local opt_names = {
	[OPT_EOL] = "End of Option List", [OPT_NOP] = "No-Operation",
	[OPT_MSS] = "Maximum segment size", [OPT_SACK_PERM] = "SACK permitted",
	[OPT_SACK] = "SACK", [OPT_TS] = "Timestamps",
}
local status_names = { [0] = "Bad", [1] = "Good", [2] = "Unverified" }

local pf = {
	srcport = ProtoField.uint16("ttp253.srcport", "Source Port", base.DEC),
	dstport = ProtoField.uint16("ttp253.dstport", "Destination Port", base.DEC),
	port = ProtoField.uint16("ttp253.port", "Source or Destination Port", base.DEC),
	len = ProtoField.uint16("ttp253.len", "Length", base.DEC),
	checksum = ProtoField.uint16("ttp253.checksum", "Checksum", base.HEX),
	checksum_calc = ProtoField.uint16("ttp253.checksum_calculated",
					  "Calculated Checksum", base.HEX),
	checksum_status = ProtoField.uint8("ttp253.checksum.status", "Checksum Status",
					   base.DEC, status_names),
	version = ProtoField.uint8("ttp253.version", "Version", base.DEC, nil, 0xf0),
	type = ProtoField.uint8("ttp253.type", "Type", base.DEC, type_names, 0x0f),
	doff = ProtoField.uint8("ttp253.doff", "Data Offset (32-bit words)", base.DEC),
	hdr_len = ProtoField.uint16("ttp253.hdr_len", "Header Length", base.DEC),
	flags = ProtoField.uint16("ttp253.flags", "Flags", base.HEX),
	flag_res = ProtoField.uint16("ttp253.flags.res", "Reserved", base.HEX, nil, 0xfff0),
	flag_rst = ProtoField.bool("ttp253.flags.rst", "Reset", 16, nil, F_RST),
	flag_fin = ProtoField.bool("ttp253.flags.fin", "Fin", 16, nil, F_FIN),
	flag_ack = ProtoField.bool("ttp253.flags.ack", "Acknowledgment", 16, nil, F_ACK),
	flag_syn = ProtoField.bool("ttp253.flags.syn", "Syn", 16, nil, F_SYN),
	flags_str = ProtoField.string("ttp253.flags.str", "TTP Flags"),
	stream = ProtoField.uint32("ttp253.stream", "Stream index", base.DEC),
	seq = ProtoField.uint32("ttp253.seq", "Sequence Number", base.DEC),
	seq_raw = ProtoField.uint32("ttp253.seq_raw", "Sequence Number (raw)", base.DEC),
	nxtseq = ProtoField.uint32("ttp253.nxtseq", "Next Sequence Number", base.DEC),
	ack = ProtoField.uint32("ttp253.ack", "Acknowledgment Number", base.DEC),
	ack_raw = ProtoField.uint32("ttp253.ack_raw", "Acknowledgment Number (raw)", base.DEC),
	window = ProtoField.uint32("ttp253.window", "Window", base.DEC),
	options = ProtoField.bytes("ttp253.options", "Options"),
	opt_kind = ProtoField.uint8("ttp253.option_kind", "Kind", base.DEC, opt_names),
	opt_len = ProtoField.uint8("ttp253.option_len", "Length", base.DEC),
	mss = ProtoField.uint16("ttp253.options.mss_val", "MSS Value", base.DEC),
	sack_perm = ProtoField.bool("ttp253.options.sack_perm", "SACK permitted"),
	sack_le = ProtoField.uint32("ttp253.options.sack_le", "SACK left edge", base.DEC),
	sack_re = ProtoField.uint32("ttp253.options.sack_re", "SACK right edge", base.DEC),
	tsval = ProtoField.uint32("ttp253.options.timestamp.tsval", "Timestamp value", base.DEC),
	tsecr = ProtoField.uint32("ttp253.options.timestamp.tsecr", "Timestamp echo reply",
				  base.DEC),
	payload_len = ProtoField.uint32("ttp253.payload_len", "Payload Length", base.DEC),
	payload = ProtoField.bytes("ttp253.payload", "Payload"),
	retrans = ProtoField.bool("ttp253.analysis.retransmission",
				  "This segment repeats bytes already sent"),
}
local fields = {}
for _, f in pairs(pf) do
	fields[#fields + 1] = f
end
ttp.fields = fields

local ef = {
	bad_checksum = ProtoExpert.new("ttp253.checksum_bad", "Bad checksum",
				       expert.group.CHECKSUM, expert.severity.ERROR),
	malformed = ProtoExpert.new("ttp253.malformed", "Malformed TTP packet",
				    expert.group.MALFORMED, expert.severity.ERROR),
	retrans = ProtoExpert.new("ttp253.analysis.retransmission.expert",
				  "Retransmission", expert.group.SEQUENCE, expert.severity.NOTE),
	reset = ProtoExpert.new("ttp253.connection.rst", "Connection reset (RST)",
				expert.group.SEQUENCE, expert.severity.WARN),
}
ttp.experts = { ef.bad_checksum, ef.malformed, ef.retrans, ef.reset }

ttp.prefs.check_checksum = Pref.bool("Validate the checksum", true,
	"Verify the checksum over the pseudo-header, header and payload")
ttp.prefs.tcp_udp_ports = Pref.bool("Use the TCP and UDP port tables", true,
	"When no dissector is registered for either port in ttp253.port, use the " ..
	"one TCP (streams) or UDP (datagrams) has for it: ttp-run keeps programs' " ..
	"port numbers, and Decode As for tcp.port or udp.port applies")
ttp.prefs.try_heuristics = Pref.bool("Try heuristic sub-dissectors", true,
	"When no dissector is registered for either port, offer the payload to " ..
	"the heuristic dissectors of TCP (streams) or UDP (datagrams)")
ttp.prefs.relative_seq = Pref.bool("Relative sequence numbers", true,
	"Show sequence and acknowledgement numbers relative to each direction's first")

local f_ip_src = Field.new("ip.src")
local f_ip_dst = Field.new("ip.dst")

local port_table = DissectorTable.new("ttp253.port", "TTP port", ftypes.UINT16, base.DEC, ttp)
local tcp_ports = DissectorTable.get("tcp.port")
local udp_ports = DissectorTable.get("udp.port")
local data_dissector = Dissector.get("data")

-- Conversation state, rebuilt on every new capture (ttp.init). Frames are
-- analysed once, in order, on the first pass; later passes (the GUI
-- dissects a frame again when it is clicked) read the per-frame result.
local convs, nconvs, frames

function ttp.init()
	convs, nconvs, frames = {}, 0, {}
end

-- "a.b.c.d" -> the 4 bytes as two 16-bit words
local function addr_words(addr)
	local a, b, c, d = tostring(addr):match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
	if not a then
		return nil
	end
	return tonumber(a) * 256 + tonumber(b), tonumber(c) * 256 + tonumber(d)
end

-- The one's complement sum of the pseudo-header and @len bytes of @tvb,
-- folded to 16 bits, or nil when the addresses are not known.
local function csum(tvb, len)
	local s1, s2 = addr_words(f_ip_src())
	local d1, d2 = addr_words(f_ip_dst())
	if not s1 or not d1 then
		return nil
	end
	local sum = s1 + s2 + d1 + d2 + 253 + len
	local i = 0
	while i + 1 < len do
		sum = sum + tvb(i, 2):uint()
		i = i + 2
	end
	if i < len then
		sum = sum + tvb(i, 1):uint() * 256
	end
	while sum > 0xffff do
		sum = (sum % 65536) + math.floor(sum / 65536)
	end
	return sum
end

local function flags_string(flags)
	local s = ""
	for _, f in ipairs({ { F_SYN, "S" }, { F_ACK, "A" }, { F_FIN, "F" }, { F_RST, "R" } }) do
		s = s .. ((flags % (2 * f[1]) >= f[1]) and f[2] or "·")
	end
	return s
end

local function flag_names(flags)
	local t = {}
	for _, f in ipairs({ { F_SYN, "SYN" }, { F_FIN, "FIN" }, { F_RST, "RST" }, { F_ACK, "ACK" } }) do
		if flags % (2 * f[1]) >= f[1] then
			t[#t + 1] = f[2]
		end
	end
	return table.concat(t, ", ")
end

local function has(flags, f)
	return flags % (2 * f) >= f
end

-- The conversation of this packet and the direction (1: from the lower
-- address:port end, 2: from the other), created on first sight.
local function conversation(pinfo, sport, dport)
	local a = tostring(pinfo.src) .. ":" .. sport
	local b = tostring(pinfo.dst) .. ":" .. dport
	local key, dir = a .. "-" .. b, 1
	if b < a then
		key, dir = b .. "-" .. a, 2
	end
	local c = convs[key]
	if not c then
		c = { index = nconvs, dir = { {}, {} } }
		nconvs = nconvs + 1
		convs[key] = c
	end
	return c, dir
end

-- First pass over a stream segment: its stream index, its relative numbers
-- and whether it repeats bytes already seen in its direction.
local function analyse(pinfo, sport, dport, seq, ack, flags, plen)
	local c, dir = conversation(pinfo, sport, dport)
	local me, peer = c.dir[dir], c.dir[3 - dir]
	if has(flags, F_SYN) or not me.base then
		me.base = seq
		me.max_end = nil
	end
	local rel = (seq - me.base) % TWO32
	local span = plen + (has(flags, F_SYN) and 1 or 0) + (has(flags, F_FIN) and 1 or 0)
	local r = { stream = c.index, seq = rel, nxtseq = (rel + span) % TWO32 }
	if has(flags, F_ACK) and peer.base then
		r.ack = (ack - peer.base) % TWO32
	end
	if span > 0 and me.max_end and rel < me.max_end and not has(flags, F_SYN) then
		r.retrans = true
	end
	if span > 0 and (not me.max_end or rel + span > me.max_end) then
		me.max_end = rel + span
	end
	return r
end

local function dissect_options(tvb, tree, from, to)
	local otree = tree:add(pf.options, tvb(from, to - from))
	local off = from
	while off < to do
		local kind = tvb(off, 1):uint()
		if kind == OPT_EOL or kind == OPT_NOP then
			otree:add(pf.opt_kind, tvb(off, 1))
			off = off + 1
			if kind == OPT_EOL then
				break
			end
		else
			if off + 1 >= to or tvb(off + 1, 1):uint() < 2 or
			   off + tvb(off + 1, 1):uint() > to then
				return false
			end
			local olen = tvb(off + 1, 1):uint()
			local name = opt_names[kind] or ("Unknown (" .. kind .. ")")
			local o = otree:add(ttp, tvb(off, olen), "TTP Option - " .. name)
			o:add(pf.opt_kind, tvb(off, 1))
			o:add(pf.opt_len, tvb(off + 1, 1))
			if kind == OPT_MSS and olen == 4 then
				o:add(pf.mss, tvb(off + 2, 2))
				o:append_text(": " .. tvb(off + 2, 2):uint() .. " bytes")
			elseif kind == OPT_SACK_PERM then
				o:add(pf.sack_perm, tvb(off, olen), true)
			elseif kind == OPT_SACK then
				local p = off + 2
				while p + 8 <= off + olen do
					o:add(pf.sack_le, tvb(p, 4))
					o:add(pf.sack_re, tvb(p + 4, 4))
					p = p + 8
				end
			elseif kind == OPT_TS and olen == 10 then
				o:add(pf.tsval, tvb(off + 2, 4))
				o:add(pf.tsecr, tvb(off + 6, 4))
				o:append_text(": TSval " .. tvb(off + 2, 4):uint() ..
					      ", TSecr " .. tvb(off + 6, 4):uint())
			end
			off = off + olen
		end
	end
	return true
end

-- The checksum field, its verification and its status
local function dissect_checksum(tvb, pinfo, tree, len)
	local item = tree:add(pf.checksum, tvb(6, 2))
	if not ttp.prefs.check_checksum or tvb:len() < len then
		tree:add(pf.checksum_status, 2):set_generated()
		item:append_text(" [unverified]")
		return
	end
	local sum = csum(tvb, len)
	if not sum then
		tree:add(pf.checksum_status, 2):set_generated()
		return
	end
	local field = tvb(6, 2):uint()
	-- the value the sender should have put in: the sum with the field as 0
	local without = sum - field
	if without <= 0 then
		without = without + 0xffff
	end
	local calc = 0xffff - without
	tree:add(pf.checksum_calc, calc):set_generated()
	if sum == 0xffff then
		item:append_text(" [correct]")
		tree:add(pf.checksum_status, 1):set_generated()
	else
		item:append_text(string.format(" [incorrect, should be 0x%04x]", calc))
		item:add_proto_expert_info(ef.bad_checksum)
		tree:add(pf.checksum_status, 0):set_generated()
		pinfo.cols.info:append(" [TTP CHECKSUM INCORRECT]")
	end
end

-- The dissector @table has for the lower port, else for the higher (the
-- client's is usually the higher, the service's the lower), or nil
local function port_dissector(table, sport, dport)
	local lo, hi = math.min(sport, dport), math.max(sport, dport)
	return table:get_dissector(lo) or table:get_dissector(hi)
end

-- The payload to a dissector registered for one of the ports in
-- ttp253.port, else in TCP's or UDP's table, else to a heuristic one of
-- TCP's or UDP's, else to "data"
local function to_payload(tvb, pinfo, root, sport, dport, stream)
	local d = port_dissector(port_table, sport, dport)
	if not d and ttp.prefs.tcp_udp_ports then
		d = port_dissector(stream and tcp_ports or udp_ports, sport, dport)
	end
	if d and d:call(tvb, pinfo, root) > 0 then
		return
	end
	if ttp.prefs.try_heuristics and
	   DissectorTable.try_heuristics(stream and "tcp" or "udp", tvb, pinfo, root) then
		return
	end
	data_dissector:call(tvb, pinfo, root)
end

local function dissect_stream(tvb, pinfo, tree, root, sport, dport, flags, doff, len)
	local seq, ack = tvb(12, 4):uint(), tvb(16, 4):uint()
	local plen = len - doff * 4
	local r = frames[pinfo.number]
	if not r then
		r = analyse(pinfo, sport, dport, seq, ack, flags, plen)
		frames[pinfo.number] = r
	end
	local rel = ttp.prefs.relative_seq
	tree:add(pf.stream, r.stream):set_generated()
	if rel then
		tree:add(pf.seq, tvb(12, 4), r.seq):append_text(" (relative sequence number)")
		tree:add(pf.seq_raw, tvb(12, 4))
		tree:add(pf.nxtseq, r.nxtseq):set_generated()
	else
		tree:add(pf.seq, tvb(12, 4))
		tree:add(pf.nxtseq, (seq + plen) % TWO32):set_generated()
	end
	if has(flags, F_ACK) then
		if rel and r.ack then
			tree:add(pf.ack, tvb(16, 4), r.ack):append_text(" (relative ack number)")
		else
			tree:add(pf.ack, tvb(16, 4))
		end
		tree:add(pf.ack_raw, tvb(16, 4))
	end
	tree:add(pf.window, tvb(20, 4))
	if doff * 4 > STREAM_HDR_LEN and
	   not dissect_options(tvb, tree, STREAM_HDR_LEN, doff * 4) then
		tree:add_proto_expert_info(ef.malformed, "Option length runs past the header")
	end
	if has(flags, F_RST) then
		tree:add_proto_expert_info(ef.reset)
	end
	if r.retrans then
		tree:add(pf.retrans, true):set_generated()
		tree:add_proto_expert_info(ef.retrans)
		pinfo.cols.info:prepend("[TTP Retransmission] ")
	end
	local shown = rel and r.seq or seq
	pinfo.cols.info:append(string.format(" [%s] Seq=%d", flag_names(flags), shown))
	if has(flags, F_ACK) then
		pinfo.cols.info:append(" Ack=" .. ((rel and r.ack) or ack))
	end
	pinfo.cols.info:append(string.format(" Win=%d Len=%d", tvb(20, 4):uint(), plen))
	return plen
end

function ttp.dissector(tvb, pinfo, root)
	pinfo.cols.protocol = "TTP"
	local caplen = tvb:len()
	local tree = root:add(ttp, tvb())
	if caplen < HDR_LEN then
		tree:add_proto_expert_info(ef.malformed, "Shorter than the 12-byte header")
		return caplen
	end
	local sport, dport = tvb(0, 2):uint(), tvb(2, 2):uint()
	local len = tvb(4, 2):uint()
	local vt = tvb(8, 1):uint()
	local ver, typ = math.floor(vt / 16), vt % 16
	local doff, flags = tvb(9, 1):uint(), tvb(10, 2):uint()

	tree:add(pf.srcport, tvb(0, 2))
	tree:add(pf.dstport, tvb(2, 2))
	tree:add(pf.port, tvb(0, 2)):set_hidden()
	tree:add(pf.port, tvb(2, 2)):set_hidden()
	local litem = tree:add(pf.len, tvb(4, 2))
	pinfo.cols.info = string.format("%d → %d", sport, dport)
	if len < HDR_LEN or len > tvb:reported_len() then
		litem:add_proto_expert_info(ef.malformed,
			"Length outside 12 .. the IP payload (" .. tvb:reported_len() .. ")")
		return caplen
	end
	dissect_checksum(tvb, pinfo, tree, len)
	tree:add(pf.version, tvb(8, 1))
	tree:add(pf.type, tvb(8, 1))
	tree:add(pf.doff, tvb(9, 1))
	tree:add(pf.hdr_len, tvb(9, 1), doff * 4):set_generated()
	local fitem = tree:add(pf.flags, tvb(10, 2))
	fitem:append_text(" (" .. flag_names(flags) .. ")")
	fitem:add(pf.flag_res, tvb(10, 2))
	fitem:add(pf.flag_rst, tvb(10, 2))
	fitem:add(pf.flag_fin, tvb(10, 2))
	fitem:add(pf.flag_ack, tvb(10, 2))
	fitem:add(pf.flag_syn, tvb(10, 2))
	fitem:add(pf.flags_str, flags_string(flags)):set_generated()

	local min_doff = typ == TYPE_STREAM and STREAM_HDR_LEN / 4 or HDR_LEN / 4
	if ver ~= 1 or not type_names[typ] or doff < min_doff or doff * 4 > len then
		tree:add_proto_expert_info(ef.malformed,
			"Unknown version or type, or Data Offset outside the packet")
		return caplen
	end
	local plen
	if typ == TYPE_STREAM then
		plen = dissect_stream(tvb, pinfo, tree, root, sport, dport, flags, doff, len)
	else
		plen = len - doff * 4
		pinfo.cols.info:append(" Datagram Len=" .. plen)
	end
	tree:append_text(string.format(", %s, Src Port: %d, Dst Port: %d, Len: %d",
				       type_names[typ], sport, dport, plen))
	tree:add(pf.payload_len, plen):set_generated()
	if plen > 0 and doff * 4 < caplen then
		local pend = math.min(len, caplen)
		tree:add(pf.payload, tvb(doff * 4, pend - doff * 4))
		to_payload(tvb(doff * 4, pend - doff * 4):tvb(), pinfo, root, sport, dport,
			   typ == TYPE_STREAM)
	end
	return caplen
end

DissectorTable.get("ip.proto"):add(253, ttp)
