// SPDX-License-Identifier: GPL-2.0
/*
 * The trace events (ttp_trace.h, defined here) and the helpers the rest of
 * the module fires them with, so that only this file includes the events.
 */
#define CREATE_TRACE_POINTS
#include "ttp_trace.h"

void ttp_drop_stats(const struct net *net, const struct sk_buff *skb,
		    enum ttp_mib_field f)
{
	ttp_inc_stats(net, f);
	trace_ttp_drop(skb, f);
}

void ttp_trace_resend(const struct sock *sk, const struct sk_buff *skb,
		      u16 segs, enum ttp_resend_reason why)
{
	trace_ttp_retransmit(sk, TTP_STREAM_CB(skb)->seq, skb->len, segs,
			     why);
}

/* The window after a change of the congestion state, if it did change */
void ttp_trace_cwnd(const struct sock *sk, u32 old_cwnd, u32 old_ssthresh)
{
	const struct ttp_stream_sock *tsk = ttp_ssk(sk);

	if (tsk->cong.cwnd != old_cwnd || tsk->cong.ssthresh != old_ssthresh)
		trace_ttp_cwnd(sk, tsk->cong.cwnd, tsk->cong.ssthresh,
			       ttp_in_flight(tsk));
}

void ttp_trace_state(const struct sock *sk, int oldstate, int newstate)
{
	trace_ttp_state(sk, oldstate, newstate);
}
