// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of module/rto.c, the RFC 6298 estimator. Times in us; unless
 * a test says otherwise the parameters are Linux's: min 200 ms, max 120 s,
 * initial 1 s, G 1 ms.
 */
#include "unit.h"
#include "../../module/rto.h"

static const struct ttp_rto_params linux_like = {
	.min_us = TTP_RTO_MIN_DEFAULT,
	.max_us = TTP_RTO_MAX_DEFAULT,
	.initial_us = TTP_RTO_INIT_DEFAULT,
	.granularity_us = TTP_RTO_G_DEFAULT,
};

/* RFC 6298 2.1: RTO = initial (clamped) before any sample. */
static void rto_initial(void)
{
	struct ttp_rto_params p = linux_like;
	struct ttp_rto r;

	ttp_rto_init(&r, &p);
	CHECK_EQ(ttp_rto_timeout(&r), 1000000);
	CHECK_EQ(ttp_rto_srtt_us(&r), 0);
	CHECK_EQ(ttp_rto_rttvar_us(&r), 0);
	CHECK_EQ(r.backoff, 0);

	p.initial_us = 100000;		/* below min: 200 ms */
	ttp_rto_init(&r, &p);
	CHECK_EQ(ttp_rto_timeout(&r), 200000);

	p.initial_us = 200000000;	/* above max: 120 s */
	ttp_rto_init(&r, &p);
	CHECK_EQ(ttp_rto_timeout(&r), 120000000);
}

/*
 * RFC 6298 2.2 and 2.3, by hand:
 * R = 100 ms: SRTT = 100000, RTTVAR = 50000, RTO = 100000 + 4*50000 = 300000
 * R = 120 ms: RTTVAR = 3/4*50000 + 1/4*|100000-120000| = 37500 + 5000 = 42500
 *             SRTT = 7/8*100000 + 1/8*120000 = 87500 + 15000 = 102500
 *             RTO = 102500 + 4*42500 = 272500
 * R = 80 ms:  RTTVAR = 3/4*42500 + 1/4*|102500-80000| = 31875 + 5625 = 37500
 *             SRTT = 7/8*102500 + 1/8*80000 = 89687.5 + 10000 = 99687.5
 *             RTO = 99687 + 4*37500 = 249687 (SRTT read truncated)
 */
static void rto_samples(void)
{
	struct ttp_rto r;

	ttp_rto_init(&r, &linux_like);
	CHECK(ttp_rto_sample(&r, 100000, false));
	CHECK_EQ(ttp_rto_srtt_us(&r), 100000);
	CHECK_EQ(ttp_rto_rttvar_us(&r), 50000);
	CHECK_EQ(ttp_rto_timeout(&r), 300000);

	CHECK(ttp_rto_sample(&r, 120000, false));
	CHECK_EQ(ttp_rto_rttvar_us(&r), 42500);
	CHECK_EQ(ttp_rto_srtt_us(&r), 102500);
	CHECK_EQ(ttp_rto_timeout(&r), 272500);

	CHECK(ttp_rto_sample(&r, 80000, false));
	CHECK_EQ(ttp_rto_rttvar_us(&r), 37500);
	CHECK_EQ(r.srtt8, 797500);		/* 8 * 99687.5 exactly */
	CHECK_EQ(ttp_rto_srtt_us(&r), 99687);
	CHECK_EQ(ttp_rto_timeout(&r), 249687);
}

/* RFC 6298 2.4/2.5 bounds and the clock granularity G of 2.2/2.3. */
static void rto_clamps(void)
{
	struct ttp_rto_params p = linux_like;
	struct ttp_rto r;

	/* R = 10 ms: 10000 + 4*5000 = 30000, raised to the 200 ms minimum */
	ttp_rto_init(&r, &p);
	ttp_rto_sample(&r, 10000, false);
	CHECK_EQ(ttp_rto_timeout(&r), 200000);

	/* R = 100 s: 100 s + 200 s = 300 s, lowered to the 120 s maximum */
	ttp_rto_init(&r, &p);
	ttp_rto_sample(&r, 100000000, false);
	CHECK_EQ(ttp_rto_srtt_us(&r), 100000000);
	CHECK_EQ(ttp_rto_timeout(&r), 120000000);

	/* G = 100 ms dominates 4*RTTVAR = 2 ms: RTO = 1 ms + 100 ms */
	p.min_us = 1;
	p.granularity_us = 100000;
	ttp_rto_init(&r, &p);
	ttp_rto_sample(&r, 1000, false);
	CHECK_EQ(ttp_rto_timeout(&r), 101000);
}

/* Degenerate samples: 0 us counts as 1 us; a huge one as 2^28 us. */
static void rto_extreme_samples(void)
{
	struct ttp_rto_params p = linux_like;
	struct ttp_rto r;

	p.min_us = 1;
	ttp_rto_init(&r, &p);
	CHECK(ttp_rto_sample(&r, 0, false));
	CHECK_EQ(ttp_rto_srtt_us(&r), 1);
	CHECK_EQ(r.rttvar4, 2);			/* RTTVAR = 1/2 us */
	CHECK_EQ(ttp_rto_timeout(&r), 1001);	/* 1 + max(G = 1000, 2) */

	ttp_rto_init(&r, &linux_like);
	CHECK(ttp_rto_sample(&r, 0xffffffff, false));
	CHECK_EQ(ttp_rto_srtt_us(&r), 1U << 28);
	CHECK_EQ(ttp_rto_rttvar_us(&r), 1U << 27);
	CHECK_EQ(ttp_rto_timeout(&r), 120000000);
	/* a second huge sample: err 0, sums stay in range */
	CHECK(ttp_rto_sample(&r, 0xffffffff, false));
	CHECK_EQ(ttp_rto_srtt_us(&r), 1U << 28);
	CHECK_EQ(r.rttvar4, 3U << 27);		/* 3/4 of 2^29 */
}

