/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stream (SOCK_STREAM): its socket, its per-segment control block and
 * the functions its files share. docs/protocol.md section 5 is the contract.
 *
 * Files: stream.c (socket calls and the state changes they make),
 * stream_io.c (send, receive, queue ioctls), stream_sockopt.c (SOL_TTP
 * options, TTP_INFO), stream_in.c (a segment, per state), stream_out.c
 * (building, sending and resending segments), stream_timer.c (the
 * timers), stream_cookie.c (SYN cookies), stream_mem.c (memory accounting,
 * net.ttp.mem), gso.c (cutting a GSO packet into segments), ctable.c
 * (connection and listener lookup, local ports), and the pure logic seq.h,
 * rto.c, cong.c, cubic.c, ofo.c.
 *
 * Locking, in one place:
 *
 *  - struct ttp_stream_sock (everything below "socket lock")
 *    Guarded by the socket lock, held either by a process (lock_sock) or by
 *    softirq or a timer (bh_lock_sock while !sock_owned_by_user). A segment
 *    that arrives while a process owns the socket goes to the backlog
 *    (sk_add_backlog) and is processed by ttp_stream_do_rcv() when that
 *    process calls release_sock(). A timer that finds the socket owned sets
 *    its bit in @deferred (taking a reference the first time) and
 *    ttp_stream_release_cb() runs it at release_sock(); the handlers check
 *    the deadline again, so a deferred run that comes early does nothing.
 *  - sk_receive_queue: in-order payload, appended and consumed under the
 *    socket lock (and its own queue lock, which poll and SIOCINQ read under).
 *  - sk_write_queue: every skb not yet acknowledged, in sequence order; the
 *    ones from @send_head on have not been sent. Socket lock. Each skb on
 *    it, and each in the receive queue and the out-of-order tree, is
 *    charged by its truesize to sk_forward_alloc (stream_mem.c).
 *  - accept_lock (listeners): guards syn_q, accept_q, the counts and every
 *    child's @parent. Taken with BHs off, after any socket lock (a child's
 *    softirq moves itself to accept_q holding only its own lock). A child on
 *    either list holds a reference on its listener; the lists hold the
 *    child's own first reference until accept() hands it to a file.
 *  - The connection table (ctable.c): a socket is in it (sk_nulls_node) from
 *    connect() or its SYN until it reaches TCP_CLOSE, holding a reference.
 *    Readers walk it under RCU and re-check the 4-tuple after taking their
 *    reference (hlist_nulls: a socket can move between chains). A child
 *    enters it locked (ttp_stream_child(), as TCP's clone) and stays locked
 *    until it is filled in and on its listener's syn_q: a segment of its
 *    4-tuple that finds it meanwhile waits for the lock.
 *  - The port owners (ctable.c, sk_bind_node): a socket leaves them before
 *    its last reference goes, whatever state it dies in (the destructor
 *    warns otherwise): a freed socket on a chain is a use-after-free for
 *    every later bind, connect and /proc walk.
 *  - Counters that the lockless readers of poll(), /proc and TTP_INFO see
 *    (sk_state, sk_err, snd_una...) are written with WRITE_ONCE where a
 *    reader does not hold the socket lock.
 */
#ifndef _TTP_STREAM_H
#define _TTP_STREAM_H

#include <linux/rbtree.h>
#include <linux/timer.h>
#include <net/tcp_states.h>

#include "ttp.h"
#include "seq.h"
#include "rto.h"
#include "cong.h"
#include "ofo.h"

/* The MSS a sender assumes when the peer's SYN announced none. */
#define TTP_MSS_DEFAULT		536
/* IPv4 header plus stream header: MTU - this = the largest payload. */
#define TTP_STREAM_OVERHEAD	(20 + TTP_STREAM_HDR_LEN)
/* The timestamp option as sent: NOP, NOP, kind, length, TSval, TSecr. */
#define TTP_OPT_TS_ALIGNED	12
/* The largest header we send: a SYN with MSS and timestamps. */
#define TTP_STREAM_MAX_HDR	(TTP_STREAM_HDR_LEN + TTP_OPT_MSS_LEN + \
				 TTP_OPT_TS_ALIGNED)
