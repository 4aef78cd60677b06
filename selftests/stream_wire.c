// SPDX-License-Identifier: GPL-2.0
/*
 * The stream against a crafted peer (ttp_wire.h): the rules of
 * docs/protocol.md section 5 that TTP's own well-behaved peer never puts
 * to the test. RFC 9293 3.10.7 (segment arrives), RFC 5961 (blind reset,
 * SYN and data injection, challenge ACKs and their rate limit), the
 * handshake's bad ACKs, checksums, out-of-order data that overlaps or is
 * covered, a hostile MSS, a child of a fixed-port listener dying before
 * accept(), an orphan held by a peer that never opens its window, the
 * orphan limit, PAWS (RFC 7323 5.3), SYN cookies (RFC 4987 3.6) and a SYN
 * flood from spoofed sources.
 *
 * Each test is a script: syscalls, segments injected from the peer R,
 * segments expected from L (every field checked, or WIRE_ANY), silences.
 */
#include <poll.h>
#include <sys/socket.h>

#include "ttp_wire.h"
#include "../../kselftest_harness.h"

#define LPORT	5000		/* TTP's (listener's) port */
#define RPORT	4000		/* the crafted peer's */
#define PISN	1000000u	/* the peer's ISN */
#define PWND	65535u		/* the window the peer offers */
#define WAIT	1000		/* ms to wait for a segment that must come */
#define QUIET	300		/* ms of silence that shows none comes */

FIXTURE(wire)
{
	struct wire w;
	int l, s;		/* listener, connection */
	uint32_t snd;		/* TTP's next sequence number (its snd_nxt) */
	uint32_t rcv;		/* the peer's next: TTP's rcv_nxt */
};

FIXTURE_SETUP(wire)
{
	int err;

	self->l = self->s = -1;
	if (getenv("TTP_TEST_AS_UDP"))
		SKIP(return, "reference mode: TTP's wire only");
	err = wire_open(&self->w);
	if (err == -ENOENT || err == -ENODEV)
		SKIP(return, "no tun device in this kernel");
	ASSERT_EQ(0, err) TH_LOG("tun setup: %s", strerror(-err));
}

/*
 * A connection still open is reset, not closed: an orphan left behind by
 * a silent peer would live on for minutes (a cookie's connection, with no
 * RTT measured, starts at RTO 1 s), holding the module for later programs.
 */
FIXTURE_TEARDOWN(wire)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (self->s >= 0) {
		setsockopt(self->s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(self->s);
	}
	if (self->l >= 0)
		close(self->l);
	if (self->w.tun > 0)
		close(self->w.tun);
}

/* A segment from R to L's port with the given fields, no options. */
static struct seg mk(uint16_t flags, uint32_t seq, uint32_t ack)
{
	struct seg s;

	memset(&s, 0, offsetof(struct seg, data));
	s.sport = RPORT;
	s.dport = LPORT;
	s.flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.wnd = PWND;
	s.mss = -1;
	return s;
}

static struct seg mk_data(uint32_t seq, uint32_t ack, const void *p, int len)
{
	struct seg s = mk(TTP_ACK, seq, ack);

	memcpy(s.data, p, len);
	s.len = len;
	return s;
}

#define INJECT(seg_) do {						\
		struct seg _s = (seg_);					\
		ASSERT_EQ(0, wire_inject(&self->w, &_s));		\
	} while (0)

/* The next segment must come within @ms with these fields (WIRE_ANY: any). */
static void expect(struct __test_metadata *_metadata, FIXTURE_DATA(wire) *self,
		   struct seg *got, uint16_t flags, uint32_t seq, uint32_t ack,
		   int len, int ms)
{
	int r = wire_read(&self->w, got, ms);

	ASSERT_EQ(1, r) TH_LOG("expected %s seq %u ack %u len %d: %s",
			       wire_flags(flags), seq, ack, len,
			       r ? "malformed segment" : "nothing came");
	TH_LOG("got %s seq %u ack %u win %u len %d", wire_flags(got->flags),
	       got->seq, got->ack, got->wnd, got->len);
	ASSERT_EQ(flags, got->flags);
	if (seq != WIRE_ANY)
		ASSERT_EQ(seq, got->seq);
	if (ack != WIRE_ANY)
		ASSERT_EQ(ack, got->ack);
	if (len >= 0)
		ASSERT_EQ(len, got->len);
	ASSERT_EQ(RPORT, got->dport);
}

/* No segment for @ms. */
static void expect_none(struct __test_metadata *_metadata,
			FIXTURE_DATA(wire) *self, int ms)
{
	struct seg got;
	int r = wire_read(&self->w, &got, ms);

	ASSERT_EQ(0, r) TH_LOG("unexpected %s seq %u ack %u len %d",
			       wire_flags(got.flags), got.seq, got.ack, got.len);
}

