// SPDX-License-Identifier: GPL-2.0
/*
 * The stream's data calls: send (copy into the write queue, then the gates
 * of stream_out.c), receive (from the in-order queue, with MSG_PEEK,
 * MSG_WAITALL and the window update a read makes room for) and the queue
 * ioctls. tcp(7) is the contract for every return value and errno.
 */
#include <linux/termios.h>
#include <linux/sockios.h>

#include "stream.h"

/*
 * Can the write queue's tail take more of the write, up to @goal bytes?
 * Only an skb that was never sent: a sent one may have a clone in flight,
 * which shares its page fragments, and the bytes it went out with are
 * fixed.
 */
static bool ttp_tail_open(struct ttp_stream_sock *tsk, struct sk_buff *skb,
			  u32 goal)
{
	return skb && tsk->send_head && skb->len < goal &&
	       skb_shinfo(skb)->nr_frags < MAX_SKB_FRAGS &&
	       !(TTP_STREAM_CB(skb)->flags & (TTP_SYN | TTP_FIN)) &&
	       !skb_cloned(skb) &&
	       !ttp_seq_before(TTP_STREAM_CB(skb)->seq, tsk->snd_max);
}

/*
 * A new, empty skb at the tail of the write queue: header room only,
 * charged to the socket. NULL when there is no memory for it, in the
 * system or under net.ttp.mem; but the first skb of an empty queue is
 * charged by force, as TCP's (a writer always makes progress).
 */
static struct sk_buff *ttp_new_tail(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct sk_buff *skb;

	skb = alloc_skb(MAX_HEADER + TTP_STREAM_MAX_HDR, sk->sk_allocation);
	if (!skb)
		return NULL;
	if (!sk_wmem_schedule(sk, skb->truesize) &&
	    !skb_queue_empty(&sk->sk_write_queue)) {
		kfree_skb(skb);
		return NULL;
	}
	sk_mem_charge(sk, skb->truesize);
	skb_reserve(skb, MAX_HEADER + TTP_STREAM_MAX_HDR);
	/*
	 * Not CHECKSUM_NONE, as TCP's: the copy into it sums nothing. Each
	 * transmission's clone gets its checksum (ttp_stream_build()).
	 */
	skb->ip_summed = CHECKSUM_PARTIAL;
	TTP_STREAM_CB(skb)->seq = tsk->write_seq;
	TTP_STREAM_CB(skb)->end_seq = tsk->write_seq;
	TTP_STREAM_CB(skb)->flags = 0;
	TTP_STREAM_CB(skb)->resent = 0;
	__skb_queue_tail(&sk->sk_write_queue, skb);
	sk_wmem_queued_add(sk, skb->truesize);
	if (!tsk->send_head)
		tsk->send_head = skb;
	return skb;
}

/*
 * A tail made for a copy that found no memory is taken back, as TCP's
 * tcp_remove_empty_skb(): an empty skb must not go out as a segment.
 */
static void ttp_remove_empty_tail(struct sock *sk, struct sk_buff *skb)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	if (skb->len)
		return;
	if (tsk->send_head == skb)
		tsk->send_head = NULL;	/* it was the last, and unsent */
	__skb_unlink(skb, &sk->sk_write_queue);
	sk_wmem_queued_add(sk, -skb->truesize);
	sk_mem_uncharge(sk, skb->truesize);
	kfree_skb(skb);
}

/*
 * Copy up to @copy bytes of @msg into the page fragments of @skb (the
 * socket's page_frag, as TCP: no linear copy per segment, and the segments
 * GSO will cut are pages already). Charges them to the socket. @skb has a
 * fragment slot left (ttp_tail_open()). Returns the bytes copied (> 0),
 * 0 when no page could be had or net.ttp.mem has no room for them (nor
 * the socket's minimum), or a negative errno.
 */
static int ttp_add_frag(struct sock *sk, struct sk_buff *skb,
			struct msghdr *msg, int copy)
{
	struct page_frag *pfrag = sk_page_frag(sk);
	int i = skb_shinfo(skb)->nr_frags, err;
	bool merge;

