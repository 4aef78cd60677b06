// SPDX-License-Identifier: GPL-2.0
/*
 * SOCK_STREAM: the socket calls (tcp(7) is the contract: the same return
 * values, errnos and poll masks) and the state changes they make. The
 * protocol itself is in stream_in.c, stream_out.c and stream_timer.c.
 */
#include <linux/poll.h>
#include <net/ip.h>
#include <net/route.h>

#include "stream.h"

/* Set sk_state, with what goes with leaving or entering a state. */
void ttp_stream_set_state(struct sock *sk, int state)
{
	struct net *net = sock_net(sk);
	int old = sk->sk_state;

	ttp_trace_state(sk, old, state);
	if (old == TCP_ESTABLISHED)
		ttp_dec_stats(net, TTP_MIB_CURRESTAB);
	if (state == TCP_ESTABLISHED)
		ttp_inc_stats(net, TTP_MIB_CURRESTAB);
	/* TIME_WAIT is not an orphan's, as TCP's timewait sockets are not */
	if ((state == TCP_CLOSE || state == TCP_TIME_WAIT) &&
	    ttp_ssk(sk)->orphan_counted) {
		ttp_ssk(sk)->orphan_counted = 0;
		atomic_dec(&ttp_pernet(net)->orphans);
	}
	if (state == TCP_CLOSE) {
		if (old == TCP_ESTABLISHED || old == TCP_CLOSE_WAIT)
			ttp_inc_stats(net, TTP_MIB_ESTABRESETS);
		if (old == TCP_LISTEN)
			ttp_listener_unhash(sk);
		else
			ttp_ctable_unhash(sk);
		if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
			ttp_stream_put_port(sk);
	}
	/* paired with inet_sk_state_load() of the lockless readers */
	smp_store_release(&sk->sk_state, state);
}

/* A child leaves its listener's queues (reset before accept, listener gone). */
static void ttp_stream_unlink_child(struct sock *child)
{
	struct ttp_stream_sock *ctsk = ttp_ssk(child);
	struct sock *parent = ctsk->parent;
	struct ttp_stream_sock *ptsk;

	if (!parent)
		return;
	ptsk = ttp_ssk(parent);
	spin_lock_bh(&ptsk->accept_lock);
	if (ctsk->parent) {
		list_del_init(&ctsk->child_node);
		sk_acceptq_removed(parent);
		if (ctsk->on_syn_q)
			WRITE_ONCE(ptsk->syn_qlen, ptsk->syn_qlen - 1);
		ctsk->on_syn_q = false;
		ctsk->parent = NULL;
	} else {
		parent = NULL;	/* accept() or the listener's close took it */
	}
	spin_unlock_bh(&ptsk->accept_lock);
	if (!parent)
		return;
	sock_orphan(child);
	/*
	 * No file will close it: it lets go of the port it took from its
	 * listener (a fixed port's SOCK_BINDPORT_LOCK kept it from doing so
	 * on the way to CLOSE) before its last reference goes.
	 */
	ttp_stream_put_port(child);
	sock_put(parent);	/* the child's reference on its listener */
	sock_put(child);	/* the queue's: the child has no file to go to */
}

/* The connection is over (CLOSE): out of the tables, timers and queues. */
void ttp_stream_done(struct sock *sk)
{
	ttp_stream_set_state(sk, TCP_CLOSE);
	ttp_stream_clear_timers(sk);
	/* what was received in order stays readable, as in TCP */
	ttp_stream_purge(sk, false);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_state_change(sk);
	else
		ttp_stream_put_port(sk);	/* no file will close it */
	ttp_stream_unlink_child(sk);
}

/* Abort with @err for the user (0: none): a reset, a timeout. */
void ttp_stream_reset(struct sock *sk, int err)
{
	if (err) {
		WRITE_ONCE(sk->sk_err, err);
		sk_error_report(sk);
	}
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
		ttp_inc_stats(sock_net(sk), TTP_MIB_ATTEMPTFAILS);
	ttp_stream_done(sk);
}

