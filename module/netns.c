// SPDX-License-Identifier: GPL-2.0
/*
 * Per-network-namespace state: the port table, the counters, the
 * net.ttp sysctls and the /proc/net files.
 */
#include <linux/slab.h>
#include <linux/sysctl.h>

#include "stream.h"

unsigned int ttp_net_id __read_mostly;

static int ttp_port_limits[2] = { 1, 65535 };

static void ttp_read_port_range(const struct ttp_net *tn, int *low, int *high)
{
	u32 range = READ_ONCE(tn->port_range);

	*low = range & 0xffff;
	*high = range >> 16;
}

void ttp_port_range(const struct net *net, int *low, int *high)
{
	ttp_read_port_range(ttp_pernet(net), low, high);
}

/* Reads and writes "low high"; refuses low > high, like ip_local_port_range. */
static int ttp_port_range_handler(TTP_CTL_TABLE *table, int write,
				  void *buffer, size_t *lenp, loff_t *ppos)
{
	struct ttp_net *tn = container_of(table->data, struct ttp_net,
					  port_range);
	int range[2];
	struct ctl_table tmp = {
		.data		= range,
		.maxlen		= sizeof(range),
		.mode		= table->mode,
		.extra1		= &ttp_port_limits[0],
		.extra2		= &ttp_port_limits[1],
	};
	int err;

	ttp_read_port_range(tn, &range[0], &range[1]);
	err = proc_dointvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (err || !write)
		return err;
	if (range[0] > range[1])
		return -EINVAL;
	WRITE_ONCE(tn->port_range, (u32)range[1] << 16 | range[0]);
	return 0;
}

/*
 * net.ttp.congestion_control: a name of ttp_cong_find()'s; an unknown one
 * is refused with ENOENT, as tcp_congestion_control refuses it.
 */
static int ttp_cong_handler(TTP_CTL_TABLE *table, int write, void *buffer,
			    size_t *lenp, loff_t *ppos)
{
	struct ttp_net *tn = container_of(table->data, struct ttp_net,
					  cong_ops);
	char name[TTP_CA_NAME_MAX];
	struct ctl_table tmp = {
		.data		= name,
		.maxlen		= sizeof(name),
		.mode		= table->mode,
	};
	const struct ttp_cong_ops *ops;
	int err;

	strscpy(name, READ_ONCE(tn->cong_ops)->name, sizeof(name));
	err = proc_dostring(&tmp, write, buffer, lenp, ppos);
	if (err || !write)
		return err;
	ops = ttp_cong_find(name);
	if (!ops)
		return -ENOENT;
	WRITE_ONCE(tn->cong_ops, ops);
	return 0;
}

/* net.ttp.available_congestion_control: read only, the names. */
static int ttp_cong_list_handler(TTP_CTL_TABLE *table, int write,
				 void *buffer, size_t *lenp, loff_t *ppos)
{
	char names[64];
	struct ctl_table tmp = {
		.data		= names,
		.maxlen		= sizeof(names),
		.mode		= table->mode,
	};

	ttp_cong_names(names, sizeof(names));
	return proc_dostring(&tmp, write, buffer, lenp, ppos);
}

static int ttp_one = 1, ttp_int_max = INT_MAX, ttp_retries_max = 255;
/* As Linux's tcp_rto_max_ms: 1 s to TTP_RTO_MAX_DEFAULT (120 s). */
static int ttp_rto_max_lo = 1000, ttp_rto_max_hi = 120000;

/* An int sysctl taking @min to @max (pointers to the bounds). */
#define TTP_SYSCTL_RANGE(name, min, max)				\
	{								\
		.procname	= name,					\
		.maxlen		= sizeof(int),				\
		.mode		= 0644,					\
		.proc_handler	= proc_dointvec_minmax,			\
		.extra1		= min,					\
		.extra2		= max,					\
	}
#define TTP_SYSCTL_INT(name, max)	TTP_SYSCTL_RANGE(name, &ttp_one, max)

/* .data is set per namespace by ttp_sysctl_init(), in this order. */
static struct ctl_table ttp_sysctl_table[] = {
	{
		.procname	= "local_port_range",
		.maxlen		= sizeof(int) * 2,
		.mode		= 0644,
		.proc_handler	= ttp_port_range_handler,
	},
	TTP_SYSCTL_INT("syn_retries", &ttp_retries_max),
	TTP_SYSCTL_INT("retries2", &ttp_retries_max),
	TTP_SYSCTL_INT("tw_timeout_ms", &ttp_int_max),
	TTP_SYSCTL_INT("fin_timeout", &ttp_int_max),
	TTP_SYSCTL_INT("keepalive_time", &ttp_int_max),
	TTP_SYSCTL_INT("keepalive_intvl", &ttp_int_max),
	TTP_SYSCTL_INT("keepalive_probes", &ttp_retries_max),
	TTP_SYSCTL_INT("orphan_retries", &ttp_retries_max),
	/* as tcp_invalid_ratelimit: 0 lets every such ACK go */
	TTP_SYSCTL_RANGE("invalid_ratelimit_ms", SYSCTL_ZERO, &ttp_int_max),
	TTP_SYSCTL_RANGE("rto_max_ms", &ttp_rto_max_lo, &ttp_rto_max_hi),
	/* as tcp_max_orphans, but per namespace; 0: reset every one */
	TTP_SYSCTL_RANGE("max_orphans", SYSCTL_ZERO, &ttp_int_max),
	/* as tcp_syncookies: 0 never, 1 when a queue is full, 2 always */
	TTP_SYSCTL_RANGE("syncookies", SYSCTL_ZERO, SYSCTL_TWO),
	{
		/* test only: every ISN of the namespace, 0 for RFC 6528's */
		.procname	= "stream_isn",
		.maxlen		= sizeof(u32),
		.mode		= 0644,
		.proc_handler	= proc_douintvec,
	},
	{
		.procname	= "congestion_control",
		.maxlen		= TTP_CA_NAME_MAX,
		.mode		= 0644,
		.proc_handler	= ttp_cong_handler,
	},
	{
		.procname	= "available_congestion_control",
		.maxlen		= 64,
		.mode		= 0444,
		.proc_handler	= ttp_cong_list_handler,
	},
	{ }	/* the terminator kernels before 6.6 need */
};

