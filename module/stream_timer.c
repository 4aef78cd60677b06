// SPDX-License-Identifier: GPL-2.0
/*
 * The stream's timers: retransmission (which also serves as the persist
 * timer and as the end of TIME_WAIT: a connection needs one of the three at
 * a time), delayed ACK, and keepalive (sk->sk_timer).
 *
 * Each callback takes bh_lock_sock(). When a process owns the socket it
 * only sets its bit in tsk->deferred (holding a reference for it) and
 * ttp_stream_release_cb() runs the handler when the owner releases the
 * lock. A handler first checks its deadline, kept in the socket: a deferred
 * run may come before it, after the owner moved it, and then just re-arms.
 * Timers hold a reference while pending (sk_reset_timer/sk_stop_timer).
 */
#include "stream.h"

/* Every handler runs with the socket lock held and the socket not owned. */
static void ttp_rtx_handler(struct sock *sk);
static void ttp_delack_handler(struct sock *sk);
static void ttp_keepalive_handler(struct sock *sk);

static void ttp_timer_run(struct sock *sk, int bit, void (*handler)(struct sock *))
{
	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk))
		handler(sk);
	else if (!test_and_set_bit(bit, &ttp_ssk(sk)->deferred))
		sock_hold(sk);	/* dropped by ttp_stream_release_cb() */
	bh_unlock_sock(sk);
	sock_put(sk);		/* the pending timer's */
}

static void ttp_rtx_timer(struct timer_list *t)
{
	struct ttp_stream_sock *tsk = timer_container_of(tsk, t, rtx_timer);

	ttp_timer_run((struct sock *)tsk, TTP_RTX_DEFERRED, ttp_rtx_handler);
}

static void ttp_delack_timer(struct timer_list *t)
{
	struct ttp_stream_sock *tsk = timer_container_of(tsk, t, delack_timer);

	ttp_timer_run((struct sock *)tsk, TTP_DELACK_DEFERRED,
		      ttp_delack_handler);
}

static void ttp_keepalive_timer(struct timer_list *t)
{
	struct sock *sk = timer_container_of(sk, t, sk_timer);

	ttp_timer_run(sk, TTP_KEEPALIVE_DEFERRED, ttp_keepalive_handler);
}

void ttp_stream_init_timers(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	timer_setup(&tsk->rtx_timer, ttp_rtx_timer, 0);
	timer_setup(&tsk->delack_timer, ttp_delack_timer, 0);
	timer_setup(&sk->sk_timer, ttp_keepalive_timer, 0);
}

void ttp_stream_clear_timers(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	tsk->rtx_kind = TTP_RTX_NONE;
	sk_stop_timer(sk, &tsk->rtx_timer);
	sk_stop_timer(sk, &tsk->delack_timer);
	sk_stop_timer(sk, &sk->sk_timer);
}

void ttp_stream_arm_rtx(struct sock *sk, enum ttp_rtx_kind kind,
			unsigned long when)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	tsk->rtx_kind = kind;
	tsk->rtx_deadline = jiffies + when;
	sk_reset_timer(sk, &tsk->rtx_timer, tsk->rtx_deadline);
}

void ttp_stream_stop_rtx(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	tsk->rtx_kind = TTP_RTX_NONE;
	sk_stop_timer(sk, &tsk->rtx_timer);
}

/* An ACK is owed: send it within TTP_DELACK_MAX unless one goes earlier. */
void ttp_stream_schedule_ack(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	tsk->ack_pending = 1;
	if (timer_pending(&tsk->delack_timer))
		return;
	tsk->delack_deadline = jiffies + TTP_DELACK_MAX;
	sk_reset_timer(sk, &tsk->delack_timer, tsk->delack_deadline);
}

void ttp_stream_stop_delack(struct sock *sk)
{
	sk_stop_timer(sk, &ttp_ssk(sk)->delack_timer);
}

static int ttp_keep_sysctl(struct sock *sk, int opt, int def)
{
	return opt ? opt : def;
}

/* (Re)start the keepalive clock after activity, when SO_KEEPALIVE is on. */
void ttp_stream_reset_keepalive(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct ttp_net *tn = ttp_pernet(sock_net(sk));

	if (!sock_flag(sk, SOCK_KEEPOPEN) ||
	    (1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN | TCPF_SYN_SENT)) {
		sk_stop_timer(sk, &sk->sk_timer);
		return;
	}
	tsk->probes = 0;
	sk_reset_timer(sk, &sk->sk_timer, jiffies + HZ *
		       ttp_keep_sysctl(sk, tsk->keepidle,
				       READ_ONCE(tn->keepalive_time)));
}

