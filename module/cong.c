// SPDX-License-Identifier: GPL-2.0
/*
 * Congestion control: the loss recovery every algorithm shares (duplicate
 * ACKs, fast retransmit, NewReno's recovery point, timeouts) and NewReno's
 * window arithmetic behind struct ttp_cong_ops. Pure logic, see cong.h for
 * who calls what: runs under the socket lock in the stream code, and in the
 * userspace unit tests.
 *
 * Initial window: RFC 6928 (up to 10 segments), not RFC 5681's 2 to 4.
 * Congestion avoidance counts bytes (RFC 5681 3.1, its recommended way,
 * after RFC 3465): one SMSS more each time a cwnd's worth is acknowledged,
 * i.e. one SMSS per round trip exactly. Leaving fast recovery sets cwnd to
 * ssthresh (RFC 6582 3.2 step 3, option 2).
 */
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/string.h>

#include "cong.h"
#include "seq.h"

/* The algorithms, the default of a new system first. */
static const struct ttp_cong_ops *const ttp_cong_list[] = {
	&ttp_cubic_ops,
	&ttp_newreno_ops,
};

/* The algorithm called @name, or NULL. */
const struct ttp_cong_ops *ttp_cong_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ttp_cong_list); i++)
		if (!strcmp(ttp_cong_list[i]->name, name))
			return ttp_cong_list[i];
	return NULL;
}

/*
 * The names, separated by spaces, in @buf of @size bytes (NUL-terminated,
 * cut short if it must): as tcp_available_congestion_control lists them.
 */
int ttp_cong_names(char *buf, int size)
{
	unsigned int i;
	int len = 0, n;

	if (size < 1)
		return 0;
	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(ttp_cong_list); i++) {
		n = strlen(ttp_cong_list[i]->name);
		if (len + !!i + n >= size)
			break;
		if (i)
			buf[len++] = ' ';
		memcpy(buf + len, ttp_cong_list[i]->name, n + 1);
		len += n;
	}
	return len;
}

/* RFC 6928 2: IW = min(10*MSS, max(2*MSS, 14600)) bytes. */
u32 ttp_cong_initial_window(u32 mss)
{
	return min_t(u32, 10 * mss, max_t(u32, 2 * mss, 14600));
}

/*
 * A new connection (after the handshake). iss is our initial sequence
 * number; syn_lost says whether our SYN or SYN-ACK had to be retransmitted.
 */
void ttp_cong_init(struct ttp_cong *c, const struct ttp_cong_ops *ops,
		   u32 mss, u32 iss, bool syn_lost)
{
	*c = (struct ttp_cong){
		.ops = ops,
		.mss = mss,
		/* RFC 5681 3.1: the initial ssthresh is arbitrarily high. */
		.ssthresh = TTP_SSTHRESH_INFINITE,
		/* RFC 6582 3.2 step 1: recover starts at the initial seq. */
		.recover = iss,
	};
	ops->init(c, syn_lost);
}

/*
 * TTP_CONGESTION on a live connection: @ops takes over the window as it
 * is, with its own state zeroed (as tcp_reinit_congestion_control()).
 */
void ttp_cong_switch(struct ttp_cong *c, const struct ttp_cong_ops *ops)
{
	c->ops = ops;
	memset(c->priv, 0, sizeof(c->priv));
}

/*
 * An ACK that acknowledges acked (> 0) new bytes, moving snd_una to ack;
 * flight is what remains outstanding after it. Returns what to resend.
 */
