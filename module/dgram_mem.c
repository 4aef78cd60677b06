// SPDX-License-Identifier: GPL-2.0
/*
 * The datagram's socket memory accounting, as UDP's (udp_mem,
 * __udp_enqueue_schedule_skb(), udp_rmem_release()): every datagram queued
 * on a socket is charged to the protocol's memory_allocated through the
 * socket's forward allocation, and net.ttp.dgram_mem (pages: low,
 * pressure, high; global, in the initial namespace, as udp_mem) bounds the
 * sum. Over "low", only a socket with less than a page queued (the proto's
 * sysctl_rmem[0], as udp_rmem_min) gets its datagram; any other is dropped
 * and counted in MemErrors (the rule of __sk_mem_raise_allocated(), which
 * UDP lives by too). A socket made by a task in a memory cgroup is charged
 * to it as well (mem_cgroup_sk_alloc() in sk_alloc()).
 *
 * Locking: datagrams are queued in softirq and freed by recvmsg(), both
 * without the socket lock, so a datagram socket's sk_forward_alloc is
 * guarded by its receive queue's lock (BHs off), as UDP's is. Nothing else
 * touches it but SO_RESERVE_MEM, under the socket lock, on kernels that
 * grant it to such sockets (6.1: for UDP's the same), and the destructor.
 * Sending is bounded by SO_SNDBUF alone, as for UDP.
 *
 * /proc/net/protocols shows the sum (its TTP line). It is summed with the
 * per-CPU reserves at module exit: a page still charged then is a leak,
 * and is reported.
 */
#include <linux/mm.h>
#include <linux/sysctl.h>

#include "ttp.h"

/* The socket layer's own atomics and per-CPU data: lockless. */
static atomic_long_t ttp_dgram_memory_allocated;
static DEFINE_PER_CPU(int, ttp_dgram_per_cpu_fw_alloc);
static long ttp_dgram_sysctl_mem[3];
/* Bytes; only [0] is read: the per-socket minimum over "low" (sk_get_rmem0()) */
static int ttp_dgram_sysctl_rmem[3] = { PAGE_SIZE, PAGE_SIZE, PAGE_SIZE };
static struct ctl_table_header *ttp_dgram_mem_sysctl;

static struct ctl_table ttp_dgram_mem_table[] = {
	{
		.procname	= "dgram_mem",
		.data		= ttp_dgram_sysctl_mem,
		.maxlen		= sizeof(ttp_dgram_sysctl_mem),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
	},
	{ }
};

/*
 * Give back the truesize of a queued datagram, and the whole pages of
 * credit that leaves: the destructor of every datagram ttp_dgram_enqueue()
 * queued (process context or softirq).
 */
static void ttp_dgram_rfree(struct sk_buff *skb)
{
	struct sock *sk = skb->sk;
	struct sk_buff_head *q = &sk->sk_receive_queue;

	spin_lock_bh(&q->lock);
	atomic_sub(skb->truesize, &sk->sk_rmem_alloc);
	sk_forward_alloc_add(sk, skb->truesize);
	if (sk->sk_forward_alloc >= (int)PAGE_SIZE)
		__sk_mem_reclaim(sk, sk->sk_forward_alloc);
	spin_unlock_bh(&q->lock);
}

/*
 * Queue @skb on @sk, charged (sock_queue_rcv_skb() with the charge made
 * under the queue's lock). 0, or -ENOMEM when SO_RCVBUF is full, -ENOBUFS
 * when net.ttp.dgram_mem has no room; the caller frees the skb then.
 */
int ttp_dgram_enqueue(struct sock *sk, struct sk_buff *skb)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	int size = skb->truesize;

	if (atomic_read(&sk->sk_rmem_alloc) >= READ_ONCE(sk->sk_rcvbuf)) {
		atomic_inc(&sk->sk_drops);
		return -ENOMEM;
	}
	spin_lock(&q->lock);
	if (sk->sk_forward_alloc < size &&
	    !__sk_mem_schedule(sk, size, SK_MEM_RECV)) {
		spin_unlock(&q->lock);
		atomic_inc(&sk->sk_drops);
		return -ENOBUFS;
	}
	sk_forward_alloc_add(sk, -size);
	skb_orphan(skb);
	skb->sk = sk;
	skb->destructor = ttp_dgram_rfree;
	atomic_add(size, &sk->sk_rmem_alloc);
	skb->dev = NULL;
	skb_dst_force(skb);
	sock_skb_set_dropcount(sk, skb);
	__skb_queue_tail(q, skb);
	spin_unlock(&q->lock);

	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
	return 0;
}

/* Hook the accounting into the datagram's proto, before proto_register(). */
static void ttp_dgram_mem_proto(struct proto *prot)
{
	prot->memory_allocated = &ttp_dgram_memory_allocated;
	prot->per_cpu_fw_alloc = &ttp_dgram_per_cpu_fw_alloc;
	prot->sysctl_mem = ttp_dgram_sysctl_mem;
	prot->sysctl_rmem = ttp_dgram_sysctl_rmem;
}

/*
 * The limits UDP starts from (udp_init()): 1/8 of the pages free for
 * buffers at "pressure", 3/4 of that at "low", twice "low" at "high".
 */
int ttp_dgram_mem_init(struct proto *prot)
{
	unsigned long limit = max(nr_free_buffer_pages() / 8, 128UL);

	ttp_dgram_sysctl_mem[0] = limit / 4 * 3;
	ttp_dgram_sysctl_mem[1] = limit;
	ttp_dgram_sysctl_mem[2] = ttp_dgram_sysctl_mem[0] * 2;
	ttp_dgram_mem_sysctl =
		ttp_register_net_sysctl(&init_net, "net/ttp",
					ttp_dgram_mem_table,
					ARRAY_SIZE(ttp_dgram_mem_table) - 1);
	if (!ttp_dgram_mem_sysctl)
		return -ENOMEM;
	ttp_dgram_mem_proto(prot);
	return 0;
}

void ttp_dgram_mem_exit(void)
{
	long pages = atomic_long_read(&ttp_dgram_memory_allocated);
	int cpu;

	for_each_possible_cpu(cpu)
		pages += per_cpu(ttp_dgram_per_cpu_fw_alloc, cpu);
	WARN(pages, "ttp: %ld pages of datagram socket memory still charged\n",
	     pages);
	unregister_net_sysctl_table(ttp_dgram_mem_sysctl);
}
