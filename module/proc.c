// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/ttp (one line per socket, in the style of /proc/net/udp),
 * /proc/net/ttp_stream (one line per stream socket with its TTP_INFO
 * figures, what ss -ti shows for TCP) and /proc/net/ttp_snmp (counters, in
 * the style of /proc/net/snmp), all per namespace.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

#include "stream.h"

static const char * const ttp_mib_names[TTP_MIB_MAX] = {
	[TTP_MIB_INDATAGRAMS]	= "InDatagrams",
	[TTP_MIB_NOPORTS]	= "NoPorts",
	[TTP_MIB_INERRORS]	= "InErrors",
	[TTP_MIB_OUTDATAGRAMS]	= "OutDatagrams",
	[TTP_MIB_RCVBUFERRORS]	= "RcvbufErrors",
	[TTP_MIB_SNDBUFERRORS]	= "SndbufErrors",
	[TTP_MIB_INCSUMERRORS]	= "InCsumErrors",
	[TTP_MIB_MALFORMED]	= "Malformed",
	[TTP_MIB_ACTIVEOPENS]	= "ActiveOpens",
	[TTP_MIB_PASSIVEOPENS]	= "PassiveOpens",
	[TTP_MIB_ATTEMPTFAILS]	= "AttemptFails",
	[TTP_MIB_ESTABRESETS]	= "EstabResets",
	[TTP_MIB_CURRESTAB]	= "CurrEstab",
	[TTP_MIB_INSEGS]	= "InSegs",
	[TTP_MIB_OUTSEGS]	= "OutSegs",
	[TTP_MIB_RETRANSSEGS]	= "RetransSegs",
	[TTP_MIB_INRSTS]	= "InRsts",
	[TTP_MIB_OUTRSTS]	= "OutRsts",
	[TTP_MIB_OFOQUEUE]	= "OfoQueue",
	[TTP_MIB_LISTENOVERFLOWS] = "ListenOverflows",
	[TTP_MIB_LISTENDROPS]	= "ListenDrops",
	[TTP_MIB_FASTRETRANS]	= "FastRetrans",
	[TTP_MIB_TIMEOUTS]	= "Timeouts",
	[TTP_MIB_CHALLENGEACKS]	= "ChallengeACKs",
	[TTP_MIB_ACKSKIPPED]	= "ACKSkipped",
	[TTP_MIB_BADACKS]	= "BadACKs",
	[TTP_MIB_ABORTONTIMEOUT] = "AbortOnTimeout",
	[TTP_MIB_SYNCOOKIESSENT] = "SyncookiesSent",
	[TTP_MIB_SYNCOOKIESRECV] = "SyncookiesRecv",
	[TTP_MIB_SYNCOOKIESFAILED] = "SyncookiesFailed",
	[TTP_MIB_PAWSESTAB]	= "PAWSEstab",
	[TTP_MIB_ABORTONMEMORY]	= "AbortOnMemory",
	[TTP_MIB_RCVQDROP]	= "RcvQDrop",
	[TTP_MIB_OFOPRUNED]	= "OfoPruned",
	[TTP_MIB_MEMERRORS]	= "MemErrors",
};

static int ttp_snmp_show(struct seq_file *seq, void *v)
{
	struct ttp_net *tn = ttp_pernet(seq_file_single_net(seq));
	int i;

	seq_puts(seq, "Ttp:");
	for (i = 0; i < TTP_MIB_MAX; i++)
		seq_printf(seq, " %s", ttp_mib_names[i]);
	seq_puts(seq, "\nTtp:");
	for (i = 0; i < TTP_MIB_MAX; i++)
		seq_printf(seq, " %lu", atomic_long_read(&tn->mib[i]));
	seq_putc(seq, '\n');
	return 0;
}

/*
 * Line 0 is the header, line n the n-th socket of a walk over the chains:
 * the datagram port table's, then the stream port owners' (ctable.c).
 * The socket list is read under RCU, never under the table lock: a reader,
 * however slow, holds up no bind and no packet. Sockets are freed only after
 * a grace period (SOCK_RCU_FREE), so the walk never touches freed memory;
 * one that binds or closes during a read may or may not be listed, as in
 * /proc/net/udp.
 *
 * Within one read() the walk follows each socket's link to the next: a
 * socket that goes meanwhile (its link stays valid for the grace period)
 * makes no other one skipped. A read() resumes where the previous one
 * stopped: the iterator remembers the chain and the index within it of the
 * next line, so a full read costs one pass over the table, whatever the
 * size of the reader's buffer (across reads, as in /proc/net/tcp, a socket
 * that goes may shift the rest of its chain by one).
 */