enum ttp_cong_action ttp_cong_ack(struct ttp_cong *c, u32 ack, u32 acked,
				  u32 flight, u32 rtt_us, u64 now_us)
{
	c->dupacks = 0;
	c->rto_seen = false;

	if (!c->in_recovery) {
		if (!c->app_limited)
			c->ops->on_ack(c, acked, rtt_us, now_us);
		return TTP_CONG_NONE;
	}

	/*
	 * RFC 6582 3.2 step 3, full acknowledgment: everything up to and
	 * including recover is acknowledged; deflate and leave recovery.
	 */
	if (ttp_seq_after(ack, c->recover)) {
		c->in_recovery = false;
		c->ops->on_recovery_exit(c, flight);
		return TTP_CONG_NONE;
	}

	/*
	 * RFC 6582 3.2 step 3, partial acknowledgment: retransmit the first
	 * unacknowledged segment, deflate, stay in recovery; only the first
	 * partial ACK resets the retransmission timer.
	 */
	c->ops->on_partial_ack(c, acked);
	if (c->partial_seen)
		return TTP_CONG_RETRANSMIT;
	c->partial_seen = true;
	return TTP_CONG_RETRANSMIT_RESTART;
}

/*
 * A duplicate ACK (RFC 5681 section 2) of ack == snd_una. snd_max is one
 * past the highest sequence number sent so far; flight is FlightSize.
 */
enum ttp_cong_action ttp_cong_dupack(struct ttp_cong *c, u32 ack,
				     u32 snd_max, u32 flight)
{
	if (c->in_recovery) {
		/* RFC 5681 3.2 step 4: inflate by each further dupack. */
		c->ops->on_dupack(c);
		return TTP_CONG_NONE;
	}

	/* The first two and any after a refused third: nothing to do. */
	if (c->dupacks >= TTP_DUPACK_THRESH)
		return TTP_CONG_NONE;
	if (++c->dupacks < TTP_DUPACK_THRESH)
		return TTP_CONG_NONE;

	/*
	 * RFC 6582 3.2 step 2: enter fast retransmit only if the ACK covers
	 * more than recover, so one window's losses cause one reduction.
	 */
	if (!ttp_seq_after(ack, c->recover))
		return TTP_CONG_NONE;

	/* RFC 6582 3.2 step 2: recover = highest sequence number sent. */
	c->recover = snd_max - 1;
	c->in_recovery = true;
	c->partial_seen = false;
	c->bytes_acked = 0;
	/* RFC 5681 3.2 step 2: ssthresh after the loss (eq. 4 for NewReno). */
	c->ssthresh = c->ops->ssthresh(c, flight);
	c->ops->enter_recovery(c);
	return TTP_CONG_FAST_RETRANSMIT;
}

/* The retransmission timer fired; snd_max and flight as in dupack. */
void ttp_cong_rto(struct ttp_cong *c, u32 snd_max, u32 flight)
{
	/*
	 * RFC 5681 3.1: when a segment already retransmitted by the timer
	 * times out again, ssthresh is held constant.
	 */
	if (!c->rto_seen)
		c->ssthresh = c->ops->ssthresh(c, flight);
	c->rto_seen = true;
	/* RFC 6582 3.2 step 4: recover = highest sent, leave fast recovery. */
	c->recover = snd_max - 1;
	c->in_recovery = false;
	c->dupacks = 0;
	c->bytes_acked = 0;
	c->ops->on_rto(c);
}

/*
 * Sending resumes after an idle period longer than one RTO (the caller
 * tracks that): RFC 5681 4.1, cwnd = RW = min(IW, cwnd).
 */
void ttp_cong_after_idle(struct ttp_cong *c)
{
	c->cwnd = min_t(u32, c->cwnd, ttp_cong_initial_window(c->mss));
	c->bytes_acked = 0;
	c->ops->on_idle(c);
}

/* NewReno */

void ttp_newreno_init(struct ttp_cong *c, bool syn_lost)
{
	/*
	 * RFC 6928 2 (and RFC 5681 3.1): a lost SYN or SYN-ACK leaves an
	 * initial window of one segment.
	 */
	c->cwnd = syn_lost ? c->mss : ttp_cong_initial_window(c->mss);
}

/*
 * Slow start, below ssthresh: cwnd grows by the bytes the ACK
 * acknowledged, as Linux's tcp_slow_start(), not by at most SMSS per ACK
 * (RFC 5681 3.1 eq. 2, written for ACKs every one or two segments): one
 * ACK answers a GSO packet of up to 45 segments (protocol.md 5.13), and a
 * cap per ACK would make slow start linear. Counting bytes, not ACKs
 * (RFC 3465), keeps a receiver that splits its ACKs from inflating it.
 * Returns the bytes acked beyond ssthresh, for congestion avoidance.
 */
