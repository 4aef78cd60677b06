// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/ttp (one line per socket, in the style of /proc/net/udp) and
 * /proc/net/ttp_snmp (counters, in the style of /proc/net/snmp), both per
 * namespace.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

#include "ttp.h"

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
 * A read() resumes where the previous one stopped: the iterator remembers
 * the chain and the index within it of the next line, so a full read costs
 * one pass over the table, whatever the size of the reader's buffer.
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

	if (v == SEQ_START_TOKEN)
		sk = ttp_seq_from(seq, 0, 0);
	else
		sk = ttp_seq_from(seq, st->bucket, st->offset);
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

static int ttp_seq_show(struct seq_file *seq, void *v)
{
	struct sock *sk = v;
	const struct inet_sock *inet;

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "  sl  local_address rem_address   st tp tx_queue rx_queue   uid    inode drops\n");
		return 0;
	}
	inet = inet_sk(sk);
	seq_printf(seq, "%4lld: %08X:%04X %08X:%04X %02X %02X %08X:%08X %5u %8lu %u\n",
		   (long long)(seq->index - 1),
		   inet->inet_rcv_saddr ?: inet->inet_saddr,
		   ntohs(inet->inet_sport), inet->inet_daddr,
		   ntohs(inet->inet_dport), sk->sk_state, sk->sk_type,
		   sk_wmem_alloc_get(sk), sk_rmem_alloc_get(sk),
		   from_kuid_munged(seq_user_ns(seq), sk->sk_uid),
		   (unsigned long)sock_i_ino(sk), atomic_read(&sk->sk_drops));
	return 0;
}

static const struct seq_operations ttp_seq_ops = {
	.start	= ttp_seq_start,
	.next	= ttp_seq_next,
	.stop	= ttp_seq_stop,
	.show	= ttp_seq_show,
};

int ttp_proc_init_net(struct net *net)
{
	if (!proc_create_net("ttp", 0444, net->proc_net, &ttp_seq_ops,
			     sizeof(struct ttp_seq_state)))
		return -ENOMEM;
	if (!proc_create_net_single("ttp_snmp", 0444, net->proc_net,
				    ttp_snmp_show, NULL)) {
		remove_proc_entry("ttp", net->proc_net);
		return -ENOMEM;
	}
	return 0;
}

void ttp_proc_exit_net(struct net *net)
{
	remove_proc_entry("ttp_snmp", net->proc_net);
	remove_proc_entry("ttp", net->proc_net);
}
