/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels TTP supports (Debian 6.1, 6.12 and the
 * newest), and nothing else. Prefer feature tests on macros to version
 * compares: stable updates backport API changes into older series.
 */
#ifndef _TTP_COMPAT_H
#define _TTP_COMPAT_H

#include <linux/version.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>

/* 6.11 made sysctl handlers take a const table. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define TTP_CTL_TABLE	const struct ctl_table
#else
#define TTP_CTL_TABLE	struct ctl_table
#endif

/*
 * 6.6 turned register_net_sysctl() into a macro over
 * register_net_sysctl_sz(), which wants the table's size, and no longer
 * needs the empty terminating entry (older kernels do: keep it).
 */
static inline struct ctl_table_header *
ttp_register_net_sysctl(struct net *net, const char *path,
			struct ctl_table *table, size_t n)
{
#ifdef register_net_sysctl
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/* 6.19 gave bind and connect a struct sockaddr_unsized. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 19, 0)
#define TTP_SOCKADDR	struct sockaddr_unsized
#else
#define TTP_SOCKADDR	struct sockaddr
#endif

/* 6.10 moved sk_under_memory_pressure() and its kin out of <net/sock.h>. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#include <net/proto_memory.h>
#endif

/* 6.5 moved the GSO helpers out of <linux/netdevice.h> into <net/gso.h>. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#include <net/gso.h>
#endif

/* 6.16 renamed from_timer() to timer_container_of(). */
#ifndef timer_container_of
#define timer_container_of(var, t, field)	from_timer(var, t, field)
#endif

/* 6.10 gave accept a struct proto_accept_arg. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define TTP_ACCEPT_ARGS		struct proto_accept_arg *arg
#define TTP_ACCEPT_FLAGS	(arg->flags)
#else
#define TTP_ACCEPT_ARGS		int flags, bool kern
#define TTP_ACCEPT_FLAGS	(flags)
#endif

/*
 * 6.6 turned the inet_sock bit fields (recverr, cmsg_flags, ...) into the
 * atomic bits of inet_flags, read with inet_test_bit().
 */
#ifdef inet_test_bit
#define ttp_recverr(sk)		inet_test_bit(RECVERR, sk)
#define ttp_want_pktinfo(sk)	inet_test_bit(PKTINFO, sk)
#else
#define ttp_recverr(sk)		(inet_sk(sk)->recverr)
#define ttp_want_pktinfo(sk)	(inet_sk(sk)->cmsg_flags & IP_CMSG_PKTINFO)
#endif

/*
 * Since 6.2 a socket flagged SOCK_CUSTOM_SOCKOPT gets its SOL_SOCKET options
 * through its own setsockopt, which TTP needs for SO_REUSEPORT: the socket
 * layer refuses that one to families other than AF_INET and AF_INET6.
 * Older kernels keep SO_REUSEPORT refused (docs/protocol.md). The flag is
 * a macro in 6.12 but an enum member in newer kernels, so #ifdef alone
 * would silently turn it off there: the version decides too.
 */
#include <linux/net.h>
#if defined(SOCK_CUSTOM_SOCKOPT) || \
	LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
static inline void ttp_custom_sol_socket(struct socket *sock)
{
	set_bit(SOCK_CUSTOM_SOCKOPT, &sock->flags);
}
#else
static inline void ttp_custom_sol_socket(struct socket *sock)
{
}
#endif

#endif /* _TTP_COMPAT_H */
