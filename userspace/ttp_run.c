// SPDX-License-Identifier: GPL-2.0
/*
 * libttp-run.so: the LD_PRELOAD library of ttp-run, which runs unmodified
 * IPv4 TCP (and, with -u, UDP) programs over TTP.
 *
 * It replaces socket() only where it makes a socket: an AF_INET
 * SOCK_STREAM socket (protocol 0 or IPPROTO_TCP) is made an AF_TTP stream
 * socket instead, and with TTP_RUN_DGRAM=1 an AF_INET SOCK_DGRAM one (0 or
 * IPPROTO_UDP) a TTP datagram socket, each with TTP_INET_ADDRS on: from then
 * on the kernel takes and gives sockaddr_in itself, in bind, connect,
 * accept, getsockname, getpeername, sendto, recvfrom, sendmsg and recvmsg,
 * and an accepted socket inherits it. No file descriptor is ever swapped
 * behind the program's back, so epoll sets, fork, dup and the fortified
 * entry points (__recv_chk, __recvfrom_chk) see the one socket there is.
 *
 * What a program reads about its sockets is kept consistent: SO_DOMAIN
 * gives AF_INET and SO_PROTOCOL IPPROTO_TCP (IPPROTO_UDP); the IPPROTO_TCP
 * options a program sets and reads map to TTP's (TCP_NODELAY, the
 * keepalive times, TCP_CONGESTION, TCP_INFO filled from TTP_INFO, TCP_MAXSEG
 * read), the harmless ones are accepted and ignored, the rest fail with
 * ENOPROTOOPT as an unknown TCP option would. UDP_CORK maps to TTP_CORK.
 *
 * Left alone: every other socket (AF_UNIX, AF_INET6, netlink, raw), and
 * with TTP_RUN_DGRAM a datagram socket whose first destination is port 53
 * (name resolution): it is made a real UDP socket at that moment, before
 * anything was sent on it, by dup2() of a new UDP socket onto it.
 *
 * TTP_RUN_VERBOSE=1 logs each socket it makes to stderr. The family number
 * is read from /sys/module/ttp/parameters/family (the module may be loaded
 * with another), else AF_TTP.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/tcp.h>		/* the full struct tcp_info */
#include <linux/udp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ttp.h>

#define TTP_RUN_EXPORT	__attribute__((visibility("default")))

static int (*real_socket)(int, int, int);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_getsockopt)(int, int, int, void *, socklen_t *);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static ssize_t (*real_sendto)(int, const void *, size_t, int,
			      const struct sockaddr *, socklen_t);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);

static int ttp_family = AF_TTP;
static int with_dgram, verbose;

static void *next_symbol(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p) {
		fprintf(stderr, "ttp-run: %s not found: %s\n", name, dlerror());
		abort();
	}
	return p;
}

__attribute__((constructor)) static void ttp_run_init(void)
{
	const char *v;
	FILE *f;
	int fam;

	real_socket = next_symbol("socket");
	real_setsockopt = next_symbol("setsockopt");
	real_getsockopt = next_symbol("getsockopt");
	real_connect = next_symbol("connect");
	real_sendto = next_symbol("sendto");
	real_sendmsg = next_symbol("sendmsg");
	v = getenv("TTP_RUN_DGRAM");
	with_dgram = v && *v == '1';
	v = getenv("TTP_RUN_VERBOSE");
	verbose = v && *v == '1';
	f = fopen("/sys/module/ttp/parameters/family", "re");
	if (f) {
		if (fscanf(f, "%d", &fam) == 1)
			ttp_family = fam;
		fclose(f);
	}
}

/* One line to stderr with -v; errno is the caller's afterwards */
static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	int saved = errno;

	if (!verbose)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(STDERR_FILENO, buf, strnlen(buf, sizeof(buf))) < 0)
		n = 0;
	errno = saved;
}

/* The type of TTP socket @fd is (SOCK_STREAM, SOCK_DGRAM) with AF_INET
 * addresses, or 0 for any other socket or descriptor. errno is kept.
 */
static int ttp_kind(int fd)
{
	int saved = errno, dom = 0, type = 0, on = 0;
	socklen_t len = sizeof(int);

	if (real_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) || dom != ttp_family)
		goto no;
	len = sizeof(int);
	if (real_getsockopt(fd, SOL_TTP, TTP_INET_ADDRS, &on, &len) || !on)
		goto no;
	len = sizeof(int);
	if (real_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len))
		goto no;
	errno = saved;
	return type;
no:
	errno = saved;
	return 0;
}

