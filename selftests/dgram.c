// SPDX-License-Identifier: GPL-2.0
/*
 * TTP datagram mode (socket(AF_TTP, SOCK_DGRAM, 0)): every behaviour and
 * errno of udp(7) that TTP promises. Each test runs in its own network
 * namespace, so ports are fixed and counter deltas are exact.
 *
 * TTP_TEST_AS_UDP=1 runs the same tests against udp (tests that only make
 * sense for TTP skip), which validates the tests without the module.
 */
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>

#include "ttp_test.h"
#include "../../kselftest_harness.h"

#define PA	5000		/* port of socket a */
#define PB	5001		/* port of socket b */
#define PC	5002		/* port of socket c */
#define PDEAD	6000		/* nobody listens here */
#define BUFSZ	(70 * 1024)

static char sbuf[BUFSZ], rbuf[BUFSZ];

/* ---- small helpers ---------------------------------------------------- */

/*
 * A fresh netns with lo up. A kernel without network namespaces skips the
 * test (-1); a socket of the stack under test that cannot be made fails
 * it: that is the feature being tested, not a missing capability.
 */
static int setup_netns(struct __test_metadata *_metadata)
{
	int err = ttp_netns_new();

	if (err == -EINVAL)
		SKIP(return -1, "no network namespaces in this kernel");
	ASSERT_EQ(0, err) TH_LOG("cannot create a network namespace: %s",
				 strerror(-err));
	err = ttp_probe();
	ASSERT_EQ(0, err) TH_LOG("socket(%d, SOCK_DGRAM, 0): %s",
				 ttp_family(), strerror(err));
	return 0;
}

static int new_bound(struct __test_metadata *_metadata, uint32_t ip,
		     uint16_t port)
{
	int fd = ttp_socket();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ttp_bind(fd, ip, port)) TH_LOG("bind %u: %s", port,
						     strerror(errno));
	return fd;
}

static void mib(struct __test_metadata *_metadata, struct ttp_mib *m)
{
	int n = ttp_mib_read(m);

	ASSERT_LE(ttp_stack()->udp ? 7 : 8, n) TH_LOG("%s: %d counters",
						   ttp_stack()->snmp, n);
}

/* Wait (up to 3 s) until counter name has grown by delta since m0. */
static long wait_mib(struct __test_metadata *_metadata,
		     const struct ttp_mib *m0, const char *name, long delta)
{
	long long end = ttp_now_ms() + 3000;
	struct ttp_mib m, c0 = *m0;
	long d;

	do {
		mib(_metadata, &m);
		d = *ttp_mib_field(&m, name) - *ttp_mib_field(&c0, name);
		if (d >= delta)
			break;
		ttp_sleep_ms(5);
	} while (ttp_now_ms() < end);
	return d;
}

static void send_ok(struct __test_metadata *_metadata, int fd,
		    const void *buf, size_t len, uint16_t port)
{
	ASSERT_EQ((ssize_t)len, ttp_sendto(fd, buf, len, 0, LO, port))
		TH_LOG("sendto %zu bytes to port %u: %s", len, port,
		       strerror(errno));
}

/* Receive one datagram of exactly len bytes with pattern seed. */
static void recv_exact(struct __test_metadata *_metadata, int fd,
		       size_t len, unsigned int seed)
{
	ssize_t n;

	ttp_fill(sbuf, len, seed);
	n = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
	ASSERT_EQ((ssize_t)len, n) TH_LOG("recv: %s", strerror(errno));
	ASSERT_EQ(0, memcmp(sbuf, rbuf, len));
}

static void recv_none(struct __test_metadata *_metadata, int fd)
{
	errno = 0;
	ASSERT_EQ(-1, recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT));
	ASSERT_EQ(EAGAIN, errno);
}

static int set_timeo(int fd, int opt, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

static int sockopt_int(int fd, int level, int opt)
{
	socklen_t len = sizeof(int);
	int v = -12345;

	if (getsockopt(fd, level, opt, &v, &len))
		return -errno - 100000;
	return v;
}

/* Fork a child that sends len bytes from fd to port after delay_ms. */
static pid_t send_later(int fd, size_t len, uint16_t port, int delay_ms)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	ttp_sleep_ms(delay_ms);
	ttp_fill(sbuf, len, 7);
	_exit(ttp_sendto(fd, sbuf, len, 0, LO, port) == (ssize_t)len ? 0 : 1);
}

static int reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* SIGALRM in ms milliseconds, restarting syscalls or not. */
static void alarm_ms(int ms, bool restart)
{
	struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };
	struct sigaction sa = { .sa_handler = on_signal };

	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	got_signal = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

static int drop_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[cap / 32].effective &= ~(1u << (cap % 32));
	return syscall(SYS_capset, &h, d);
}

static void assert_addr(struct __test_metadata *_metadata,
			const struct sockaddr_ttp *a, uint32_t ip,
			uint16_t port)
{
	static const unsigned char zero[8];

	ASSERT_EQ(ttp_family(), a->sttp_family);
	ASSERT_EQ(htonl(ip), a->sttp_addr.s_addr);
	ASSERT_EQ(port, ntohs(a->sttp_port));
	ASSERT_EQ(0, memcmp(zero, a->sttp_zero, sizeof(zero)));
}

static void read_range(struct __test_metadata *_metadata, int *lo, int *hi)
{
	FILE *f = fopen(ttp_stack()->range, "r");

	ASSERT_NE(NULL, f) TH_LOG("%s: %s", ttp_stack()->range,
				  strerror(errno));
	ASSERT_EQ(2, fscanf(f, "%d %d", lo, hi));
	fclose(f);
}

static int write_range(const char *val)
{
	return ttp_write_file(ttp_stack()->range, val);
}

/* ======================================================================
 * bind(): a table of addresses, preconditions and expected errnos.
 */
enum { FAM_OWN, FAM_OTHER, FAM_INET6 };
enum {
	PRE_NONE, PRE_OTHER_LO, PRE_OTHER_ANY, PRE_SELF, PRE_AUTOBIND,
	PRE_FAILED, PRE_NOCAP
};

FIXTURE(bind)
{
	int fd, other;
};

FIXTURE_VARIANT(bind)
{
	uint32_t ip;
	int port;
	int len;		/* 0: sizeof(struct sockaddr_ttp) */
	int fam;
	int pre;
	int err;		/* expected errno, 0 for success */
};

FIXTURE_VARIANT_ADD(bind, loopback)	{ .ip = LO, .port = PA };
FIXTURE_VARIANT_ADD(bind, any)		{ .ip = INADDR_ANY, .port = PA };
FIXTURE_VARIANT_ADD(bind, other_loopback_addr) {
	.ip = IP4(127, 0, 0, 2), .port = PA, .pre = PRE_OTHER_LO };
FIXTURE_VARIANT_ADD(bind, inuse_same) {
	.ip = LO, .port = PA, .pre = PRE_OTHER_LO, .err = EADDRINUSE };
FIXTURE_VARIANT_ADD(bind, inuse_any_over_specific) {
	.ip = INADDR_ANY, .port = PA, .pre = PRE_OTHER_LO, .err = EADDRINUSE };
FIXTURE_VARIANT_ADD(bind, inuse_specific_over_any) {
	.ip = LO, .port = PA, .pre = PRE_OTHER_ANY, .err = EADDRINUSE };
FIXTURE_VARIANT_ADD(bind, addr_not_local) {
	.ip = IP4(10, 1, 2, 3), .port = PA, .err = EADDRNOTAVAIL };
FIXTURE_VARIANT_ADD(bind, privileged_port_root) { .ip = LO, .port = 1023 };
FIXTURE_VARIANT_ADD(bind, privileged_port_nocap) {
	.ip = LO, .port = 1023, .pre = PRE_NOCAP, .err = EACCES };
FIXTURE_VARIANT_ADD(bind, port_1_nocap) {
	.ip = INADDR_ANY, .port = 1, .pre = PRE_NOCAP, .err = EACCES };
FIXTURE_VARIANT_ADD(bind, port_1024_nocap) {
	.ip = LO, .port = 1024, .pre = PRE_NOCAP };
FIXTURE_VARIANT_ADD(bind, port_0_nocap) {
	.ip = LO, .port = 0, .pre = PRE_NOCAP };
FIXTURE_VARIANT_ADD(bind, wrong_family) {
	.ip = LO, .port = PA, .fam = FAM_OTHER, .err = EAFNOSUPPORT };
FIXTURE_VARIANT_ADD(bind, family_inet6) {
	.ip = LO, .port = PA, .fam = FAM_INET6, .err = EAFNOSUPPORT };
FIXTURE_VARIANT_ADD(bind, short_addr) {
	.ip = LO, .port = PA, .len = sizeof(struct sockaddr_ttp) - 1,
	.err = EINVAL };
FIXTURE_VARIANT_ADD(bind, family_only_addr) {
	.ip = LO, .port = PA, .len = 2, .err = EINVAL };
FIXTURE_VARIANT_ADD(bind, second_bind) {
	.ip = LO, .port = PB, .pre = PRE_SELF, .err = EINVAL };
FIXTURE_VARIANT_ADD(bind, after_autobind) {
	.ip = LO, .port = PB, .pre = PRE_AUTOBIND, .err = EINVAL };
FIXTURE_VARIANT_ADD(bind, after_failed_bind) {
	.ip = LO, .port = PA, .pre = PRE_FAILED };

FIXTURE_SETUP(bind)
{
	self->fd = self->other = -1;
	if (setup_netns(_metadata))
		return;
	self->fd = ttp_socket();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(bind)
{
	close(self->fd);
	close(self->other);
}

static void bind_pre(struct __test_metadata *_metadata,
		     FIXTURE_DATA(bind) *self, int pre, uint16_t port)
{
	switch (pre) {
	case PRE_OTHER_LO:
		self->other = new_bound(_metadata, LO, port);
		break;
	case PRE_OTHER_ANY:
		self->other = new_bound(_metadata, INADDR_ANY, port);
		break;
	case PRE_SELF:
		ASSERT_EQ(0, ttp_bind(self->fd, LO, PA));
		break;
	case PRE_AUTOBIND:
		send_ok(_metadata, self->fd, "x", 1, PDEAD);
		break;
	case PRE_FAILED:
		ASSERT_EQ(-1, ttp_bind(self->fd, IP4(10, 1, 2, 3), PA));
		ASSERT_EQ(EADDRNOTAVAIL, errno);
		ASSERT_EQ(0, ttp_local_port(self->fd));
		break;
	case PRE_NOCAP:
		ASSERT_EQ(0, drop_cap(CAP_NET_BIND_SERVICE));
		break;
	}
}

/* The bound socket receives what is sent to its address, and only it. */
static void bound_receives(struct __test_metadata *_metadata,
			   FIXTURE_DATA(bind) *self, uint32_t ip, uint16_t port)
{
	int s = ttp_socket();

	ASSERT_LE(0, s);
	ttp_fill(sbuf, 33, 1);
	ASSERT_EQ(33, ttp_sendto(s, sbuf, 33, 0, ip ? ip : LO, port));
	recv_exact(_metadata, self->fd, 33, 1);
	if (self->other >= 0)
		recv_none(_metadata, self->other);
	close(s);
}

TEST_F(bind, outcome)
{
	struct sockaddr_ttp a = ttp_addr(variant->ip, variant->port), got;
	socklen_t len = variant->len ? variant->len : sizeof(a);
	socklen_t glen = sizeof(got);
	int before, ret;

	if (variant->fam == FAM_OTHER)
		a.sttp_family = ttp_stack()->udp ? AF_INET6 : AF_INET;
	else if (variant->fam == FAM_INET6)
		a.sttp_family = AF_INET6;
	bind_pre(_metadata, self, variant->pre, variant->port);
	before = ttp_local_port(self->fd);

	errno = 0;
	ret = bind(self->fd, SA(&a), len);
	if (variant->err) {
		ASSERT_EQ(-1, ret);
		ASSERT_EQ(variant->err, errno) TH_LOG("got %s", strerror(errno));
		/* a failed bind changes nothing */
		ASSERT_EQ(before, ttp_local_port(self->fd));
		return;
	}
	ASSERT_EQ(0, ret) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, getsockname(self->fd, SA(&got), &glen));
	ASSERT_EQ(sizeof(got), glen);
	if (variant->port) {
		assert_addr(_metadata, &got, variant->ip, variant->port);
	} else {
		int lo, hi, p = ntohs(got.sttp_port);

		read_range(_metadata, &lo, &hi);
		ASSERT_LE(lo, p);
		ASSERT_GE(hi, p);
	}
	ASSERT_EQ(self->other >= 0 ? 2 : 1,
		  ttp_table_find(ntohs(got.sttp_port), NULL));
	if (variant->port)
		bound_receives(_metadata, self, variant->ip, variant->port);
}

/* ======================================================================
 * A pair of bound sockets a (PA) and b (PB) on 127.0.0.1.
 */
FIXTURE(dgram)
{
	int a, b;
	struct ttp_mib m0;
};

FIXTURE_SETUP(dgram)
{
	self->a = self->b = -1;
	if (setup_netns(_metadata))
		return;
	self->a = new_bound(_metadata, LO, PA);
	self->b = new_bound(_metadata, LO, PB);
	mib(_metadata, &self->m0);
}

FIXTURE_TEARDOWN(dgram)
{
	close(self->a);
	close(self->b);
}

#define DELTA(m, f)	((m).f - self->m0.f)

/* Port 0 picks a free port from the per-netns range; exhaustion. */
TEST_F(dgram, ephemeral_range)
{
	int fds[4], i, j, lo, hi, extra;
	char buf[64] = "";
	FILE *f;

	f = fopen(ttp_stack()->range, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(buf, sizeof(buf), f));
	fclose(f);
	ASSERT_STREQ("32768\t60999\n", buf);

	ASSERT_EQ(0, write_range("40000 40003"));
	read_range(_metadata, &lo, &hi);
	ASSERT_EQ(40000, lo);
	ASSERT_EQ(40003, hi);
	for (i = 0; i < 4; i++) {
		fds[i] = new_bound(_metadata, LO, 0);
		ASSERT_LE(40000, ttp_local_port(fds[i]));
		ASSERT_GE(40003, ttp_local_port(fds[i]));
		for (j = 0; j < i; j++)
			ASSERT_NE(ttp_local_port(fds[j]), ttp_local_port(fds[i]));
		ASSERT_EQ(1, ttp_table_find(ttp_local_port(fds[i]), NULL));
	}
	extra = ttp_socket();
	ASSERT_LE(0, extra);
	ASSERT_EQ(-1, ttp_bind(extra, LO, 0));
	ASSERT_EQ(EADDRINUSE, errno);
	/* auto-bind on sendto and connect: EAGAIN, as inet_autobind */
	ASSERT_EQ(-1, ttp_sendto(extra, "x", 1, 0, LO, PB));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(-1, ttp_connect(extra, LO, PB));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, ttp_local_port(extra));

	/* a closed socket gives its port back */
	lo = ttp_local_port(fds[2]);
	close(fds[2]);
	ASSERT_EQ(0, ttp_bind(extra, LO, 0));
	ASSERT_EQ(lo, ttp_local_port(extra));

	/* a fixed port outside the range still binds */
	ASSERT_EQ(0, ttp_bind(fds[2] = ttp_socket(), LO, 50000));

	/* nonsense ranges are refused and leave the range alone */
	ASSERT_GT(0, write_range("50000 40000"));
	read_range(_metadata, &lo, &hi);
	ASSERT_EQ(40000, lo);
	ASSERT_EQ(40003, hi);
	for (i = 0; i < 4; i++)
		close(fds[i]);
	close(extra);
}