	/* no page: wait and try again, as tcp_sendmsg_locked() */
	if (!sk_page_frag_refill(sk, pfrag))
		return 0;
	merge = skb_can_coalesce(skb, i, pfrag->page, pfrag->offset);
	copy = ttp_mem_wmem_schedule(sk, min_t(int, copy,
					       pfrag->size - pfrag->offset));
	if (!copy)
		return 0;
	err = skb_copy_to_page_nocache(sk, &msg->msg_iter, skb, pfrag->page,
				       pfrag->offset, copy);
	if (err)
		return err;
	if (merge) {
		skb_frag_size_add(&skb_shinfo(skb)->frags[i - 1], copy);
	} else {
		skb_fill_page_desc(skb, i, pfrag->page, pfrag->offset, copy);
		get_page(pfrag->page);
	}
	pfrag->offset += copy;
	return copy;
}

/* Copy @len bytes of the write from @msg into the write queue. */
static int ttp_stream_copy(struct sock *sk, struct msghdr *msg, size_t len,
			   long *timeo)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct sk_buff *skb;
	size_t copied = 0;
	int err = 0, copy;
	u32 goal;

	while (copied < len) {
		goal = ttp_stream_size_goal(tsk);
		skb = skb_peek_tail(&sk->sk_write_queue);
		if (!ttp_tail_open(tsk, skb, goal)) {
			if (!sk_stream_memory_free(sk))
				goto wait;
			skb = ttp_new_tail(sk);
			if (!skb)
				goto wait;
		}
		copy = ttp_add_frag(sk, skb, msg, min_t(size_t, len - copied,
							goal - skb->len));
		if (copy <= 0)
			ttp_remove_empty_tail(sk, skb);
		if (!copy)
			goto wait;
		if (copy < 0) {
			err = copy;
			break;
		}
		TTP_STREAM_CB(skb)->end_seq += copy;
		tsk->write_seq += copy;
		copied += copy;
		if (skb->len >= goal)
			ttp_stream_push(sk, false);
		continue;
wait:
		/*
		 * The send buffer is full, or memory is short (net.ttp.mem,
		 * or none at all): send what is queued, and wait as TCP does
		 * (a short random nap when the buffer itself has room).
		 */
		ttp_stream_push(sk, true);
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		err = sk_stream_wait_memory(sk, timeo);
		if (err)
			break;
	}
	return copied ?: err;
}

int ttp_stream_sendmsg(struct socket *sock, struct msghdr *msg, size_t len)
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

/*
 * After the reader made room: the buffer maybe grown (auto-tuning), and a
 * window update if the window grew enough.
 */
static void ttp_stream_read_done(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	u32 cur = tsk->rcv_wup + tsk->rcv_wnd - tsk->rcv_nxt;

	if (sk->sk_state != TCP_ESTABLISHED && sk->sk_state != TCP_FIN_WAIT1 &&
	    sk->sk_state != TCP_FIN_WAIT2)
		return;
	ttp_rcv_space_adjust(sk);
	if (ttp_stream_rcv_window(sk) >= cur + 2 * tsk->mss ||
	    (!cur && ttp_stream_rcv_window(sk)))
		ttp_stream_send_ack(sk);
}

/*
 * Where a read starts: copied_seq, or with MSG_PEEK that plus SO_PEEK_OFF.
 * The offset moves on with each peek and back with each read
 * (sk_peek_offset_fwd/bwd), as TCP's.
 */
static u32 ttp_stream_peek_start(struct sock *sk, int flags, u32 *peek_off)
{
	*peek_off = max(sk_peek_offset(sk, flags), 0);
	return ttp_ssk(sk)->copied_seq + *peek_off;
}

/*
 * Copy (or with MSG_TRUNC skip) what is in order from *@seq on, at most
 * @len bytes; a read (not MSG_PEEK) frees what it used up. Returns the
 * bytes taken or -EFAULT; *@found: there was data at *@seq.
 */