/* Softirq: a child reached ESTABLISHED: ready for accept(). */
void ttp_stream_child_ready(struct sock *child)
{
	struct ttp_stream_sock *ctsk = ttp_ssk(child);
	struct sock *parent = ctsk->parent;
	struct ttp_stream_sock *ptsk;

	if (!parent)
		return;
	ptsk = ttp_ssk(parent);
	spin_lock_bh(&ptsk->accept_lock);
	if (ctsk->parent && ctsk->on_syn_q) {
		list_move_tail(&ctsk->child_node, &ptsk->accept_q);
		WRITE_ONCE(ptsk->syn_qlen, ptsk->syn_qlen - 1);
		ctsk->on_syn_q = false;
	}
	spin_unlock_bh(&ptsk->accept_lock);
	parent->sk_data_ready(parent);
}

/* Wake writers when the write queue has room again (sk_stream_write_space). */
static void ttp_stream_write_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct socket_wq *wq;

	if (!sock || !sk_stream_is_writeable(sk))
		return;
	clear_bit(SOCK_NOSPACE, &sock->flags);
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
					   EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

/*
 * sk_destruct: the last reference is gone (socket lock not needed). It
 * stands in for the datagram's ttp_sock_destruct(), so it lets go of all
 * that one does: the queues, the cached route, IP_OPTIONS.
 */
static void ttp_stream_destruct(struct sock *sk)
{
	kfree_skb(ttp_ssk(sk)->fin_skb);
	ttp_stream_purge(sk, true);
	skb_queue_purge(&sk->sk_error_queue);
	sk_dst_reset(sk);
	kfree(rcu_dereference_protected(inet_sk(sk)->inet_opt, 1));
	WARN_ON_ONCE(sk->sk_wmem_queued);
	WARN_ON_ONCE(atomic_read(&sk->sk_rmem_alloc));
	/* every charge is uncharged: what is left is whole pages, given back */
	sk_mem_reclaim_final(sk);
	WARN_ON_ONCE(sk->sk_forward_alloc);
	sk_sockets_allocated_dec(sk);
	/* freed in a table, a socket would leave it a dangling link */
	WARN_ON_ONCE(!sk_unhashed(sk) || !hlist_unhashed(&sk->sk_bind_node));
}

/*
 * What one connection learns and counts, as a new socket has it: RTO and
 * RTT, congestion state, timer counts, the peer's options, the TTP_INFO
 * figures. Socket lock held (or the socket not yet visible).
 */
static void ttp_stream_fresh(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct ttp_net *tn = ttp_pernet(sock_net(sk));
	struct ttp_rto_params rp = {
		.min_us		= TTP_RTO_MIN_DEFAULT,
		.max_us		= READ_ONCE(tn->rto_max_ms) * TTP_USEC_PER_MSEC,
		.initial_us	= TTP_RTO_INIT_DEFAULT,
		.granularity_us	= jiffies_to_usecs(1),
	};

	tsk->mss = TTP_MSS_DEFAULT;
	ttp_rto_init(&tsk->rto, &rp);
	ttp_cong_init(&tsk->cong, tsk->cong_ops, tsk->mss, 0, false);
	tsk->rtt_start_us = 0;
	tsk->last_send_us = 0;
	tsk->max_flight = 0;
	tsk->cwnd_usage_seq = 0;
	tsk->cwnd_limited = 0;
	tsk->retries = 0;
	tsk->probes = 0;
	tsk->syn_lost = 0;
	tsk->ts_ok = 0;
	tsk->ts_recent = 0;
	tsk->ts_first = 0;
	tsk->max_snd_wnd = 0;
	tsk->oow_ack_sent = 0;
	tsk->quickack_budget = 0;
	tsk->unacked_full = 0;
	tsk->rcv_rtt_us = 0;
	tsk->rcvq_space = 0;
	tsk->rcvq_time_us = 0;
	tsk->bytes_sent = 0;
	tsk->bytes_retrans = 0;
	tsk->bytes_acked = 0;
	tsk->bytes_received = 0;
	tsk->segs_out = 0;
	tsk->segs_in = 0;
	tsk->segs_retrans = 0;
	WRITE_ONCE(sk->sk_err_soft, 0);
}

