// SPDX-License-Identifier: GPL-2.0
/*
 * The way in: the IPv4 protocol handler and the ICMP error handler.
 * Both run in softirq context under rcu_read_lock().
 */
#include <linux/icmp.h>
#include <linux/ip.h>
#include <net/icmp.h>
#include <net/ip.h>

#include "ttp.h"

/*
 * Every TTP packet arrives here. In the order docs/protocol.md gives, a
 * malformed packet or one with a bad checksum is counted and dropped; a good
 * one goes to its type's handler.
 * Always consumes the skb and returns 0.
 */
int ttp_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	int hlen;

	if (!pskb_may_pull(skb, TTP_HDR_LEN) || !ttp_len_ok(skb))
		goto malformed;
	if (pskb_trim_rcsum(skb, ntohs(ttp_hdr(skb)->len)))
		goto drop;
	if (ttp_checksum_bad(skb)) {
		ttp_inc_stats(net, TTP_MIB_INCSUMERRORS);
		ttp_inc_stats(net, TTP_MIB_INERRORS);
		goto drop;
	}
	hlen = ttp_hdr_check(skb);
	if (hlen < 0 || !pskb_may_pull(skb, hlen))
		goto malformed;

	/* ttp_hdr_check() let through only the types handled here. */
	return ttp_dgram_rcv(net, skb, hlen);

malformed:
	ttp_inc_stats(net, TTP_MIB_MALFORMED);
	ttp_inc_stats(net, TTP_MIB_INERRORS);
drop:
	kfree_skb(skb);
	return 0;
}

/*
 * An ICMP error about a packet we sent. skb->data points at the IP header
 * of that packet, and at least 8 bytes after it are present: the ports.
 */
int ttp_err(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct ttphdr *th = (const struct ttphdr *)(skb->data +
							  (iph->ihl << 2));
	struct sock *sk;

	/* The packet went from us (iph->saddr) to the peer (iph->daddr). */
	sk = ttp_table_lookup(dev_net(skb->dev), SOCK_DGRAM,
			      iph->daddr, th->dest, iph->saddr, th->source,
			      inet_iif(skb));
	if (!sk)
		return -ENOENT;
	ttp_dgram_err(sk, skb, info);
	sock_put(sk);
	return 0;
}
