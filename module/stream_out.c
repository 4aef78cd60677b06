// SPDX-License-Identifier: GPL-2.0
/*
 * The stream's way out: initial sequence numbers, building a segment's
 * header, the gates a segment passes before it is sent (send window,
 * congestion window, Nagle), retransmission, and the control segments (ACK,
 * RST) that are not queued. Every function here runs with the socket lock
 * held unless it says otherwise.
 *
 * The write queue holds every skb not yet acknowledged, in sequence order:
 * payload only, in page fragments, up to the size goal each (about a
 * millisecond of data, ttp_stream_size_goal()); SYN and FIN ride in the
 * flags of their skb. Sending transmits a clone (or a copy, when an earlier
 * clone is still in flight and shares its header room) with the header
 * pushed in front, one GSO packet of MSS-sized segments (gso.c), and keeps
 * the original until it is acknowledged.
 */
#include <linux/siphash.h>
#include <net/ip.h>
#include <net/route.h>

#include "stream.h"

static siphash_aligned_key_t ttp_isn_key;

/*
 * RFC 6528: ISN = M + F(4-tuple, secret), M a clock ticking every
 * 4 microseconds (here 4.096: ns >> 12), F a keyed hash (SipHash) of the
 * addresses and ports with a key drawn once per boot. A test may fix the
 * ISNs of a namespace instead (net.ttp.stream_isn, 0 = off), e.g. just
 * below the 32-bit wrap.
 */
u32 ttp_stream_isn(struct net *net, __be32 saddr, __be32 daddr, __be16 sport,
		   __be16 dport)
{
	u32 f = READ_ONCE(ttp_pernet(net)->stream_isn);

	if (f)
		return f;
	net_get_random_once(&ttp_isn_key, sizeof(ttp_isn_key));
	f = siphash_3u32((__force u32)saddr, (__force u32)daddr,
			 (__force u32)sport << 16 | (__force u32)dport,
			 &ttp_isn_key);
	return f + (u32)(ktime_get_real_ns() >> 12);
}

/*
 * The window to advertise now. Received data is charged to the socket by
 * its truesize, which for small segments is several times the payload, so
 * half the free receive buffer is offered. The right edge never moves left
 * (RFC 9293 3.8.6.2.1), and the window opens only by at least an MSS or
 * half the buffer (receiver-side silly window avoidance, 3.8.6.2.2).
 */
u32 ttp_stream_rcv_window(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	int rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	int space = rcvbuf - atomic_read(&sk->sk_rmem_alloc);
	u32 edge = tsk->rcv_wup + tsk->rcv_wnd, cur = 0, free;

	if (ttp_seq_after(edge, tsk->rcv_nxt))
		cur = edge - tsk->rcv_nxt;
	free = space > 0 ? space / 2 : 0;
	if (free <= cur || free - cur < min_t(u32, tsk->mss, rcvbuf / 2))
		return cur;
	return free;
}

/* The MSS we announce: the route's MTU less IPv4 and stream headers. */
static u16 ttp_adv_mss(struct sock *sk)
{
	struct dst_entry *dst = __sk_dst_get(sk);
	u32 mtu = dst ? dst_mtu(dst) : 576;

	return min_t(u32, mtu - TTP_STREAM_OVERHEAD, 0xffff);
}

/* Timestamps on this segment? Offered on our SYN, then if both sent them. */
static bool ttp_send_ts(const struct sock *sk, u16 flags)
{
	return ttp_ssk(sk)->ts_ok ||
	       ((flags & TTP_SYN) && sk->sk_state == TCP_SYN_SENT);
}

/* Bytes of options a segment with @flags carries: MSS on SYN, timestamps. */
static unsigned int ttp_opt_len(const struct sock *sk, u16 flags)
{
	return ((flags & TTP_SYN) ? TTP_OPT_MSS_LEN : 0) +
	       (ttp_send_ts(sk, flags) ? TTP_OPT_TS_ALIGNED : 0);
}

/* The MSS option at @opt; returns the end. */
static u8 *ttp_put_mss(u8 *opt, u16 mss)
{
	*opt++ = TTP_OPT_MSS;
	*opt++ = TTP_OPT_MSS_LEN;
	*opt++ = mss >> 8;
	*opt++ = mss & 0xff;
	return opt;
}

/* The timestamp option at @opt, aligned by two NOPs. */
static void ttp_put_ts(u8 *opt, u32 tsval, u32 tsecr)
{
	__be32 v;

	*opt++ = TTP_OPT_NOP;
	*opt++ = TTP_OPT_NOP;
	*opt++ = TTP_OPT_TS;
	*opt++ = TTP_OPT_TS_LEN;
	v = htonl(tsval);
	memcpy(opt, &v, 4);
	v = htonl(tsecr);
	memcpy(opt + 4, &v, 4);
}

/* Write the options of a segment with @flags at @opt. */
static void ttp_write_options(struct sock *sk, u8 *opt, u16 flags)
{
	if (flags & TTP_SYN)
		opt = ttp_put_mss(opt, ttp_adv_mss(sk));
	if (ttp_send_ts(sk, flags))
		ttp_put_ts(opt, (u32)ttp_clock_us(), ttp_ssk(sk)->ts_recent);
}

/*
 * Push the stream header (and options) in front of @skb's payload and fill
 * it for the state @sk is in; then the checksum: the device's to finish
 * when the route's can sum any protocol, else computed here.
 */