/*
 * The timer a socket waits on, as /proc/net/tcp's "tr" column codes it:
 * 1 retransmission, 4 zero-window probe, 3 TIME_WAIT, 2 keepalive, 0 none.
 * *@left: jiffies until it fires. No lock: /proc's picture of a moment.
 */
int ttp_stream_timer_show(const struct sock *sk, unsigned long *left)
{
	const struct ttp_stream_sock *tsk = ttp_ssk(sk);
	static const u8 code[] = {
		[TTP_RTX_RETRANSMIT] = 1,
		[TTP_RTX_PERSIST] = 4,
		[TTP_RTX_TIME_WAIT] = 3,
	};
	u8 kind = READ_ONCE(tsk->rtx_kind);
	unsigned long when;
	int tr;

	if (kind != TTP_RTX_NONE && kind < ARRAY_SIZE(code)) {
		tr = code[kind];
		when = READ_ONCE(tsk->rtx_deadline);
	} else if (timer_pending(&sk->sk_timer)) {
		tr = 2;
		when = READ_ONCE(sk->sk_timer.expires);
	} else {
		*left = 0;
		return 0;
	}
	*left = time_after(when, jiffies) ? when - jiffies : 0;
	return tr;
}

/* Enter TIME_WAIT: only the end of it is left to wait for. */
void ttp_stream_time_wait(struct sock *sk)
{
	struct ttp_net *tn = ttp_pernet(sock_net(sk));

	ttp_stream_set_state(sk, TCP_TIME_WAIT);
	ttp_stream_stop_delack(sk);
	sk_stop_timer(sk, &sk->sk_timer);
	ttp_stream_arm_rtx(sk, TTP_RTX_TIME_WAIT,
			   msecs_to_jiffies(READ_ONCE(tn->tw_timeout_ms)));
}

/*
 * The retransmission (and window probe) limit of the state @sk is in. An
 * orphan, closed by its user, has its own (net.ttp.orphan_retries, as
 * tcp_orphan_retries): nobody waits for it, and a peer that answers its
 * probes with a shut window must not keep it, its buffer and the module
 * forever.
 */
static int ttp_retry_limit(struct sock *sk)
{
	struct ttp_net *tn = ttp_pernet(sock_net(sk));

	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
		return READ_ONCE(tn->syn_retries);
	if (sock_flag(sk, SOCK_DEAD))
		return READ_ONCE(tn->orphan_retries);
	return READ_ONCE(tn->retries2);
}

/* A timer's limit is reached: abort with @err, counted. */
static void ttp_timer_abort(struct sock *sk, int err)
{
	ttp_inc_stats(sock_net(sk), TTP_MIB_ABORTONTIMEOUT);
	ttp_stream_reset(sk, err);
}

/* The loss a timeout signals, for the congestion state (RFC 5681 3.1) */
static void ttp_timer_cong_rto(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	u32 cwnd = tsk->cong.cwnd, ssthresh = tsk->cong.ssthresh;

	ttp_cong_rto(&tsk->cong, tsk->snd_max, ttp_in_flight(tsk));
	ttp_trace_cwnd(sk, cwnd, ssthresh);
}

/*
 * RFC 6298 5.4-5.6: resend from the oldest unacknowledged segment (go back
 * N: the congestion window is one segment now), back the timer off, and
 * abort once the limit is reached.
 */
static void ttp_retransmit_timeout(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	tsk->rtx_kind = TTP_RTX_NONE;
	if (skb_queue_empty(&sk->sk_write_queue))
		return;
	if (skb_peek(&sk->sk_write_queue) == tsk->send_head) {
		/* nothing in flight: what held it back (persist) */
		ttp_stream_push(sk, true);
		return;
	}
	if (tsk->retries >= ttp_retry_limit(sk)) {
		ttp_timer_abort(sk, READ_ONCE(sk->sk_err_soft) ?: ETIMEDOUT);
		return;
	}
	tsk->retries++;
	ttp_inc_stats(sock_net(sk), TTP_MIB_TIMEOUTS);
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
		tsk->syn_lost = 1;
	else
		ttp_timer_cong_rto(sk);
	ttp_rto_backoff(&tsk->rto);
	tsk->rtt_start_us = 0;	/* Karn: nothing in flight is timed now */
	/* go back: everything from snd_una on is to be sent again */
	tsk->send_head = skb_peek(&sk->sk_write_queue);
	tsk->snd_nxt = tsk->snd_una;
	tsk->rtx_kind = TTP_RTX_NONE;
	/* the push sends it all again from snd_una, as cwnd lets it */
	ttp_stream_push(sk, true);
	ttp_stream_arm_rtx(sk, TTP_RTX_RETRANSMIT,
			   usecs_to_jiffies(ttp_rto_timeout(&tsk->rto)));
}

