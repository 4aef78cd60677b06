// SPDX-License-Identifier: GPL-2.0
/*
 * The way in: the IPv4 protocol handler and the ICMP error handler.
 * Both run in softirq context under rcu_read_lock().
 */
#include <linux/icmp.h>
#include <linux/ip.h>
#include <net/icmp.h>
#include <net/ip.h>

#include "stream.h"

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
	/*
	 * Trimming the bytes beyond Length allocates when the packet is not
	 * linear (reassembled from fragments) and its data is shared (a raw
	 * socket holds a clone): that failure is an input error, as for UDP,
	 * but not a malformed packet.
	 */
	if (pskb_trim_rcsum(skb, ntohs(ttp_hdr(skb)->len))) {
		ttp_drop_stats(net, skb, TTP_MIB_INERRORS);
		goto drop;
	}
	if (ttp_checksum_bad(skb)) {
		ttp_drop_stats(net, skb, TTP_MIB_INCSUMERRORS);
		ttp_inc_stats(net, TTP_MIB_INERRORS);
		goto drop;
	}
	hlen = ttp_hdr_check(skb);
	if (hlen < 0 || !pskb_may_pull(skb, hlen))
		goto malformed;

	/* ttp_hdr_check() let through only the types handled here. */
	if (TTP_HDR_TYPE(ttp_hdr(skb)) == TTP_TYPE_STREAM)
		return ttp_stream_rcv(net, skb, hlen);
	return ttp_dgram_rcv(net, skb, hlen);

malformed:
	ttp_drop_stats(net, skb, TTP_MIB_MALFORMED);
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
	unsigned int off = iph->ihl << 2;
	struct sock *sk;

	/*
	 * Only 8 bytes of TTP are sure to be quoted; the type is the 9th
	 * (docs/protocol.md 5.7). A stream's error needs the whole stream
	 * header, to check its sequence number, and is ignored without it; a
	 * quote too short to show the type is taken as about a datagram.
	 */
	if (pskb_may_pull(skb, off + offsetofend(struct ttphdr, ver_type))) {
		th = (const struct ttphdr *)(skb->data + off);
		if (TTP_HDR_TYPE(th) == TTP_TYPE_STREAM) {
			if (pskb_may_pull(skb, off + TTP_STREAM_HDR_LEN))
				ttp_stream_err(dev_net(skb->dev), skb, info);
			return 0;
		}
	}
	iph = (const struct iphdr *)skb->data;
	th = (const struct ttphdr *)(skb->data + off);

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
