#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# ttp_pcap.py: a pcap of crafted TTP stream segments, for tests of the
# Wireshark dissector that need segments TTP's own peer would not send in
# that order. One segment per line of standard input:
#
#   SRC DST SPORT DPORT SEQ ACK FLAGS [PAYLOAD]
#
# addresses dotted, numbers decimal, FLAGS hex (docs/protocol.md 5.1: SYN 1,
# ACK 2, FIN 4, RST 8), PAYLOAD the rest of the line. Each becomes an
# Ethernet + IPv4 frame, one second after the last, with the IPv4 and TTP
# checksums right; the pcap goes to standard output.
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


def main():
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
