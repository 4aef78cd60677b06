// SPDX-License-Identifier: GPL-2.0
/*
 * What every TTP socket shares, whatever its type: address checks, names,
 * options, creation and release.
 */
#include <linux/capability.h>
#include <linux/in.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/route.h>

#include "ttp.h"

/*
 * Does @sk take addresses of @family: AF_TTP, or AF_INET too while
 * TTP_INET_ADDRS is on (sockaddr_in and sockaddr_ttp are laid out alike)?
 */
bool ttp_family_ok(const struct sock *sk, sa_family_t family)
{
	return family == ttp_family ||
	       (family == AF_INET && READ_ONCE(ttp_sk(sk)->inet_addrs));
}

/* The family @sk gives its addresses in (TTP_INET_ADDRS: AF_INET) */
sa_family_t ttp_addr_family(const struct sock *sk)
{
	return READ_ONCE(ttp_sk(sk)->inet_addrs) ? AF_INET : ttp_family;
}

/*
 * Check a user-supplied address the way inet_bind() does: -EINVAL when too
 * short, -EAFNOSUPPORT for a foreign family. AF_UNSPEC with INADDR_ANY is
 * accepted, an old quirk of the IPv4 API that programs rely on.
 */
int ttp_check_sockaddr(const struct sock *sk, const struct sockaddr *uaddr,
		       int addr_len)
{
	const struct sockaddr_ttp *addr = (const struct sockaddr_ttp *)uaddr;

	if (addr_len < (int)sizeof(*addr))
		return -EINVAL;
	if (ttp_family_ok(sk, addr->sttp_family))
		return 0;
	if (addr->sttp_family == AF_UNSPEC &&
	    addr->sttp_addr.s_addr == htonl(INADDR_ANY))
		return 0;
	return -EAFNOSUPPORT;
}

/*
 * May @sk bind to @addr? Returns the address's route type (RTN_LOCAL,
 * RTN_BROADCAST for INADDR_ANY, ...) or -EADDRNOTAVAIL. As for UDP, any
 * address will do with ip_nonlocal_bind, IP_FREEBIND or IP_TRANSPARENT.
 */
int ttp_local_addr_type(struct sock *sk, __be32 addr)
{
	struct net *net = sock_net(sk);
	unsigned int type = inet_addr_type(net, addr);

	switch (type) {
	case RTN_LOCAL:
	case RTN_MULTICAST:
	case RTN_BROADCAST:
		return type;
	}
	if (inet_can_nonlocal_bind(net, inet_sk(sk)))
		return RTN_UNICAST;
	return -EADDRNOTAVAIL;
}

/* Does binding @port in @net take CAP_NET_BIND_SERVICE, which we lack? */
bool ttp_needs_bind_cap(struct net *net, u16 port)
{
	return port < READ_ONCE(net->ipv4.sysctl_ip_prot_sock) &&
	       !ns_capable(net->user_ns, CAP_NET_BIND_SERVICE);
}

int ttp_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	DECLARE_SOCKADDR(struct sockaddr_ttp *, sin, uaddr);
	struct sock *sk = sock->sk;
	struct inet_sock *inet = inet_sk(sk);

	memset(sin, 0, sizeof(*sin));
	sin->sttp_family = ttp_addr_family(sk);
	lock_sock(sk);
	if (peer) {
		if (!inet->inet_dport) {
			release_sock(sk);
			return -ENOTCONN;
		}
		sin->sttp_port = inet->inet_dport;
		sin->sttp_addr.s_addr = inet->inet_daddr;
	} else {
		sin->sttp_port = inet->inet_sport;
		sin->sttp_addr.s_addr = inet->inet_rcv_saddr ?: inet->inet_saddr;
	}
	release_sock(sk);
	return sizeof(*sin);
}

/* Runs when the last reference is gone, after an RCU grace period. */
static void ttp_sock_destruct(struct sock *sk)
{
	skb_queue_purge(&sk->sk_receive_queue);
	skb_queue_purge(&sk->sk_error_queue);
	skb_queue_purge(&ttp_sk(sk)->pending);
	sk_dst_reset(sk);
	/* IP_OPTIONS; readers are gone (SOCK_RCU_FREE) */
	kfree(rcu_dereference_protected(inet_sk(sk)->inet_opt, 1));
	WARN_ON_ONCE(atomic_read(&sk->sk_rmem_alloc));
	/*
	 * The datagrams' destructors gave back their pages (dgram_mem.c);
	 * what SO_RESERVE_MEM kept goes now (6.1 lets a socket in a memory
	 * cgroup reserve, later kernels TCP's only), as inet_sock_destruct()
	 */
	sk_mem_reclaim_final(sk);
	WARN_ON_ONCE(sk->sk_forward_alloc);
	WARN_ON_ONCE(!sk_unhashed(sk));
}

/* Set up a socket freshly made by sock_init_data(). */
void ttp_sock_init(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);

	sk->sk_protocol = ttp_protocol;
	sk->sk_state = TCP_CLOSE;
	sk->sk_destruct = ttp_sock_destruct;
	/* The receive path finds sockets under RCU: free them after it. */
	sock_set_flag(sk, SOCK_RCU_FREE);

	inet->uc_ttl = -1;		/* the route's hop limit */
	inet->mc_ttl = 1;
	/*
	 * Path MTU discovery as for UDP: DF on datagrams that fit the path,
	 * IP fragments the others (ttp_xmit()); ip_no_pmtu_disc turns it off.
	 */
	if (READ_ONCE(sock_net(sk)->ipv4.sysctl_ip_no_pmtu_disc))
		inet->pmtudisc = IP_PMTUDISC_DONT;
	else
		inet->pmtudisc = IP_PMTUDISC_WANT;
	skb_queue_head_init(&ttp_sk(sk)->pending);
}

int ttp_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;

	lock_sock(sk);
	ttp_cork_flush(sk);
	ttp_table_unhash(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	sock_orphan(sk);
	sock->sk = NULL;
	release_sock(sk);
	sock_put(sk);
	return 0;
}

/* shutdown()'s @how as sk_shutdown bits, or -EINVAL, as inet_shutdown(). */
int ttp_shutdown_mask(int how)
{
	how++;	/* SHUT_RD/WR/RDWR -> RCV_SHUTDOWN/SEND_SHUTDOWN/both */
	return (how & ~SHUTDOWN_MASK) || !how ? -EINVAL : how;
}