static void ttp_stream_build(struct sock *sk, struct sk_buff *skb, u32 seq,
			     u16 flags)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	unsigned int olen = ttp_opt_len(sk, flags);
	struct ttp_streamhdr *sh;

	sh = skb_push(skb, TTP_STREAM_HDR_LEN + olen);
	skb_reset_transport_header(skb);
	sh->th.source = inet_sk(sk)->inet_sport;
	sh->th.dest = sk->sk_dport;
	sh->th.len = htons(skb->len);
	sh->th.check = 0;
	sh->th.ver_type = TTP_VER_TYPE(TTP_VERSION, TTP_TYPE_STREAM);
	sh->th.doff = (TTP_STREAM_HDR_LEN + olen) / 4;
	sh->th.flags = htons(flags);
	sh->seq = htonl(seq);
	if (flags & TTP_ACK) {
		tsk->rcv_wnd = ttp_stream_rcv_window(sk);
		tsk->rcv_wup = tsk->rcv_nxt;
		sh->ack = htonl(tsk->rcv_nxt);
		sh->wnd = htonl(tsk->rcv_wnd);
	} else {
		sh->ack = 0;
		sh->wnd = htonl(ttp_stream_rcv_window(sk));
	}
	if (olen)
		ttp_write_options(sk, (u8 *)(sh + 1), flags);
	/* a GSO packet's checksums are gso.c's to finish, piece by piece */
	if (tsk->csum_hw || skb_is_gso(skb))
		ttp_set_checksum_partial(skb, sk->sk_rcv_saddr, sk->sk_daddr);
	else
		ttp_set_checksum(skb, sk->sk_rcv_saddr, sk->sk_daddr);
}

/*
 * The segments a queued @skb goes out as, at the current MSS. Not its
 * gso_segs: a copy sent in its place (ttp_stream_transmit()) has its own.
 */
static u16 ttp_tx_segs(const struct ttp_stream_sock *tsk,
		       const struct sk_buff *skb)
{
	return max_t(u32, DIV_ROUND_UP(skb->len, tsk->mss), 1);
}

/*
 * Make @skb (payload only, about to get its header) one GSO packet of
 * MSS-sized segments when it holds more than one; returns how many it
 * holds. A clone shares its skb_shared_info with the queued original:
 * written for both, as TCP's (no earlier clone is in flight, or this is a
 * copy: ttp_stream_transmit()).
 */
static u16 ttp_set_gso(const struct ttp_stream_sock *tsk, struct sk_buff *skb)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);

	shinfo->gso_type = SKB_GSO_SCTP;
	shinfo->gso_size = skb->len > tsk->mss ? tsk->mss : 0;
	shinfo->gso_segs = ttp_tx_segs(tsk, skb);
	return shinfo->gso_segs;
}

/*
 * Send what @skb (queued or not) holds: header in front of a clone or copy
 * when @keep, of @skb itself otherwise. Counts the segments (OutSegs, as
 * TCP's, counts what goes on the wire). Returns 0 or a negative errno (the
 * packet is lost; the timer resends queued ones).
 */
static int ttp_stream_transmit(struct sock *sk, struct sk_buff *skb, u16 flags,
			       bool keep, gfp_t gfp)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	u32 seq = TTP_STREAM_CB(skb)->seq;
	u16 segs;
	int err;

	if (keep) {
		skb = skb_cloned(skb) ? pskb_copy(skb, gfp) : skb_clone(skb, gfp);
		if (!skb)
			return -ENOBUFS;
	}
	skb_set_owner_w(skb, sk);
	if (flags & TTP_ACK) {	/* this one carries the ACK that was owed */
		tsk->ack_pending = 0;
		tsk->unacked_full = 0;
		ttp_stream_stop_delack(sk);
	}
	segs = ttp_set_gso(tsk, skb);
	ttp_stream_build(sk, skb, seq, flags);
	tsk->segs_out += segs;
	ttp_add_stats(sock_net(sk), TTP_MIB_OUTSEGS, segs);
	err = ip_queue_xmit(sk, skb, &inet_sk(sk)->cork.fl);
	if (err > 0)
		err = net_xmit_errno(err);
	return err;
}

/* The flags of a queued skb as sent in the current state. */
static u16 ttp_skb_flags(struct sock *sk, const struct sk_buff *skb)
{
	u16 flags = TTP_STREAM_CB(skb)->flags;

	/* everything but our very first SYN acknowledges */
	if (sk->sk_state != TCP_SYN_SENT)
		flags |= TTP_ACK;
	return flags;
}

/* A fresh skb for a control segment (no payload). */
static struct sk_buff *ttp_ctl_skb(gfp_t gfp)
{
	struct sk_buff *skb = alloc_skb(MAX_HEADER + TTP_STREAM_MAX_HDR, gfp);

	if (skb)
		skb_reserve(skb, MAX_HEADER + TTP_STREAM_MAX_HDR);
	return skb;
}

/* Queue an skb at the tail of the write queue, charged to the socket. */
static void ttp_queue_tail(struct sock *sk, struct sk_buff *skb)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	__skb_queue_tail(&sk->sk_write_queue, skb);
	sk_wmem_queued_add(sk, skb->truesize);
	ttp_mem_charge_forced(sk, skb->truesize);
	if (!tsk->send_head)
		tsk->send_head = skb;
	tsk->write_seq = TTP_STREAM_CB(skb)->end_seq;
}