/* sendto() binds an unbound socket; the receiver sees that port. */
TEST_F(dgram, sendto_autobind)
{
	struct sockaddr_ttp from, name;
	socklen_t flen = sizeof(from), nlen = sizeof(name);
	struct ttp_row row;
	int c, lo, hi, port;

	c = ttp_socket();
	ASSERT_LE(0, c);
	ASSERT_EQ(0, ttp_local_port(c));
	ASSERT_EQ(2, ttp_table_find(-1, NULL));
	send_ok(_metadata, c, "hello", 5, PB);

	ASSERT_EQ(0, getsockname(c, SA(&name), &nlen));
	port = ntohs(name.sttp_port);
	read_range(_metadata, &lo, &hi);
	ASSERT_LE(lo, port);
	ASSERT_GE(hi, port);
	assert_addr(_metadata, &name, INADDR_ANY, port);
	ASSERT_EQ(1, ttp_table_find(port, &row));
	ASSERT_EQ(0, row.laddr);

	ASSERT_EQ(5, recvfrom(self->b, rbuf, sizeof(rbuf), MSG_DONTWAIT,
			      SA(&from), &flen));
	ASSERT_EQ(0, memcmp(rbuf, "hello", 5));
	assert_addr(_metadata, &from, LO, port);

	/* the reply reaches the auto-bound port */
	ASSERT_EQ(3, sendto(self->b, "abc", 3, 0, SA(&from), flen));
	ASSERT_EQ(3, recv(c, rbuf, sizeof(rbuf), MSG_DONTWAIT));
	/* the port stays: a second sendto reuses it */
	send_ok(_metadata, c, "x", 1, PB);
	ASSERT_EQ(port, ttp_local_port(c));
	close(c);
}

/* recvfrom/recvmsg fill in the sender's full address. */
TEST_F(dgram, recvfrom_sender)
{
	struct sockaddr_ttp from;
	struct msghdr msg = {};
	struct iovec iov = { rbuf, sizeof(rbuf) };
	socklen_t flen;

	send_ok(_metadata, self->a, "one", 3, PB);
	send_ok(_metadata, self->a, "two", 3, PB);
	send_ok(_metadata, self->a, "three", 5, PB);

	memset(&from, 0xff, sizeof(from));
	flen = sizeof(from);
	ASSERT_EQ(3, recvfrom(self->b, rbuf, sizeof(rbuf), 0, SA(&from),
			      &flen));
	ASSERT_EQ(sizeof(from), flen);
	assert_addr(_metadata, &from, LO, PA);

	memset(&from, 0xff, sizeof(from));
	msg.msg_name = &from;
	msg.msg_namelen = 64;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	ASSERT_EQ(3, recvmsg(self->b, &msg, 0));
	ASSERT_EQ(sizeof(from), msg.msg_namelen);
	assert_addr(_metadata, &from, LO, PA);

	/* a short address buffer is filled partly; the real size returned */
	memset(&from, 0xff, sizeof(from));
	flen = 4;
	ASSERT_EQ(5, recvfrom(self->b, rbuf, sizeof(rbuf), 0, SA(&from),
			      &flen));
	ASSERT_EQ(sizeof(from), flen);
	ASSERT_EQ(ttp_family(), from.sttp_family);
	ASSERT_EQ(PA, ntohs(from.sttp_port));
	ASSERT_EQ(0xffffffff, from.sttp_addr.s_addr);
}

/* A connected socket takes datagrams only from its peer. */
TEST_F(dgram, connect_filters)
{
	struct sockaddr_ttp from;
	socklen_t flen = sizeof(from);
	int c = new_bound(_metadata, LO, PC);
	int fion = -1;

	ASSERT_EQ(0, ttp_connect(self->a, LO, PB));
	send_ok(_metadata, c, "from-c", 6, PA);
	send_ok(_metadata, self->b, "from-b", 6, PA);
	ASSERT_EQ(0, ioctl(self->a, FIONREAD, &fion));
	ASSERT_EQ(6, fion);
	ASSERT_EQ(6, recvfrom(self->a, rbuf, sizeof(rbuf), MSG_DONTWAIT,
			      SA(&from), &flen));
	ASSERT_EQ(0, memcmp(rbuf, "from-b", 6));
	assert_addr(_metadata, &from, LO, PB);
	recv_none(_metadata, self->a);

	/* re-connect to c: now only c gets through */
	ASSERT_EQ(0, ttp_connect(self->a, LO, PC));
	send_ok(_metadata, self->b, "from-b", 6, PA);
	send_ok(_metadata, c, "from-c", 6, PA);
	ASSERT_EQ(6, recv(self->a, rbuf, sizeof(rbuf), MSG_DONTWAIT));
	ASSERT_EQ(0, memcmp(rbuf, "from-c", 6));
	recv_none(_metadata, self->a);
	close(c);
}

/* As udp: a datagram no socket accepts counts as NoPorts. */
TEST_F(dgram, connect_filtered_is_noport)
{
	struct ttp_mib m;
	int c = new_bound(_metadata, LO, PC);

	ASSERT_EQ(0, ttp_connect(self->a, LO, PB));
	send_ok(_metadata, c, "from-c", 6, PA);
	ASSERT_EQ(1, wait_mib(_metadata, &self->m0, "NoPorts", 1));
	recv_none(_metadata, self->a);
	mib(_metadata, &m);
	ASSERT_EQ(1, DELTA(m, out));
	ASSERT_EQ(0, DELTA(m, in));
	ASSERT_EQ(0, DELTA(m, inerr));
	close(c);
}

/* connect(AF_UNSPEC) dissolves the association. */
TEST_F(dgram, connect_unspec_disconnects)
{
	struct sockaddr_ttp peer;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	socklen_t plen = sizeof(peer);
	struct ttp_row row;
	int c = new_bound(_metadata, LO, PC);

	ASSERT_EQ(0, ttp_connect(self->a, LO, PB));
	ASSERT_EQ(0, getpeername(self->a, SA(&peer), &plen));
	assert_addr(_metadata, &peer, LO, PB);
	ASSERT_EQ(1, ttp_table_find(PA, &row));
	ASSERT_EQ(0x01, row.st);
	ASSERT_EQ(htonl(LO), row.raddr);
	ASSERT_EQ(PB, row.rport);

	ASSERT_EQ(0, connect(self->a, &unspec, sizeof(unspec)));
	ASSERT_EQ(-1, getpeername(self->a, SA(&peer), &plen));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-1, send(self->a, "x", 1, 0));
	ASSERT_EQ(EDESTADDRREQ, errno);
	/* an explicitly bound port survives the disconnect */
	ASSERT_EQ(PA, ttp_local_port(self->a));
	ASSERT_EQ(1, ttp_table_find(PA, &row));
	ASSERT_EQ(0x07, row.st);
	ASSERT_EQ(0, row.raddr);
	ASSERT_EQ(0, row.rport);

	/* and it takes datagrams from anyone again */
	send_ok(_metadata, c, "from-c", 6, PA);
	ASSERT_EQ(6, recv(self->a, rbuf, sizeof(rbuf), MSG_DONTWAIT));
	close(c);
}

/* connect() errors. */
TEST_F(dgram, connect_errors)
{
	struct sockaddr_ttp a = ttp_addr(LO, PB);

	ASSERT_EQ(-1, connect(self->a, SA(&a), sizeof(a) - 1));
	ASSERT_EQ(EINVAL, errno);
	a.sttp_family = AF_INET6;
	ASSERT_EQ(-1, connect(self->a, SA(&a), sizeof(a)));
	ASSERT_EQ(EAFNOSUPPORT, errno);
	ASSERT_EQ(-1, getpeername(self->a, SA(&a), &(socklen_t){sizeof(a)}));
	ASSERT_EQ(ENOTCONN, errno);
}

/* connect() on an unbound socket binds it to an ephemeral port. */
TEST_F(dgram, connect_autobind)
{
	struct sockaddr_ttp name, from;
	socklen_t nlen = sizeof(name), flen = sizeof(from);
	int c = ttp_socket(), lo, hi;

	ASSERT_LE(0, c);
	ASSERT_EQ(0, ttp_connect(c, LO, PB));
	ASSERT_EQ(0, getsockname(c, SA(&name), &nlen));
	read_range(_metadata, &lo, &hi);
	ASSERT_LE(lo, ntohs(name.sttp_port));
	ASSERT_GE(hi, ntohs(name.sttp_port));
	ASSERT_EQ(htonl(LO), name.sttp_addr.s_addr);
	ASSERT_EQ(2, write(c, "hi", 2));
	ASSERT_EQ(2, recvfrom(self->b, rbuf, sizeof(rbuf), 0, SA(&from),
			      &flen));
	ASSERT_EQ(name.sttp_port, from.sttp_port);
	close(c);
}

/* send/recv/read/write/sendmsg/recvmsg on a connected pair. */
TEST_F(dgram, connected_io)
{
	struct iovec siov[3] = { { "ab", 2 }, { "", 0 }, { "cdef", 4 } };
	struct iovec riov[2] = { { rbuf, 3 }, { rbuf + 100, 10 } };
	struct msghdr msg = { .msg_iov = siov, .msg_iovlen = 3 };
	struct ttp_mib m;

	ASSERT_EQ(0, ttp_connect(self->a, LO, PB));
	ASSERT_EQ(0, ttp_connect(self->b, LO, PA));
	ASSERT_EQ(5, write(self->a, "hello", 5));
	ASSERT_EQ(5, read(self->b, rbuf, sizeof(rbuf)));
	ASSERT_EQ(0, memcmp(rbuf, "hello", 5));
	ASSERT_EQ(5, send(self->b, "world", 5, 0));
	ASSERT_EQ(5, recv(self->a, rbuf, sizeof(rbuf), 0));
	ASSERT_EQ(0, memcmp(rbuf, "world", 5));

	/* gather on send, scatter on receive: still one datagram */
	ASSERT_EQ(6, sendmsg(self->a, &msg, 0));
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = riov;
	msg.msg_iovlen = 2;
	ASSERT_EQ(6, recvmsg(self->b, &msg, 0));
	ASSERT_EQ(0, memcmp(rbuf, "abc", 3));
	ASSERT_EQ(0, memcmp(rbuf + 100, "def", 3));
	ASSERT_EQ(0, msg.msg_flags);

	/* sendto with an address on a connected socket is allowed (udp) */
	send_ok(_metadata, self->a, "x", 1, PB);
	ASSERT_EQ(1, read(self->b, rbuf, sizeof(rbuf)));
	mib(_metadata, &m);
	ASSERT_EQ(4, DELTA(m, out));
	ASSERT_EQ(4, DELTA(m, in));
}

/* getsockname works from the start; getpeername needs a peer. */
TEST_F(dgram, names)
{
	struct sockaddr_ttp a;
	socklen_t len = sizeof(a);
	int c = ttp_socket();

	ASSERT_LE(0, c);
	memset(&a, 0xff, sizeof(a));
	ASSERT_EQ(0, getsockname(c, SA(&a), &len));
	ASSERT_EQ(sizeof(a), len);
	assert_addr(_metadata, &a, INADDR_ANY, 0);
	ASSERT_EQ(-1, getpeername(c, SA(&a), &len));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-1, getpeername(self->a, SA(&a), &len));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(0, getsockname(self->a, SA(&a), &len));
	assert_addr(_metadata, &a, LO, PA);
	ASSERT_EQ(0, ttp_connect(self->a, LO, PB));
	ASSERT_EQ(0, getpeername(self->a, SA(&a), &len));
	assert_addr(_metadata, &a, LO, PB);
	close(c);
}

/* Messages keep their boundaries, zero-length ones included. */
TEST_F(dgram, boundaries)
{
	static const size_t sizes[] = { 1, 100, 0, 1000, 7, 0, 8192, 2 };
	struct sockaddr_ttp from;
	socklen_t flen;
	struct ttp_mib m;
	size_t i, n = ARRAY_SIZE(sizes);

	for (i = 0; i < n; i++) {
		ttp_fill(sbuf, sizes[i], i);
		send_ok(_metadata, self->a, sbuf, sizes[i], PB);
	}
	for (i = 0; i < n; i++) {
		flen = sizeof(from);
		ttp_fill(sbuf, sizes[i], i);
		ASSERT_EQ((ssize_t)sizes[i],
			  recvfrom(self->b, rbuf, sizeof(rbuf), MSG_DONTWAIT,
				   SA(&from), &flen));
		ASSERT_EQ(0, memcmp(sbuf, rbuf, sizes[i]));
		assert_addr(_metadata, &from, LO, PA);
	}
	recv_none(_metadata, self->b);
	mib(_metadata, &m);
	ASSERT_EQ((long)n, DELTA(m, out));
	ASSERT_EQ((long)n, DELTA(m, in));
	ASSERT_EQ(0, DELTA(m, inerr));
}

/* A zero-length datagram is a datagram: readable, and read as 0. */
TEST_F(dgram, zero_length)
{
	struct pollfd pfd = { .fd = self->b, .events = POLLIN };
	struct msghdr msg = {};
	struct iovec iov = { rbuf, sizeof(rbuf) };
	struct sockaddr_ttp from;
	int fion = -1;

	ASSERT_EQ(0, ttp_sendto(self->a, NULL, 0, 0, LO, PB));
	ASSERT_EQ(1, poll(&pfd, 1, 1000));
	ASSERT_TRUE(pfd.revents & POLLIN);
	ASSERT_EQ(0, ioctl(self->b, FIONREAD, &fion));
	ASSERT_EQ(0, fion);
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	ASSERT_EQ(0, recvmsg(self->b, &msg, MSG_DONTWAIT));
	ASSERT_EQ(0, msg.msg_flags);
	assert_addr(_metadata, &from, LO, PA);
	recv_none(_metadata, self->b);

	/* connected: send() and write() of nothing */
	ASSERT_EQ(0, ttp_connect(self->a, LO, PB));
	ASSERT_EQ(0, send(self->a, "", 0, 0));
	ASSERT_EQ(0, write(self->a, "", 0));
	ASSERT_EQ(0, recv(self->b, rbuf, sizeof(rbuf), MSG_DONTWAIT));
	ASSERT_EQ(0, recv(self->b, rbuf, sizeof(rbuf), MSG_DONTWAIT));
	recv_none(_metadata, self->b);
}

