/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TTP internal types, shared by every file of the module.
 *
 * Locking, in one place:
 *
 *  - struct ttp_table (one per network namespace, in struct ttp_net)
 *    lock    spinlock, taken with BHs off. Guards insertion into and removal
 *            from the bind chains, and the choice of a free port: a socket's
 *            inet_num, inet_sport and chain membership change only under it,
 *            and under that socket's lock, which every caller holds.
 *    bind[]  RCU-protected hlists of sockets by local port (chain: port
 *            modulo TTP_PORT_HASH_SIZE). The receive path (softirq) walks
 *            them under rcu_read_lock() and takes a reference with
 *            refcount_inc_not_zero(); /proc/net/ttp walks them under
 *            rcu_read_lock() too. Sockets are freed after a grace period
 *            (SOCK_RCU_FREE), so a walker never touches freed memory.
 *            A broadcast is queued to each matching socket during the walk
 *            (ttp_table_match_all), each under its own reference.
 *
 *  - struct sock of a TTP socket
 *    The socket lock (lock_sock) serialises bind, connect, disconnect,
 *    shutdown and release, i.e. every change of the addresses, ports and
 *    sk_state. A send decides under it where the datagram goes and what it
 *    carries: destination, source address and source port end up in the
 *    flowi4 it routes with (ttp_dgram_prepare() in dgram.c), and after
 *    releasing the lock the send uses that copy, never the socket's fields,
 *    which a concurrent connect(AF_UNSPEC) may be zeroing. The one field it
 *    reads again is the peer port an EMSGSIZE local error names (ttp_xmit(),
 *    READ_ONCE, as UDP does). A corked send holds the lock throughout.
 *
 *    The receive path never takes the socket lock: datagrams are queued on
 *    sk_receive_queue under that queue's own spinlock
 *    (__sock_queue_rcv_skb), so softirq and process context never contend
 *    on it. Its lookup (and the ICMP path's, both in table.c) reads the
 *    fields that steer a packet, sk_rcv_saddr, sk_daddr, sk_dport,
 *    sk_bound_dev_if and inet_num, without any lock, each once with
 *    READ_ONCE; their writers (bind, connect and disconnect in dgram.c, the
 *    table's insert and unhash, SO_BINDTODEVICE in the socket layer) store
 *    them with WRITE_ONCE. So each field is seen whole, old or new, but not
 *    the set at once: a packet arriving during a connect may meet the new
 *    peer address beside the old zero port, as in UDP's lookup. A bind's
 *    clash check reads the other sockets' address and device the same way,
 *    and the ICMP path's route updates read sk_bound_dev_if so (output.c);
 *    /proc/net/ttp reads them plainly under RCU, as /proc/net/udp does, and
 *    a line may show a socket in the middle of a change.
 *
 *    Options: SOL_IP ones are IPv4's own (ip_setsockopt takes the socket
 *    lock itself); the send path reads them (tos, uc_ttl, pmtudisc) without
 *    the lock, as UDP does, and the receive path reads the cmsg flags the
 *    same way. A reader sees the old or the new value of each, never a mix.
 *    The cork (struct ttp_sock: pending, pending_len, pending_daddr,
 *    pending_dport, pending_mtu) is read and written only under the socket
 *    lock; so is the cork flag, written with WRITE_ONCE as sendmsg peeks at
 *    it with READ_ONCE; and inet_addrs (TTP_INET_ADDRS), written under the
 *    socket lock with WRITE_ONCE and read with READ_ONCE where an address
 *    is taken or given, a stream child's copied from its listener's;
 *    the send path that assembles a corked datagram keeps the lock until the
 *    datagram is sent.
 *    sk_error_queue holds ICMP errors for IP_RECVERR: the error handler
 *    (softirq) appends under the queue's own spinlock (sock_queue_err_skb),
 *    MSG_ERRQUEUE receives dequeue under it (sock_dequeue_err_skb).
 *    SO_REUSEPORT needs no lock of its own: sk_reuseport is written under
 *    the socket lock (sockopt.c), read by bind under the table lock and by
 *    the receive path under RCU, which picks among the sockets it finds in
 *    the chain with a hash of the packet's addresses and ports (table.c).
 *    sk_dst_cache (the route of a connected socket, for IP_MTU and path MTU
 *    updates) is set by connect and cleared by disconnect under the socket
 *    lock; the ICMP path (ttp_update_pmtu, ttp_redirect in output.c)
 *    replaces a stale one under bh_lock_sock when the socket is not owned,
 *    with the RCU-safe __sk_dst_set(). Sends route afresh and do not use it.
 *
 *  - counters (struct ttp_net.mib) are atomics: updated from any context.
 *  - port_range (struct ttp_net) is one u32 read and written with
 *    READ_ONCE/WRITE_ONCE, so a reader never sees half of an update.
 */
#ifndef _TTP_H
#define _TTP_H

#include <linux/types.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <net/inet_sock.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include <linux/ttp.h>
#include "compat.h"

#define TTP_PORT_HASH_BITS	10
#define TTP_PORT_HASH_SIZE	BIT(TTP_PORT_HASH_BITS)
#define TTP_PORT_MIN_DEFAULT	32768
#define TTP_PORT_MAX_DEFAULT	60999

/*
 * What the ancillary data of one send asks for (sockopt.c); the zero or
 * negative value of each field means "the socket's".
 */
struct ttp_ipc {
	__be32	saddr;		/* IP_PKTINFO ipi_spec_dst */
	int	oif;		/* IP_PKTINFO ipi_ifindex */
	int	tos;		/* IP_TOS */
};

static inline void ttp_ipc_init(struct ttp_ipc *ipc)
{
	ipc->saddr = 0;
	ipc->oif = 0;
	ipc->tos = -1;
}

/*
 * A TTP socket: inet_sock first, so the IPv4 helpers (ip_setsockopt,
 * ip_queue_xmit, ip_cmsg_recv_offset) work on it. The cork fields hold the
 * pieces of a datagram being assembled by MSG_MORE or TTP_CORK.
 */
struct ttp_sock {
	struct inet_sock	inet;
	struct sk_buff_head	pending;	/* payload pieces, in order */
	u32			pending_len;	/* their total length */
	__be32			pending_daddr;	/* where the datagram goes */
	__be16			pending_dport;
	struct ttp_ipc		pending_ipc;	/* the first send's cmsgs */
	u32			pending_mtu;	/* the path's, at the first send */
	u8			cork;		/* TTP_CORK is on */
	u8			inet_addrs;	/* TTP_INET_ADDRS is on */
};

static inline struct ttp_sock *ttp_sk(const struct sock *sk)
{
	return (struct ttp_sock *)sk;
}

/* The port table of one namespace; see the locking notes above. */
struct ttp_table {
	spinlock_t		lock;	/* writers of bind[], BHs off */
	struct hlist_head	bind[TTP_PORT_HASH_SIZE];
};

/* Counters, in the order /proc/net/ttp_snmp prints them. */
enum ttp_mib_field {
	TTP_MIB_INDATAGRAMS,
	TTP_MIB_NOPORTS,
	TTP_MIB_INERRORS,
	TTP_MIB_OUTDATAGRAMS,
	TTP_MIB_RCVBUFERRORS,
	TTP_MIB_SNDBUFERRORS,
	TTP_MIB_INCSUMERRORS,
	TTP_MIB_MALFORMED,
	/* the stream's, as TCP's in /proc/net/snmp and netstat */
	TTP_MIB_ACTIVEOPENS,
	TTP_MIB_PASSIVEOPENS,
	TTP_MIB_ATTEMPTFAILS,
	TTP_MIB_ESTABRESETS,
	TTP_MIB_CURRESTAB,	/* a gauge: connections in ESTABLISHED now */
	TTP_MIB_INSEGS,
	TTP_MIB_OUTSEGS,
	TTP_MIB_RETRANSSEGS,
	TTP_MIB_INRSTS,
	TTP_MIB_OUTRSTS,
	TTP_MIB_OFOQUEUE,
	TTP_MIB_LISTENOVERFLOWS,
	TTP_MIB_LISTENDROPS,
	TTP_MIB_FASTRETRANS,	/* resends on three duplicate ACKs */
	TTP_MIB_TIMEOUTS,	/* retransmission timer expiries */
	TTP_MIB_CHALLENGEACKS,	/* RFC 5961 challenge ACKs sent */
	TTP_MIB_ACKSKIPPED,	/* unsolicited ACKs held back by the rate limit */
	TTP_MIB_BADACKS,	/* segments dropped for an ACK out of range */
	TTP_MIB_ABORTONTIMEOUT,	/* connections aborted by a timer's limit */
	TTP_MIB_SYNCOOKIESSENT,	/* SYN-ACKs sent with a cookie */
	TTP_MIB_SYNCOOKIESRECV,	/* connections made from a cookie's ACK */
	TTP_MIB_SYNCOOKIESFAILED, /* ACKs to a listener with a wrong cookie */
	TTP_MIB_PAWSESTAB,	/* segments dropped by PAWS (RFC 7323 5.3) */
	TTP_MIB_ABORTONMEMORY,	/* orphans reset at close: too many of them */
	TTP_MIB_RCVQDROP,	/* segments dropped: net.ttp.mem had no room */
	TTP_MIB_OFOPRUNED,	/* out-of-order queues dropped for that room */
	TTP_MIB_MEMERRORS,	/* datagrams dropped: net.ttp.dgram_mem had no room */
	TTP_MIB_MAX
};

struct ttp_ctable;

/*
 * Everything TTP keeps per network namespace. The sysctl values are read
 * with READ_ONCE (the handlers write them whole).
 */
struct ttp_cong_ops;

struct ttp_net {
	struct ttp_table	table;
	struct ttp_ctable	*ctable;	/* streams: ctable.c */
	atomic_long_t		mib[TTP_MIB_MAX];
	u32			port_range;	/* max << 16 | min */
	int			syn_retries;	/* net.ttp.syn_retries */
	int			retries2;	/* net.ttp.retries2 */
	int			rto_max_ms;	/* net.ttp.rto_max_ms */
	int			tw_timeout_ms;	/* net.ttp.tw_timeout_ms */
	int			fin_timeout;	/* net.ttp.fin_timeout, s */
	int			keepalive_time;	/* net.ttp.keepalive_time, s */
	int			keepalive_intvl; /* net.ttp.keepalive_intvl, s */
	int			keepalive_probes; /* net.ttp.keepalive_probes */
	int			orphan_retries;	/* net.ttp.orphan_retries */
	int			invalid_ratelimit_ms; /* net.ttp.invalid_ratelimit_ms */
	int			syncookies;	/* net.ttp.syncookies: 0, 1, 2 */
	int			max_orphans;	/* net.ttp.max_orphans */
	atomic_t		orphans;	/* closed streams not yet CLOSE */
	u32			stream_isn;	/* net.ttp.stream_isn: test only */
	/* net.ttp.congestion_control: a new stream socket's algorithm */
	const struct ttp_cong_ops *cong_ops;
	struct ctl_table_header	*sysctl;
};

/* Module parameters (af_ttp.c): the family and protocol numbers in use. */
extern int ttp_family;
extern int ttp_protocol;

static inline struct ttphdr *ttp_hdr(const struct sk_buff *skb)
{
	return (struct ttphdr *)skb_transport_header(skb);
}

/* netns.c */
extern unsigned int ttp_net_id;
int ttp_net_register(void);
void ttp_net_unregister(void);

static inline struct ttp_net *ttp_pernet(const struct net *net)
{
	return net_generic(net, ttp_net_id);
}

static inline void ttp_inc_stats(const struct net *net, enum ttp_mib_field f)
{
	atomic_long_inc(&ttp_pernet(net)->mib[f]);
}

static inline void ttp_add_stats(const struct net *net, enum ttp_mib_field f,
				 long n)
{
	atomic_long_add(n, &ttp_pernet(net)->mib[f]);
}

/*
 * The segments a received packet of @len payload bytes holds: a GSO packet
 * that came whole (veth, loopback) holds many. Counted from its length and
 * gso_size, not from the gso_segs a packet socket's sender may claim.
 */
static inline u32 ttp_skb_segs(const struct sk_buff *skb, unsigned int len)
{
	if (!skb_is_gso(skb) || !len)
		return 1;
	return DIV_ROUND_UP(len, skb_shinfo(skb)->gso_size);
}

/* trace.c: count a received packet dropped in @f and fire ttp:ttp_drop */
void ttp_drop_stats(const struct net *net, const struct sk_buff *skb,
		    enum ttp_mib_field f);

static inline void ttp_dec_stats(const struct net *net, enum ttp_mib_field f)
{
	atomic_long_dec(&ttp_pernet(net)->mib[f]);
}

void ttp_port_range(const struct net *net, int *low, int *high);

/* table.c */
void ttp_table_init(struct ttp_table *t);
int ttp_table_get_port(struct sock *sk, u16 port);
int ttp_table_autobind(struct sock *sk);
void ttp_table_unhash(struct sock *sk);
struct sock *ttp_table_lookup(struct net *net, int type,
			      __be32 saddr, __be16 sport,
			      __be32 daddr, __be16 dport, int dif);
/* What ttp_table_match_all() calls, embedded in the caller's state. */
struct ttp_match_cb {
	void (*fn)(struct sock *sk, struct ttp_match_cb *cb);
};

int ttp_table_match_all(struct net *net, int type,
			__be32 saddr, __be16 sport,
			__be32 daddr, __be16 dport, int dif,
			struct ttp_match_cb *cb);

/* wire.c */
bool ttp_len_ok(const struct sk_buff *skb);
int ttp_hdr_check(const struct sk_buff *skb);
void ttp_push_header(struct sk_buff *skb, __be16 sport, __be16 dport,
		     u8 type, __be16 flags);
void ttp_set_checksum(struct sk_buff *skb, __be32 saddr, __be32 daddr);
void ttp_set_checksum_partial(struct sk_buff *skb, __be32 saddr, __be32 daddr);
bool ttp_checksum_bad(struct sk_buff *skb);

/* output.c */
struct rtable *ttp_route(struct sock *sk, struct flowi4 *fl4,
			 __be32 daddr, __be16 dport, const struct ttp_ipc *ipc);
int ttp_xmit(struct sock *sk, struct sk_buff *skb, struct flowi4 *fl4,
	     const struct ttp_ipc *ipc);
unsigned int ttp_ip_optlen(struct sock *sk);
void ttp_update_pmtu(struct sock *sk, struct sk_buff *skb, u32 mtu);
void ttp_redirect(struct sock *sk, struct sk_buff *skb);

/* IPv4's header with the most options it can carry */
#define TTP_IP_HLEN_MAX		(sizeof(struct iphdr) + MAX_IPOPTLEN)

/* input.c */
int ttp_rcv(struct sk_buff *skb);
int ttp_err(struct sk_buff *skb, u32 info);

/* dgram_mem.c: the datagram's memory accounting, net.ttp.dgram_mem */
int ttp_dgram_enqueue(struct sock *sk, struct sk_buff *skb);
int ttp_dgram_mem_init(struct proto *prot);
void ttp_dgram_mem_exit(void);

/* sock.c: what every TTP socket shares, whatever its type */
int ttp_check_sockaddr(const struct sock *sk, const struct sockaddr *uaddr,
		       int addr_len);
bool ttp_family_ok(const struct sock *sk, sa_family_t family);
sa_family_t ttp_addr_family(const struct sock *sk);
int ttp_local_addr_type(struct sock *sk, __be32 addr);
bool ttp_needs_bind_cap(struct net *net, u16 port);
int ttp_shutdown_mask(int how);
int ttp_getname(struct socket *sock, struct sockaddr *uaddr, int peer);
void ttp_sock_init(struct sock *sk);

/* sockopt.c: SOL_IP (delegated to IPv4) and SOL_TTP options */
int ttp_setsockopt(struct socket *sock, int level, int optname,
		   sockptr_t optval, unsigned int optlen);
int ttp_getsockopt(struct socket *sock, int level, int optname,
		   char __user *optval, int __user *optlen);
int ttp_cmsg_send(struct msghdr *msg, struct ttp_ipc *ipc);

/* errqueue.c: IP_RECVERR, the error queue and received IP cmsgs */
void ttp_queue_icmp_error(struct sock *sk, struct sk_buff *skb, int err,
			  u32 info);
void ttp_queue_local_error(struct sock *sk, __be32 daddr, __be16 dport,
			   u32 mtu);
int ttp_recv_error(struct sock *sk, struct msghdr *msg, size_t len);
void ttp_pktinfo_prepare(const struct sock *sk, struct sk_buff *skb);

/* cork.c: one datagram assembled from several sends (MSG_MORE, TTP_CORK) */
int ttp_cork_append(struct sock *sk, struct msghdr *msg, size_t len);
int ttp_cork_push(struct sock *sk);
void ttp_cork_flush(struct sock *sk);
int ttp_release(struct socket *sock);

/* ctable.c */
struct hlist_head *ttp_ctable_port_chain(struct net *net, int i);

/* dgram.c */
extern const struct proto_ops ttp_dgram_ops;
int ttp_dgram_rcv(struct net *net, struct sk_buff *skb, int hlen);
void ttp_dgram_err(struct sock *sk, struct sk_buff *skb, u32 info);
int ttp_dgram_send_skb(struct sock *sk, struct sk_buff *skb,
		       struct rtable *rt, struct flowi4 *fl4, __be16 dport,
		       const struct ttp_ipc *ipc);

/* proc.c */
int ttp_proc_init_net(struct net *net);
void ttp_proc_exit_net(struct net *net);

#endif /* _TTP_H */