/* connect() and the listener's answer: queue and send the SYN (or SYN-ACK). */
int ttp_stream_send_syn(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct sk_buff *skb;

	/* connect() may sleep; a listener answers a SYN in softirq */
	skb = ttp_ctl_skb(gfp_any());
	if (!skb)
		return -ENOBUFS;
	/* the FIN's skb, kept from now on: close() never waits for memory */
	if (!tsk->fin_skb)
		tsk->fin_skb = ttp_ctl_skb(gfp_any());
	if (!tsk->fin_skb) {
		kfree_skb(skb);
		return -ENOBUFS;
	}
	TTP_STREAM_CB(skb)->seq = tsk->iss;
	TTP_STREAM_CB(skb)->end_seq = tsk->iss + 1;
	TTP_STREAM_CB(skb)->flags = TTP_SYN;
	TTP_STREAM_CB(skb)->resent = 0;
	tsk->snd_una = tsk->iss;
	tsk->snd_nxt = tsk->iss;
	tsk->snd_max = tsk->iss;
	ttp_queue_tail(sk, skb);
	ttp_stream_push(sk, true);
	return 0;
}

/*
 * A child made from a cookie's ACK: its SYN-ACK, ISN iss, went out without
 * it; the send space after it, and the FIN's skb. 0 or -ENOBUFS.
 */
int ttp_stream_cookie_synack(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	tsk->fin_skb = ttp_ctl_skb(GFP_ATOMIC);
	if (!tsk->fin_skb)
		return -ENOBUFS;
	tsk->snd_una = tsk->iss;
	tsk->snd_nxt = tsk->iss + 1;
	tsk->snd_max = tsk->snd_nxt;
	tsk->write_seq = tsk->snd_nxt;
	tsk->snd_wl2 = tsk->iss;
	tsk->rcv_wnd = ttp_stream_rcv_window(sk);
	tsk->rcv_wup = tsk->rcv_nxt;
	return 0;
}

/* An ACK now (not queued, not retransmitted), with sequence number @seq. */
void ttp_stream_send_ack_seq(struct sock *sk, u32 seq)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct sk_buff *skb;

	if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN)
		return;
	skb = ttp_ctl_skb(GFP_ATOMIC);
	if (!skb) {
		/* try again from the delayed-ACK timer */
		tsk->ack_pending = 1;
		ttp_stream_schedule_ack(sk);
		return;
	}
	TTP_STREAM_CB(skb)->seq = seq;
	ttp_stream_transmit(sk, skb, TTP_ACK, false, GFP_ATOMIC);
}

/*
 * The sequence number of a segment that carries no data: the highest sent,
 * not snd_nxt, which a timeout's go-back moves back below what the peer
 * already holds; a segment there would be unacceptable to the peer, and
 * the ACK it carries lost with it (RFC 9293 3.10.7.4).
 */
void ttp_stream_send_ack(struct sock *sk)
{
	ttp_stream_send_ack_seq(sk, ttp_ssk(sk)->snd_max);
}

/* Abort: a reset from the connection's own state (close, SO_LINGER 0). */
void ttp_stream_send_active_reset(struct sock *sk, gfp_t gfp)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct sk_buff *skb = ttp_ctl_skb(gfp);

	if (!skb)
		return;
	TTP_STREAM_CB(skb)->seq = tsk->snd_max;	/* see ttp_stream_send_ack() */
	ttp_stream_transmit(sk, skb, TTP_RST | TTP_ACK, false, gfp);
	ttp_inc_stats(sock_net(sk), TTP_MIB_OUTRSTS);
}

/*
 * A segment of @hlen header bytes answering @in, routed back to its sender
 * (@rt, @fl4), its stream header zeroed but for ports, length, version and
 * offset; NULL for none. Softirq, no socket: the stateless answers, a reset
 * and a cookie's SYN-ACK, are built here.
 */
static struct sk_buff *ttp_reply_alloc(struct net *net, struct sk_buff *in,
				       unsigned int hlen, struct flowi4 *fl4,
				       struct rtable **rt)
{
	const struct iphdr *iph = ip_hdr(in);
	struct ttp_streamhdr *sh;
	struct sk_buff *skb;
	struct rtable *irt;

	/* never to a broadcast or multicast (the backlog may lose the route) */
	irt = skb_rtable(in);
	if (irt ? irt->rt_type != RTN_LOCAL :
	    ipv4_is_multicast(iph->daddr) || ipv4_is_lbcast(iph->daddr))
		return NULL;
	*rt = ip_route_output_ports(net, fl4, NULL, iph->saddr, iph->daddr,
				    ttp_hdr(in)->source, ttp_hdr(in)->dest,
				    ttp_protocol, 0, inet_iif(in));
	if (IS_ERR(*rt))
		return NULL;
	skb = alloc_skb(MAX_HEADER + sizeof(struct iphdr) + hlen, GFP_ATOMIC);
	if (!skb) {
		ip_rt_put(*rt);
		return NULL;
	}
	skb_reserve(skb, MAX_HEADER + sizeof(struct iphdr) + hlen);
	sh = skb_push(skb, hlen);
	skb_reset_transport_header(skb);
	memset(sh, 0, TTP_STREAM_HDR_LEN);
	sh->th.source = ttp_hdr(in)->dest;
	sh->th.dest = ttp_hdr(in)->source;
	sh->th.len = htons(hlen);
	sh->th.ver_type = TTP_VER_TYPE(TTP_VERSION, TTP_TYPE_STREAM);
	sh->th.doff = hlen / 4;
	return skb;
}