static int ttp_stream_take(struct sock *sk, struct msghdr *msg, size_t len,
			   int flags, u32 *seq, bool *found)
{
	struct sk_buff *skb, *tmp;
	u32 offset, n;
	int copied = 0;

	skb_queue_walk_safe(&sk->sk_receive_queue, skb, tmp) {
		offset = *seq - TTP_STREAM_CB(skb)->seq;
		if (offset >= skb->len)
			continue;
		*found = true;
		n = min_t(size_t, skb->len - offset, len - copied);
		if (!(flags & MSG_TRUNC) &&
		    skb_copy_datagram_msg(skb, offset, msg, n))
			return copied ?: -EFAULT;
		copied += n;
		WRITE_ONCE(*seq, *seq + n);
		if (flags & MSG_PEEK) {
			sk_peek_offset_fwd(sk, n);
		} else {
			sk_peek_offset_bwd(sk, n);
			if (offset + n == skb->len) {
				__skb_unlink(skb, &sk->sk_receive_queue);
				kfree_skb(skb);
			}
		}
		if (copied == len)
			break;
	}
	return copied;
}

/*
 * As tcp_recvmsg(): MSG_PEEK (from SO_PEEK_OFF), MSG_WAITALL and
 * SO_RCVLOWAT, MSG_TRUNC (the bytes are dropped, not copied), MSG_DONTWAIT
 * and SO_RCVTIMEO. A read of 0 bytes still waits for data (or end of file,
 * or an error) and then returns 0: a probe of the connection's state.
 */
int ttp_stream_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
		       int flags)
{
	struct sock *sk = sock->sk;
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	u32 peek_seq, peek_off = 0, *seq;
	int copied = 0, target, n;
	bool found;
	long timeo;

	if (flags & MSG_ERRQUEUE)
		return -EAGAIN;		/* no stream error is queued */
	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN) {
		copied = -ENOTCONN;
		goto out;
	}
	if (flags & MSG_OOB) {
		copied = -EINVAL;	/* no urgent data, ever */
		goto out;
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	seq = &tsk->copied_seq;
	if (flags & MSG_PEEK) {
		peek_seq = ttp_stream_peek_start(sk, flags, &peek_off);
		seq = &peek_seq;
	}

	do {
		found = false;
		n = ttp_stream_take(sk, msg, len - copied, flags, seq, &found);
		if (n < 0) {
			copied = copied ?: n;
			break;
		}
		copied += n;
		if (copied >= target || (!len && found))
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
		/* for something new: a peek may have seen all there is */
		sk_wait_data(sk, &timeo, skb_peek_tail(&sk->sk_receive_queue));
		/* another reader took what we were peeking at: start anew */
		if ((flags & MSG_PEEK) &&
		    peek_seq - peek_off - copied != tsk->copied_seq)
			peek_seq = tsk->copied_seq + peek_off + copied;
	} while (copied < len);

	if (!(flags & MSG_PEEK))
		ttp_stream_read_done(sk);
out:
	release_sock(sk);
	return copied;
}

static bool ttp_stream_handshaking(const struct sock *sk)
{
	return (1 << READ_ONCE(sk->sk_state)) & (TCPF_SYN_SENT | TCPF_SYN_RECV);
}

int ttp_stream_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	int amount;

	switch (cmd) {
	case SIOCINQ:	/* as tcp_inq(): bytes in order not read, no FIN */
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		lock_sock(sk);
		amount = 0;
		if (!ttp_stream_handshaking(sk)) {
			amount = tsk->rcv_nxt - tsk->copied_seq;
			if (amount && sock_flag(sk, SOCK_DONE))
				amount--;
		}
		release_sock(sk);
		break;
	/*
	 * Not acknowledged, sent or not (a FIN counts); or not sent. As TCP's,
	 * after a reset the figures stay: what the reset threw away.
	 */
	case SIOCOUTQ:
	case SIOCOUTQNSD:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		amount = 0;
		if (!ttp_stream_handshaking(sk))
			amount = READ_ONCE(tsk->write_seq) -
				 (cmd == SIOCOUTQ ? READ_ONCE(tsk->snd_una) :
				  READ_ONCE(tsk->snd_nxt));
		break;
	case SIOCATMARK:	/* at urgent data? There is none, ever */
		amount = 0;
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user(amount, (int __user *)arg);
}
