// SPDX-License-Identifier: GPL-2.0
/*
 * SOCK_STREAM: the socket calls (tcp(7) is the contract: the same return
 * values, errnos and poll masks) and the state changes they make. The
 * protocol itself is in stream_in.c, stream_out.c and stream_timer.c.
 */
#include <linux/poll.h>
#include <linux/termios.h>
#include <linux/sockios.h>
#include <net/ip.h>
#include <net/route.h>

#include "stream.h"

/* Set sk_state, with what goes with leaving or entering a state. */
void ttp_stream_set_state(struct sock *sk, int state)
{
	struct net *net = sock_net(sk);
	int old = sk->sk_state;

	if (old == TCP_ESTABLISHED)
		ttp_dec_stats(net, TTP_MIB_CURRESTAB);
	if (state == TCP_ESTABLISHED)
		ttp_inc_stats(net, TTP_MIB_CURRESTAB);
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
		ctsk->parent = NULL;
	} else {
		parent = NULL;	/* accept() or the listener's close took it */
	}
	spin_unlock_bh(&ptsk->accept_lock);
	if (!parent)
		return;
	sock_orphan(child);
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
	if (ctsk->parent)
		list_move_tail(&ctsk->child_node, &ptsk->accept_q);
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

/* proto.destroy: the last reference is going (socket lock not needed). */
static void ttp_stream_destruct(struct sock *sk)
{
	ttp_stream_purge(sk, true);
	WARN_ON_ONCE(sk->sk_wmem_queued);
	WARN_ON_ONCE(atomic_read(&sk->sk_rmem_alloc));
}

/* A fresh stream socket, from socket() or for a listener's child. */
int ttp_stream_init_sock(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct ttp_rto_params rp = {
		.min_us		= TTP_RTO_MIN_DEFAULT,
		.max_us		= TTP_RTO_MAX_DEFAULT,
		.initial_us	= TTP_RTO_INIT_DEFAULT,
		.granularity_us	= jiffies_to_usecs(1),
	};

	ttp_sock_init(sk);
	sk->sk_destruct = ttp_stream_destruct;
	sk->sk_backlog_rcv = ttp_stream_do_rcv;
	sk->sk_write_space = ttp_stream_write_space;
	inet_sk(sk)->pmtudisc = IP_PMTUDISC_WANT;	/* DF, as TCP */
	tsk->mss = TTP_MSS_DEFAULT;
	tsk->ofo_root = RB_ROOT;
	ttp_ofo_init(&tsk->ofo, TTP_OFO_MAX_RANGES);
	ttp_rto_init(&tsk->rto, &rp);
	ttp_cong_init(&tsk->cong, &ttp_newreno_ops, tsk->mss, 0, false);
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

	err = ttp_check_sockaddr((struct sockaddr *)uaddr, addr_len);
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
	/* a listening socket's port is its own until it closes */
	sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
	ttp_stream_set_state(sk, TCP_LISTEN);
	ttp_listener_hash(sk);
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
	sk_setup_caps(sk, &rt->dst);

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

/* Abort whatever connection there is (connect(AF_UNSPEC), a failed connect). */
static int ttp_stream_disconnect(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	if (sk->sk_state == TCP_LISTEN)
		return -EINVAL;	/* TODO: close the listener's children */
	if ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				   TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 |
				   TCPF_SYN_RECV))
		ttp_stream_send_active_reset(sk, sk->sk_allocation);
	if (sk->sk_state != TCP_CLOSE)
		ttp_stream_done(sk);
	WRITE_ONCE(sk->sk_shutdown, 0);
	sock_reset_flag(sk, SOCK_DONE);
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
	return 0;
}

/* Wait for the handshake to end; socket locked. 0, or timeo left is 0. */
static long ttp_wait_connect(struct sock *sk, long timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(sk_sleep(sk), &wait);
	while ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		release_sock(sk);
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
		lock_sock(sk);
		if (signal_pending(current) || !timeo)
			break;
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return timeo;
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
		if (usin->sttp_family != ttp_family)
			goto out;
		err = ttp_stream_start_connect(sk, usin);
		if (err)
			goto out;
		sock->state = SS_CONNECTING;
		err = -EINPROGRESS;
		break;
	}
	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		if (!timeo)
			goto out;	/* EINPROGRESS or EALREADY */
		timeo = ttp_wait_connect(sk, timeo);
		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
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

