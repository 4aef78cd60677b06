// SPDX-License-Identifier: GPL-2.0
/*
 * Where a stream segment goes, and who owns a local port: the connection
 * table of a namespace (hashed on the full 4-tuple), its listeners (by
 * port) and the stream port owners (by port). Locking rules: stream.h.
 *
 *  conn[]    every stream socket with a peer (SYN_SENT to TIME_WAIT), by
 *            4-tuple, hlist_nulls through sk_nulls_node; RCU readers.
 *  listen[]  listeners by local port, through sk_node; RCU readers.
 *  bind[]    every stream socket that holds a local port, through
 *            sk_bind_node; written under the lock, read under it (bind,
 *            listen and connect, never the packet path) or, by
 *            /proc/net/ttp, under RCU.
 *
 * A packet path lookup touches one conn[] chain, then at most one listen[]
 * chain. conn[] has 2^conn_hash_bits chains (a module parameter, 16384 by
 * default: 128 KiB a namespace, as many chains as 10,000 connections need
 * to stay about one deep); 0 puts every connection on one chain, which the
 * selftests use to show that lookups compare the whole 4-tuple.
 */
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/vmalloc.h>
#include <net/inet_hashtables.h>
#include <net/secure_seq.h>

#include "stream.h"

#define TTP_CONN_HASH_BITS_MAX	20

static unsigned int ttp_conn_hash_bits = 14;
module_param_named(conn_hash_bits, ttp_conn_hash_bits, uint, 0444);
MODULE_PARM_DESC(conn_hash_bits,
		 "log2 of the connection table's chains per namespace (0-20, default 14)");

struct ttp_ctable {
	spinlock_t		lock;	/* writers of every chain, BHs off */
	u32			conn_mask;	/* chains - 1; set once */
	u32			connect_next;	/* RFC 6056's next_ephemeral; lock */
	struct hlist_head	listen[TTP_PORT_HASH_SIZE];
	struct hlist_head	bind[TTP_PORT_HASH_SIZE];
	struct hlist_nulls_head	conn[];
};

static u32 ttp_conn_secret __read_mostly;

int ttp_ctable_init(struct ttp_net *tn)
{
	u32 i, n = 1U << min(ttp_conn_hash_bits, TTP_CONN_HASH_BITS_MAX);
	struct ttp_ctable *ct;

	net_get_random_once(&ttp_conn_secret, sizeof(ttp_conn_secret));
	ct = kvzalloc(struct_size(ct, conn, n), GFP_KERNEL);
	if (!ct)
		return -ENOMEM;
	spin_lock_init(&ct->lock);
	ct->conn_mask = n - 1;
	for (i = 0; i < n; i++)
		INIT_HLIST_NULLS_HEAD(&ct->conn[i], i);
	tn->ctable = ct;
	return 0;
}

void ttp_ctable_exit(struct ttp_net *tn)
{
	struct ttp_ctable *ct = tn->ctable;
	u32 i;

	/* Every stream socket holds its namespace: none can be left here. */
	for (i = 0; i < TTP_PORT_HASH_SIZE; i++) {
		WARN_ON_ONCE(!hlist_empty(&ct->listen[i]));
		WARN_ON_ONCE(!hlist_empty(&ct->bind[i]));
	}
	for (i = 0; i <= ct->conn_mask; i++)
		WARN_ON_ONCE(!hlist_nulls_empty(&ct->conn[i]));
	kvfree(ct);
}

static struct ttp_ctable *ttp_ct(const struct net *net)
{
	return ttp_pernet(net)->ctable;
}

static u32 ttp_conn_slot(const struct ttp_ctable *ct, __be32 laddr,
			 __be16 lport, __be32 raddr, __be16 rport)
{
	return jhash_3words((__force u32)laddr, (__force u32)raddr,
			    ((u32)ntohs(lport) << 16) | ntohs(rport),
			    ttp_conn_secret) & ct->conn_mask;
}

static u32 ttp_sk_slot(const struct ttp_ctable *ct, const struct sock *sk)
{
	return ttp_conn_slot(ct, sk->sk_rcv_saddr, inet_sk(sk)->inet_sport,
			     sk->sk_daddr, sk->sk_dport);
}

