// SPDX-License-Identifier: GPL-2.0
/*
 * The TTP wire header: validation, construction and the checksum over the
 * pseudo-header (source, destination, zero, protocol, length), header and
 * payload. docs/protocol.md describes the format.
 */
#include <linux/ip.h>
#include <net/checksum.h>
#include <net/ip.h>

#include "ttp.h"

/*
 * Does the length field fit the packet? The skb holds at least the 12 fixed
 * bytes in its linear part. Checked before the checksum, which covers
 * exactly "len" bytes.
 */
bool ttp_len_ok(const struct sk_buff *skb)
{
	unsigned int len = ntohs(ttp_hdr(skb)->len);

	return len >= TTP_HDR_LEN && len <= skb->len;
}

/*
 * Is the checksummed header one we understand? Returns the header length
 * in bytes (where the payload starts), or -EINVAL.
 */
int ttp_hdr_check(const struct sk_buff *skb)
{
	const struct ttphdr *th = ttp_hdr(skb);
	unsigned int doff = th->doff * 4;

	if (TTP_HDR_VERSION(th) != TTP_VERSION)
		return -EINVAL;
	if (doff > ntohs(th->len))
		return -EINVAL;
	switch (TTP_HDR_TYPE(th)) {
	case TTP_TYPE_DGRAM:
		return doff >= TTP_HDR_LEN ? doff : -EINVAL;
	case TTP_TYPE_STREAM:
		return doff >= TTP_STREAM_HDR_LEN ? doff : -EINVAL;
	}
	return -EINVAL;
}

/* Prepend the fixed header to the payload in @skb; checksum left zero. */
void ttp_push_header(struct sk_buff *skb, __be16 sport, __be16 dport,
		     u8 type, __be16 flags)
{
	struct ttphdr *th;

	th = skb_push(skb, sizeof(*th));
	skb_reset_transport_header(skb);
	th->source = sport;
	th->dest = dport;
	th->len = htons(skb->len);
	th->check = 0;
	th->ver_type = TTP_VER_TYPE(TTP_VERSION, type);
	th->doff = sizeof(*th) / 4;
	th->flags = flags;
}

/* Fill in the checksum of the packet in @skb (header at skb->data). */
void ttp_set_checksum(struct sk_buff *skb, __be32 saddr, __be32 daddr)
{
	struct ttphdr *th = ttp_hdr(skb);
	__wsum csum = skb_checksum(skb, 0, skb->len, 0);

	th->check = csum_tcpudp_magic(saddr, daddr, skb->len, ttp_protocol,
				      csum);
	skb->ip_summed = CHECKSUM_NONE;
}

/*
 * Leave the checksum of the packet in @skb (header at its transport header,
 * Length the bytes from there on; a segment gso.c cut has its IPv4 header
 * in front) to the device, CHECKSUM_PARTIAL: the field holds the
 * pseudo-header's sum,
 * and the device, or the stack for one that cannot (skb_checksum_help()),
 * sums the rest from csum_start. Only for a device with NETIF_F_HW_CSUM,
 * which sums any protocol: one with just NETIF_F_IP_CSUM sums TCP and UDP,
 * and would take TTP's field, at UDP's offset, for UDP's.
 */
void ttp_set_checksum_partial(struct sk_buff *skb, __be32 saddr, __be32 daddr)
{
	struct ttphdr *th = ttp_hdr(skb);
	unsigned int len = skb->len - skb_transport_offset(skb);

	th->check = ~csum_tcpudp_magic(saddr, daddr, len, ttp_protocol, 0);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct ttphdr, check);
}

/* Verify the checksum of a received packet trimmed to its TTP length. */
bool ttp_checksum_bad(struct sk_buff *skb)
{
	return skb_checksum_validate(skb, ttp_protocol, inet_compute_pseudo);
}