/* A listener on L:@port, not blocking in accept(). */
static void listen_on(struct __test_metadata *_metadata,
		      FIXTURE_DATA(wire) *self, uint16_t port)
{
	int one = 1;

	self->l = socket(ttp_family(), SOCK_STREAM, 0);
	ASSERT_LE(0, self->l);
	ASSERT_EQ(0, setsockopt(self->l, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	ASSERT_EQ(0, ttp_bind(self->l, WIRE_LOCAL, port));
	ASSERT_EQ(0, listen(self->l, 8));
	fcntl(self->l, F_SETFL, O_NONBLOCK);
}

/*
 * SYN from R (MSS @mss, -1 none; timestamps if @ts); the SYN-ACK;
 * self->snd, self->rcv set.
 */
static void syn_synack_ts(struct __test_metadata *_metadata,
			  FIXTURE_DATA(wire) *self, int mss, bool ts)
{
	struct seg syn = mk(TTP_SYN, PISN, 0), got;

	syn.mss = mss;
	syn.ts = ts;
	syn.tsval = 100;
	INJECT(syn);
	expect(_metadata, self, &got, TTP_SYN | TTP_ACK, WIRE_ANY, PISN + 1,
	       0, WAIT);
	ASSERT_NE(-1, got.mss) TH_LOG("the SYN-ACK carries no MSS option");
	ASSERT_EQ(ts, got.ts);
	self->snd = got.seq + 1;
	self->rcv = PISN + 1;
}

static void syn_synack(struct __test_metadata *_metadata,
		       FIXTURE_DATA(wire) *self, int mss)
{
	syn_synack_ts(_metadata, self, mss, false);
}

/* A connection accepted from a listener on LPORT: self->s, ESTABLISHED. */
static void establish(struct __test_metadata *_metadata,
		      FIXTURE_DATA(wire) *self, int mss)
{
	listen_on(_metadata, self, LPORT);
	syn_synack(_metadata, self, mss);
	INJECT(mk(TTP_ACK, self->rcv, self->snd));
	self->s = accept(self->l, NULL, NULL);
	ASSERT_LE(0, self->s) TH_LOG("accept: %s", strerror(errno));
	fcntl(self->s, F_SETFL, O_NONBLOCK);
}

/* establish() with timestamps: the peer's TSval is 100, then 200. */
static void establish_ts(struct __test_metadata *_metadata,
			 FIXTURE_DATA(wire) *self)
{
	struct seg s;

	listen_on(_metadata, self, LPORT);
	syn_synack_ts(_metadata, self, 1400, true);
	s = mk(TTP_ACK, self->rcv, self->snd);
	s.ts = true;
	s.tsval = 200;
	INJECT(s);
	self->s = accept(self->l, NULL, NULL);
	ASSERT_LE(0, self->s) TH_LOG("accept: %s", strerror(errno));
	fcntl(self->s, F_SETFL, O_NONBLOCK);
}

/* What the connection holds to read now, exactly @want. */
static void expect_read(struct __test_metadata *_metadata,
			FIXTURE_DATA(wire) *self, const void *want, int len)
{
	char buf[WIRE_MAXPAY + 1];
	int i, n = -1;

	for (i = 0; i < 50 && n < 0; i++) {
		n = recv(self->s, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			usleep(10000);
		else
			break;
	}
	ASSERT_EQ(len, n) TH_LOG("recv: %s", n < 0 ? strerror(errno) : "");
	ASSERT_EQ(0, memcmp(buf, want, len));
}

static void expect_nothing_to_read(struct __test_metadata *_metadata,
				   FIXTURE_DATA(wire) *self)
{
	char buf[64];

	ASSERT_EQ(-1, recv(self->s, buf, sizeof(buf), MSG_DONTWAIT));
	ASSERT_EQ(EAGAIN, errno);
}

/* The connection lives: data from the user goes out, data in comes up. */
static void expect_alive(struct __test_metadata *_metadata,
			 FIXTURE_DATA(wire) *self)
{
	struct seg got;

	ASSERT_EQ(4, send(self->s, "ping", 4, 0));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 4, WAIT);
	ASSERT_EQ(0, memcmp(got.data, "ping", 4));
	self->snd += 4;
	INJECT(mk_data(self->rcv, self->snd, "pong", 4));
	self->rcv += 4;
	expect_read(_metadata, self, "pong", 4);
}

/* The next segment to R's port @port, skipping others' (a flood's). */
static int read_to(FIXTURE_DATA(wire) *self, struct seg *got, uint16_t port,
		   int ms)
{
	long long end = ttp_now_ms() + ms;
	int r, left;

	while ((left = (int)(end - ttp_now_ms())) > 0) {
		r = wire_read(&self->w, got, left);
		if (r != 1 || got->dport == port)
			return r;
	}
	return 0;
}

/* ---- RFC 5961 3.2: resets ------------------------------------------ */

TEST_F(wire, rst_at_rcv_nxt_resets)
{
	long rsts;
	char c;

	establish(_metadata, self, 1400);
	rsts = wire_snmp("InRsts");
	INJECT(mk(TTP_RST, self->rcv, 0));
	expect_none(_metadata, self, QUIET);
	ASSERT_EQ(-1, recv(self->s, &c, 1, 0));
	ASSERT_EQ(ECONNRESET, errno);
	ASSERT_EQ(rsts + 1, wire_snmp("InRsts"));
}

TEST_F(wire, rst_in_window_draws_challenge_ack)
{
	long ch;
	struct seg got;

	establish(_metadata, self, 1400);
	ch = wire_snmp("ChallengeACKs");
	INJECT(mk(TTP_RST, self->rcv + 100, 0));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	ASSERT_EQ(ch + 1, wire_snmp("ChallengeACKs"));
	expect_alive(_metadata, self);
}

TEST_F(wire, rst_outside_window_ignored)
{
	establish(_metadata, self, 1400);
	INJECT(mk(TTP_RST, self->rcv + (1u << 30), 0));
	INJECT(mk(TTP_RST, self->rcv - 1, 0));
	expect_none(_metadata, self, QUIET);
	expect_alive(_metadata, self);
}

/* ---- RFC 5961 4.2: SYN on a synchronized connection ---------------- */

/*
 * RFC 5961 4.2: a SYN on a synchronized connection draws a challenge ACK
 * whatever its sequence number, in the window or out of it (as Linux's
 * syn_challenge): a blind attacker's SYNs are counted as such.
 */
TEST_F(wire, syn_on_established_draws_challenge_ack)
{
	long c0 = wire_snmp("ChallengeACKs");
	struct seg got;

	ASSERT_EQ(0, ttp_sysctl("invalid_ratelimit_ms", 0));
	establish(_metadata, self, 1400);
	INJECT(mk(TTP_SYN, self->rcv + 7, 0));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	ASSERT_EQ(c0 + 1, wire_snmp("ChallengeACKs"));
	INJECT(mk(TTP_SYN, self->rcv + 0x40000000u, 0));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	ASSERT_EQ(c0 + 2, wire_snmp("ChallengeACKs"));
	expect_alive(_metadata, self);
}

/* ---- RFC 5961 5.2: the ACK's range --------------------------------- */

/*
 * Data at exactly rcv_nxt, with an ACK from far behind snd_una (a blind
 * guess): dropped, payload and all, and a challenge ACK instead.
 */
TEST_F(wire, ack_too_old_drops_payload)
{
	struct seg got;
	long bad;

	establish(_metadata, self, 1400);
	bad = wire_snmp("BadACKs");
	INJECT(mk_data(self->rcv, self->snd - (1u << 20), "EVIL", 4));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	expect_nothing_to_read(_metadata, self);
	ASSERT_EQ(bad + 1, wire_snmp("BadACKs"));
	/* no byte was acknowledged yet: even one behind snd_una is too old */
	INJECT(mk_data(self->rcv, self->snd - 1, "EVIL", 4));
	expect_none(_metadata, self, QUIET);	/* the rate limit: no second */
	expect_nothing_to_read(_metadata, self);
	ASSERT_EQ(bad + 2, wire_snmp("BadACKs"));
	expect_alive(_metadata, self);
}

TEST_F(wire, ack_of_unsent_drops_payload)
{
	struct seg got;

	establish(_metadata, self, 1400);
	INJECT(mk_data(self->rcv, self->snd + 5000, "EVIL", 4));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	expect_nothing_to_read(_metadata, self);
	expect_alive(_metadata, self);
}

/*
 * An ACK behind snd_una but within what was acknowledged is an old one,
 * reordered: its data is taken, its window is not (SND.UNA =< SEG.ACK).
 */
TEST_F(wire, old_ack_does_not_shut_window)
{
	char buf[100];
	struct seg got;

	establish(_metadata, self, 1400);
	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(100, send(self->s, buf, 100, 0));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 100, WAIT);
	INJECT(mk_data(self->rcv, self->snd + 100, "abcde", 5));
	self->rcv += 5;
	expect_read(_metadata, self, "abcde", 5);
	wire_drain(&self->w, 100);	/* its ACK, maybe delayed */
	got = mk_data(self->rcv, self->snd + 50, "fghij", 5);
	got.wnd = 0;
	INJECT(got);
	self->rcv += 5;
	self->snd += 100;
	expect_read(_metadata, self, "fghij", 5);
	wire_drain(&self->w, 100);
	ASSERT_EQ(3, send(self->s, "end", 3, 0));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 3, WAIT);
}

