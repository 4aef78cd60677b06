// SPDX-License-Identifier: GPL-2.0
/*
 * A structure-aware packet fuzzer for the stream (ttp_wire.h's peer R
 * against TTP on L). It keeps a listener, a datagram socket and eight
 * connections (six passive, two active) alive on L, learns each one's
 * sequence numbers from the segments L sends, and writes segments made to
 * fit them, then mutated: flags, sequence and acknowledgement numbers near
 * and far from the window, windows, options (valid, out of place, of bad
 * lengths), length and data offset fields, truncation, trailing bytes,
 * replays of earlier packets, other sources and ports, ICMP errors
 * quoting any sequence number; the checksum is right half the time.
 * Between packets it makes syscalls on L's sockets: accept, read, write,
 * shutdown, close gracefully or by reset, connect.
 *
 * Seeded and reproducible as a sequence of packets and calls: the seed
 * is logged, FUZZ_SEED=n replays it. FUZZ_PACKETS=n sets the dose (make
 * check's short one by default; make stress gives the big one).
 *
 * A run passes when, besides the kernel reporting nothing (the VM's dmesg
 * check):
 *  - every segment L sent was well-formed (IP header, length, checksum,
 *    options: wire_read()'s checks);
 *  - InCsumErrors rose by exactly the number of packets of a valid length
 *    sent with a spoiled checksum, and Malformed by at least the number
 *    whose length field was out of range;
 *  - a clean connection afterwards carries random bytes both ways, exact;
 *  - once every connection L still has is reset at its rcv_nxt and the
 *    listener closed, no socket is left (no immortal orphan).
 *
 * The second test, syn_flood, writes FLOOD_SYNS SYNs from spoofed sources
 * at the listener while a real client on L connects to it (see there).
 */
#include <poll.h>
#include <pthread.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "ttp_wire.h"
#include "../../kselftest_harness.h"

#define LPORT		5000	/* L's listener */
#define PPORT		4000	/* R's ports of the passive flows: 4000.. */
#define APORT		6000	/* R's ports of the active flows: 6000.. */
#define NPASSIVE	6
#define NFLOW		8	/* NPASSIVE passive, then active */
#define NREPLAY		64	/* packets kept for replay */
#define DEF_PACKETS	50000
#define DEF_SYNS	20000
#define BACKLOG		16

/* One connection between L and R as the fuzzer knows it. */
struct flow {
	uint16_t lport, rport;
	uint32_t snd;		/* L's next: seq + length of its last segment */
	uint32_t rcv;		/* L's last ACK: its rcv_nxt */
	bool seen;		/* L sent something on it */
	int fd;			/* L's socket, or -1 */
};

/* Every connection L has shown, by its segments: the cleanup's list. */
struct conn {
	uint32_t raddr;
	uint16_t lport, rport;
	uint32_t snd, rcv;
};

#define NCONN		4096

struct pkt {
	int len;
	uint8_t b[WIRE_PKTMAX];
};

FIXTURE(fuzz)
{
	struct wire w;
	uint64_t rng;
	int l, d;
	struct flow f[NFLOW];
	struct pkt replay[NREPLAY];
	struct conn c[NCONN];
	int nconn;
	long sent, spoiled, badlen, bad_out, out;
};

static uint32_t rnd(FIXTURE_DATA(fuzz) *self)
{
	return ttp_xorshift(&self->rng);
}

/* True with probability 1/@n. */
static bool one_in(FIXTURE_DATA(fuzz) *self, uint32_t n)
{
	return rnd(self) % n == 0;
}

static void fill_rnd(FIXTURE_DATA(fuzz) *self, uint8_t *p, int len)
{
	int i;

	for (i = 0; i < len; i++)
		p[i] = rnd(self);
}

