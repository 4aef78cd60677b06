// SPDX-License-Identifier: GPL-2.0
/*
 * CUBIC (RFC 9438) behind struct ttp_cong_ops: the default algorithm, as in
 * Linux. Pure logic like cong.c (under the socket lock in the stream, in
 * userspace for the unit tests); windows in bytes, time in microseconds
 * from the caller's clock.
 *
 * After a congestion event the window follows
 *	W_cubic(t) = C * (t - K)^3 + W_max		(RFC 9438 eq. 1)
 * with C = 0.4 segments/s^3, W_max the window before the reduction and K
 * the time it takes to get back there (eq. 2); the reduction is by
 * beta = 0.7 (section 4.6), with fast convergence (4.7). Where Reno would
 * be faster (small windows, short RTTs) the window follows Reno's estimate
 * W_est, growing by alpha = 3 * (1 - beta) / (1 + beta) segments a round
 * trip, 1 once W_est passes W_max (4.3).
 *
 * The loss recovery itself is cong.c's (RFC 6582 NewReno fast recovery),
 * with NewReno's window hooks during recovery. Slow start is RFC 5681's;
 * no HyStart++. After an idle period the epoch starts again.
 *
 * Time is counted in 1/1024 s ("ticks") for the cube, as Linux's bictcp:
 * t^3 then fits 64 bits for any t below 2^20 ticks (17 minutes).
 */
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/minmax.h>

#include "cong.h"

#define TTP_CUBIC_TICK_SHIFT	10		/* 1/1024 s */
#define TTP_CUBIC_TICKS_MAX	1048576U	/* 2^20: the cap of t - K */
#define TTP_CUBIC_USEC		1000000U
/* beta = 0.7 = 7/10; (1 + beta) / 2 = 17/20; alpha = 0.9/1.7 = 9/17 */
#define TTP_CUBIC_BETA_NUM	7
#define TTP_CUBIC_BETA_DEN	10
#define TTP_CUBIC_FC_NUM	17
#define TTP_CUBIC_FC_DEN	20
#define TTP_CUBIC_ALPHA_NUM	9
#define TTP_CUBIC_ALPHA_DEN	17

/* The algorithm's state, in struct ttp_cong.priv. */
struct ttp_cubic {
	u64	epoch_us;	/* start of the current epoch, 0 for none */
	u64	cnt_rem;	/* bytes * bytes of growth owed, below cwnd */
	u64	est_rem;	/* likewise for W_est, below ALPHA_DEN * cwnd */
	u32	w_max;		/* window before the last reduction, bytes */
	u32	origin;		/* the plateau of this epoch: W_max or cwnd */
	u32	k;		/* K, ticks */
	u32	w_est;		/* Reno's estimate, bytes */
	u32	min_rtt_us;	/* least RTT seen, 0 for none */
};

static_assert(sizeof(struct ttp_cubic) <= sizeof(((struct ttp_cong *)0)->priv));

static struct ttp_cubic *ttp_cubic(struct ttp_cong *c)
{
	return (struct ttp_cubic *)c->priv;
}

/* The integer cube root: the largest r with r^3 <= x. */
static u32 ttp_cubic_root(u64 x)
{
	u64 r = 0, b;
	int s;

	for (s = 63; s >= 0; s -= 3) {
		r <<= 1;
		b = 3 * r * (r + 1) + 1;	/* (r + 1)^3 - r^3 */
		if ((x >> s) >= b) {
			x -= b << s;
			r++;
		}
	}
	return (u32)r;
}

/*
 * RFC 9438 eq. 2, K = cbrt((W_max - cwnd_epoch) / C) seconds with the
 * windows in segments; in ticks, cbrt(segments / 0.4 * 2^30).
 */
static u32 ttp_cubic_k(u32 gap, u32 mss)
{
	u64 x = div_u64((u64)gap << (3 * TTP_CUBIC_TICK_SHIFT), mss);

	return ttp_cubic_root(div_u64(x * 5, 2));
}

/* C * d^3 in bytes, d in ticks: 0.4 * mss * d^3 / 2^30. */
static u64 ttp_cubic_delta(u32 d, u32 mss)
{
	u64 cube;

	d = min(d, TTP_CUBIC_TICKS_MAX);
	cube = (u64)d * d * d;
	return mul_u64_u32_shr(div_u64(cube * 2, 5), mss,
			       3 * TTP_CUBIC_TICK_SHIFT);
}

/* W_cubic(t) in bytes, t in ticks since the epoch began (eq. 1). */
static u64 ttp_cubic_window(const struct ttp_cubic *cb, u32 t, u32 mss)
{
	u64 delta;

	if (t >= cb->k)
		return cb->origin + ttp_cubic_delta(t - cb->k, mss);
	delta = ttp_cubic_delta(cb->k - t, mss);
	return delta < cb->origin ? cb->origin - delta : 0;
}