/*
 * RFC 7323 4.3 and RFC 5961: a segment outside the window whose ACK is not
 * one we could have sent moves nothing, not even the TSval TTP echoes.
 */
TEST_F(wire, bad_segment_leaves_ts_recent)
{
	struct seg s, got;

	establish_ts(_metadata, self);
	/* a resend of bytes TTP has, its ACK a guess: answered, not believed */
	s = mk_data(self->rcv, self->snd, "0123456789", 10);
	s.ts = true;
	s.tsval = 300;
	INJECT(s);
	self->rcv += 10;
	expect_read(_metadata, self, "0123456789", 10);
	wire_drain(&self->w, 100);
	s = mk_data(self->rcv - 10, self->snd + 100000, "0123456789", 10);
	s.ts = true;
	s.tsval = 5000;
	INJECT(s);
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	ASSERT_TRUE(got.ts);
	ASSERT_EQ(300, got.tsecr);
	/* the same resend with a good ACK: its TSval is echoed */
	s.ack = self->snd;
	INJECT(s);
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	ASSERT_EQ(5000, got.tsecr);
}

/* RFC 5961 7: per socket, one unsolicited ACK per invalid_ratelimit_ms. */
TEST_F(wire, challenge_acks_rate_limited)
{
	long skipped;
	struct seg got;
	int i;

	establish(_metadata, self, 1400);
	skipped = wire_snmp("ACKSkipped");
	for (i = 0; i < 5; i++)
		INJECT(mk(TTP_RST, self->rcv + 10 + i, 0));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	expect_none(_metadata, self, QUIET);
	ASSERT_EQ(skipped + 4, wire_snmp("ACKSkipped"));
	/* 0: every one answered */
	ASSERT_EQ(0, ttp_sysctl("invalid_ratelimit_ms", 0));
	for (i = 0; i < 3; i++)
		INJECT(mk(TTP_SYN, self->rcv + 10 + i, 0));
	for (i = 0; i < 3; i++)
		expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0,
		       WAIT);
	expect_alive(_metadata, self);
}

/* A resent segment (our ACK was lost) is always answered. */
TEST_F(wire, old_data_always_acked)
{
	struct seg got;
	int i;

	establish(_metadata, self, 1400);
	INJECT(mk_data(self->rcv, self->snd, "once", 4));
	self->rcv += 4;
	expect_read(_metadata, self, "once", 4);
	wire_drain(&self->w, 100);
	for (i = 0; i < 3; i++) {
		INJECT(mk_data(self->rcv - 4, self->snd, "once", 4));
		expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0,
		       WAIT);
	}
	expect_nothing_to_read(_metadata, self);
}

/* ---- the handshake ------------------------------------------------- */

TEST_F(wire, data_on_final_ack)
{
	listen_on(_metadata, self, LPORT);
	syn_synack(_metadata, self, 1400);
	INJECT(mk_data(self->rcv, self->snd, "hello", 5));
	self->rcv += 5;
	self->s = accept(self->l, NULL, NULL);
	ASSERT_LE(0, self->s) TH_LOG("accept: %s", strerror(errno));
	expect_read(_metadata, self, "hello", 5);
}

TEST_F(wire, bad_ack_in_syn_recv_draws_reset)
{
	struct seg got;

	listen_on(_metadata, self, LPORT);
	syn_synack(_metadata, self, 1400);
	INJECT(mk(TTP_ACK, self->rcv, self->snd + 5));
	expect(_metadata, self, &got, TTP_RST, self->snd + 5, WIRE_ANY, 0,
	       WAIT);
	ASSERT_EQ(-1, accept(self->l, NULL, NULL));
	ASSERT_EQ(EAGAIN, errno);
	/* the right ACK still completes it */
	INJECT(mk(TTP_ACK, self->rcv, self->snd));
	usleep(50000);
	self->s = accept(self->l, NULL, NULL);
	ASSERT_LE(0, self->s);
}

TEST_F(wire, bad_ack_in_syn_sent_draws_reset)
{
	struct seg got, sa;
	uint32_t iss;

	self->s = socket(ttp_family(), SOCK_STREAM, 0);
	ASSERT_LE(0, self->s);
	ASSERT_EQ(0, ttp_bind(self->s, WIRE_LOCAL, LPORT));
	fcntl(self->s, F_SETFL, O_NONBLOCK);
	ASSERT_EQ(-1, ttp_connect(self->s, WIRE_PEER, RPORT));
	ASSERT_EQ(EINPROGRESS, errno);
	expect(_metadata, self, &got, TTP_SYN, WIRE_ANY, WIRE_ANY, 0, WAIT);
	iss = got.seq;
	sa = mk(TTP_SYN | TTP_ACK, PISN, iss + 7);
	INJECT(sa);
	expect(_metadata, self, &got, TTP_RST, iss + 7, WIRE_ANY, 0, WAIT);
	/* still connecting: the right SYN-ACK completes it */
	sa.ack = iss + 1;
	INJECT(sa);
	expect(_metadata, self, &got, TTP_ACK, iss + 1, PISN + 1, 0, WAIT);
	self->snd = iss + 1;
	self->rcv = PISN + 1;
	expect_alive(_metadata, self);
}

/*
 * An ICMP error about a segment is believed only when the sequence number
 * it quotes lies in [snd_una, snd_max] (5.7): a stranger's guess at the
 * ports alone cannot end a connect().
 */
TEST_F(wire, icmp_error_checks_quoted_seq)
{
	struct seg got;
	socklen_t len = sizeof(int);
	int err = -1;
	uint32_t iss;

	self->s = socket(ttp_family(), SOCK_STREAM, 0);
	ASSERT_LE(0, self->s);
	ASSERT_EQ(0, ttp_bind(self->s, WIRE_LOCAL, LPORT));
	fcntl(self->s, F_SETFL, O_NONBLOCK);
	ASSERT_EQ(-1, ttp_connect(self->s, WIRE_PEER, RPORT));
	ASSERT_EQ(EINPROGRESS, errno);
	expect(_metadata, self, &got, TTP_SYN, WIRE_ANY, WIRE_ANY, 0, WAIT);
	iss = got.seq;
	/* host unreachable, quoting a number outside the window: ignored */
	ASSERT_EQ(0, wire_inject_icmp(&self->w, 3, 1, LPORT, RPORT,
				      iss + 100000));
	ASSERT_EQ(0, wire_inject_icmp(&self->w, 3, 1, LPORT, RPORT, iss - 1));
	usleep(100000);
	ASSERT_EQ(0, getsockopt(self->s, SOL_SOCKET, SO_ERROR, &err, &len));
	ASSERT_EQ(0, err);
	/* quoting the SYN: connect() fails with its errno */
	ASSERT_EQ(0, wire_inject_icmp(&self->w, 3, 1, LPORT, RPORT, iss));
	usleep(100000);
	ASSERT_EQ(0, getsockopt(self->s, SOL_SOCKET, SO_ERROR, &err, &len));
	ASSERT_EQ(EHOSTUNREACH, err);
}