FIXTURE_SETUP(fuzz)
{
	int err, one = 1, i;

	self->l = self->d = -1;
	for (i = 0; i < NFLOW; i++)
		self->f[i].fd = -1;
	if (getenv("TTP_TEST_AS_UDP"))
		SKIP(return, "reference mode: TTP's wire only");
	err = wire_open(&self->w);
	if (err == -ENOENT || err == -ENODEV)
		SKIP(return, "no tun device in this kernel");
	ASSERT_EQ(0, err) TH_LOG("tun setup: %s", strerror(-err));
	self->rng = ttp_fuzz_seed();
	TH_LOG("seed %llu (FUZZ_SEED=%llu replays it)",
	       (unsigned long long)self->rng, (unsigned long long)self->rng);

	self->l = socket(ttp_family(), SOCK_STREAM, 0);
	ASSERT_LE(0, self->l);
	ASSERT_EQ(0, setsockopt(self->l, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	ASSERT_EQ(0, ttp_bind(self->l, WIRE_LOCAL, LPORT));
	ASSERT_EQ(0, listen(self->l, BACKLOG));
	fcntl(self->l, F_SETFL, O_NONBLOCK);
	self->d = socket(ttp_family(), SOCK_DGRAM, 0);
	ASSERT_LE(0, self->d);
	ASSERT_EQ(0, ttp_bind(self->d, WIRE_LOCAL, LPORT));
	fcntl(self->d, F_SETFL, O_NONBLOCK);
	for (i = 0; i < NFLOW; i++) {
		self->f[i].lport = i < NPASSIVE ? LPORT : 0;
		self->f[i].rport = i < NPASSIVE ? PPORT + i :
				   APORT + i - NPASSIVE;
	}
}

static void reset_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

FIXTURE_TEARDOWN(fuzz)
{
	int i;

	for (i = 0; i < NFLOW; i++)
		if (self->f[i].fd >= 0)
			reset_close(self->f[i].fd);
	if (self->l >= 0)
		close(self->l);
	if (self->d >= 0)
		close(self->d);
	if (self->w.tun > 0)
		close(self->w.tun);
}

static struct flow *flow_of(FIXTURE_DATA(fuzz) *self, uint16_t lport,
			    uint16_t rport)
{
	int i;

	for (i = 0; i < NFLOW; i++)
		if (self->f[i].rport == rport && self->f[i].lport == lport)
			return &self->f[i];
	return NULL;
}

/* Note what segment @s (from L) tells of its connection. */
static void learn_conn(FIXTURE_DATA(fuzz) *self, const struct seg *s)
{
	struct conn *c;
	int i;

	for (i = 0; i < self->nconn; i++) {
		c = &self->c[i];
		if (c->raddr == s->saddr && c->lport == s->sport &&
		    c->rport == s->dport)
			break;
	}
	if (i == self->nconn) {
		/* full: the oldest goes (by now long dead, most likely) */
		if (i == NCONN)
			memmove(self->c, self->c + 1, --i * sizeof(*c));
		else
			self->nconn++;
		c = &self->c[i];
		c->raddr = s->saddr;
		c->lport = s->sport;
		c->rport = s->dport;
	}
	c->snd = s->seq + s->len + !!(s->flags & TTP_SYN) +
		 !!(s->flags & TTP_FIN);
	if (s->flags & TTP_ACK)
		c->rcv = s->ack;
}

/* Read what L sent so far (waiting up to @ms), learning its flows' state. */
static void drain(FIXTURE_DATA(fuzz) *self, int ms)
{
	struct seg s;
	struct flow *f;
	int r;

	while ((r = wire_read(&self->w, &s, ms)) != 0) {
		ms = 0;
		if (r < 0) {
			if (self->bad_out++ < 8)
				fprintf(stderr, "# L sent a malformed segment (%d)\n", r);
			continue;
		}
		self->out++;
		if (!(s.flags & TTP_RST))
			learn_conn(self, &s);
		f = s.saddr == WIRE_PEER ? flow_of(self, s.sport, s.dport) : NULL;
		if (!f)
			continue;
		f->snd = s.seq + s.len + !!(s.flags & TTP_SYN) +
			 !!(s.flags & TTP_FIN);
		if (s.flags & TTP_ACK)
			f->rcv = s.ack;
		f->seen = true;
	}
}

/* A value near @base: within a few bytes, a window, or anywhere. */
static uint32_t near(FIXTURE_DATA(fuzz) *self, uint32_t base)
{
	switch (rnd(self) % 6) {
	case 0:
		return rnd(self);
	case 1:
		return base + (rnd(self) % 8) - 4;
	case 2:
		return base + rnd(self) % 200000;
	case 3:
		return base - rnd(self) % 200000;
	case 4:
		return base + 0x80000000u + rnd(self) % 3 - 1;
	}
	return base;
}

/* Options: valid, repeated, out of place or of a bad length. */
static void fuzz_opts(FIXTURE_DATA(fuzz) *self, struct seg *s, uint8_t *o)
{
	int n = 0, k;

	s->mss = -1;
	s->ts = false;
	switch (rnd(self) % 5) {
	case 0:
		return;
	case 1:
		s->mss = one_in(self, 2) ? rnd(self) % 100 : rnd(self) & 0xffff;
		return;
	case 2:
		s->ts = true;
		s->tsval = one_in(self, 2) ? rnd(self) : rnd(self) % 1000;
		s->tsecr = rnd(self);
		return;
	}
	k = rnd(self) % 40 + 1;
	while (n < k) {
		o[n] = rnd(self) % 10;
		if (n + 1 < k)
			o[n + 1] = one_in(self, 3) ? rnd(self) : rnd(self) % 12;
		n += o[n] <= TTP_OPT_NOP ? 1 : 2;
	}
	s->opts = o;
	s->optlen = k;
}

/* The segment flow @f could carry next, before mutation. */
static void base_seg(FIXTURE_DATA(fuzz) *self, struct flow *f, struct seg *s)
{
	memset(s, 0, offsetof(struct seg, data));
	s->sport = f->rport;
	s->dport = f->lport ?: (uint16_t)rnd(self);
	s->seq = f->rcv;
	s->ack = f->snd;
	s->wnd = 65535;
	s->mss = -1;
	switch (rnd(self) % 8) {
	case 0:
		s->flags = TTP_SYN;
		s->seq = rnd(self);
		s->mss = 1400;
		s->ts = one_in(self, 2);
		s->tsval = rnd(self) % 1000;
		break;
	case 1:
		s->flags = TTP_SYN | TTP_ACK;
		s->seq = rnd(self);
		s->mss = 1400;
		break;
	case 2:
	case 3:
		s->flags = TTP_ACK;
		break;
	case 4:
	case 5:
		s->flags = TTP_ACK;
		s->len = rnd(self) % 1400 + 1;
		fill_rnd(self, s->data, s->len);
		break;
	case 6:
		s->flags = TTP_FIN | TTP_ACK;
		break;
	default:
		s->flags = one_in(self, 2) ? TTP_RST : TTP_RST | TTP_ACK;
	}
}

/* Mutate the fields of @s (before it is built). */
static void mutate_seg(FIXTURE_DATA(fuzz) *self, struct seg *s, uint8_t *o)
{
	int n = rnd(self) % 3 + 1;

	while (n--) {
		switch (rnd(self) % 9) {
		case 0:
			s->flags = one_in(self, 4) ? rnd(self) : rnd(self) & 0xf;
			break;
		case 1:
			s->seq = near(self, s->seq);
			break;
		case 2:
			s->ack = near(self, s->ack);
			break;
		case 3:
			s->wnd = one_in(self, 2) ? rnd(self) % 4 : rnd(self);
			break;
		case 4:
			fuzz_opts(self, s, o);
			break;
		case 5:
			s->len = rnd(self) % WIRE_MAXPAY;
			fill_rnd(self, s->data, s->len);
			break;
		case 6:
			s->saddr = IP4(192, 0, 2, 2 + rnd(self) % 4);
			break;
		case 7:
			s->sport = rnd(self);
			break;
		default:
			s->dport = one_in(self, 2) ? LPORT : rnd(self);
		}
	}
}

/*
 * Mutate the built packet's bytes: the length and offset fields, the
 * version and type, truncation, trailing bytes, flipped bytes. Returns
 * the new length.
 */
static int mutate_bytes(FIXTURE_DATA(fuzz) *self, uint8_t *p, int len)
{
	struct ttphdr *th = (struct ttphdr *)(p + 20);
	int tl = len - 20;

	switch (rnd(self) % 7) {
	case 0:
		th->len = htons(one_in(self, 2) ? rnd(self) :
				ntohs(th->len) + rnd(self) % 16 - 8);
		break;
	case 1:
		th->doff = rnd(self) % 16;
		break;
	case 2:
		th->ver_type = one_in(self, 2) ? rnd(self) :
			       TTP_VER_TYPE(TTP_VERSION, TTP_TYPE_DGRAM);
		break;
	case 3:
		len = 20 + rnd(self) % (tl + 1);
		break;
	case 4:
		if (len + 64 <= WIRE_PKTMAX) {
			fill_rnd(self, p + len, 64);
			len += rnd(self) % 64;
		}
		break;
	default:
		p[20 + rnd(self) % tl] = rnd(self);
	}
	return len;
}

/*
 * Set the IP header for @len bytes and, when the length field lets L
 * check it, the checksum: right or (half the time) spoiled.
 */
static void finish(FIXTURE_DATA(fuzz) *self, uint8_t *p, int len)
{
	struct ttphdr *th = (struct ttphdr *)(p + 20);
	uint32_t saddr = ntohl(*(uint32_t *)(p + 12));
	int hl = ntohs(th->len);
	uint16_t c;

	wire_iphdr(&self->w, p, saddr, len);
	if (len < 20 + TTP_HDR_LEN || hl < TTP_HDR_LEN || hl > len - 20)
		return;
	th->check = 0;
	c = wire_csum(&self->w, saddr, WIRE_LOCAL, th, hl);
	if (one_in(self, 2))
		c ^= 1 + rnd(self) % 0xfffe;
	th->check = htons(c);
}

/*
 * Write @p and count what L must count for it: a length field out of
 * range (Malformed), or in range with a checksum that does not verify
 * (InCsumErrors).
 */
static void send_pkt(struct __test_metadata *_metadata,
		     FIXTURE_DATA(fuzz) *self, const uint8_t *p, int len)
{
	struct pkt *r = &self->replay[self->sent % NREPLAY];
	const struct ttphdr *th = (const struct ttphdr *)(p + 20);
	int hl = len >= 20 + TTP_HDR_LEN ? ntohs(th->len) : 0;

	if (hl < TTP_HDR_LEN || hl > len - 20)
		self->badlen++;
	else if (wire_csum(&self->w, ntohl(*(uint32_t *)(p + 12)),
			   WIRE_LOCAL, th, hl))
		self->spoiled++;
	ASSERT_EQ(0, wire_write(&self->w, p, len));
	memcpy(r->b, p, len);
	r->len = len;
	self->sent++;
}

/* One fuzzed segment for flow @f. */
static void fuzz_one(struct __test_metadata *_metadata,
		     FIXTURE_DATA(fuzz) *self, struct flow *f)
{
	uint8_t p[WIRE_PKTMAX], o[40];
	struct seg s;
	int len;

	base_seg(self, f, &s);
	if (one_in(self, 2))
		mutate_seg(self, &s, o);
	len = wire_build(&self->w, &s, p);
	if (one_in(self, 3)) {
		len = mutate_bytes(self, p, len);
		finish(self, p, len);
	} else if (one_in(self, 4)) {
		finish(self, p, len);
	}
	send_pkt(_metadata, self, p, len);
}

/* An ICMP error about any of L's flows, quoting any sequence number. */
static void fuzz_icmp(struct __test_metadata *_metadata,
		      FIXTURE_DATA(fuzz) *self, struct flow *f)
{
	static const uint8_t tc[][2] = {
		{ 3, 0 }, { 3, 1 }, { 3, 2 }, { 3, 3 }, { 3, 4 }, { 3, 13 },
		{ 11, 0 }, { 12, 0 }, { 4, 0 },
	};
	int i = rnd(self) % (sizeof(tc) / sizeof(tc[0]));

	ASSERT_EQ(0, wire_inject_icmp(&self->w, tc[i][0], tc[i][1],
				      f->lport ?: LPORT, f->rport,
				      near(self, f->snd)));
}

/* Accept what the listener has: a flow's new socket, or a stranger's. */
static void do_accept(FIXTURE_DATA(fuzz) *self)
{
	struct sockaddr_ttp a;
	socklen_t al = sizeof(a);
	struct flow *f;
	int fd;

	while ((fd = accept(self->l, SA(&a), &al)) >= 0) {
		f = ntohl(a.sttp_addr.s_addr) == WIRE_PEER ?
		    flow_of(self, LPORT, ntohs(a.sttp_port)) : NULL;
		if (!f) {
			reset_close(fd);
			continue;
		}
		if (f->fd >= 0)
			reset_close(f->fd);
		fcntl(fd, F_SETFL, O_NONBLOCK);
		f->fd = fd;
		al = sizeof(a);
	}
}

/* A syscall on flow @f's socket (or one that makes it). */
static void fuzz_call(FIXTURE_DATA(fuzz) *self, struct flow *f)
{
	uint8_t buf[8192];
	struct linger lg = { 1, 0 };

	if (f->fd < 0) {
		if (f->lport == LPORT) {
			do_accept(self);
			return;
		}
		f->fd = socket(ttp_family(), SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (f->fd < 0)
			return;
		ttp_connect(f->fd, WIRE_PEER, f->rport);
		f->lport = ttp_local_port(f->fd);
		f->seen = false;
		return;
	}
	switch (rnd(self) % 8) {
	case 0:
	case 1:
		while (recv(f->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		break;
	case 2:
	case 3:
		fill_rnd(self, buf, sizeof(buf));
		send(f->fd, buf, rnd(self) % sizeof(buf) + 1,
		     MSG_DONTWAIT | MSG_NOSIGNAL);
		break;
	case 4:
		shutdown(f->fd, one_in(self, 2) ? SHUT_WR : SHUT_RD);
		break;
	case 5:
		if (one_in(self, 2))
			setsockopt(f->fd, SOL_SOCKET, SO_LINGER, &lg,
				   sizeof(lg));
		close(f->fd);
		f->fd = -1;
		break;
	case 6:
		recv(f->fd, buf, 1, MSG_PEEK | MSG_DONTWAIT);
		break;
	default:
		do_accept(self);
	}
}

/* The i-th step: mostly a segment, sometimes a replay, ICMP or syscall. */
static void step(struct __test_metadata *_metadata, FIXTURE_DATA(fuzz) *self)
{
	struct flow *f = &self->f[rnd(self) % NFLOW];
	uint32_t what = rnd(self) % 100;

	if (what < 80) {
		fuzz_one(_metadata, self, f);
	} else if (what < 85 && self->sent) {
		struct pkt *r = &self->replay[rnd(self) %
					      (self->sent < NREPLAY ?
					       self->sent : NREPLAY)];
		struct pkt copy = *r;

		send_pkt(_metadata, self, copy.b, copy.len);
	} else if (what < 88) {
		fuzz_icmp(_metadata, self, f);
	} else {
		fuzz_call(self, f);
	}
	drain(self, 0);
}

/* The next segment L sends on flow (@lport, @rport) within @ms: 1 or 0. */
static int read_flow(FIXTURE_DATA(fuzz) *self, struct seg *s, uint16_t lport,
		     uint16_t rport, int ms)
{
	long long end = ttp_now_ms() + ms;
	int r;

	for (;;) {
		r = wire_read(&self->w, s, (int)(end - ttp_now_ms()));
		if (r <= 0)
			return r;
		if (s->sport == lport && s->dport == rport)
			return 1;
	}
}

/*
 * After the fuzzing, a new connection from R port @rport: 1000 random
 * bytes each way, exact.
 */
static void clean_connection(struct __test_metadata *_metadata,
			     FIXTURE_DATA(fuzz) *self, uint16_t rport)
{
	uint8_t want[1000], got[1000];
	struct seg s, in;
	uint32_t isn = rnd(self), snd;
	struct timeval tv = { .tv_sec = 2 };
	struct pollfd p;
	int fd, n = 0, off;

	memset(&s, 0, offsetof(struct seg, data));
	s.sport = rport;
	s.dport = LPORT;
	s.flags = TTP_SYN;
	s.seq = isn;
	s.wnd = 65535;
	s.mss = 1400;
	ASSERT_EQ(0, wire_inject(&self->w, &s));
	ASSERT_EQ(1, read_flow(self, &in, LPORT, rport, 2000))
		TH_LOG("no SYN-ACK to a clean SYN after the fuzzing");
	ASSERT_EQ(TTP_SYN | TTP_ACK, in.flags);
	ASSERT_EQ(isn + 1, in.ack);
	snd = in.seq + 1;

	fill_rnd(self, want, sizeof(want));
	s.flags = TTP_ACK;
	s.seq = isn + 1;
	s.ack = snd;
	s.mss = -1;
	memcpy(s.data, want, sizeof(want));
	s.len = sizeof(want);
	ASSERT_EQ(0, wire_inject(&self->w, &s));
	/* the fuzzing's connections may wait in the queue before this one */
	for (;;) {
		struct sockaddr_ttp a;
		socklen_t al = sizeof(a);

		p = (struct pollfd){ .fd = self->l, .events = POLLIN };
		ASSERT_EQ(1, poll(&p, 1, 2000));
		fd = accept(self->l, SA(&a), &al);
		ASSERT_LE(0, fd);
		if (ntohl(a.sttp_addr.s_addr) == WIRE_PEER &&
		    ntohs(a.sttp_port) == rport)
			break;
		reset_close(fd);
	}
	fcntl(fd, F_SETFL, 0);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ((ssize_t)sizeof(got), recv(fd, got, sizeof(got), MSG_WAITALL));
	ASSERT_EQ(0, memcmp(want, got, sizeof(want)));

	fill_rnd(self, want, sizeof(want));
	ASSERT_EQ((ssize_t)sizeof(want), send(fd, want, sizeof(want), 0));
	while (n < (int)sizeof(want)) {
		ASSERT_EQ(1, read_flow(self, &in, LPORT, rport, 2000))
			TH_LOG("%d of %zu bytes came", n, sizeof(want));
		off = in.seq - snd;
		if (!in.len)
			continue;	/* the ACK of our data */
		/* new bytes or a resend of old ones: no gap, no excess */
		ASSERT_GE(n, off);
		ASSERT_GE((int)sizeof(want), off + in.len);
		ASSERT_EQ(0, memcmp(want + off, in.data, in.len));
		if (off + in.len > n)
			n = off + in.len;
		s.seq = isn + 1 + sizeof(want);	/* ACK: Nagle holds no tail */
		s.ack = snd + n;
		s.len = 0;
		ASSERT_EQ(0, wire_inject(&self->w, &s));
	}
	reset_close(fd);
}

/* Reset every connection L may still have, at its rcv_nxt. */
static void reset_conns(struct __test_metadata *_metadata,
			FIXTURE_DATA(fuzz) *self)
{
	struct seg s;
	int i;

	for (i = 0; i < NFLOW; i++) {
		if (self->f[i].fd >= 0)
			reset_close(self->f[i].fd);
		self->f[i].fd = -1;
	}
	for (i = 0; i < self->nconn; i++) {
		struct conn *c = &self->c[i];

		memset(&s, 0, offsetof(struct seg, data));
		s.saddr = c->raddr;
		s.sport = c->rport;
		s.dport = c->lport;
		s.flags = TTP_RST | TTP_ACK;
		s.seq = c->rcv;
		s.ack = c->snd;
		s.mss = -1;
		ASSERT_EQ(0, wire_inject(&self->w, &s));
	}
}

TEST_F_TIMEOUT(fuzz, packets, 7200)
{
	long packets = ttp_env_long("FUZZ_PACKETS", DEF_PACKETS);
	long csum0 = wire_snmp("InCsumErrors"), mal0 = wire_snmp("Malformed");
	long long t0 = ttp_now_ms(), end;
	long steps = 0;

	ASSERT_LE(0, csum0);
	for (; self->sent < packets; steps++)
		step(_metadata, self);
	drain(self, 300);
	TH_LOG("%ld packets (%ld spoiled checksums, %ld bad lengths), %ld steps, %ld segments from L, %d connections, %lld ms",
	       self->sent, self->spoiled, self->badlen, steps, self->out,
	       self->nconn, ttp_now_ms() - t0);
	EXPECT_EQ(0, self->bad_out) TH_LOG("L sent malformed segments");
	EXPECT_EQ(self->spoiled, wire_snmp("InCsumErrors") - csum0);
	EXPECT_LE(self->badlen, wire_snmp("Malformed") - mal0);

	clean_connection(_metadata, self, PPORT + 999);

	/* twice: a reset may draw a segment that tells the next one's seq */
	reset_conns(_metadata, self);
	drain(self, 300);
	reset_conns(_metadata, self);
	close(self->l);
	close(self->d);
	self->l = self->d = -1;
	end = ttp_now_ms() + 10000;
	while (ttp_table_rows(false) > 0 && ttp_now_ms() < end) {
		drain(self, 100);
		reset_conns(_metadata, self);
	}
	EXPECT_EQ(0, ttp_table_rows(true));
}

/* The half-open connections (SYN_RECV) of this namespace's table. */
static long half_open_rows(void)
{
	char line[512];
	struct ttp_row r;
	long n = 0;
	FILE *f = fopen(ttp_stack()->table, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!ttp_row_parse(line, &r) && r.st == TCP_SYN_RECV)
			n++;
	fclose(f);
	return n;
}

/* syn_flood's real client: its connection from L to L's own listener. */
struct client {
	int l;			/* the listener */
	uint8_t want[65536];
	const char *err;	/* NULL: every byte came, exactly */
};

static void *client_run(void *arg)
{
	struct timeval tv = { .tv_sec = 20 };
	uint8_t got[sizeof(((struct client *)0)->want)];
	struct client *c = arg;
	struct pollfd p = { .fd = c->l, .events = POLLIN };
	int fd, s = -1;

	c->err = "socket";
	fd = socket(ttp_family(), SOCK_STREAM, 0);
	if (fd < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->err = "connect";
	if (ttp_connect(fd, WIRE_LOCAL, LPORT))
		goto out;
	c->err = "accept";
	if (poll(&p, 1, 20000) != 1)
		goto out;
	s = accept(c->l, NULL, NULL);
	if (s < 0)
		goto out;
	fcntl(s, F_SETFL, 0);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	c->err = "send";
	if (send(fd, c->want, sizeof(c->want), 0) != sizeof(c->want))
		goto out;
	c->err = "recv";
	if (recv(s, got, sizeof(got), MSG_WAITALL) != sizeof(got))
		goto out;
	c->err = memcmp(got, c->want, sizeof(got)) ? "bytes differ" : NULL;
out:
	if (s >= 0)
		close(s);
	close(fd);
	return NULL;
}

/*
 * A SYN flood from spoofed sources (most in R's network, some with no
 * route back) while a real client connects to the listener and moves 64
 * KB of random bytes: it gets through (a cookie, its queue being full of
 * the flood's half-open connections), the bytes arrive exact, the
 * listener holds no more than its queue, and every SYN is accounted for:
 * a half-open connection in the queue, a cookie sent, or a drop counted.
 */
TEST_F_TIMEOUT(fuzz, syn_flood, 7200)
{
	long syns = ttp_env_long("FLOOD_SYNS", DEF_SYNS), i, rows, most = 0;
	long sent0 = wire_snmp("SyncookiesSent"), sent;
	long drops0 = wire_snmp("ListenDrops"), drops;
	long aborts0 = wire_snmp("AbortOnTimeout"), aborts, half;
	struct seg syn;
	struct client *c = calloc(1, sizeof(*c));
	pthread_t t;

	ASSERT_NE(NULL, c);
	c->l = self->l;
	fill_rnd(self, c->want, sizeof(c->want));
	memset(&syn, 0, offsetof(struct seg, data));
	syn.dport = LPORT;
	syn.flags = TTP_SYN;
	syn.wnd = 65535;
	syn.mss = 1400;
	for (i = 0; i < syns; i++) {
		if (i == syns / 4)
			ASSERT_EQ(0, pthread_create(&t, NULL, client_run, c));
		/* each source once (a repeat would meet its half-open peer) */
		syn.saddr = i % 16 ? IP4(192, 0, 2, 2 + i % 250) :
			    IP4(10, rnd(self) % 256, rnd(self) % 256, 1);
		syn.sport = i % 16 ? 1024 + i / 250 : rnd(self);
		syn.seq = rnd(self);
		ASSERT_EQ(0, wire_inject(&self->w, &syn));
		if (i % 256 == 0) {
			drain(self, 0);
			rows = ttp_table_rows(false);
			if (rows > most)
				most = rows;
		}
	}
	pthread_join(t, NULL);
	/* the two counts at one moment: no half-open one timed out between */
	do {
		aborts = wire_snmp("AbortOnTimeout") - aborts0;
		half = half_open_rows();
	} while (aborts != wire_snmp("AbortOnTimeout") - aborts0);
	sent = wire_snmp("SyncookiesSent") - sent0;
	drops = wire_snmp("ListenDrops") - drops0;
	TH_LOG("%ld SYNs: %ld cookies, %ld dropped, %ld half-open, %ld half-open timed out, at most %ld sockets",
	       syns, sent, drops, half, aborts, most);
	EXPECT_EQ(NULL, c->err) TH_LOG("the client: %s", c->err);
	/* listener, datagram socket, full queue (backlog + 1), client, peer */
	EXPECT_GE(2 + BACKLOG + 1 + 2, most);
	/*
	 * Each SYN (the client's too) is in the queue, got a cookie, or was
	 * dropped and counted (ListenDrops: while the client's connection
	 * waited in the accept queue, it was full; TCP drops those too). A
	 * flood longer than a SYN-ACK's retries (127 s, the debug kernel's
	 * 100,000) sees half-open connections time out (AbortOnTimeout),
	 * and later SYNs take their places in the queue.
	 */
	EXPECT_EQ(syns + 1, half + aborts + sent + drops);
	EXPECT_GE(BACKLOG + 1, half);
	free(c);
}

TEST_HARNESS_MAIN