/* MSG_TRUNC: as an output flag, and as an input flag. */
TEST_F(dgram, msg_trunc)
{
	struct iovec iov = { rbuf, 10 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int i;

	for (i = 0; i < 4; i++) {
		ttp_fill(sbuf, 100, i);
		send_ok(_metadata, self->a, sbuf, 100, PB);
	}
	/* short buffer: 10 bytes, MSG_TRUNC set, the rest discarded */
	ttp_fill(sbuf, 100, 0);
	memset(rbuf, 0, 100);
	ASSERT_EQ(10, recvmsg(self->b, &msg, 0));
	ASSERT_TRUE(msg.msg_flags & MSG_TRUNC);
	ASSERT_EQ(0, memcmp(sbuf, rbuf, 10));
	ASSERT_EQ(0, rbuf[10]);
	/* MSG_TRUNC in: the real length comes back */
	ttp_fill(sbuf, 100, 1);
	ASSERT_EQ(100, recv(self->b, rbuf, 10, MSG_TRUNC));
	ASSERT_EQ(0, memcmp(sbuf, rbuf, 10));
	/* peek the length without a buffer */
	ASSERT_EQ(100, recv(self->b, NULL, 0, MSG_PEEK | MSG_TRUNC));
	/* an exact buffer: no MSG_TRUNC */
	iov.iov_len = 100;
	ASSERT_EQ(100, recvmsg(self->b, &msg, 0));
	ASSERT_EQ(0, msg.msg_flags & MSG_TRUNC);
	/* a larger one: no MSG_TRUNC either */
	iov.iov_len = 1000;
	ASSERT_EQ(100, recvmsg(self->b, &msg, 0));
	ASSERT_EQ(0, msg.msg_flags);
	recv_none(_metadata, self->b);
}

/* MSG_PEEK leaves the datagram queued, truncated peeks included. */
TEST_F(dgram, msg_peek)
{
	struct sockaddr_ttp from;
	socklen_t flen = sizeof(from);
	struct iovec iov = { rbuf, 4 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int i;

	errno = 0;
	ASSERT_EQ(-1, recv(self->b, rbuf, 10, MSG_PEEK | MSG_DONTWAIT));
	ASSERT_EQ(EAGAIN, errno);
	send_ok(_metadata, self->a, "first", 5, PB);
	send_ok(_metadata, self->a, "second", 6, PB);
	for (i = 0; i < 3; i++) {
		memset(rbuf, 0, 10);
		ASSERT_EQ(5, recvfrom(self->b, rbuf, 10, MSG_PEEK, SA(&from),
				      &flen));
		ASSERT_EQ(0, memcmp(rbuf, "first", 5));
		assert_addr(_metadata, &from, LO, PA);
	}
	ASSERT_EQ(4, recvmsg(self->b, &msg, MSG_PEEK));
	ASSERT_TRUE(msg.msg_flags & MSG_TRUNC);
	ASSERT_EQ(5, recv(self->b, rbuf, 10, 0));
	ASSERT_EQ(0, memcmp(rbuf, "first", 5));
	ASSERT_EQ(6, recv(self->b, rbuf, 10, MSG_PEEK));
	ASSERT_EQ(0, memcmp(rbuf, "second", 6));
	ASSERT_EQ(6, recv(self->b, rbuf, 10, 0));
	recv_none(_metadata, self->b);
}

/* MSG_DONTWAIT and O_NONBLOCK: EAGAIN at once on an empty queue. */
TEST_F(dgram, dontwait)
{
	long long t0 = ttp_now_ms();

	ASSERT_EQ(0, set_timeo(self->b, SO_RCVTIMEO, 5000));
	ASSERT_EQ(-1, recv(self->b, rbuf, 10, MSG_DONTWAIT));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, fcntl(self->b, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(-1, recv(self->b, rbuf, 10, 0));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(-1, read(self->b, rbuf, 10));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_GT(1000, ttp_now_ms() - t0);
	send_ok(_metadata, self->a, "x", 1, PB);
	ASSERT_EQ(1, recv(self->b, rbuf, 10, 0));
}

/* MSG_WAITALL is ignored for datagrams: a short datagram returns. */
TEST_F(dgram, waitall_ignored)
{
	long long t0;

	ASSERT_EQ(0, set_timeo(self->b, SO_RCVTIMEO, 3000));
	send_ok(_metadata, self->a, "short", 5, PB);
	t0 = ttp_now_ms();
	ASSERT_EQ(5, recv(self->b, rbuf, 100, MSG_WAITALL));
	ASSERT_GT(1500, ttp_now_ms() - t0);
	ASSERT_EQ(0, memcmp(rbuf, "short", 5));
}

/* The largest datagram goes through whole; one byte more is EMSGSIZE. */
TEST_F(dgram, max_size)
{
	int max = ttp_stack()->max_dgram;
	struct ttp_mib m;

	ttp_fill(sbuf, max + 1, 42);
	ASSERT_EQ(-1, ttp_sendto(self->a, sbuf, max + 1, 0, LO, PB));
	ASSERT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(-1, ttp_sendto(self->a, sbuf, 65536, 0, LO, PB));
	ASSERT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(0, ttp_connect(self->a, LO, PB));
	ASSERT_EQ(-1, send(self->a, sbuf, max + 1, 0));
	ASSERT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(max, send(self->a, sbuf, max, 0));
	recv_exact(_metadata, self->b, max, 42);
	recv_none(_metadata, self->b);
	mib(_metadata, &m);
	ASSERT_EQ(1, DELTA(m, out));
	ASSERT_EQ(1, DELTA(m, in));
}

/* FIONREAD/SIOCINQ: the size of the first datagram, as udp. */
TEST_F(dgram, fionread)
{
	int v = -1;

	ASSERT_EQ(0, ioctl(self->b, FIONREAD, &v));
	ASSERT_EQ(0, v);
	send_ok(_metadata, self->a, sbuf, 10, PB);
	send_ok(_metadata, self->a, sbuf, 20, PB);
	ASSERT_EQ(0, ioctl(self->b, FIONREAD, &v));
	ASSERT_EQ(10, v);
	v = -1;
	ASSERT_EQ(0, ioctl(self->b, SIOCINQ, &v));
	ASSERT_EQ(10, v);
	ASSERT_EQ(10, recv(self->b, rbuf, sizeof(rbuf), 0));
	ASSERT_EQ(0, ioctl(self->b, SIOCINQ, &v));
	ASSERT_EQ(20, v);
	ASSERT_EQ(20, recv(self->b, rbuf, sizeof(rbuf), 0));
	ASSERT_EQ(0, ioctl(self->b, FIONREAD, &v));
	ASSERT_EQ(0, v);
}

/* send() without a peer: EDESTADDRREQ. */
TEST_F(dgram, destaddrreq)
{
	struct iovec iov = { "x", 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int c = ttp_socket();
	struct ttp_mib m;

	ASSERT_EQ(-1, send(self->a, "x", 1, 0));
	ASSERT_EQ(EDESTADDRREQ, errno);
	ASSERT_EQ(-1, write(self->a, "x", 1));
	ASSERT_EQ(EDESTADDRREQ, errno);
	ASSERT_EQ(-1, sendmsg(self->a, &msg, 0));
	ASSERT_EQ(EDESTADDRREQ, errno);
	ASSERT_EQ(-1, send(c, "x", 1, 0));
	ASSERT_EQ(EDESTADDRREQ, errno);
	mib(_metadata, &m);
	ASSERT_EQ(0, DELTA(m, out));
	close(c);
}

/* sendto() argument errors. */
TEST_F(dgram, sendto_errors)
{
	struct sockaddr_ttp a = ttp_addr(LO, PB);

	ASSERT_EQ(-1, sendto(self->a, "x", 1, 0, SA(&a), sizeof(a) - 1));
	ASSERT_EQ(EINVAL, errno);
	a.sttp_family = AF_INET6;
	ASSERT_EQ(-1, sendto(self->a, "x", 1, 0, SA(&a), sizeof(a)));
	ASSERT_EQ(EAFNOSUPPORT, errno);
	ASSERT_EQ(-1, ttp_sendto(self->a, "x", 1, 0, LO, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, send(self->a, "x", 1, MSG_OOB));
	ASSERT_EQ(EOPNOTSUPP, errno);
}

/* The socket table shows each socket: addresses, state, queue, inode. */
TEST_F(dgram, proc_table)
{
	struct ttp_row row;
	struct stat st;
	char line[256];
	FILE *f;

	if (!ttp_stack()->udp) {
		f = fopen("/proc/net/ttp", "r");
		ASSERT_NE(NULL, f);
		ASSERT_NE(NULL, fgets(line, sizeof(line), f));
		fclose(f);
		ASSERT_STREQ("  sl  local_address rem_address   st tp tx_queue rx_queue   uid    inode drops\n",
			     line);
	}
	ASSERT_EQ(2, ttp_table_find(-1, NULL));
	ASSERT_EQ(1, ttp_table_find(PA, &row));
	ASSERT_EQ(0, fstat(self->a, &st));
	ASSERT_EQ(htonl(LO), row.laddr);
	ASSERT_EQ(PA, row.lport);
	ASSERT_EQ(0, row.raddr);
	ASSERT_EQ(0, row.rport);
	ASSERT_EQ(0x07, row.st);
	ASSERT_EQ(SOCK_DGRAM, row.tp);
	ASSERT_EQ(0, row.rxq);
	ASSERT_EQ(getuid(), row.uid);
	ASSERT_EQ(st.st_ino, row.inode);
	ASSERT_EQ(0, row.drops);

	send_ok(_metadata, self->b, sbuf, 100, PA);
	ASSERT_EQ(1, ttp_table_find(PA, &row));
	ASSERT_LT(100, row.rxq);
	ASSERT_EQ(100, recv(self->a, rbuf, sizeof(rbuf), 0));
	ASSERT_EQ(1, ttp_table_find(PA, &row));
	ASSERT_EQ(0, row.rxq);

	ASSERT_EQ(0, ttp_connect(self->a, LO, PB));
	ASSERT_EQ(1, ttp_table_find(PA, &row));
	ASSERT_EQ(0x01, row.st);
	ASSERT_EQ(htonl(LO), row.raddr);
	ASSERT_EQ(PB, row.rport);

	close(self->a);
	self->a = -1;
	ASSERT_EQ(0, ttp_table_find(PA, NULL));
	ASSERT_EQ(1, ttp_table_find(-1, NULL));
}

/* Overflowing SO_RCVBUF drops datagrams, and counts each drop. */
TEST_F(dgram, rcvbuf_overflow)
{
	const int n = 64, size = 1000;
	long long end;
	struct ttp_row row;
	struct ttp_mib m;
	int i, got = 0, v = 2048;
	ssize_t r;

	ASSERT_EQ(0, setsockopt(self->b, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	ASSERT_LE(v, sockopt_int(self->b, SOL_SOCKET, SO_RCVBUF));
	ASSERT_GT(32768, sockopt_int(self->b, SOL_SOCKET, SO_RCVBUF));
	for (i = 0; i < n; i++) {
		ttp_fill(sbuf, size, i);
		send_ok(_metadata, self->a, sbuf, size, PB);
	}
	end = ttp_now_ms() + 3000;
	do {
		while ((r = recv(self->b, rbuf, sizeof(rbuf),
				 MSG_DONTWAIT)) > 0) {
			ASSERT_EQ(size, r);
			got++;
		}
		mib(_metadata, &m);
		if (got + DELTA(m, rcvbuf) >= n)
			break;
		ttp_sleep_ms(10);
	} while (ttp_now_ms() < end);
	ASSERT_EQ(n, got + DELTA(m, rcvbuf));
	ASSERT_LT(0, got);
	ASSERT_LT(0, DELTA(m, rcvbuf));
	ASSERT_EQ(DELTA(m, rcvbuf), DELTA(m, inerr));
	ASSERT_EQ(got, DELTA(m, in));
	ASSERT_EQ(n, DELTA(m, out));
	ASSERT_EQ(1, ttp_table_find(PB, &row));
	ASSERT_EQ(DELTA(m, rcvbuf), (long)row.drops);
}

/* SO_RCVTIMEO: a blocking receive gives up with EAGAIN in time. */
TEST_F(dgram, rcvtimeo)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);
	long long t0, dt;
	pid_t pid;

	ASSERT_EQ(0, set_timeo(self->b, SO_RCVTIMEO, 200));
	ASSERT_EQ(0, getsockopt(self->b, SOL_SOCKET, SO_RCVTIMEO, &tv, &len));
	ASSERT_EQ(0, tv.tv_sec);
	ASSERT_EQ(200000, tv.tv_usec);
	t0 = ttp_now_ms();
	ASSERT_EQ(-1, recv(self->b, rbuf, sizeof(rbuf), 0));
	ASSERT_EQ(EAGAIN, errno);
	dt = ttp_now_ms() - t0;
	ASSERT_LE(190, dt);
	ASSERT_GT(3000, dt);

	/* data arriving within the timeout is returned */
	ASSERT_EQ(0, set_timeo(self->b, SO_RCVTIMEO, 5000));
	pid = send_later(self->a, 12, PB, 100);
	t0 = ttp_now_ms();
	ASSERT_EQ(12, recv(self->b, rbuf, sizeof(rbuf), 0));
	ASSERT_GT(4000, ttp_now_ms() - t0);
	ASSERT_EQ(0, reap(pid));
}

/* SO_SNDTIMEO, SO_SNDBUF and SO_ERROR round-trip; SO_ERROR starts at 0. */
TEST_F(dgram, sockopts)
{
	struct timeval tv = { 1, 500000 }, got;
	socklen_t len = sizeof(got);
	int v = 8192;

	ASSERT_EQ(0, setsockopt(self->a, SOL_SOCKET, SO_SNDTIMEO, &tv,
				sizeof(tv)));
	ASSERT_EQ(0, getsockopt(self->a, SOL_SOCKET, SO_SNDTIMEO, &got, &len));
	ASSERT_EQ(1, got.tv_sec);
	ASSERT_EQ(500000, got.tv_usec);
	ASSERT_EQ(0, setsockopt(self->a, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
	ASSERT_EQ(2 * v, sockopt_int(self->a, SOL_SOCKET, SO_SNDBUF));
	ASSERT_EQ(0, sockopt_int(self->a, SOL_SOCKET, SO_ERROR));
	ASSERT_EQ(SOCK_DGRAM, sockopt_int(self->a, SOL_SOCKET, SO_TYPE));
	ASSERT_EQ(ttp_family(), sockopt_int(self->a, SOL_SOCKET, SO_DOMAIN));
	ASSERT_EQ(ttp_stack()->ipproto,
		  sockopt_int(self->a, SOL_SOCKET, SO_PROTOCOL));
}

/* A signal interrupts a blocking receive: EINTR without SA_RESTART. */
TEST_F(dgram, recv_eintr)
{
	long long t0 = ttp_now_ms();

	alarm_ms(100, false);
	ASSERT_EQ(-1, recv(self->b, rbuf, sizeof(rbuf), 0));
	ASSERT_EQ(EINTR, errno);
	ASSERT_EQ(SIGALRM, got_signal);
	ASSERT_LE(90, ttp_now_ms() - t0);
	/* also with a receive timeout set */
	ASSERT_EQ(0, set_timeo(self->b, SO_RCVTIMEO, 5000));
	alarm_ms(100, true);
	ASSERT_EQ(-1, recv(self->b, rbuf, sizeof(rbuf), 0));
	ASSERT_EQ(EINTR, errno);
	ASSERT_GT(4000, ttp_now_ms() - t0);
}

/* With SA_RESTART and no timeout the receive restarts and gets data. */
TEST_F(dgram, recv_restart)
{
	pid_t pid = send_later(self->a, 9, PB, 400);

	alarm_ms(100, true);
	ASSERT_EQ(9, recv(self->b, rbuf, sizeof(rbuf), 0));
	ASSERT_EQ(SIGALRM, got_signal);
	ASSERT_EQ(0, reap(pid));
}

/* ICMP port unreachable is sent, and counted as NoPorts. */
TEST_F(dgram, icmp_port_unreachable_sent)
{
	int icmp = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	unsigned char pkt[2048];
	struct pollfd pfd = { .fd = icmp, .events = POLLIN };
	struct ttp_mib m;
	bool seen = false;
	ssize_t n;

	ASSERT_LE(0, icmp);
	send_ok(_metadata, self->a, "knock", 5, PDEAD);
	ASSERT_EQ(1, wait_mib(_metadata, &self->m0, "NoPorts", 1));
	while (!seen && poll(&pfd, 1, 2000) == 1) {
		struct iphdr *ip = (struct iphdr *)pkt, *inner;
		struct icmphdr *ic;
		uint16_t *ports;

		n = recv(icmp, pkt, sizeof(pkt), 0);
		ASSERT_LT(0, n);
		ic = (struct icmphdr *)(pkt + ip->ihl * 4);
		inner = (struct iphdr *)(ic + 1);
		ports = (uint16_t *)((char *)inner + inner->ihl * 4);
		if (ic->type != ICMP_DEST_UNREACH ||
		    ic->code != ICMP_PORT_UNREACH)
			continue;
		ASSERT_EQ(ttp_stack()->ipproto, inner->protocol);
		ASSERT_EQ(htons(PA), ports[0]);
		ASSERT_EQ(htons(PDEAD), ports[1]);
		seen = true;
	}
	ASSERT_TRUE(seen);
	mib(_metadata, &m);
	ASSERT_EQ(1, DELTA(m, noports));
	ASSERT_EQ(1, DELTA(m, out));
	ASSERT_EQ(0, DELTA(m, in));
	ASSERT_EQ(0, DELTA(m, inerr));
	/* an unconnected sender is not told */
	recv_none(_metadata, self->a);
	ASSERT_EQ(0, sockopt_int(self->a, SOL_SOCKET, SO_ERROR));
	pfd.fd = self->a;
	pfd.events = POLLIN | POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(POLLOUT, pfd.revents & (POLLOUT | POLLERR | POLLIN));
	close(icmp);
}

/* ======================================================================
 * ICMP errors on a connected socket: ECONNREFUSED, seen four ways.
 */
enum { SEE_RECV, SEE_SEND, SEE_SOERROR, SEE_POLL };

FIXTURE(refused)
{
	int fd;
	struct ttp_mib m0;
};

FIXTURE_VARIANT(refused)
{
	int how;
};

FIXTURE_VARIANT_ADD(refused, recv)	{ .how = SEE_RECV };
FIXTURE_VARIANT_ADD(refused, send)	{ .how = SEE_SEND };
FIXTURE_VARIANT_ADD(refused, so_error)	{ .how = SEE_SOERROR };
FIXTURE_VARIANT_ADD(refused, poll)	{ .how = SEE_POLL };

FIXTURE_SETUP(refused)
{
	self->fd = -1;
	if (setup_netns(_metadata))
		return;
	self->fd = ttp_socket();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ttp_connect(self->fd, LO, PDEAD));
	mib(_metadata, &self->m0);
}

FIXTURE_TEARDOWN(refused)
{
	close(self->fd);
}

TEST_F(refused, econnrefused)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };

	ASSERT_EQ(5, send(self->fd, "knock", 5, 0));
	ASSERT_EQ(1, wait_mib(_metadata, &self->m0, "NoPorts", 1));
	ASSERT_EQ(1, poll(&pfd, 1, 2000));
	ASSERT_TRUE(pfd.revents & POLLERR);
	errno = 0;
	switch (variant->how) {
	case SEE_RECV:
		ASSERT_EQ(-1, recv(self->fd, rbuf, 10, MSG_DONTWAIT));
		ASSERT_EQ(ECONNREFUSED, errno);
		break;
	case SEE_SEND:
		ASSERT_EQ(-1, send(self->fd, "x", 1, 0));
		ASSERT_EQ(ECONNREFUSED, errno);
		break;
	case SEE_SOERROR:
		ASSERT_EQ(ECONNREFUSED, sockopt_int(self->fd, SOL_SOCKET,
						    SO_ERROR));
		break;
	case SEE_POLL:
		ASSERT_EQ(0, pfd.revents & POLLIN);
		ASSERT_EQ(ECONNREFUSED, sockopt_int(self->fd, SOL_SOCKET,
						    SO_ERROR));
		break;
	}
	/* reported once, then the socket is usable again */
	ASSERT_EQ(0, sockopt_int(self->fd, SOL_SOCKET, SO_ERROR));
	pfd.events = POLLIN | POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(POLLOUT, pfd.revents & (POLLOUT | POLLERR | POLLIN));
	recv_none(_metadata, self->fd);
	ASSERT_EQ(1, send(self->fd, "y", 1, 0));
	ASSERT_EQ(2, wait_mib(_metadata, &self->m0, "NoPorts", 2));
}

/* ======================================================================
 * Crafted ICMP errors: hard ones reach a connected socket with udp's
 * errno; soft ones (and any on an unconnected socket) are ignored.
 */
FIXTURE(icmp)
{
	int fd, raw;
};

FIXTURE_VARIANT(icmp)
{
	int type, code;
	int err;		/* 0: ignored */
	bool unconnected;
};

FIXTURE_VARIANT_ADD(icmp, port_unreach) {
	.type = ICMP_DEST_UNREACH, .code = ICMP_PORT_UNREACH,
	.err = ECONNREFUSED };
FIXTURE_VARIANT_ADD(icmp, prot_unreach) {
	.type = ICMP_DEST_UNREACH, .code = ICMP_PROT_UNREACH,
	.err = ENOPROTOOPT };
FIXTURE_VARIANT_ADD(icmp, pkt_filtered) {
	.type = ICMP_DEST_UNREACH, .code = ICMP_PKT_FILTERED,
	.err = EHOSTUNREACH };
FIXTURE_VARIANT_ADD(icmp, host_ano) {
	.type = ICMP_DEST_UNREACH, .code = ICMP_HOST_ANO,
	.err = EHOSTUNREACH };
FIXTURE_VARIANT_ADD(icmp, net_unknown) {
	.type = ICMP_DEST_UNREACH, .code = ICMP_NET_UNKNOWN,
	.err = ENETUNREACH };
FIXTURE_VARIANT_ADD(icmp, host_unreach_soft) {
	.type = ICMP_DEST_UNREACH, .code = ICMP_HOST_UNREACH };
FIXTURE_VARIANT_ADD(icmp, net_unreach_soft) {
	.type = ICMP_DEST_UNREACH, .code = ICMP_NET_UNREACH };
FIXTURE_VARIANT_ADD(icmp, time_exceeded_soft) {
	.type = ICMP_TIME_EXCEEDED, .code = ICMP_EXC_TTL };
FIXTURE_VARIANT_ADD(icmp, port_unreach_unconnected) {
	.type = ICMP_DEST_UNREACH, .code = ICMP_PORT_UNREACH,
	.unconnected = true };

FIXTURE_SETUP(icmp)
{
	self->fd = self->raw = -1;
	if (setup_netns(_metadata))
		return;
	self->raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	ASSERT_LE(0, self->raw);
	self->fd = new_bound(_metadata, LO, PA);
	if (!variant->unconnected)
		ASSERT_EQ(0, ttp_connect(self->fd, LO, PB));
}

FIXTURE_TEARDOWN(icmp)
{
	close(self->fd);
	close(self->raw);
}

static long icmp_in_msgs(void)
{
	char line[1024];
	int seen = 0;
	FILE *f = fopen("/proc/net/snmp", "r");
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Icmp: ", 6) && seen++) {
			v = strtol(line + 6, NULL, 10);	/* InMsgs */
			break;
		}
	fclose(f);
	return v;
}

/* An ICMP error quoting the packet PA -> PB; waits until it is taken. */
static void send_icmp(struct __test_metadata *_metadata, int raw, int type,
		      int code)
{
	struct {
		struct icmphdr ic;
		struct iphdr ip;
		uint16_t l4[4];
	} __attribute__((packed)) m;
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(LO) };
	long long end = ttp_now_ms() + 3000;
	long in0 = icmp_in_msgs();

	memset(&m, 0, sizeof(m));
	m.ic.type = type;
	m.ic.code = code;
	m.ip.version = 4;
	m.ip.ihl = 5;
	m.ip.tot_len = htons(sizeof(m.ip) + ttp_stack()->hdrlen + 5);
	m.ip.ttl = 64;
	m.ip.protocol = ttp_stack()->ipproto;
	m.ip.saddr = htonl(LO);
	m.ip.daddr = htonl(LO);
	m.ip.check = htons(~ttp_csum_add(0, &m.ip, sizeof(m.ip)));
	m.l4[0] = htons(PA);
	m.l4[1] = htons(PB);
	m.l4[2] = htons(ttp_stack()->hdrlen + 5);
	m.ic.checksum = htons(~ttp_csum_add(0, &m, sizeof(m)));
	ASSERT_EQ(sizeof(m), sendto(raw, &m, sizeof(m), 0, SA(&dst),
				    sizeof(dst)));
	while (icmp_in_msgs() == in0 && ttp_now_ms() < end)
		ttp_sleep_ms(5);
	ASSERT_LT(in0, icmp_in_msgs());
}

TEST_F(icmp, error)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLOUT };

	send_icmp(_metadata, self->raw, variant->type, variant->code);
	ASSERT_EQ(1, poll(&pfd, 1, 1000));
	if (!variant->err) {
		ASSERT_EQ(POLLOUT, pfd.revents);
		ASSERT_EQ(0, sockopt_int(self->fd, SOL_SOCKET, SO_ERROR));
		recv_none(_metadata, self->fd);
		if (variant->unconnected)
			return;
		/* a hard error after it is the one reported */
		send_icmp(_metadata, self->raw, ICMP_DEST_UNREACH,
			  ICMP_PORT_UNREACH);
		ASSERT_EQ(-1, recv(self->fd, rbuf, 10, MSG_DONTWAIT));
		ASSERT_EQ(ECONNREFUSED, errno);
		return;
	}
	ASSERT_EQ(POLLOUT | POLLERR, pfd.revents);
	ASSERT_EQ(-1, recv(self->fd, rbuf, 10, MSG_DONTWAIT));
	ASSERT_EQ(variant->err, errno) TH_LOG("got %s", strerror(errno));
	recv_none(_metadata, self->fd);
	ASSERT_EQ(0, sockopt_int(self->fd, SOL_SOCKET, SO_ERROR));
}