/* Take the first child of the accept queue, waiting as long as @timeo. */
static struct sock *ttp_stream_dequeue(struct sock *sk, long timeo, int *err)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct ttp_stream_sock *ctsk = NULL;
	struct sock *child;

	add_wait_queue_exclusive(sk_sleep(sk), &wait);
	for (;;) {
		spin_lock_bh(&tsk->accept_lock);
		ctsk = list_first_entry_or_null(&tsk->accept_q,
						struct ttp_stream_sock,
						child_node);
		if (ctsk) {
			list_del_init(&ctsk->child_node);
			ctsk->parent = NULL;
			sk_acceptq_removed(sk);
		}
		spin_unlock_bh(&tsk->accept_lock);
		if (ctsk)
			break;
		*err = -EINVAL;
		if (sk->sk_state != TCP_LISTEN)
			break;
		*err = -EAGAIN;
		if (!timeo)
			break;
		*err = sock_intr_errno(timeo);
		if (signal_pending(current))
			break;
		release_sock(sk);
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
		lock_sock(sk);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	if (!ctsk)
		return NULL;
	child = (struct sock *)ctsk;
	sock_put(sk);		/* the child's reference on its listener */
	return child;
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
		if (!skb_queue_empty_lockless(&sk->sk_receive_queue))
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

	how++;	/* SHUT_RD/WR/RDWR -> RCV_SHUTDOWN/SEND_SHUTDOWN/both */
	if ((how & ~SHUTDOWN_MASK) || !how)
		return -EINVAL;

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

/* Reset and free every child a closing listener still holds. */
static void ttp_stream_close_children(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk), *ctsk;
	struct sock *child;
	LIST_HEAD(all);

	spin_lock_bh(&tsk->accept_lock);
	list_splice_init(&tsk->syn_q, &all);
	list_splice_tail_init(&tsk->accept_q, &all);
	list_for_each_entry(ctsk, &all, child_node)
		ctsk->parent = NULL;
	WRITE_ONCE(sk->sk_ack_backlog, 0);
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
		bh_unlock_sock(child);
		local_bh_enable();
		sock_put(sk);		/* the child's reference on us */
		sock_put(child);	/* the queue's */
	}
}

/* Is there received data the user never read? */
static bool ttp_stream_unread(struct sock *sk)
{
	return !skb_queue_empty(&sk->sk_receive_queue) ||
	       !RB_EMPTY_ROOT(&ttp_ssk(sk)->ofo_root);
}

/* SO_LINGER with a time: wait until all is acknowledged, or the time is up. */
static void ttp_stream_linger(struct sock *sk, long timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(sk_sleep(sk), &wait);
	while (timeo && !signal_pending(current) &&
	       ((1 << sk->sk_state) & (TCPF_FIN_WAIT1 | TCPF_CLOSING |
				       TCPF_LAST_ACK))) {
		release_sock(sk);
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
		lock_sock(sk);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
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
			ttp_stream_linger(sk, sk->sk_lingertime);
	}
	sock_orphan(sk);
	sock->sk = NULL;
	if (sk->sk_state == TCP_CLOSE)
		ttp_stream_put_port(sk);
	else if (sk->sk_state == TCP_FIN_WAIT2)
		ttp_stream_arm_rtx(sk, TTP_RTX_TIME_WAIT,
				   READ_ONCE(ttp_pernet(sock_net(sk))->fin_timeout) * HZ);
	release_sock(sk);
	sock_put(sk);	/* the file's; the connection holds its own */
	return 0;
}

/* Copy @len bytes of the write from @msg into the write queue. */
static int ttp_stream_copy(struct sock *sk, struct msghdr *msg, size_t len,
			   long *timeo)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct sk_buff *skb;
	size_t copied = 0;
	int err = 0, copy;

	while (copied < len) {
		skb = skb_peek_tail(&sk->sk_write_queue);
		if (!skb || !tsk->send_head || skb->len >= tsk->mss ||
		    (TTP_STREAM_CB(skb)->flags & (TTP_SYN | TTP_FIN)) ||
		    !skb_tailroom(skb)) {
			if (!sk_stream_memory_free(sk)) {
				ttp_stream_push(sk, true);
				set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
				err = sk_stream_wait_memory(sk, timeo);
				if (err)
					break;
				continue;
			}
			skb = alloc_skb(MAX_HEADER + TTP_STREAM_MAX_HDR + tsk->mss,
					sk->sk_allocation);
			if (!skb) {
				err = -ENOBUFS;
				break;
			}
			skb_reserve(skb, MAX_HEADER + TTP_STREAM_MAX_HDR);
			TTP_STREAM_CB(skb)->seq = tsk->write_seq;
			TTP_STREAM_CB(skb)->end_seq = tsk->write_seq;
			TTP_STREAM_CB(skb)->flags = 0;
			TTP_STREAM_CB(skb)->resent = 0;
			__skb_queue_tail(&sk->sk_write_queue, skb);
			sk_wmem_queued_add(sk, skb->truesize);
			if (!tsk->send_head)
				tsk->send_head = skb;
		}
		copy = min_t(size_t, len - copied,
			     min_t(u32, tsk->mss - skb->len, skb_tailroom(skb)));
		if (copy_from_iter(skb_put(skb, copy), copy, &msg->msg_iter) !=
		    copy) {
			skb_trim(skb, skb->len - copy);
			err = -EFAULT;
			break;
		}
		TTP_STREAM_CB(skb)->end_seq += copy;
		tsk->write_seq += copy;
		copied += copy;
		if (skb->len >= tsk->mss)
			ttp_stream_push(sk, false);
	}
	return copied ?: err;
}