/*
 * The largest window a peer may offer: TCP's (65535 << 14, RFC 7323 2.3).
 * A larger 32-bit Window is taken as this: sequence numbers compare only
 * within 2^31, and RFC 5961 5.2's range needs a bounded MAX.SND.WND.
 */
#define TTP_WND_MAX		BIT(30)
/* The smallest payload a segment we send carries (RFC 9293 3.7.1: 536 is
 * the default, not a floor; TCP's floor, tcp_min_snd_mss, is 48).
 */
#define TTP_MSS_MIN		64
/*
 * The most payload one GSO packet carries: IPv4's and TTP's Length fields
 * are 16 bits, less the largest IPv4 header and the largest stream header.
 */
#define TTP_GSO_MAX		(0xffff - 60 - TTP_STREAM_MAX_HDR)
/* The most duplicate ACKs one out-of-order packet draws (a GSO packet) */
#define TTP_DUPACKS_MAX		64
/*
 * PAWS (RFC 7323 5.3): a TSval more than this older than ts_recent is an
 * old duplicate's (1 ms of TTP's microsecond clock: Linux's one tick of its
 * millisecond one, so that segments reordered within a millisecond pass);
 * a ts_recent TTP_PAWS_IDLE seconds old is too old to compare (TSvals
 * count microseconds: 2^31 of them, as TCP's TCP_PAWS_WRAP). A TSval older
 * than the peer's SYN's is an earlier connection's, for TTP_PAWS_FLOOR
 * seconds (TCP's TIME_WAIT: after it, none is still in flight).
 */
#define TTP_PAWS_WINDOW		1000
#define TTP_PAWS_FLOOR		60
/* A receiver's RTT sample above this is no sample (auto-tuning). */
#define TTP_RCV_RTT_MAX_US	(10 * USEC_PER_SEC)
#define TTP_PAWS_IDLE		(INT_MAX / USEC_PER_SEC)
/* Data segments acknowledged at once after the handshake, as TCP's. */
#define TTP_QUICKACKS		16
/* Delayed ACKs wait at most this long (RFC 9293 3.8.6.3: < 0.5 s). */
#define TTP_DELACK_MAX		(HZ / 25)
/* Keepalive defaults, as TCP's (seconds). */
#define TTP_KEEPIDLE_DEFAULT	7200
#define TTP_KEEPINTVL_DEFAULT	75
#define TTP_KEEPCNT_DEFAULT	9

/* What the retransmission timer is armed for. */
enum ttp_rtx_kind {
	TTP_RTX_NONE,
	TTP_RTX_RETRANSMIT,	/* SYN, data or FIN unacknowledged */
	TTP_RTX_PERSIST,	/* peer window zero, data waiting */
	TTP_RTX_TIME_WAIT,	/* the end of TIME_WAIT */
};

/* Bits of ttp_stream_sock.deferred: what a timer left for release_cb. */
enum ttp_deferred_bit {
	TTP_RTX_DEFERRED,	/* the retransmission timer found the socket owned */
	TTP_DELACK_DEFERRED,	/* the delayed-ACK timer found the socket owned */
	TTP_KEEPALIVE_DEFERRED,	/* the keepalive timer found the socket owned */
	TTP_MTU_DEFERRED,	/* an ICMP "fragmentation needed" found it owned */
};

struct ttp_stream_sock {
	struct ttp_sock		ts;		/* first: inet_sock inside */

	/* --- socket lock --- */
	/* send sequence space (RFC 9293 3.3.1) */
	u32			iss;		/* initial send sequence number */
	u32			snd_una;	/* oldest unacknowledged */
	u32			snd_nxt;	/* next to send */
	u32			snd_max;	/* highest snd_nxt so far */
	u32			write_seq;	/* end of the data queued by the user */
	u32			snd_wnd;	/* peer's window */
	u32			max_snd_wnd;	/* largest it ever was (RFC 5961 5.2) */
	u32			snd_wl1;	/* seq of the last window update */
	u32			snd_wl2;	/* ack of the last window update */
	u32			mss;		/* payload bytes per segment we send */
	u32			peer_mss;	/* what the peer's SYN announced */
	u32			pmtu_cookie;	/* the route's MTU when mss was set */
	u32			gso_max;	/* most payload in one skb (GSO), 0 none */
	bool			csum_hw;	/* the route's device sums any protocol */
	struct sk_buff		*send_head;	/* first unsent skb in the write queue */
	struct sk_buff		*fin_skb;	/* the FIN's, allocated with the SYN */