TEST_F(wire, bare_ack_to_listener_draws_reset)
{
	struct seg got;

	listen_on(_metadata, self, LPORT);
	INJECT(mk(TTP_ACK, 777, 123456));
	expect(_metadata, self, &got, TTP_RST, 123456, WIRE_ANY, 0, WAIT);
	ASSERT_EQ(-1, accept(self->l, NULL, NULL));
	ASSERT_EQ(EAGAIN, errno);
}

/* ---- bad input ----------------------------------------------------- */

TEST_F(wire, bad_checksum_counted_and_dropped)
{
	struct seg bad;
	long csum;

	establish(_metadata, self, 1400);
	csum = wire_snmp("InCsumErrors");
	bad = mk_data(self->rcv, self->snd, "CORRUPT", 7);
	bad.bad_csum = true;
	INJECT(bad);
	expect_none(_metadata, self, QUIET);
	expect_nothing_to_read(_metadata, self);
	ASSERT_EQ(csum + 1, wire_snmp("InCsumErrors"));
	expect_alive(_metadata, self);
}

/*
 * A peer's MSS of 1, less than the timestamp option every segment then
 * carries: the floor, 64 bytes of payload, not a wrapped number.
 */
TEST_F(wire, mss_option_of_one)
{
	char buf[300];
	struct seg got;

	listen_on(_metadata, self, LPORT);
	syn_synack_ts(_metadata, self, 1, true);
	INJECT(mk(TTP_ACK, self->rcv, self->snd));
	self->s = accept(self->l, NULL, NULL);
	ASSERT_LE(0, self->s) TH_LOG("accept: %s", strerror(errno));
	memset(buf, 'm', sizeof(buf));
	ASSERT_EQ(300, send(self->s, buf, sizeof(buf), 0));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 64, WAIT);
	ASSERT_TRUE(got.ts);
	ASSERT_EQ(100, got.tsecr);
}

/* A window larger than 2^30 is taken as 2^30: sends go on. */
TEST_F(wire, huge_window_clamped)
{
	struct seg s;

	establish(_metadata, self, 1400);
	s = mk(TTP_ACK, self->rcv, self->snd);
	s.wnd = 0xffffffffu;
	INJECT(s);
	expect_none(_metadata, self, QUIET);
	expect_alive(_metadata, self);
}

/* ---- out-of-order data --------------------------------------------- */

static void fill_rand(uint8_t *p, int len, unsigned int seed)
{
	int i;

	srand(seed);
	for (i = 0; i < len; i++)
		p[i] = rand();
}

/*
 * Held [200,300) then [100,400) in order (rcv_nxt = 100): the held segment
 * is covered whole. Every byte once; nothing left held: close() after the
 * peer's FIN is a FIN, not a reset of unread data.
 */
TEST_F(wire, ofo_covered_segment_freed)
{
	uint8_t data[400];
	struct seg got;
	int i;

	fill_rand(data, sizeof(data), 1);
	establish(_metadata, self, 1400);
	INJECT(mk_data(self->rcv + 100, self->snd, data + 100, 100));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	INJECT(mk_data(self->rcv, self->snd, data, 300));
	self->rcv += 300;
	expect_read(_metadata, self, data, 300);
	wire_drain(&self->w, 100);
	INJECT(mk(TTP_FIN | TTP_ACK, self->rcv, self->snd));
	self->rcv++;
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	close(self->s);
	self->s = -1;
	expect(_metadata, self, &got, TTP_FIN | TTP_ACK, self->snd, self->rcv,
	       0, WAIT);
	/* LAST_ACK ends with the FIN's ACK: no orphan left resending it */
	INJECT(mk(TTP_ACK, self->rcv, self->snd + 1));
	for (i = 0; i < 100 && ttp_table_rows(false) != 1; i++)
		usleep(10000);
	ASSERT_EQ(1, ttp_table_rows(false));
}

/* Held [100,300) then [0,200): the overlap is delivered once. */
TEST_F(wire, ofo_overlap_delivered_once)
{
	uint8_t data[300];
	struct seg got;

	fill_rand(data, sizeof(data), 2);
	establish(_metadata, self, 1400);
	INJECT(mk_data(self->rcv + 100, self->snd, data + 100, 200));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	INJECT(mk_data(self->rcv, self->snd, data, 200));
	self->rcv += 300;
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	expect_read(_metadata, self, data, 300);
	expect_nothing_to_read(_metadata, self);
}

/* In-order data that overlaps what was read already: the new part once. */
TEST_F(wire, in_order_overlap_delivered_once)
{
	uint8_t data[200];

	fill_rand(data, sizeof(data), 3);
	establish(_metadata, self, 1400);
	INJECT(mk_data(self->rcv, self->snd, data, 120));
	expect_read(_metadata, self, data, 120);
	INJECT(mk_data(self->rcv + 20, self->snd, data + 20, 180));
	self->rcv += 200;
	expect_read(_metadata, self, data + 120, 80);
	expect_nothing_to_read(_metadata, self);
}

/* ---- lifetimes ------------------------------------------------------ */

/*
 * The path's MTU belongs to the route, not to a connection: an ICMP
 * "fragmentation needed" about one connection lowers it for every other
 * to the same host, and they size their next segments to it (as
 * tcp_current_mss()). Below the 552-byte floor the route's MTU is locked
 * and IP stops setting DF: a segment sized for the old MTU would go out
 * as IP fragments.
 */
TEST_F(wire, pmtu_shared_by_connections)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct seg syn = mk(TTP_SYN, PISN, 0), got;
	uint8_t buf[1200];
	uint32_t bsnd;
	int b;

	establish(_metadata, self, 1400);
	syn.sport = RPORT + 1;
	syn.mss = 1400;
	INJECT(syn);
	ASSERT_EQ(1, read_to(self, &got, RPORT + 1, WAIT));
	ASSERT_EQ(TTP_SYN | TTP_ACK, got.flags);
	bsnd = got.seq + 1;
	syn = mk(TTP_ACK, PISN + 1, bsnd);
	syn.sport = RPORT + 1;
	INJECT(syn);
	b = accept(self->l, NULL, NULL);
	ASSERT_LE(0, b) TH_LOG("accept: %s", strerror(errno));

	/* A's data in flight; an ICMP quoting it: 300, so the floor, 552 */
	fill_rand(buf, sizeof(buf), 13);
	ASSERT_EQ(1000, send(self->s, buf, 1000, 0));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 1000, WAIT);
	ASSERT_EQ(0, wire_inject_icmp_mtu(&self->w, 3, 4, 300, LPORT, RPORT,
					  self->snd));
	/* A resends at the new size: 552 - 44 */
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 508, WAIT);

	/* B, told nothing, sends 1200 bytes as 508 + 508, then 184 */
	ASSERT_EQ(1200, send(b, buf, 1200, 0));
	ASSERT_EQ(1, read_to(self, &got, RPORT + 1, WAIT))
		TH_LOG("B's first segment: none, or not whole (IP fragments)");
	ASSERT_EQ(bsnd, got.seq);
	ASSERT_EQ(508, got.len);
	ASSERT_EQ(1, read_to(self, &got, RPORT + 1, WAIT));
	ASSERT_EQ(bsnd + 508, got.seq);
	ASSERT_EQ(508, got.len);
	syn = mk(TTP_ACK, PISN + 1, bsnd + 1016);	/* Nagle's wait ends */
	syn.sport = RPORT + 1;
	INJECT(syn);
	ASSERT_EQ(1, read_to(self, &got, RPORT + 1, WAIT));
	ASSERT_EQ(bsnd + 1016, got.seq);
	ASSERT_EQ(184, got.len);
	ASSERT_EQ(0, memcmp(buf + 1016, got.data, 184));
	setsockopt(b, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(b);
}

