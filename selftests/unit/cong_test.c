// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of module/cong.c: the shared loss recovery and NewReno
 * (RFC 5681, RFC 6582, RFC 6928). SMSS is 1000 bytes unless a test says
 * otherwise, so every window below reads in segments times 1000.
 */
#include "unit.h"
#include "../../module/cong.h"

#define MSS	1000U

static void newreno(struct ttp_cong *c, u32 iss)
{
	ttp_cong_init(c, &ttp_newreno_ops, MSS, iss, false);
}

/* RFC 6928 2: IW = min(10*MSS, max(2*MSS, 14600)). */
static void cong_initial_window(void)
{
	struct ttp_cong c;

	CHECK_EQ(ttp_cong_initial_window(1460), 14600);	/* 10 segments */
	CHECK_EQ(ttp_cong_initial_window(1000), 10000);	/* 10 segments */
	CHECK_EQ(ttp_cong_initial_window(500), 5000);	/* 10 segments */
	CHECK_EQ(ttp_cong_initial_window(8960), 17920);	/* 2 segments */
	CHECK_EQ(ttp_cong_initial_window(4000), 14600);	/* 3.65 segments */

	ttp_cong_init(&c, &ttp_newreno_ops, 1460, 5000, false);
	CHECK_EQ(c.cwnd, 14600);
	CHECK_EQ(c.ssthresh, TTP_SSTHRESH_INFINITE);	/* RFC 5681 3.1 */
	CHECK_EQ(c.recover, 5000);			/* RFC 6582 step 1 */
	CHECK(!c.in_recovery);
	CHECK(c.ops->name[0] == 'n');

	/* RFC 5681 3.1: SYN or SYN-ACK lost: IW is one segment */
	ttp_cong_init(&c, &ttp_newreno_ops, 1460, 5000, true);
	CHECK_EQ(c.cwnd, 1460);
}

/*
 * Slow start adds what each ACK acknowledges, as Linux's tcp_slow_start():
 * not min(N, SMSS) (RFC 5681 3.1 eq. 2), since one ACK answers a GSO packet.
 */
static void cong_slow_start(void)
{
	struct ttp_cong c;

	newreno(&c, 0);
	CHECK_EQ(ttp_cong_ack(&c, 1001, 1000, 9000, 0, 0), TTP_CONG_NONE);
	CHECK_EQ(c.cwnd, 11000);
	ttp_cong_ack(&c, 1501, 500, 9500, 0, 0);
	CHECK_EQ(c.cwnd, 11500);
	ttp_cong_ack(&c, 4501, 3000, 8000, 0, 0);		/* stretch ACK */
	CHECK_EQ(c.cwnd, 14500);
	ttp_cong_ack(&c, 49501, 45000, 8000, 0, 0);	/* a GSO packet's */
	CHECK_EQ(c.cwnd, 59500);
	CHECK_EQ(c.bytes_acked, 0);

	/* one round of 10 full ACKs doubles the window: 10 -> 20 segments */
	newreno(&c, 0);
	for (int i = 1; i <= 10; i++)
		ttp_cong_ack(&c, 1 + i * MSS, MSS, 0, 0, 0);
	CHECK_EQ(c.cwnd, 20000);
}

/*
 * Slow start stops at ssthresh: cwnd 11000, ssthresh 12000: an ACK of
 * 1000 reaches 12000 exactly (nothing left over); from 11500 an ACK of
 * 1000 uses 500 to reach ssthresh, the other 500 count toward CA.
 */
static void cong_slow_start_to_ssthresh(void)
{
	struct ttp_cong c;

	newreno(&c, 0);
	c.ssthresh = 12000;
	ttp_cong_ack(&c, 1001, 1000, 0, 0, 0);
	CHECK_EQ(c.cwnd, 11000);
	ttp_cong_ack(&c, 2001, 1000, 0, 0, 0);
	CHECK_EQ(c.cwnd, 12000);
	CHECK_EQ(c.bytes_acked, 0);

	newreno(&c, 0);
	c.ssthresh = 12000;
	c.cwnd = 11500;
	ttp_cong_ack(&c, 1001, 1000, 0, 0, 0);
	CHECK_EQ(c.cwnd, 12000);
	CHECK_EQ(c.bytes_acked, 500);

	/* a stretch ACK of 3000 from 11000: 1000 to ssthresh, 2000 to CA */
	newreno(&c, 0);
	c.ssthresh = 12000;
	c.cwnd = 11000;
	ttp_cong_ack(&c, 3001, 3000, 0, 0, 0);
	CHECK_EQ(c.cwnd, 12000);
	CHECK_EQ(c.bytes_acked, 2000);
}

