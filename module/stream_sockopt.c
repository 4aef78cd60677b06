// SPDX-License-Identifier: GPL-2.0
/*
 * The stream's socket options at SOL_TTP (TTP_NODELAY, the keepalive
 * times, TTP_CONGESTION, TTP_INFO) and SO_KEEPALIVE's hook; every other
 * level, and TTP_INET_ADDRS, go to sockopt.c as for datagrams.
 */
#include "stream.h"

/* The keepalive times go up to TCP's MAX_TCP_KEEPIDLE and _KEEPINTVL (s). */
#define TTP_KEEPALIVE_MAX	32767
/* and the probes up to its MAX_TCP_KEEPCNT */
#define TTP_KEEPCNT_MAX		127

static int ttp_stream_set_int(struct sock *sk, int optname, int val)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	switch (optname) {
	case TTP_NODELAY:
		tsk->nodelay = !!val;
		if (val)
			ttp_stream_push(sk, true);
		return 0;
	case TTP_KEEPIDLE:
		if (val < 1 || val > TTP_KEEPALIVE_MAX)
			return -EINVAL;
		tsk->keepidle = val;
		ttp_stream_reset_keepalive(sk);
		return 0;
	case TTP_KEEPINTVL:
		if (val < 1 || val > TTP_KEEPALIVE_MAX)
			return -EINVAL;
		tsk->keepintvl = val;
		return 0;
	case TTP_KEEPCNT:
		if (val < 1 || val > TTP_KEEPCNT_MAX)
			return -EINVAL;
		tsk->keepcnt = val;
		return 0;
	}
	return -ENOPROTOOPT;
}

/*
 * TTP_CONGESTION, as TCP_CONGESTION: the name need not be NUL-terminated;
 * the algorithm takes over a live connection's window as it stands.
 */
static int ttp_stream_set_cong(struct sock *sk, sockptr_t optval,
			       unsigned int optlen)
{
	char name[TTP_CA_NAME_MAX] = "";
	const struct ttp_cong_ops *ops;

	if (optlen < 1)
		return -EINVAL;
	if (copy_from_sockptr(name, optval,
			      min_t(unsigned int, optlen, sizeof(name) - 1)))
		return -EFAULT;
	ops = ttp_cong_find(name);
	if (!ops)
		return -ENOENT;
	lock_sock(sk);
	WRITE_ONCE(ttp_ssk(sk)->cong_ops, ops);
	if (ttp_ssk(sk)->cong.ops != ops)
		ttp_cong_switch(&ttp_ssk(sk)->cong, ops);
	release_sock(sk);
	return 0;
}

int ttp_stream_setsockopt(struct socket *sock, int level, int optname,
			  sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;
	int val, err;

	if (level != SOL_TTP || optname == TTP_INET_ADDRS)
		return ttp_setsockopt(sock, level, optname, optval, optlen);
	if (optname == TTP_INFO)
		return -ENOPROTOOPT;
	if (optname == TTP_CONGESTION)
		return ttp_stream_set_cong(sk, optval, optlen);
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	lock_sock(sk);
	err = ttp_stream_set_int(sk, optname, val);
	release_sock(sk);
	return err;
}

/*
 * The TTP_INFO figures of @sk. Under the socket lock for TTP_INFO; without
 * it for /proc/net/ttp_stream, where a figure may be a moment old.
 */
void ttp_stream_fill_info(struct sock *sk, struct ttp_info *info)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sk);

	memset(info, 0, sizeof(*info));
	info->ttpi_state = READ_ONCE(sk->sk_state);
	info->ttpi_rtt = ttp_rto_srtt_us(&tsk->rto);
	info->ttpi_rttvar = ttp_rto_rttvar_us(&tsk->rto);
	info->ttpi_rto = ttp_rto_timeout(&tsk->rto);
	info->ttpi_snd_cwnd = READ_ONCE(tsk->cong.cwnd);
	info->ttpi_snd_ssthresh = READ_ONCE(tsk->cong.ssthresh);
	info->ttpi_snd_wnd = READ_ONCE(tsk->snd_wnd);
	info->ttpi_snd_mss = READ_ONCE(tsk->mss);
	info->ttpi_rcv_wnd = READ_ONCE(tsk->rcv_wnd);
	info->ttpi_retransmits = READ_ONCE(tsk->retries);
	info->ttpi_bytes_sent = READ_ONCE(tsk->bytes_sent);
	info->ttpi_bytes_retrans = READ_ONCE(tsk->bytes_retrans);
	info->ttpi_bytes_acked = READ_ONCE(tsk->bytes_acked);
	info->ttpi_bytes_received = READ_ONCE(tsk->bytes_received);
	info->ttpi_segs_out = READ_ONCE(tsk->segs_out);
	info->ttpi_segs_in = READ_ONCE(tsk->segs_in);
	info->ttpi_segs_retrans = READ_ONCE(tsk->segs_retrans);
}

int ttp_stream_getsockopt(struct socket *sock, int level, int optname,
			  char __user *optval, int __user *optlen)
{
	struct ttp_stream_sock *tsk = ttp_ssk(sock->sk);
	struct ttp_net *tn = ttp_pernet(sock_net(sock->sk));
	char name[TTP_CA_NAME_MAX] = "";
	struct ttp_info info;
	int len, val;

	if (level != SOL_TTP || optname == TTP_INET_ADDRS)
		return ttp_getsockopt(sock, level, optname, optval, optlen);
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	switch (optname) {
	case TTP_INFO:
		lock_sock(sock->sk);
		ttp_stream_fill_info(sock->sk, &info);
		release_sock(sock->sk);
		len = min_t(unsigned int, len, sizeof(info));
		if (put_user(len, optlen) || copy_to_user(optval, &info, len))
			return -EFAULT;
		return 0;
	case TTP_CONGESTION:
		strscpy(name, READ_ONCE(tsk->cong_ops)->name, sizeof(name));
		len = min_t(unsigned int, len, sizeof(name));
		if (put_user(len, optlen) || copy_to_user(optval, name, len))
			return -EFAULT;
		return 0;
	case TTP_NODELAY:
		val = tsk->nodelay;
		break;
	case TTP_KEEPIDLE:
		val = tsk->keepidle ?: READ_ONCE(tn->keepalive_time);
		break;
	case TTP_KEEPINTVL:
		val = tsk->keepintvl ?: READ_ONCE(tn->keepalive_intvl);
		break;
	case TTP_KEEPCNT:
		val = tsk->keepcnt ?: READ_ONCE(tn->keepalive_probes);
		break;
	default:
		return -ENOPROTOOPT;
	}
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

/* SO_KEEPALIVE turned on or off: the core calls this (proto.keepalive). */
void ttp_stream_keepalive(struct sock *sk, int valbool)
{
	sock_valbool_flag(sk, SOCK_KEEPOPEN, valbool);
	ttp_stream_reset_keepalive(sk);
}