static int ttp_stream_sendmsg(struct socket *sock, struct msghdr *msg,
			      size_t len)
{
	struct sock *sk = sock->sk;
	int flags = msg->msg_flags, err;
	long timeo;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	lock_sock(sk);
	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT))) {
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto error;
	}
	err = -EPIPE;
	if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
		goto error;
	err = ttp_stream_copy(sk, msg, len, &timeo);
	if (err > 0 || (err == 0 && !len)) {
		ttp_stream_push(sk, !(flags & MSG_MORE) && ttp_ssk(sk)->nodelay);
		release_sock(sk);
		return err;
	}
error:
	err = sk_stream_error(sk, flags, err);
	release_sock(sk);
	return err;
}

/* After the reader made room: a window update if the window grew enough. */
static void ttp_stream_read_done(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	u32 cur = tsk->rcv_wup + tsk->rcv_wnd - tsk->rcv_nxt;

	if (sk->sk_state != TCP_ESTABLISHED && sk->sk_state != TCP_FIN_WAIT1 &&
	    sk->sk_state != TCP_FIN_WAIT2)
		return;
	if (ttp_stream_rcv_window(sk) >= cur + 2 * tsk->mss ||
	    (!cur && ttp_stream_rcv_window(sk)))
		ttp_stream_send_ack(sk);
}

static int ttp_stream_recvmsg(struct socket *sock, struct msghdr *msg,
			      size_t len, int flags)
{
	struct sock *sk = sock->sk;
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	int copied = 0, target, err = 0, n;
	u32 peek_seq, *seq, offset;
	struct sk_buff *skb, *tmp;
	long timeo;

	if (flags & (MSG_OOB | MSG_ERRQUEUE))
		return flags & MSG_OOB ? -EINVAL : -EAGAIN;
	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN) {
		release_sock(sk);
		return -ENOTCONN;
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	peek_seq = tsk->copied_seq;
	seq = (flags & MSG_PEEK) ? &peek_seq : &tsk->copied_seq;

	while (copied < len) {
		skb_queue_walk_safe(&sk->sk_receive_queue, skb, tmp) {
			offset = *seq - TTP_STREAM_CB(skb)->seq;
			if (offset >= skb->len)
				continue;
			n = min_t(u32, skb->len - offset, len - copied);
			err = skb_copy_datagram_msg(skb, offset, msg, n);
			if (err) {
				copied = copied ?: -EFAULT;
				goto out;
			}
			copied += n;
			*seq += n;
			if (!(flags & MSG_PEEK) && offset + n == skb->len) {
				__skb_unlink(skb, &sk->sk_receive_queue);
				kfree_skb(skb);
			}
			if (copied == len)
				break;
		}
		if (copied >= target)
			break;
		/* as tcp_recvmsg(): what ends a read, in this order */
		if (copied) {
			if (sk->sk_err || sk->sk_state == TCP_CLOSE ||
			    (sk->sk_shutdown & RCV_SHUTDOWN) || !timeo ||
			    signal_pending(current))
				break;
		} else {
			if (sock_flag(sk, SOCK_DONE))	/* FIN read */
				break;
			if (sk->sk_err) {
				copied = sock_error(sk);
				break;
			}
			if (sk->sk_shutdown & RCV_SHUTDOWN)
				break;
			if (sk->sk_state == TCP_CLOSE) {	/* never connected */
				copied = -ENOTCONN;
				break;
			}
			if (!timeo) {
				copied = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				copied = sock_intr_errno(timeo);
				break;
			}
		}
		if (!(flags & MSG_PEEK))
			ttp_stream_read_done(sk);
		sk_wait_data(sk, &timeo, NULL);
	}
out:
	if (!(flags & MSG_PEEK))
		ttp_stream_read_done(sk);
	release_sock(sk);
	return copied;
}

