// SPDX-License-Identifier: GPL-2.0
/*
 * The port table of a namespace: which socket holds which local port,
 * the choice of an ephemeral port, and the lookup that steers an arriving
 * packet to its socket. Locking rules: struct ttp_table in ttp.h.
 */
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/random.h>

#include "ttp.h"

void ttp_table_init(struct ttp_table *t)
{
	int i;

	spin_lock_init(&t->lock);
	for (i = 0; i < TTP_PORT_HASH_SIZE; i++)
		INIT_HLIST_HEAD(&t->bind[i]);
}

/*
 * Chain i holds the sockets bound to ports p with p % TTP_PORT_HASH_SIZE == i:
 * the ports that share a chain are TTP_PORT_HASH_SIZE apart, so one walk of a
 * chain answers for all of them (ttp_pick_port()).
 */
static struct hlist_head *ttp_bind_chain(struct ttp_table *t, u16 port)
{
	return &t->bind[port & (TTP_PORT_HASH_SIZE - 1)];
}

/*
 * May @sk and @sk2 share a port by SO_REUSEPORT? Both must ask for it and
 * belong to the same user, as for UDP.
 */
static bool ttp_reuseport_ok(const struct sock *sk, const struct sock *sk2)
{
	return sk->sk_reuseport && sk2->sk_reuseport &&
	       uid_eq(READ_ONCE(sk->sk_uid), READ_ONCE(sk2->sk_uid));
}

/*
 * Would @sk, bound to its sk_rcv_saddr and @sk2's port, clash with @sk2?
 * Sockets of another type never clash: streams and datagrams have separate
 * port spaces, as TCP and UDP do.
 */
static bool ttp_clash(const struct sock *sk, const struct sock *sk2)
{
	int dif = READ_ONCE(sk->sk_bound_dev_if);
	int dif2 = READ_ONCE(sk2->sk_bound_dev_if);
	__be32 addr = sk->sk_rcv_saddr;
	__be32 addr2;

	if (sk2 == sk || sk2->sk_type != sk->sk_type)
		return false;
	if (sk->sk_reuse && sk2->sk_reuse)
		return false;
	if (ttp_reuseport_ok(sk, sk2))
		return false;
	if (dif && dif2 && dif != dif2)
		return false;
	/* @sk2's lock is not held: a connect may be filling it in. */
	addr2 = READ_ONCE(sk2->sk_rcv_saddr);
	return !addr || !addr2 || addr == addr2;
}

/* Would @sk, bound to @port, clash with a socket in the table? t->lock held. */
static bool ttp_port_taken(struct ttp_table *t, const struct sock *sk, u16 port)
{
	struct sock *sk2;

	sk_for_each(sk2, ttp_bind_chain(t, port))
		if (inet_sk(sk2)->inet_num == port && ttp_clash(sk, sk2))
			return true;
	return false;
}

static void ttp_table_insert(struct ttp_table *t, struct sock *sk, u16 port)
{
	WRITE_ONCE(inet_sk(sk)->inet_num, port);
	WRITE_ONCE(inet_sk(sk)->inet_sport, htons(port));
	sk_add_node_rcu(sk, ttp_bind_chain(t, port));
}

#define TTP_PORTS_PER_CHAIN	(65536 / TTP_PORT_HASH_SIZE)

/*
 * Pick a free port in the namespace's ephemeral range, t->lock held. Each
 * chain is walked once, from a random one on: the ports it holds that @sk
 * would clash with are marked in a bitmap (bit p / TTP_PORT_HASH_SIZE), then
 * the range's ports of that chain are tried, from the one nearest above a
 * random start, wrapping. The whole search costs at most one pass over the
 * table plus one pass over the range, however full either is.
 */
static int ttp_pick_port(struct ttp_table *t, struct sock *sk)
{
	DECLARE_BITMAP(used, TTP_PORTS_PER_CHAIN);
	int low, high, i, port, p, first;
	struct sock *sk2;
	u32 start;

	ttp_port_range(sock_net(sk), &low, &high);
	start = low + get_random_u32_below(high - low + 1);
	for (i = 0; i < TTP_PORT_HASH_SIZE; i++) {
		/* the lowest port of this chain in the range */
		first = low + (start + i - low) % TTP_PORT_HASH_SIZE;
		if (first > high)
			continue;	/* a range narrower than the table */
		port = start + i <= high ? start + i : first;
		bitmap_zero(used, TTP_PORTS_PER_CHAIN);
		sk_for_each(sk2, ttp_bind_chain(t, port))
			if (ttp_clash(sk, sk2))
				__set_bit(inet_sk(sk2)->inet_num / TTP_PORT_HASH_SIZE, used);
		p = port;
		do {
			if (!test_bit(p / TTP_PORT_HASH_SIZE, used))
				return p;
			p += TTP_PORT_HASH_SIZE;
			if (p > high)
				p = first;
		} while (p != port);
	}
	return 0;
}

/*
 * Bind @sk to @port (0: any free ephemeral port), with the local address
 * already in sk_rcv_saddr. Returns 0 or -EADDRINUSE.
 */
int ttp_table_get_port(struct sock *sk, u16 port)
{
	struct ttp_table *t = &ttp_pernet(sock_net(sk))->table;
	int err = 0;

	spin_lock_bh(&t->lock);
	if (!port)
		port = ttp_pick_port(t, sk);
	else if (ttp_port_taken(t, sk, port))
		port = 0;
	if (port)
		ttp_table_insert(t, sk, port);
	else
		err = -EADDRINUSE;
	spin_unlock_bh(&t->lock);
	return err;
}