/* Is @sk the connection from raddr:rport to laddr:lport (on @dif)? */
static bool ttp_conn_match(const struct sock *sk, __be32 raddr, __be16 rport,
			   __be32 laddr, __be16 lport, int dif)
{
	int bound = READ_ONCE(sk->sk_bound_dev_if);

	return READ_ONCE(sk->sk_daddr) == raddr &&
	       READ_ONCE(sk->sk_dport) == rport &&
	       READ_ONCE(sk->sk_rcv_saddr) == laddr &&
	       READ_ONCE(inet_sk(sk)->inet_sport) == lport &&
	       (!bound || bound == dif);
}

/*
 * The connection a segment from saddr:sport to daddr:dport belongs to, with
 * a reference held, or NULL. Any context; takes rcu_read_lock() itself.
 */
struct sock *ttp_ctable_lookup(struct net *net, __be32 saddr, __be16 sport,
			       __be32 daddr, __be16 dport, int dif)
{
	struct ttp_ctable *ct = ttp_ct(net);
	u32 slot = ttp_conn_slot(ct, daddr, dport, saddr, sport);
	struct hlist_nulls_node *node;
	struct sock *sk;

	rcu_read_lock();
begin:
	sk_nulls_for_each_rcu(sk, node, &ct->conn[slot]) {
		if (!ttp_conn_match(sk, saddr, sport, daddr, dport, dif))
			continue;
		if (unlikely(!refcount_inc_not_zero(&sk->sk_refcnt))) {
			sk = NULL;	/* being freed: as good as gone */
			goto out;
		}
		/* it may have been unhashed and rehashed meanwhile */
		if (unlikely(!ttp_conn_match(sk, saddr, sport, daddr, dport,
					     dif))) {
			sock_put(sk);
			goto begin;
		}
		goto out;
	}
	/* moved to another chain during the walk: walk this one again */
	if (get_nulls_value(node) != slot)
		goto begin;
	sk = NULL;
out:
	rcu_read_unlock();
	return sk;
}

/*
 * The listener for a SYN to daddr:dport on @dif: one bound to daddr wins
 * over a wildcard one. With a reference held, or NULL.
 */
struct sock *ttp_listener_lookup(struct net *net, __be32 daddr, __be16 dport,
				 int dif)
{
	struct ttp_ctable *ct = ttp_ct(net);
	u16 port = ntohs(dport);
	struct sock *sk, *best = NULL;
	int score, best_score = -1, bound;
	__be32 addr;

	rcu_read_lock();
	sk_for_each_rcu(sk, &ct->listen[port & (TTP_PORT_HASH_SIZE - 1)]) {
		if (READ_ONCE(inet_sk(sk)->inet_num) != port)
			continue;
		score = 0;
		addr = READ_ONCE(sk->sk_rcv_saddr);
		if (addr) {
			if (addr != daddr)
				continue;
			score++;
		}
		bound = READ_ONCE(sk->sk_bound_dev_if);
		if (bound) {
			if (bound != dif)
				continue;
			score++;
		}
		if (score > best_score) {
			best = sk;
			best_score = score;
		}
	}
	if (best && !refcount_inc_not_zero(&best->sk_refcnt))
		best = NULL;
	rcu_read_unlock();
	return best;
}

static bool ttp_stream_port_taken(struct ttp_ctable *ct, const struct sock *sk,
				  u16 port);

/*
 * A socket that just went to LISTEN joins the listeners, unless its port
 * is shared (SO_REUSEADDR) with one that listens already: -EADDRINUSE.
 */
int ttp_listener_hash(struct sock *sk)
{
	struct ttp_ctable *ct = ttp_ct(sock_net(sk));
	u16 port = inet_sk(sk)->inet_num;
	int err = -EADDRINUSE;

	spin_lock_bh(&ct->lock);
	if (WARN_ON_ONCE(!sk_unhashed(sk))) {
		err = -EINVAL;
	} else if (!ttp_stream_port_taken(ct, sk, port)) {
		sk_add_node_rcu(sk, &ct->listen[port & (TTP_PORT_HASH_SIZE - 1)]);
		err = 0;
	}
	spin_unlock_bh(&ct->lock);
	return err;
}

void ttp_listener_unhash(struct sock *sk)
{
	struct ttp_ctable *ct = ttp_ct(sock_net(sk));

	spin_lock_bh(&ct->lock);
	sk_del_node_init_rcu(sk);
	spin_unlock_bh(&ct->lock);
}

/* Put @sk, whose 4-tuple is set, in the connection table; ct->lock held. */
static void __ttp_ctable_hash(struct ttp_ctable *ct, struct sock *sk)
{
	WARN_ON_ONCE(!sk_unhashed(sk));
	sk_nulls_add_node_rcu(sk, &ct->conn[ttp_sk_slot(ct, sk)]);
}