/* A fresh stream socket, from socket() or for a listener's child. */
int ttp_stream_init_sock(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	ttp_sock_init(sk);
	sk_sockets_allocated_inc(sk);
	sk->sk_destruct = ttp_stream_destruct;
	sk->sk_backlog_rcv = ttp_stream_do_rcv;
	sk->sk_write_space = ttp_stream_write_space;
	inet_sk(sk)->pmtudisc = IP_PMTUDISC_WANT;	/* DF, as TCP */
	tsk->ofo_root = RB_ROOT;
	ttp_ofo_init(&tsk->ofo, TTP_OFO_MAX_RANGES);
	/* as tcp_assign_congestion_control(): the namespace's, at socket() */
	tsk->cong_ops = READ_ONCE(ttp_pernet(sock_net(sk))->cong_ops);
	ttp_stream_fresh(sk);
	spin_lock_init(&tsk->accept_lock);
	INIT_LIST_HEAD(&tsk->syn_q);
	INIT_LIST_HEAD(&tsk->accept_q);
	INIT_LIST_HEAD(&tsk->child_node);
	ttp_stream_init_timers(sk);
	return 0;
}

static int ttp_stream_bind(struct socket *sock, TTP_SOCKADDR *uaddr,
			   int addr_len)
{
	struct sockaddr_ttp *addr = (struct sockaddr_ttp *)uaddr;
	struct sock *sk = sock->sk;
	struct inet_sock *inet = inet_sk(sk);
	int err, type;
	u16 port;

	err = ttp_check_sockaddr(sk, (struct sockaddr *)uaddr, addr_len);
	if (err)
		return err;
	type = ttp_local_addr_type(sk, addr->sttp_addr.s_addr);
	if (type < 0)
		return type;
	/* as tcp: no binding to a broadcast or multicast address */
	if (type == RTN_MULTICAST || (type == RTN_BROADCAST &&
				      addr->sttp_addr.s_addr))
		return -EADDRNOTAVAIL;
	port = ntohs(addr->sttp_port);
	if (port && ttp_needs_bind_cap(sock_net(sk), port))
		return -EACCES;

	lock_sock(sk);
	err = -EINVAL;
	if (sk->sk_state != TCP_CLOSE || inet->inet_num)
		goto out;
	inet->inet_rcv_saddr = addr->sttp_addr.s_addr;
	inet->inet_saddr = addr->sttp_addr.s_addr;
	err = ttp_stream_get_port(sk, port);
	if (err) {
		inet->inet_rcv_saddr = 0;
		inet->inet_saddr = 0;
		goto out;
	}
	if (inet->inet_rcv_saddr)
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	if (port)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
out:
	release_sock(sk);
	return err;
}

static int ttp_stream_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	int err = -EINVAL;

	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED ||
	    !((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
		goto out;
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	err = 0;
	if (sk->sk_state == TCP_LISTEN)
		goto out;
	if (!inet_sk(sk)->inet_num) {
		err = ttp_stream_get_port(sk, 0);
		if (err)
			goto out;
	}
	/*
	 * As inet_csk_listen_start(): LISTEN first, then the port is checked
	 * again, now against sockets that share it by SO_REUSEADDR (only
	 * one of them may listen). An auto-bound port stays unlocked: a
	 * listener that stops gives it back, as TCP's.
	 */
	ttp_stream_set_state(sk, TCP_LISTEN);
	err = ttp_listener_hash(sk);
	if (err)	/* not hashed, the port kept: only the state to undo */
		smp_store_release(&sk->sk_state, TCP_CLOSE);
out:
	release_sock(sk);
	return err;
}

/* connect()'s protocol half: route, port, ISN, SYN. Socket locked. */
static int ttp_stream_start_connect(struct sock *sk, struct sockaddr_ttp *usin)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct inet_sock *inet = inet_sk(sk);
	struct flowi4 *fl4 = &inet->cork.fl.u.ip4;
	struct rtable *rt;
	int err;

	rt = ip_route_output_ports(sock_net(sk), fl4, sk,
				   usin->sttp_addr.s_addr, inet->inet_saddr,
				   usin->sttp_port, inet->inet_sport,
				   ttp_protocol, 0, sk->sk_bound_dev_if);
	if (IS_ERR(rt))
		return PTR_ERR(rt) == -ENETUNREACH ? -ENETUNREACH : PTR_ERR(rt);
	if (rt->rt_flags & (RTCF_MULTICAST | RTCF_BROADCAST)) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}
	if (!inet->inet_saddr)
		inet->inet_saddr = fl4->saddr;
	if (!inet->inet_rcv_saddr)
		inet->inet_rcv_saddr = fl4->saddr;
	inet->inet_daddr = fl4->daddr;
	inet->inet_dport = usin->sttp_port;
	ttp_stream_setup_caps(sk, &rt->dst);

	err = ttp_stream_connect_port(sk);
	if (err)
		goto fail;
	tsk->iss = ttp_stream_isn(sock_net(sk), inet->inet_saddr,
				  inet->inet_daddr, inet->inet_sport,
				  inet->inet_dport);
	tsk->snd_wl2 = tsk->iss;
	tsk->write_seq = tsk->iss;
	tsk->peer_mss = 0;
	ttp_stream_set_mss(sk);
	ttp_stream_set_state(sk, TCP_SYN_SENT);
	ttp_inc_stats(sock_net(sk), TTP_MIB_ACTIVEOPENS);
	err = ttp_stream_send_syn(sk);
	if (err) {
		ttp_stream_done(sk);
		goto fail;
	}
	return 0;