/*
 * A child of a listener on a fixed port, reset before accept(): it gives
 * the port back before it is freed. The listener's close then frees the
 * port for a new bind() without SO_REUSEADDR; /proc/net/ttp is walked
 * in between (KASAN saw a freed child there).
 */
static void child_dies(struct __test_metadata *_metadata,
		       FIXTURE_DATA(wire) *self, bool established)
{
	char line[512];
	FILE *f;
	int fd;

	listen_on(_metadata, self, LPORT);
	syn_synack(_metadata, self, 1400);
	if (established)
		INJECT(mk(TTP_ACK, self->rcv, self->snd));
	INJECT(mk(TTP_RST, self->rcv, 0));
	expect_none(_metadata, self, QUIET);
	f = fopen("/proc/net/ttp", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		;
	fclose(f);
	ASSERT_EQ(-1, accept(self->l, NULL, NULL));
	ASSERT_EQ(EAGAIN, errno);
	close(self->l);
	self->l = -1;
	fd = socket(ttp_family(), SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ttp_bind(fd, WIRE_LOCAL, LPORT))
		TH_LOG("bind after the child died: %s", strerror(errno));
	close(fd);
}

TEST_F(wire, fixed_port_child_reset_in_syn_recv)
{
	child_dies(_metadata, self, false);
}

TEST_F(wire, fixed_port_child_reset_established)
{
	child_dies(_metadata, self, true);
}

/*
 * An orphan with data queued behind a shut window, its probes answered
 * with window 0 every time: aborted after net.ttp.orphan_retries probes,
 * with a reset, not kept forever.
 */
TEST_F(wire, orphan_behind_shut_window_dies)
{
	long aborts = wire_snmp("AbortOnTimeout");
	long long end;
	char buf[1000];
	struct seg got, s;
	int probes = 0;
	bool reset = false;

	ASSERT_EQ(0, ttp_sysctl("orphan_retries", 3));
	establish(_metadata, self, 1400);
	s = mk(TTP_ACK, self->rcv, self->snd);
	s.wnd = 0;
	INJECT(s);
	expect_none(_metadata, self, 100);
	memset(buf, 'o', sizeof(buf));
	ASSERT_EQ(1000, send(self->s, buf, sizeof(buf), 0));
	close(self->s);
	self->s = -1;
	end = ttp_now_ms() + 15000;
	while (!reset && ttp_now_ms() < end) {
		if (wire_read(&self->w, &got, 500) != 1)
			continue;
		if (got.flags & TTP_RST) {
			reset = true;
			break;
		}
		probes++;
		INJECT(s);	/* alive, window still shut */
	}
	ASSERT_TRUE(reset) TH_LOG("no reset after %d probes", probes);
	ASSERT_LE(3, probes);
	ASSERT_EQ(aborts + 1, wire_snmp("AbortOnTimeout"));
}

/* ---- sending, acknowledging, timers (RFC 9293 3.7, 3.8) ------------- */

/*
 * Nagle: while a small segment is unacknowledged, small writes wait and go
 * out as one segment when the ACK comes.
 */
TEST_F(wire, nagle_coalesces_small_writes)
{
	struct seg got;

	establish(_metadata, self, 1400);
	ASSERT_EQ(1, send(self->s, "a", 1, 0));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 1, WAIT);
	ASSERT_EQ(1, send(self->s, "b", 1, 0));
	ASSERT_EQ(1, send(self->s, "c", 1, 0));
	ASSERT_EQ(1, send(self->s, "d", 1, 0));
	expect_none(_metadata, self, 100);	/* less than the RTO */
	INJECT(mk(TTP_ACK, self->rcv, self->snd + 1));
	expect(_metadata, self, &got, TTP_ACK, self->snd + 1, self->rcv, 3,
	       WAIT);
	ASSERT_EQ(0, memcmp(got.data, "bcd", 3));
}

/* TTP_NODELAY: each write goes out at once, acknowledged or not. */
TEST_F(wire, nodelay_sends_each_write)
{
	struct seg got;
	int one = 1;

	establish(_metadata, self, 1400);
	ASSERT_EQ(0, setsockopt(self->s, SOL_TTP, TTP_NODELAY, &one,
				sizeof(one)));
	ASSERT_EQ(1, send(self->s, "a", 1, 0));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 1, WAIT);
	ASSERT_EQ(1, send(self->s, "b", 1, 0));
	expect(_metadata, self, &got, TTP_ACK, self->snd + 1, self->rcv, 1,
	       WAIT);
	ASSERT_EQ('b', got.data[0]);
}

/*
 * Delayed ACK, once the first 16 segments (acknowledged at once, as TCP's
 * quick ACKs) are in: one ACK for two full segments, and a lone small
 * segment acknowledged by the timer, not at once.
 */
TEST_F(wire, delayed_ack_policy)
{
	uint8_t data[1400];
	long long t0;
	struct seg got;
	int i;

	fill_rand(data, sizeof(data), 5);
	establish(_metadata, self, 1400);
	for (i = 0; i < 16; i++) {
		INJECT(mk_data(self->rcv, self->snd, data, 10));
		self->rcv += 10;
		expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0,
		       WAIT);
	}
	INJECT(mk_data(self->rcv, self->snd, data, 1400));
	INJECT(mk_data(self->rcv + 1400, self->snd, data, 1400));
	self->rcv += 2800;
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	INJECT(mk_data(self->rcv, self->snd, data, 10));
	self->rcv += 10;
	t0 = ttp_now_ms();
	expect_none(_metadata, self, 10);
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, 200);
	TH_LOG("the lone segment's ACK after %lld ms", ttp_now_ms() - t0);
}

/*
 * The window update that opened a shut window is lost: the persist timer's
 * probe (an empty segment one below snd_una) draws it again, and the data
 * goes.
 */
TEST_F(wire, persist_recovers_lost_window_update)
{
	struct seg got, s;

	establish(_metadata, self, 1400);
	s = mk(TTP_ACK, self->rcv, self->snd);
	s.wnd = 0;
	INJECT(s);
	expect_none(_metadata, self, 100);
	ASSERT_EQ(5, send(self->s, "hello", 5, 0));
	expect(_metadata, self, &got, TTP_ACK, self->snd - 1, self->rcv, 0,
	       3000);
	s.wnd = PWND;
	INJECT(s);
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 5, WAIT);
	ASSERT_EQ(0, memcmp(got.data, "hello", 5));
}

/*
 * SO_LINGER {1, 2} against a peer that acknowledges nothing: close() waits
 * the 2 s and returns 0.
 */
