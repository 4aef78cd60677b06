// SPDX-License-Identifier: GPL-2.0
/*
 * The way out: route a packet and hand it to IPv4. TTP packets leave with
 * their checksum computed in software (CHECKSUM_NONE). That is TTP's choice,
 * not a limit of the devices: those with NETIF_F_HW_CSUM (loopback, veth,
 * virtio-net when the host offers checksum offload, many NICs) compute the
 * checksum of any protocol from the csum_start and csum_offset a
 * CHECKSUM_PARTIAL skb gives them; using that is the stream's batching work.
 */
#include <net/ip.h>
#include <net/route.h>

#include "ttp.h"

/*
 * Route from @sk's bound address and port to daddr:dport, out of the bound
 * device, else the IP_UNICAST_IF one, as for UDP; a send's IP_PKTINFO
 * (@ipc, may be NULL) overrides source and device. On success returns the
 * route and fills @fl4, whose saddr is the source to use.
 */
struct rtable *ttp_route(struct sock *sk, struct flowi4 *fl4,
			 __be32 daddr, __be16 dport, const struct ttp_ipc *ipc)
{
	struct inet_sock *inet = inet_sk(sk);
	int oif = sk->sk_bound_dev_if ?: READ_ONCE(inet->uc_index);
	__be32 saddr = inet->inet_saddr;

	if (ipc && ipc->oif)
		oif = ipc->oif;
	if (ipc && ipc->saddr)
		saddr = ipc->saddr;
	return ip_route_output_ports(sock_net(sk), fl4, sk, daddr, saddr,
				     dport, inet->inet_sport, ttp_protocol, 0,
				     oif);
}

/*
 * The length of the socket's IP options (IP_OPTIONS), which IPv4 puts
 * between its header and ours: read under RCU, as __ip_queue_xmit() does.
 * Headroom is reserved for the most they can be (TTP_IP_HLEN_MAX), since
 * they may change between this read and IPv4's.
 */
unsigned int ttp_ip_optlen(struct sock *sk)
{
	struct ip_options_rcu *opt;
	unsigned int len = 0;

	rcu_read_lock();
	opt = rcu_dereference(inet_sk(sk)->inet_opt);
	if (opt)
		len = opt->opt.optlen;
	rcu_read_unlock();
	return len;
}

/*
 * Send @skb, its TTP header at skb->data, along the route in its dst, with
 * addresses from @fl4, and the TOS of @ipc (may be NULL) or the socket.
 * Consumes the skb. Returns 0 or a negative errno.
 */
int ttp_xmit(struct sock *sk, struct sk_buff *skb, struct flowi4 *fl4,
	     const struct ttp_ipc *ipc)
{
	u8 tos = ipc && ipc->tos >= 0 ? ipc->tos : READ_ONCE(inet_sk(sk)->tos);
	unsigned int optlen = ttp_ip_optlen(sk);
	struct dst_entry *dst = skb_dst(skb);
	unsigned int mtu;
	int err;

	/*
	 * Path MTU discovery as UDP does it: a datagram too big for the path
	 * fails with EMSGSIZE under IP_PMTUDISC_DO/PROBE; otherwise it goes
	 * without DF, for IP to fragment.
	 */
	mtu = ip_sk_use_pmtu(sk) ? dst_mtu(dst) : READ_ONCE(dst->dev->mtu);
	if (skb->len + sizeof(struct iphdr) + optlen > mtu) {
		if (!ip_sk_ignore_df(sk)) {
			/* UDP names the connected peer's port, if any. */
			ttp_queue_local_error(sk, fl4->daddr,
					      READ_ONCE(inet_sk(sk)->inet_dport),
					      mtu - optlen);
			kfree_skb(skb);
			return -EMSGSIZE;
		}
		skb->ignore_df = 1;
	}
	ttp_set_checksum(skb, fl4->saddr, fl4->daddr);
	err = __ip_queue_xmit(sk, skb, flowi4_to_flowi(fl4), tos);
	if (err > 0)
		err = net_xmit_errno(err);
	return err;
}

/*
 * After an ICMP error changed the routing state (a path MTU, a redirect),
 * give a connected socket a fresh route in place of the stale one it keeps
 * for IP_MTU, as IPv4 does for its own sockets. Softirq; when the socket is
 * owned, its route is refreshed by the next connect.
 */
static void ttp_dst_refresh(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	struct flowi4 fl4;
	struct rtable *rt;

	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk) && sk->sk_state == TCP_ESTABLISHED &&
	    !__sk_dst_check(sk, 0)) {
		rt = ttp_route(sk, &fl4, inet->inet_daddr, inet->inet_dport,
			       NULL);
		if (!IS_ERR(rt))
			__sk_dst_set(sk, &rt->dst);
	}
	bh_unlock_sock(sk);
}

/*
 * ICMP "fragmentation needed" about a packet @sk sent (skb->data at its IP
 * header): record the path MTU @mtu for later sends, and refresh @sk's route.
 */
void ttp_update_pmtu(struct sock *sk, struct sk_buff *skb, u32 mtu)
{
	ipv4_update_pmtu(skb, sock_net(sk), mtu,
			 READ_ONCE(sk->sk_bound_dev_if), ttp_protocol);
	ttp_dst_refresh(sk);
}

/* ICMP redirect about a packet @sk sent: the same for the new gateway. */
void ttp_redirect(struct sock *sk, struct sk_buff *skb)
{
	ipv4_redirect(skb, sock_net(sk), READ_ONCE(sk->sk_bound_dev_if),
		      ttp_protocol);
	ttp_dst_refresh(sk);
}