fail:
	sk_dst_reset(sk);
	inet->inet_daddr = 0;
	inet->inet_dport = 0;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK)) {
		inet->inet_saddr = 0;
		inet->inet_rcv_saddr = 0;
	}
	return err;
}

/* Reset and free every child a closing listener still holds. */
static void ttp_stream_close_children(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk), *ctsk;
	struct sock *child;
	LIST_HEAD(all);

	spin_lock_bh(&tsk->accept_lock);
	list_splice_init(&tsk->syn_q, &all);
	list_splice_tail_init(&tsk->accept_q, &all);
	list_for_each_entry(ctsk, &all, child_node) {
		ctsk->parent = NULL;
		ctsk->on_syn_q = false;
	}
	WRITE_ONCE(sk->sk_ack_backlog, 0);
	WRITE_ONCE(tsk->syn_qlen, 0);
	spin_unlock_bh(&tsk->accept_lock);

	while ((ctsk = list_first_entry_or_null(&all, struct ttp_stream_sock,
						child_node))) {
		child = (struct sock *)ctsk;
		list_del_init(&ctsk->child_node);
		local_bh_disable();
		bh_lock_sock_nested(child);
		sock_orphan(child);
		if (child->sk_state != TCP_CLOSE) {
			ttp_stream_send_active_reset(child, GFP_ATOMIC);
			ttp_stream_done(child);
		}
		/*
		 * One that was over already lets go of the port it took from
		 * us too (a fixed port's SOCK_BINDPORT_LOCK kept it): it must
		 * not be freed in the port table.
		 */
		ttp_stream_put_port(child);
		bh_unlock_sock(child);
		local_bh_enable();
		sock_put(sk);		/* the child's reference on us */
		sock_put(child);	/* the queue's */
	}
}

/*
 * Abort whatever there is and leave a socket as new, as tcp_disconnect():
 * connect(AF_UNSPEC), shutdown() of a listener or of a connect() in
 * progress, a failed connect(). A listener stops (its children are
 * reset); a connection is reset, and the reset is the socket's error, as
 * is the abort of a connect() in progress; unread data is dropped.
 */
static int ttp_stream_disconnect(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	int old = sk->sk_state;

	if (old == TCP_LISTEN) {
		ttp_stream_set_state(sk, TCP_CLOSE);
		ttp_stream_close_children(sk);
	} else if (((1 << old) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				  TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 |
				  TCPF_SYN_RECV)) ||
		   (((1 << old) & (TCPF_CLOSING | TCPF_LAST_ACK)) &&
		    tsk->snd_nxt != tsk->write_seq)) {
		ttp_stream_send_active_reset(sk, sk->sk_allocation);
		WRITE_ONCE(sk->sk_err, ECONNRESET);
	} else if (old == TCP_SYN_SENT) {
		WRITE_ONCE(sk->sk_err, ECONNRESET);
	}
	if (sk->sk_state != TCP_CLOSE)
		ttp_stream_done(sk);
	ttp_stream_purge(sk, true);
	WRITE_ONCE(sk->sk_peek_off, -1);
	WRITE_ONCE(sk->sk_shutdown, 0);
	sock_reset_flag(sk, SOCK_DONE);
	/* a new connect() on this socket starts as on a new socket */
	ttp_stream_fresh(sk);
	tsk->fin_sent = 0;
	tsk->snd_wnd = 0;
	tsk->rcv_nxt = 0;
	tsk->copied_seq = 0;
	inet_sk(sk)->inet_daddr = 0;
	inet_sk(sk)->inet_dport = 0;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK)) {
		inet_sk(sk)->inet_saddr = 0;
		inet_sk(sk)->inet_rcv_saddr = 0;
	}
	sk_dst_reset(sk);
	if (sk->sk_err)
		sk_error_report(sk);
	return 0;
}

