/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A packet-level peer for the TTP stream, in the spirit of packetdrill: the
 * test process owns a tun device in a namespace of its own, TTP's segments
 * to the peer address come out of it, and the test writes the peer's
 * segments into it. A test then reads as a script does: make a syscall,
 * inject a segment with the flags, seq, ack, window, options and payload it
 * chooses (a checksum it may spoil on purpose), expect the next segment TTP
 * sends (each field or a wildcard, within a time window), or expect none.
 *
 * Every segment TTP sends is checked as it is read: IPv4 header checksum,
 * protocol, the TTP length field and checksum over the pseudo-header
 * (docs/protocol.md section 2). A wrong one fails the test.
 *
 *   L (192.0.2.1) -- ttpw0 (tun) -- the test, speaking for R (192.0.2.2)
 *
 * 192.0.2.0/24 is TEST-NET-1 (RFC 5737): nothing leaves the namespace.
 */
#ifndef TTP_WIRE_H
#define TTP_WIRE_H

#include <linux/if_tun.h>
#include <poll.h>

#include "ttp_test.h"

#define WIRE_LOCAL	IP4(192, 0, 2, 1)
#define WIRE_PEER	IP4(192, 0, 2, 2)
#define WIRE_ANY	0xffffffffu	/* expect: any value of this field */
#define WIRE_MAXPAY	2048

/* One stream segment, as the test writes or reads it (host byte order). */
struct seg {
	uint16_t sport, dport;
	uint16_t flags;			/* TTP_SYN | TTP_ACK | ... */
	uint32_t seq, ack, wnd;
	int mss;			/* MSS option: -1 none */
	bool ts;			/* timestamp option */
	uint32_t tsval, tsecr;
	const uint8_t *opts;		/* raw options instead (inject only) */
	int optlen;
	bool bad_csum;			/* inject with a wrong checksum */
	uint32_t saddr;			/* inject: from (0: WIRE_PEER); read: to */
	int len;			/* payload bytes */
	uint8_t data[WIRE_MAXPAY];
};

struct wire {
	int tun;
	int proto;			/* TTP's IP protocol number */
	uint16_t ipid;
};

static inline uint32_t wire_sum(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;

	while (len > 1) {
		sum += (uint32_t)b[0] << 8 | b[1];
		b += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)b[0] << 8;
	return sum;
}

static inline uint16_t wire_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The TTP checksum of @len bytes at @th (check field included as it is). */
static inline uint16_t wire_csum(const struct wire *w, uint32_t saddr,
				 uint32_t daddr, const void *th, size_t len)
{
	uint32_t sum = 0;

	sum += saddr >> 16;
	sum += saddr & 0xffff;
	sum += daddr >> 16;
	sum += daddr & 0xffff;
	sum += w->proto;
	sum += len;
	return wire_fold(wire_sum(th, len, sum));
}

/* An address ioctl (SIOCSIFADDR, SIOCSIFNETMASK) with IPv4 @addr. */
static inline int wire_ifreq(const char *name, unsigned long req,
			     uint32_t addr)
{
	struct sockaddr_in *sin;
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(addr);
	return ttp_ifreq(name, req, &ifr);
}

/*
 * In a new network namespace: ttpw0 up with WIRE_LOCAL/24. Returns 0, or
 * -errno (the tun device could not be had).
 */
