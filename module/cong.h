/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Congestion control of the TTP stream: a small ops struct, and two
 * algorithms behind it: NewReno (RFC 5681, RFC 6582) here and CUBIC
 * (RFC 9438, the default, as in Linux) in cubic.c. A socket picks one with
 * TTP_CONGESTION, else takes its namespace's (net.ttp.congestion_control).
 *
 * Pure logic: no kernel calls, no locks of its own (one struct ttp_cong per
 * connection, under the socket lock), integers only, windows in bytes.
 * selftests/unit/ runs it in userspace.
 *
 * Split of the work:
 *  - The caller (the stream's ACK processing) decides what an ACK is: one
 *    that acknowledges new data goes to ttp_cong_ack(); a duplicate ACK as
 *    RFC 5681 section 2 defines it (no data, no SYN/FIN, window unchanged,
 *    ack == snd_una, data outstanding) goes to ttp_cong_dupack(); a
 *    retransmission timeout to ttp_cong_rto(). It retransmits when told to
 *    and sends while flight < cwnd (and the peer's window allows).
 *  - cong.c runs the loss recovery that is the same for every algorithm:
 *    the duplicate ACK count, the NewReno recovery point "recover"
 *    (RFC 6582 section 3.2), full and partial ACKs, ssthresh held on
 *    repeated timeouts (RFC 5681 section 3.1).
 *  - The ops decide the numbers: how cwnd grows, ssthresh after a loss,
 *    cwnd on entering recovery, per further dupack, per partial ACK, on
 *    leaving recovery and after a timeout.
 */
#ifndef _TTP_CONG_H
#define _TTP_CONG_H

#include <linux/types.h>

/* RFC 5681 3.1: initial ssthresh "arbitrarily high". Also cwnd's ceiling. */
#define TTP_SSTHRESH_INFINITE	0x7fffffffU
#define TTP_CWND_MAX		TTP_SSTHRESH_INFINITE
/* RFC 5681 3.2: fast retransmit on the third duplicate ACK. */
#define TTP_DUPACK_THRESH	3U

struct ttp_cong;

/*
 * A congestion control algorithm. Every hook is mandatory; a new algorithm
 * may reuse NewReno's (declared below). Hooks only change cwnd and the
 * algorithm's priv[] state, except init, which may also set ssthresh, and
 * ssthresh, which returns it. priv[] is zero when an algorithm takes over.
 */
struct ttp_cong_ops {
	const char	*name;
	/* Connection start: set cwnd, the initial window (1 SMSS after a lost SYN). */
	void	(*init)(struct ttp_cong *c, bool syn_lost);
	/*
	 * New data acknowledged outside recovery: grow cwnd. rtt_us 0: no
	 * sample; now_us: the caller's clock (monotonic, microseconds).
	 */
	void	(*on_ack)(struct ttp_cong *c, u32 acked, u32 rtt_us, u64 now_us);
	/* A loss (once per event): ssthresh, given FlightSize (bytes out). */
	u32	(*ssthresh)(struct ttp_cong *c, u32 flight);
	/* Fast retransmit: ssthresh is already set; set cwnd. */
	void	(*enter_recovery)(struct ttp_cong *c);
	/* Each further duplicate ACK during recovery. */
	void	(*on_dupack)(struct ttp_cong *c);
	/* A partial ACK during recovery, acknowledging acked new bytes. */
	void	(*on_partial_ack)(struct ttp_cong *c, u32 acked);
	/* The full ACK that ends recovery; flight is what is still outstanding. */
	void	(*on_recovery_exit)(struct ttp_cong *c, u32 flight);
	/* Retransmission timeout: ssthresh is already set; set cwnd. */
	void	(*on_rto)(struct ttp_cong *c);
	/* Sending resumes after an idle RTO; cwnd is already cut back. */
	void	(*on_idle)(struct ttp_cong *c);
};

/* One connection's congestion state, kept in the stream socket. */
struct ttp_cong {
	const struct ttp_cong_ops *ops;
	u32	cwnd;		/* congestion window, bytes */
	u32	ssthresh;	/* slow start threshold, bytes */
	u32	mss;		/* SMSS, bytes; the caller may lower it (PMTU) */
	u32	bytes_acked;	/* bytes acked toward the next CA increase */
	u32	recover;	/* RFC 6582: highest seq sent when recovery began */
	u32	dupacks;	/* consecutive duplicate ACKs, saturates at 3 */
	bool	in_recovery;	/* between fast retransmit and the full ACK */
	bool	partial_seen;	/* a partial ACK arrived in this recovery */
	bool	rto_seen;	/* a timeout and no new data acked since */
	/*
	 * Set by the caller: the sender has not been using the window
	 * (RFC 7661), so an ACK must not grow it.
	 */
	bool	app_limited;
	u64	priv[6];	/* the algorithm's own state (NewReno: none) */
};

/* What the caller must do after an ACK event. */
enum ttp_cong_action {
	TTP_CONG_NONE,		/* nothing to resend */
	/* third duplicate ACK: resend the first unacknowledged segment */
	TTP_CONG_FAST_RETRANSMIT,
	/* first partial ACK: resend the first unacked segment, restart the timer */
	TTP_CONG_RETRANSMIT_RESTART,
	/* later partial ACK: resend it, leave the retransmission timer alone */
	TTP_CONG_RETRANSMIT,
};

extern const struct ttp_cong_ops ttp_newreno_ops;
extern const struct ttp_cong_ops ttp_cubic_ops;	/* cubic.c */

const struct ttp_cong_ops *ttp_cong_find(const char *name);
int ttp_cong_names(char *buf, int size);
u32 ttp_cong_initial_window(u32 mss);
void ttp_cong_init(struct ttp_cong *c, const struct ttp_cong_ops *ops,
		   u32 mss, u32 iss, bool syn_lost);
void ttp_cong_switch(struct ttp_cong *c, const struct ttp_cong_ops *ops);
enum ttp_cong_action ttp_cong_ack(struct ttp_cong *c, u32 ack, u32 acked,
				  u32 flight, u32 rtt_us, u64 now_us);
enum ttp_cong_action ttp_cong_dupack(struct ttp_cong *c, u32 ack,
				     u32 snd_max, u32 flight);
void ttp_cong_rto(struct ttp_cong *c, u32 snd_max, u32 flight);
void ttp_cong_after_idle(struct ttp_cong *c);

/* NewReno's hooks, for an algorithm to reuse. */
u32 ttp_cong_slow_start(struct ttp_cong *c, u32 acked);
void ttp_newreno_init(struct ttp_cong *c, bool syn_lost);
void ttp_newreno_enter_recovery(struct ttp_cong *c);
void ttp_newreno_on_dupack(struct ttp_cong *c);
void ttp_newreno_on_partial_ack(struct ttp_cong *c, u32 acked);
void ttp_newreno_on_recovery_exit(struct ttp_cong *c, u32 flight);
void ttp_newreno_on_rto(struct ttp_cong *c);

#endif /* _TTP_CONG_H */
