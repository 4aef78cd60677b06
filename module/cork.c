// SPDX-License-Identifier: GPL-2.0
/*
 * Corking: with MSG_MORE, or while TTP_CORK is on, each send adds its bytes
 * to a pending datagram instead of sending one; the first send without
 * either (or clearing TTP_CORK) sends the whole as one datagram, to where
 * the first send said, as UDP does. All of it runs under the socket lock
 * (the cork fields of struct ttp_sock, see ttp.h).
 */
#include <net/ip.h>
#include <net/route.h>

#include "ttp.h"

/* Room for the link, IP and TTP headers in front of the first piece. */
#define TTP_CORK_HROOM	(MAX_HEADER + TTP_IP_HLEN_MAX + TTP_HDR_LEN)

/*
 * Add @len bytes from @msg to the pending datagram. The destination is
 * already in pending_daddr/dport, the path MTU in pending_mtu. On any error
 * the pending datagram is dropped, as UDP drops its cork. Socket lock held.
 */
int ttp_cork_append(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct ttp_sock *ts = ttp_sk(sk);
	size_t linear = min_t(size_t, len, SKB_MAX_HEAD(TTP_CORK_HROOM));
	unsigned int optlen = ttp_ip_optlen(sk);
	struct sk_buff *skb;
	int err;

	if (len > TTP_MAX_DGRAM - optlen - ts->pending_len) {
		err = -EMSGSIZE;
		goto drop;
	}
	/* IP_PMTUDISC_DO/PROBE: as UDP, the piece that overflows the path. */
	if (!ip_sk_ignore_df(sk) &&
	    sizeof(struct iphdr) + optlen + TTP_HDR_LEN + ts->pending_len +
	    len > ts->pending_mtu) {
		ttp_queue_local_error(sk, ts->pending_daddr,
				      inet_sk(sk)->inet_dport,
				      ts->pending_mtu - optlen);
		err = -EMSGSIZE;
		goto drop;
	}
	/*
	 * Nothing to add: a later empty piece would become an empty IP
	 * fragment, which makes the receiver drop the whole datagram. The
	 * first piece is queued even empty: it carries the header.
	 */
	if (!len && !skb_queue_empty(&ts->pending))
		return 0;
	skb = sock_alloc_send_pskb(sk, TTP_CORK_HROOM + linear, len - linear,
				   msg->msg_flags & MSG_DONTWAIT, &err,
				   PAGE_ALLOC_COSTLY_ORDER);
	if (!skb)
		goto drop;
	skb_reserve(skb, TTP_CORK_HROOM);
	skb_put(skb, linear);
	skb->data_len = len - linear;
	skb->len = len;
	err = skb_copy_datagram_from_iter(skb, 0, &msg->msg_iter, len);
	if (err) {
		kfree_skb(skb);
		goto drop;
	}
	__skb_queue_tail(&ts->pending, skb);
	ts->pending_len += len;
	return 0;
drop:
	ttp_cork_flush(sk);
	return err;
}

/*
 * Make one skb of the pending pieces: the first is the head, the others
 * hang on its frag_list, their memory charged to the head.
 */
static struct sk_buff *ttp_cork_chain(struct ttp_sock *ts)
{
	struct sk_buff *head, *skb, **tail;

	head = __skb_dequeue(&ts->pending);
	tail = &skb_shinfo(head)->frag_list;
	while ((skb = __skb_dequeue(&ts->pending))) {
		*tail = skb;
		tail = &skb->next;
		head->len += skb->len;
		head->data_len += skb->len;
		head->truesize += skb->truesize;
		/* Freed with the head, which now carries their charge. */
		skb->destructor = NULL;
		skb->sk = NULL;
	}
	ts->pending_len = 0;
	return head;
}

/* Send the pending datagram. Socket lock held; the cork is empty after. */
int ttp_cork_push(struct sock *sk)
{
	struct ttp_sock *ts = ttp_sk(sk);
	struct sk_buff *skb;
	struct flowi4 fl4;
	struct rtable *rt;

	if (skb_queue_empty(&ts->pending))
		return 0;
	rt = ttp_route(sk, &fl4, ts->pending_daddr, ts->pending_dport,
		       &ts->pending_ipc);
	if (IS_ERR(rt)) {
		ttp_cork_flush(sk);
		return PTR_ERR(rt);
	}
	skb = ttp_cork_chain(ts);
	return ttp_dgram_send_skb(sk, skb, rt, &fl4, ts->pending_dport,
				  &ts->pending_ipc);
}

void ttp_cork_flush(struct sock *sk)
{
	struct ttp_sock *ts = ttp_sk(sk);

	__skb_queue_purge(&ts->pending);
	ts->pending_len = 0;
}
