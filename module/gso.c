// SPDX-License-Identifier: GPL-2.0
/*
 * Generic segmentation offload for the stream (docs/protocol.md 5.13).
 *
 * The stream hands IP a packet of many segments at once: one header, up
 * to 64 KB of payload, gso_size = the MSS. Where the packet can go whole
 * (veth, loopback), it does, and the peer takes it as one segment that
 * holds them all. Where it cannot, the stack cuts it here, in
 * ttp_gso_segment(), which IP calls by protocol number (inet_gso_segment()):
 * each piece gets its own sequence number, Length and checksum, and the FIN
 * rides on the last one only.
 *
 * The packet's gso_type is SKB_GSO_SCTP. Only software implements it, so
 * no NIC ever cuts a TTP packet as if it were TCP (rewriting TCP's fields
 * in a TTP header) or UDP; whatever device the packet meets, the cutting
 * is TTP's own.
 */
#include <linux/ip.h>
#include <linux/skbuff.h>
#include <net/ip.h>
#include <net/protocol.h>

#include "compat.h"
#include "stream.h"

/*
 * Fill in one piece's header: @seq, its own Length, and its checksum, the
 * device's to finish when it sums any protocol (@hw), else computed here.
 * IP's header is the caller's (inet_gso_segment()).
 */
static int ttp_gso_fix(struct sk_buff *seg, u32 seq, bool last, __be16 fin,
		       bool hw)
{
	struct ttp_streamhdr *sh = (void *)skb_transport_header(seg);
	unsigned int len = seg->len - skb_transport_offset(seg);
	const struct iphdr *iph = ip_hdr(seg);

	sh->seq = htonl(seq);
	sh->th.len = htons(len);
	if (!last)
		sh->th.flags &= ~fin;
	ttp_set_checksum_partial(seg, iph->saddr, iph->daddr);
	return hw ? 0 : skb_checksum_help(seg);
}

/*
 * Cut a stream packet into segments of gso_size payload bytes. @skb->data
 * is at the TTP header. A packet from an untrusted source (a tap or
 * packet socket, SKB_GSO_DODGY) is checked as strictly as the stack's own:
 * a stream header, whole, and a sane gso_size.
 */
static struct sk_buff *ttp_gso_segment(struct sk_buff *skb,
				       netdev_features_t features)
{
	struct sk_buff *segs, *seg;
	struct ttp_streamhdr *sh;
	unsigned int hlen, mss;
	__be16 fin;
	bool hw;
	u32 seq;

	if (!(skb_shinfo(skb)->gso_type & SKB_GSO_SCTP) ||
	    !pskb_may_pull(skb, TTP_STREAM_HDR_LEN))
		return ERR_PTR(-EINVAL);
	sh = (void *)skb->data;
	hlen = sh->th.doff * 4;
	mss = skb_shinfo(skb)->gso_size;
	if (TTP_HDR_TYPE(&sh->th) != TTP_TYPE_STREAM ||
	    hlen < TTP_STREAM_HDR_LEN || !pskb_may_pull(skb, hlen) ||
	    mss < TTP_MSS_MIN)
		return ERR_PTR(-EINVAL);
	sh = (void *)skb->data;
	seq = ntohl(sh->seq);
	fin = sh->th.flags & htons(TTP_FIN);
	/*
	 * Cut with the checksum left partial, whatever the device: the sum
	 * of each piece is finished below, by the device only when it sums
	 * any protocol (NETIF_F_HW_CSUM). One that sums only TCP and UDP
	 * (NETIF_F_IP_CSUM) would take TTP's field, at UDP's offset, for
	 * UDP's.
	 */
	hw = features & NETIF_F_HW_CSUM;
	skb->ip_summed = CHECKSUM_PARTIAL;
	/* the caller puts skb->data back where it was, as for TCP's */
	__skb_pull(skb, hlen);
	segs = skb_segment(skb, (features | NETIF_F_HW_CSUM) &
				~NETIF_F_GSO_PARTIAL);
	if (IS_ERR_OR_NULL(segs))
		return segs;
	for (seg = segs; seg; seg = seg->next) {
		if (ttp_gso_fix(seg, seq, !seg->next, fin, hw)) {
			kfree_skb_list(segs);
			return ERR_PTR(-ENOMEM);
		}
		seq += seg->len - skb_transport_offset(seg) - hlen;
	}
	return segs;
}

static const struct net_offload ttp_offload = {
	.callbacks = {
		.gso_segment = ttp_gso_segment,
	},
};

int ttp_gso_init(void)
{
	return inet_add_offload(&ttp_offload, ttp_protocol);
}

void ttp_gso_exit(void)
{
	inet_del_offload(&ttp_offload, ttp_protocol);
}
