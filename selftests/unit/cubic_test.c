// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of module/cubic.c (RFC 9438) and of how an algorithm is
 * chosen (cong.c). SMSS is 1000 bytes, so windows read in segments times
 * 1000. The expected windows come from the RFC's equations: W_cubic(t) =
 * 0.4 * (t - K)^3 + W_max segments, K = cbrt((W_max - cwnd_epoch) / 0.4).
 */
#include <string.h>

#include "unit.h"
#include "../../module/cong.h"

#define MSS	1000U
#define SEC	1000000ULL	/* us */

/* A connection in congestion avoidance at @cwnd, as if after slow start. */
static void cubic_at(struct ttp_cong *c, u32 cwnd)
{
	ttp_cong_init(c, &ttp_cubic_ops, MSS, 0, false);
	c->cwnd = cwnd;
	c->ssthresh = cwnd;
}

/*
 * One round trip of @rtt us for a sender that keeps cwnd full: cwnd's
 * worth of ACKs, one per segment, spread over the round trip.
 */
static void round_trip(struct ttp_cong *c, u64 *now, u32 rtt)
{
	u32 i, n = c->cwnd / MSS;

	for (i = 0; i < n; i++) {
		*now += rtt / n;
		ttp_cong_ack(c, 1, MSS, c->cwnd, rtt, *now);
	}
}

/*
 * A loss with @flight out: three duplicate ACKs of the sequence number
 * after the last recovery point, then the full ACK.
 */
static void lose_one(struct ttp_cong *c, u32 flight)
{
	u32 a = c->recover + 1;

	ttp_cong_dupack(c, a, a + flight, flight);
	ttp_cong_dupack(c, a, a + flight, flight);
	CHECK_EQ(ttp_cong_dupack(c, a, a + flight, flight),
		 TTP_CONG_FAST_RETRANSMIT);
	CHECK_EQ(ttp_cong_ack(c, a + flight, flight, 0, 0, 0), TTP_CONG_NONE);
}

/* Lookup by name, the default first in the list, the list's text. */
static void cubic_names(void)
{
	char buf[32];

	CHECK(ttp_cong_find("cubic") == &ttp_cubic_ops);
	CHECK(ttp_cong_find("newreno") == &ttp_newreno_ops);
	CHECK(ttp_cong_find("reno") == NULL);
	CHECK(ttp_cong_find("cubicx") == NULL);
	CHECK(ttp_cong_find("") == NULL);
	CHECK_EQ(ttp_cong_names(buf, sizeof(buf)), 13);
	CHECK(!strcmp(buf, "cubic newreno"));
	CHECK_EQ(ttp_cong_names(buf, 13), 5);	/* no room for the second */
	CHECK(!strcmp(buf, "cubic"));
	CHECK_EQ(ttp_cong_names(buf, 5), 0);
	CHECK(!strcmp(buf, ""));
}

/*
 * RFC 9438 4.6: ssthresh = 0.7 * FlightSize; recovery as NewReno's
 * (ssthresh + 3 segments, then ssthresh on the full ACK).
 */
static void cubic_beta(void)
{
	struct ttp_cong c;

	cubic_at(&c, 100 * MSS);
	ttp_cong_dupack(&c, 1, 100001, 100 * MSS);
	ttp_cong_dupack(&c, 1, 100001, 100 * MSS);
	CHECK_EQ(ttp_cong_dupack(&c, 1, 100001, 100 * MSS),
		 TTP_CONG_FAST_RETRANSMIT);
	CHECK_EQ(c.ssthresh, 70 * MSS);
	CHECK_EQ(c.cwnd, 73 * MSS);
	CHECK_EQ(ttp_cong_ack(&c, 100002, 100 * MSS, 0, 0, 0), TTP_CONG_NONE);
	CHECK_EQ(c.cwnd, 70 * MSS);
	/* the floor: 2 segments */
	cubic_at(&c, 2 * MSS);
	lose_one(&c, 2 * MSS);
	CHECK_EQ(c.ssthresh, 2 * MSS);
}

/*
 * After a loss at 100 segments: K = cbrt(30 / 0.4) = 4.217 s. The window
 * rises steeply, then flattens below W_max (concave), is at W_max at K and
 * climbs away from it after (convex): 0.4 * 4.217^3 = 30 segments more at
 * 2K. RTT 100 ms, so Reno's estimate (0.53 segments a round trip) stays
 * below all the way.
 */
static void cubic_curve(void)
{
	struct ttp_cong c;
	u32 max_before_k = 0;
	u64 now = 10 * SEC, start;

	cubic_at(&c, 100 * MSS);
	lose_one(&c, 100 * MSS);
	CHECK_EQ(c.cwnd, 70 * MSS);
	start = now;
	round_trip(&c, &now, 100000);		/* the epoch begins */
	while (now - start < 4 * SEC) {		/* up to 0.2 s before K */
		round_trip(&c, &now, 100000);
		max_before_k = c.cwnd > max_before_k ? c.cwnd : max_before_k;
		if (now - start < SEC + 100000 && now - start >= SEC) {
			/* W(1 s + RTT) = 100 - 0.4 * 3.117^3 = 87.9 segments */
			CHECK(c.cwnd >= 86 * MSS && c.cwnd <= 89 * MSS);
		}
	}
	CHECK(max_before_k < 100 * MSS);	/* concave: never past W_max */
	CHECK(max_before_k > 99 * MSS);		/* W(4.1 s) = 99.99 segments */
	while (now - start < 8434000)		/* to 2K */
		round_trip(&c, &now, 100000);
	/* W(2K) = 130 segments; W(2K + RTT) = 132.8; a round's lag */
	CHECK(c.cwnd >= 128 * MSS && c.cwnd <= 134 * MSS);
}