/* A new epoch: the first ACK in congestion avoidance after an event. */
static void ttp_cubic_epoch(struct ttp_cong *c, u64 now_us)
{
	struct ttp_cubic *cb = ttp_cubic(c);

	cb->epoch_us = now_us ?: 1;
	cb->cnt_rem = 0;
	cb->est_rem = 0;
	cb->w_est = c->cwnd;
	if (cb->w_max > c->cwnd) {
		cb->k = ttp_cubic_k(cb->w_max - c->cwnd, c->mss);
		cb->origin = cb->w_max;
	} else {
		cb->k = 0;
		cb->origin = c->cwnd;
	}
}

/*
 * RFC 9438 4.3: W_est grows by alpha segments per cwnd of data acked
 * (by 1 once it has reached W_max).
 */
static void ttp_cubic_reno_estimate(struct ttp_cong *c, u32 acked)
{
	struct ttp_cubic *cb = ttp_cubic(c);
	u32 num = cb->w_est >= cb->w_max ? TTP_CUBIC_ALPHA_DEN :
					   TTP_CUBIC_ALPHA_NUM;
	u64 den = (u64)TTP_CUBIC_ALPHA_DEN * c->cwnd;
	u64 grow = (u64)acked * c->mss * num + cb->est_rem;
	u64 inc = div64_u64(grow, den);

	cb->est_rem = grow - inc * den;
	cb->w_est = min_t(u64, cb->w_est + inc, TTP_CWND_MAX);
}

/* Congestion avoidance: toward W_cubic(t + RTT), or W_est if larger. */
static void ttp_cubic_avoid(struct ttp_cong *c, u32 acked, u64 now_us)
{
	struct ttp_cubic *cb = ttp_cubic(c);
	u64 t_us, target, grow, inc;
	u32 t;

	if (!cb->epoch_us)
		ttp_cubic_epoch(c, now_us);
	t_us = now_us - cb->epoch_us + cb->min_rtt_us;
	t = (u32)min_t(u64, div_u64(t_us << TTP_CUBIC_TICK_SHIFT,
				    TTP_CUBIC_USEC), U32_MAX);
	/* RFC 9438 4.4, 4.5: the target lies within [cwnd, 1.5 cwnd] */
	target = ttp_cubic_window(cb, t, c->mss);
	target = clamp_t(u64, target, c->cwnd, c->cwnd + c->cwnd / 2);
	/* cwnd += (target - cwnd) / cwnd per segment acked, in bytes */
	grow = (target - c->cwnd) * acked + cb->cnt_rem;
	inc = div64_u64(grow, c->cwnd);
	cb->cnt_rem = grow - inc * c->cwnd;
	c->cwnd = min_t(u64, c->cwnd + inc, TTP_CWND_MAX);

	ttp_cubic_reno_estimate(c, acked);
	/* RFC 9438 4.3: in the Reno-friendly region, cwnd = W_est */
	if (cb->w_est > c->cwnd)
		c->cwnd = cb->w_est;
}

static void ttp_cubic_on_ack(struct ttp_cong *c, u32 acked, u32 rtt_us,
			     u64 now_us)
{
	struct ttp_cubic *cb = ttp_cubic(c);

	if (rtt_us && (!cb->min_rtt_us || rtt_us < cb->min_rtt_us))
		cb->min_rtt_us = rtt_us;
	if (c->cwnd < c->ssthresh) {
		acked = ttp_cong_slow_start(c, acked);
		if (!acked)
			return;
	}
	ttp_cubic_avoid(c, acked, now_us);
}

/*
 * A congestion event (fast retransmit or the first timeout): W_max, with
 * fast convergence (RFC 9438 4.7), and ssthresh = beta * FlightSize (4.6),
 * never below 2 segments (RFC 5681 eq. 4's floor).
 */
static u32 ttp_cubic_ssthresh(struct ttp_cong *c, u32 flight)
{
	struct ttp_cubic *cb = ttp_cubic(c);

	if (c->cwnd < cb->w_max)
		cb->w_max = (u32)div_u64((u64)c->cwnd * TTP_CUBIC_FC_NUM,
					 TTP_CUBIC_FC_DEN);
	else
		cb->w_max = c->cwnd;
	cb->epoch_us = 0;
	return max_t(u32, div_u64((u64)flight * TTP_CUBIC_BETA_NUM,
				  TTP_CUBIC_BETA_DEN), 2 * c->mss);
}

/* Sending resumes after an idle period: a new epoch from then on. */
static void ttp_cubic_on_idle(struct ttp_cong *c)
{
	ttp_cubic(c)->epoch_us = 0;
}

const struct ttp_cong_ops ttp_cubic_ops = {
	.name			= "cubic",
	.init			= ttp_newreno_init,
	.on_ack			= ttp_cubic_on_ack,
	.ssthresh		= ttp_cubic_ssthresh,
	.enter_recovery		= ttp_newreno_enter_recovery,
	.on_dupack		= ttp_newreno_on_dupack,
	.on_partial_ack		= ttp_newreno_on_partial_ack,
	.on_recovery_exit	= ttp_newreno_on_recovery_exit,
	.on_rto			= ttp_newreno_on_rto,
	.on_idle		= ttp_cubic_on_idle,
};
