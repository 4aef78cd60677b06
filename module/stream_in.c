// SPDX-License-Identifier: GPL-2.0
/*
 * The stream's way in: find the connection a segment belongs to, then
 * process it in the steps of RFC 9293 3.10.7 for the state the connection
 * is in (LISTEN, SYN_SENT, then every other state), and the ICMP errors
 * about segments we sent. ttp_stream_do_rcv() and everything it calls run
 * with the socket lock held (softirq with bh_lock_sock, or release_sock()
 * draining the backlog).
 */
#include <linux/icmp.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/route.h>

#include "stream.h"

static u32 get_unaligned_be32_ttp(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

/* Parse the options: MSS, timestamps. Returns 0 or -EINVAL (malformed). */
static int ttp_parse_options(struct sk_buff *skb, int hlen)
{
	const u8 *p = skb_transport_header(skb) + TTP_STREAM_HDR_LEN;
	const u8 *end = skb_transport_header(skb) + hlen;
	struct ttp_stream_cb *cb = TTP_STREAM_CB(skb);

	cb->mss = 0;
	cb->has_ts = 0;
	while (p < end) {
		if (*p == TTP_OPT_EOL)
			break;
		if (*p == TTP_OPT_NOP) {
			p++;
			continue;
		}
		if (end - p < 2 || p[1] < 2 || p[1] > end - p)
			return -EINVAL;
		if (*p == TTP_OPT_MSS && p[1] == TTP_OPT_MSS_LEN &&
		    (cb->flags & TTP_SYN))
			cb->mss = p[2] << 8 | p[3];
		if (*p == TTP_OPT_TS && p[1] == TTP_OPT_TS_LEN) {
			cb->has_ts = 1;
			cb->tsval = get_unaligned_be32_ttp(p + 2);
			cb->tsecr = get_unaligned_be32_ttp(p + 6);
		}
		p += p[1];
	}
	return 0;
}

/*
 * RFC 7323 5.3 (PAWS): with timestamps on, a segment whose TSval is older
 * than ts_recent (by more than TTP_PAWS_WINDOW: reordering) is an old
 * duplicate, unless ts_recent is too old to compare; and one older than
 * the peer's SYN is an earlier connection's on the same ports (TTP's TSval
 * is one clock for the host). 0 is no TSval (some stacks' SYNs).
 */
static bool ttp_paws_reject(const struct ttp_stream_sock *tsk,
			    const struct ttp_stream_cb *cb)
{
	if (!tsk->ts_ok || !cb->has_ts || !tsk->ts_recent)
		return false;
	if (tsk->ts_first && (s32)(cb->tsval - tsk->ts_first) < 0 &&
	    (u32)ktime_get_seconds() - tsk->ts_first_stamp < TTP_PAWS_FLOOR)
		return true;
	return (s32)(tsk->ts_recent - cb->tsval) > TTP_PAWS_WINDOW &&
	       (u32)ktime_get_seconds() - tsk->ts_recent_stamp < TTP_PAWS_IDLE;
}

/*
 * RFC 6191, as TCP's tcp_timewait_state_process(): a SYN (no ACK, no RST)
 * for a connection in TIME_WAIT opens a new one, through the listener, when
 * it is newer than the old connection: not an old duplicate (PAWS), and
 * with a sequence number beyond the old one's rcv_nxt or a TSval after the
 * last one echoed. The old connection ends at once. Any other SYN is the
 * old connection's to answer (a challenge ACK, RFC 5961 4.2), and so is
 * every SYN while a process owns it. Softirq; true when @sk ended.
 */
static bool ttp_tw_reopen(struct sock *sk, struct sk_buff *skb)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct ttp_stream_cb *cb = TTP_STREAM_CB(skb);
	bool newer;

	if ((cb->flags & (TTP_SYN | TTP_ACK | TTP_RST)) != TTP_SYN)
		return false;
	bh_lock_sock(sk);
	newer = !sock_owned_by_user(sk) && sk->sk_state == TCP_TIME_WAIT &&
		!ttp_paws_reject(tsk, cb) &&
		(ttp_seq_after(cb->seq, tsk->rcv_nxt) ||
		 (cb->has_ts && (s32)(cb->tsval - tsk->ts_recent) > 0));
	if (newer)
		ttp_stream_done(sk);
	bh_unlock_sock(sk);
	return newer;
}

/*
 * Softirq: a checked stream segment, its header @hlen bytes long. Find its
 * connection (else a listener, else answer with a reset) and process it, or
 * queue it to the backlog while a process owns the socket. Consumes @skb.
 */
