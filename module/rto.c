// SPDX-License-Identifier: GPL-2.0
/*
 * The RFC 6298 retransmission timeout estimator: SRTT and RTTVAR from RTT
 * samples, the RTO from them, Karn's rule and exponential backoff. Pure
 * logic (see rto.h for the caller's side): runs wherever the stream code
 * holds the socket lock, and in the userspace unit tests.
 *
 * SRTT is kept times 8 and RTTVAR times 4, so the gains 1/8 and 1/4 of
 * RFC 6298 2.3 are shifts and no fraction of a microsecond is thrown away
 * by the smoothing itself.
 */
#include <linux/types.h>
#include <linux/minmax.h>

#include "rto.h"

/* RFC 6298 2.4 and 2.5: RTO is kept within [min, max]. */
static u32 ttp_rto_clamp(const struct ttp_rto *r, u32 rto)
{
	if (rto < r->min_us)
		return r->min_us;
	if (rto > r->max_us)
		return r->max_us;
	return rto;
}

void ttp_rto_init(struct ttp_rto *r, const struct ttp_rto_params *p)
{
	r->srtt8 = 0;
	r->rttvar4 = 0;
	r->backoff = 0;
	r->min_us = p->min_us;
	r->max_us = p->max_us;
	r->granularity_us = p->granularity_us;
	/* RFC 6298 2.1: until a measurement is made, RTO = the initial value. */
	r->rto = ttp_rto_clamp(r, p->initial_us);
}

/*
 * Feed one RTT measurement. Returns false, changing nothing, for a sample
 * Karn's rule forbids; true when the estimate took it.
 */
bool ttp_rto_sample(struct ttp_rto *r, u32 rtt_us, bool retransmitted)
{
	u32 m, srtt, err;

	/*
	 * RFC 6298 3 (Karn): no RTT sample from a segment that was
	 * retransmitted, the ACK may answer either copy. The backoff stays
	 * until a valid sample arrives (RFC 6298 5, note on Karn's algorithm).
	 */
	if (retransmitted)
		return false;

	/* A 0 us sample (coarse clock) counts as 1 us: SRTT 0 means "none". */
	m = clamp_t(u32, rtt_us, 1, TTP_RTT_SAMPLE_MAX);

	if (!r->srtt8) {
		/* RFC 6298 2.2: first sample R: SRTT = R, RTTVAR = R/2. */
		r->srtt8 = m << 3;
		r->rttvar4 = m << 1;
	} else {
		/*
		 * RFC 6298 2.3, in this order (RTTVAR uses the old SRTT):
		 * RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'|
		 * SRTT   = 7/8 SRTT + 1/8 R'
		 * Scaled by 4 and 8: 4 RTTVAR' = 4 RTTVAR - RTTVAR + |SRTT - R'|
		 * and 8 SRTT' = 8 SRTT - SRTT + R'.
		 */
		srtt = r->srtt8 >> 3;
		err = m > srtt ? m - srtt : srtt - m;
		r->rttvar4 = r->rttvar4 - (r->rttvar4 >> 2) + err;
		r->srtt8 = r->srtt8 - (r->srtt8 >> 3) + m;
	}

	/* RFC 6298 2.2/2.3: RTO = SRTT + max(G, K*RTTVAR), K = 4. */
	r->rto = ttp_rto_clamp(r, (r->srtt8 >> 3) +
				  max_t(u32, r->granularity_us, r->rttvar4));
	/* RFC 6298 5.7 and Karn: a valid sample ends the backoff. */
	r->backoff = 0;
	return true;
}

/*
 * The retransmission timer expired: RFC 6298 5.5, RTO = RTO * 2, kept below
 * the maximum (5.5 allows the cap of 2.5). The estimate itself is untouched:
 * the next valid sample recomputes RTO from SRTT and RTTVAR.
 */
void ttp_rto_backoff(struct ttp_rto *r)
{
	if (r->backoff < TTP_RTO_BACKOFF_LIMIT)
		r->backoff++;
}

/* What to arm the retransmission timer with now, in microseconds. */
u32 ttp_rto_timeout(const struct ttp_rto *r)
{
	u64 t = (u64)r->rto << min_t(u32, r->backoff, TTP_RTO_BACKOFF_LIMIT);

	return t > r->max_us ? r->max_us : (u32)t;
}

/*
 * The handshake completed after the SYN (or SYN-ACK) timed out at least
 * once. RFC 6298 5.7: if no RTT could be measured (Karn) and RTO is below
 * 3 s, start data transmission with RTO = 3 s, and no backoff carried over.
 */
void ttp_rto_syn_lost(struct ttp_rto *r)
{
	r->backoff = 0;
	if (!r->srtt8 && r->rto < TTP_RTO_SYN_FALLBACK)
		r->rto = ttp_rto_clamp(r, TTP_RTO_SYN_FALLBACK);
}