/*
 * RFC 5681 3.1 congestion avoidance by byte counting: with cwnd 12000 it
 * takes 12 ACKs of 1000 (one RTT) to grow to 13000, then 13 more to 14000:
 * one SMSS per round trip.
 */
static void cong_avoidance(void)
{
	struct ttp_cong c;
	int i;

	newreno(&c, 0);
	c.cwnd = 12000;
	c.ssthresh = 12000;
	for (i = 0; i < 11; i++)
		ttp_cong_ack(&c, 1, MSS, 0, 0, 0);
	CHECK_EQ(c.cwnd, 12000);
	CHECK_EQ(c.bytes_acked, 11000);
	ttp_cong_ack(&c, 1, MSS, 0, 0, 0);
	CHECK_EQ(c.cwnd, 13000);
	CHECK_EQ(c.bytes_acked, 0);
	for (i = 0; i < 12; i++)
		ttp_cong_ack(&c, 1, MSS, 0, 0, 0);
	CHECK_EQ(c.cwnd, 13000);
	ttp_cong_ack(&c, 1, MSS, 0, 0, 0);
	CHECK_EQ(c.cwnd, 14000);

	/* growth stops at TTP_CWND_MAX */
	c.cwnd = TTP_CWND_MAX - 500;
	c.bytes_acked = c.cwnd - 1;
	ttp_cong_ack(&c, 1, MSS, 0, 0, 0);
	CHECK_EQ(c.cwnd, TTP_CWND_MAX);
	CHECK_EQ(c.bytes_acked, 999);
}

/*
 * The NewReno trace of RFC 5681 3.2 and RFC 6582 3.2. ISS 0, ten segments
 * of 1000 sent (bytes 1..10000, snd_max 10001), the first one lost.
 *  3rd dupack: recover = 10000, ssthresh = max(10000/2, 2000) = 5000,
 *              cwnd = 5000 + 3*1000 = 8000, fast retransmit
 *  dupacks 4, 5: cwnd 9000, 10000
 *  partial ACK of 3000 (ack 3001): cwnd 10000 - 3000 + 1000 = 8000,
 *              resend, restart the timer (first partial ACK)
 *  dupack: 9000
 *  partial ACK of 2000 (ack 5001): 9000 - 2000 + 1000 = 8000, resend
 *  partial ACK of 500 (ack 5501): 8000 - 500 = 7500 (< SMSS: no add-back)
 *  full ACK (ack 10001): cwnd = ssthresh = 5000, recovery over
 *  then congestion avoidance from 5000 (cwnd == ssthresh)
 */