int ttp_stream_rcv(struct net *net, struct sk_buff *skb, int hlen)
{
	const struct ttp_streamhdr *sh = (void *)skb_transport_header(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct ttp_stream_cb *cb = TTP_STREAM_CB(skb);
	struct sock *sk;
	int ret = 0;

	cb->seq = ntohl(sh->seq);
	cb->ack = ntohl(sh->ack);
	/* sequence comparisons hold within 2^31: no window may come near it */
	cb->wnd = min_t(u32, ntohl(sh->wnd), TTP_WND_MAX);
	cb->flags = ntohs(sh->th.flags);
	cb->resent = 0;
	if (hlen < TTP_STREAM_HDR_LEN || ttp_parse_options(skb, hlen)) {
		ttp_drop_stats(net, skb, TTP_MIB_MALFORMED);
		ttp_inc_stats(net, TTP_MIB_INERRORS);
		goto drop;
	}
	cb->end_seq = cb->seq + skb->len - hlen + !!(cb->flags & TTP_SYN) +
		      !!(cb->flags & TTP_FIN);
	ttp_add_stats(net, TTP_MIB_INSEGS, ttp_skb_segs(skb, skb->len - hlen));

	sk = ttp_ctable_lookup(net, iph->saddr, sh->th.source, iph->daddr,
			       sh->th.dest, inet_iif(skb));
	if (sk && READ_ONCE(sk->sk_state) == TCP_TIME_WAIT &&
	    ttp_tw_reopen(sk, skb)) {
		sock_put(sk);
		sk = NULL;
	}
	if (!sk)
		sk = ttp_listener_lookup(net, iph->daddr, sh->th.dest,
					 inet_iif(skb));
	if (!sk) {
		ttp_stream_send_reset(net, skb);
		goto drop;
	}
	__skb_pull(skb, hlen);

	bh_lock_sock_nested(sk);
	if (!sock_owned_by_user(sk)) {
		ret = ttp_stream_do_rcv(sk, skb);
	} else if (sk_add_backlog(sk, skb, READ_ONCE(sk->sk_rcvbuf) +
				  READ_ONCE(sk->sk_sndbuf))) {
		bh_unlock_sock(sk);
		atomic_inc(&sk->sk_drops);
		ttp_drop_stats(net, skb, TTP_MIB_RCVBUFERRORS);
		sock_put(sk);
		goto drop;
	}
	bh_unlock_sock(sk);
	sock_put(sk);
	return ret;
drop:
	kfree_skb(skb);
	return 0;
}

/* The peer's TSval to echo, and when it came (PAWS's idle rule). */
static void ttp_store_ts_recent(struct ttp_stream_sock *tsk, u32 tsval)
{
	tsk->ts_recent = tsval;
	tsk->ts_recent_stamp = (u32)ktime_get_seconds();
}

/*
 * Is @tsval no older than ts_recent (or ts_recent none, or too old to
 * compare)? As tcp_paws_check() with no window.
 */
static bool ttp_ts_not_older(const struct ttp_stream_sock *tsk, u32 tsval)
{
	return !tsk->ts_recent || (s32)(tsval - tsk->ts_recent) >= 0 ||
	       (u32)ktime_get_seconds() - tsk->ts_recent_stamp >= TTP_PAWS_IDLE;
}

/* The TSval of the peer's SYN: PAWS's floor (ttp_paws_reject()). */
static void ttp_store_ts_first(struct ttp_stream_sock *tsk, u32 tsval)
{
	ttp_store_ts_recent(tsk, tsval);
	tsk->ts_first = tsval;
	tsk->ts_first_stamp = tsk->ts_recent_stamp;
}

/* ---- LISTEN -------------------------------------------------------- */

/*
 * Is the listener's queue full? As TCP: more than backlog waiting, in
 * SYN_RECV or ready for accept().
 */
static bool ttp_listen_full(struct sock *sk)
{
	return READ_ONCE(sk->sk_ack_backlog) > READ_ONCE(sk->sk_max_ack_backlog);
}

/* Are more than backlog children ready for accept()? Cookies cannot help. */
static bool ttp_acceptq_full(struct sock *sk)
{
	/* read without accept_lock: the difference may be off, never huge */
	int ready = READ_ONCE(sk->sk_ack_backlog) -
		    READ_ONCE(ttp_ssk(sk)->syn_qlen);

	return ready > (int)READ_ONCE(sk->sk_max_ack_backlog);
}

/* IP_TOS, IP_TTL and IP_MTU_DISCOVER of a listener, for its child. */
static void ttp_inherit_ip_opts(struct sock *child, const struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);
	struct inet_sock *cinet = inet_sk(child);

	cinet->tos = READ_ONCE(inet->tos);
	cinet->uc_ttl = READ_ONCE(inet->uc_ttl);
	cinet->pmtudisc = READ_ONCE(inet->pmtudisc);
}

/*
 * A new connection from the peer of @skb (a SYN, or a cookie's ACK): a
 * child socket in SYN_RECV, the peer's ISN @irs and MSS @mss. Returned
 * locked, as sk_clone_lock() returns TCP's: it is in the connection table
 * before its caller has filled it in (its ISN) and queued it, and a segment
 * of its 4-tuple on another CPU must wait until it is whole.
 */
static struct sock *ttp_stream_child(struct sock *sk, struct sk_buff *skb,
				     u32 irs, u16 mss)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct ttphdr *th = ttp_hdr(skb);
	struct ttp_stream_sock *ctsk, *ltsk = ttp_ssk(sk);
	struct sock *child;

	child = sk_alloc(sock_net(sk), ttp_family, GFP_ATOMIC, sk->sk_prot, 0);
	if (!child)
		return NULL;
	sock_init_data(NULL, child);
	child->sk_type = SOCK_STREAM;
	ttp_stream_init_sock(child);
	ctsk = ttp_ssk(child);
	bh_lock_sock(child);

	/* what the listener's options were, the child's are */
	child->sk_uid = sk->sk_uid;
	child->sk_rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	child->sk_sndbuf = READ_ONCE(sk->sk_sndbuf);
	child->sk_userlocks = sk->sk_userlocks & ~SOCK_BINDADDR_LOCK;
	child->sk_reuse = sk->sk_reuse;
	child->sk_bound_dev_if = sk->sk_bound_dev_if;
	child->sk_mark = sk->sk_mark;
	child->sk_priority = sk->sk_priority;
	sock_valbool_flag(child, SOCK_KEEPOPEN, sock_flag(sk, SOCK_KEEPOPEN));
	/* as TCP's clone: SO_LINGER, the timeouts, SO_RCVLOWAT, IP's options */
	sock_valbool_flag(child, SOCK_LINGER, sock_flag(sk, SOCK_LINGER));
	child->sk_lingertime = READ_ONCE(sk->sk_lingertime);
	child->sk_rcvtimeo = READ_ONCE(sk->sk_rcvtimeo);
	child->sk_sndtimeo = READ_ONCE(sk->sk_sndtimeo);
	child->sk_rcvlowat = READ_ONCE(sk->sk_rcvlowat);
	ttp_inherit_ip_opts(child, sk);
	ctsk->nodelay = ltsk->nodelay;
	ctsk->keepidle = ltsk->keepidle;
	ctsk->keepintvl = ltsk->keepintvl;
	ctsk->keepcnt = ltsk->keepcnt;
	ctsk->cong_ops = ltsk->cong_ops;
	ctsk->ts.inet_addrs = ltsk->ts.inet_addrs;

	inet_sk(child)->inet_rcv_saddr = iph->daddr;
	inet_sk(child)->inet_saddr = iph->daddr;
	inet_sk(child)->inet_daddr = iph->saddr;
	inet_sk(child)->inet_dport = th->source;
	inet_sk(child)->inet_sport = th->dest;
	if (IS_ERR(ttp_stream_route(child)))
		goto fail;

	ctsk->irs = irs;
	ctsk->rcv_nxt = ctsk->irs + 1;
	ctsk->copied_seq = ctsk->rcv_nxt;
	ctsk->rcv_wup = ctsk->rcv_nxt;
	ctsk->peer_mss = mss;
	ctsk->ts_ok = TTP_STREAM_CB(skb)->has_ts;
	ttp_store_ts_first(ctsk, TTP_STREAM_CB(skb)->tsval);
	ctsk->snd_wnd = TTP_STREAM_CB(skb)->wnd;
	ctsk->max_snd_wnd = ctsk->snd_wnd;
	ctsk->snd_wl1 = ctsk->irs;
	if (ttp_stream_set_mss(child) < 0)
		goto fail;
	ttp_stream_set_state(child, TCP_SYN_RECV);
	if (ttp_stream_inherit_port(child, sk))
		goto fail;
	return child;