/* The implicit bind of send and connect; -EAGAIN when no port is free. */
int ttp_table_autobind(struct sock *sk)
{
	if (inet_sk(sk)->inet_num)
		return 0;
	return ttp_table_get_port(sk, 0) ? -EAGAIN : 0;
}

void ttp_table_unhash(struct sock *sk)
{
	struct ttp_table *t = &ttp_pernet(sock_net(sk))->table;

	spin_lock_bh(&t->lock);
	if (sk_del_node_init_rcu(sk)) {
		WRITE_ONCE(inet_sk(sk)->inet_num, 0);
		WRITE_ONCE(inet_sk(sk)->inet_sport, 0);
	}
	spin_unlock_bh(&t->lock);
}

/*
 * How well @sk matches a packet from saddr:sport to daddr:dport arriving
 * on interface @dif: -1 not at all, more for each exact match, so that a
 * connected or address-bound socket wins over a wildcard one, as in UDP.
 * Runs without @sk's lock: each field is read once (READ_ONCE, paired with
 * the writers' WRITE_ONCE), so a packet that arrives during a bind,
 * connect or disconnect matches each field's old or new value.
 */
static int ttp_score(const struct sock *sk, int type, __be32 saddr,
		     __be16 sport, __be32 daddr, int dif)
{
	__be32 rcv_saddr, peer;
	int score = 0, bound;
	__be16 peer_port;

	if (sk->sk_type != type)
		return -1;
	rcv_saddr = READ_ONCE(sk->sk_rcv_saddr);
	if (rcv_saddr) {
		if (rcv_saddr != daddr)
			return -1;
		score++;
	}
	peer = READ_ONCE(sk->sk_daddr);
	if (peer) {
		if (peer != saddr)
			return -1;
		score++;
	}
	peer_port = READ_ONCE(sk->sk_dport);
	if (peer_port) {
		if (peer_port != sport)
			return -1;
		score++;
	}
	bound = READ_ONCE(sk->sk_bound_dev_if);
	if (bound) {
		if (bound != dif)
			return -1;
		score++;
	}
	return score;
}

/* Is @sk, found in a bind chain under RCU, bound to @port? */
static bool ttp_on_port(const struct sock *sk, u16 port)
{
	return READ_ONCE(inet_sk(sk)->inet_num) == port;
}

/*
 * Call @cb->fn for every socket of @type that matches a packet from
 * saddr:sport to daddr:dport arriving on @dif, with a reference held that
 * it drops: the receivers of a broadcast. Runs under RCU (any context);
 * returns how many there were.
 */
int ttp_table_match_all(struct net *net, int type,
			__be32 saddr, __be16 sport,
			__be32 daddr, __be16 dport, int dif,
			struct ttp_match_cb *cb)
{
	struct ttp_table *t = &ttp_pernet(net)->table;
	u16 port = ntohs(dport);
	struct sock *sk;
	int n = 0;

	rcu_read_lock();
	sk_for_each_rcu(sk, ttp_bind_chain(t, port)) {
		if (!ttp_on_port(sk, port) ||
		    ttp_score(sk, type, saddr, sport, daddr, dif) < 0 ||
		    !refcount_inc_not_zero(&sk->sk_refcnt))
			continue;
		cb->fn(sk, cb);
		n++;
	}
	rcu_read_unlock();
	return n;
}

/*
 * SO_REUSEPORT: @best is the first of the best-scoring sockets; if it and
 * others as good share the port by SO_REUSEPORT, pick one of them by a hash
 * of the packet's addresses and ports, so that each flow stays on one
 * socket and the flows spread over all of them. Under RCU.
 */
static struct sock *ttp_reuseport_pick(struct hlist_head *chain,
				       struct sock *best, int best_score,
				       int type, __be32 saddr, __be16 sport,
				       __be32 daddr, u16 port, int dif)
{
	struct sock *sk;
	u32 n = 0, pick;

	sk_for_each_rcu(sk, chain)
		if (ttp_on_port(sk, port) &&
		    ttp_reuseport_ok(best, sk) &&
		    ttp_score(sk, type, saddr, sport, daddr, dif) == best_score)
			n++;
	if (n < 2)
		return best;

	pick = reciprocal_scale(jhash_3words((__force u32)saddr,
					     (__force u32)daddr,
					     (__force u32)sport, port), n);
	sk_for_each_rcu(sk, chain)
		if (ttp_on_port(sk, port) &&
		    ttp_reuseport_ok(best, sk) &&
		    ttp_score(sk, type, saddr, sport, daddr, dif) == best_score &&
		    !pick--)
			return sk;
	return best;	/* the chain changed under us */
}

/*
 * Find the socket of @type for a packet from saddr:sport to daddr:dport.
 * Runs under RCU (any context); returns the socket with a reference held,
 * or NULL.
 */
struct sock *ttp_table_lookup(struct net *net, int type,
			      __be32 saddr, __be16 sport,
			      __be32 daddr, __be16 dport, int dif)
{
	struct ttp_table *t = &ttp_pernet(net)->table;
	struct hlist_head *chain = ttp_bind_chain(t, ntohs(dport));
	u16 port = ntohs(dport);
	struct sock *sk, *best = NULL;
	int score, best_score = -1;

	rcu_read_lock();
	sk_for_each_rcu(sk, chain) {
		if (!ttp_on_port(sk, port))
			continue;
		score = ttp_score(sk, type, saddr, sport, daddr, dif);
		if (score > best_score) {
			best = sk;
			best_score = score;
		}
	}
	if (best && best->sk_reuseport)
		best = ttp_reuseport_pick(chain, best, best_score, type, saddr,
					  sport, daddr, port, dif);
	if (best && !refcount_inc_not_zero(&best->sk_refcnt))
		best = NULL;
	rcu_read_unlock();
	return best;
}