	/* receive sequence space */
	u32			irs;		/* initial receive sequence number */
	u32			rcv_nxt;	/* next expected */
	u32			rcv_wnd;	/* window last advertised */
	u32			rcv_wup;	/* rcv_nxt when rcv_wnd was advertised */
	u32			copied_seq;	/* next byte recvmsg() gives the user */
	struct rb_root		ofo_root;	/* out-of-order skbs by seq */
	struct ttp_ofo		ofo;		/* their ranges */

	struct ttp_rto		rto;
	struct ttp_cong		cong;

	/* receive buffer auto-tuning (stream_mem.c), socket lock */
	u32			rcv_rtt_us;	/* RTT as the receiver sees it, 0 none */
	u32			rcvq_space;	/* most the reader took in one RTT */
	u32			rcvq_seq;	/* copied_seq when this RTT began */
	u64			rcvq_time_us;	/* when it began, 0 not yet */

	/* RTT measurement: one segment timed at a time (Karn: never a resent one) */
	u32			rtt_seq;	/* ack that completes the sample */
	u64			rtt_start_us;	/* 0: nothing timed */
	u64			last_send_us;	/* last data sent, 0: none since idle */
	/* window use (RFC 7661, as tcp_cwnd_validate()): see stream_out.c */
	u32			max_flight;	/* most in flight since cwnd_usage_seq */
	u32			cwnd_usage_seq;	/* snd_nxt when they were taken */

	/* timers */
	struct timer_list	rtx_timer;	/* retransmit, persist or TIME_WAIT */
	unsigned long		rtx_deadline;	/* jiffies */
	u8			rtx_kind;	/* enum ttp_rtx_kind */
	u8			retries;	/* expiries (or orphan probes) without progress */
	u8			probes;		/* keepalive probes unanswered */
	struct timer_list	delack_timer;
	unsigned long		delack_deadline;
	unsigned long		deferred;	/* enum ttp_deferred_bit, atomic */
	unsigned long		last_rcv;	/* jiffies of the last segment in */

	/* ACK decisions */
	u16			quick_acks;	/* ACK this segment at once */
	u16			quickack_budget; /* segments still to ACK at once */
	u16			unacked_full;	/* full segments in since our ACK */
	u8			ack_pending:1,	/* an ACK is owed */
				nodelay:1,	/* TTP_NODELAY */
				fin_sent:1,	/* our FIN is in the sequence space */
				ofo_fin:1,	/* the FIN came in order from ofo_root */
				ts_ok:1,	/* both ends send timestamps */
				syn_lost:1,	/* a SYN timed out */
				orphan_counted:1, /* in ttp_net.orphans */
				cwnd_limited:1;	/* cwnd held data back */
	u32			ts_recent;	/* the peer's TSval to echo */
	u32			ts_recent_stamp; /* when it was set, seconds */
	u32			ts_first;	/* the peer's first TSval: its SYN's */
	u32			ts_first_stamp;	/* when it came, seconds */
	u32			last_oow_ack;	/* jiffies of the last unsolicited ACK */
	u8			oow_ack_sent:1;	/* last_oow_ack is set */
	u32			mtu_info;	/* the MTU an ICMP error reported */

	/* options */
	int			keepidle;	/* seconds */
	int			keepintvl;
	int			keepcnt;
	const struct ttp_cong_ops *cong_ops;	/* TTP_CONGESTION, for cong */

	/* listener side (accept_lock) */
	spinlock_t		accept_lock;
	struct list_head	syn_q;		/* children in SYN_RECV */
	struct list_head	accept_q;	/* children ready for accept() */
	u32			syn_qlen;	/* how many on syn_q */
	struct list_head	child_node;	/* a child's place on those lists */
	struct sock		*parent;	/* a child's listener, until accepted */
	bool			on_syn_q;	/* a child's list is syn_q */
	/* a listener's, socket lock: jiffies | 1 of the last cookie, 0 none */
	unsigned long		cookie_stamp;

