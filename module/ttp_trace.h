/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TTP's trace events, under "ttp:" in tracefs (events/ttp/), for perf
 * trace, trace-cmd and bpftrace:
 *
 *   ttp_state       a stream socket's state change (old and new, TCP's names)
 *   ttp_retransmit  segments sent again, how many, and why (timeout: after the
 *                   retransmission timer's go-back; fast: three duplicate
 *                   ACKs; recovery: a partial ACK in fast recovery; simopen:
 *                   a simultaneous open's SYN)
 *   ttp_drop        a received packet dropped, with the counter it was
 *                   counted in (/proc/net/ttp_snmp's name) as the reason
 *   ttp_cwnd        the congestion window or ssthresh changed (on an ACK, a
 *                   timeout, a restart after idle)
 *
 * Defined (CREATE_TRACE_POINTS) in trace.c; the rest include this header.
 * enum ttp_resend_reason is in stream.h.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ttp

#if !defined(_TTP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TTP_TRACE_H

#include <linux/ip.h>
#include <linux/tracepoint.h>
#include <net/inet_sock.h>
#include <net/tcp_states.h>

#include "stream.h"

TRACE_DEFINE_ENUM(TTP_RESEND_TIMEOUT);
TRACE_DEFINE_ENUM(TTP_RESEND_FAST);
TRACE_DEFINE_ENUM(TTP_RESEND_RECOVERY);
TRACE_DEFINE_ENUM(TTP_RESEND_SIMOPEN);

TRACE_DEFINE_ENUM(TTP_MIB_NOPORTS);
TRACE_DEFINE_ENUM(TTP_MIB_INERRORS);
TRACE_DEFINE_ENUM(TTP_MIB_RCVBUFERRORS);
TRACE_DEFINE_ENUM(TTP_MIB_INCSUMERRORS);
TRACE_DEFINE_ENUM(TTP_MIB_MALFORMED);
TRACE_DEFINE_ENUM(TTP_MIB_PAWSESTAB);
TRACE_DEFINE_ENUM(TTP_MIB_RCVQDROP);
TRACE_DEFINE_ENUM(TTP_MIB_MEMERRORS);

#define ttp_show_state(s)						\
	__print_symbolic(s,						\
		{ TCP_ESTABLISHED, "ESTABLISHED" },			\
		{ TCP_SYN_SENT, "SYN_SENT" },				\
		{ TCP_SYN_RECV, "SYN_RECV" },				\
		{ TCP_FIN_WAIT1, "FIN_WAIT1" },				\
		{ TCP_FIN_WAIT2, "FIN_WAIT2" },				\
		{ TCP_TIME_WAIT, "TIME_WAIT" },				\
		{ TCP_CLOSE, "CLOSE" },					\
		{ TCP_CLOSE_WAIT, "CLOSE_WAIT" },			\
		{ TCP_LAST_ACK, "LAST_ACK" },				\
		{ TCP_LISTEN, "LISTEN" },				\
		{ TCP_CLOSING, "CLOSING" })

#define ttp_show_rtx(r)							\
	__print_symbolic(r,						\
		{ TTP_RESEND_TIMEOUT, "timeout" },				\
		{ TTP_RESEND_FAST, "fast" },				\
		{ TTP_RESEND_RECOVERY, "recovery" },			\
		{ TTP_RESEND_SIMOPEN, "simopen" })

#define ttp_show_drop(r)						\
	__print_symbolic(r,						\
		{ TTP_MIB_NOPORTS, "NoPorts" },				\
		{ TTP_MIB_INERRORS, "InErrors" },			\
		{ TTP_MIB_RCVBUFERRORS, "RcvbufErrors" },		\
		{ TTP_MIB_INCSUMERRORS, "InCsumErrors" },		\
		{ TTP_MIB_MALFORMED, "Malformed" },			\
		{ TTP_MIB_PAWSESTAB, "PAWSEstab" },			\
		{ TTP_MIB_RCVQDROP, "RcvQDrop" },			\
		{ TTP_MIB_MEMERRORS, "MemErrors" })

/* A socket's 4-tuple, local first: the fields, their assignment, format */
#define TTP_TP_TUPLE_FIELDS						\
	__field(__be32, saddr)						\
	__field(__be32, daddr)						\
	__field(u16, sport)						\
	__field(u16, dport)

#define TTP_TP_STORE_TUPLE(sk)						\
	do {								\
		const struct inet_sock *inet = inet_sk(sk);		\
									\
		__entry->saddr = inet->inet_saddr;			\
		__entry->daddr = inet->inet_daddr;			\
		__entry->sport = ntohs(inet->inet_sport);		\
		__entry->dport = ntohs(inet->inet_dport);		\
	} while (0)

#define TTP_TP_TUPLE_FMT	"%pI4:%u %pI4:%u"
#define TTP_TP_TUPLE_ARGS						\
	&__entry->saddr, __entry->sport, &__entry->daddr, __entry->dport

TRACE_EVENT(ttp_state,
	TP_PROTO(const struct sock *sk, int oldstate, int newstate),
	TP_ARGS(sk, oldstate, newstate),
	TP_STRUCT__entry(
		TTP_TP_TUPLE_FIELDS
		__field(int, oldstate)
		__field(int, newstate)
	),
	TP_fast_assign(
		TTP_TP_STORE_TUPLE(sk);
		__entry->oldstate = oldstate;
		__entry->newstate = newstate;
	),
	TP_printk(TTP_TP_TUPLE_FMT " %s -> %s", TTP_TP_TUPLE_ARGS,
		  ttp_show_state(__entry->oldstate),
		  ttp_show_state(__entry->newstate))
);

TRACE_EVENT(ttp_retransmit,
	TP_PROTO(const struct sock *sk, u32 seq, u32 len, u16 segs,
		 int reason),
	TP_ARGS(sk, seq, len, segs, reason),
	TP_STRUCT__entry(
		TTP_TP_TUPLE_FIELDS
		__field(u32, seq)
		__field(u32, len)
		__field(u16, segs)
		__field(int, reason)
	),
	TP_fast_assign(
		TTP_TP_STORE_TUPLE(sk);
		__entry->seq = seq;
		__entry->len = len;
		__entry->segs = segs;
		__entry->reason = reason;
	),
	TP_printk(TTP_TP_TUPLE_FMT " seq=%u len=%u segs=%u reason=%s",
		  TTP_TP_TUPLE_ARGS, __entry->seq, __entry->len,
		  __entry->segs, ttp_show_rtx(__entry->reason))
);

/* From the packet's headers: it may have no socket */
TRACE_EVENT(ttp_drop,
	TP_PROTO(const struct sk_buff *skb, int reason),
	TP_ARGS(skb, reason),
	TP_STRUCT__entry(
		__field(__be32, saddr)
		__field(__be32, daddr)
		__field(u32, len)
		__field(int, reason)
	),
	TP_fast_assign(
		__entry->saddr = ip_hdr(skb)->saddr;
		__entry->daddr = ip_hdr(skb)->daddr;
		__entry->len = skb->len;
		__entry->reason = reason;
	),
	TP_printk("%pI4 -> %pI4 len=%u reason=%s", &__entry->saddr,
		  &__entry->daddr, __entry->len, ttp_show_drop(__entry->reason))
);

TRACE_EVENT(ttp_cwnd,
	TP_PROTO(const struct sock *sk, u32 cwnd, u32 ssthresh, u32 in_flight),
	TP_ARGS(sk, cwnd, ssthresh, in_flight),
	TP_STRUCT__entry(
		TTP_TP_TUPLE_FIELDS
		__field(u32, cwnd)
		__field(u32, ssthresh)
		__field(u32, in_flight)
	),
	TP_fast_assign(
		TTP_TP_STORE_TUPLE(sk);
		__entry->cwnd = cwnd;
		__entry->ssthresh = ssthresh;
		__entry->in_flight = in_flight;
	),
	TP_printk(TTP_TP_TUPLE_FMT " cwnd=%u ssthresh=%u in_flight=%u",
		  TTP_TP_TUPLE_ARGS, __entry->cwnd, __entry->ssthresh,
		  __entry->in_flight)
);

#endif /* _TTP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE ttp_trace
#include <trace/define_trace.h>