fail:
	child->sk_state = TCP_CLOSE;
	bh_unlock_sock(child);
	sk_free(child);
	return NULL;
}

/*
 * Put a new @child, locked since ttp_stream_child() made it, on its
 * listener @sk's syn_q. The listener's lock is held in softirq as the
 * nested subclass (ttp_stream_rcv()), the child's is the plain one, as TCP
 * locks its clone. Takes a reference for the caller, who unlocks the
 * child (ttp_stream_done() may drop the queue's).
 */
static void ttp_listen_adopt(struct sock *sk, struct sock *child)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk), *ctsk = ttp_ssk(child);

	spin_lock(&tsk->accept_lock);
	sock_hold(sk);
	ctsk->parent = sk;
	list_add_tail(&ctsk->child_node, &tsk->syn_q);
	ctsk->on_syn_q = true;
	WRITE_ONCE(tsk->syn_qlen, tsk->syn_qlen + 1);
	sk_acceptq_added(sk);
	spin_unlock(&tsk->accept_lock);
	ctsk->last_rcv = jiffies;
	sock_hold(child);
}

static void ttp_listen_drop(struct sock *sk, bool overflow)
{
	if (overflow)
		ttp_inc_stats(sock_net(sk), TTP_MIB_LISTENOVERFLOWS);
	ttp_inc_stats(sock_net(sk), TTP_MIB_LISTENDROPS);
}

/* A SYN to a listener: a child in SYN_RECV, a cookie, or nothing. */
static void ttp_listen_syn(struct sock *sk, struct sk_buff *skb)
{
	const struct ttp_stream_cb *cb = TTP_STREAM_CB(skb);
	int cookies = READ_ONCE(ttp_pernet(sock_net(sk))->syncookies);
	const struct iphdr *iph = ip_hdr(skb);
	const struct ttphdr *th = ttp_hdr(skb);
	u16 mss = cb->mss ?: TTP_MSS_DEFAULT;
	struct ttp_stream_sock *ctsk;
	struct sock *child;

	if (ttp_acceptq_full(sk)) {
		ttp_listen_drop(sk, true);
		return;
	}
	if (cookies == 2 || (cookies && ttp_listen_full(sk))) {
		ttp_ssk(sk)->cookie_stamp = jiffies | 1;
		ttp_stream_send_cookie(sk, skb,
				       ttp_cookie_make(iph->saddr, iph->daddr,
						       th->source, th->dest,
						       cb->seq, mss));
		return;
	}
	if (ttp_listen_full(sk)) {
		ttp_listen_drop(sk, true);
		return;
	}
	/* from the backlog this runs in process context: keep softirq out */
	local_bh_disable();
	child = ttp_stream_child(sk, skb, cb->seq, mss);
	if (!child) {
		local_bh_enable();
		ttp_listen_drop(sk, false);
		return;
	}
	ctsk = ttp_ssk(child);
	ctsk->iss = ttp_stream_isn(sock_net(sk), iph->daddr, iph->saddr,
				   th->dest, th->source);
	ctsk->snd_wl2 = ctsk->iss;
	ttp_listen_adopt(sk, child);
	if (ttp_stream_send_syn(child)) {
		/* no SYN-ACK, no timer to resend it: the slot goes at once */
		ttp_stream_done(child);
		ttp_listen_drop(sk, false);
	} else {
		ttp_inc_stats(sock_net(sk), TTP_MIB_PASSIVEOPENS);
	}
	bh_unlock_sock(child);
	sock_put(child);
	local_bh_enable();
}

/*
 * Cookies are checked while the listener sends them: mode 2, or within two
 * minutes of the last one it sent (TCP's TCP_SYNCOOKIE_VALID).
 */
static bool ttp_cookies_live(struct sock *sk)
{
	int cookies = READ_ONCE(ttp_pernet(sock_net(sk))->syncookies);
	unsigned long stamp = ttp_ssk(sk)->cookie_stamp;

	return cookies == 2 ||
	       (cookies && stamp && time_before(jiffies, stamp + 120 * HZ));
}

/*
 * The ACK @skb echoes a cookie worth @mss: the connection, made now in
 * SYN_RECV as if its SYN-ACK had been sent and then fed the ACK, which
 * takes it to ESTABLISHED and the accept queue (with any data on it).
 * Consumes @skb.
 */
static void ttp_cookie_child(struct sock *sk, struct sk_buff *skb, u16 mss)
{
	const struct ttp_stream_cb *cb = TTP_STREAM_CB(skb);
	struct ttp_stream_sock *ctsk;
	struct sock *child;

	if (ttp_acceptq_full(sk)) {	/* as TCP's: the peer will resend */
		ttp_listen_drop(sk, true);
		kfree_skb(skb);
		return;
	}
	local_bh_disable();
	child = ttp_stream_child(sk, skb, cb->seq - 1, mss);
	if (!child) {
		local_bh_enable();
		ttp_listen_drop(sk, false);
		kfree_skb(skb);
		return;
	}
	ctsk = ttp_ssk(child);
	ctsk->iss = cb->ack - 1;
	ttp_listen_adopt(sk, child);
	if (ttp_stream_cookie_synack(child)) {
		ttp_stream_done(child);
		ttp_listen_drop(sk, false);
		kfree_skb(skb);
		goto out;
	}
	ttp_inc_stats(sock_net(sk), TTP_MIB_SYNCOOKIESRECV);
	ttp_inc_stats(sock_net(sk), TTP_MIB_PASSIVEOPENS);
	ttp_stream_do_rcv(child, skb);
out:
	bh_unlock_sock(child);
	sock_put(child);
	local_bh_enable();
}

/*
 * A segment to a listener: a SYN is answered; an ACK may carry a cookie,
 * else draws a reset; anything else is dropped. Returns true if it
 * consumed @skb.
 */
static bool ttp_listen_rcv(struct sock *sk, struct sk_buff *skb)
{
	const struct ttp_stream_cb *cb = TTP_STREAM_CB(skb);
	const struct iphdr *iph = ip_hdr(skb);
	const struct ttphdr *th = ttp_hdr(skb);
	u16 mss;

	if (cb->flags & TTP_RST)
		return false;
	if (cb->flags & TTP_SYN) {
		if (!(cb->flags & TTP_ACK))
			ttp_listen_syn(sk, skb);
		else
			ttp_stream_send_reset(sock_net(sk), skb);
		return false;
	}
	if (!(cb->flags & TTP_ACK))
		return false;
	if (ttp_cookies_live(sk)) {
		mss = ttp_cookie_check(iph->saddr, iph->daddr, th->source,
				       th->dest, cb->seq - 1, cb->ack - 1);
		if (mss) {
			ttp_cookie_child(sk, skb, mss);
			return true;
		}
		ttp_inc_stats(sock_net(sk), TTP_MIB_SYNCOOKIESFAILED);
	}
	ttp_stream_send_reset(sock_net(sk), skb);	/* acknowledging what? */
	return false;
}