TTP_RUN_EXPORT int socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), fd, on = 1;
	const char *what;

	if (!real_socket)
		ttp_run_init();
	if (domain != AF_INET)
		return real_socket(domain, type, protocol);
	if (base == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
		what = "stream";
	else if (with_dgram && base == SOCK_DGRAM &&
		 (protocol == 0 || protocol == IPPROTO_UDP))
		what = "datagram";
	else
		return real_socket(domain, type, protocol);

	fd = real_socket(ttp_family, type, 0);
	if (fd < 0) {
		say("ttp-run: socket(AF_TTP, %s): %s\n", what, strerror(errno));
		return fd;
	}
	if (real_setsockopt(fd, SOL_TTP, TTP_INET_ADDRS, &on, sizeof(on))) {
		int err = errno;

		say("ttp-run: TTP_INET_ADDRS: %s (a module without it?)\n", strerror(err));
		close(fd);
		errno = err;
		return -1;
	}
	say("ttp-run: fd %d: TTP %s socket for AF_INET\n", fd, what);
	return fd;
}

/* TCP options that change nothing a program can observe but timing, or
 * that TTP has no counterpart for and TCP would take: accepted, ignored.
 */
static int tcp_opt_ignored(int optname)
{
	switch (optname) {
	case TCP_CORK:
	case TCP_QUICKACK:
	case TCP_DEFER_ACCEPT:
	case TCP_FASTOPEN:
	case TCP_FASTOPEN_CONNECT:
	case TCP_USER_TIMEOUT:
	case TCP_NOTSENT_LOWAT:
	case TCP_WINDOW_CLAMP:
	case TCP_MAXSEG:
	case TCP_LINGER2:
	case TCP_SYNCNT:
		return 1;
	}
	return 0;
}

/* The TTP option a TCP one maps to, or -1 */
static int tcp_to_ttp(int optname)
{
	switch (optname) {
	case TCP_NODELAY:
		return TTP_NODELAY;
	case TCP_KEEPIDLE:
		return TTP_KEEPIDLE;
	case TCP_KEEPINTVL:
		return TTP_KEEPINTVL;
	case TCP_KEEPCNT:
		return TTP_KEEPCNT;
	case TCP_CONGESTION:
		return TTP_CONGESTION;
	}
	return -1;
}

TTP_RUN_EXPORT int setsockopt(int fd, int level, int optname, const void *optval,
			      socklen_t optlen)
{
	int kind, opt;

	if (!real_setsockopt)
		ttp_run_init();
	if (level != IPPROTO_TCP && level != IPPROTO_UDP)
		return real_setsockopt(fd, level, optname, optval, optlen);
	kind = ttp_kind(fd);
	if (level == IPPROTO_TCP && kind == SOCK_STREAM) {
		opt = tcp_to_ttp(optname);
		if (opt >= 0)
			return real_setsockopt(fd, SOL_TTP, opt, optval, optlen);
		if (tcp_opt_ignored(optname))
			return 0;
		errno = ENOPROTOOPT;
		return -1;
	}
	if (level == IPPROTO_UDP && kind == SOCK_DGRAM) {
		if (optname == UDP_CORK)
			return real_setsockopt(fd, SOL_TTP, TTP_CORK, optval, optlen);
		errno = ENOPROTOOPT;
		return -1;
	}
	return real_setsockopt(fd, level, optname, optval, optlen);
}

/* An option's value to the caller, cut to *@optlen as the kernel does */
static int put_bytes(void *optval, socklen_t *optlen, const void *val,
		     socklen_t size)
{
	socklen_t len;

	if (!optlen || (int)*optlen < 0) {
		errno = EINVAL;
		return -1;
	}
	len = *optlen < size ? *optlen : size;
	memcpy(optval, val, len);
	*optlen = len;
	return 0;
}

static int put_int(void *optval, socklen_t *optlen, int val)
{
	return put_bytes(optval, optlen, &val, sizeof(val));
}

/* TCP_INFO from TTP_INFO: the fields that mean the same, the rest zero */
static int tcp_info_of(int fd, void *optval, socklen_t *optlen)
{
	struct ttp_info ti;
	struct tcp_info t;
	socklen_t len = sizeof(ti);
	unsigned int mss;

	if (real_getsockopt(fd, SOL_TTP, TTP_INFO, &ti, &len))
		return -1;
	memset(&t, 0, sizeof(t));
	mss = ti.ttpi_snd_mss ? ti.ttpi_snd_mss : 1;
	t.tcpi_state = ti.ttpi_state;
	t.tcpi_retransmits = ti.ttpi_retransmits;
	t.tcpi_rto = ti.ttpi_rto;
	t.tcpi_snd_mss = ti.ttpi_snd_mss;
	t.tcpi_rcv_mss = ti.ttpi_snd_mss;
	t.tcpi_rtt = ti.ttpi_rtt;
	t.tcpi_rttvar = ti.ttpi_rttvar;
	t.tcpi_snd_cwnd = ti.ttpi_snd_cwnd / mss;
	t.tcpi_snd_ssthresh = ti.ttpi_snd_ssthresh / mss;
	t.tcpi_rcv_space = ti.ttpi_rcv_wnd;
	t.tcpi_total_retrans = ti.ttpi_segs_retrans;
	t.tcpi_bytes_acked = ti.ttpi_bytes_acked;
	t.tcpi_bytes_received = ti.ttpi_bytes_received;
	t.tcpi_segs_out = ti.ttpi_segs_out;
	t.tcpi_segs_in = ti.ttpi_segs_in;
	t.tcpi_bytes_sent = ti.ttpi_bytes_sent;
	t.tcpi_bytes_retrans = ti.ttpi_bytes_retrans;
	t.tcpi_snd_wnd = ti.ttpi_snd_wnd;
	return put_bytes(optval, optlen, &t, sizeof(t));
}