/* ======================================================================
 * Readiness: poll, select and epoll see the same thing.
 */
enum { WAIT_POLL, WAIT_SELECT, WAIT_EPOLL };

FIXTURE(ready)
{
	int a, b, ep;
};

FIXTURE_VARIANT(ready)
{
	int how;
};

FIXTURE_VARIANT_ADD(ready, poll)	{ .how = WAIT_POLL };
FIXTURE_VARIANT_ADD(ready, select)	{ .how = WAIT_SELECT };
FIXTURE_VARIANT_ADD(ready, epoll)	{ .how = WAIT_EPOLL };

FIXTURE_SETUP(ready)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };

	self->a = self->b = self->ep = -1;
	if (setup_netns(_metadata))
		return;
	self->a = new_bound(_metadata, LO, PA);
	self->b = new_bound(_metadata, LO, PB);
	self->ep = epoll_create1(0);
	ASSERT_LE(0, self->ep);
	ASSERT_EQ(0, epoll_ctl(self->ep, EPOLL_CTL_ADD, self->b, &ev));
}

FIXTURE_TEARDOWN(ready)
{
	close(self->a);
	close(self->b);
	close(self->ep);
}

#define R_IN	1
#define R_OUT	2

/* Wait up to ms for fd; returns R_IN/R_OUT bits, -1 on error. */
static int wait_ready(FIXTURE_DATA(ready) *self, int how, int ms,
		      bool in_only)
{
	struct pollfd pfd = { .fd = self->b, .events = POLLIN };
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct epoll_event ev;
	fd_set rd, wr;
	int n, r = 0;

	switch (how) {
	case WAIT_POLL:
		if (!in_only)
			pfd.events |= POLLOUT;
		n = poll(&pfd, 1, ms);
		if (n < 0)
			return -1;
		return (pfd.revents & POLLIN ? R_IN : 0) |
		       (pfd.revents & POLLOUT ? R_OUT : 0);
	case WAIT_SELECT:
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		FD_SET(self->b, &rd);
		n = select(self->b + 1, &rd, NULL, NULL, &tv);
		if (n < 0)
			return -1;
		r = FD_ISSET(self->b, &rd) ? R_IN : 0;
		if (in_only)
			return r;
		FD_SET(self->b, &wr);
		tv.tv_sec = tv.tv_usec = 0;
		if (select(self->b + 1, NULL, &wr, NULL, &tv) < 0)
			return -1;
		return r | (FD_ISSET(self->b, &wr) ? R_OUT : 0);
	default:
		n = epoll_wait(self->ep, &ev, 1, ms);
		if (n < 0)
			return -1;
		if (!n)
			return 0;
		return (ev.events & EPOLLIN ? R_IN : 0) |
		       (ev.events & EPOLLOUT ? R_OUT : 0);
	}
}

TEST_F(ready, levels)
{
	ASSERT_EQ(R_OUT, wait_ready(self, variant->how, 0, false));
	send_ok(_metadata, self->a, "x", 1, PB);
	ASSERT_EQ(R_IN | R_OUT, wait_ready(self, variant->how, 1000, false));
	send_ok(_metadata, self->a, "", 0, PB);
	ASSERT_EQ(1, recv(self->b, rbuf, 10, 0));
	/* the zero-length datagram still makes it readable */
	ASSERT_EQ(R_IN | R_OUT, wait_ready(self, variant->how, 0, false));
	ASSERT_EQ(0, recv(self->b, rbuf, 10, 0));
	ASSERT_EQ(R_OUT, wait_ready(self, variant->how, 0, false));
	/* a peek does not consume readiness */
	send_ok(_metadata, self->a, "x", 1, PB);
	ASSERT_EQ(1, recv(self->b, rbuf, 10, MSG_PEEK));
	ASSERT_EQ(R_IN | R_OUT, wait_ready(self, variant->how, 0, false));
}

/* A waiter blocked in poll/select/epoll wakes when a datagram arrives. */
TEST_F(ready, wakeup)
{
	struct epoll_event ev = { .events = EPOLLIN };
	long long t0 = ttp_now_ms(), dt;
	pid_t pid;

	ASSERT_EQ(0, epoll_ctl(self->ep, EPOLL_CTL_MOD, self->b, &ev));
	pid = send_later(self->a, 3, PB, 200);
	ASSERT_EQ(R_IN, wait_ready(self, variant->how, 10000, true) & R_IN);
	dt = ttp_now_ms() - t0;
	ASSERT_LE(150, dt);
	ASSERT_GT(8000, dt);
	ASSERT_EQ(0, reap(pid));
}

