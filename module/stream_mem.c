// SPDX-License-Identifier: GPL-2.0
/*
 * The stream's socket memory accounting, the kernel's way (as TCP's
 * tcp_mem, SCTP's sctp_mem): every byte a stream socket queues, to send
 * or received, is charged to the protocol's memory_allocated through the
 * socket's forward allocation (sk_wmem_schedule(), sk_rmem_schedule(),
 * sk_mem_charge(), sock_rfree()), and net.ttp.mem (pages: low, pressure,
 * high; global, in the initial namespace, as tcp_mem) bounds the sum:
 * above "pressure" the protocol is under memory pressure, above "high" a
 * socket gets no more than its minimum (one page each way) and what it
 * receives beyond is dropped (RcvQDrop), what it sends waits. Progress is
 * still guaranteed, as TCP guarantees it: a writer may always queue its
 * minimum (ttp_mem_wmem_schedule()), a reader with nothing queued always
 * gets the next in-order segment (ttp_rmem_schedule() in stream_in.c),
 * charged by force. Else the memory that send queues hold, waiting for
 * ACKs, could starve every receiver, and no connection would move. A socket
 * created by a task in a memory cgroup is charged to it too
 * (mem_cgroup_sk_alloc() in sk_alloc()); a child made in softirq is not
 * (TCP's fix in inet_csk_accept() is not exported).
 *
 * /proc/net/protocols shows the sum (its TTP_STREAM line: sockets, memory
 * in pages, pressure). The per-CPU reserves are summed at module exit: a
 * page still charged then is a leak, and is reported.
 */
#include <linux/mm.h>
#include <linux/percpu_counter.h>
#include <linux/sysctl.h>

#include "stream.h"

/* All of these: lockless, the socket layer's own atomics and per-CPU data. */
static atomic_long_t ttp_memory_allocated;
static DEFINE_PER_CPU(int, ttp_memory_per_cpu_fw_alloc);
static struct percpu_counter ttp_sockets_allocated;
static unsigned long ttp_memory_pressure;
static long ttp_sysctl_mem[3];
/*
 * Bytes. [0], the per-socket minimum, is read through sk_get_rmem0/wmem0;
 * rmem[2] bounds auto-tuning (ttp_rcv_space_adjust()); the rest is unused.
 */
static int ttp_sysctl_rmem[3] = { PAGE_SIZE, 131072, 6291456 };
static int ttp_sysctl_wmem[3] = { PAGE_SIZE, 16384, 4194304 };
static struct ctl_table_header *ttp_mem_sysctl;

static struct ctl_table ttp_mem_table[] = {
	{
		.procname	= "mem",
		.data		= ttp_sysctl_mem,
		.maxlen		= sizeof(ttp_sysctl_mem),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
	},
	{ }
};

static void ttp_enter_memory_pressure(struct sock *sk)
{
	WRITE_ONCE(ttp_memory_pressure, 1);
}

static void ttp_leave_memory_pressure(struct sock *sk)
{
	WRITE_ONCE(ttp_memory_pressure, 0);
}

/*
 * Charge @size bytes queued on @sk that cannot wait for memory: a SYN or
 * FIN, the head a split needs (TCP's sk_forced_mem_schedule() is not
 * exported). The credit may go below zero; the uncharge restores it.
 */
void ttp_mem_charge_forced(struct sock *sk, int size)
{
	sk_wmem_schedule(sk, size);
	sk_mem_charge(sk, size);
}

/*
 * How many of @size bytes to send @sk may queue (0: none, wait for
 * memory). Over net.ttp.mem a socket still queues up to its minimum, a
 * page (the proto's sysctl_wmem[0]), charged by force as TCP's
 * tcp_wmem_schedule().
 */
int ttp_mem_wmem_schedule(struct sock *sk, int size)
{
	int left;

	if (sk_wmem_schedule(sk, size))
		return size;
	left = ttp_sysctl_wmem[0] - sk->sk_wmem_queued;
	return left > 0 ? min(left, size) : 0;
}

/*
 * A round trip as the receiver sees it, for auto-tuning: from an ACK of
 * ours to the data it let in, which echoes its TSval (as TCP's
 * tcp_rcv_rtt_measure_ts()), smoothed by 1/8. An echo from the future or
 * older than TTP_RCV_RTT_MAX_US is no sample.
 */