/* ---- SYN_SENT ------------------------------------------------------ */

/* The peer's window, and the largest it ever offered (RFC 5961 5.2). */
static void ttp_set_snd_wnd(struct ttp_stream_sock *tsk, u32 wnd)
{
	tsk->snd_wnd = wnd;
	tsk->max_snd_wnd = max(tsk->max_snd_wnd, wnd);
}

/* Both ends know each other's sequence numbers: ESTABLISHED. */
static void ttp_stream_established(struct sock *sk, struct sk_buff *skb)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct ttp_stream_cb *cb = TTP_STREAM_CB(skb);

	ttp_set_snd_wnd(tsk, cb->wnd);
	tsk->snd_wl1 = cb->seq;
	tsk->snd_wl2 = cb->ack;
	ttp_stream_set_mss(sk);
	ttp_cong_init(&tsk->cong, tsk->cong_ops, tsk->mss, tsk->iss,
		      tsk->syn_lost);
	if (tsk->syn_lost)
		ttp_rto_syn_lost(&tsk->rto);
	tsk->retries = 0;
	ttp_stream_set_state(sk, TCP_ESTABLISHED);
	/* as TCP: the first segments are acknowledged at once (slow start) */
	tsk->quickack_budget = TTP_QUICKACKS;
	ttp_stream_reset_keepalive(sk);
	sk->sk_state_change(sk);
	sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
}

/*
 * An ACK of new data: take it in. With timestamps, the echoed TSval
 * (@tsecr, 0 for none) times the round trip of whatever was acknowledged,
 * resent or not (RFC 7323 4.1); without, one segment sent once is timed at
 * a time (Karn).
 */
static void ttp_ack_new(struct sock *sk, u32 ack, u32 tsecr)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	u32 acked = ack - tsk->snd_una, rtt = 0;
	enum ttp_cong_action act;

	if (tsk->ts_ok && tsecr) {
		rtt = (u32)ttp_clock_us() - tsecr;
		if (rtt < TTP_RTT_SAMPLE_MAX)
			ttp_rto_sample(&tsk->rto, rtt ?: 1, false);
		else
			rtt = 0;
	} else if (tsk->rtt_start_us && !ttp_seq_before(ack, tsk->rtt_seq)) {
		rtt = ttp_clock_us() - tsk->rtt_start_us;
		ttp_rto_sample(&tsk->rto, rtt ?: 1, false);
		tsk->rtt_start_us = 0;
	}
	WRITE_ONCE(tsk->snd_una, ack);
	if (ttp_seq_before(tsk->snd_nxt, ack))
		tsk->snd_nxt = ack;	/* acked what a go-back resent */
	ttp_stream_clean_rtx(sk, ack);
	tsk->retries = 0;
	if (sk->sk_state != TCP_SYN_SENT && sk->sk_state != TCP_SYN_RECV) {
		u32 cwnd = tsk->cong.cwnd, ssthresh = tsk->cong.ssthresh;

		tsk->cong.app_limited = !ttp_cwnd_used(tsk);
		act = ttp_cong_ack(&tsk->cong, ack, acked, ttp_in_flight(tsk),
				   rtt, ttp_clock_us());
		ttp_trace_cwnd(sk, cwnd, ssthresh);
		if (act != TTP_CONG_NONE)
			ttp_stream_retransmit(sk, TTP_RESEND_RECOVERY);
	}
	/* RFC 6298 5.2, 5.3: all acked, stop; else restart the timer */
	if (tsk->snd_una == tsk->snd_max)
		ttp_stream_stop_rtx(sk);
	else
		ttp_stream_arm_rtx(sk, TTP_RTX_RETRANSMIT,
				   usecs_to_jiffies(ttp_rto_timeout(&tsk->rto)));
	if (sk->sk_socket && sk_stream_memory_free(sk))
		sk->sk_write_space(sk);
}

static void ttp_synsent_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct ttp_stream_cb *cb = TTP_STREAM_CB(skb);
	bool ack_ok = false;

	if (cb->flags & TTP_ACK) {
		/* RFC 9293 3.10.7.3: acceptable when iss < ack <= snd_nxt */
		if (!ttp_seq_after(cb->ack, tsk->iss) ||
		    ttp_seq_after(cb->ack, tsk->snd_max)) {
			if (!(cb->flags & TTP_RST))
				ttp_stream_send_reset(sock_net(sk), skb);
			return;
		}
		ack_ok = true;
	}
	if (cb->flags & TTP_RST) {
		if (ack_ok) {
			ttp_inc_stats(sock_net(sk), TTP_MIB_INRSTS);
			ttp_stream_reset(sk, ECONNREFUSED);
		}
		return;
	}
	if (!(cb->flags & TTP_SYN))
		return;
	tsk->irs = cb->seq;
	tsk->rcv_nxt = cb->seq + 1;
	tsk->copied_seq = tsk->rcv_nxt;
	tsk->rcv_wup = tsk->rcv_nxt;
	tsk->peer_mss = cb->mss ?: TTP_MSS_DEFAULT;
	tsk->ts_ok = cb->has_ts;
	ttp_store_ts_first(tsk, cb->tsval);
	if (!ack_ok) {
		/* simultaneous open: our SYN goes again, now with an ACK */
		ttp_stream_set_state(sk, TCP_SYN_RECV);
		ttp_stream_retransmit(sk, TTP_RESEND_SIMOPEN);
		return;
	}
	ttp_ack_new(sk, cb->ack, cb->has_ts ? cb->tsecr : 0);
	ttp_stream_established(sk, skb);
	/* data queued meanwhile carries the ACK; else an ACK of its own */
	ttp_stream_push(sk, true);
	if (tsk->snd_nxt == tsk->snd_una)
		ttp_stream_send_ack(sk);
}

/* ---- the synchronized states ------------------------------------- */

/*
 * RFC 9293 3.10.7.4, first: is any of the segment inside the receive
 * window (or, empty, at its edge)?
 */
