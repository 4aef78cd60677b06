// SPDX-License-Identifier: GPL-2.0
/*
 * Socket options. SOL_IP options are IPv4's: ip_setsockopt() and
 * ip_getsockopt() store them in the inet_sock, where the send and receive
 * paths find them (TTL, TOS, IP_PKTINFO and the other receive cmsgs,
 * IP_RECVERR, IP_MTU_DISCOVER). TTP refuses the multicast ones: it has no
 * group membership (docs/protocol.md, "Multicast"). SOL_TTP has TTP_CORK
 * and TTP_INET_ADDRS (both types).
 * SOL_SOCKET options get here only where the kernel lets them (compat.h).
 */
#include <linux/in.h>
#include <net/ip.h>

#include "ttp.h"

/*
 * The IPv4 options TTP refuses with ENOPROTOOPT: all of multicast, and the
 * per-socket IPsec policies, which IPv4 frees only in its own release.
 */
static bool ttp_ip_opt_refused(int optname)
{
	switch (optname) {
	case IP_IPSEC_POLICY:
	case IP_XFRM_POLICY:
	case IP_MULTICAST_IF:
	case IP_MULTICAST_TTL:
	case IP_MULTICAST_LOOP:
	case IP_MULTICAST_ALL:
	case IP_ADD_MEMBERSHIP:
	case IP_DROP_MEMBERSHIP:
	case IP_ADD_SOURCE_MEMBERSHIP:
	case IP_DROP_SOURCE_MEMBERSHIP:
	case IP_BLOCK_SOURCE:
	case IP_UNBLOCK_SOURCE:
	case IP_MSFILTER:
	case MCAST_JOIN_GROUP:
	case MCAST_LEAVE_GROUP:
	case MCAST_JOIN_SOURCE_GROUP:
	case MCAST_LEAVE_SOURCE_GROUP:
	case MCAST_BLOCK_SOURCE:
	case MCAST_UNBLOCK_SOURCE:
	case MCAST_MSFILTER:
		return true;
	}
	return false;
}

/* TTP_CORK set to @val, under the socket lock */
static int ttp_set_cork(struct sock *sk, int val)
{
	WRITE_ONCE(ttp_sk(sk)->cork, !!val);
	/*
	 * Clearing the cork sends what it held, as UDP_CORK does, and like
	 * it succeeds whatever became of that datagram.
	 */
	if (!val && !skb_queue_empty(&ttp_sk(sk)->pending))
		ttp_cork_push(sk);
	return 0;
}

/*
 * SOL_TTP, both an int: TTP_CORK, and TTP_INET_ADDRS (AF_INET addresses
 * in and out, uapi/linux/ttp.h)
 */
static int ttp_setsockopt_ttp(struct sock *sk, int optname, sockptr_t optval,
			      unsigned int optlen)
{
	int val, err = 0;

	if (optname != TTP_CORK && optname != TTP_INET_ADDRS)
		return -ENOPROTOOPT;
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	lock_sock(sk);
	if (optname == TTP_CORK)
		err = ttp_set_cork(sk, val);
	else
		WRITE_ONCE(ttp_sk(sk)->inet_addrs, !!val);
	release_sock(sk);
	return err;
}

/*
 * SOL_SOCKET, on kernels that let TTP see it (compat.h): SO_REUSEPORT here,
 * since the socket layer allows it to IPv4 and IPv6 only; the reuseport BPF
 * programs are refused (TTP spreads by hash, table.c); the rest is the
 * socket layer's.
 */
static int ttp_setsockopt_socket(struct socket *sock, int optname,
				 sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;
	int val;

	switch (optname) {
	case SO_REUSEPORT:
		if (optlen < sizeof(int))
			return -EINVAL;
		if (copy_from_sockptr(&val, optval, sizeof(val)))
			return -EFAULT;
		lock_sock(sk);
		sk->sk_reuseport = !!val;
		release_sock(sk);
		return 0;
	case SO_ATTACH_REUSEPORT_CBPF:
	case SO_ATTACH_REUSEPORT_EBPF:
	case SO_DETACH_REUSEPORT_BPF:
		return -ENOPROTOOPT;
	}
	return sock_setsockopt(sock, SOL_SOCKET, optname, optval, optlen);
}

int ttp_setsockopt(struct socket *sock, int level, int optname,
		   sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;

	if (level == SOL_SOCKET)
		return ttp_setsockopt_socket(sock, optname, optval, optlen);
	if (level == SOL_IP) {
		if (ttp_ip_opt_refused(optname))
			return -ENOPROTOOPT;
		return ip_setsockopt(sk, level, optname, optval, optlen);
	}
	if (level == SOL_TTP)
		return ttp_setsockopt_ttp(sk, optname, optval, optlen);
	return -ENOPROTOOPT;
}

/*
 * The SOL_IP ancillary data of a send, as UDP takes it: IP_PKTINFO (source
 * address and device), IP_TOS, and IP_TTL, which is checked but not applied
 * (docs/protocol.md, 4.5). Other levels are ignored; a malformed cmsg or an
 * unknown SOL_IP one is -EINVAL.
 */
int ttp_cmsg_send(struct msghdr *msg, struct ttp_ipc *ipc)
{
	struct in_pktinfo *info;
	struct cmsghdr *cmsg;
	int val;

	for_each_cmsghdr(cmsg, msg) {
		if (!CMSG_OK(msg, cmsg))
			return -EINVAL;
		if (cmsg->cmsg_level != SOL_IP)
			continue;
		switch (cmsg->cmsg_type) {
		case IP_PKTINFO:
			if (cmsg->cmsg_len != CMSG_LEN(sizeof(*info)))
				return -EINVAL;
			info = (struct in_pktinfo *)CMSG_DATA(cmsg);
			if (info->ipi_ifindex)
				ipc->oif = info->ipi_ifindex;
			ipc->saddr = info->ipi_spec_dst.s_addr;
			break;
		case IP_TTL:
			if (cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
				return -EINVAL;
			val = *(int *)CMSG_DATA(cmsg);
			if (val < 1 || val > 255)
				return -EINVAL;
			break;
		case IP_TOS:
			if (cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
				val = *(int *)CMSG_DATA(cmsg);
			else if (cmsg->cmsg_len == CMSG_LEN(sizeof(u8)))
				val = *(u8 *)CMSG_DATA(cmsg);
			else
				return -EINVAL;
			if (val < 0 || val > 255)
				return -EINVAL;
			ipc->tos = val;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

int ttp_getsockopt(struct socket *sock, int level, int optname,
		   char __user *optval, int __user *optlen)
{
	struct sock *sk = sock->sk;
	int val, len;

	if (level == SOL_IP) {
		if (ttp_ip_opt_refused(optname))
			return -ENOPROTOOPT;
		return ip_getsockopt(sk, level, optname, optval, optlen);
	}
	if (level != SOL_TTP)
		return -ENOPROTOOPT;
	if (optname == TTP_CORK)
		val = READ_ONCE(ttp_sk(sk)->cork);
	else if (optname == TTP_INET_ADDRS)
		val = READ_ONCE(ttp_sk(sk)->inet_addrs);
	else
		return -ENOPROTOOPT;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}