static int ttp_stream_ioctl(struct socket *sock, unsigned int cmd,
			    unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	int amount;

	switch (cmd) {
	case SIOCINQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		lock_sock(sk);
		amount = tsk->rcv_nxt - tsk->copied_seq;
		if (amount && (sk->sk_shutdown & RCV_SHUTDOWN) &&
		    sock_flag(sk, SOCK_DONE) && !ttp_stream_unread(sk))
			amount = 0;
		if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_SYN_SENT)
			amount = skb_queue_empty(&sk->sk_receive_queue) ? 0 :
				 amount;
		release_sock(sk);
		break;
	case SIOCOUTQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		amount = (1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_CLOSE) ?
			 0 : READ_ONCE(tsk->write_seq) - READ_ONCE(tsk->snd_una);
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user(amount, (int __user *)arg);
}

static int ttp_stream_set_int(struct sock *sk, int optname, int val)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	switch (optname) {
	case TTP_NODELAY:
		tsk->nodelay = !!val;
		if (val)
			ttp_stream_push(sk, true);
		return 0;
	case TTP_KEEPIDLE:
		if (val < 1 || val > MAX_SCHEDULE_TIMEOUT / HZ)
			return -EINVAL;
		tsk->keepidle = val;
		ttp_stream_reset_keepalive(sk);
		return 0;
	case TTP_KEEPINTVL:
		if (val < 1 || val > MAX_SCHEDULE_TIMEOUT / HZ)
			return -EINVAL;
		tsk->keepintvl = val;
		return 0;
	case TTP_KEEPCNT:
		if (val < 1 || val > 127)
			return -EINVAL;
		tsk->keepcnt = val;
		return 0;
	}
	return -ENOPROTOOPT;
}

static int ttp_stream_setsockopt(struct socket *sock, int level, int optname,
				 sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;
	int val, err;

	if (level != SOL_TTP)
		return ttp_setsockopt(sock, level, optname, optval, optlen);
	if (optname == TTP_INFO)
		return -ENOPROTOOPT;
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	lock_sock(sk);
	err = ttp_stream_set_int(sk, optname, val);
	release_sock(sk);
	return err;
}

static void ttp_stream_info(struct sock *sk, struct ttp_info *info)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	memset(info, 0, sizeof(*info));
	lock_sock(sk);
	info->ttpi_state = sk->sk_state;
	info->ttpi_rtt = ttp_rto_srtt_us(&tsk->rto);
	info->ttpi_rttvar = ttp_rto_rttvar_us(&tsk->rto);
	info->ttpi_rto = ttp_rto_timeout(&tsk->rto);
	info->ttpi_snd_cwnd = tsk->cong.cwnd;
	info->ttpi_snd_ssthresh = tsk->cong.ssthresh;
	info->ttpi_snd_wnd = tsk->snd_wnd;
	info->ttpi_snd_mss = tsk->mss;
	info->ttpi_rcv_wnd = tsk->rcv_wnd;
	info->ttpi_retransmits = tsk->retries;
	info->ttpi_bytes_sent = tsk->bytes_sent;
	info->ttpi_bytes_retrans = tsk->bytes_retrans;
	info->ttpi_bytes_acked = tsk->bytes_acked;
	info->ttpi_bytes_received = tsk->bytes_received;
	info->ttpi_segs_out = tsk->segs_out;
	info->ttpi_segs_in = tsk->segs_in;
	info->ttpi_segs_retrans = tsk->segs_retrans;
	release_sock(sk);
}

static int ttp_stream_getsockopt(struct socket *sock, int level, int optname,
				 char __user *optval, int __user *optlen)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sock->sk);
	struct ttp_net *tn = ttp_pernet(sock_net(sock->sk));
	struct ttp_info info;
	int len, val;

	if (level != SOL_TTP)
		return ttp_getsockopt(sock, level, optname, optval, optlen);
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	switch (optname) {
	case TTP_INFO:
		ttp_stream_info(sock->sk, &info);
		len = min_t(unsigned int, len, sizeof(info));
		if (put_user(len, optlen) || copy_to_user(optval, &info, len))
			return -EFAULT;
		return 0;
	case TTP_NODELAY:
		val = tsk->nodelay;
		break;
	case TTP_KEEPIDLE:
		val = tsk->keepidle ?: READ_ONCE(tn->keepalive_time);
		break;
	case TTP_KEEPINTVL:
		val = tsk->keepintvl ?: READ_ONCE(tn->keepalive_intvl);
		break;
	case TTP_KEEPCNT:
		val = tsk->keepcnt ?: READ_ONCE(tn->keepalive_probes);
		break;
	default:
		return -ENOPROTOOPT;
	}
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

/* SO_KEEPALIVE turned on or off: the core calls this (proto.keepalive). */
static void ttp_stream_keepalive(struct sock *sk, int valbool)
{
	sock_valbool_flag(sk, SOCK_KEEPOPEN, valbool);
	ttp_stream_reset_keepalive(sk);
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
};