static bool ttp_seq_acceptable(const struct ttp_stream_sock *tsk,
			       const struct ttp_stream_cb *cb)
{
	u32 wnd = tsk->rcv_wup + tsk->rcv_wnd - tsk->rcv_nxt;
	u32 len = cb->end_seq - cb->seq;

	if (ttp_seq_after(tsk->rcv_nxt, tsk->rcv_wup + tsk->rcv_wnd))
		wnd = 0;
	if (!len)
		return wnd ? ttp_seq_between(cb->seq, tsk->rcv_nxt,
					     tsk->rcv_nxt + wnd - 1) :
			     cb->seq == tsk->rcv_nxt;
	if (!wnd)
		return false;
	return ttp_seq_between(cb->seq, tsk->rcv_nxt, tsk->rcv_nxt + wnd - 1) ||
	       ttp_seq_between(cb->end_seq - 1, tsk->rcv_nxt,
			       tsk->rcv_nxt + wnd - 1);
}

/*
 * RFC 5961 7: an ACK nobody asked for (a challenge ACK, the answer to a
 * segment outside the window) goes out at most once per
 * net.ttp.invalid_ratelimit_ms on each socket, as TCP's
 * tcp_invalid_ratelimit: two hosts that disagree on the window must not
 * trade ACKs forever, and a stranger's segments must not turn into a flood
 * of ours. The limit is per socket: a counter shared by all of them would
 * tell an off-path observer when someone else's connection drew one
 * (CVE-2016-5696). Returns whether one may go now.
 */
static bool ttp_oow_ack_allowed(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct ttp_net *tn = ttp_pernet(sock_net(sk));
	unsigned long gap = msecs_to_jiffies(READ_ONCE(tn->invalid_ratelimit_ms));
	u32 now = (u32)jiffies;

	if (tsk->oow_ack_sent && (s32)(now - tsk->last_oow_ack) < (s32)gap) {
		ttp_inc_stats(sock_net(sk), TTP_MIB_ACKSKIPPED);
		return false;
	}
	tsk->oow_ack_sent = 1;
	tsk->last_oow_ack = now;
	return true;
}

/* RFC 5961 3.2, 4.2, 5.2: a reset, SYN or ACK not exactly right draws an ACK. */
static void ttp_challenge_ack(struct sock *sk)
{
	if (!ttp_oow_ack_allowed(sk))
		return;
	ttp_inc_stats(sock_net(sk), TTP_MIB_CHALLENGEACKS);
	ttp_stream_send_ack(sk);
}

/*
 * RFC 9293 3.10.7.4: a segment outside the window is answered with an ACK.
 * One that carries data is a resend of what we have (our ACK was lost) and
 * always gets one; an empty one is rate-limited, as TCP's
 * tcp_oow_rate_limited(): it can be one end of an ACK loop.
 */
static void ttp_oow_ack(struct sock *sk, const struct ttp_stream_cb *cb)
{
	if (cb->seq == cb->end_seq && !ttp_oow_ack_allowed(sk))
		return;
	ttp_stream_send_ack(sk);
}

/*
 * RFC 5961 5.2: is the segment's ACK field one the peer can have meant?
 * SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT (our snd_max: a timeout's
 * go-back moves snd_nxt back), the lower bound no further back than the
 * bytes acknowledged so far, as Linux does since 2023: an ACK of bytes we
 * never sent is no ACK of ours. A blind attacker must guess the ACK within
 * that range as well as the sequence number within the window.
 */
static bool ttp_ack_in_range(const struct ttp_stream_sock *tsk, u32 ack)
{
	u32 back = min_t(u64, tsk->max_snd_wnd, tsk->bytes_acked);

	return ttp_seq_between(ack, tsk->snd_una - back, tsk->snd_max);
}

/* Our FIN is acknowledged: the state it moves us to. */
static void ttp_fin_acked(struct sock *sk)
{
	struct ttp_net *tn = ttp_pernet(sock_net(sk));

	switch (sk->sk_state) {
	case TCP_FIN_WAIT1:
		ttp_stream_set_state(sk, TCP_FIN_WAIT2);
		sk->sk_state_change(sk);
		/* an orphan waits for the peer's FIN only so long */
		if (sock_flag(sk, SOCK_DEAD))
			ttp_stream_arm_rtx(sk, TTP_RTX_TIME_WAIT,
					   READ_ONCE(tn->fin_timeout) * HZ);
		break;
	case TCP_CLOSING:
		ttp_stream_time_wait(sk);
		break;
	case TCP_LAST_ACK:
		ttp_stream_done(sk);
		break;
	}
}

/*
 * RFC 9293 3.10.7.4, fifth: the ACK field, once ttp_ack_in_range() took
 * it: what it acknowledges, and the window it brings.
 */
static void ttp_stream_ack(struct sock *sk, struct sk_buff *skb)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct ttp_stream_cb *cb = TTP_STREAM_CB(skb);
	u32 old_wnd = tsk->snd_wnd;
	enum ttp_cong_action act;

	/*
	 * Window update: SND.UNA =< SEG.ACK, and from a newer segment or a
	 * newer ACK of the same (an old ACK's window is an old window).
	 */
	if (!ttp_seq_before(cb->ack, tsk->snd_una) &&
	    (ttp_seq_before(tsk->snd_wl1, cb->seq) ||
	     (tsk->snd_wl1 == cb->seq &&
	      !ttp_seq_before(cb->ack, tsk->snd_wl2)))) {
		ttp_set_snd_wnd(tsk, cb->wnd);
		tsk->snd_wl1 = cb->seq;
		tsk->snd_wl2 = cb->ack;
	}
	if (ttp_seq_after(cb->ack, tsk->snd_una)) {
		ttp_ack_new(sk, cb->ack, cb->has_ts ? cb->tsecr : 0);
		if (tsk->fin_sent && tsk->snd_una == tsk->write_seq)
			ttp_fin_acked(sk);
	} else if (cb->ack == tsk->snd_una && cb->seq == cb->end_seq &&
		   tsk->snd_wnd == old_wnd && ttp_in_flight(tsk)) {
		/* RFC 5681 2: a duplicate ACK */
		act = ttp_cong_dupack(&tsk->cong, cb->ack, tsk->snd_max,
				      ttp_in_flight(tsk));
		if (act == TTP_CONG_FAST_RETRANSMIT &&
		    ttp_stream_retransmit(sk, TTP_RESEND_FAST) > 0)
			ttp_inc_stats(sock_net(sk), TTP_MIB_FASTRETRANS);
	}
}

/*
 * Queue @skb, whose payload ends at @end after rcv_nxt, for the reader.
 * Its first bytes may be ones we hold already: nothing is pulled (a pull
 * can fail), the reader starts at copied_seq's offset into it
 * (stream_io.c), so every byte is delivered once.
 */
static void ttp_queue_rcv(struct sock *sk, struct sk_buff *skb, u32 end)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	tsk->bytes_received += end - tsk->rcv_nxt;
	WRITE_ONCE(tsk->rcv_nxt, end);	/* poll, SIOCINQ read it unlocked */
	__skb_queue_tail(&sk->sk_receive_queue, skb);
}