/* Edge-triggered epoll reports each new datagram. */
TEST_F(dgram, epoll_edge)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	int ep = epoll_create1(0);

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->b, &ev));
	ASSERT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	send_ok(_metadata, self->a, "1", 1, PB);
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 1000));
	ASSERT_EQ(EPOLLIN, ev.events);
	ASSERT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	send_ok(_metadata, self->a, "2", 1, PB);
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 1000));
	ASSERT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	close(ep);
}

/* ======================================================================
 * Namespaces: the same port in two, and nothing crosses between them.
 */
TEST_F(dgram, netns_isolation)
{
	struct ttp_mib m;
	int status;
	pid_t pid;

	ASSERT_EQ(0, write_range("40000 40100"));
	send_ok(_metadata, self->a, "parent", 6, PB);
	ASSERT_EQ(6, recv(self->b, rbuf, sizeof(rbuf), 0));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct ttp_mib cm;
		int s, lo = 0, hi = 0;
		FILE *f;

		if (ttp_netns_new())
			_exit(10);
		if (ttp_table_find(-1, NULL) != 0)
			_exit(11);
		if (ttp_mib_read(&cm) < 7 || cm.in || cm.out || cm.noports)
			_exit(12);
		f = fopen(ttp_stack()->range, "r");
		if (!f || fscanf(f, "%d %d", &lo, &hi) != 2 ||
		    lo != 32768 || hi != 60999)
			_exit(13);
		fclose(f);
		s = ttp_socket();
		if (s < 0 || ttp_bind(s, LO, PA))
			_exit(14);
		if (ttp_sendto(s, "child", 5, 0, LO, PA) != 5)
			_exit(15);
		if (recv(s, rbuf, sizeof(rbuf), 0) != 5)
			_exit(16);
		if (ttp_table_find(-1, NULL) != 1)
			_exit(17);
		/* PB exists only in the parent's namespace */
		if (ttp_sendto(s, "lost", 4, 0, LO, PB) != 4)
			_exit(18);
		if (ttp_mib_read(&cm) < 7 || cm.out != 2 || cm.noports != 1)
			_exit(19);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("child step %d failed",
						  WEXITSTATUS(status));
	recv_none(_metadata, self->a);
	recv_none(_metadata, self->b);
	mib(_metadata, &m);
	ASSERT_EQ(1, DELTA(m, out));
	ASSERT_EQ(1, DELTA(m, in));
	ASSERT_EQ(0, DELTA(m, noports));
	ASSERT_EQ(2, ttp_table_find(-1, NULL));
}

/* ======================================================================
 * Send-buffer limits, need a link whose packets wait: a veth whose
 * neighbour never answers ARP keeps them queued (and charged to the
 * socket) for mcast_solicit seconds.
 *
 * Those packets hold the socket, the socket holds the namespace and the
 * module: closing the socket frees nothing until the neighbour gives up.
 * The teardown deletes the veth, which drops the queued packets at once,
 * so no test after these finds the module still in use.
 */
#define VETH_NET	"10.99.0"
#define VETH_PEER	IP4(10, 99, 0, 2)

FIXTURE(link)
{
	int fd;
	struct ttp_mib m0;
};

FIXTURE_SETUP(link)
{
	self->fd = -1;
	if (setup_netns(_metadata))
		return;
	/* the VM has veth: a pair refused is a failed set-up, not a skip */
	ASSERT_EQ(0, system("ip link add ttpv0 type veth peer name ttpv1"))
		TH_LOG("cannot create a veth pair");
	ASSERT_EQ(0, system("ip addr add " VETH_NET ".1/24 dev ttpv0 &&"
			    "ip link set ttpv1 up && ip link set ttpv0 up &&"
			    "echo 30 > /proc/sys/net/ipv4/neigh/ttpv0/mcast_solicit"));
	self->fd = ttp_socket();
	ASSERT_LE(0, self->fd);
	mib(_metadata, &self->m0);
}

FIXTURE_TEARDOWN(link)
{
	/* in the test's own namespace: teardown runs in the setup's process */
	if (system("ip link del ttpv0 2>/dev/null"))
		TH_LOG("ip link del ttpv0 failed: packets may pin the socket");
	close(self->fd);
}

/* Fill the send buffer; returns how many sends succeeded. */
static int fill_sndbuf(struct __test_metadata *_metadata, int fd, int flags,
		       int *err, long long *blocked_ms)
{
	long long t0 = ttp_now_ms();
	int i, v = 1;

	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
	ASSERT_EQ(0, ttp_connect(fd, VETH_PEER, 9));
	for (i = 0; i < 200; i++) {
		t0 = ttp_now_ms();
		if (send(fd, sbuf, 1000, flags) != 1000)
			break;
	}
	*err = errno;
	*blocked_ms = ttp_now_ms() - t0;
	return i;
}

TEST_F(link, sndtimeo)
{
	long long dt;
	struct ttp_mib m;
	int sent, err;

	ASSERT_EQ(0, set_timeo(self->fd, SO_SNDTIMEO, 300));
	sent = fill_sndbuf(_metadata, self->fd, 0, &err, &dt);
	ASSERT_LT(0, sent);
	ASSERT_GT(200, sent) TH_LOG("SO_SNDBUF not honoured");
	ASSERT_EQ(EAGAIN, err) TH_LOG("got %s", strerror(err));
	ASSERT_LE(280, dt);
	ASSERT_GT(5000, dt);
	mib(_metadata, &m);
	ASSERT_EQ(sent, DELTA(m, out));
	ASSERT_EQ(1, DELTA(m, sndbuf));
}

TEST_F(link, sndbuf_nonblocking)
{
	struct pollfd pfd = { .events = POLLOUT };
	long long dt;
	int sent, err;

	sent = fill_sndbuf(_metadata, self->fd, MSG_DONTWAIT, &err, &dt);
	ASSERT_LT(0, sent);
	ASSERT_GT(200, sent);
	ASSERT_EQ(EAGAIN, err);
	ASSERT_GT(1000, dt);
	pfd.fd = self->fd;
	ASSERT_EQ(0, poll(&pfd, 1, 0));
}

TEST_F(link, send_eintr)
{
	long long dt;
	int sent, err;

	alarm_ms(300, false);
	sent = fill_sndbuf(_metadata, self->fd, 0, &err, &dt);
	ASSERT_LT(0, sent);
	ASSERT_EQ(EINTR, err) TH_LOG("got %s", strerror(err));
	ASSERT_EQ(SIGALRM, got_signal);
}

/* ======================================================================
 * Packets crafted with a raw socket: good ones are delivered (which
 * proves the checksum algorithm), bad ones are dropped and counted.
 */
enum {
	PK_VALID, PK_VALID_EMPTY, PK_BAD_CSUM, PK_SHORT, PK_HDR_SHORT,
	PK_LEN_LONG, PK_LEN_TINY, PK_BAD_VERSION, PK_BAD_DOFF, PK_BAD_TYPE,
	PK_NOPORT, PK_BAD_CSUM_NOPORT
};

FIXTURE(inject)
{
	int raw, fd;
	struct ttp_mib m0;
};

FIXTURE_VARIANT(inject)
{
	int kind;
	int payload;
	bool delivered;
	int csum, malformed, noports;
	bool ttp_only;
};

FIXTURE_VARIANT_ADD(inject, valid) {
	.kind = PK_VALID, .payload = 37, .delivered = true };
FIXTURE_VARIANT_ADD(inject, valid_big) {
	.kind = PK_VALID, .payload = 30000, .delivered = true };
FIXTURE_VARIANT_ADD(inject, valid_empty) {
	.kind = PK_VALID_EMPTY, .payload = 0, .delivered = true };
FIXTURE_VARIANT_ADD(inject, bad_checksum) {
	.kind = PK_BAD_CSUM, .payload = 37, .csum = 1 };
FIXTURE_VARIANT_ADD(inject, bad_checksum_big) {
	.kind = PK_BAD_CSUM, .payload = 30000, .csum = 1 };
FIXTURE_VARIANT_ADD(inject, short_4_bytes) {
	.kind = PK_SHORT, .malformed = 1 };
FIXTURE_VARIANT_ADD(inject, header_cut) {
	.kind = PK_HDR_SHORT, .malformed = 1, .ttp_only = true };
FIXTURE_VARIANT_ADD(inject, len_beyond_packet) {
	.kind = PK_LEN_LONG, .payload = 37, .malformed = 1 };
FIXTURE_VARIANT_ADD(inject, len_below_header) {
	.kind = PK_LEN_TINY, .payload = 37, .malformed = 1, .ttp_only = true };
FIXTURE_VARIANT_ADD(inject, bad_version) {
	.kind = PK_BAD_VERSION, .payload = 37, .malformed = 1,
	.ttp_only = true };
FIXTURE_VARIANT_ADD(inject, bad_doff) {
	.kind = PK_BAD_DOFF, .payload = 37, .malformed = 1, .ttp_only = true };
FIXTURE_VARIANT_ADD(inject, bad_type) {
	.kind = PK_BAD_TYPE, .payload = 37, .malformed = 1, .ttp_only = true };
FIXTURE_VARIANT_ADD(inject, no_port) {
	.kind = PK_NOPORT, .payload = 37, .noports = 1 };
FIXTURE_VARIANT_ADD(inject, bad_checksum_no_port) {
	.kind = PK_BAD_CSUM_NOPORT, .payload = 37, .csum = 1 };

FIXTURE_SETUP(inject)
{
	self->raw = self->fd = -1;
	if (setup_netns(_metadata))
		return;
	if (variant->ttp_only && ttp_stack()->udp)
		SKIP(return, "TTP header only");
	self->raw = socket(AF_INET, SOCK_RAW, ttp_stack()->ipproto);
	ASSERT_LE(0, self->raw) TH_LOG("raw socket: %s", strerror(errno));
	self->fd = new_bound(_metadata, LO, PB);
	mib(_metadata, &self->m0);
}

FIXTURE_TEARDOWN(inject)
{
	close(self->raw);
	close(self->fd);
}

/* Build the transport segment in buf; returns its length on the wire. */
static size_t build_segment(struct __test_metadata *_metadata,
			    unsigned char *buf, int kind, int payload)
{
	const struct ttp_stack *s = ttp_stack();
	size_t len = s->hdrlen + payload;
	uint16_t dport = PB, wire_len = len, csum;
	struct ttphdr *th = (struct ttphdr *)buf;
	uint16_t *uh = (uint16_t *)buf;

	memset(buf, 0, len);
	ttp_fill(buf + s->hdrlen, payload, 3);
	if (kind == PK_NOPORT || kind == PK_BAD_CSUM_NOPORT)
		dport = PDEAD;
	if (kind == PK_LEN_LONG)
		wire_len = len + 1;
	if (kind == PK_LEN_TINY)
		wire_len = 8;
	/* udp: source, dest, len, check; ttp: the same, then more */
	uh[0] = htons(PA);
	uh[1] = htons(dport);
	uh[2] = htons(wire_len);
	if (!s->udp) {
		th->ver_type = TTP_VER_TYPE(TTP_VERSION, TTP_TYPE_DGRAM);
		th->doff = TTP_HDR_LEN / 4;
		if (kind == PK_BAD_VERSION)
			th->ver_type = TTP_VER_TYPE(TTP_VERSION + 1,
						    TTP_TYPE_DGRAM);
		if (kind == PK_BAD_DOFF)
			th->doff = 2;
		if (kind == PK_BAD_TYPE)
			th->ver_type = TTP_VER_TYPE(TTP_VERSION, 0xf);
	}
	csum = ttp_csum(htonl(LO), htonl(LO), s->ipproto, buf, len);
	/* 0 and 0xffff are special for udp; keep the test unambiguous */
	ASSERT_NE(0, csum);
	ASSERT_NE(0xffff, csum);
	uh[3] = csum;
	if (kind == PK_BAD_CSUM || kind == PK_BAD_CSUM_NOPORT)
		uh[3] ^= htons(0x0100);
	if (kind == PK_SHORT)
		return 4;
	if (kind == PK_HDR_SHORT)
		return s->hdrlen - 1;
	return len;
}

TEST_F(inject, packet)
{
	static unsigned char pkt[BUFSZ];
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(LO) };
	struct sockaddr_ttp from;
	socklen_t flen = sizeof(from);
	size_t len;
	struct ttp_mib m;
	ssize_t n;

	len = build_segment(_metadata, pkt, variant->kind, variant->payload);
	ASSERT_EQ((ssize_t)len, sendto(self->raw, pkt, len, 0, SA(&dst),
				       sizeof(dst)));
	/* a marker datagram through the normal path orders the checks */
	send_ok(_metadata, self->fd, "mark", 4, PB);

	n = recvfrom(self->fd, rbuf, sizeof(rbuf), MSG_DONTWAIT, SA(&from),
		     &flen);
	if (variant->delivered) {
		ASSERT_EQ(variant->payload, n) TH_LOG("recv: %s",
						      strerror(errno));
		ASSERT_EQ(0, memcmp(rbuf, pkt + ttp_stack()->hdrlen,
				    variant->payload));
		assert_addr(_metadata, &from, LO, PA);
		n = recv(self->fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
	}
	ASSERT_EQ(4, n) TH_LOG("the crafted packet was %sdelivered",
			       variant->delivered ? "" : "wrongly ");
	ASSERT_EQ(0, memcmp(rbuf, "mark", 4));
	recv_none(_metadata, self->fd);

	mib(_metadata, &m);
	ASSERT_EQ(1 + variant->delivered, DELTA(m, in));
	ASSERT_EQ(variant->csum, DELTA(m, csum));
	ASSERT_EQ(variant->noports, DELTA(m, noports));
	ASSERT_EQ(variant->csum + variant->malformed, DELTA(m, inerr));
	if (!ttp_stack()->udp)
		ASSERT_EQ(variant->malformed, DELTA(m, malformed));
	ASSERT_EQ(1, DELTA(m, out));
}

/* ======================================================================
 * Rules the mutation tests (make mutants) found untested. Each test names
 * the rule it pins down.
 */

/* A second local address, for a sender or a binding that is not 127.0.0.1. */
#define LO2	IP4(127, 0, 0, 2)
#define PD	5003

static void set_int(struct __test_metadata *_metadata, int fd, int level,
		    int opt, int v)
{
	ASSERT_EQ(0, setsockopt(fd, level, opt, &v, sizeof(v)))
		TH_LOG("setsockopt %d: %s", opt, strerror(errno));
}

/* Bind with SO_REUSEADDR set first; returns the socket. */
static int new_reuse_bound(struct __test_metadata *_metadata, uint32_t ip,
			   uint16_t port)
{
	int fd = ttp_socket();

	ASSERT_LE(0, fd);
	set_int(_metadata, fd, SOL_SOCKET, SO_REUSEADDR, 1);
	ASSERT_EQ(0, ttp_bind(fd, ip, port)) TH_LOG("bind %u: %s", port,
						     strerror(errno));
	return fd;
}