static void cong_fast_recovery(void)
{
	struct ttp_cong c;

	newreno(&c, 0);
	CHECK_EQ(ttp_cong_dupack(&c, 1, 10001, 10000), TTP_CONG_NONE);
	CHECK_EQ(ttp_cong_dupack(&c, 1, 10001, 10000), TTP_CONG_NONE);
	CHECK_EQ(c.cwnd, 10000);
	CHECK_EQ(ttp_cong_dupack(&c, 1, 10001, 10000),
		 TTP_CONG_FAST_RETRANSMIT);
	CHECK(c.in_recovery);
	CHECK_EQ(c.recover, 10000);
	CHECK_EQ(c.ssthresh, 5000);
	CHECK_EQ(c.cwnd, 8000);

	CHECK_EQ(ttp_cong_dupack(&c, 1, 10001, 10000), TTP_CONG_NONE);
	CHECK_EQ(c.cwnd, 9000);
	ttp_cong_dupack(&c, 1, 10001, 10000);
	CHECK_EQ(c.cwnd, 10000);

	CHECK_EQ(ttp_cong_ack(&c, 3001, 3000, 7000, 0, 0),
		 TTP_CONG_RETRANSMIT_RESTART);
	CHECK_EQ(c.cwnd, 8000);
	CHECK(c.in_recovery);
	ttp_cong_dupack(&c, 3001, 10001, 7000);
	CHECK_EQ(c.cwnd, 9000);
	CHECK_EQ(ttp_cong_ack(&c, 5001, 2000, 5000, 0, 0), TTP_CONG_RETRANSMIT);
	CHECK_EQ(c.cwnd, 8000);
	CHECK_EQ(ttp_cong_ack(&c, 5501, 500, 4500, 0, 0), TTP_CONG_RETRANSMIT);
	CHECK_EQ(c.cwnd, 7500);
	CHECK_EQ(c.ssthresh, 5000);

	CHECK_EQ(ttp_cong_ack(&c, 10001, 4500, 0, 0, 0), TTP_CONG_NONE);
	CHECK(!c.in_recovery);
	CHECK_EQ(c.cwnd, 5000);
	CHECK_EQ(c.ssthresh, 5000);

	ttp_cong_ack(&c, 11001, 1000, 0, 0, 0);
	CHECK_EQ(c.cwnd, 5000);
	CHECK_EQ(c.bytes_acked, 1000);

	/* a new window's loss may enter recovery again (ack 11001 > 10000) */
	ttp_cong_dupack(&c, 11001, 16001, 5000);
	ttp_cong_dupack(&c, 11001, 16001, 5000);
	CHECK_EQ(ttp_cong_dupack(&c, 11001, 16001, 5000),
		 TTP_CONG_FAST_RETRANSMIT);
	CHECK_EQ(c.recover, 16000);
	CHECK_EQ(c.ssthresh, 2500);		/* max(5000/2, 2000) */
	CHECK_EQ(c.cwnd, 5500);			/* 2500 + 3000 */
	CHECK_EQ(c.bytes_acked, 0);
}

/* An ACK of new data resets the duplicate count: dup, dup, ack, dup, dup. */
static void cong_dupack_count(void)
{
	struct ttp_cong c;

	newreno(&c, 0);
	ttp_cong_dupack(&c, 1, 10001, 10000);
	ttp_cong_dupack(&c, 1, 10001, 10000);
	ttp_cong_ack(&c, 1001, 1000, 9000, 0, 0);
	CHECK_EQ(c.dupacks, 0);
	CHECK_EQ(ttp_cong_dupack(&c, 1001, 11001, 10000), TTP_CONG_NONE);
	CHECK_EQ(ttp_cong_dupack(&c, 1001, 11001, 10000), TTP_CONG_NONE);
	CHECK(!c.in_recovery);
	CHECK_EQ(ttp_cong_dupack(&c, 1001, 11001, 10000),
		 TTP_CONG_FAST_RETRANSMIT);
}

/*
 * RFC 6582 3.2 step 2: three dupacks that do not cover more than recover
 * (here: left over from before a timeout, recover = 20000) do not start
 * another fast retransmit, nor do more of them.
 */