/*
 * Move what is now in order from the out-of-order tree to the socket. A
 * FIN that comes in order this way is left for ttp_stream_data() (ofo_fin).
 */
static void ttp_ofo_drain(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct sk_buff *skb;
	struct rb_node *n;
	u32 seq, end;
	bool fin;

	/*
	 * The ranges forget what now lies before rcv_nxt; the tree is walked
	 * whatever pop says: a held segment that in-order data covered whole
	 * (held [200,300), then [100,400) came) is freed here, not kept.
	 */
	ttp_ofo_pop(&tsk->ofo, tsk->rcv_nxt);
	while ((n = rb_first(&tsk->ofo_root))) {
		skb = rb_entry(n, struct sk_buff, rbnode);
		seq = TTP_STREAM_CB(skb)->seq;
		end = seq + skb->len;
		fin = TTP_STREAM_CB(skb)->flags & TTP_FIN;
		if (ttp_seq_after(seq, tsk->rcv_nxt))
			break;
		rb_erase(n, &tsk->ofo_root);
		if (ttp_seq_before(end, tsk->rcv_nxt) ||
		    (end == tsk->rcv_nxt && !fin)) {
			kfree_skb(skb);		/* all of it came another way */
			continue;
		}
		if (ttp_seq_after(end, tsk->rcv_nxt))
			ttp_queue_rcv(sk, skb, end);
		else
			kfree_skb(skb);		/* a FIN after data we had */
		if (fin) {
			tsk->ofo_fin = 1;
			break;
		}
	}
}

/* Keep an early segment until the gap before it fills. */
static void ttp_ofo_queue(struct sock *sk, struct sk_buff *skb)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	u32 seq = TTP_STREAM_CB(skb)->seq, added;
	struct rb_node **p = &tsk->ofo_root.rb_node, *parent = NULL;
	struct sk_buff *s;

	switch (ttp_ofo_insert(&tsk->ofo, tsk->rcv_nxt, seq, seq + skb->len,
			       &added)) {
	case TTP_OFO_NEW:
		break;
	case TTP_OFO_FULL:
		atomic_inc(&sk->sk_drops);
		ttp_drop_stats(sock_net(sk), skb, TTP_MIB_RCVBUFERRORS);
		kfree_skb(skb);
		return;
	default:	/* all of it is here already */
		kfree_skb(skb);
		return;
	}
	while (*p) {
		parent = *p;
		s = rb_entry(parent, struct sk_buff, rbnode);
		p = ttp_seq_before(seq, TTP_STREAM_CB(s)->seq) ?
		    &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&skb->rbnode, parent, p);
	rb_insert_color(&skb->rbnode, &tsk->ofo_root);
	ttp_inc_stats(sock_net(sk), TTP_MIB_OFOQUEUE);
}

/* Would charging @skb pass twice the receive buffer? */
static bool ttp_rmem_over(struct sock *sk, const struct sk_buff *skb)
{
	return atomic_read(&sk->sk_rmem_alloc) + skb->truesize >
	       2 * READ_ONCE(sk->sk_rcvbuf);
}

/*
 * Charging @skb would pass the receive buffer's limit. A segment that came
 * by loopback or veth is the sender's own buffer, which can be many times
 * its payload (a piece split off a 64 KB skb keeps all of it): rather than
 * refuse data inside the window we offered, copy it into a buffer its own
 * size, as TCP collapses its queue under memory pressure. Returns the skb
 * to go on with: a copy, or @skb itself.
 */
static struct sk_buff *ttp_stream_compact(struct sk_buff *skb)
{
	struct sk_buff *nskb;

	if (skb->truesize <= SKB_TRUESIZE(SKB_DATA_ALIGN(skb->len)))
		return skb;
	nskb = alloc_skb(skb->len, GFP_ATOMIC);
	if (!nskb || skb_copy_bits(skb, 0, skb_put(nskb, skb->len), skb->len)) {
		kfree_skb(nskb);
		return skb;
	}
	memcpy(nskb->cb, skb->cb, sizeof(skb->cb));
	consume_skb(skb);
	return nskb;
}

/*
 * Memory for @skb under net.ttp.mem (stream_mem.c), before it is charged
 * to @sk. In-order data comes first: to make room for it the out-of-order
 * queue is dropped (as TCP prunes it), the peer resends that; and when the
 * reader has nothing queued it is taken anyway, charged by force (as TCP's
 * tcp_data_queue()), so that every connection makes progress.
 */
static bool ttp_rmem_schedule(struct sock *sk, struct sk_buff *skb,
			      bool in_order)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	if (sk_rmem_schedule(sk, skb, skb->truesize))
		return true;
	if (in_order && !RB_EMPTY_ROOT(&tsk->ofo_root)) {
		ttp_stream_ofo_purge(sk);
		ttp_inc_stats(sock_net(sk), TTP_MIB_OFOPRUNED);
		if (sk_rmem_schedule(sk, skb, skb->truesize))
			return true;
	}
	if (in_order && skb_queue_empty(&sk->sk_receive_queue))
		return true;
	atomic_inc(&sk->sk_drops);
	ttp_drop_stats(sock_net(sk), skb, TTP_MIB_RCVQDROP);
	return false;
}

/*
 * Data beyond a gap: a duplicate ACK at once for each segment it holds, up
 * to TTP_DUPACKS_MAX (RFC 5681 4.2), as a receiver of the segments one by one would send;
 * without SACK, the count is how the sender learns how much got through.
 * One ACK per GSO packet is too few when the peer's window holds two
 * packets: one lost, the other draws one duplicate ACK, the window lets
 * no new data out for limited transmit, and only the timer resends (seen
 * on 6.1: a packet of 31 segments lost, a timeout).
 */
static void ttp_ofo_dup_acks(struct sock *sk, u32 segs)
{
	while (segs--)
		ttp_stream_send_ack(sk);
}

/*
 * RFC 9293 3.10.7.4, seventh and eighth: the payload and the FIN. @skb
 * holds the payload only. Consumes it.
 */