/* Checksum, IPv4 header (@tos), and out: the end of ttp_reply_alloc()'s. */
static void ttp_reply_send(struct net *net, struct sk_buff *skb,
			   struct rtable *rt, const struct flowi4 *fl4, u8 tos)
{
	struct iphdr *nh;

	ttp_set_checksum(skb, fl4->saddr, fl4->daddr);
	nh = skb_push(skb, sizeof(*nh));
	skb_reset_network_header(skb);
	nh->version = 4;
	nh->ihl = sizeof(*nh) / 4;
	nh->tos = tos;
	nh->frag_off = htons(IP_DF);
	nh->ttl = ip4_dst_hoplimit(&rt->dst);
	nh->protocol = ttp_protocol;
	nh->saddr = fl4->saddr;
	nh->daddr = fl4->daddr;
	nh->tot_len = htons(skb->len);
	ip_select_ident(net, skb, NULL);
	skb->protocol = htons(ETH_P_IP);
	skb_dst_set(skb, &rt->dst);
	ttp_inc_stats(net, TTP_MIB_OUTSEGS);
	ip_local_out(net, NULL, skb);
}

/*
 * A reset in answer to @in, a segment no connection takes (RFC 9293
 * 3.10.7.1): seq = its ACK when it had one; else seq 0 with an ACK of all
 * it occupied.
 */
void ttp_stream_send_reset(struct net *net, struct sk_buff *in)
{
	const struct ttp_stream_cb *cb = TTP_STREAM_CB(in);
	struct ttp_streamhdr *sh;
	struct sk_buff *skb;
	struct rtable *rt;
	struct flowi4 fl4;
	u16 flags = TTP_RST;

	if (cb->flags & TTP_RST)
		return;		/* never answer a reset */
	skb = ttp_reply_alloc(net, in, TTP_STREAM_HDR_LEN, &fl4, &rt);
	if (!skb)
		return;
	sh = (void *)skb_transport_header(skb);
	if (cb->flags & TTP_ACK) {
		sh->seq = htonl(cb->ack);
	} else {
		flags |= TTP_ACK;
		sh->ack = htonl(cb->end_seq);
	}
	sh->th.flags = htons(flags);
	ttp_inc_stats(net, TTP_MIB_OUTRSTS);
	ttp_reply_send(net, skb, rt, &fl4, 0);
}

/*
 * A listener @sk's SYN-ACK to the SYN @syn, with the sequence number
 * @cookie and nothing kept: the window of a new child of @sk, our MSS,
 * timestamps if the SYN had them.
 */
void ttp_stream_send_cookie(struct sock *sk, struct sk_buff *syn, u32 cookie)
{
	const struct ttp_stream_cb *cb = TTP_STREAM_CB(syn);
	unsigned int hlen = TTP_STREAM_HDR_LEN + TTP_OPT_MSS_LEN +
			    (cb->has_ts ? TTP_OPT_TS_ALIGNED : 0);
	struct net *net = sock_net(sk);
	struct ttp_streamhdr *sh;
	struct sk_buff *skb;
	struct rtable *rt;
	struct flowi4 fl4;
	u8 *opt;

	skb = ttp_reply_alloc(net, syn, hlen, &fl4, &rt);
	if (!skb)
		return;
	sh = (void *)skb_transport_header(skb);
	sh->th.flags = htons(TTP_SYN | TTP_ACK);
	sh->seq = htonl(cookie);
	sh->ack = htonl(cb->seq + 1);
	sh->wnd = htonl(min_t(u32, READ_ONCE(sk->sk_rcvbuf) / 2, TTP_WND_MAX));
	opt = ttp_put_mss((u8 *)(sh + 1),
			  min_t(u32, dst_mtu(&rt->dst) - TTP_STREAM_OVERHEAD,
				0xffff));
	if (cb->has_ts)
		ttp_put_ts(opt, (u32)ttp_clock_us(), cb->tsval);
	ttp_inc_stats(net, TTP_MIB_SYNCOOKIESSENT);
	ttp_reply_send(net, skb, rt, &fl4, READ_ONCE(inet_sk(sk)->tos));
}

/*
 * Nagle (RFC 9293 3.7.4): hold a segment shorter than the MSS while data
 * is unacknowledged, unless TTP_NODELAY, or it carries FIN, or @force.
 */
static bool ttp_nagle_holds(const struct ttp_stream_sock *tsk,
			    const struct sk_buff *skb, bool force)
{
	return !force && !tsk->nodelay && ttp_in_flight(tsk) &&
	       skb->len < tsk->mss && !(TTP_STREAM_CB(skb)->flags & TTP_FIN);
}

static int ttp_stream_split(struct sock *sk, struct sk_buff *skb, u32 len);

/*
 * A queued @skb about to be changed in place (split, trimmed) while a
 * clone of it may be in flight: it gets a head and fragment array of its
 * own, its truesize kept, so that the write queue's charge stays exact.
 * 0 or -ENOBUFS.
 */
static int ttp_skb_unshare(struct sk_buff *skb)
{
	u32 truesize = skb->truesize;

	if (!skb_cloned(skb))
		return 0;
	if (pskb_expand_head(skb, 0, 0, GFP_ATOMIC))
		return -ENOBUFS;
	skb->truesize = truesize;	/* what the queue was charged */
	return 0;
}

/*
 * A sent skb goes again: count it (its segments, as TCP's RetransSegs)
 * and trace it.
 */