/* The peer's window is still shut: probe it, and back off. */
static void ttp_persist_timeout(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	tsk->rtx_kind = TTP_RTX_NONE;
	if (!tsk->send_head || ttp_in_flight(tsk))
		return;	/* data is timed otherwise now */
	ttp_stream_push(sk, true);
	if (ttp_in_flight(tsk))
		return;	/* the window opened */
	if (tsk->retries >= ttp_retry_limit(sk)) {
		/* an orphan tells the peer, alive behind its shut window */
		if (sock_flag(sk, SOCK_DEAD))
			ttp_stream_send_active_reset(sk, GFP_ATOMIC);
		ttp_timer_abort(sk, ETIMEDOUT);
		return;
	}
	tsk->retries++;
	ttp_stream_send_probe(sk);
	ttp_rto_backoff(&tsk->rto);
	ttp_stream_arm_rtx(sk, TTP_RTX_PERSIST,
			   usecs_to_jiffies(ttp_rto_timeout(&tsk->rto)));
}

static void ttp_rtx_handler(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	if (sk->sk_state == TCP_CLOSE || tsk->rtx_kind == TTP_RTX_NONE)
		return;
	if (time_before(jiffies, tsk->rtx_deadline)) {
		sk_reset_timer(sk, &tsk->rtx_timer, tsk->rtx_deadline);
		return;
	}
	switch (tsk->rtx_kind) {
	case TTP_RTX_RETRANSMIT:
		ttp_retransmit_timeout(sk);
		break;
	case TTP_RTX_PERSIST:
		ttp_persist_timeout(sk);
		break;
	case TTP_RTX_TIME_WAIT:
		tsk->rtx_kind = TTP_RTX_NONE;
		ttp_stream_done(sk);
		break;
	}
}

static void ttp_delack_handler(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	if (!tsk->ack_pending || sk->sk_state == TCP_CLOSE)
		return;
	if (time_before(jiffies, tsk->delack_deadline)) {
		sk_reset_timer(sk, &tsk->delack_timer, tsk->delack_deadline);
		return;
	}
	ttp_stream_send_ack(sk);
}

/*
 * Idle long enough: send a probe (an ACK one byte before snd_una, which the
 * peer must answer); TTP_KEEPCNT probes unanswered abort the connection.
 */
static void ttp_keepalive_handler(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct ttp_net *tn = ttp_pernet(sock_net(sk));
	unsigned long idle, limit;
	int cnt;

	if (!sock_flag(sk, SOCK_KEEPOPEN) ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				     TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)))
		return;
	idle = jiffies - tsk->last_rcv;
	limit = HZ * ttp_keep_sysctl(sk, tsk->keepidle,
				     READ_ONCE(tn->keepalive_time));
	if (tsk->probes == 0 && idle < limit) {
		sk_reset_timer(sk, &sk->sk_timer, jiffies + limit - idle);
		return;
	}
	cnt = ttp_keep_sysctl(sk, tsk->keepcnt, READ_ONCE(tn->keepalive_probes));
	if (tsk->probes >= cnt) {
		ttp_timer_abort(sk, ETIMEDOUT);
		return;
	}
	tsk->probes++;
	/* the probe's seq is one the peer has acknowledged already */
	ttp_stream_send_probe(sk);
	sk_reset_timer(sk, &sk->sk_timer, jiffies + HZ *
		       ttp_keep_sysctl(sk, tsk->keepintvl,
				       READ_ONCE(tn->keepalive_intvl)));
}

/*
 * proto.release_cb: run what the timers left while a process owned the
 * socket. Called by release_sock() with the socket still owned.
 */
void ttp_stream_release_cb(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	if (test_and_clear_bit(TTP_RTX_DEFERRED, &tsk->deferred)) {
		ttp_rtx_handler(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(TTP_DELACK_DEFERRED, &tsk->deferred)) {
		ttp_delack_handler(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(TTP_KEEPALIVE_DEFERRED, &tsk->deferred)) {
		ttp_keepalive_handler(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(TTP_MTU_DEFERRED, &tsk->deferred)) {
		if (sk->sk_state != TCP_CLOSE)
			ttp_stream_mtu_reduced(sk);
		__sock_put(sk);
	}
}