/*
 * RFC 9438 4.7, fast convergence: a loss below the last W_max sets W_max
 * to 0.85 of the window, so the plateau is at 680 segments for a loss at
 * 800 (not at 800): K = cbrt((680 - 560) / 0.4) = 6.69 s. (Without it,
 * W(6.69 s) would be 800 - 0.4 * 1.74^3 = 797.9.) Reno's estimate, 0.53
 * segments a round trip of 100 ms, stays below: 595 at K.
 */
static void cubic_fast_convergence(void)
{
	struct ttp_cong c;
	u64 now = 10 * SEC, start;

	cubic_at(&c, 1000 * MSS);
	lose_one(&c, 1000 * MSS);		/* W_max 1000 */
	c.cwnd = 800 * MSS;
	c.ssthresh = 800 * MSS;
	lose_one(&c, 800 * MSS);		/* below it: W_max 680 */
	CHECK_EQ(c.cwnd, 560 * MSS);
	start = now;
	while (now - start < 6690000)
		round_trip(&c, &now, 100000);
	CHECK(c.cwnd >= 670 * MSS && c.cwnd <= 690 * MSS);
}

/*
 * RFC 9438 4.3, the Reno-friendly region: with a 1 ms RTT, CUBIC alone
 * would take 2.47 s to get back to 20 segments after a loss at 20; Reno's
 * estimate grows 9/17 segment a round trip, a segment once past W_max.
 */
static void cubic_reno_friendly(void)
{
	struct ttp_cong c;
	u64 now = 10 * SEC;
	int i;

	cubic_at(&c, 20 * MSS);
	lose_one(&c, 20 * MSS);
	CHECK_EQ(c.cwnd, 14 * MSS);
	for (i = 0; i < 10; i++)
		round_trip(&c, &now, 1000);
	/* 14 + 10 * 9/17 = 19.29 segments (W_cubic(10 ms) is 14.2) */
	CHECK(c.cwnd >= 19000 && c.cwnd <= 19600);
	for (i = 0; i < 20; i++)
		round_trip(&c, &now, 1000);
	/* past 20 after 11.3 rounds, then one a round: about 38.7 */
	CHECK(c.cwnd >= 37 * MSS && c.cwnd <= 40 * MSS);
}

/* A timeout: ssthresh = 0.7 * FlightSize once, cwnd one segment. */
static void cubic_rto(void)
{
	struct ttp_cong c;

	cubic_at(&c, 50 * MSS);
	ttp_cong_rto(&c, 50001, 50 * MSS);
	CHECK_EQ(c.ssthresh, 35 * MSS);
	CHECK_EQ(c.cwnd, MSS);
	ttp_cong_rto(&c, 50001, 50 * MSS);	/* again: held */
	CHECK_EQ(c.ssthresh, 35 * MSS);
}

/*
 * After an idle period the epoch starts again: the next ACK is at t = 0
 * of a new curve, not 100 s into the old one (whose target, capped at
 * 1.5 cwnd, would add half a segment per segment acked).
 */
static void cubic_idle(void)
{
	struct ttp_cong c;
	u64 now = 10 * SEC;

	cubic_at(&c, 10 * MSS);			/* the restart window */
	ttp_cong_ack(&c, 1, MSS, c.cwnd, 1000, now);
	now += 100 * SEC;
	ttp_cong_after_idle(&c);
	CHECK_EQ(c.cwnd, 10 * MSS);
	ttp_cong_ack(&c, 1, MSS, c.cwnd, 1000, now);
	/* Reno's estimate: a segment per cwnd acked (no W_max yet) */
	CHECK_EQ(c.cwnd, 10100);
	CHECK(c.cwnd > 10 * MSS);
}

/*
 * ttp_cong_switch(): the new algorithm takes the window as it stands
 * (TTP_CONGESTION on a live connection), its own state from zero.
 */
static void cubic_switch(void)
{
	struct ttp_cong c;
	unsigned int i;

	ttp_cong_init(&c, &ttp_cubic_ops, MSS, 0, false);
	for (i = 0; i < 6; i++)
		c.priv[i] = ~0ULL;
	c.cwnd = 30 * MSS;
	c.ssthresh = 20 * MSS;
	ttp_cong_switch(&c, &ttp_newreno_ops);
	CHECK(c.ops == &ttp_newreno_ops);
	CHECK_EQ(c.cwnd, 30 * MSS);
	CHECK_EQ(c.ssthresh, 20 * MSS);
	for (i = 0; i < 6; i++)
		CHECK_EQ(c.priv[i], 0);
	lose_one(&c, 30 * MSS);
	CHECK_EQ(c.ssthresh, 15 * MSS);		/* NewReno's half */
}

const struct unit_test cubic_tests[] = {
	UNIT_TEST(cubic_names),
	UNIT_TEST(cubic_beta),
	UNIT_TEST(cubic_curve),
	UNIT_TEST(cubic_fast_convergence),
	UNIT_TEST(cubic_reno_friendly),
	UNIT_TEST(cubic_rto),
	UNIT_TEST(cubic_idle),
	UNIT_TEST(cubic_switch),
};

const unsigned int cubic_ntests = ARRAY_LEN(cubic_tests);