/* Sending to or connecting to a broadcast address needs SO_BROADCAST. */
TEST(broadcast_needs_so_broadcast)
{
	const uint32_t bcast = IP4(127, 255, 255, 255);
	struct sockaddr_ttp peer;
	socklen_t plen = sizeof(peer);
	struct ttp_mib m0, m;
	int fd, rx;

	if (setup_netns(_metadata))
		return;
	rx = new_bound(_metadata, INADDR_ANY, PB);
	fd = ttp_socket();
	ASSERT_LE(0, fd);
	mib(_metadata, &m0);
	errno = 0;
	ASSERT_EQ(-1, ttp_sendto(fd, "x", 1, 0, bcast, PB));
	ASSERT_EQ(EACCES, errno) TH_LOG("sendto: %s", strerror(errno));
	errno = 0;
	ASSERT_EQ(-1, ttp_connect(fd, bcast, PB));
	ASSERT_EQ(EACCES, errno) TH_LOG("connect: %s", strerror(errno));
	ASSERT_EQ(-1, getpeername(fd, SA(&peer), &plen));
	ASSERT_EQ(ENOTCONN, errno);
	mib(_metadata, &m);
	ASSERT_EQ(0, m.out - m0.out);
	recv_none(_metadata, rx);

	set_int(_metadata, fd, SOL_SOCKET, SO_BROADCAST, 1);
	ASSERT_EQ(1, ttp_sendto(fd, "x", 1, 0, bcast, PB));
	ASSERT_EQ(0, ttp_connect(fd, bcast, PB));
	ASSERT_EQ(2, send(fd, "yz", 2, 0));
	mib(_metadata, &m);
	ASSERT_EQ(2, m.out - m0.out);
	close(fd);
	close(rx);
}

/*
 * A connected socket filters on the peer's address as well as its port:
 * the same port from another local address is not the peer.
 */
TEST(connect_filters_peer_address)
{
	struct sockaddr_ttp from;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	socklen_t flen = sizeof(from);
	struct ttp_mib m0, m;
	int a, b, c;

	if (setup_netns(_metadata))
		return;
	a = new_bound(_metadata, LO, PA);
	b = new_bound(_metadata, LO, PB);
	c = new_bound(_metadata, LO2, PB);	/* the peer's port, not its address */
	mib(_metadata, &m0);
	ASSERT_EQ(0, ttp_connect(a, LO, PB));
	send_ok(_metadata, c, "from-c", 6, PA);
	ASSERT_EQ(1, wait_mib(_metadata, &m0, "NoPorts", 1));
	recv_none(_metadata, a);
	send_ok(_metadata, b, "from-b", 6, PA);
	ASSERT_EQ(6, recvfrom(a, rbuf, sizeof(rbuf), MSG_DONTWAIT, SA(&from),
			      &flen));
	ASSERT_EQ(0, memcmp(rbuf, "from-b", 6));
	assert_addr(_metadata, &from, LO, PB);

	/* disconnected, it takes c's datagrams and names c's address */
	ASSERT_EQ(0, connect(a, &unspec, sizeof(unspec)));
	send_ok(_metadata, c, "from-c", 6, PA);
	flen = sizeof(from);
	ASSERT_EQ(6, recvfrom(a, rbuf, sizeof(rbuf), MSG_DONTWAIT, SA(&from),
			      &flen));
	ASSERT_EQ(0, memcmp(rbuf, "from-c", 6));
	assert_addr(_metadata, &from, LO2, PB);
	mib(_metadata, &m);
	ASSERT_EQ(1, m.noports - m0.noports);
	ASSERT_EQ(2, m.in - m0.in);
	close(a);
	close(b);
	close(c);
}

/*
 * connect() on an unbound socket also binds its local address: datagrams
 * to another local address and that port find no socket.
 */
TEST(connect_binds_local_address)
{
	struct ttp_mib m0;
	int b, c, port;

	if (setup_netns(_metadata))
		return;
	b = new_bound(_metadata, LO, PB);
	c = ttp_socket();
	ASSERT_LE(0, c);
	ASSERT_EQ(0, ttp_connect(c, LO, PB));
	port = ttp_local_port(c);
	ASSERT_LT(0, port);
	mib(_metadata, &m0);
	ASSERT_EQ(4, ttp_sendto(b, "lo-2", 4, 0, LO2, port));
	ASSERT_EQ(1, wait_mib(_metadata, &m0, "NoPorts", 1));
	recv_none(_metadata, c);
	ASSERT_EQ(4, ttp_sendto(b, "lo-1", 4, 0, LO, port));
	ASSERT_EQ(4, recv(c, rbuf, sizeof(rbuf), MSG_DONTWAIT));
	ASSERT_EQ(0, memcmp(rbuf, "lo-1", 4));
	close(b);
	close(c);
}

/* Of the sockets sharing a port, the most specific one takes a datagram. */
TEST(lookup_most_specific)
{
	int a, b, conn, wild, spec, any;

	if (setup_netns(_metadata))
		return;
	a = new_bound(_metadata, LO, PA);
	b = new_bound(_metadata, LO, PB);

	/* connected beats wildcard, whichever was bound first */
	conn = new_reuse_bound(_metadata, INADDR_ANY, PC);
	ASSERT_EQ(0, ttp_connect(conn, LO, PB));
	wild = new_reuse_bound(_metadata, INADDR_ANY, PC);
	send_ok(_metadata, b, "peer", 4, PC);
	send_ok(_metadata, a, "other", 5, PC);
	ASSERT_EQ(4, recv(conn, rbuf, sizeof(rbuf), MSG_DONTWAIT));
	ASSERT_EQ(0, memcmp(rbuf, "peer", 4));
	recv_none(_metadata, conn);
	ASSERT_EQ(5, recv(wild, rbuf, sizeof(rbuf), MSG_DONTWAIT));
	ASSERT_EQ(0, memcmp(rbuf, "other", 5));
	recv_none(_metadata, wild);

	/* a bound address beats the wildcard, and takes only its address */
	spec = new_reuse_bound(_metadata, LO, PD);
	any = new_reuse_bound(_metadata, INADDR_ANY, PD);
	send_ok(_metadata, a, "to-lo", 5, PD);
	ASSERT_EQ(6, ttp_sendto(a, "to-lo2", 6, 0, LO2, PD));
	ASSERT_EQ(5, recv(spec, rbuf, sizeof(rbuf), MSG_DONTWAIT));
	ASSERT_EQ(0, memcmp(rbuf, "to-lo", 5));
	recv_none(_metadata, spec);
	ASSERT_EQ(6, recv(any, rbuf, sizeof(rbuf), MSG_DONTWAIT));
	ASSERT_EQ(0, memcmp(rbuf, "to-lo2", 6));
	recv_none(_metadata, any);
	close(a);
	close(b);
	close(conn);
	close(wild);
	close(spec);
	close(any);
}

/* Bound to one address, a socket takes nothing sent to another address. */
TEST(bound_address_exact)
{
	int lo2, lo1;

	if (setup_netns(_metadata))
		return;
	lo2 = new_bound(_metadata, LO2, PB);	/* bound first: later in the chain */
	lo1 = new_bound(_metadata, LO, PB);
	ASSERT_EQ(3, ttp_sendto(lo1, "two", 3, 0, LO2, PB));
	ASSERT_EQ(3, ttp_sendto(lo1, "one", 3, 0, LO, PB));
	ASSERT_EQ(3, recv(lo2, rbuf, sizeof(rbuf), MSG_DONTWAIT));
	ASSERT_EQ(0, memcmp(rbuf, "two", 3));
	recv_none(_metadata, lo2);
	ASSERT_EQ(3, recv(lo1, rbuf, sizeof(rbuf), MSG_DONTWAIT));
	ASSERT_EQ(0, memcmp(rbuf, "one", 3));
	recv_none(_metadata, lo1);
	close(lo1);
	close(lo2);
}

/* A datagram to a port nobody bound reaches no socket of another port. */
TEST(unbound_ports_reach_nobody)
{
	const int n = 1000;
	struct ttp_mib m0;
	int a, b, i;

	if (setup_netns(_metadata))
		return;
	a = new_bound(_metadata, LO, PA);
	b = new_bound(_metadata, LO, 20000);
	mib(_metadata, &m0);
	for (i = 1; i <= n; i++)
		ASSERT_EQ(1, ttp_sendto(a, "x", 1, 0, LO, 20000 + i));
	ASSERT_EQ(n, wait_mib(_metadata, &m0, "NoPorts", n));
	recv_none(_metadata, b);
	recv_none(_metadata, a);
	close(a);
	close(b);
}

/* SO_REUSEADDR shares a port between sockets that all set it, only them. */
TEST(reuseaddr)
{
	int a, b, c, d, e;

	if (setup_netns(_metadata))
		return;
	a = new_reuse_bound(_metadata, LO, PA);
	b = new_reuse_bound(_metadata, LO, PA);
	ASSERT_EQ(1, sockopt_int(b, SOL_SOCKET, SO_REUSEADDR));
	c = ttp_socket();
	ASSERT_LE(0, c);
	ASSERT_EQ(-1, ttp_bind(c, LO, PA));
	ASSERT_EQ(EADDRINUSE, errno);
	ASSERT_EQ(2, ttp_table_find(PA, NULL));

	d = new_bound(_metadata, LO, PB);	/* without the option */
	e = ttp_socket();
	ASSERT_LE(0, e);
	set_int(_metadata, e, SOL_SOCKET, SO_REUSEADDR, 1);
	ASSERT_EQ(-1, ttp_bind(e, LO, PB));
	ASSERT_EQ(EADDRINUSE, errno);
	ASSERT_EQ(1, ttp_table_find(PB, NULL));
	close(a);
	close(b);
	close(c);
	close(d);
	close(e);
}

/* A failed bind leaves the name alone: address and port. */
TEST(failed_bind_keeps_name)
{
	struct sockaddr_ttp name;
	socklen_t nlen = sizeof(name);
	int a, c;

	if (setup_netns(_metadata))
		return;
	a = new_bound(_metadata, LO, PA);
	c = ttp_socket();
	ASSERT_LE(0, c);
	ASSERT_EQ(-1, ttp_bind(c, LO, PA));
	ASSERT_EQ(EADDRINUSE, errno);
	ASSERT_EQ(0, getsockname(c, SA(&name), &nlen));
	assert_addr(_metadata, &name, INADDR_ANY, 0);
	/* and the socket binds elsewhere afterwards */
	ASSERT_EQ(0, ttp_bind(c, LO, PB));
	close(a);
	close(c);
}

/* An auto-bound port given back by connect(AF_UNSPEC): bind works again. */
TEST(rebind_after_disconnect)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	int c;

	if (setup_netns(_metadata))
		return;
	c = ttp_socket();
	ASSERT_LE(0, c);
	ASSERT_EQ(0, ttp_connect(c, LO, PB));
	ASSERT_LT(0, ttp_local_port(c));
	ASSERT_EQ(0, connect(c, &unspec, sizeof(unspec)));
	ASSERT_EQ(0, ttp_local_port(c));
	ASSERT_EQ(0, ttp_bind(c, LO, PC)) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(PC, ttp_local_port(c));
	close(c);
}

/* AF_UNSPEC: bind takes it only with INADDR_ANY; sendto takes it. */
TEST(unspec_family)
{
	struct sockaddr_ttp a = ttp_addr(LO, PA);
	int fd, rx;

	if (setup_netns(_metadata))
		return;
	fd = ttp_socket();
	ASSERT_LE(0, fd);
	a.sttp_family = AF_UNSPEC;
	ASSERT_EQ(-1, bind(fd, SA(&a), sizeof(a)));
	ASSERT_EQ(EAFNOSUPPORT, errno);
	a.sttp_addr.s_addr = htonl(INADDR_ANY);
	ASSERT_EQ(0, bind(fd, SA(&a), sizeof(a))) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(PA, ttp_local_port(fd));

	rx = new_bound(_metadata, LO, PB);
	a = ttp_addr(LO, PB);
	a.sttp_family = AF_UNSPEC;
	ASSERT_EQ(3, sendto(fd, "abc", 3, 0, SA(&a), sizeof(a)))
		TH_LOG("sendto: %s", strerror(errno));
	ASSERT_EQ(3, recv(rx, rbuf, sizeof(rbuf), MSG_DONTWAIT));
	close(fd);
	close(rx);
}

/* net.ipv4.ip_nonlocal_bind=1 lets a socket bind a foreign address. */
TEST(nonlocal_bind)
{
	int fd, sys;

	if (setup_netns(_metadata))
		return;
	fd = ttp_socket();
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, ttp_bind(fd, IP4(10, 1, 2, 3), PA));
	ASSERT_EQ(EADDRNOTAVAIL, errno);
	sys = open("/proc/sys/net/ipv4/ip_nonlocal_bind", O_WRONLY);
	ASSERT_LE(0, sys);
	ASSERT_EQ(1, write(sys, "1", 1));
	close(sys);
	ASSERT_EQ(0, ttp_bind(fd, IP4(10, 1, 2, 3), PA))
		TH_LOG("bind: %s", strerror(errno));
	close(fd);
}

/* ioctls the protocol does not know fall through to the generic ones. */
TEST(ioctl_generic)
{
	struct ifreq ifr;
	int fd;

	if (setup_netns(_metadata))
		return;
	fd = ttp_socket();
	ASSERT_LE(0, fd);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ASSERT_EQ(0, ioctl(fd, SIOCGIFINDEX, &ifr))
		TH_LOG("SIOCGIFINDEX: %s", strerror(errno));
	ASSERT_EQ(if_nametoindex("lo"), ifr.ifr_ifindex);
	close(fd);
}

/* The protocol number itself is accepted; TTP has no stream sockets yet. */
TEST(socket_types)
{
	int fd;

	if (setup_netns(_metadata))
		return;
	fd = socket(ttp_family(), SOCK_DGRAM, ttp_stack()->ipproto);
	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	close(fd);
	if (ttp_stack()->udp)
		return;
	fd = socket(ttp_family(), SOCK_STREAM, ttp_stack()->ipproto);
	ASSERT_LE(0, fd) TH_LOG("stream socket: %s", strerror(errno));
	close(fd);
	ASSERT_EQ(-1, socket(ttp_family(), SOCK_SEQPACKET, 0));
	ASSERT_EQ(ESOCKTNOSUPPORT, errno);
	ASSERT_EQ(-1, socket(ttp_family(), SOCK_RAW, 0));
	ASSERT_EQ(ESOCKTNOSUPPORT, errno);
	ASSERT_EQ(-1, socket(ttp_family(), SOCK_DGRAM, IPPROTO_UDP));
	ASSERT_EQ(EPROTONOSUPPORT, errno);
}