void ttp_ctable_hash(struct sock *sk)
{
	struct ttp_ctable *ct = ttp_ct(sock_net(sk));

	spin_lock_bh(&ct->lock);
	__ttp_ctable_hash(ct, sk);
	spin_unlock_bh(&ct->lock);
}

void ttp_ctable_unhash(struct sock *sk)
{
	struct ttp_ctable *ct = ttp_ct(sock_net(sk));

	spin_lock_bh(&ct->lock);
	sk_nulls_del_node_init_rcu(sk);
	spin_unlock_bh(&ct->lock);
}

/* ---- local ports ---------------------------------------------------- */

static struct hlist_head *ttp_port_chain(struct ttp_ctable *ct, u16 port)
{
	return &ct->bind[port & (TTP_PORT_HASH_SIZE - 1)];
}

/*
 * May @sk bind to the port @sk2 holds? As TCP (inet_bind_conflict()): both
 * bound to different addresses or devices, or both asked for SO_REUSEADDR
 * and @sk2 is not listening. A connection in TIME_WAIT has its listener's
 * SO_REUSEADDR: without it, it keeps the port from everyone.
 */
static bool ttp_stream_clash(const struct sock *sk, const struct sock *sk2)
{
	if (sk2 == sk)
		return false;
	if (sk->sk_bound_dev_if && sk2->sk_bound_dev_if &&
	    sk->sk_bound_dev_if != sk2->sk_bound_dev_if)
		return false;
	if (sk->sk_rcv_saddr && sk2->sk_rcv_saddr &&
	    sk->sk_rcv_saddr != sk2->sk_rcv_saddr)
		return false;
	if (sk->sk_reuse && sk2->sk_reuse && sk2->sk_state != TCP_LISTEN)
		return false;
	return true;
}

static bool ttp_stream_port_taken(struct ttp_ctable *ct, const struct sock *sk,
				  u16 port)
{
	struct sock *sk2;

	sk_for_each_bound(sk2, ttp_port_chain(ct, port))
		if (inet_sk(sk2)->inet_num == port && ttp_stream_clash(sk, sk2))
			return true;
	return false;
}

static void ttp_stream_add_port(struct ttp_ctable *ct, struct sock *sk,
				u16 port)
{
	WARN_ON_ONCE(!hlist_unhashed(&sk->sk_bind_node));
	inet_sk(sk)->inet_num = port;
	WRITE_ONCE(inet_sk(sk)->inet_sport, htons(port));
	hlist_add_head_rcu(&sk->sk_bind_node, ttp_port_chain(ct, port));
}

/* The ephemeral range of @sk's namespace: its lowest port, and its size. */
static int ttp_ephemeral(struct sock *sk, int *low)
{
	int high;

	ttp_port_range(sock_net(sk), low, &high);
	return high - *low + 1;
}

/*
 * bind(): @port, or a free ephemeral port when 0. Returns 0 or -EADDRINUSE.
 */
int ttp_stream_get_port(struct sock *sk, u16 port)
{
	struct ttp_ctable *ct = ttp_ct(sock_net(sk));
	int low, n, i, p, err = -EADDRINUSE;
	u32 start;

	spin_lock_bh(&ct->lock);
	if (port) {
		if (!ttp_stream_port_taken(ct, sk, port)) {
			ttp_stream_add_port(ct, sk, port);
			err = 0;
		}
		goto out;
	}
	n = ttp_ephemeral(sk, &low);
	start = get_random_u32_below(n);
	for (i = 0; i < n; i++) {
		p = low + (start + i) % n;
		if (!ttp_stream_port_taken(ct, sk, p)) {
			ttp_stream_add_port(ct, sk, p);
			err = 0;
			break;
		}
	}
out:
	spin_unlock_bh(&ct->lock);
	return err;
}

/* Is the 4-tuple @sk would have with local port @port in use? ct->lock held. */
static bool ttp_tuple_taken(struct ttp_ctable *ct, const struct sock *sk,
			    u16 port)
{
	__be16 lport = htons(port);
	struct hlist_nulls_node *node;
	u32 slot;
	struct sock *sk2;

	slot = ttp_conn_slot(ct, sk->sk_rcv_saddr, lport, sk->sk_daddr,
			     sk->sk_dport);
	sk_nulls_for_each(sk2, node, &ct->conn[slot])
		if (sk2->sk_daddr == sk->sk_daddr &&
		    sk2->sk_dport == sk->sk_dport &&
		    sk2->sk_rcv_saddr == sk->sk_rcv_saddr &&
		    inet_sk(sk2)->inet_sport == lport)
			return true;
	return false;
}