/*
 * Sleep with the socket unlocked until @done(sk), the time @timeo is up or
 * a signal comes; the socket is locked on entry and on return. Returns the
 * time left. @exclusive: one waiter woken at a time (accept).
 */
long ttp_stream_wait(struct sock *sk, long timeo, bool exclusive,
		     bool (*done)(struct sock *sk))
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	if (exclusive)
		add_wait_queue_exclusive(sk_sleep(sk), &wait);
	else
		add_wait_queue(sk_sleep(sk), &wait);
	while (timeo && !signal_pending(current) && !done(sk)) {
		release_sock(sk);
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
		lock_sock(sk);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return timeo;
}

static bool ttp_stream_in_handshake(struct sock *sk)
{
	return (1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV);
}

static bool ttp_stream_handshake_over(struct sock *sk)
{
	return !ttp_stream_in_handshake(sk);
}

/* As inet_stream_connect(): EISCONN, EALREADY, EINPROGRESS, then the wait. */
static int ttp_stream_connect(struct socket *sock, TTP_SOCKADDR *uaddr,
			      int addr_len, int flags)
{
	struct sockaddr_ttp *usin = (struct sockaddr_ttp *)uaddr;
	struct sock *sk = sock->sk;
	long timeo;
	int err;

	if (addr_len < (int)sizeof(usin->sttp_family))
		return -EINVAL;
	lock_sock(sk);
	if (usin->sttp_family == AF_UNSPEC) {
		err = ttp_stream_disconnect(sk);
		sock->state = err ? SS_DISCONNECTING : SS_UNCONNECTED;
		goto out;
	}
	switch (sock->state) {
	default:
		err = -EINVAL;
		goto out;
	case SS_CONNECTED:
		err = -EISCONN;
		goto out;
	case SS_CONNECTING:
		err = -EALREADY;
		break;
	case SS_UNCONNECTED:
		err = -EISCONN;
		if (sk->sk_state != TCP_CLOSE)
			goto out;
		err = -EINVAL;
		if (addr_len < (int)sizeof(*usin))
			goto out;
		err = -EAFNOSUPPORT;
		if (!ttp_family_ok(sk, usin->sttp_family))
			goto out;
		err = ttp_stream_start_connect(sk, usin);
		if (err)
			goto out;
		sock->state = SS_CONNECTING;
		err = -EINPROGRESS;
		break;
	}
	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	if (ttp_stream_in_handshake(sk)) {
		if (!timeo)
			goto out;	/* EINPROGRESS or EALREADY */
		timeo = ttp_stream_wait(sk, timeo, false,
					ttp_stream_handshake_over);
		if (ttp_stream_in_handshake(sk)) {
			err = signal_pending(current) ? sock_intr_errno(timeo) :
			      -EINPROGRESS;
			goto out;
		}
	}
	if (sk->sk_state == TCP_CLOSE) {
		/* refused, reset, timed out or unreachable */
		err = sock_error(sk) ?: -ECONNABORTED;
		sock->state = SS_UNCONNECTED;
		ttp_stream_disconnect(sk);
		goto out;
	}
	sock->state = SS_CONNECTED;
	err = 0;
out:
	release_sock(sk);
	return err;
}

/* A child is ready, or the socket stopped listening: accept() looks. */
static bool ttp_stream_accept_ready(struct sock *sk)
{
	return !list_empty_careful(&ttp_ssk(sk)->accept_q) ||
	       sk->sk_state != TCP_LISTEN;
}

/* Take the first child of the accept queue, or NULL. */
static struct sock *ttp_stream_take_child(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk), *ctsk;

	spin_lock_bh(&tsk->accept_lock);
	ctsk = list_first_entry_or_null(&tsk->accept_q, struct ttp_stream_sock,
					child_node);
	if (ctsk) {
		list_del_init(&ctsk->child_node);
		ctsk->parent = NULL;
		sk_acceptq_removed(sk);
	}
	spin_unlock_bh(&tsk->accept_lock);
	if (ctsk)
		sock_put(sk);	/* the child's reference on its listener */
	return (struct sock *)ctsk;
}

/* Take the first child of the accept queue, waiting as long as @timeo. */
static struct sock *ttp_stream_dequeue(struct sock *sk, long timeo, int *err)
{
	struct sock *child;