/* recvmsg passes the socket-level cmsgs: SO_TIMESTAMP's SCM_TIMESTAMP. */
TEST_F(dgram, recv_timestamp_cmsg)
{
	char cbuf[CMSG_SPACE(sizeof(struct timeval))];
	struct iovec iov = { rbuf, sizeof(rbuf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct timeval before, stamp, after;
	struct cmsghdr *cm;

	set_int(_metadata, self->b, SOL_SOCKET, SO_TIMESTAMP, 1);
	ASSERT_EQ(0, gettimeofday(&before, NULL));
	send_ok(_metadata, self->a, "tick", 4, PB);
	ASSERT_EQ(4, recvmsg(self->b, &msg, 0));
	ASSERT_EQ(0, gettimeofday(&after, NULL));
	ASSERT_EQ(0, msg.msg_flags);
	cm = CMSG_FIRSTHDR(&msg);
	ASSERT_NE(NULL, cm) TH_LOG("no cmsg");
	ASSERT_EQ(SOL_SOCKET, cm->cmsg_level);
	ASSERT_EQ(SCM_TIMESTAMP, cm->cmsg_type);
	ASSERT_EQ(CMSG_LEN(sizeof(stamp)), cm->cmsg_len);
	memcpy(&stamp, CMSG_DATA(cm), sizeof(stamp));
	ASSERT_FALSE(timercmp(&stamp, &before, <));
	ASSERT_FALSE(timercmp(&stamp, &after, >));
	ASSERT_EQ(NULL, CMSG_NXTHDR(&msg, cm));
}

/* SIOCOUTQ (TIOCOUTQ) counts what is queued and not yet sent. */
TEST_F(link, siocoutq)
{
	int v = -1, i;

	ASSERT_EQ(0, ttp_connect(self->fd, VETH_PEER, 9));
	ASSERT_EQ(0, ioctl(self->fd, SIOCOUTQ, &v));
	ASSERT_EQ(0, v);
	/* no ARP answer: the datagrams wait in the neighbour queue */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(1000, send(self->fd, sbuf, 1000, 0));
	ASSERT_EQ(0, ioctl(self->fd, SIOCOUTQ, &v));
	ASSERT_LE(3000, v);
	ASSERT_GT(3 * 8192, v);
	i = -1;
	ASSERT_EQ(0, ioctl(self->fd, TIOCOUTQ, &i));
	ASSERT_EQ(v, i);
}

/* ICMP parameter problem reaches a connected socket as EPROTO. */
TEST(icmp_parameter_problem)
{
	int fd, raw;

	if (setup_netns(_metadata))
		return;
	raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	ASSERT_LE(0, raw);
	fd = new_bound(_metadata, LO, PA);
	ASSERT_EQ(0, ttp_connect(fd, LO, PB));
	send_icmp(_metadata, raw, ICMP_PARAMETERPROB, 0);
	ASSERT_EQ(-1, recv(fd, rbuf, 10, MSG_DONTWAIT));
	ASSERT_EQ(EPROTO, errno) TH_LOG("got %s", strerror(errno));
	ASSERT_EQ(0, sockopt_int(fd, SOL_SOCKET, SO_ERROR));
	close(fd);
	close(raw);
}

/* An ICMP error wakes a receiver blocked on the connected socket. */
TEST(icmp_error_wakes_receiver)
{
	long long t0, dt;
	int fd, raw;
	pid_t pid;

	if (setup_netns(_metadata))
		return;
	raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	ASSERT_LE(0, raw);
	fd = new_bound(_metadata, LO, PA);
	ASSERT_EQ(0, ttp_connect(fd, LO, PB));
	ASSERT_EQ(0, set_timeo(fd, SO_RCVTIMEO, 4000));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		ttp_sleep_ms(300);
		send_icmp(_metadata, raw, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
		_exit(0);
	}
	t0 = ttp_now_ms();
	ASSERT_EQ(-1, recv(fd, rbuf, 10, 0));
	dt = ttp_now_ms() - t0;
	ASSERT_EQ(ECONNREFUSED, errno) TH_LOG("got %s after %lld ms",
					      strerror(errno), dt);
	ASSERT_GT(3000, dt);
	ASSERT_EQ(0, reap(pid));
	close(fd);
	close(raw);
}

/* ======================================================================
 * More crafted packets: the receive rules of docs/protocol.md section 3.
 */
FIXTURE(craft)
{
	int raw, fd;
	struct ttp_mib m0;
};

FIXTURE_SETUP(craft)
{
	self->raw = self->fd = -1;
	if (setup_netns(_metadata))
		return;
	self->raw = socket(AF_INET, SOCK_RAW, ttp_stack()->ipproto);
	ASSERT_LE(0, self->raw) TH_LOG("raw socket: %s", strerror(errno));
	self->fd = new_bound(_metadata, LO, PB);
	mib(_metadata, &self->m0);
}

FIXTURE_TEARDOWN(craft)
{
	close(self->raw);
	close(self->fd);
}

#define TTP_ONLY() do { \
	if (ttp_stack()->udp) \
		SKIP(return, "TTP only"); \
} while (0)

/* Send len bytes of pkt to 127.0.0.1 through the raw socket. */
static void craft_send(struct __test_metadata *_metadata, int raw,
		       const void *pkt, size_t len)
{
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(LO) };

	ASSERT_EQ((ssize_t)len, sendto(raw, pkt, len, 0, SA(&dst),
				       sizeof(dst)));
}

/* Fill in the checksum of the TTP segment in pkt (len bytes). */
static void craft_seal(unsigned char *pkt, size_t len)
{
	struct ttphdr *th = (struct ttphdr *)pkt;

	th->check = 0;
	th->check = ttp_csum(htonl(LO), htonl(LO), ttp_stack()->ipproto, pkt,
			     len);
}

/* After the crafted packets, the "mark" datagram must be the next one. */
static void craft_mark(struct __test_metadata *_metadata, int fd)
{
	send_ok(_metadata, fd, "mark", 4, PB);
	ASSERT_EQ(4, recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT))
		TH_LOG("a crafted packet was delivered, or the mark lost");
	ASSERT_EQ(0, memcmp(rbuf, "mark", 4));
	recv_none(_metadata, fd);
}

/* IP payload bytes after Length are ignored: trimmed, not checksummed. */
TEST_F(craft, trailing_bytes_ignored)
{
	static unsigned char pkt[256];
	struct ttp_mib m;
	size_t len;

	len = build_segment(_metadata, pkt, PK_VALID, 37);
	memcpy(pkt + len, "trail", 5);
	craft_send(_metadata, self->raw, pkt, len + 5);
	ASSERT_EQ(37, recv(self->fd, rbuf, sizeof(rbuf), MSG_DONTWAIT))
		TH_LOG("recv: %s", strerror(errno));
	ASSERT_EQ(0, memcmp(rbuf, pkt + ttp_stack()->hdrlen, 37));
	craft_mark(_metadata, self->fd);
	mib(_metadata, &m);
	ASSERT_EQ(2, DELTA(m, in));
	ASSERT_EQ(0, DELTA(m, inerr));
}

/* The payload starts at Data Offset * 4: unknown header words are skipped. */
TEST_F(craft, data_offset_skips_words)
{
	static unsigned char pkt[256];
	struct ttphdr *th = (struct ttphdr *)pkt;
	struct ttp_mib m;
	size_t len = TTP_HDR_LEN + 4 + 20;

	TTP_ONLY();
	memset(pkt, 0, sizeof(pkt));
	th->source = htons(PA);
	th->dest = htons(PB);
	th->len = htons(len);
	th->ver_type = TTP_VER_TYPE(TTP_VERSION, TTP_TYPE_DGRAM);
	th->doff = 4;
	memcpy(pkt + TTP_HDR_LEN, "\xde\xad\xbe\xef", 4);
	ttp_fill(pkt + TTP_HDR_LEN + 4, 20, 9);
	craft_seal(pkt, len);
	craft_send(_metadata, self->raw, pkt, len);
	ASSERT_EQ(20, recv(self->fd, rbuf, sizeof(rbuf), MSG_DONTWAIT))
		TH_LOG("recv: %s", strerror(errno));
	ASSERT_EQ(0, memcmp(rbuf, pkt + TTP_HDR_LEN + 4, 20));
	craft_mark(_metadata, self->fd);
	mib(_metadata, &m);
	ASSERT_EQ(2, DELTA(m, in));
	ASSERT_EQ(0, DELTA(m, inerr));
}

/*
 * The checksum is checked before Version, Type and Data Offset: a packet
 * with both a bad header and a bad checksum is a checksum error.
 */
TEST_F(craft, checksum_before_header)
{
	static const int kinds[] = { PK_BAD_VERSION, PK_BAD_TYPE, PK_BAD_DOFF };
	static unsigned char pkt[256];
	struct ttphdr *th = (struct ttphdr *)pkt;
	struct ttp_mib m;
	size_t i, len;

	TTP_ONLY();
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		len = build_segment(_metadata, pkt, kinds[i], 37);
		th->check ^= htons(0x0100);
		craft_send(_metadata, self->raw, pkt, len);
	}
	craft_mark(_metadata, self->fd);
	mib(_metadata, &m);
	ASSERT_EQ(3, DELTA(m, csum));
	ASSERT_EQ(0, DELTA(m, malformed));
	ASSERT_EQ(3, DELTA(m, inerr));
	ASSERT_EQ(1, DELTA(m, in));
}

/* A Checksum field of 0 is not "no checksum": it must verify too. */
TEST_F(craft, zero_checksum_field_verified)
{
	static unsigned char pkt[256];
	struct ttphdr *th = (struct ttphdr *)pkt;
	struct ttp_mib m;
	size_t len;

	TTP_ONLY();
	len = build_segment(_metadata, pkt, PK_VALID, 37);	/* sum is not 0 */
	th->check = 0;
	craft_send(_metadata, self->raw, pkt, len);
	craft_mark(_metadata, self->fd);
	mib(_metadata, &m);
	ASSERT_EQ(1, DELTA(m, csum));
	ASSERT_EQ(1, DELTA(m, inerr));
	ASSERT_EQ(1, DELTA(m, in));
}

/*
 * A computed checksum of 0x0000 is sent as 0x0000 (udp would send 0xffff),
 * and the rest of the header as docs/protocol.md gives it: a two-byte
 * payload is chosen so that the sum comes out as zero, and the packet is
 * read back from the wire with a raw socket.
 */
TEST_F(craft, zero_checksum_sent_as_is)
{
	unsigned char want[TTP_HDR_LEN + 2], pkt[2048];
	struct ttphdr *th = (struct ttphdr *)want;
	struct pollfd pfd = { .fd = self->raw, .events = POLLIN };
	uint16_t c;
	bool seen = false;
	int a;

	TTP_ONLY();
	a = new_bound(_metadata, LO, PA);
	memset(want, 0, sizeof(want));
	th->source = htons(PA);
	th->dest = htons(PB);
	th->len = htons(sizeof(want));
	th->ver_type = TTP_VER_TYPE(TTP_VERSION, TTP_TYPE_DGRAM);
	th->doff = TTP_HDR_LEN / 4;
	/* the payload word that makes the one's complement sum all ones */
	c = ttp_csum(htonl(LO), htonl(LO), ttp_stack()->ipproto, want,
		     sizeof(want));
	memcpy(want + TTP_HDR_LEN, &c, 2);
	ASSERT_EQ(0, ttp_csum(htonl(LO), htonl(LO), ttp_stack()->ipproto,
			      want, sizeof(want)));

	send_ok(_metadata, a, want + TTP_HDR_LEN, 2, PB);
	while (!seen && poll(&pfd, 1, 2000) == 1) {
		struct iphdr *ip = (struct iphdr *)pkt;
		ssize_t n = recv(self->raw, pkt, sizeof(pkt), 0);
		unsigned char *seg = pkt + ip->ihl * 4;

		ASSERT_LT(0, n);
		if (n != ip->ihl * 4 + (ssize_t)sizeof(want) ||
		    memcmp(seg, want, 4))
			continue;	/* not ours */
		ASSERT_EQ(0, memcmp(seg, want, sizeof(want)))
			TH_LOG("on the wire: check %02x%02x flags %02x doff %u",
			       seg[6], seg[7], seg[11], seg[10]);
		seen = true;
	}
	ASSERT_TRUE(seen);
	/* and it verifies at the receiver */
	ASSERT_EQ(2, recv(self->fd, rbuf, sizeof(rbuf), MSG_DONTWAIT));
	ASSERT_EQ(0, memcmp(rbuf, want + TTP_HDR_LEN, 2));
	close(a);
}

/* ======================================================================
 * What the receive path counts when it drops, and what a send carries
 * while the socket changes under it.
 */

/* Attach a classic BPF program "return k" (0: reject) to fd. */
static int attach_ret(int fd, unsigned int k)
{
	struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, k) };
	struct sock_fprog prog = { .len = 1, .filter = code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
			  sizeof(prog));
}

/*
 * A datagram the socket's filter rejects is an input error and one of the
 * socket's drops, as for udp (udp_queue_rcv_one_skb): not a receive buffer
 * error, which is what the buffer being full counts.
 */
TEST_F(dgram, socket_filter_drop_counted)
{
	struct pollfd pfd = { .events = POLLIN };
	struct ttp_row row;
	struct ttp_mib m;
	int i, v = 0;

	ASSERT_EQ(0, attach_ret(self->b, 0)) TH_LOG("SO_ATTACH_FILTER: %s",
						    strerror(errno));
	for (i = 0; i < 3; i++)
		send_ok(_metadata, self->a, sbuf, 100 + i, PB);
	ASSERT_EQ(3, wait_mib(_metadata, &self->m0, "InErrors", 3));
	recv_none(_metadata, self->b);

	ASSERT_EQ(0, setsockopt(self->b, SOL_SOCKET, SO_DETACH_FILTER, &v,
				sizeof(v)));
	ttp_fill(sbuf, 50, 1);
	send_ok(_metadata, self->a, sbuf, 50, PB);
	pfd.fd = self->b;
	ASSERT_EQ(1, poll(&pfd, 1, 3000));
	recv_exact(_metadata, self->b, 50, 1);
	recv_none(_metadata, self->b);

	mib(_metadata, &m);
	ASSERT_EQ(3, DELTA(m, inerr));
	ASSERT_EQ(0, DELTA(m, rcvbuf));
	ASSERT_EQ(0, DELTA(m, csum));
	ASSERT_EQ(0, DELTA(m, noports));
	ASSERT_EQ(1, DELTA(m, in));
	ASSERT_EQ(4, DELTA(m, out));
	if (!ttp_stack()->udp)
		ASSERT_EQ(0, DELTA(m, malformed));
	ASSERT_EQ(1, ttp_table_find(PB, &row));
	ASSERT_EQ(3, row.drops);
	ASSERT_EQ(1, ttp_table_find(PA, &row));
	ASSERT_EQ(0, row.drops);
}

/*
 * A send takes the source port it puts on the wire with its route, under
 * the socket lock. A connect(AF_UNSPEC) beside it gives the port back
 * (the socket is unbound again, inet_sport 0) and must not make the
 * datagram leave with source port 0: here one process sends from an
 * unbound socket, each send binding it anew, while another disconnects
 * that socket in a loop. udp reads the port again after routing
 * (udp_send_skb) and does send port 0 in this race: TTP only.
 */
TEST(send_races_disconnect)
{
	struct sockaddr_ttp from, unspec = { .sttp_family = AF_UNSPEC };
	const size_t size = 65000;
	int a, b, sent = 0, got = 0, zero = 0, v = 1 << 20;
	struct pollfd pfd;
	socklen_t flen;
	long long end;
	pid_t pid;
	ssize_t n;

	TTP_ONLY();
	if (setup_netns(_metadata))
		return;
	b = new_bound(_metadata, LO, PB);
	setsockopt(b, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v));
	a = ttp_socket();
	ASSERT_LE(0, a);
	ttp_fill(sbuf, size, 5);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		for (;;)
			connect(a, SA(&unspec), sizeof(unspec));

	pfd.fd = b;
	pfd.events = POLLIN;
	end = ttp_now_ms() + 2000;
	while (ttp_now_ms() < end && sent < 3000) {
		n = ttp_sendto(a, sbuf, size, 0, LO, PB);
		if (n != (ssize_t)size)
			break;
		sent++;
		/* the last round waits for what is still on its way */
		while (poll(&pfd, 1, sent < 3000 && ttp_now_ms() < end ?
			    0 : 500) == 1) {
			flen = sizeof(from);
			n = recvfrom(b, rbuf, sizeof(rbuf), 0, SA(&from),
				     &flen);
			if (n != (ssize_t)size)
				break;
			got++;
			zero += !from.sttp_port;
		}
	}
	kill(pid, SIGKILL);
	ASSERT_EQ(128 + SIGKILL, reap(pid));
	ASSERT_LT(0, sent) TH_LOG("sendto: %s", strerror(errno));
	ASSERT_EQ(0, zero) TH_LOG("%d of %d datagrams left with source port 0",
				  zero, got);
	ASSERT_EQ(sent, got);
	close(a);
	close(b);
}