static void ttp_count_resend(struct sock *sk, struct sk_buff *skb,
			     enum ttp_resend_reason why)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	u16 segs = ttp_tx_segs(tsk, skb);

	TTP_STREAM_CB(skb)->resent = 1;
	ttp_trace_resend(sk, skb, segs, why);
	tsk->bytes_retrans += skb->len;
	tsk->segs_retrans += segs;
	ttp_add_stats(sock_net(sk), TTP_MIB_RETRANSSEGS, segs);
}

/*
 * The peer acknowledged the first part of @skb (a GSO packet is
 * acknowledged segment by segment): drop that part before @skb goes
 * again, so that only unacknowledged bytes are resent, as TCP's
 * tcp_trim_head(). The payload is all in page fragments (stream_io.c).
 * A clone may be in flight: @skb gets fragments of its own first, as in
 * ttp_stream_split(). 0 or -ENOBUFS.
 */
static int ttp_stream_trim_acked(struct sock *sk, struct sk_buff *skb)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	u32 eat = tsk->snd_una - TTP_STREAM_CB(skb)->seq, size;
	struct skb_shared_info *shinfo = skb_shinfo(skb);
	int i, k = 0;

	if (!ttp_seq_after(tsk->snd_una, TTP_STREAM_CB(skb)->seq) ||
	    eat >= skb->len || skb_headlen(skb))
		return 0;
	if (ttp_skb_unshare(skb))
		return -ENOBUFS;
	TTP_STREAM_CB(skb)->seq += eat;
	skb->len -= eat;
	skb->data_len -= eat;
	skb->truesize -= eat;
	sk_wmem_queued_add(sk, -eat);
	sk_mem_uncharge(sk, eat);
	for (i = 0; i < shinfo->nr_frags; i++) {
		size = skb_frag_size(&shinfo->frags[i]);
		if (size <= eat) {
			/* a page_frag's page, referenced by get_page() */
			put_page(skb_frag_page(&shinfo->frags[i]));
			eat -= size;
			continue;
		}
		shinfo->frags[k] = shinfo->frags[i];
		if (eat) {
			skb_frag_off_add(&shinfo->frags[k], eat);
			skb_frag_size_sub(&shinfo->frags[k], eat);
			eat = 0;
		}
		k++;
	}
	shinfo->nr_frags = k;
	return 0;
}

/* How many of @skb's payload bytes the peer's window takes. */
static u32 ttp_wnd_room(const struct ttp_stream_sock *tsk,
			const struct sk_buff *skb)
{
	u32 edge = tsk->snd_una + tsk->snd_wnd, seq = TTP_STREAM_CB(skb)->seq;

	return ttp_seq_after(edge, seq) ? edge - seq : 0;
}

/*
 * Does the peer's window take @skb? When it takes only part, that part is
 * split off and sent if it is worth a segment: half an MSS, or anything
 * when nothing is in flight (sender-side silly window avoidance, RFC 9293
 * 3.8.6.2.1). A bare SYN or FIN needs no window.
 */
static bool ttp_snd_wnd_ok(struct sock *sk, struct sk_buff *skb)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	u32 room = ttp_wnd_room(tsk, skb);

	if (!skb->len || room >= skb->len)
		return true;
	if (!room || (ttp_in_flight(tsk) && room < tsk->mss / 2))
		return false;
	return !ttp_stream_split(sk, skb, room);
}

/*
 * How many bytes of @skb the congestion window takes on top of what is in
 * flight: all of it, or whole segments of it, or one segment when nothing
 * is in flight; 0 for none. Limited transmit (RFC 3042): the first two
 * duplicate ACKs each let one more segment of new data go beyond cwnd, so
 * that a small window still draws the three duplicate ACKs that fast
 * retransmit needs.
 */
static u32 ttp_cwnd_quota(const struct ttp_stream_sock *tsk,
			  const struct sk_buff *skb)
{
	u32 room = tsk->cong.cwnd, flight = ttp_in_flight(tsk);

	if (!tsk->cong.in_recovery &&
	    !ttp_seq_before(TTP_STREAM_CB(skb)->seq, tsk->snd_max))
		room += min_t(u32, tsk->cong.dupacks, 2) * tsk->mss;
	if (!flight)
		return max(room, tsk->mss);
	if (flight >= room)
		return 0;
	room -= flight;
	return room >= skb->len ? room : rounddown(room, tsk->mss);
}

/*
 * Cut @skb, at send_head, to what may go now: no more than the congestion
 * window's quota and the largest GSO packet. False when none of it may.
 */
static bool ttp_send_quota(struct sock *sk, struct sk_buff *skb, bool *limited)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	u32 quota = ttp_cwnd_quota(tsk, skb);

	if (!quota) {
		*limited = true;
		return false;
	}
	quota = min(quota, max(tsk->gso_max, tsk->mss));
	return skb->len <= quota || !ttp_stream_split(sk, skb, quota);
}

/*
 * Split @skb so that its first @len bytes stay; the rest follows it in a
 * new skb. The payload is in page fragments (stream_io.c): they move, they
 * are not copied. A clone of @skb may be in flight: @skb gets a head of its
 * own first, its truesize kept, so that the write queue's charge stays
 * exact.
 */