	for (;;) {
		child = ttp_stream_take_child(sk);
		if (child)
			return child;
		*err = -EINVAL;
		if (sk->sk_state != TCP_LISTEN)
			return NULL;
		*err = -EAGAIN;
		if (!timeo)
			return NULL;
		*err = sock_intr_errno(timeo);
		if (signal_pending(current))
			return NULL;
		timeo = ttp_stream_wait(sk, timeo, true,
					ttp_stream_accept_ready);
	}
}

static int ttp_stream_accept(struct socket *sock, struct socket *newsock,
			     TTP_ACCEPT_ARGS)
{
	struct sock *sk = sock->sk, *child;
	int err = -EINVAL;

	lock_sock(sk);
	if (sk->sk_state != TCP_LISTEN)
		goto out;
	child = ttp_stream_dequeue(sk, sock_rcvtimeo(sk, TTP_ACCEPT_FLAGS &
						     O_NONBLOCK), &err);
	if (!child)
		goto out;
	lock_sock_nested(child, SINGLE_DEPTH_NESTING);
	sock_graft(child, newsock);
	newsock->state = SS_CONNECTED;
	release_sock(child);
	err = 0;
out:
	release_sock(sk);
	return err;
}

static int ttp_stream_getname(struct socket *sock, struct sockaddr *uaddr,
			      int peer)
{
	struct sock *sk = sock->sk;

	/* as inet_getname(): no peer before the handshake or after the end */
	if (peer == 1 && ((1 << READ_ONCE(sk->sk_state)) &
			  (TCPF_CLOSE | TCPF_SYN_SENT)))
		return -ENOTCONN;
	return ttp_getname(sock, uaddr, peer);
}

/*
 * Is there something to read, as tcp_stream_is_readable() sees it: at
 * least SO_RCVLOWAT bytes in order, or a receive buffer nearly full (the
 * reader must empty it for the window to open)?
 */
static bool ttp_stream_readable(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	int avail = READ_ONCE(tsk->rcv_nxt) - READ_ONCE(tsk->copied_seq);
	int rcvbuf = READ_ONCE(sk->sk_rcvbuf);

	if (avail <= 0 || skb_queue_empty_lockless(&sk->sk_receive_queue))
		return false;
	return avail >= sock_rcvlowat(sk, 0, INT_MAX) ||
	       atomic_read(&sk->sk_rmem_alloc) > rcvbuf - (rcvbuf >> 3);
}

/* The poll mask, as tcp_poll() computes it. */
static __poll_t ttp_stream_poll(struct file *file, struct socket *sock,
				poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	__poll_t mask = 0;
	u8 shutdown;
	int state;

	sock_poll_wait(file, sock, wait);
	state = inet_sk_state_load(sk);
	if (state == TCP_LISTEN)
		return list_empty_careful(&tsk->accept_q) ? 0 :
		       EPOLLIN | EPOLLRDNORM;

	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (state != TCP_SYN_SENT && state != TCP_SYN_RECV) {
		if (ttp_stream_readable(sk))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (!(shutdown & SEND_SHUTDOWN)) {
			if (sk_stream_is_writeable(sk)) {
				mask |= EPOLLOUT | EPOLLWRNORM;
			} else {
				set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
				smp_mb__after_atomic();	/* pairs with write_space */
				if (sk_stream_is_writeable(sk))
					mask |= EPOLLOUT | EPOLLWRNORM;
			}
		} else {
			mask |= EPOLLOUT | EPOLLWRNORM;
		}
	}
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

/* Queue a FIN, for shutdown(SHUT_WR) and close(): the state it moves to. */
static bool ttp_stream_close_state(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
	case TCP_SYN_RECV:
		ttp_stream_set_state(sk, TCP_FIN_WAIT1);
		return true;
	case TCP_CLOSE_WAIT:
		ttp_stream_set_state(sk, TCP_LAST_ACK);
		return true;
	}
	return false;
}