static inline int wire_open(struct wire *w)
{
	struct ifreq ifr;
	int err;

	memset(w, 0, sizeof(*w));
	w->proto = ttp_stack()->ipproto;
	err = ttp_netns_new();
	if (err)
		return err;
	w->tun = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	if (w->tun < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strcpy(ifr.ifr_name, "ttpw0");
	if (ioctl(w->tun, TUNSETIFF, &ifr) < 0)
		return -errno;
	err = wire_ifreq("ttpw0", SIOCSIFADDR, WIRE_LOCAL);
	if (!err)
		err = wire_ifreq("ttpw0", SIOCSIFNETMASK, IP4(255, 255, 255, 0));
	if (!err)
		err = ttp_if_up("ttpw0");
	return err;
}

/* The largest packet wire_build() makes. */
#define WIRE_PKTMAX	(20 + TTP_STREAM_HDR_LEN + 64 + WIRE_MAXPAY)

/* Fill in @ip's IPv4 header (20 bytes) for a TTP packet of @len bytes. */
static inline void wire_iphdr(struct wire *w, uint8_t *ip, uint32_t saddr,
			      int len)
{
	uint16_t c;

	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = len >> 8;
	ip[3] = len & 0xff;
	ip[4] = ++w->ipid >> 8;
	ip[5] = w->ipid & 0xff;
	ip[6] = 0x40;		/* DF */
	ip[8] = 64;
	ip[9] = w->proto;
	*(uint32_t *)(ip + 12) = htonl(saddr);
	*(uint32_t *)(ip + 16) = htonl(WIRE_LOCAL);
	c = wire_fold(wire_sum(ip, 20, 0));
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
}

/*
 * @s from R to L as an IPv4 packet in @pkt (WIRE_PKTMAX bytes). Returns
 * its length.
 */
static inline int wire_build(struct wire *w, const struct seg *s, uint8_t *pkt)
{
	uint8_t *th = pkt + 20, *o = th + TTP_STREAM_HDR_LEN;
	struct ttp_streamhdr *sh = (struct ttp_streamhdr *)th;
	uint32_t saddr = s->saddr ?: WIRE_PEER;
	int olen = 0, tlen;
	uint16_t c;

	if (s->opts) {
		memcpy(o, s->opts, s->optlen);
		olen = s->optlen;
	} else {
		if (s->mss >= 0) {
			o[olen++] = TTP_OPT_MSS;
			o[olen++] = TTP_OPT_MSS_LEN;
			o[olen++] = s->mss >> 8;
			o[olen++] = s->mss & 0xff;
		}
		if (s->ts) {
			uint32_t v[2] = { htonl(s->tsval), htonl(s->tsecr) };

			o[olen++] = TTP_OPT_NOP;
			o[olen++] = TTP_OPT_NOP;
			o[olen++] = TTP_OPT_TS;
			o[olen++] = TTP_OPT_TS_LEN;
			memcpy(o + olen, v, 8);
			olen += 8;
		}
	}
	while (olen % 4)
		o[olen++] = TTP_OPT_EOL;
	memcpy(o + olen, s->data, s->len);
	tlen = TTP_STREAM_HDR_LEN + olen + s->len;

	memset(sh, 0, sizeof(*sh));
	sh->th.source = htons(s->sport);
	sh->th.dest = htons(s->dport);
	sh->th.len = htons(tlen);
	sh->th.ver_type = TTP_VER_TYPE(TTP_VERSION, TTP_TYPE_STREAM);
	sh->th.doff = (TTP_STREAM_HDR_LEN + olen) / 4;
	sh->th.flags = htons(s->flags);
	sh->seq = htonl(s->seq);
	sh->ack = htonl(s->ack);
	sh->wnd = htonl(s->wnd);
	c = wire_csum(w, saddr, WIRE_LOCAL, th, tlen);
	sh->th.check = htons(s->bad_csum ? (uint16_t)(c ^ 0x5a5a) : c);
	wire_iphdr(w, pkt, saddr, 20 + tlen);
	return 20 + tlen;
}

/* Write the @len-byte packet @pkt into L. Returns 0 or -errno. */
static inline int wire_write(struct wire *w, const uint8_t *pkt, int len)
{
	if (write(w->tun, pkt, len) != len)
		return -errno;
	return 0;
}

/* Write @s from R to L. Returns 0 or -errno. */
static inline int wire_inject(struct wire *w, const struct seg *s)
{
	uint8_t pkt[WIRE_PKTMAX];

	return wire_write(w, pkt, wire_build(w, s, pkt));
}

/*
 * An ICMP error (@type, @code; @mtu for "fragmentation needed") from R to
 * L quoting a stream segment of L's from @sport to @dport with sequence
 * number @seq: the IP header and the whole 24-byte stream header. Returns
 * 0 or -errno.
 */
static inline int wire_inject_icmp_mtu(struct wire *w, int type, int code,
				       uint16_t mtu, uint16_t sport,
				       uint16_t dport, uint32_t seq)
{
	uint8_t pkt[20 + 8 + 20 + TTP_STREAM_HDR_LEN];
	uint8_t *ip = pkt, *icmp = pkt + 20, *qip = icmp + 8;
	struct ttp_streamhdr *q = (struct ttp_streamhdr *)(qip + 20);
	uint16_t c;

	memset(pkt, 0, sizeof(pkt));
	qip[0] = 0x45;
	qip[3] = 20 + TTP_STREAM_HDR_LEN;
	qip[6] = 0x40;
	qip[8] = 64;
	qip[9] = w->proto;
	*(uint32_t *)(qip + 12) = htonl(WIRE_LOCAL);
	*(uint32_t *)(qip + 16) = htonl(WIRE_PEER);
	c = wire_fold(wire_sum(qip, 20, 0));
	qip[10] = c >> 8;
	qip[11] = c & 0xff;
	q->th.source = htons(sport);
	q->th.dest = htons(dport);
	q->th.len = htons(TTP_STREAM_HDR_LEN);
	q->th.ver_type = TTP_VER_TYPE(TTP_VERSION, TTP_TYPE_STREAM);
	q->th.doff = TTP_STREAM_HDR_LEN / 4;
	q->th.flags = htons(TTP_SYN);
	q->seq = htonl(seq);
	icmp[0] = type;
	icmp[1] = code;
	icmp[6] = mtu >> 8;
	icmp[7] = mtu & 0xff;
	c = wire_fold(wire_sum(icmp, sizeof(pkt) - 20, 0));
	icmp[2] = c >> 8;
	icmp[3] = c & 0xff;
	ip[0] = 0x45;
	ip[3] = sizeof(pkt);
	ip[8] = 64;
	ip[9] = IPPROTO_ICMP;
	*(uint32_t *)(ip + 12) = htonl(WIRE_PEER);
	*(uint32_t *)(ip + 16) = htonl(WIRE_LOCAL);
	c = wire_fold(wire_sum(ip, 20, 0));
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
	if (write(w->tun, pkt, sizeof(pkt)) != (ssize_t)sizeof(pkt))
		return -errno;
	return 0;
}

static inline int wire_inject_icmp(struct wire *w, int type, int code,
				   uint16_t sport, uint16_t dport, uint32_t seq)
{
	return wire_inject_icmp_mtu(w, type, code, 0, sport, dport, seq);
}

/*
 * The next TTP segment out of L within @ms (0: only one already there)
 * into @s. Returns 1, 0 on time out, or a negative number for a malformed one: -1 IP header, -2 length,
 * -3 checksum, -4 not a stream segment, -5 options.
 */
static inline int wire_read(struct wire *w, struct seg *s, int ms)
{
	long long end = ttp_now_ms() + ms;
	uint8_t pkt[65536];
	struct pollfd p = { .fd = w->tun, .events = POLLIN };

	for (;;) {
		const struct ttp_streamhdr *sh;
		int n, ihl, tlen, hlen, left;
		uint32_t saddr, daddr;
		const uint8_t *o;

		left = (int)(end - ttp_now_ms());
		if (left < 0 || poll(&p, 1, left) <= 0)
			return 0;
		n = read(w->tun, pkt, sizeof(pkt));
		if (n < 20 || (pkt[0] >> 4) != 4 || pkt[9] != w->proto)
			continue;	/* IPv6 chatter, other protocols */
		ihl = (pkt[0] & 0xf) * 4;
		if (ihl < 20 || n < ihl + TTP_STREAM_HDR_LEN ||
		    wire_fold(wire_sum(pkt, ihl, 0)) != 0)
			return -1;
		sh = (const struct ttp_streamhdr *)(pkt + ihl);
		tlen = ntohs(sh->th.len);
		if (tlen != n - ihl || ((pkt[2] << 8) | pkt[3]) != n)
			return -2;
		memcpy(&saddr, pkt + 12, 4);
		memcpy(&daddr, pkt + 16, 4);
		if (wire_csum(w, ntohl(saddr), ntohl(daddr), sh, tlen) != 0)
			return -3;
		if (TTP_HDR_TYPE(&sh->th) != TTP_TYPE_STREAM)
			return -4;
		hlen = sh->th.doff * 4;
		if (hlen < TTP_STREAM_HDR_LEN || hlen > tlen)
			return -4;
		memset(s, 0, offsetof(struct seg, data));
		s->saddr = ntohl(daddr);
		s->sport = ntohs(sh->th.source);
		s->dport = ntohs(sh->th.dest);
		s->flags = ntohs(sh->th.flags);
		s->seq = ntohl(sh->seq);
		s->ack = ntohl(sh->ack);
		s->wnd = ntohl(sh->wnd);
		s->mss = -1;
		for (o = (const uint8_t *)sh + TTP_STREAM_HDR_LEN;
		     o < (const uint8_t *)sh + hlen;) {
			if (*o == TTP_OPT_EOL)
				break;
			if (*o == TTP_OPT_NOP) {
				o++;
				continue;
			}
			if (o + 2 > (const uint8_t *)sh + hlen || o[1] < 2)
				return -5;
			if (*o == TTP_OPT_MSS && o[1] == TTP_OPT_MSS_LEN)
				s->mss = o[2] << 8 | o[3];
			if (*o == TTP_OPT_TS && o[1] == TTP_OPT_TS_LEN) {
				s->ts = true;
				s->tsval = (uint32_t)o[2] << 24 | o[3] << 16 |
					   o[4] << 8 | o[5];
				s->tsecr = (uint32_t)o[6] << 24 | o[7] << 16 |
					   o[8] << 8 | o[9];
			}
			o += o[1];
		}
		s->len = tlen - hlen;
		if (s->len > WIRE_MAXPAY)
			s->len = WIRE_MAXPAY;
		memcpy(s->data, (const uint8_t *)sh + hlen, s->len);
		return 1;
	}
}

/* "S", "SA", "A", "FA", "RA"...: flags as the test logs print them. */
static inline const char *wire_flags(uint16_t f)
{
	static char b[8];
	char *p = b;

	if (f & TTP_SYN)
		*p++ = 'S';
	if (f & TTP_FIN)
		*p++ = 'F';
	if (f & TTP_RST)
		*p++ = 'R';
	if (f & TTP_ACK)
		*p++ = 'A';
	*p = 0;
	return b;
}

/* Drain whatever TTP sent so far (within @ms); returns how many. */
static inline int wire_drain(struct wire *w, int ms)
{
	struct seg s;
	int n = 0;

	while (wire_read(w, &s, ms) == 1)
		n++;
	return n;
}

/* A counter of /proc/net/ttp_snmp by name, -1 if absent. */
static inline long wire_snmp(const char *name)
{
	char names[4096], vals[4096], line[4096], *np, *vp, *n, *v;
	FILE *f = fopen("/proc/net/ttp_snmp", "r");
	long ret = -1;

	if (!f)
		return -1;
	names[0] = vals[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Ttp:", 4))
			continue;
		if (!names[0])
			strcpy(names, line);
		else if (!vals[0])
			strcpy(vals, line);
	}
	fclose(f);
	n = strtok_r(names + 4, " \t\n", &np);
	v = strtok_r(vals + 4, " \t\n", &vp);
	for (; n && v; n = strtok_r(NULL, " \t\n", &np),
	     v = strtok_r(NULL, " \t\n", &vp))
		if (!strcmp(n, name))
			ret = strtol(v, NULL, 10);
	return ret;
}

#endif /* TTP_WIRE_H */