static int ttp_stream_split(struct sock *sk, struct sk_buff *skb, u32 len)
{
	u32 rest = skb->len - len;
	struct sk_buff *nskb;

	if (ttp_skb_unshare(skb))
		return -ENOBUFS;
	nskb = alloc_skb(MAX_HEADER + TTP_STREAM_MAX_HDR, GFP_ATOMIC);
	if (!nskb)
		return -ENOBUFS;
	skb_reserve(nskb, MAX_HEADER + TTP_STREAM_MAX_HDR);
	sk_wmem_queued_add(sk, nskb->truesize);
	ttp_mem_charge_forced(sk, nskb->truesize);
	skb_split(skb, nskb, len);
	skb->truesize -= rest;
	nskb->truesize += rest;
	*TTP_STREAM_CB(nskb) = *TTP_STREAM_CB(skb);
	TTP_STREAM_CB(nskb)->seq = TTP_STREAM_CB(skb)->seq + len;
	TTP_STREAM_CB(skb)->end_seq = TTP_STREAM_CB(nskb)->seq;
	TTP_STREAM_CB(skb)->flags &= ~TTP_FIN;
	/* sent or not, the second part is where the first was: send_head stays */
	__skb_queue_after(&sk->sk_write_queue, skb, nskb);
	return 0;
}

/*
 * The route's MTU moved under the MSS: an ICMP error about another
 * connection to the same host lowered the path's MTU (or it expired and
 * rose again). Set the MSS anew before sending, as tcp_current_mss():
 * segments sized for the old MTU would go out as IP fragments, or not at
 * all.
 */
static void ttp_stream_sync_mss(struct sock *sk)
{
	struct dst_entry *dst = ttp_stream_route(sk);

	if (!IS_ERR(dst) && dst_mtu(dst) != ttp_ssk(sk)->pmtu_cookie)
		ttp_stream_set_mss(sk);
}

/*
 * RFC 5681 4.1 (Linux's tcp_slow_start_after_idle): nothing in flight and
 * nothing sent for longer than an RTO, the window has gone stale; start
 * again from the restart window.
 */
static void ttp_stream_idle_restart(struct ttp_stream_sock *tsk)
{
	u32 cwnd = tsk->cong.cwnd, ssthresh = tsk->cong.ssthresh;

	if (ttp_in_flight(tsk) || !tsk->last_send_us ||
	    ttp_clock_us() - tsk->last_send_us <= ttp_rto_timeout(&tsk->rto))
		return;
	ttp_cong_after_idle(&tsk->cong);
	ttp_trace_cwnd(&tsk->ts.inet.sk, cwnd, ssthresh);
	tsk->last_send_us = 0;
}

/*
 * How much of the window the sender uses (RFC 7661; Linux's
 * tcp_cwnd_validate()), the strongest signal over the last window of
 * data: whether cwnd held data back (@limited), else the most in flight.
 */
static void ttp_cwnd_validate(struct ttp_stream_sock *tsk, bool limited)
{
	if (!ttp_seq_before(tsk->snd_una, tsk->cwnd_usage_seq) || limited ||
	    (!tsk->cwnd_limited && ttp_in_flight(tsk) > tsk->max_flight)) {
		tsk->cwnd_limited = limited;
		tsk->max_flight = ttp_in_flight(tsk);
		tsk->cwnd_usage_seq = tsk->snd_nxt;
	}
}

/*
 * Should an ACK grow cwnd? Yes if cwnd held data back in the last window;
 * in slow start, also while it is below twice the most that was in flight
 * (as tcp_is_cwnd_limited()).
 */
bool ttp_cwnd_used(const struct ttp_stream_sock *tsk)
{
	if (tsk->cwnd_limited)
		return true;
	return tsk->cong.cwnd < tsk->cong.ssthresh &&
	       tsk->cong.cwnd < 2 * tsk->max_flight;
}

/*
 * Send what the gates let through, from send_head on. @force skips Nagle
 * (a push at the end of a write, a FIN, a window probe's aftermath).
 */
void ttp_stream_push(struct sock *sk, bool force)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	bool sent = false, limited = false;
	struct sk_buff *skb;

	if (tsk->send_head) {
		ttp_stream_sync_mss(sk);
		ttp_stream_idle_restart(tsk);
	}
	while ((skb = tsk->send_head)) {
		if (ttp_stream_trim_acked(sk, skb) ||
		    !ttp_send_quota(sk, skb, &limited))
			break;
		if (ttp_nagle_holds(tsk, skb, force) || !ttp_snd_wnd_ok(sk, skb))
			break;
		if (ttp_stream_transmit(sk, skb, ttp_skb_flags(sk, skb), true,
					GFP_ATOMIC))
			break;
		TTP_STREAM_CB(skb)->sent_us = ttp_clock_us();
		tsk->last_send_us = TTP_STREAM_CB(skb)->sent_us;
		tsk->bytes_sent += skb->len;
		tsk->snd_nxt = TTP_STREAM_CB(skb)->end_seq;
		if (!ttp_seq_after(tsk->snd_nxt, tsk->snd_max)) {
			/* sent before: resent after a timeout's go-back */
			ttp_count_resend(sk, skb, TTP_RESEND_TIMEOUT);
		} else {
			tsk->snd_max = tsk->snd_nxt;
		}
		if (!tsk->rtt_start_us && !TTP_STREAM_CB(skb)->resent) {
			tsk->rtt_seq = tsk->snd_nxt;
			tsk->rtt_start_us = TTP_STREAM_CB(skb)->sent_us;
		}
		tsk->send_head = skb_queue_is_last(&sk->sk_write_queue, skb) ?
				 NULL : skb->next;
		sent = true;
	}
	if (sent || limited)
		ttp_cwnd_validate(tsk, limited);
	if (sent && tsk->rtx_kind != TTP_RTX_RETRANSMIT)
		ttp_stream_arm_rtx(sk, TTP_RTX_RETRANSMIT,
				   usecs_to_jiffies(ttp_rto_timeout(&tsk->rto)));
	/* data waits, nothing in flight: the peer's window is shut, probe it */
	if (tsk->send_head && !ttp_in_flight(tsk) &&
	    tsk->rtx_kind == TTP_RTX_NONE)
		ttp_stream_arm_rtx(sk, TTP_RTX_PERSIST,
				   usecs_to_jiffies(ttp_rto_timeout(&tsk->rto)));
}

