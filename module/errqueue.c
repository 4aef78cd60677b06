// SPDX-License-Identifier: GPL-2.0
/*
 * IP_RECVERR: ICMP errors about sent datagrams kept on the socket's error
 * queue and read with MSG_ERRQUEUE, each with a struct sock_extended_err in
 * an IP_RECVERR cmsg (see ip(7)); and IP_PKTINFO's per-datagram state.
 * IPv4 keeps its helpers for these to itself on some kernels, so TTP has
 * its own, giving what udp(7) gives.
 */
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <linux/inetdevice.h>
#include <net/ip.h>
#include <net/route.h>

#include "ttp.h"

/*
 * Softirq: queue the ICMP error in @skb (skb->data at the IP header of the
 * datagram we sent) as @err. The queued copy holds the part of our payload
 * the ICMP message quoted; its network header stays the ICMP sender's.
 */
void ttp_queue_icmp_error(struct sock *sk, struct sk_buff *skb, int err,
			  u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct ttphdr *th = (const struct ttphdr *)(skb->data +
							  iph->ihl * 4);
	const struct icmphdr *icmph = icmp_hdr(skb);
	struct sock_exterr_skb *serr;
	struct sk_buff *eskb;
	unsigned int off;

	eskb = skb_clone(skb, GFP_ATOMIC);
	if (!eskb)
		return;

	serr = SKB_EXT_ERR(eskb);
	memset(serr, 0, sizeof(*serr));
	serr->ee.ee_errno = err;
	serr->ee.ee_origin = SO_EE_ORIGIN_ICMP;
	serr->ee.ee_type = icmph->type;
	serr->ee.ee_code = icmph->code;
	serr->ee.ee_info = info;
	serr->addr_offset = (u8 *)&iph->daddr - skb_network_header(skb);
	serr->port = th->dest;

	/* Keep only the quoted payload, after the IP and TTP headers. */
	off = min_t(unsigned int, iph->ihl * 4 + TTP_HDR_LEN, eskb->len);
	if (!pskb_pull(eskb, off)) {
		kfree_skb(eskb);
		return;
	}
	skb_reset_transport_header(eskb);
	if (sock_queue_err_skb(sk, eskb))
		kfree_skb(eskb);
}

/*
 * Process context: a send to daddr:dport failed with EMSGSIZE locally, the
 * path MTU being @mtu. With IP_RECVERR, queue that as an
 * SO_EE_ORIGIN_LOCAL error without payload, as UDP does.
 */
void ttp_queue_local_error(struct sock *sk, __be32 daddr, __be16 dport,
			   u32 mtu)
{
	struct sock_exterr_skb *serr;
	struct iphdr *iph;
	struct sk_buff *skb;

	if (!ttp_recverr(sk))
		return;
	skb = alloc_skb(sizeof(*iph), GFP_KERNEL);
	if (!skb)
		return;

	/* Only the destination of this header is read (ttp_recv_error()). */
	skb_put_zero(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph = ip_hdr(skb);
	iph->daddr = daddr;

	serr = SKB_EXT_ERR(skb);
	memset(serr, 0, sizeof(*serr));
	serr->ee.ee_errno = EMSGSIZE;
	serr->ee.ee_origin = SO_EE_ORIGIN_LOCAL;
	serr->ee.ee_info = mtu;
	serr->addr_offset = (u8 *)&iph->daddr - skb_network_header(skb);
	serr->port = dport;

	__skb_pull(skb, sizeof(*iph));
	skb_reset_transport_header(skb);
	if (sock_queue_err_skb(sk, skb))
		kfree_skb(skb);
}

/* The IP_RECVERR cmsg: the error, then who reported it. */
struct ttp_errhdr {
	struct sock_extended_err	ee;
	struct sockaddr_in		offender;
};

/*
 * recvmsg(MSG_ERRQUEUE): the oldest queued error. msg_name is the
 * destination of the datagram that caused it; the payload is what the
 * error quoted of that datagram. Never blocks; -EAGAIN when empty.
 */
int ttp_recv_error(struct sock *sk, struct msghdr *msg, size_t len)
{
	DECLARE_SOCKADDR(struct sockaddr_ttp *, sin, msg->msg_name);
	struct sock_exterr_skb *serr;
	struct ttp_errhdr errhdr;
	struct sk_buff *skb;
	size_t copied;
	int err;

	skb = sock_dequeue_err_skb(sk);
	if (!skb)
		return -EAGAIN;

	copied = skb->len;
	if (copied > len) {
		msg->msg_flags |= MSG_TRUNC;
		copied = len;
	}
	err = skb_copy_datagram_msg(skb, 0, msg, copied);
	if (err)
		goto out;
	sock_recv_timestamp(msg, sk, skb);

	serr = SKB_EXT_ERR(skb);
	if (sin) {
		memset(sin, 0, sizeof(*sin));
		sin->sttp_family = ttp_addr_family(sk);
		sin->sttp_port = serr->port;
		sin->sttp_addr.s_addr = *(__be32 *)(skb_network_header(skb) +
						    serr->addr_offset);
		msg->msg_namelen = sizeof(*sin);
	}

	memset(&errhdr, 0, sizeof(errhdr));
	errhdr.ee = serr->ee;
	if (serr->ee.ee_origin == SO_EE_ORIGIN_ICMP) {
		errhdr.offender.sin_family = AF_INET;
		errhdr.offender.sin_addr.s_addr = ip_hdr(skb)->saddr;
	}
	put_cmsg(msg, SOL_IP, IP_RECVERR, sizeof(errhdr), &errhdr);
	msg->msg_flags |= MSG_ERRQUEUE;
	err = copied;
out:
	kfree_skb(skb);
	return err;
}

/*
 * Softirq, before queueing: when the socket asked for IP_PKTINFO, note in
 * skb->cb where the datagram came in and the local address it reached,
 * for ip_cmsg_recv_offset(). Otherwise skb->cb keeps IPv4's own state.
 */
void ttp_pktinfo_prepare(const struct sock *sk, struct sk_buff *skb)
{
	struct in_pktinfo *info = PKTINFO_SKB_CB(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct rtable *rt = skb_rtable(skb);

	if (!ttp_want_pktinfo(sk))
		return;
	if (!rt) {
		info->ipi_ifindex = 0;
		info->ipi_spec_dst.s_addr = 0;
		return;
	}
	info->ipi_ifindex = inet_iif(skb);
	if (rt->rt_type == RTN_LOCAL)
		info->ipi_spec_dst.s_addr = iph->daddr;
	else
		info->ipi_spec_dst.s_addr = inet_select_addr(skb->dev,
							     iph->saddr,
							     RT_SCOPE_UNIVERSE);
}
