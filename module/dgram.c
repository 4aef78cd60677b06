// SPDX-License-Identifier: GPL-2.0
/*
 * SOCK_DGRAM: unreliable, unordered, message-preserving datagrams with
 * ports and a checksum. The contract is udp(7): every call returns what
 * Linux UDP returns for the same arguments.
 */
#include <linux/filter.h>
#include <linux/icmp.h>
#include <linux/poll.h>
#include <linux/termios.h>
#include <linux/sockios.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/route.h>

#include "ttp.h"

static int ttp_dgram_bind(struct socket *sock, TTP_SOCKADDR *uaddr,
			  int addr_len)
{
	struct sockaddr_ttp *addr = (struct sockaddr_ttp *)uaddr;
	struct sock *sk = sock->sk;
	struct inet_sock *inet = inet_sk(sk);
	int err, type;
	__be32 saddr;
	u16 port;

	err = ttp_check_sockaddr(sk, (struct sockaddr *)uaddr, addr_len);
	if (err)
		return err;
	saddr = addr->sttp_addr.s_addr;
	type = ttp_local_addr_type(sk, saddr);
	if (type < 0)
		return type;
	/* No group membership, so no receiving on a group address. */
	if (type == RTN_MULTICAST)
		return -EADDRNOTAVAIL;
	port = ntohs(addr->sttp_port);
	if (port && ttp_needs_bind_cap(sock_net(sk), port))
		return -EACCES;

	lock_sock(sk);
	err = -EINVAL;
	if (sk->sk_state != TCP_CLOSE || inet->inet_num)
		goto out;

	/* WRITE_ONCE: for the lockless readers (ttp.h) */
	WRITE_ONCE(inet->inet_rcv_saddr, saddr);
	/* Sent from a broadcast or multicast address? No: the device's. */
	if (type != RTN_MULTICAST && type != RTN_BROADCAST)
		WRITE_ONCE(inet->inet_saddr, saddr);
	err = ttp_table_get_port(sk, port);
	if (err) {
		WRITE_ONCE(inet->inet_rcv_saddr, 0);
		WRITE_ONCE(inet->inet_saddr, 0);
		goto out;
	}
	if (saddr)
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	if (port)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
out:
	release_sock(sk);
	return err;
}

/* connect(AF_UNSPEC): forget the peer, and what bind did not pin. */
static void ttp_dgram_disconnect(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);

	sk->sk_state = TCP_CLOSE;
	WRITE_ONCE(inet->inet_daddr, 0);
	WRITE_ONCE(inet->inet_dport, 0);
	WRITE_ONCE(sk->sk_bound_dev_if, 0);
	sk_dst_reset(sk);
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK)) {
		WRITE_ONCE(inet->inet_rcv_saddr, 0);
		WRITE_ONCE(inet->inet_saddr, 0);
	}
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		ttp_table_unhash(sk);
}

static int ttp_dgram_connect_locked(struct sock *sk, struct sockaddr *uaddr,
				    int addr_len)
{
	struct sockaddr_ttp *usin = (struct sockaddr_ttp *)uaddr;
	struct inet_sock *inet = inet_sk(sk);
	struct flowi4 fl4;
	struct rtable *rt;
	int err;

	err = ttp_table_autobind(sk);
	if (err)
		return err;
	if (addr_len < (int)sizeof(*usin))
		return -EINVAL;
	if (!ttp_family_ok(sk, usin->sttp_family))
		return -EAFNOSUPPORT;
	if (ipv4_is_multicast(usin->sttp_addr.s_addr))
		return -EOPNOTSUPP;

	rt = ttp_route(sk, &fl4, usin->sttp_addr.s_addr, usin->sttp_port,
		       NULL);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if ((rt->rt_flags & RTCF_BROADCAST) && !sock_flag(sk, SOCK_BROADCAST)) {
		ip_rt_put(rt);
		return -EACCES;
	}
	/* Kept for IP_MTU and path MTU updates; sends route afresh. */
	sk_dst_set(sk, &rt->dst);

	if (!inet->inet_saddr)
		WRITE_ONCE(inet->inet_saddr, fl4.saddr);
	if (!inet->inet_rcv_saddr)
		WRITE_ONCE(inet->inet_rcv_saddr, fl4.saddr);
	WRITE_ONCE(inet->inet_daddr, fl4.daddr);
	WRITE_ONCE(inet->inet_dport, usin->sttp_port);
	sk->sk_state = TCP_ESTABLISHED;
	return 0;
}