u32 ttp_cong_slow_start(struct ttp_cong *c, u32 acked)
{
	if (acked < c->ssthresh - c->cwnd) {
		c->cwnd += acked;
		return 0;
	}
	/*
	 * Slow start stops at ssthresh (RFC 5681 3.1 lets either rule run at
	 * cwnd == ssthresh); the bytes beyond go to congestion avoidance.
	 */
	acked -= c->ssthresh - c->cwnd;
	c->cwnd = c->ssthresh;
	return acked;
}

static void ttp_newreno_on_ack(struct ttp_cong *c, u32 acked, u32 rtt_us,
			       u64 now_us)
{
	if (c->cwnd < c->ssthresh) {
		acked = ttp_cong_slow_start(c, acked);
		if (!acked)
			return;
	}

	/*
	 * RFC 5681 3.1, congestion avoidance by byte counting: when the bytes
	 * acknowledged reach cwnd, cwnd grows by SMSS (at most once per ACK).
	 */
	c->bytes_acked += acked;
	if (c->bytes_acked < c->cwnd)
		return;
	c->bytes_acked -= c->cwnd;
	c->cwnd = min_t(u32, c->cwnd + c->mss, TTP_CWND_MAX);
}

/* RFC 5681 3.1 eq. 4: ssthresh = max(FlightSize / 2, 2 * SMSS). */
static u32 ttp_newreno_ssthresh(struct ttp_cong *c, u32 flight)
{
	return max_t(u32, flight / 2, 2 * c->mss);
}

/* RFC 5681 3.2 step 3: cwnd = ssthresh + 3 * SMSS. */
void ttp_newreno_enter_recovery(struct ttp_cong *c)
{
	c->cwnd = c->ssthresh + 3 * c->mss;
}

/* RFC 5681 3.2 step 4: cwnd += SMSS for each further duplicate ACK. */
void ttp_newreno_on_dupack(struct ttp_cong *c)
{
	c->cwnd = min_t(u32, c->cwnd + c->mss, TTP_CWND_MAX);
}

/*
 * RFC 6582 3.2 step 3, partial ACK: deflate cwnd by the new data acked,
 * then add back SMSS if at least SMSS was acked. Never below one SMSS.
 */
void ttp_newreno_on_partial_ack(struct ttp_cong *c, u32 acked)
{
	c->cwnd = acked < c->cwnd ? c->cwnd - acked : 0;
	if (acked >= c->mss)
		c->cwnd += c->mss;
	c->cwnd = max(c->cwnd, c->mss);
}

/* RFC 6582 3.2 step 3, full ACK: cwnd = ssthresh (its option 2). */
void ttp_newreno_on_recovery_exit(struct ttp_cong *c, u32 flight)
{
	c->cwnd = c->ssthresh;
}

/* RFC 5681 3.1: after a timeout cwnd = LW, the loss window, one SMSS. */
void ttp_newreno_on_rto(struct ttp_cong *c)
{
	c->cwnd = c->mss;
}

/* Nothing to forget after an idle period. */
static void ttp_newreno_on_idle(struct ttp_cong *c)
{
}

const struct ttp_cong_ops ttp_newreno_ops = {
	.name			= "newreno",
	.init			= ttp_newreno_init,
	.on_ack			= ttp_newreno_on_ack,
	.ssthresh		= ttp_newreno_ssthresh,
	.enter_recovery		= ttp_newreno_enter_recovery,
	.on_dupack		= ttp_newreno_on_dupack,
	.on_partial_ack		= ttp_newreno_on_partial_ack,
	.on_recovery_exit	= ttp_newreno_on_recovery_exit,
	.on_rto			= ttp_newreno_on_rto,
	.on_idle		= ttp_newreno_on_idle,
};