void ttp_rcv_rtt_sample(struct ttp_stream_sock *tsk,
			const struct ttp_stream_cb *cb)
{
	u32 rtt;

	if (!cb->has_ts || !cb->tsecr)
		return;
	rtt = (u32)ttp_clock_us() - cb->tsecr;
	if (rtt > TTP_RCV_RTT_MAX_US)
		return;
	rtt = max(rtt, 1U);
	if (tsk->rcv_rtt_us)
		rtt = tsk->rcv_rtt_us - (tsk->rcv_rtt_us >> 3) + (rtt >> 3);
	tsk->rcv_rtt_us = max(rtt, 1U);
}

/*
 * Receive buffer auto-tuning, as TCP's (tcp_rcv_space_adjust(), "dynamic
 * right-sizing"): once a round trip, the bytes the reader took in it; at a
 * new high, the buffer grows so that the sender may have twice that, and
 * 16 segments more, in flight. The window is half the free buffer
 * (ttp_stream_rcv_window()), so the buffer is twice that window, up to
 * sysctl_rmem[2] (6 MB, tcp_rmem's). Not when the user set SO_RCVBUF, nor
 * under memory pressure; it never shrinks. Without timestamps the round
 * trip is the sender's SRTT. After each read, socket lock held.
 */
void ttp_rcv_space_adjust(struct sock *sk)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);
	u32 rtt = tsk->rcv_rtt_us ?: ttp_rto_srtt_us(&tsk->rto), copied;
	u64 now = ttp_clock_us(), want;

	if (tsk->rcvq_time_us) {
		if (!rtt || now - tsk->rcvq_time_us < rtt)
			return;
		copied = tsk->copied_seq - tsk->rcvq_seq;
		if (copied > tsk->rcvq_space) {
			tsk->rcvq_space = copied;
			want = 2 * (2 * (u64)copied + 16 * tsk->mss);
			want = min_t(u64, want, ttp_sysctl_rmem[2]);
			if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK) &&
			    !sk_under_memory_pressure(sk) &&
			    want > READ_ONCE(sk->sk_rcvbuf))
				WRITE_ONCE(sk->sk_rcvbuf, want);
		}
	}
	tsk->rcvq_seq = tsk->copied_seq;
	tsk->rcvq_time_us = now;
}

/* Hook the accounting into the stream's proto, before proto_register(). */
static void ttp_mem_proto(struct proto *prot)
{
	prot->memory_allocated = &ttp_memory_allocated;
	prot->per_cpu_fw_alloc = &ttp_memory_per_cpu_fw_alloc;
	prot->sockets_allocated = &ttp_sockets_allocated;
	prot->memory_pressure = &ttp_memory_pressure;
	prot->enter_memory_pressure = ttp_enter_memory_pressure;
	prot->leave_memory_pressure = ttp_leave_memory_pressure;
	prot->sysctl_mem = ttp_sysctl_mem;
	prot->sysctl_rmem = ttp_sysctl_rmem;
	prot->sysctl_wmem = ttp_sysctl_wmem;
}

/*
 * The limits TCP starts from (tcp_init_mem()): 1/16 of the pages free for
 * buffers at "pressure", 3/4 of that at "low", twice "low" at "high".
 */
int ttp_mem_init(struct proto *prot)
{
	unsigned long limit = max(nr_free_buffer_pages() / 16, 128UL);
	int err;

	ttp_sysctl_mem[0] = limit / 4 * 3;
	ttp_sysctl_mem[1] = limit;
	ttp_sysctl_mem[2] = ttp_sysctl_mem[0] * 2;
	err = percpu_counter_init(&ttp_sockets_allocated, 0, GFP_KERNEL);
	if (err)
		return err;
	ttp_mem_sysctl = ttp_register_net_sysctl(&init_net, "net/ttp",
						 ttp_mem_table,
						 ARRAY_SIZE(ttp_mem_table) - 1);
	if (!ttp_mem_sysctl) {
		percpu_counter_destroy(&ttp_sockets_allocated);
		return -ENOMEM;
	}
	ttp_mem_proto(prot);
	return 0;
}

void ttp_mem_exit(void)
{
	long pages = atomic_long_read(&ttp_memory_allocated);
	int cpu;

	for_each_possible_cpu(cpu)
		pages += per_cpu(ttp_memory_per_cpu_fw_alloc, cpu);
	WARN(pages, "ttp: %ld pages of stream socket memory still charged\n",
	     pages);
	unregister_net_sysctl_table(ttp_mem_sysctl);
	percpu_counter_destroy(&ttp_sockets_allocated);
}