	/* TTP_INFO figures (socket lock) */
	u64			bytes_sent;
	u64			bytes_retrans;
	u64			bytes_acked;
	u64			bytes_received;
	u64			segs_out;
	u64			segs_in;
	u64			segs_retrans;
};

static inline struct ttp_stream_sock *ttp_ssk(const struct sock *sk)
{
	return (struct ttp_stream_sock *)sk;
}

/*
 * Per-segment state in skb->cb. Received segments: filled by
 * ttp_stream_rcv() once the header is checked. Queued for sending: seq and
 * end_seq from the writer, the rest by the sender.
 */
struct ttp_stream_cb {
	u32	seq;		/* first sequence number */
	u32	end_seq;	/* seq + SYN + payload + FIN */
	u32	ack;		/* received: acknowledgment number */
	u32	wnd;		/* received: window */
	u16	flags;		/* TTP_SYN, TTP_ACK, TTP_FIN, TTP_RST */
	u16	mss;		/* received SYN: the MSS option, 0 if none */
	u8	resent;		/* sent: retransmitted at least once */
	u8	has_ts;		/* received: a timestamp option */
	u32	tsval;		/* received: its TSval */
	u32	tsecr;		/* received: its TSecr */
	u64	sent_us;	/* sent: when last sent */
};

#define TTP_STREAM_CB(skb)	((struct ttp_stream_cb *)&((skb)->cb[0]))

static inline u32 ttp_seg_len(const struct sk_buff *skb)
{
	return TTP_STREAM_CB(skb)->end_seq - TTP_STREAM_CB(skb)->seq;
}

static inline u64 ttp_clock_us(void)
{
	return div_u64(ktime_get_ns(), NSEC_PER_USEC);
}

/* Bytes sent and not yet acknowledged. */
static inline u32 ttp_in_flight(const struct ttp_stream_sock *tsk)
{
	return tsk->snd_nxt - tsk->snd_una;
}

/* Is there received data the user never read? */
static inline bool ttp_stream_unread(struct sock *sk)
{
	return !skb_queue_empty(&sk->sk_receive_queue) ||
	       !RB_EMPTY_ROOT(&ttp_ssk(sk)->ofo_root);
}

/* ctable.c: connections by 4-tuple, listeners by port, local ports */
int ttp_ctable_init(struct ttp_net *tn);
void ttp_ctable_exit(struct ttp_net *tn);
struct sock *ttp_ctable_lookup(struct net *net, __be32 saddr, __be16 sport,
			       __be32 daddr, __be16 dport, int dif);
struct sock *ttp_listener_lookup(struct net *net, __be32 daddr, __be16 dport,
				 int dif);
void ttp_ctable_hash(struct sock *sk);
void ttp_ctable_unhash(struct sock *sk);
int ttp_stream_get_port(struct sock *sk, u16 port);
int ttp_stream_connect_port(struct sock *sk);
int ttp_stream_inherit_port(struct sock *child, struct sock *parent);
void ttp_stream_put_port(struct sock *sk);
int ttp_listener_hash(struct sock *sk);
void ttp_listener_unhash(struct sock *sk);

/* stream.c */
extern const struct proto_ops ttp_stream_ops;
extern struct proto ttp_stream_proto;
void ttp_stream_set_state(struct sock *sk, int state);
void ttp_stream_done(struct sock *sk);
void ttp_stream_reset(struct sock *sk, int err);
void ttp_stream_child_ready(struct sock *child);
int ttp_stream_init_sock(struct sock *sk);
long ttp_stream_wait(struct sock *sk, long timeo, bool exclusive,
		     bool (*done)(struct sock *sk));

/* stream_io.c */
int ttp_stream_sendmsg(struct socket *sock, struct msghdr *msg, size_t len);
int ttp_stream_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
		       int flags);
int ttp_stream_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg);

/* stream_sockopt.c */
int ttp_stream_setsockopt(struct socket *sock, int level, int optname,
			  sockptr_t optval, unsigned int optlen);
int ttp_stream_getsockopt(struct socket *sock, int level, int optname,
			  char __user *optval, int __user *optlen);
void ttp_stream_keepalive(struct sock *sk, int valbool);
void ttp_stream_fill_info(struct sock *sk, struct ttp_info *info);
int ttp_stream_timer_show(const struct sock *sk, unsigned long *left);

