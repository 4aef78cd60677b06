/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The retransmission timeout estimator of the TTP stream (RFC 6298).
 *
 * Pure logic: no kernel calls, no locks of its own (the stream code keeps one
 * struct ttp_rto per connection under the socket lock), integers only, every
 * time in microseconds. selftests/unit/ runs it in userspace.
 *
 * What the caller does:
 *  - ttp_rto_init() once per connection (RTO = initial until a sample).
 *  - ttp_rto_sample() for each RTT measured from an ACK of new data, with
 *    retransmitted = true when the segment timed was ever sent twice (Karn's
 *    rule, RFC 6298 section 3): the estimator drops that sample, so the caller
 *    may simply always pass what it measured.
 *  - ttp_rto_timeout() to arm the retransmission timer (backoff included).
 *  - ttp_rto_backoff() when that timer fires (RFC 6298 section 5.5);
 *    rto->backoff then counts the timeouts since the last valid sample, which
 *    is also the retry count the caller compares with its limit.
 */
#ifndef _TTP_RTO_H
#define _TTP_RTO_H

#include <linux/types.h>

#define TTP_USEC_PER_MSEC	1000U
#define TTP_USEC_PER_SEC	1000000U

/* Bounds as Linux TCP uses them: RFC 6298 2.4 allows a minimum below 1 s. */
#define TTP_RTO_MIN_DEFAULT	(200 * TTP_USEC_PER_MSEC)
#define TTP_RTO_MAX_DEFAULT	(120 * TTP_USEC_PER_SEC)
#define TTP_RTO_INIT_DEFAULT	(1 * TTP_USEC_PER_SEC)	/* RFC 6298 2.1 */
#define TTP_RTO_G_DEFAULT	1000U	/* clock granularity G: a jiffy at HZ=1000 */
/* RFC 6298 5.7: RTO after a lost SYN or SYN-ACK when no RTT was measured. */
#define TTP_RTO_SYN_FALLBACK	(3 * TTP_USEC_PER_SEC)

/* A longer sample is taken as this long: keeps the scaled sums in a u32. */
#define TTP_RTT_SAMPLE_MAX	0x10000000U	/* 2^28 us, about 268 s */
/* The backoff count saturates here; rto << backoff is capped at max anyway. */
#define TTP_RTO_BACKOFF_LIMIT	32U

/* The estimator's parameters, in microseconds (e.g. from sysctls). */
struct ttp_rto_params {
	u32	min_us;		/* lower bound of RTO (RFC 6298 2.4) */
	u32	max_us;		/* upper bound (RFC 6298 2.5), >= 1 s */
	u32	initial_us;	/* RTO before any sample (RFC 6298 2.1) */
	u32	granularity_us;	/* clock granularity G (RFC 6298 2.2, 2.3) */
};

/* One connection's estimate. Read-only outside rto.c except through these. */
struct ttp_rto {
	u32	srtt8;		/* SRTT << 3, us; 0 until the first sample */
	u32	rttvar4;	/* RTTVAR << 2, us */
	u32	rto;		/* RTO of the estimate, clamped, not backed off */
	u32	backoff;	/* timeouts since the last valid sample */
	u32	min_us;		/* copies of struct ttp_rto_params */
	u32	max_us;
	u32	granularity_us;
};

void ttp_rto_init(struct ttp_rto *r, const struct ttp_rto_params *p);
bool ttp_rto_sample(struct ttp_rto *r, u32 rtt_us, bool retransmitted);
void ttp_rto_backoff(struct ttp_rto *r);
u32 ttp_rto_timeout(const struct ttp_rto *r);
void ttp_rto_syn_lost(struct ttp_rto *r);

/* SRTT and RTTVAR in microseconds, e.g. for TTP_INFO; 0 before a sample. */
static inline u32 ttp_rto_srtt_us(const struct ttp_rto *r)
{
	return r->srtt8 >> 3;
}

static inline u32 ttp_rto_rttvar_us(const struct ttp_rto *r)
{
	return r->rttvar4 >> 2;
}

#endif /* _TTP_RTO_H */
