#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# ttp_pcap.py: write a pcap of crafted TTP stream segments, or read back
# the stream segments of a capture.
#
# ttp_pcap.py (no arguments): for tests of the Wireshark dissector that
# need segments TTP's own peer would not send in that order. One segment
# per line of standard input:
#
#   SRC DST SPORT DPORT SEQ ACK FLAGS [PAYLOAD]
#
# addresses dotted, numbers decimal, FLAGS hex (docs/protocol.md 5.1: SYN 1,
# ACK 2, FIN 4, RST 8), PAYLOAD the rest of the line. Each becomes an
# Ethernet + IPv4 frame, one second after the last, with the IPv4 and TTP
# checksums right; the pcap goes to standard output.
#
# ttp_pcap.py segments PCAP SRC OUT: the stream segments SRC sent in PCAP
# (Ethernet frames, as tcpdump writes them on a veth), one line each:
#
#   IPLEN SEQ PAYLOAD FLAGS ok|bad
#
# IPLEN the IPv4 total length, PAYLOAD the payload's length, FLAGS decimal,
# ok when the TTP checksum verifies. The payloads, put in sequence order
# from the SYN's sequence number on, are written to OUT; a byte that two
# segments carry differently prints a line "conflict SEQ".
import struct
import sys

IPPROTO_TTP = 253
STREAM = 0x12		# version 1, type 2
DOFF = 6		# 24-byte stream header, no options


def fold(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def addr(a):
    return bytes(int(x) for x in a.split('.'))


def segment(src, dst, sport, dport, seq, ack, flags, data):
    seg = struct.pack('!HHHHBBHIII', sport, dport, 4 * DOFF + len(data), 0,
                      STREAM, DOFF, flags, seq, ack, 65535) + data
    pseudo = addr(src) + addr(dst) + struct.pack('!HH', IPPROTO_TTP, len(seg))
    csum = 0xffff - fold(pseudo + seg)
    return seg[:6] + struct.pack('!H', csum or 0xffff) + seg[8:]


def frame(n, src, dst, seg):
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(seg), n, 0x4000, 64,
                     IPPROTO_TTP, 0, addr(src), addr(dst))
    ip = ip[:10] + struct.pack('!H', 0xffff - fold(ip)) + ip[12:]
    return b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00' + ip + seg


def packets(path):
    with open(path, 'rb') as f:
        data = f.read()
    endian = '<' if data[:4] == b'\xd4\xc3\xb2\xa1' else '>'
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + 'IIII', data[off:off + 16])[2]
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def segments(path, src, out):
    syn, held = None, {}
    for fr in packets(path):
        ip = fr[14:]
        if len(ip) < 20 or ip[9] != IPPROTO_TTP or ip[12:16] != addr(src):
            continue
        iplen = struct.unpack('!H', ip[2:4])[0]
        seg = ip[4 * (ip[0] & 15):iplen]
        if len(seg) < 24 or seg[8] & 15 != 2:
            continue
        pseudo = ip[12:20] + struct.pack('!HH', IPPROTO_TTP, len(seg))
        ok = fold(pseudo + seg) == 0xffff
        flags, seq = struct.unpack('!HI', seg[10:16])
        data = seg[4 * seg[9]:]
        print(iplen, seq, len(data), flags, 'ok' if ok else 'bad')
        if flags & 1:
            syn = seq
        if data:
            held.setdefault(seq, []).append(data)
    if syn is None:
        print('no SYN from', src)
        return 1
    stream = {}
    for seq, copies in held.items():
        for data in copies:
            start = (seq - syn - 1) % 2**32
            for i, b in enumerate(data):
                if stream.setdefault(start + i, b) != b:
                    print('conflict', (syn + 1 + start + i) % 2**32)
    with open(out, 'wb') as f:
        f.write(bytes(stream.get(i, 0) for i in range(len(stream))))
    return 0


def main():
    if len(sys.argv) == 5 and sys.argv[1] == 'segments':
        sys.exit(segments(sys.argv[2], sys.argv[3], sys.argv[4]))
    out = [struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
    for n, line in enumerate(sys.stdin):
        f = line.rstrip('\n').split(' ', 7) + ['']
        src, dst = f[0], f[1]
        seg = segment(src, dst, int(f[2]), int(f[3]), int(f[4]), int(f[5]),
                      int(f[6], 16), f[7].encode())
        fr = frame(n, src, dst, seg)
        out.append(struct.pack('<IIII', n + 1, 0, len(fr), len(fr)) + fr)
    sys.stdout.buffer.write(b''.join(out))


main()