static int ttp_dgram_connect(struct socket *sock, TTP_SOCKADDR *uaddr,
			     int addr_len, int flags)
{
	struct sockaddr *sa = (struct sockaddr *)uaddr;
	struct sock *sk = sock->sk;
	int err = 0;

	if (addr_len < (int)sizeof(sa->sa_family))
		return -EINVAL;

	lock_sock(sk);
	if (sa->sa_family == AF_UNSPEC)
		ttp_dgram_disconnect(sk);
	else
		err = ttp_dgram_connect_locked(sk, sa, addr_len);
	release_sock(sk);
	return err;
}

/* Where does this send go? Fills daddr/dport from msg_name or the peer. */
static int ttp_dgram_dest(struct sock *sk, struct msghdr *msg,
			  __be32 *daddr, __be16 *dport)
{
	DECLARE_SOCKADDR(struct sockaddr_ttp *, usin, msg->msg_name);

	if (usin) {
		if (msg->msg_namelen < (int)sizeof(*usin))
			return -EINVAL;
		if (!ttp_family_ok(sk, usin->sttp_family) &&
		    usin->sttp_family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		*daddr = usin->sttp_addr.s_addr;
		*dport = usin->sttp_port;
		if (!*dport)
			return -EINVAL;
		/* TTP does not send to groups (docs/protocol.md). */
		return ipv4_is_multicast(*daddr) ? -EOPNOTSUPP : 0;
	}
	if (sk->sk_state != TCP_ESTABLISHED)
		return -EDESTADDRREQ;
	*daddr = inet_sk(sk)->inet_daddr;
	*dport = inet_sk(sk)->inet_dport;
	return 0;
}

/* Allocate a datagram with room for the headers, and copy the payload. */
static struct sk_buff *ttp_dgram_alloc(struct sock *sk, struct msghdr *msg,
				       size_t len, struct rtable *rt, int *err)
{
	unsigned int hroom = LL_RESERVED_SPACE(rt->dst.dev) +
			     rt->dst.header_len + TTP_IP_HLEN_MAX + TTP_HDR_LEN;
	size_t linear = min_t(size_t, len, SKB_MAX_HEAD(hroom));
	struct sk_buff *skb;

	skb = sock_alloc_send_pskb(sk, hroom + linear, len - linear,
				   msg->msg_flags & MSG_DONTWAIT, err,
				   PAGE_ALLOC_COSTLY_ORDER);
	if (!skb)
		return NULL;
	skb_reserve(skb, hroom);
	skb_put(skb, linear);
	skb->data_len = len - linear;
	skb->len = len;
	*err = skb_copy_datagram_from_iter(skb, 0, &msg->msg_iter, len);
	if (*err) {
		kfree_skb(skb);
		return NULL;
	}
	return skb;
}

/*
 * Everything a send decides under the socket lock: the implicit bind, the
 * checks udp_sendmsg() makes, in its order, the ancillary data and the
 * route. Returns the route with @fl4 (the addresses and ports the datagram
 * will carry), @dport and @ipc filled, or an ERR_PTR. Of the socket's
 * addresses and ports, the send reads after this only the peer's port that
 * an EMSGSIZE local error names (ttp_xmit(), as UDP reads it).
 */
static struct rtable *__ttp_dgram_prepare(struct sock *sk, struct msghdr *msg,
					  size_t len, struct flowi4 *fl4,
					  __be16 *dport, struct ttp_ipc *ipc)
{
	struct rtable *rt;
	__be32 daddr;
	int err;

	ttp_ipc_init(ipc);
	err = ttp_table_autobind(sk);
	/* As UDP: the IP options count against the 64k of an IP packet. */
	if (!err && len > TTP_MAX_DGRAM - ttp_ip_optlen(sk))
		err = -EMSGSIZE;
	if (!err)
		err = ttp_dgram_dest(sk, msg, &daddr, dport);
	if (!err && msg->msg_controllen)
		err = ttp_cmsg_send(msg, ipc);
	rt = err ? ERR_PTR(err) : ttp_route(sk, fl4, daddr, *dport, ipc);

	if (!IS_ERR(rt) && (rt->rt_flags & RTCF_BROADCAST) &&
	    !sock_flag(sk, SOCK_BROADCAST)) {
		ip_rt_put(rt);
		rt = ERR_PTR(-EACCES);
	}
	return rt;
}

static struct rtable *ttp_dgram_prepare(struct sock *sk, struct msghdr *msg,
					size_t len, struct flowi4 *fl4,
					__be16 *dport, struct ttp_ipc *ipc)
{
	struct rtable *rt;

	lock_sock(sk);
	rt = __ttp_dgram_prepare(sk, msg, len, fl4, dport, ipc);
	release_sock(sk);
	return rt;
}

/*
 * Put the header on @skb (payload at skb->data) and send it along @rt,
 * whose reference it takes, as @ipc asks. Returns 0 or a negative errno;
 * as for UDP, a full device queue (ENOBUFS) is counted and not an error
 * unless IP_RECVERR is on.
 *
 * The source port is the one @fl4 was routed with, under the socket lock
 * (ttp_route()), not the socket's now: a send that left the lock may meet
 * a connect(AF_UNSPEC) that gives the port back (inet_sport 0), and must
 * not put that on the wire.
 */
int ttp_dgram_send_skb(struct sock *sk, struct sk_buff *skb,
		       struct rtable *rt, struct flowi4 *fl4, __be16 dport,
		       const struct ttp_ipc *ipc)
{
	struct net *net = sock_net(sk);
	int err;

	ttp_push_header(skb, fl4->fl4_sport, dport, TTP_TYPE_DGRAM, 0);
	skb_dst_set(skb, &rt->dst);

	err = ttp_xmit(sk, skb, fl4, ipc);
	if (!err) {
		ttp_inc_stats(net, TTP_MIB_OUTDATAGRAMS);
		return 0;
	}
	if (err == -ENOBUFS && !ttp_recverr(sk)) {
		ttp_inc_stats(net, TTP_MIB_SNDBUFERRORS);
		return 0;
	}
	return err;
}

/*
 * A send with MSG_MORE or TTP_CORK, or one that ends a corked datagram:
 * the first one fixes the destination, each adds its bytes, the last one
 * (neither MSG_MORE nor TTP_CORK) sends them all as one datagram.
 */
static int ttp_dgram_sendmsg_corked(struct sock *sk, struct msghdr *msg,
				    size_t len, bool more)
{
	struct ttp_sock *ts = ttp_sk(sk);
	struct flowi4 fl4;
	struct rtable *rt;
	__be16 dport;
	int err;

	lock_sock(sk);
	if (skb_queue_empty(&ts->pending)) {
		rt = __ttp_dgram_prepare(sk, msg, len, &fl4, &dport,
					 &ts->pending_ipc);
		if (IS_ERR(rt)) {
			err = PTR_ERR(rt);
			goto out;
		}
		ts->pending_mtu = ip_sk_use_pmtu(sk) ? dst_mtu(&rt->dst) :
				  READ_ONCE(rt->dst.dev->mtu);
		ip_rt_put(rt);
		ts->pending_daddr = fl4.daddr;
		ts->pending_dport = dport;
	}
	err = ttp_cork_append(sk, msg, len);
	if (!err && !more)
		err = ttp_cork_push(sk);
out:
	release_sock(sk);
	if (!err)
		return len;
	/* As UDP: a send that failed for want of buffer space is counted. */
	if (err == -ENOBUFS || test_bit(SOCK_NOSPACE, &sk->sk_socket->flags))
		ttp_inc_stats(sock_net(sk), TTP_MIB_SNDBUFERRORS);
	return err;
}

static int ttp_dgram_sendmsg(struct socket *sock, struct msghdr *msg,
			     size_t len)
{
	struct sock *sk = sock->sk;
	struct net *net = sock_net(sk);
	struct sk_buff *skb;
	struct ttp_ipc ipc;
	struct flowi4 fl4;
	struct rtable *rt;
	__be16 dport;
	bool more;
	int err;

	/* Checked first, as UDP does: neither touches a pending datagram. */
	if (len > 0xFFFF)
		return -EMSGSIZE;
	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;

	more = (msg->msg_flags & MSG_MORE) || READ_ONCE(ttp_sk(sk)->cork);
	if (more || !skb_queue_empty_lockless(&ttp_sk(sk)->pending))
		return ttp_dgram_sendmsg_corked(sk, msg, len, more);

	rt = ttp_dgram_prepare(sk, msg, len, &fl4, &dport, &ipc);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	skb = ttp_dgram_alloc(sk, msg, len, rt, &err);
	if (!skb) {
		ip_rt_put(rt);
		goto out;
	}
	err = ttp_dgram_send_skb(sk, skb, rt, &fl4, dport, &ipc);
	if (!err)
		return len;
out:
	/* As UDP: a send that failed for want of buffer space is counted. */
	if (err == -ENOBUFS || test_bit(SOCK_NOSPACE, &sock->flags))
		ttp_inc_stats(net, TTP_MIB_SNDBUFERRORS);
	return err;
}

static int ttp_dgram_recvmsg(struct socket *sock, struct msghdr *msg,
			     size_t len, int flags)
{
	DECLARE_SOCKADDR(struct sockaddr_ttp *, sin, msg->msg_name);
	struct sock *sk = sock->sk;
	struct sk_buff *skb;
	int copied, err;

	if (flags & MSG_ERRQUEUE)
		return ttp_recv_error(sk, msg, len);

	skb = skb_recv_datagram(sk, flags, &err);
	if (!skb)
		return err;

	copied = skb->len;
	if (copied > len) {
		copied = len;
		msg->msg_flags |= MSG_TRUNC;
	}
	err = skb_copy_datagram_msg(skb, 0, msg, copied);
	if (err)
		goto out;

	sock_recv_cmsgs(msg, sk, skb);
	if (sin) {
		memset(sin, 0, sizeof(*sin));
		sin->sttp_family = ttp_addr_family(sk);
		sin->sttp_port = ttp_hdr(skb)->source;
		sin->sttp_addr.s_addr = ip_hdr(skb)->saddr;
		msg->msg_namelen = sizeof(*sin);
	}
	/* IP_PKTINFO, IP_RECVTTL, IP_RECVTOS ... as the socket asked */
	ip_cmsg_recv_offset(msg, sk, skb, TTP_HDR_LEN, 0);
	err = (flags & MSG_TRUNC) ? skb->len : copied;
out:
	skb_free_datagram(sk, skb);
	return err;
}

/* SIOCINQ is the size of the next datagram, as for UDP. */
static int ttp_dgram_ioctl(struct socket *sock, unsigned int cmd,
			   unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct sk_buff *skb;
	int amount;

	switch (cmd) {
	case SIOCOUTQ:
		amount = sk_wmem_alloc_get(sk);
		break;
	case SIOCINQ:
		spin_lock_bh(&sk->sk_receive_queue.lock);
		skb = skb_peek(&sk->sk_receive_queue);
		amount = skb ? skb->len : 0;
		spin_unlock_bh(&sk->sk_receive_queue.lock);
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user(amount, (int __user *)arg);
}

/* As inet_shutdown(): ENOTCONN when unconnected, but still takes effect. */
static int ttp_dgram_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	how = ttp_shutdown_mask(how);
	if (how < 0)
		return how;

	lock_sock(sk);
	if (sk->sk_state == TCP_CLOSE)
		err = -ENOTCONN;
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

/*
 * Queue @skb, payload @hlen bytes in, on @sk; consumes the skb. As for UDP,
 * the socket's filter (SO_ATTACH_FILTER, SO_ATTACH_BPF) sees the packet
 * from the TTP header on and may cut the payload but not the header; a
 * datagram it rejects is an input error and one of the socket's drops,
 * not a receive buffer error.
 */
static void ttp_dgram_queue(struct net *net, struct sock *sk,
			    struct sk_buff *skb, int hlen)
{
	int err;

	/* 0 to accept: an errno on 6.1 and 6.12, a drop reason later */
	if (sk_filter_trim_cap(sk, skb, hlen)) {
		ttp_drop_stats(net, skb, TTP_MIB_INERRORS);
		atomic_inc(&sk->sk_drops);
		kfree_skb(skb);
		return;
	}
	ttp_pktinfo_prepare(sk, skb);
	__skb_pull(skb, hlen);

	/*
	 * sk_drops counted there; as for UDP, a full buffer is a RcvbufError,
	 * no room in net.ttp.dgram_mem a MemError
	 */
	err = ttp_dgram_enqueue(sk, skb);
	if (err) {
		ttp_drop_stats(net, skb, err == -ENOMEM ? TTP_MIB_RCVBUFERRORS :
					 TTP_MIB_MEMERRORS);
		ttp_inc_stats(net, TTP_MIB_INERRORS);
		kfree_skb(skb);
	} else {
		ttp_inc_stats(net, TTP_MIB_INDATAGRAMS);
	}
}

struct ttp_bcast {
	struct ttp_match_cb	cb;
	struct net		*net;
	struct sk_buff		*skb;
	int			hlen;
};

/* One matching socket of a broadcast: a copy for it; drops the reference. */
static void ttp_dgram_bcast_one(struct sock *sk, struct ttp_match_cb *cb)
{
	struct ttp_bcast *b = container_of(cb, struct ttp_bcast, cb);
	struct sk_buff *copy = skb_clone(b->skb, GFP_ATOMIC);

	if (copy) {
		ttp_dgram_queue(b->net, sk, copy, b->hlen);
	} else {
		ttp_inc_stats(b->net, TTP_MIB_RCVBUFERRORS);
		ttp_inc_stats(b->net, TTP_MIB_INERRORS);
	}
	sock_put(sk);
}

/*
 * A datagram addressed to a broadcast address: as UDP, a copy for every
 * socket bound to its port and a matching address. None: NoPorts (and no
 * ICMP, which is never sent about a broadcast).
 */
static int ttp_dgram_rcv_bcast(struct net *net, struct sk_buff *skb, int hlen)
{
	const struct ttphdr *th = ttp_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct ttp_bcast b = {
		.cb.fn = ttp_dgram_bcast_one,
		.net = net,
		.skb = skb,
		.hlen = hlen,
	};

	if (!ttp_table_match_all(net, SOCK_DGRAM, iph->saddr, th->source,
				 iph->daddr, th->dest, inet_iif(skb), &b.cb))
		ttp_drop_stats(net, skb, TTP_MIB_NOPORTS);
	consume_skb(skb);
	return 0;
}

/*
 * Softirq: deliver a checked datagram whose payload starts @hlen bytes in,
 * or answer port unreachable.
 */
int ttp_dgram_rcv(struct net *net, struct sk_buff *skb, int hlen)
{
	const struct ttphdr *th = ttp_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct rtable *rt = skb_rtable(skb);
	struct sock *sk = NULL;

	if (rt && (rt->rt_flags & RTCF_BROADCAST))
		return ttp_dgram_rcv_bcast(net, skb, hlen);

	/*
	 * No TTP socket is a member of a group (docs/protocol.md, 4.5), even
	 * if this host joined it for another protocol. icmp_send() answers
	 * nothing about a datagram sent to a group.
	 */
	if (!ipv4_is_multicast(iph->daddr))
		sk = ttp_table_lookup(net, SOCK_DGRAM, iph->saddr, th->source,
				      iph->daddr, th->dest, inet_iif(skb));
	if (!sk) {
		ttp_drop_stats(net, skb, TTP_MIB_NOPORTS);
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
		kfree_skb(skb);
		return 0;
	}

	ttp_dgram_queue(net, sk, skb, hlen);
	sock_put(sk);
	return 0;
}

/*
 * Softirq: the ICMP error in @skb (skb->data at the IP header of the
 * datagram) is about a datagram @sk sent; @info is the ICMP's, the MTU for
 * "fragmentation needed". As for UDP: without IP_RECVERR only hard errors
 * are reported, and only to a connected socket (the next call on it fails
 * with that errno); with IP_RECVERR every error is queued on the error
 * queue and reported, connected or not.
 */
void ttp_dgram_err(struct sock *sk, struct sk_buff *skb, u32 info)
{
	const struct icmphdr *icmph = icmp_hdr(skb);
	int code = icmph->code;
	bool hard = false;
	int err;

	switch (icmph->type) {
	case ICMP_DEST_UNREACH:
		if (code == ICMP_FRAG_NEEDED) {
			/* Path MTU discovery: later sends see the new MTU. */
			ttp_update_pmtu(sk, skb, info);
			if (READ_ONCE(inet_sk(sk)->pmtudisc) == IP_PMTUDISC_DONT)
				return;
			err = EMSGSIZE;
			hard = true;
			break;
		}
		err = EHOSTUNREACH;
		if (code <= NR_ICMP_UNREACH) {
			err = icmp_err_convert[code].errno;
			hard = icmp_err_convert[code].fatal;
		}
		break;
	case ICMP_TIME_EXCEEDED:
		err = EHOSTUNREACH;
		break;
	case ICMP_PARAMETERPROB:
		err = EPROTO;
		hard = true;
		break;
	case ICMP_REDIRECT:
		ttp_redirect(sk, skb);
		return;
	default:
		return;
	}
	if (ttp_recverr(sk))
		ttp_queue_icmp_error(sk, skb, err, info);
	else if (!hard || sk->sk_state != TCP_ESTABLISHED)
		return;
	WRITE_ONCE(sk->sk_err, err);
	sk_error_report(sk);
}

/*
 * .family is informational (the socket layer dispatches on
 * net_proto_family); it names the default, whatever the module parameter.
 */
const struct proto_ops ttp_dgram_ops = {
	.family		= AF_TTP,
	.owner		= THIS_MODULE,
	.release	= ttp_release,
	.bind		= ttp_dgram_bind,
	.connect	= ttp_dgram_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= ttp_getname,
	.poll		= datagram_poll,
	.ioctl		= ttp_dgram_ioctl,
	.gettstamp	= sock_gettstamp,
	.listen		= sock_no_listen,
	.shutdown	= ttp_dgram_shutdown,
	.setsockopt	= ttp_setsockopt,
	.getsockopt	= ttp_getsockopt,
	.sendmsg	= ttp_dgram_sendmsg,
	.recvmsg	= ttp_dgram_recvmsg,
	.mmap		= sock_no_mmap,
};
