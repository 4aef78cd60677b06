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
 * The payload room of a new skb: what is left of the write, at most an
 * MSS, at least what a 2 KB buffer holds (small writes that follow fill
 * it, as Nagle would have them). Never a whole MSS for a few bytes: every
 * skb is charged by its buffer's size, here and, through loopback or
 * veth, at the receiver, and on loopback an MSS is 64 KB.
 */
static u32 ttp_stream_skb_room(const struct ttp_stream_sock *tsk,
			       size_t left)
{
	size_t small = SKB_WITH_OVERHEAD(2048) - MAX_HEADER -
		       TTP_STREAM_MAX_HDR;

	return min_t(size_t, tsk->mss, max(left, small));
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
			skb = alloc_skb(MAX_HEADER + TTP_STREAM_MAX_HDR +
					ttp_stream_skb_room(tsk, len - copied),
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

int ttp_stream_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
		       int flags)
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

int ttp_stream_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
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