TEST_F(wire, linger_waits_its_time)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 2 };
	long long t0, ms;
	struct seg got;
	int r;

	establish(_metadata, self, 1400);
	ASSERT_EQ(0, setsockopt(self->s, SOL_SOCKET, SO_LINGER, &lg,
				sizeof(lg)));
	fcntl(self->s, F_SETFL, 0);
	ASSERT_EQ(10, send(self->s, "0123456789", 10, 0));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 10, WAIT);
	t0 = ttp_now_ms();
	r = close(self->s);
	ms = ttp_now_ms() - t0;
	self->s = -1;
	ASSERT_EQ(0, r);
	ASSERT_LE(1900, ms);
	ASSERT_GT(5000, ms);
	INJECT(mk(TTP_RST, self->rcv, 0));	/* leave nothing behind */
}

/*
 * TIME_WAIT acknowledges a resent FIN again, and answers a SYN on the same
 * ports that is not newer than the connection (its sequence number behind
 * rcv_nxt, no timestamps) with an ACK of what it holds (RFC 5961 4.2),
 * staying; a newer SYN ends it and the listener answers (RFC 6191), here
 * once the socket is closed (ttpdrill's time_wait_syn.ttd keeps it open).
 */
TEST_F(wire, time_wait_answers_fin_and_syn)
{
	struct seg got;

	ASSERT_EQ(0, ttp_sysctl("tw_timeout_ms", 10000));
	ASSERT_EQ(0, ttp_sysctl("invalid_ratelimit_ms", 0));
	establish(_metadata, self, 1400);
	ASSERT_EQ(0, shutdown(self->s, SHUT_WR));
	expect(_metadata, self, &got, TTP_FIN | TTP_ACK, self->snd, self->rcv,
	       0, WAIT);
	self->snd++;
	INJECT(mk(TTP_FIN | TTP_ACK, self->rcv, self->snd));
	self->rcv++;
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	INJECT(mk(TTP_FIN | TTP_ACK, self->rcv - 1, self->snd));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	INJECT(mk(TTP_SYN, self->rcv - 100000, 0));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	ASSERT_EQ(2, ttp_table_rows(false)) TH_LOG("the listener and TIME_WAIT");
	close(self->s);		/* TIME_WAIT's alone now, as after close() */
	self->s = -1;
	INJECT(mk(TTP_SYN, self->rcv + 100000, 0));
	expect(_metadata, self, &got, TTP_SYN | TTP_ACK, WIRE_ANY,
	       self->rcv + 100001, 0, WAIT);
	ASSERT_EQ(2, ttp_table_rows(false)) TH_LOG("the listener and SYN_RECV");
	INJECT(mk(TTP_RST, self->rcv + 100001, 0));	/* leave nothing behind */
}

/*
 * Keepalive: after TTP_KEEPIDLE idle seconds a probe (an ACK one below
 * snd_una); an answer starts the idle time again; TTP_KEEPCNT probes
 * unanswered end the connection with ETIMEDOUT.
 */
TEST_F(wire, keepalive_probes_then_timeout)
{
	int one = 1, two = 2, i, r = 0;
	struct seg got;
	char c;

	establish(_metadata, self, 1400);
	ASSERT_EQ(0, setsockopt(self->s, SOL_TTP, TTP_KEEPIDLE, &one,
				sizeof(one)));
	ASSERT_EQ(0, setsockopt(self->s, SOL_TTP, TTP_KEEPINTVL, &one,
				sizeof(one)));
	ASSERT_EQ(0, setsockopt(self->s, SOL_TTP, TTP_KEEPCNT, &two,
				sizeof(two)));
	ASSERT_EQ(0, setsockopt(self->s, SOL_SOCKET, SO_KEEPALIVE, &one,
				sizeof(one)));
	expect(_metadata, self, &got, TTP_ACK, self->snd - 1, self->rcv, 0,
	       3000);
	INJECT(mk(TTP_ACK, self->rcv, self->snd));
	expect(_metadata, self, &got, TTP_ACK, self->snd - 1, self->rcv, 0,
	       3000);
	expect(_metadata, self, &got, TTP_ACK, self->snd - 1, self->rcv, 0,
	       3000);
	for (i = 0; i < 500; i++) {
		r = recv(self->s, &c, 1, MSG_DONTWAIT);
		if (r >= 0 || errno != EAGAIN)
			break;
		usleep(10000);
	}
	ASSERT_EQ(-1, r);
	ASSERT_EQ(ETIMEDOUT, errno);
}

/* A SYN of ours to @port from L's port @lport; its ISN. */
static uint32_t connect_isn(struct __test_metadata *_metadata,
			    FIXTURE_DATA(wire) *self, int fd, uint16_t lport)
{
	struct seg got;
	int one = 1;

	EXPECT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	EXPECT_EQ(0, ttp_bind(fd, WIRE_LOCAL, lport));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	EXPECT_EQ(-1, ttp_connect(fd, WIRE_PEER, RPORT));
	EXPECT_EQ(1, read_to(self, &got, RPORT, WAIT));
	EXPECT_EQ(TTP_SYN, got.flags);
	EXPECT_EQ(lport, got.sport);
	return got.seq;
}

/* RFC 6528: ISNs differ between 4-tuples and, in time, for one 4-tuple. */
TEST_F(wire, isns_differ)
{
	uint32_t a, b, c;
	int fd;

	fd = socket(ttp_family(), SOCK_STREAM, 0);
	a = connect_isn(_metadata, self, fd, LPORT);
	close(fd);
	fd = socket(ttp_family(), SOCK_STREAM, 0);
	b = connect_isn(_metadata, self, fd, LPORT + 1);
	close(fd);
	usleep(20000);
	fd = socket(ttp_family(), SOCK_STREAM, 0);
	c = connect_isn(_metadata, self, fd, LPORT);
	close(fd);
	TH_LOG("ISNs %u %u %u", a, b, c);
	ASSERT_NE(a, b);
	ASSERT_NE(a, c);
	/* the clock part: 20 ms is about 4900 ticks of 4.096 us */
	ASSERT_LT(c - a, 1000000u);
}

/* ---- PAWS (RFC 7323 5.3) ------------------------------------------- */

/* Data from the peer with TSval @tsval, acknowledged at once. */
static void ts_data_taken(struct __test_metadata *_metadata,
			  FIXTURE_DATA(wire) *self, const char *p,
			  uint32_t tsval)
{
	int len = strlen(p);
	struct seg s = mk_data(self->rcv, self->snd, p, len), got;

	s.ts = true;
	s.tsval = tsval;
	INJECT(s);
	self->rcv += len;
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	ASSERT_EQ(tsval, got.tsecr);
	expect_read(_metadata, self, p, len);
}

/*
 * Data at rcv_nxt with TSval @tsval: dropped by PAWS (counted, answered
 * with an ACK echoing @echo, nothing to read) if @dropped, else taken.
 */