static int ttp_sysctl_init(struct net *net, struct ttp_net *tn)
{
	struct ctl_table *table;

	table = kmemdup(ttp_sysctl_table, sizeof(ttp_sysctl_table), GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	table[0].data = &tn->port_range;
	table[1].data = &tn->syn_retries;
	table[2].data = &tn->retries2;
	table[3].data = &tn->tw_timeout_ms;
	table[4].data = &tn->fin_timeout;
	table[5].data = &tn->keepalive_time;
	table[6].data = &tn->keepalive_intvl;
	table[7].data = &tn->keepalive_probes;
	table[8].data = &tn->orphan_retries;
	table[9].data = &tn->invalid_ratelimit_ms;
	table[10].data = &tn->rto_max_ms;
	table[11].data = &tn->max_orphans;
	table[12].data = &tn->syncookies;
	table[13].data = &tn->stream_isn;
	table[14].data = &tn->cong_ops;

	tn->sysctl = ttp_register_net_sysctl(net, "net/ttp", table,
					     ARRAY_SIZE(ttp_sysctl_table) - 1);
	if (!tn->sysctl) {
		kfree(table);
		return -ENOMEM;
	}
	return 0;
}

static void ttp_sysctl_exit(struct ttp_net *tn)
{
	const struct ctl_table *table = tn->sysctl->ctl_table_arg;

	unregister_net_sysctl_table(tn->sysctl);
	kfree(table);
}

static int __net_init ttp_net_init(struct net *net)
{
	struct ttp_net *tn = ttp_pernet(net);
	int err;

	ttp_table_init(&tn->table);
	tn->port_range = TTP_PORT_MAX_DEFAULT << 16 | TTP_PORT_MIN_DEFAULT;
	tn->syn_retries = 6;		/* as TCP: about 127 s */
	tn->retries2 = 15;		/* as TCP */
	tn->rto_max_ms = TTP_RTO_MAX_DEFAULT / TTP_USEC_PER_MSEC;
	tn->tw_timeout_ms = 1000;
	tn->fin_timeout = 60;		/* as TCP */
	tn->keepalive_time = 7200;	/* as TCP */
	tn->keepalive_intvl = 75;
	tn->keepalive_probes = 9;
	tn->orphan_retries = 8;		/* as TCP's default (0 means 8 there) */
	tn->invalid_ratelimit_ms = 500;	/* as TCP: HZ / 2 */
	tn->syncookies = 1;		/* as TCP */
	tn->max_orphans = 8192;		/* as TCP's: half the table's chains */
	/* as tcp_sk_init(): a new namespace starts with the initial one's */
	tn->cong_ops = net_eq(net, &init_net) ? &ttp_cubic_ops :
		       READ_ONCE(ttp_pernet(&init_net)->cong_ops);

	err = ttp_ctable_init(tn);
	if (err)
		return err;

	err = ttp_sysctl_init(net, tn);
	if (err)
		goto out_ctable;

	err = ttp_proc_init_net(net);
	if (err)
		goto out_sysctl;
	return 0;

out_sysctl:
	ttp_sysctl_exit(tn);
out_ctable:
	ttp_ctable_exit(tn);
	return err;
}

static void __net_exit ttp_net_exit(struct net *net)
{
	struct ttp_net *tn = ttp_pernet(net);
	int i;

	ttp_proc_exit_net(net);
	ttp_sysctl_exit(tn);
	/* Every socket holds its namespace: none can be left here. */
	for (i = 0; i < TTP_PORT_HASH_SIZE; i++)
		WARN_ON_ONCE(!hlist_empty(&tn->table.bind[i]));
	WARN_ON_ONCE(atomic_read(&tn->orphans));
	ttp_ctable_exit(tn);
}

static struct pernet_operations ttp_net_ops = {
	.init	= ttp_net_init,
	.exit	= ttp_net_exit,
	.id	= &ttp_net_id,
	.size	= sizeof(struct ttp_net),
};

int ttp_net_register(void)
{
	return register_pernet_subsys(&ttp_net_ops);
}

void ttp_net_unregister(void)
{
	unregister_pernet_subsys(&ttp_net_ops);
}
