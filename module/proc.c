// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/ttp (one line per socket, in the style of /proc/net/udp) and
 * /proc/net/ttp_snmp (counters, in the style of /proc/net/snmp), both per
 * namespace. The socket list is walked under the table lock.
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

static struct ttp_table *ttp_seq_table(struct seq_file *seq)
{
	return &ttp_pernet(seq_file_net(seq))->table;
}

/* The @pos-th socket of the table (0-based), or NULL. */
static struct sock *ttp_seq_idx(struct ttp_table *t, loff_t pos)
{
	struct sock *sk;
	int i;

	for (i = 0; i < TTP_PORT_HASH_SIZE; i++)
		sk_for_each(sk, &t->bind[i])
			if (pos-- == 0)
				return sk;
	return NULL;
}

static void *ttp_seq_start(struct seq_file *seq, loff_t *pos)
	__acquires(&t->lock)
{
	struct ttp_table *t = ttp_seq_table(seq);

	spin_lock_bh(&t->lock);
	return *pos ? ttp_seq_idx(t, *pos - 1) : SEQ_START_TOKEN;
}

static void *ttp_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	++*pos;
	return ttp_seq_idx(ttp_seq_table(seq), *pos - 1);
}

static void ttp_seq_stop(struct seq_file *seq, void *v)
	__releases(&t->lock)
{
	spin_unlock_bh(&ttp_seq_table(seq)->lock);
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
			     sizeof(struct seq_net_private)))
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