/* RFC 6298 3: Karn's rule, a retransmitted segment's sample is ignored. */
static void rto_karn(void)
{
	struct ttp_rto r;

	ttp_rto_init(&r, &linux_like);
	CHECK(!ttp_rto_sample(&r, 500000, true));	/* no estimate yet */
	CHECK_EQ(ttp_rto_srtt_us(&r), 0);
	CHECK_EQ(ttp_rto_timeout(&r), 1000000);

	CHECK(ttp_rto_sample(&r, 100000, false));
	CHECK(!ttp_rto_sample(&r, 500000, true));
	CHECK_EQ(ttp_rto_srtt_us(&r), 100000);
	CHECK_EQ(ttp_rto_rttvar_us(&r), 50000);
	CHECK_EQ(ttp_rto_timeout(&r), 300000);

	/* the backoff survives an ignored sample (Karn's algorithm) */
	ttp_rto_backoff(&r);
	ttp_rto_backoff(&r);
	CHECK(!ttp_rto_sample(&r, 100000, true));
	CHECK_EQ(r.backoff, 2);
	CHECK_EQ(ttp_rto_timeout(&r), 1200000);
}

/*
 * RFC 6298 5.5: each expiry doubles RTO up to the maximum; a valid sample
 * ends the backoff and recomputes: after R = 100 ms twice,
 * RTTVAR = 3/4*50000 + 0 = 37500, SRTT = 100000, RTO = 100000 + 150000.
 */
static void rto_backoff(void)
{
	struct ttp_rto r;
	int i;

	ttp_rto_init(&r, &linux_like);
	ttp_rto_sample(&r, 100000, false);		/* RTO 300 ms */
	ttp_rto_backoff(&r);
	CHECK_EQ(ttp_rto_timeout(&r), 600000);
	ttp_rto_backoff(&r);
	CHECK_EQ(ttp_rto_timeout(&r), 1200000);
	CHECK_EQ(r.backoff, 2);

	CHECK(ttp_rto_sample(&r, 100000, false));
	CHECK_EQ(r.backoff, 0);
	CHECK_EQ(ttp_rto_rttvar_us(&r), 37500);
	CHECK_EQ(ttp_rto_timeout(&r), 250000);

	/* 300 ms << 8 = 76.8 s; << 9 = 153.6 s, capped at 120 s */
	ttp_rto_init(&r, &linux_like);
	ttp_rto_sample(&r, 100000, false);
	for (i = 0; i < 8; i++)
		ttp_rto_backoff(&r);
	CHECK_EQ(ttp_rto_timeout(&r), 76800000);
	ttp_rto_backoff(&r);
	CHECK_EQ(ttp_rto_timeout(&r), 120000000);

	/* the count saturates, the timeout stays at the cap */
	for (i = 0; i < 40; i++)
		ttp_rto_backoff(&r);
	CHECK_EQ(r.backoff, TTP_RTO_BACKOFF_LIMIT);
	CHECK_EQ(ttp_rto_timeout(&r), 120000000);
}

/* RFC 6298 5.7: a SYN timed out and no RTT was measured: RTO = 3 s. */
static void rto_syn_lost(void)
{
	struct ttp_rto_params p = linux_like;
	struct ttp_rto r;

	ttp_rto_init(&r, &p);
	ttp_rto_backoff(&r);
	ttp_rto_backoff(&r);
	CHECK_EQ(ttp_rto_timeout(&r), 4000000);
	ttp_rto_syn_lost(&r);
	CHECK_EQ(r.backoff, 0);
	CHECK_EQ(ttp_rto_timeout(&r), 3000000);

	/* with a measured RTT the estimate stands, the backoff ends */
	ttp_rto_init(&r, &p);
	ttp_rto_sample(&r, 100000, false);
	ttp_rto_backoff(&r);
	ttp_rto_syn_lost(&r);
	CHECK_EQ(r.backoff, 0);
	CHECK_EQ(ttp_rto_timeout(&r), 300000);

	/* an initial RTO of 3 s or more is kept */
	p.initial_us = 5000000;
	ttp_rto_init(&r, &p);
	ttp_rto_syn_lost(&r);
	CHECK_EQ(ttp_rto_timeout(&r), 5000000);

	/* and the 3 s respect a lower maximum */
	p.initial_us = 1000000;
	p.max_us = 2000000;
	ttp_rto_init(&r, &p);
	ttp_rto_syn_lost(&r);
	CHECK_EQ(ttp_rto_timeout(&r), 2000000);
}

const struct unit_test rto_tests[] = {
	UNIT_TEST(rto_initial),
	UNIT_TEST(rto_samples),
	UNIT_TEST(rto_clamps),
	UNIT_TEST(rto_extreme_samples),
	UNIT_TEST(rto_karn),
	UNIT_TEST(rto_backoff),
	UNIT_TEST(rto_syn_lost),
};

const unsigned int rto_ntests = ARRAY_LEN(rto_tests);