static void cong_recover_guard(void)
{
	struct ttp_cong c;

	newreno(&c, 0);
	c.cwnd = 20000;
	ttp_cong_rto(&c, 20001, 20000);
	CHECK_EQ(c.recover, 20000);
	CHECK_EQ(c.ssthresh, 10000);
	ttp_cong_ack(&c, 1001, 1000, 19000, 0, 0);		/* slow start: 2000 */
	CHECK_EQ(c.cwnd, 2000);
	ttp_cong_dupack(&c, 1001, 20001, 19000);
	ttp_cong_dupack(&c, 1001, 20001, 19000);
	CHECK_EQ(ttp_cong_dupack(&c, 1001, 20001, 19000), TTP_CONG_NONE);
	CHECK_EQ(ttp_cong_dupack(&c, 1001, 20001, 19000), TTP_CONG_NONE);
	CHECK(!c.in_recovery);
	CHECK_EQ(c.ssthresh, 10000);
	CHECK_EQ(c.cwnd, 2000);
	CHECK_EQ(c.dupacks, 3);

	/* ack == recover is not "more than recover"; recover + 1 is */
	ttp_cong_ack(&c, 20000, 18999, 1, 0, 0);
	ttp_cong_dupack(&c, 20000, 20001, 1);
	ttp_cong_dupack(&c, 20000, 20001, 1);
	CHECK_EQ(ttp_cong_dupack(&c, 20000, 20001, 1), TTP_CONG_NONE);
	ttp_cong_ack(&c, 20001, 1, 5000, 0, 0);
	ttp_cong_dupack(&c, 20001, 25001, 5000);
	ttp_cong_dupack(&c, 20001, 25001, 5000);
	CHECK_EQ(ttp_cong_dupack(&c, 20001, 25001, 5000),
		 TTP_CONG_FAST_RETRANSMIT);

	/* the guard is a wrap-around comparison: recover just below 2^32 */
	newreno(&c, 0xfffffff0);
	ttp_cong_dupack(&c, 0x10, 0x2711, 10000);
	ttp_cong_dupack(&c, 0x10, 0x2711, 10000);
	CHECK_EQ(ttp_cong_dupack(&c, 0x10, 0x2711, 10000),
		 TTP_CONG_FAST_RETRANSMIT);
	CHECK_EQ(c.recover, 0x2710);
	/* partial and full ACKs across the wrap */
	CHECK_EQ(ttp_cong_ack(&c, 0x2000, 0x1ff0, 0x711, 0, 0),
		 TTP_CONG_RETRANSMIT_RESTART);
	CHECK_EQ(ttp_cong_ack(&c, 0x2711, 0x711, 0, 0, 0), TTP_CONG_NONE);
	CHECK(!c.in_recovery);
}

/*
 * RFC 6582 3.2 step 3: partial ACK deflation never leaves less than one
 * SMSS: cwnd 2500 - 4000 -> 0, + 1000 = 1000; cwnd 2500 - 2400 = 100,
 * + 1000 = 1100; cwnd 1200 - 900 = 300 (no add-back) -> 1000.
 */
static void cong_partial_floor(void)
{
	struct ttp_cong c;

	newreno(&c, 0);
	c.cwnd = 20000;
	ttp_cong_dupack(&c, 1, 20001, 20000);
	ttp_cong_dupack(&c, 1, 20001, 20000);
	ttp_cong_dupack(&c, 1, 20001, 20000);
	CHECK(c.in_recovery);
	c.cwnd = 2500;
	ttp_cong_ack(&c, 4001, 4000, 16000, 0, 0);
	CHECK_EQ(c.cwnd, 1000);
	c.cwnd = 2500;
	ttp_cong_ack(&c, 6401, 2400, 13600, 0, 0);
	CHECK_EQ(c.cwnd, 1100);
	c.cwnd = 1200;
	ttp_cong_ack(&c, 7301, 900, 12700, 0, 0);
	CHECK_EQ(c.cwnd, 1000);
	CHECK(c.in_recovery);
	/* exactly one SMSS acked: deflate by it and add it back */
	c.cwnd = 5000;
	ttp_cong_ack(&c, 8301, 1000, 11700, 0, 0);
	CHECK_EQ(c.cwnd, 5000);
	/* ack == recover (all but the last byte) is still partial */
	CHECK_EQ(ttp_cong_ack(&c, 20000, 11699, 1, 0, 0), TTP_CONG_RETRANSMIT);
	CHECK(c.in_recovery);

	/* inflation stops at TTP_CWND_MAX */
	c.cwnd = TTP_CWND_MAX - 10;
	ttp_cong_dupack(&c, 7301, 20001, 12700);
	CHECK_EQ(c.cwnd, TTP_CWND_MAX);
}

/*
 * RFC 5681 3.1 eq. 4 and LW: a timeout sets ssthresh = max(FlightSize/2,
 * 2*SMSS) and cwnd = 1 SMSS; a second timeout before any new ACK holds
 * ssthresh; a timeout leaves fast recovery (RFC 6582 3.2 step 4).
 */