static int get_tcp(int fd, int optname, void *optval, socklen_t *optlen)
{
	struct ttp_info ti;
	socklen_t len = sizeof(ti);
	int opt = tcp_to_ttp(optname);

	if (opt >= 0)
		return real_getsockopt(fd, SOL_TTP, opt, optval, optlen);
	if (optname == TCP_INFO)
		return tcp_info_of(fd, optval, optlen);
	if (optname == TCP_MAXSEG) {
		if (real_getsockopt(fd, SOL_TTP, TTP_INFO, &ti, &len))
			return -1;
		return put_int(optval, optlen, ti.ttpi_snd_mss ? (int)ti.ttpi_snd_mss : 536);
	}
	if (tcp_opt_ignored(optname))
		return put_int(optval, optlen, 0);
	errno = ENOPROTOOPT;
	return -1;
}

TTP_RUN_EXPORT int getsockopt(int fd, int level, int optname, void *optval,
			      socklen_t *optlen)
{
	int kind;

	if (!real_getsockopt)
		ttp_run_init();
	if (level == SOL_SOCKET && optname != SO_DOMAIN && optname != SO_PROTOCOL)
		return real_getsockopt(fd, level, optname, optval, optlen);
	if (level != SOL_SOCKET && level != IPPROTO_TCP && level != IPPROTO_UDP)
		return real_getsockopt(fd, level, optname, optval, optlen);
	kind = ttp_kind(fd);
	if (!kind)
		return real_getsockopt(fd, level, optname, optval, optlen);
	if (level == SOL_SOCKET && optname == SO_DOMAIN)
		return put_int(optval, optlen, AF_INET);
	if (level == SOL_SOCKET)
		return put_int(optval, optlen,
			       kind == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
	if (level == IPPROTO_TCP && kind == SOCK_STREAM)
		return get_tcp(fd, optname, optval, optlen);
	if (level == IPPROTO_UDP && kind == SOCK_DGRAM && optname == UDP_CORK)
		return real_getsockopt(fd, SOL_TTP, TTP_CORK, optval, optlen);
	errno = ENOPROTOOPT;
	return -1;
}

/*
 * A TTP datagram socket about to send to port 53 for the first time: make
 * it a UDP socket (name resolution stays on UDP). Only before it has a
 * port: once bound or connected it stays what it is.
 */
static void keep_dns_on_udp(int fd, const struct sockaddr *to, socklen_t tolen)
{
	const struct sockaddr_in *sin = (const void *)to;
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	int saved = errno, udp, fl, fdfl;

	if (!with_dgram || !to || tolen < sizeof(*sin) || sin->sin_family != AF_INET ||
	    sin->sin_port != htons(53) || ttp_kind(fd) != SOCK_DGRAM)
		return;
	if (getsockname(fd, (struct sockaddr *)&me, &len) || me.sin_port)
		goto out;
	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	udp = real_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	if (udp < 0 || fl < 0 || fdfl < 0)
		goto out_close;
	if (fcntl(udp, F_SETFL, fl) || dup3(udp, fd, fdfl & FD_CLOEXEC ? O_CLOEXEC : 0) < 0)
		goto out_close;
	say("ttp-run: fd %d: UDP again (port 53)\n", fd);
out_close:
	if (udp >= 0)
		close(udp);
out:
	errno = saved;
}

TTP_RUN_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (!real_connect)
		ttp_run_init();
	keep_dns_on_udp(fd, addr, len);
	return real_connect(fd, addr, len);
}

TTP_RUN_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			      const struct sockaddr *to, socklen_t tolen)
{
	if (!real_sendto)
		ttp_run_init();
	keep_dns_on_udp(fd, to, tolen);
	return real_sendto(fd, buf, n, flags, to, tolen);
}

TTP_RUN_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (!real_sendmsg)
		ttp_run_init();
	if (msg)
		keep_dns_on_udp(fd, msg->msg_name, msg->msg_namelen);
	return real_sendmsg(fd, msg, flags);
}