/*
 * May a connect()ing socket share @port? Only with sockets that got it the
 * same way (neither bound nor listening on it), so that only the 4-tuple
 * has to be unique: clients are not capped at the size of the range.
 */
static bool ttp_port_shareable(struct ttp_ctable *ct, const struct sock *sk,
			       u16 port)
{
	struct sock *sk2;

	sk_for_each_bound(sk2, ttp_port_chain(ct, port)) {
		if (inet_sk(sk2)->inet_num != port || sk2 == sk)
			continue;
		if ((sk2->sk_userlocks & SOCK_BINDPORT_LOCK) ||
		    sk2->sk_state == TCP_LISTEN || sk2->sk_state == TCP_CLOSE)
			return false;
	}
	return !ttp_tuple_taken(ct, sk, port);
}

/*
 * Where connect()'s search of the ephemeral range starts: RFC 6056 3.3.3,
 * as TCP's (__inet_hash_connect()): a keyed hash of the addresses and the
 * peer's port, plus a per-namespace counter that moves past every port
 * taken. Consecutive connections to one peer walk the range rather than
 * draw from it at random, so a port comes back to that peer only after
 * the rest of the range has been used, not while the peer may still hold
 * it in TIME_WAIT. ct->lock held.
 */
static u32 ttp_connect_start(struct ttp_ctable *ct, const struct sock *sk)
{
	return (u32)secure_ipv4_port_ephemeral(sk->sk_rcv_saddr, sk->sk_daddr,
					       sk->sk_dport) + ct->connect_next;
}

/*
 * connect(): with the peer and local address set, give an unbound @sk an
 * ephemeral port whose 4-tuple is unused, and enter the connection table.
 * Returns 0, -EADDRNOTAVAIL (no port, or the bound port's 4-tuple is in
 * use, as TCP).
 */
int ttp_stream_connect_port(struct sock *sk)
{
	struct ttp_ctable *ct = ttp_ct(sock_net(sk));
	int low, n, i, p, err = -EADDRNOTAVAIL;
	u32 start;

	spin_lock_bh(&ct->lock);
	if (inet_sk(sk)->inet_num) {
		if (!ttp_tuple_taken(ct, sk, inet_sk(sk)->inet_num)) {
			__ttp_ctable_hash(ct, sk);
			err = 0;
		}
		goto out;
	}
	n = ttp_ephemeral(sk, &low);
	start = ttp_connect_start(ct, sk);
	for (i = 0; i < n; i++) {
		p = low + (start + i) % n;
		if (ttp_port_shareable(ct, sk, p)) {
			ttp_stream_add_port(ct, sk, p);
			__ttp_ctable_hash(ct, sk);
			ct->connect_next += i + 1;
			err = 0;
			break;
		}
	}
out:
	spin_unlock_bh(&ct->lock);
	return err;
}

/*
 * A new child takes its listener's port (so that the port stays in use) and
 * enters the connection table; -EEXIST if a twin SYN's child got there first.
 */
int ttp_stream_inherit_port(struct sock *child, struct sock *parent)
{
	struct ttp_ctable *ct = ttp_ct(sock_net(child));
	u16 port = inet_sk(parent)->inet_num;
	int err = -EEXIST;

	spin_lock_bh(&ct->lock);
	if (!ttp_tuple_taken(ct, child, port)) {
		ttp_stream_add_port(ct, child, port);
		__ttp_ctable_hash(ct, child);
		err = 0;
	}
	spin_unlock_bh(&ct->lock);
	return err;
}

void ttp_stream_put_port(struct sock *sk)
{
	struct ttp_ctable *ct = ttp_ct(sock_net(sk));

	spin_lock_bh(&ct->lock);
	/* inet_sport stays, as TCP's: getsockname() still shows the port */
	if (!hlist_unhashed(&sk->sk_bind_node)) {
		hlist_del_init_rcu(&sk->sk_bind_node);
		inet_sk(sk)->inet_num = 0;
	}
	spin_unlock_bh(&ct->lock);
}

/* Chain @i of the port owners, for /proc/net/ttp (walked under RCU). */
struct hlist_head *ttp_ctable_port_chain(struct net *net, int i)
{
	return &ttp_ct(net)->bind[i];
}