/* stream_in.c */
int ttp_stream_rcv(struct net *net, struct sk_buff *skb, int hlen);
int ttp_stream_do_rcv(struct sock *sk, struct sk_buff *skb);
void ttp_stream_err(struct net *net, struct sk_buff *skb, u32 info);

/* stream_cookie.c */
u32 ttp_cookie_make(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport,
		    u32 isn, u16 mss);
u16 ttp_cookie_check(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport,
		     u32 isn, u32 cookie);

/* stream_out.c */
u32 ttp_stream_isn(struct net *net, __be32 saddr, __be32 daddr,
		   __be16 sport, __be16 dport);
int ttp_stream_send_syn(struct sock *sk);
int ttp_stream_cookie_synack(struct sock *sk);
void ttp_stream_send_ack(struct sock *sk);
void ttp_stream_send_ack_seq(struct sock *sk, u32 seq);
void ttp_stream_send_active_reset(struct sock *sk, gfp_t gfp);
void ttp_stream_send_reset(struct net *net, struct sk_buff *skb);
void ttp_stream_send_cookie(struct sock *sk, struct sk_buff *syn, u32 cookie);
void ttp_stream_push(struct sock *sk, bool force);
bool ttp_cwnd_used(const struct ttp_stream_sock *tsk);
void ttp_stream_send_fin(struct sock *sk);
/* Why a segment went again (ttp_stream_retransmit()'s callers) */
enum ttp_resend_reason {
	TTP_RESEND_TIMEOUT,	/* sent again by the push after the timer's go-back */
	TTP_RESEND_FAST,	/* three duplicate ACKs (RFC 5681 3.2) */
	TTP_RESEND_RECOVERY,	/* a partial ACK in fast recovery (RFC 6582) */
	TTP_RESEND_SIMOPEN,	/* our SYN again, with an ACK: simultaneous open */
};

int ttp_stream_retransmit(struct sock *sk, enum ttp_resend_reason why);
/* trace.c: fire the trace events (ttp_trace.h) */
void ttp_trace_resend(const struct sock *sk, const struct sk_buff *skb,
		      u16 segs, enum ttp_resend_reason why);
void ttp_trace_cwnd(const struct sock *sk, u32 old_cwnd, u32 old_ssthresh);
void ttp_trace_state(const struct sock *sk, int oldstate, int newstate);
void ttp_stream_send_probe(struct sock *sk);
u32 ttp_stream_rcv_window(struct sock *sk);
void ttp_stream_mtu_reduced(struct sock *sk);
struct dst_entry *ttp_stream_route(struct sock *sk);
void ttp_stream_setup_caps(struct sock *sk, struct dst_entry *dst);
u32 ttp_stream_size_goal(const struct ttp_stream_sock *tsk);
void ttp_stream_clean_rtx(struct sock *sk, u32 ack);
void ttp_stream_purge(struct sock *sk, bool all);
void ttp_stream_ofo_purge(struct sock *sk);
int ttp_stream_set_mss(struct sock *sk);

/* gso.c */
int ttp_gso_init(void);
void ttp_gso_exit(void);

/* stream_mem.c */
int ttp_mem_init(struct proto *prot);
void ttp_mem_charge_forced(struct sock *sk, int size);
int ttp_mem_wmem_schedule(struct sock *sk, int size);
void ttp_rcv_rtt_sample(struct ttp_stream_sock *tsk,
			const struct ttp_stream_cb *cb);
void ttp_rcv_space_adjust(struct sock *sk);
void ttp_mem_exit(void);

/* stream_timer.c */
void ttp_stream_init_timers(struct sock *sk);
void ttp_stream_clear_timers(struct sock *sk);
void ttp_stream_arm_rtx(struct sock *sk, enum ttp_rtx_kind kind,
			unsigned long when);
void ttp_stream_stop_rtx(struct sock *sk);
void ttp_stream_schedule_ack(struct sock *sk);
void ttp_stream_stop_delack(struct sock *sk);
void ttp_stream_reset_keepalive(struct sock *sk);
void ttp_stream_time_wait(struct sock *sk);
void ttp_stream_release_cb(struct sock *sk);

#endif /* _TTP_STREAM_H */