struct ttp_seq_state {
	struct seq_net_private	p;	/* first: seq_file_net() reads it */
	loff_t			pos;	/* line number of the next socket */
	int			bucket;	/* its chain */
	int			offset;	/* its index within the chain */
};

static struct ttp_table *ttp_seq_table(struct seq_file *seq)
{
	return &ttp_pernet(seq_file_net(seq))->table;
}

/* The @offset-th socket of chain @bucket or, past its end, of later chains. */
static struct sock *ttp_seq_from(struct seq_file *seq, int bucket, int offset)
{
	struct ttp_seq_state *st = seq->private;
	struct ttp_table *t = ttp_seq_table(seq);
	struct sock *sk;
	int i;

	for (; bucket < TTP_PORT_HASH_SIZE; bucket++, offset = 0) {
		i = 0;
		sk_for_each_rcu(sk, &t->bind[bucket]) {
			if (i++ < offset)
				continue;
			st->bucket = bucket;
			st->offset = i;	/* the one after this */
			return sk;
		}
	}
	/* then the stream sockets that hold a port */
	for (; bucket < 2 * TTP_PORT_HASH_SIZE; bucket++, offset = 0) {
		struct hlist_head *chain;

		chain = ttp_ctable_port_chain(seq_file_net(seq),
					      bucket - TTP_PORT_HASH_SIZE);
		i = 0;
		hlist_for_each_entry_rcu(sk, chain, sk_bind_node) {
			if (i++ < offset)
				continue;
			st->bucket = bucket;
			st->offset = i;
			return sk;
		}
	}
	return NULL;
}

/* The socket after @sk in its chain of @bucket (as ttp_seq_from numbers them). */
static struct sock *ttp_seq_chain_next(struct sock *sk, int bucket)
{
	struct hlist_node *n;

	if (bucket < TTP_PORT_HASH_SIZE) {
		n = rcu_dereference(hlist_next_rcu(&sk->sk_node));
		return n ? hlist_entry(n, struct sock, sk_node) : NULL;
	}
	n = rcu_dereference(hlist_next_rcu(&sk->sk_bind_node));
	return n ? hlist_entry(n, struct sock, sk_bind_node) : NULL;
}

static void *ttp_seq_start(struct seq_file *seq, loff_t *pos)
	__acquires(RCU)
{
	struct ttp_seq_state *st = seq->private;
	struct sock *sk;
	loff_t n;

	rcu_read_lock();
	if (!*pos) {
		st->pos = 1;
		return SEQ_START_TOKEN;
	}
	if (*pos == st->pos) {	/* where the last read stopped */
		sk = ttp_seq_from(seq, st->bucket, st->offset);
	} else {		/* a seek: count from the start */
		sk = ttp_seq_from(seq, 0, 0);
		for (n = 1; sk && n < *pos; n++)
			sk = ttp_seq_from(seq, st->bucket, st->offset);
	}
	st->pos = *pos + 1;
	return sk;
}

static void *ttp_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct ttp_seq_state *st = seq->private;
	struct sock *sk;

	if (v == SEQ_START_TOKEN) {
		sk = ttp_seq_from(seq, 0, 0);
	} else {
		sk = ttp_seq_chain_next(v, st->bucket);
		if (sk)
			st->offset++;
		else
			sk = ttp_seq_from(seq, st->bucket + 1, 0);
	}
	++*pos;
	st->pos = *pos + 1;
	return sk;
}

static void ttp_seq_stop(struct seq_file *seq, void *v)
	__releases(RCU)
{
	struct ttp_seq_state *st = seq->private;

	/*
	 * v is the line seq_file has not shown yet (NULL at the end), the one
	 * the next read starts with: point the cursor back at it.
	 */
	if (v && v != SEQ_START_TOKEN)
		st->offset--;
	st->pos--;
	rcu_read_unlock();
}

/*
 * The queues, as /proc/net/udp and /proc/net/tcp show them: a datagram
 * socket's bytes charged to its buffers; a stream's bytes not yet
 * acknowledged and not yet read, or a listener's accept queue and backlog.
 * Read without the socket lock, so a moment old.
 */
static void ttp_seq_queues(struct sock *sk, u32 *tx, u32 *rx)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	int state = READ_ONCE(sk->sk_state);

	if (sk->sk_type != SOCK_STREAM) {
		*tx = sk_wmem_alloc_get(sk);
		*rx = sk_rmem_alloc_get(sk);
	} else if (state == TCP_LISTEN) {
		*tx = READ_ONCE(sk->sk_max_ack_backlog);
		*rx = READ_ONCE(sk->sk_ack_backlog);
	} else if ((1 << state) & (TCPF_CLOSE | TCPF_SYN_SENT)) {
		*tx = 0;
		*rx = 0;
	} else {
		*tx = READ_ONCE(tsk->write_seq) - READ_ONCE(tsk->snd_una);
		*rx = max_t(int, READ_ONCE(tsk->rcv_nxt) -
			    READ_ONCE(tsk->copied_seq), 0);
	}
}