static void ts_data_paws(struct __test_metadata *_metadata,
			 FIXTURE_DATA(wire) *self, const char *p,
			 uint32_t tsval, uint32_t echo, bool dropped)
{
	long paws = wire_snmp("PAWSEstab");
	int len = strlen(p);
	struct seg s = mk_data(self->rcv, self->snd, p, len), got;

	s.ts = true;
	s.tsval = tsval;
	INJECT(s);
	if (!dropped)
		self->rcv += len;
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	ASSERT_EQ(echo, got.tsecr);
	if (dropped)
		expect_nothing_to_read(_metadata, self);
	else
		expect_read(_metadata, self, p, len);
	ASSERT_EQ(paws + dropped, wire_snmp("PAWSEstab"));
}

/*
 * A segment in the window whose TSval is more than 1 ms (1000 of TTP's
 * microsecond ticks) older than the last one taken is an old duplicate:
 * dropped and counted, answered with an ACK of what is held; the same
 * bytes with a newer TSval are taken. One up to 1 ms older is a segment
 * reordered on the way, taken, and the echoed TSval stays the newest.
 */
TEST_F(wire, paws_drops_old_timestamp)
{
	establish_ts(_metadata, self);
	ts_data_taken(_metadata, self, "new", 3000);
	ts_data_paws(_metadata, self, "old", 1999, 3000, true);
	ts_data_paws(_metadata, self, "late", 2000, 3000, false);
	ts_data_paws(_metadata, self, "later", 2999, 3000, false);
	ts_data_taken(_metadata, self, "old", 3001);
}

/*
 * A TSval older than the peer's SYN's (100 in establish_ts()) is an
 * earlier connection's on the same ports: dropped, however close to the
 * last one taken (200, from the handshake's ACK); one after it is taken.
 */
TEST_F(wire, paws_floor_is_the_syn)
{
	establish_ts(_metadata, self);
	ts_data_paws(_metadata, self, "older", 99, 200, true);
	ts_data_paws(_metadata, self, "newer", 100, 200, false);
	ts_data_taken(_metadata, self, "next", 201);
}

/* A reset at rcv_nxt is believed whatever its TSval (as TCP's). */
TEST_F(wire, paws_passes_reset)
{
	struct seg s;
	char c;

	establish_ts(_metadata, self);
	ts_data_taken(_metadata, self, "new", 3000);
	s = mk(TTP_RST, self->rcv, 0);
	s.ts = true;
	s.tsval = 1000;		/* PAWS would drop any other segment */
	INJECT(s);
	expect_none(_metadata, self, QUIET);
	ASSERT_EQ(-1, recv(self->s, &c, 1, 0));
	ASSERT_EQ(ECONNRESET, errno);
}

/*
 * A pure ACK overtaken by a newer one (the peer's ACKs leave from two CPUs)
 * has an older TSval than the last taken: within an RTO (the socket's is
 * 1 s or less here), it passes PAWS, as Linux's tcp_disordered_ack(),
 * neither counted nor answered; 3 s older, it is an old duplicate:
 * dropped, counted and answered.
 */
TEST_F(wire, paws_passes_disordered_ack)
{
	long paws;
	struct seg s, got;

	establish_ts(_metadata, self);
	ts_data_taken(_metadata, self, "new", 3000000);
	paws = wire_snmp("PAWSEstab");
	s = mk(TTP_ACK, self->rcv, self->snd);
	s.ts = true;
	s.tsval = 3000000 - 2000;	/* 2 ms older */
	INJECT(s);
	expect_none(_metadata, self, QUIET);
	ASSERT_EQ(paws, wire_snmp("PAWSEstab"));
	s.tsval = 1000;		/* 3 s older */
	INJECT(s);
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 0, WAIT);
	ASSERT_EQ(3000000, got.tsecr);
	ASSERT_EQ(paws + 1, wire_snmp("PAWSEstab"));
}

/* ---- SYN cookies (RFC 4987 3.6, protocol.md 5.11) ------------------- */

/*
 * A SYN from R's port @port (MSS @mss, timestamps if @ts) answered by a
 * SYN-ACK: its sequence number, the cookie if one was sent.
 */
static uint32_t syn_to_listener(struct __test_metadata *_metadata,
				FIXTURE_DATA(wire) *self, uint16_t port,
				int mss, bool ts)
{
	struct seg syn = mk(TTP_SYN, PISN, 0), got;

	syn.sport = port;
	syn.mss = mss;
	syn.ts = ts;
	syn.tsval = 100;
	INJECT(syn);
	EXPECT_EQ(1, read_to(self, &got, port, WAIT));
	EXPECT_EQ(TTP_SYN | TTP_ACK, got.flags);
	EXPECT_EQ(PISN + 1, got.ack);
	EXPECT_NE(-1, got.mss);
	EXPECT_EQ(ts, got.ts);
	if (ts)
		EXPECT_EQ(100, got.tsecr);
	return got.seq;
}

/*
 * net.ttp.syncookies=2: a SYN is answered and nothing is kept; the ACK of
 * the cookie makes the connection, with the data it carries and the MSS
 * rounded down to the cookie's table (1000: 536).
 */
TEST_F(wire, cookie_connection_from_ack)
{
	long sent = wire_snmp("SyncookiesSent");
	long recvd = wire_snmp("SyncookiesRecv");
	uint8_t buf[2000];
	struct seg ack, got;
	uint32_t cookie;

	ASSERT_EQ(0, ttp_sysctl("syncookies", 2));
	listen_on(_metadata, self, LPORT);
	cookie = syn_to_listener(_metadata, self, RPORT, 1000, false);
	ASSERT_EQ(sent + 1, wire_snmp("SyncookiesSent"));
	ASSERT_EQ(1, ttp_table_rows(false)) TH_LOG("a cookie's SYN left a socket");
	ASSERT_EQ(-1, accept(self->l, NULL, NULL));

	ack = mk_data(PISN + 1, cookie + 1, "hello", 5);
	INJECT(ack);
	expect(_metadata, self, &got, TTP_ACK, cookie + 1, PISN + 6, 0, WAIT);
	self->s = accept(self->l, NULL, NULL);
	ASSERT_LE(0, self->s) TH_LOG("accept: %s", strerror(errno));
	fcntl(self->s, F_SETFL, O_NONBLOCK);
	ASSERT_EQ(recvd + 1, wire_snmp("SyncookiesRecv"));
	self->snd = cookie + 1;
	self->rcv = PISN + 6;
	expect_read(_metadata, self, "hello", 5);

	fill_rand(buf, sizeof(buf), 11);
	ASSERT_EQ(sizeof(buf), send(self->s, buf, sizeof(buf), 0));
	expect(_metadata, self, &got, TTP_ACK, self->snd, self->rcv, 536, WAIT);
	ASSERT_EQ(0, memcmp(got.data, buf, 536));
}

/*
 * An ACK whose cookie is not the listener's draws a reset and makes
 * nothing: another minute's, bits of the hash flipped, another ISN.
 */