/* Queue the FIN after all data: on the last unsent skb, or alone. */
void ttp_stream_send_fin(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct sk_buff *tail = skb_peek_tail(&sk->sk_write_queue);

	if (tsk->fin_sent)
		return;
	tsk->fin_sent = 1;
	if (tail && tsk->send_head &&
	    !(TTP_STREAM_CB(tail)->flags & (TTP_SYN | TTP_FIN))) {
		TTP_STREAM_CB(tail)->flags |= TTP_FIN;
		TTP_STREAM_CB(tail)->end_seq++;
		tsk->write_seq++;
	} else {
		/* the skb kept since the SYN (allocated here only as a last resort) */
		tail = tsk->fin_skb ?: ttp_ctl_skb(sk->sk_allocation);
		tsk->fin_skb = NULL;
		if (!tail) {
			/* no FIN without memory: abort rather than hang */
			ttp_stream_send_active_reset(sk, GFP_ATOMIC);
			ttp_stream_reset(sk, sock_flag(sk, SOCK_DEAD) ? 0 :
					 ENOMEM);
			return;
		}
		TTP_STREAM_CB(tail)->seq = tsk->write_seq;
		TTP_STREAM_CB(tail)->end_seq = tsk->write_seq + 1;
		TTP_STREAM_CB(tail)->flags = TTP_FIN;
		TTP_STREAM_CB(tail)->resent = 0;
		ttp_queue_tail(sk, tail);
	}
	ttp_stream_push(sk, true);
}

/*
 * Resend the first unacknowledged segment (timeout, fast retransmit).
 * Returns 1 when it went out, 0 when nothing is unacknowledged, or a
 * negative errno.
 */
int ttp_stream_retransmit(struct sock *sk, enum ttp_resend_reason why)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);
	int err;

	if (!skb || skb == tsk->send_head)
		return 0;
	ttp_stream_sync_mss(sk);
	err = ttp_stream_trim_acked(sk, skb);
	if (err)
		return err;
	if (skb->len > tsk->mss) {
		err = ttp_stream_split(sk, skb, tsk->mss);
		if (err)
			return err;
	}
	err = ttp_stream_transmit(sk, skb, ttp_skb_flags(sk, skb), true,
				  GFP_ATOMIC);
	if (err)
		return err;
	TTP_STREAM_CB(skb)->sent_us = ttp_clock_us();
	ttp_count_resend(sk, skb, why);
	/* Karn: a sample that a resent segment could complete is void */
	if (tsk->rtt_start_us && ttp_seq_before(tsk->snd_una, tsk->rtt_seq))
		tsk->rtt_start_us = 0;
	return 1;
}

/*
 * The persist timer's probe of a shut window: as Linux's, an empty segment
 * one below snd_una, which the peer must answer with an ACK that carries
 * its window. No byte goes beyond the window: one sent there would be
 * dropped and need resending once the window opens.
 */
void ttp_stream_send_probe(struct sock *sk)
{
	ttp_stream_send_ack_seq(sk, ttp_ssk(sk)->snd_una - 1);
}

/*
 * Drop what @ack acknowledges from the write queue: whole skbs only (a
 * partly acknowledged one stays whole until it goes again:
 * ttp_stream_trim_acked()).
 */
void ttp_stream_clean_rtx(struct sock *sk, u32 ack)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct sk_buff *skb;

	while ((skb = skb_peek(&sk->sk_write_queue))) {
		if (ttp_seq_after(TTP_STREAM_CB(skb)->end_seq, ack))
			break;
		/* after a go-back, the peer may hold what we meant to resend */
		if (skb == tsk->send_head)
			tsk->send_head = skb_queue_is_last(&sk->sk_write_queue,
							   skb) ? NULL : skb->next;
		__skb_unlink(skb, &sk->sk_write_queue);
		sk_wmem_queued_add(sk, -skb->truesize);
		sk_mem_uncharge(sk, skb->truesize);
		tsk->bytes_acked += skb->len;
		consume_skb(skb);	/* delivered: no drop */
	}
}

/*
 * Throw away the write queue and the out-of-order data (the connection is
 * over), and with @all the in-order data too (the socket is going).
 */
void ttp_stream_purge(struct sock *sk, bool all)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&sk->sk_write_queue))) {
		sk_wmem_queued_add(sk, -skb->truesize);
		sk_mem_uncharge(sk, skb->truesize);
		kfree_skb(skb);
	}
	tsk->send_head = NULL;
	ttp_stream_ofo_purge(sk);
	if (all)
		skb_queue_purge(&sk->sk_receive_queue);
}