/* "ADDR:PORT ADDR:PORT ST" of both files */
static void ttp_seq_addrs(struct seq_file *seq, struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);

	seq_printf(seq, "%4lld: %08X:%04X %08X:%04X %02X",
		   (long long)(seq->index - 1),
		   inet->inet_rcv_saddr ?: inet->inet_saddr,
		   ntohs(inet->inet_sport), inet->inet_daddr,
		   ntohs(inet->inet_dport), READ_ONCE(sk->sk_state));
}

static int ttp_seq_show(struct seq_file *seq, void *v)
{
	struct sock *sk = v;
	u32 tx, rx;

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "  sl  local_address rem_address   st tp tx_queue rx_queue   uid    inode drops\n");
		return 0;
	}
	ttp_seq_queues(sk, &tx, &rx);
	ttp_seq_addrs(seq, sk);
	seq_printf(seq, " %02X %08X:%08X %5u %8lu %u\n", sk->sk_type, tx, rx,
		   from_kuid_munged(seq_user_ns(seq), sk->sk_uid),
		   (unsigned long)sock_i_ino(sk), atomic_read(&sk->sk_drops));
	return 0;
}

/* /proc/net/ttp_stream: the stream sockets' TTP_INFO figures. */
static int ttp_stream_seq_show(struct seq_file *seq, void *v)
{
	struct sock *sk = v;
	unsigned long left;
	struct ttp_info i;
	u32 tx, rx;
	int tr;

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "  sl  local_address rem_address   st tx_queue rx_queue rtt rttvar rto cwnd ssthresh snd_wnd rcv_wnd mss retransmits bytes_sent bytes_retrans bytes_acked bytes_received segs_out segs_in segs_retrans tr:tm->when\n");
		return 0;
	}
	if (sk->sk_type != SOCK_STREAM)
		return SEQ_SKIP;
	ttp_seq_queues(sk, &tx, &rx);
	ttp_stream_fill_info(sk, &i);
	tr = ttp_stream_timer_show(sk, &left);
	ttp_seq_addrs(seq, sk);
	seq_printf(seq, " %08X:%08X %u %u %u %u %u %u %u %u %u %llu %llu %llu %llu %llu %llu %llu %02X:%08lX\n",
		   tx, rx, i.ttpi_rtt, i.ttpi_rttvar, i.ttpi_rto,
		   i.ttpi_snd_cwnd, i.ttpi_snd_ssthresh, i.ttpi_snd_wnd,
		   i.ttpi_rcv_wnd, i.ttpi_snd_mss, i.ttpi_retransmits,
		   i.ttpi_bytes_sent, i.ttpi_bytes_retrans, i.ttpi_bytes_acked,
		   i.ttpi_bytes_received, i.ttpi_segs_out, i.ttpi_segs_in,
		   i.ttpi_segs_retrans, tr, jiffies_delta_to_clock_t(left));
	return 0;
}

static const struct seq_operations ttp_seq_ops = {
	.start	= ttp_seq_start,
	.next	= ttp_seq_next,
	.stop	= ttp_seq_stop,
	.show	= ttp_seq_show,
};

static const struct seq_operations ttp_stream_seq_ops = {
	.start	= ttp_seq_start,
	.next	= ttp_seq_next,
	.stop	= ttp_seq_stop,
	.show	= ttp_stream_seq_show,
};

int ttp_proc_init_net(struct net *net)
{
	if (!proc_create_net("ttp", 0444, net->proc_net, &ttp_seq_ops,
			     sizeof(struct ttp_seq_state)))
		return -ENOMEM;
	if (!proc_create_net("ttp_stream", 0444, net->proc_net,
			     &ttp_stream_seq_ops, sizeof(struct ttp_seq_state)))
		goto out_stream;
	if (!proc_create_net_single("ttp_snmp", 0444, net->proc_net,
				    ttp_snmp_show, NULL))
		goto out_snmp;
	return 0;
out_snmp:
	remove_proc_entry("ttp_stream", net->proc_net);
out_stream:
	remove_proc_entry("ttp", net->proc_net);
	return -ENOMEM;
}

void ttp_proc_exit_net(struct net *net)
{
	remove_proc_entry("ttp_snmp", net->proc_net);
	remove_proc_entry("ttp_stream", net->proc_net);
	remove_proc_entry("ttp", net->proc_net);
}