static void ttp_stream_data(struct sock *sk, struct sk_buff *skb)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct ttp_stream_cb *cb = TTP_STREAM_CB(skb);
	bool fin = cb->flags & TTP_FIN, gap = !RB_EMPTY_ROOT(&tsk->ofo_root);
	u32 wnd_end = tsk->rcv_wup + tsk->rcv_wnd, end;
	u32 segs = min_t(u32, ttp_skb_segs(skb, skb->len), TTP_DUPACKS_MAX);

	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				     TCPF_FIN_WAIT2)) ||
	    (!skb->len && !fin)) {
		kfree_skb(skb);
		return;
	}
	/*
	 * No reader for new data once we sent our FIN and shut reading
	 * (shutdown(SHUT_RDWR), close()): the peer is told with a reset, and
	 * so is our user, if any (RFC 9293 3.10.7.4; TCP's TCPAbortOnData).
	 */
	if (skb->len && (sk->sk_shutdown & RCV_SHUTDOWN) &&
	    sk->sk_state != TCP_ESTABLISHED &&
	    ttp_seq_after(cb->seq + skb->len, tsk->rcv_nxt)) {
		kfree_skb(skb);
		ttp_stream_send_active_reset(sk, GFP_ATOMIC);
		ttp_stream_reset(sk, sock_flag(sk, SOCK_DEAD) ? 0 : ECONNRESET);
		return;
	}
	if (ttp_rmem_over(sk, skb)) {
		skb = ttp_stream_compact(skb);
		cb = TTP_STREAM_CB(skb);
	}
	/* a peer that ignores our window does not get our memory */
	if (ttp_rmem_over(sk, skb)) {
		atomic_inc(&sk->sk_drops);
		ttp_drop_stats(sock_net(sk), skb, TTP_MIB_RCVBUFERRORS);
		kfree_skb(skb);
		ttp_stream_send_ack(sk);
		return;
	}
	/* what lies beyond the window is cut off, FIN included */
	if (ttp_seq_after(cb->seq + skb->len, wnd_end) &&
	    ttp_seq_after(wnd_end, cb->seq)) {
		fin = false;
		if (pskb_trim(skb, wnd_end - cb->seq)) {
			/* no memory to cut it: the sender resends it */
			atomic_inc(&sk->sk_drops);
			ttp_drop_stats(sock_net(sk), skb, TTP_MIB_RCVBUFERRORS);
			kfree_skb(skb);
			ttp_stream_send_ack(sk);
			return;
		}
	}
	if (ttp_seq_after(cb->seq, tsk->rcv_nxt)) {
		if (!ttp_rmem_schedule(sk, skb, false)) {
			kfree_skb(skb);
			ttp_stream_send_ack(sk);
			return;
		}
		skb_set_owner_r(skb, sk);
		ttp_ofo_queue(sk, skb);
		tsk->quick_acks = 1;
		ttp_ofo_dup_acks(sk, segs);
		return;
	}
	/* in order, maybe overlapping what we had */
	end = cb->seq + skb->len;
	if (ttp_seq_before(end, tsk->rcv_nxt))
		fin = false;	/* a FIN there is one we have had */
	if (ttp_seq_after(end, tsk->rcv_nxt)) {
		if (!ttp_rmem_schedule(sk, skb, true)) {
			kfree_skb(skb);
			ttp_stream_send_ack(sk);
			return;
		}
		/* a GSO packet counts as the full segments it holds */
		tsk->unacked_full += min_t(u32, (end - tsk->rcv_nxt) / tsk->mss,
					   2);
		ttp_rcv_rtt_sample(tsk, cb);
		gap = !RB_EMPTY_ROOT(&tsk->ofo_root);	/* maybe pruned */
		skb_set_owner_r(skb, sk);
		ttp_queue_rcv(sk, skb, end);
		skb = NULL;
		if (gap) {
			ttp_ofo_drain(sk);
			tsk->quick_acks = 1;	/* a gap filled: say so now */
		}
		sk->sk_data_ready(sk);
	}
	if (fin || tsk->ofo_fin) {
		tsk->ofo_fin = 0;
		WRITE_ONCE(tsk->rcv_nxt, tsk->rcv_nxt + 1);
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
		sock_set_flag(sk, SOCK_DONE);
		switch (sk->sk_state) {
		case TCP_ESTABLISHED:
			ttp_stream_set_state(sk, TCP_CLOSE_WAIT);
			break;
		case TCP_FIN_WAIT1:
			ttp_stream_set_state(sk, TCP_CLOSING);
			break;
		case TCP_FIN_WAIT2:
			ttp_stream_time_wait(sk);
			break;
		}
		tsk->quick_acks = 1;
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_HUP);
	}
	kfree_skb(skb);
	if (tsk->quickack_budget) {
		tsk->quickack_budget--;
		tsk->quick_acks = 1;
	}
	if (tsk->quick_acks || tsk->unacked_full >= 2) {
		tsk->quick_acks = 0;
		ttp_stream_send_ack(sk);
	} else {
		ttp_stream_schedule_ack(sk);
	}
}

/*
 * A resend of what we hold already: our ACKs for the first copy were lost.
 * The ACK that answers it echoes its TSval, so that the sender times this
 * round trip, not the one since the first copy went out, which after a few
 * lost ACKs and timer backoffs is seconds long and would inflate its RTO
 * for a long time (RFC 7323 4.3 echoes the segment that last advanced the
 * window; the duplicate is that segment, sent again). Only from a segment
 * whose ACK is one we could have sent it: a stranger's guess at the
 * sequence number alone moves nothing.
 */
static void ttp_dup_ts(struct ttp_stream_sock *tsk,
		       const struct ttp_stream_cb *cb)
{
	if (cb->has_ts && (cb->flags & TTP_ACK) &&
	    !(cb->flags & (TTP_SYN | TTP_RST)) &&
	    ttp_ack_in_range(tsk, cb->ack) &&
	    !ttp_seq_after(cb->end_seq, tsk->rcv_nxt) &&
	    ttp_seq_after(cb->tsval, tsk->ts_recent))
		ttp_store_ts_recent(tsk, cb->tsval);
}

/*
 * The segment passed every check (sequence, RST, SYN, ACK): now, and only
 * now, it counts as a sign of life and its TSval as the one to echo.
 */
static void ttp_seg_accepted(struct sock *sk, const struct ttp_stream_cb *cb)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	tsk->last_rcv = jiffies;
	tsk->probes = 0;
	/*
	 * A peer that answers window probes is alive, however long it reads
	 * not; an orphan (no user to wait for) gets only so many probes
	 * (net.ttp.orphan_retries), answered or not, as TCP's.
	 */
	if (tsk->rtx_kind == TTP_RTX_PERSIST && !sock_flag(sk, SOCK_DEAD))
		tsk->retries = 0;
	/*
	 * RFC 7323 4.3: echo the TSval of what the ACK we send covers; never
	 * an older one (a segment PAWS let through as reordered), as
	 * tcp_replace_ts_recent().
	 */
	if (cb->has_ts && !ttp_seq_after(cb->seq, tsk->rcv_wup) &&
	    ttp_ts_not_older(tsk, cb->tsval))
		ttp_store_ts_recent(tsk, cb->tsval);
}