TEST_F(wire, wrong_cookie_draws_reset)
{
	long failed = wire_snmp("SyncookiesFailed");
	const uint32_t wrong[] = { 1u << 24, 0x800, 0x10000 };
	struct seg got;
	uint32_t cookie;
	unsigned int i;

	ASSERT_EQ(0, ttp_sysctl("syncookies", 2));
	listen_on(_metadata, self, LPORT);
	cookie = syn_to_listener(_metadata, self, RPORT, 1400, false);
	for (i = 0; i < 3; i++) {
		INJECT(mk(TTP_ACK, PISN + 1, (cookie ^ wrong[i]) + 1));
		expect(_metadata, self, &got, TTP_RST, (cookie ^ wrong[i]) + 1,
		       WIRE_ANY, 0, WAIT);
	}
	INJECT(mk(TTP_ACK, PISN + 0x1001, cookie + 1));	/* another ISN */
	expect(_metadata, self, &got, TTP_RST, cookie + 1, WIRE_ANY, 0, WAIT);
	ASSERT_EQ(failed + 4, wire_snmp("SyncookiesFailed"));
	ASSERT_EQ(-1, accept(self->l, NULL, NULL));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(1, ttp_table_rows(false));
}

/* Timestamps agreed in the SYNs are on in a cookie's connection. */
TEST_F(wire, cookie_keeps_timestamps)
{
	struct seg ack, got;
	uint32_t cookie;
	int i;

	ASSERT_EQ(0, ttp_sysctl("syncookies", 2));
	listen_on(_metadata, self, LPORT);
	cookie = syn_to_listener(_metadata, self, RPORT, 1400, true);
	ack = mk(TTP_ACK, PISN + 1, cookie + 1);
	ack.ts = true;
	ack.tsval = 200;
	INJECT(ack);
	self->s = -1;
	for (i = 0; i < 100 && self->s < 0; i++) {
		self->s = accept(self->l, NULL, NULL);
		if (self->s < 0)
			usleep(10000);
	}
	ASSERT_LE(0, self->s) TH_LOG("accept: %s", strerror(errno));
	ASSERT_EQ(3, send(self->s, "abc", 3, 0));
	expect(_metadata, self, &got, TTP_ACK, cookie + 1, PISN + 1, 3, WAIT);
	ASSERT_TRUE(got.ts);
	ASSERT_EQ(200, got.tsecr);
}

/* 64 SYNs from spoofed addresses and ports, never completed. */
static void syn_flood(struct __test_metadata *_metadata,
		      FIXTURE_DATA(wire) *self)
{
	struct seg syn = mk(TTP_SYN, PISN, 0);
	int i;

	for (i = 0; i < 64; i++) {
		syn.sport = 20000 + i;
		syn.saddr = WIRE_PEER + 1 + i % 100;
		syn.seq = PISN + 7919 * i;
		INJECT(syn);
	}
}

/* Counter @name once it reads @want, or what it reads after 3 s. */
static long snmp_reaches(const char *name, long want)
{
	long v = wire_snmp(name);
	int i;

	for (i = 0; i < 300 && v != want; i++) {
		usleep(10000);
		v = wire_snmp(name);
	}
	return v;
}

/*
 * A listener full of half-open connections (backlog 8) still takes a
 * client: the SYNs beyond its queue get cookies (the default,
 * net.ttp.syncookies=1), and R's handshake completes from one.
 */
TEST_F(wire, syn_flood_served_by_cookies)
{
	long sent = wire_snmp("SyncookiesSent");
	struct seg got;
	uint32_t cookie;

	listen_on(_metadata, self, LPORT);
	syn_flood(_metadata, self);
	ASSERT_EQ(sent + 64 - 9, snmp_reaches("SyncookiesSent", sent + 64 - 9));
	ASSERT_EQ(1 + 9, ttp_table_rows(false)) TH_LOG("the listener and its queue");
	cookie = syn_to_listener(_metadata, self, RPORT, 1400, false);
	INJECT(mk_data(PISN + 1, cookie + 1, "in", 2));
	ASSERT_EQ(1, read_to(self, &got, RPORT, WAIT));
	ASSERT_EQ(TTP_ACK, got.flags);
	ASSERT_EQ(PISN + 3, got.ack);
	self->s = accept(self->l, NULL, NULL);
	ASSERT_LE(0, self->s) TH_LOG("accept: %s", strerror(errno));
	self->rcv = PISN + 3;
	expect_read(_metadata, self, "in", 2);
}

/* net.ttp.syncookies=0: a full listener drops the SYN, and counts it. */
TEST_F(wire, syncookies_off_full_listener_drops)
{
	long over = wire_snmp("ListenOverflows");
	struct seg syn = mk(TTP_SYN, PISN, 0), got;

	ASSERT_EQ(0, ttp_sysctl("syncookies", 0));
	listen_on(_metadata, self, LPORT);
	syn_flood(_metadata, self);
	ASSERT_EQ(over + 64 - 9, snmp_reaches("ListenOverflows", over + 64 - 9));
	ASSERT_EQ(1 + 9, ttp_table_rows(false));
	INJECT(syn);
	ASSERT_EQ(0, read_to(self, &got, RPORT, QUIET));
}

/* ---- orphans -------------------------------------------------------- */

/*
 * net.ttp.max_orphans=1: the first connection closed against a silent peer
 * lives on in FIN_WAIT1; the second is reset at close (AbortOnMemory), as
 * TCP's beyond tcp_max_orphans.
 */
TEST_F(wire, orphans_over_limit_reset)
{
	long aborts = wire_snmp("AbortOnMemory");
	struct seg got, syn = mk(TTP_SYN, PISN, 0), ack;
	int i, s2 = -1;

	ASSERT_EQ(0, ttp_sysctl("max_orphans", 1));
	establish(_metadata, self, 1400);
	/* a second connection, from R's port RPORT + 1 */
	syn.sport = RPORT + 1;
	INJECT(syn);
	ASSERT_EQ(1, read_to(self, &got, RPORT + 1, WAIT));
	ASSERT_EQ(TTP_SYN | TTP_ACK, got.flags);
	ack = mk(TTP_ACK, PISN + 1, got.seq + 1);
	ack.sport = RPORT + 1;
	INJECT(ack);
	for (i = 0; i < 100 && s2 < 0; i++) {
		s2 = accept(self->l, NULL, NULL);
		if (s2 < 0)
			usleep(10000);
	}
	ASSERT_LE(0, s2) TH_LOG("accept: %s", strerror(errno));

	close(self->s);
	self->s = -1;
	expect(_metadata, self, &got, TTP_FIN | TTP_ACK, self->snd, self->rcv,
	       0, WAIT);
	ASSERT_EQ(aborts, wire_snmp("AbortOnMemory"));
	close(s2);
	ASSERT_EQ(1, read_to(self, &got, RPORT + 1, WAIT));
	ASSERT_EQ(TTP_FIN | TTP_ACK, got.flags);
	ASSERT_EQ(1, read_to(self, &got, RPORT + 1, WAIT));
	ASSERT_EQ(TTP_RST | TTP_ACK, got.flags);
	ASSERT_EQ(aborts + 1, wire_snmp("AbortOnMemory"));
	/* the listener and the first orphan, still in FIN_WAIT1 */
	ASSERT_EQ(2, ttp_table_rows(false));
	INJECT(mk(TTP_RST, self->rcv, 0));	/* leave nothing behind */
	for (i = 0; i < 100 && ttp_table_rows(false) != 1; i++)
		usleep(10000);
	ASSERT_EQ(1, ttp_table_rows(false));
}

TEST_HARNESS_MAIN