/* Throw away the out-of-order data (sock_rfree() uncharges it). */
void ttp_stream_ofo_purge(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct sk_buff *skb;
	struct rb_node *n;

	while ((n = rb_first(&tsk->ofo_root))) {
		skb = rb_entry(n, struct sk_buff, rbnode);
		rb_erase(n, &tsk->ofo_root);
		kfree_skb(skb);
	}
	ttp_ofo_init(&tsk->ofo, TTP_OFO_MAX_RANGES);
}

/*
 * The send MSS from the route (and the peer's announcement): MTU less IPv4
 * and stream headers, less the options every segment carries (timestamps,
 * IP_OPTIONS: the announced MSS counts none), as TCP's __tcp_mtu_to_mss().
 * Computed signed: a peer's MSS of 1 gives the floor, TTP_MSS_MIN, not a
 * wrapped u32. Returns it, or -EHOSTUNREACH without a route.
 */
int ttp_stream_set_mss(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct dst_entry *dst = ttp_stream_route(sk);
	int mss;

	if (IS_ERR(dst))
		return PTR_ERR(dst);
	mss = (int)dst_mtu(dst) - TTP_STREAM_OVERHEAD;
	if (tsk->peer_mss)
		mss = min_t(int, mss, tsk->peer_mss);
	if (tsk->ts_ok)
		mss -= TTP_OPT_TS_ALIGNED;
	mss -= (int)ttp_ip_optlen(sk);
	tsk->mss = max(mss, TTP_MSS_MIN);
	tsk->cong.mss = tsk->mss;
	tsk->pmtu_cookie = dst_mtu(dst);
	return tsk->mss;
}

/*
 * The route to the peer, checked or looked up again, cached in the socket
 * (ip_queue_xmit() uses it). Returns it or an ERR_PTR.
 */
struct dst_entry *ttp_stream_route(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	struct dst_entry *dst = __sk_dst_check(sk, 0);
	struct flowi4 *fl4 = &inet->cork.fl.u.ip4;
	struct rtable *rt;

	if (dst)
		return dst;
	rt = ip_route_output_ports(sock_net(sk), fl4, sk, sk->sk_daddr,
				   inet->inet_saddr, sk->sk_dport,
				   inet->inet_sport, ttp_protocol, 0,
				   sk->sk_bound_dev_if);
	if (IS_ERR(rt))
		return ERR_CAST(rt);
	ttp_stream_setup_caps(sk, &rt->dst);
	return &rt->dst;
}

/*
 * The socket takes @dst (its reference) and what its device can do. Not
 * from sk_route_caps: sk_setup_caps() sets NETIF_F_HW_CSUM there for any
 * socket it lets do GSO, whatever the device (for TCP's software
 * checksums), so the checksum offload is decided by the device's own
 * features. GSO is always on, as TCP's (software GSO where the device has
 * none), but not through an IPsec transform that cannot take it.
 */
void ttp_stream_setup_caps(struct sock *sk, struct dst_entry *dst)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	sk->sk_gso_type = SKB_GSO_SCTP;
	sk_setup_caps(sk, dst);
	tsk->csum_hw = dst->dev->features & NETIF_F_HW_CSUM;
	tsk->gso_max = dst->header_len ? 0 : TTP_GSO_MAX;
}

/*
 * How many payload bytes an skb of the write queue holds: about a
 * millisecond of data at the rate the window allows (cwnd / SRTT, as
 * tcp_tso_autosize()), and no more than half of the congestion and send
 * windows, so that a window is never one packet: when a packet is lost,
 * the ones after it draw the duplicate ACKs that fast retransmit needs.
 * Whole segments, at least two, at most gso_max; the MSS without GSO.
 */
u32 ttp_stream_size_goal(const struct ttp_stream_sock *tsk)
{
	u32 srtt = ttp_rto_srtt_us(&tsk->rto), wnd, goal;

	if (!tsk->gso_max || tsk->gso_max < 2 * tsk->mss)
		return tsk->mss;
	wnd = min(tsk->cong.cwnd, tsk->snd_wnd ?: tsk->cong.cwnd) / 2;
	goal = srtt ? div_u64((u64)tsk->cong.cwnd * USEC_PER_MSEC, srtt) :
		      wnd;
	goal = clamp(min(goal, wnd), 2 * tsk->mss, tsk->gso_max);
	return rounddown(goal, tsk->mss);
}

/*
 * The path takes fewer bytes than we send (ICMP fragmentation needed, the
 * route's PMTU already lowered): lower the MSS and resend what was lost at
 * the new size (RFC 1191).
 */
void ttp_stream_mtu_reduced(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	struct dst_entry *dst = ttp_stream_route(sk);
	u32 old = tsk->mss;

	if (IS_ERR(dst))
		return;
	/* as inet_csk_update_pmtu(): the route learns the path's MTU */
	dst->ops->update_pmtu(dst, sk, NULL, READ_ONCE(tsk->mtu_info), true);
	dst = ttp_stream_route(sk);
	if (IS_ERR(dst) || dst_mtu(dst) - TTP_STREAM_OVERHEAD >= old)
		return;
	ttp_stream_set_mss(sk);
	if (tsk->mss >= old || !ttp_in_flight(tsk) ||
	    (1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
		return;
	/*
	 * Everything in flight was sent too big and is lost: all of it goes
	 * again at the new size (as tcp_simple_retransmit()), not only the
	 * first segment. Go back to snd_una; the push splits and resends.
	 */
	tsk->send_head = skb_peek(&sk->sk_write_queue);
	tsk->snd_nxt = tsk->snd_una;
	tsk->rtt_start_us = 0;	/* Karn */
	ttp_stream_push(sk, true);
}