/*
 * A pure ACK overtaken by a newer one, as Linux's tcp_disordered_ack():
 * the peer's ACKs leave from more than one CPU, and one built first may
 * arrive second, its TSval older than ts_recent. It takes nothing (no data,
 * at rcv_nxt, nothing beyond snd_una) and is no older than an RTO: it
 * passes PAWS, rather than be dropped and answered.
 */
static bool ttp_disordered_ack(const struct ttp_stream_sock *tsk,
			       const struct ttp_stream_cb *cb)
{
	return cb->flags == TTP_ACK && cb->seq == cb->end_seq &&
	       cb->seq == tsk->rcv_nxt &&
	       !ttp_seq_after(cb->ack, tsk->snd_una) &&
	       (s32)(tsk->ts_recent - cb->tsval) <=
	       (s32)ttp_rto_timeout(&tsk->rto);
}

/* Every state after SYN_SENT. */
static void ttp_stream_sync_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct ttp_stream_cb *cb = TTP_STREAM_CB(skb);

	/* PAWS first; a reset passes it (as TCP), the rules below judge it */
	if (!(cb->flags & TTP_RST) && ttp_paws_reject(tsk, cb) &&
	    !ttp_disordered_ack(tsk, cb)) {
		ttp_drop_stats(sock_net(sk), skb, TTP_MIB_PAWSESTAB);
		ttp_oow_ack(sk, cb);
		goto drop;
	}
	/* first: the sequence number */
	if (!ttp_seq_acceptable(tsk, cb)) {
		if (cb->flags & TTP_RST)
			goto drop;
		/* RFC 5961 4.2: a SYN draws a challenge ACK whatever its seq */
		if (cb->flags & TTP_SYN) {
			ttp_challenge_ack(sk);
			goto drop;
		}
		ttp_dup_ts(tsk, cb);
		ttp_oow_ack(sk, cb);
		goto drop;
	}
	/* second: a reset, believed only at exactly rcv_nxt */
	if (cb->flags & TTP_RST) {
		if (cb->seq != tsk->rcv_nxt) {
			ttp_challenge_ack(sk);
			goto drop;
		}
		ttp_inc_stats(sock_net(sk), TTP_MIB_INRSTS);
		ttp_stream_reset(sk, sk->sk_state == TCP_CLOSE_WAIT ? EPIPE :
				 sk->sk_state == TCP_TIME_WAIT ? 0 : ECONNRESET);
		goto drop;
	}
	/* fourth: a SYN on a synchronized connection */
	if (cb->flags & TTP_SYN) {
		ttp_challenge_ack(sk);
		goto drop;
	}
	/* fifth: the ACK */
	if (!(cb->flags & TTP_ACK))
		goto drop;
	if (sk->sk_state == TCP_SYN_RECV) {
		if (!ttp_seq_after(cb->ack, tsk->snd_una) ||
		    ttp_seq_after(cb->ack, tsk->snd_max)) {
			ttp_stream_send_reset(sock_net(sk), skb);
			goto drop;
		}
		ttp_seg_accepted(sk, cb);
		ttp_ack_new(sk, cb->ack, cb->has_ts ? cb->tsecr : 0);
		ttp_stream_established(sk, skb);
		ttp_stream_child_ready(sk);
	} else if (!ttp_ack_in_range(tsk, cb->ack)) {
		/* RFC 5961 5.2: dropped, payload and all; a challenge ACK */
		ttp_inc_stats(sock_net(sk), TTP_MIB_BADACKS);
		ttp_challenge_ack(sk);
		goto drop;
	} else {
		ttp_seg_accepted(sk, cb);
	}
	ttp_stream_ack(sk, skb);
	if (sk->sk_state == TCP_CLOSE)
		goto drop;
	ttp_stream_data(sk, skb);
	ttp_stream_push(sk, false);
	return;
drop:
	kfree_skb(skb);
}

/* A segment for @sk, socket lock held (softirq, or release_sock()). */
int ttp_stream_do_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	tsk->segs_in += ttp_skb_segs(skb, skb->len);
	switch (sk->sk_state) {
	case TCP_LISTEN:
		if (ttp_listen_rcv(sk, skb))
			return 0;
		break;
	case TCP_SYN_SENT:
		ttp_synsent_rcv(sk, skb);
		break;
	case TCP_CLOSE:
		break;
	default:
		ttp_stream_sync_rcv(sk, skb);
		return 0;
	}
	kfree_skb(skb);
	return 0;
}

/* ---- ICMP ---------------------------------------------------------- */

/*
 * Softirq: an ICMP error quoting a stream segment we sent (the caller has
 * checked that the quote holds the whole stream header). Believed only if
 * the quoted sequence number is in the send window, as TCP does.
 */
void ttp_stream_err(struct net *net, struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct ttp_streamhdr *sh = (void *)(skb->data + (iph->ihl << 2));
	int type = icmp_hdr(skb)->type, code = icmp_hdr(skb)->code, err;
	struct ttp_stream_sock *tsk;
	struct sock *sk;
	u32 seq;

	sk = ttp_ctable_lookup(net, iph->daddr, sh->th.dest, iph->saddr,
			       sh->th.source, inet_iif(skb));
	if (!sk)
		return;
	tsk = ttp_ssk(sk);
	bh_lock_sock(sk);
	seq = ntohl(sh->seq);
	if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_TIME_WAIT ||
	    !ttp_seq_between(seq, tsk->snd_una, tsk->snd_max))
		goto out;
	switch (type) {
	case ICMP_DEST_UNREACH:
		if (code > NR_ICMP_UNREACH)
			goto out;
		if (code == ICMP_FRAG_NEEDED) {
			WRITE_ONCE(tsk->mtu_info, info);
			if (!sock_owned_by_user(sk))
				ttp_stream_mtu_reduced(sk);
			else if (!test_and_set_bit(TTP_MTU_DEFERRED,
						   &tsk->deferred))
				sock_hold(sk);
			goto out;
		}
		err = icmp_err_convert[code].errno;
		break;
	case ICMP_PARAMETERPROB:
		err = EPROTO;
		break;
	case ICMP_TIME_EXCEEDED:
		err = EHOSTUNREACH;
		break;
	default:
		goto out;
	}
	/* during the handshake an error ends the attempt; after it, it is soft */
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV) &&
	    !sock_owned_by_user(sk) && !tsk->parent) {
		ttp_stream_reset(sk, err);
		goto out;
	}
	WRITE_ONCE(sk->sk_err_soft, err);
out:
	bh_unlock_sock(sk);
	sock_put(sk);
}