/* Set lo's MTU (each test runs in its own network namespace). */
static int set_lo_mtu(int mtu)
{
	struct ifreq ifr = { .ifr_name = "lo", .ifr_mtu = mtu };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, SIOCSIFMTU, &ifr);
	close(fd);
	return ret;
}

#define FAILSLAB	"/sys/kernel/debug/failslab/"

static int failslab_set(const char *attr, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), FAILSLAB "%s", attr);
	return ttp_write_file(path, val);
}

static void failslab_off(void)
{
	failslab_set("probability", "0");
	failslab_set("require-start", "0");
	failslab_set("require-end", "0");
	failslab_set("times", "1");
}

/*
 * Arm failslab to fail the next slab allocation made with ttp.ko on the
 * stack, in any context (the receive path runs in softirq). 0, or the
 * reason it cannot.
 */
static const char *failslab_arm_ttp(void)
{
	unsigned long start = 0, size = 0;
	char line[256], name[64] = "", val[32];
	FILE *f;

	/* EBUSY if it is mounted already: the access below tells */
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (access(FAILSLAB "require-start", W_OK))
		return "failslab with a stack filter is not in this kernel";
	f = fopen("/proc/modules", "r");
	if (!f)
		return "no /proc/modules";
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lu %*s %*s %*s %lx", name, &size,
			   &start) == 3 && !strcmp(name, "ttp"))
			break;
	fclose(f);
	if (strcmp(name, "ttp") || !start)
		return "ttp.ko's address is not in /proc/modules";
	failslab_set("probability", "0");
	if (failslab_set("task-filter", "N") ||
	    failslab_set("ignore-gfp-wait", "Y") ||
	    failslab_set("verbose", "0") || failslab_set("space", "0") ||
	    failslab_set("interval", "1") || failslab_set("times", "1") ||
	    failslab_set("stacktrace-depth", "32"))
		return "failslab cannot be set up";
	snprintf(val, sizeof(val), "0x%lx", start);
	failslab_set("require-start", val);
	snprintf(val, sizeof(val), "0x%lx", start + size);
	failslab_set("require-end", val);
	failslab_set("probability", "100");
	return NULL;
}

/*
 * Trimming the IP payload to Length can fail for want of memory: it
 * allocates when the packet is not linear (reassembled from fragments) and
 * its data is shared (the raw socket that sent it holds a clone). failslab
 * fails that one allocation; the packet must be dropped and counted in
 * InErrors, as udp counts it, and in nothing else. Kernels without
 * failslab (Debian's) skip; the debug kernel (selftests/vm) runs it.
 */
TEST_F(craft, trim_failure_counted)
{
	static unsigned char pkt[4096];
	const char *why;
	struct ttp_mib m;
	long long end;
	size_t len;
	int times = 1;

	TTP_ONLY();	/* the fault is aimed at ttp.ko's code */
	ASSERT_EQ(0, set_lo_mtu(1280));
	len = build_segment(_metadata, pkt, PK_VALID, 3000);
	memcpy(pkt + len, "trail", 5);
	why = failslab_arm_ttp();
	if (why) {
		failslab_off();
		SKIP(return, "%s", why);
	}
	craft_send(_metadata, self->raw, pkt, len + 5);
	end = ttp_now_ms() + 3000;
	while (ttp_now_ms() < end &&
	       (times = ttp_read_int(FAILSLAB "times", -1)) != 0)
		ttp_sleep_ms(10);
	failslab_off();
	ASSERT_EQ(0, times) TH_LOG("no allocation with ttp.ko on the stack was failed");
	craft_mark(_metadata, self->fd);
	mib(_metadata, &m);
	ASSERT_EQ(1, DELTA(m, inerr));
	ASSERT_EQ(0, DELTA(m, csum));
	ASSERT_EQ(0, DELTA(m, malformed));
	ASSERT_EQ(0, DELTA(m, rcvbuf));
	ASSERT_EQ(0, DELTA(m, noports));
	ASSERT_EQ(1, DELTA(m, in));
}

/* ---- memory accounting: net.ttp.dgram_mem ------------------------------ */

#define DGRAM_MEM	"/proc/sys/net/ttp/dgram_mem"

/*
 * The limits are global (the initial namespace's sysctl, as udp_mem): the
 * file is opened before the test's own namespace is made, and the limits
 * it held are written back at teardown, even after a failed assertion.
 * The receiver's buffer is large (SO_RCVBUFFORCE), so that only the
 * memory bound drops.
 */
/*
 * The pages charged to TTP's datagram sockets, all namespaces together:
 * the memory column of the "TTP" line of /proc/net/protocols (-1: none).
 * Per-CPU reserves (net.core.mem_pcpu_rsv) are not in it.
 */
static long dgram_mem_pages(void)
{
	char line[256], name[32];
	long size, socks, pages;
	FILE *f = fopen("/proc/net/protocols", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %ld %ld %ld", name, &size, &socks,
			   &pages) == 4 && !strcmp(name, "TTP")) {
			fclose(f);
			return pages;
		}
	}
	fclose(f);
	return -1;
}

FIXTURE(dgram_mem)
{
	int sysctl;
	char saved[128];
	int rx, tx;
	struct ttp_mib m0;
};

FIXTURE_SETUP(dgram_mem)
{
	ssize_t n;
	int v = 64 << 20;

	self->rx = self->tx = -1;
	self->sysctl = -1;
	TTP_ONLY();	/* udp_mem is the host's, not the test's to change */
	self->sysctl = open(DGRAM_MEM, O_RDWR);
	ASSERT_LE(0, self->sysctl) TH_LOG(DGRAM_MEM ": %s", strerror(errno));
	n = pread(self->sysctl, self->saved, sizeof(self->saved) - 1, 0);
	ASSERT_LT(0, n);
	self->saved[n] = 0;
	if (setup_netns(_metadata))
		return;
	self->rx = new_bound(_metadata, LO, PB);
	ASSERT_EQ(0, setsockopt(self->rx, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
		TH_LOG("SO_RCVBUFFORCE: %s", strerror(errno));
	self->tx = ttp_socket();
	ASSERT_LE(0, self->tx);
	mib(_metadata, &self->m0);
}

FIXTURE_TEARDOWN(dgram_mem)
{
	if (self->sysctl >= 0) {
		if (pwrite(self->sysctl, self->saved, strlen(self->saved), 0) < 0)
			TH_LOG("cannot restore " DGRAM_MEM ": %s", strerror(errno));
		close(self->sysctl);
	}
	close(self->rx);
	close(self->tx);
}

static void dgram_mem_set(struct __test_metadata *_metadata, int fd,
			  const char *limits)
{
	ASSERT_EQ((ssize_t)strlen(limits), pwrite(fd, limits, strlen(limits), 0))
		TH_LOG(DGRAM_MEM ": %s", strerror(errno));
}

/* Send n datagrams of size bytes (pattern i for the i-th) to rx. */
static void dgram_mem_send(struct __test_metadata *_metadata, int tx, int n,
			   int size)
{
	int i;

	for (i = 0; i < n; i++) {
		ttp_fill(sbuf, size, i);
		send_ok(_metadata, tx, sbuf, size, PB);
	}
}

/* SO_MEMINFO of fd: what it holds queued, and its forward allocation */
static void meminfo(struct __test_metadata *_metadata, int fd, long *rmem,
		    long *fwd)
{
	__u32 mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);

	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &len))
		TH_LOG("SO_MEMINFO: %s", strerror(errno));
	*rmem = mi[SK_MEMINFO_RMEM_ALLOC];
	*fwd = (int)mi[SK_MEMINFO_FWD_ALLOC];
}

/*
 * Every datagram queued is charged in whole pages through the socket's
 * forward allocation (SO_MEMINFO): while datagrams wait, the credit left
 * is under a page; once they are read, it is 0 (every page given back).
 */
TEST_F(dgram_mem, charged_and_given_back)
{
	const int n = 50, size = 1000;
	long rmem, fwd;
	struct ttp_mib m;
	int i;

	dgram_mem_send(_metadata, self->tx, n, size);
	ASSERT_EQ(n, wait_mib(_metadata, &self->m0, "InDatagrams", n));
	meminfo(_metadata, self->rx, &rmem, &fwd);
	ASSERT_LE(n * size, rmem);
	ASSERT_LE(0, fwd) TH_LOG("forward allocation %ld: charged without pages", fwd);
	ASSERT_GT(4096, fwd) TH_LOG("forward allocation %ld: a page too many", fwd);
	for (i = 0; i < n; i++)
		recv_exact(_metadata, self->rx, size, i);
	meminfo(_metadata, self->rx, &rmem, &fwd);
	ASSERT_EQ(0, rmem);
	ASSERT_EQ(0, fwd) TH_LOG("pages kept after every datagram was read");
	mib(_metadata, &m);
	ASSERT_EQ(0, DELTA(m, mem));
}

/*
 * Over net.ttp.dgram_mem's "low" a socket holding a page or more gets no
 * more: the rest are dropped and counted in MemErrors (and InErrors), not
 * in RcvbufErrors, and what was queued comes out whole and in order. The
 * total the bound is checked against is loose by the pages the CPUs keep
 * in reserve outside it (net.core.mem_pcpu_rsv each, RSV together), as
 * for every protocol, either way: so the bound is set at RSV + 16 pages
 * (the first datagram must fit), what is queued (SO_MEMINFO) must stay
 * within it and RSV more, and the burst (4,000 datagrams, over 1,300
 * pages) is over that.
 */
TEST_F_TIMEOUT(dgram_mem, bounded, 180)	/* 8,000 datagrams: 40 s on debug */
{
	const int n = 4000, size = 1000;
	long rsv = ttp_read_int("/proc/sys/net/core/mem_pcpu_rsv", 256) *
		   sysconf(_SC_NPROCESSORS_ONLN);
	long bound = rsv + 16, rmem, fwd;
	char limits[64];
	struct ttp_mib m;
	int got = 0, t;

	snprintf(limits, sizeof(limits), "%ld %ld %ld", bound, bound, bound);
	dgram_mem_set(_metadata, self->sysctl, limits);
	dgram_mem_send(_metadata, self->tx, n, size);
	mib(_metadata, &m);
	for (t = 0; t < 300 && DELTA(m, in) + DELTA(m, mem) < n; t++) {
		ttp_sleep_ms(10);
		mib(_metadata, &m);
	}
	/* each datagram's truesize is over 1,320 bytes: the burst is over */
	meminfo(_metadata, self->rx, &rmem, &fwd);
	ASSERT_GE((bound + rsv + 1) * 4096, rmem) TH_LOG("%ld bytes queued", rmem);
	ASSERT_LT(0, DELTA(m, mem));
	while (recv(self->rx, rbuf, sizeof(rbuf), MSG_DONTWAIT) == size) {
		ttp_fill(sbuf, size, got);
		ASSERT_EQ(0, memcmp(sbuf, rbuf, size)) TH_LOG("datagram %d", got);
		got++;
	}
	TH_LOG("%d of %d queued under a bound of %ld pages (%ld of them the reserves')",
	       got, n, bound, rsv);
	ASSERT_LE(1, got);
	ASSERT_EQ(got, DELTA(m, in));
	ASSERT_EQ(n - got, DELTA(m, mem));
	ASSERT_EQ(n - got, DELTA(m, inerr));
	ASSERT_EQ(0, DELTA(m, rcvbuf));
	meminfo(_metadata, self->rx, &rmem, &fwd);
	ASSERT_EQ(0, fwd);

	/* the limits back: the same burst all gets through */
	dgram_mem_set(_metadata, self->sysctl, self->saved);
	dgram_mem_send(_metadata, self->tx, n, size);
	ASSERT_EQ(got + n, wait_mib(_metadata, &self->m0, "InDatagrams", got + n));
	mib(_metadata, &m);
	ASSERT_EQ(n - got, DELTA(m, mem));
}

#define CGROUP	"/sys/fs/cgroup"

/*
 * Move this test's process into a memory cgroup of its own (cgroup v2,
 * mounted if it is not): 0, or -1 when the kernel has no cgroups or no
 * memory controller.
 */
static int enter_memcg(struct __test_metadata *_metadata)
{
	char pid[32];

	if (access(CGROUP "/cgroup.controllers", F_OK) &&
	    mount("none", CGROUP, "cgroup2", 0, NULL)) {
		/* no mount point, or no cgroup2: a kernel without cgroups */
		ASSERT_TRUE(errno == ENOENT || errno == ENODEV)
			TH_LOG("mount cgroup2: %s", strerror(errno));
		return -1;
	}
	if (ttp_write_file(CGROUP "/cgroup.subtree_control", "+memory"))
		return -1;
	ASSERT_TRUE(!mkdir(CGROUP "/ttp-dgram-mem", 0755) || errno == EEXIST);
	snprintf(pid, sizeof(pid), "%d", getpid());
	ASSERT_EQ(0, ttp_write_file(CGROUP "/ttp-dgram-mem/cgroup.procs", pid));
	return 0;
}

/*
 * SO_RESERVE_MEM: 6.1 grants it to any socket with memory accounting in a
 * memory cgroup, later kernels to TCP's only. What a datagram socket
 * reserved is charged, and goes back when the socket goes.
 */
TEST_F(dgram_mem, reserved_memory_given_back)
{
	long rsv = ttp_read_int("/proc/sys/net/core/mem_pcpu_rsv", 256) *
		   sysconf(_SC_NPROCESSORS_ONLN);
	int v = 8 << 20, fd;	/* 2048 pages */
	long pages;

	if (enter_memcg(_metadata))
		SKIP(return, "no memory cgroup controller in this kernel");
	fd = ttp_socket();	/* in the cgroup: sk_alloc() ties it to it */
	ASSERT_LE(0, fd);
	if (setsockopt(fd, SOL_SOCKET, SO_RESERVE_MEM, &v, sizeof(v))) {
		ASSERT_EQ(EOPNOTSUPP, errno) TH_LOG("SO_RESERVE_MEM: %s", strerror(errno));
		close(fd);
		SKIP(return, "this kernel reserves memory for TCP sockets only");
	}
	pages = dgram_mem_pages();
	ASSERT_LE(2048 - rsv, pages) TH_LOG("%ld pages charged for 2048 reserved", pages);
	close(fd);
	pages = dgram_mem_pages();
	for (int t = 0; t < 300 && pages > rsv; t++) {
		ttp_sleep_ms(10);
		pages = dgram_mem_pages();
	}
	ASSERT_GE(rsv, pages) TH_LOG("%ld pages still charged after close", pages);
}

TEST_HARNESS_MAIN