static void cong_rto(void)
{
	struct ttp_cong c;

	newreno(&c, 0);
	c.cwnd = 20000;
	c.bytes_acked = 700;
	ttp_cong_rto(&c, 20001, 20000);
	CHECK_EQ(c.ssthresh, 10000);
	CHECK_EQ(c.cwnd, 1000);
	CHECK_EQ(c.recover, 20000);
	CHECK_EQ(c.bytes_acked, 0);

	ttp_cong_rto(&c, 20001, 4000);		/* held: not max(2000, 2000) */
	CHECK_EQ(c.ssthresh, 10000);
	CHECK_EQ(c.cwnd, 1000);

	ttp_cong_ack(&c, 1001, 1000, 19000, 0, 0);	/* slow start: 2000 */
	CHECK_EQ(c.cwnd, 2000);
	ttp_cong_rto(&c, 20001, 6000);		/* max(3000, 2000) */
	CHECK_EQ(c.ssthresh, 3000);
	CHECK_EQ(c.cwnd, 1000);

	ttp_cong_ack(&c, 2001, 1000, 18000, 0, 0);
	ttp_cong_rto(&c, 20001, 1000);		/* max(500, 2000) */
	CHECK_EQ(c.ssthresh, 2000);

	/* a timeout during fast recovery ends it */
	newreno(&c, 0);
	ttp_cong_dupack(&c, 1, 10001, 10000);
	ttp_cong_dupack(&c, 1, 10001, 10000);
	ttp_cong_dupack(&c, 1, 10001, 10000);
	CHECK(c.in_recovery);
	ttp_cong_rto(&c, 10001, 10000);
	CHECK(!c.in_recovery);
	CHECK_EQ(c.dupacks, 0);
	CHECK_EQ(c.ssthresh, 5000);
	CHECK_EQ(c.cwnd, 1000);
}

/*
 * RFC 7661: an ACK while the sender is application-limited grows nothing,
 * in slow start or after; the recovery it may end still runs.
 */
static void cong_app_limited(void)
{
	struct ttp_cong c;

	newreno(&c, 0);
	c.app_limited = true;
	CHECK_EQ(ttp_cong_ack(&c, 1001, 1000, 0, 0, 0), TTP_CONG_NONE);
	CHECK_EQ(c.cwnd, 10 * MSS);
	c.ssthresh = 10 * MSS;
	ttp_cong_ack(&c, 20001, 19000, 0, 0, 0);
	CHECK_EQ(c.cwnd, 10 * MSS);
	CHECK_EQ(c.bytes_acked, 0);
	c.app_limited = false;
	ttp_cong_ack(&c, 30001, 10000, 0, 0, 0);
	CHECK_EQ(c.cwnd, 11 * MSS);
	/* a full ACK ends recovery whatever the sender does */
	ttp_cong_dupack(&c, 30001, 40001, 10000);
	ttp_cong_dupack(&c, 30001, 40001, 10000);
	CHECK_EQ(ttp_cong_dupack(&c, 30001, 40001, 10000),
		 TTP_CONG_FAST_RETRANSMIT);
	c.app_limited = true;
	ttp_cong_ack(&c, 40001, 10000, 0, 0, 0);
	CHECK(!c.in_recovery);
	CHECK_EQ(c.cwnd, 5 * MSS);
}

/* RFC 5681 4.1: after idle, cwnd = min(IW, cwnd). */
static void cong_after_idle(void)
{
	struct ttp_cong c;

	newreno(&c, 0);
	c.cwnd = 30000;
	c.bytes_acked = 700;
	ttp_cong_after_idle(&c);
	CHECK_EQ(c.cwnd, 10000);
	CHECK_EQ(c.bytes_acked, 0);
	c.cwnd = 4000;
	ttp_cong_after_idle(&c);
	CHECK_EQ(c.cwnd, 4000);
}

const struct unit_test cong_tests[] = {
	UNIT_TEST(cong_initial_window),
	UNIT_TEST(cong_slow_start),
	UNIT_TEST(cong_slow_start_to_ssthresh),
	UNIT_TEST(cong_avoidance),
	UNIT_TEST(cong_fast_recovery),
	UNIT_TEST(cong_dupack_count),
	UNIT_TEST(cong_recover_guard),
	UNIT_TEST(cong_partial_floor),
	UNIT_TEST(cong_rto),
	UNIT_TEST(cong_app_limited),
	UNIT_TEST(cong_after_idle),
};

const unsigned int cong_ntests = ARRAY_LEN(cong_tests);