static int ttp_stream_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	how = ttp_shutdown_mask(how);
	if (how < 0)
		return how;

	lock_sock(sk);
	if (sock->state == SS_CONNECTING) {
		if ((1 << sk->sk_state) &
		    (TCPF_SYN_SENT | TCPF_SYN_RECV | TCPF_CLOSE))
			sock->state = SS_DISCONNECTING;
		else
			sock->state = SS_CONNECTED;
	}
	switch (sk->sk_state) {
	case TCP_CLOSE:
		err = -ENOTCONN;
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		break;
	case TCP_LISTEN:
		if (!(how & RCV_SHUTDOWN))
			break;
		fallthrough;
	case TCP_SYN_SENT:
		err = ttp_stream_disconnect(sk);
		sock->state = err ? SS_DISCONNECTING : SS_UNCONNECTED;
		break;
	default:
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		if ((how & SEND_SHUTDOWN) && ttp_stream_close_state(sk))
			ttp_stream_send_fin(sk);
		break;
	}
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

/*
 * A connection closed by its user lives on (FIN_WAIT1/2, CLOSING, LAST_ACK)
 * as an orphan, counted until it reaches TIME_WAIT or CLOSE; beyond
 * net.ttp.max_orphans of them in the namespace it is reset at once, as
 * TCP's beyond tcp_max_orphans.
 */
static void ttp_stream_count_orphan(struct sock *sk)
{
	struct ttp_net *tn = ttp_pernet(sock_net(sk));

	if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_TIME_WAIT)
		return;
	ttp_ssk(sk)->orphan_counted = 1;
	if (atomic_inc_return(&tn->orphans) <= READ_ONCE(tn->max_orphans))
		return;
	ttp_inc_stats(sock_net(sk), TTP_MIB_ABORTONMEMORY);
	ttp_stream_send_active_reset(sk, sk->sk_allocation);
	ttp_stream_done(sk);
}

/* Our FIN is acknowledged, or the connection is over: SO_LINGER waits so long. */
static bool ttp_stream_fin_done(struct sock *sk)
{
	return !((1 << sk->sk_state) & (TCPF_FIN_WAIT1 | TCPF_CLOSING |
					TCPF_LAST_ACK));
}

static int ttp_stream_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;
	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (sk->sk_state == TCP_LISTEN) {
		ttp_stream_set_state(sk, TCP_CLOSE);
		ttp_stream_close_children(sk);
	} else if (ttp_stream_unread(sk) ||
		   (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
		/* RFC 9293 3.10.4 / SO_LINGER 0: abort, the peer is told */
		if (sk->sk_state != TCP_CLOSE && sk->sk_state != TCP_SYN_SENT)
			ttp_stream_send_active_reset(sk, sk->sk_allocation);
		if (sk->sk_state != TCP_CLOSE)
			ttp_stream_done(sk);
	} else if (sk->sk_state == TCP_SYN_SENT) {
		ttp_stream_done(sk);
	} else if (ttp_stream_close_state(sk)) {
		ttp_stream_send_fin(sk);
		if (sock_flag(sk, SOCK_LINGER))
			ttp_stream_wait(sk, sk->sk_lingertime, false,
					ttp_stream_fin_done);
	}
	sock_orphan(sk);
	sock->sk = NULL;
	ttp_stream_count_orphan(sk);
	if (sk->sk_state == TCP_CLOSE)
		ttp_stream_put_port(sk);
	else if (sk->sk_state == TCP_FIN_WAIT2)
		ttp_stream_arm_rtx(sk, TTP_RTX_TIME_WAIT,
				   READ_ONCE(ttp_pernet(sock_net(sk))->fin_timeout) * HZ);
	release_sock(sk);
	sock_put(sk);	/* the file's; the connection holds its own */
	return 0;
}

struct proto ttp_stream_proto = {
	.name		= "TTP_STREAM",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct ttp_stream_sock),
	.release_cb	= ttp_stream_release_cb,
	.keepalive	= ttp_stream_keepalive,
};

const struct proto_ops ttp_stream_ops = {
	.family		= AF_TTP,
	.owner		= THIS_MODULE,
	.release	= ttp_stream_release,
	.bind		= ttp_stream_bind,
	.connect	= ttp_stream_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= ttp_stream_accept,
	.getname	= ttp_stream_getname,
	.poll		= ttp_stream_poll,
	.ioctl		= ttp_stream_ioctl,
	.gettstamp	= sock_gettstamp,
	.listen		= ttp_stream_listen,
	.shutdown	= ttp_stream_shutdown,
	.setsockopt	= ttp_stream_setsockopt,
	.getsockopt	= ttp_stream_getsockopt,
	.sendmsg	= ttp_stream_sendmsg,
	.recvmsg	= ttp_stream_recvmsg,
	.mmap		= sock_no_mmap,
	.set_peek_off	= sk_set_peek_off,
};
