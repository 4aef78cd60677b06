// SPDX-License-Identifier: GPL-2.0
/*
 * A syscall fuzzer for both socket types: worker threads share a table of
 * TTP sockets (stream and datagram) and call on them in random order and
 * with random arguments: socket, bind, listen, connect (blocking or not,
 * AF_UNSPEC to disconnect), accept, send and receive with random flags and
 * sizes, shutdown, setsockopt and getsockopt with random values and
 * lengths, ioctl, poll, close (lingering or not). One more thread sends
 * signals at the workers, so that blocking calls are interrupted. A socket
 * may be closed by one thread while another is inside a call on it.
 *
 * Seeded: each worker's sequence of calls follows from FUZZ_SEED (logged);
 * FUZZ_CALLS sets the number of calls in all (make check's short dose by
 * default, make stress gives the big one).
 *
 * A run passes when, besides the kernel reporting nothing (the VM's dmesg
 * check):
 *  - every call that failed did so with an errno a socket call may give
 *    (no kernel-internal ERESTARTSYS or ENOIOCTLCMD, no EIO);
 *  - once every socket is closed, none is left in /proc/net/ttp;
 *  - a fresh stream then carries random bytes exactly, and a datagram too.
 */
#include <pthread.h>
#include <signal.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include "ttp_test.h"
#include "../../kselftest_harness.h"

#define NSLOT		32
#define NWORKER		4
#define PORT0		7000	/* the ports in play: 7000..7003 */
#define DEF_CALLS	40000
#define BUFSZ		70000

static int slot[NSLOT];
static volatile int stop;

struct worker {
	pthread_t t;
	uint64_t rng;
	long calls, bad;
	char *buf;
};

static uint32_t rnd(struct worker *w)
{
	return ttp_xorshift(&w->rng);
}

/* Is @e an errno some socket call may return? */
static bool errno_ok(int e)
{
	static const int ok[] = {
		EAGAIN, EINTR, EINVAL, EBADF, ENOTSOCK, ENOTCONN, EISCONN,
		EALREADY, EINPROGRESS, ECONNREFUSED, ECONNRESET, ECONNABORTED,
		EPIPE, EADDRINUSE, EADDRNOTAVAIL, EAFNOSUPPORT, EOPNOTSUPP,
		ENOPROTOOPT, EFAULT, EDESTADDRREQ, EMSGSIZE, ETIMEDOUT,
		ENOBUFS, ENOMEM, EPERM, EACCES, EHOSTUNREACH, ENETUNREACH,
		ENODEV, ENOTTY, EMFILE, ENFILE, EPROTONOSUPPORT, ESOCKTNOSUPPORT,
		EDOM, ERANGE, ENOENT,
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (e == ok[i])
			return true;
	return false;
}

/* Per call: how often made, how often it succeeded (logged at the end). */
static const char *const names[] = {
	"socket", "close", "bind", "listen", "connect", "accept", "send",
	"sendto", "sendmsg", "recv", "recvfrom", "recvmsg", "setsockopt",
	"getsockopt", "ioctl", "poll", "getsockname", "getpeername",
	"shutdown",
};

#define NNAMES	(sizeof(names) / sizeof(names[0]))

static long made[NNAMES], okay[NNAMES];

static void tally(const char *call, long ret)
{
	size_t i;

	for (i = 0; i < NNAMES; i++)
		if (!strcmp(names[i], call))
			break;
	if (i == NNAMES)
		return;
	__atomic_add_fetch(&made[i], 1, __ATOMIC_RELAXED);
	if (ret >= 0)
		__atomic_add_fetch(&okay[i], 1, __ATOMIC_RELAXED);
}

static void check(struct worker *w, const char *call, long ret)
{
	w->calls++;
	tally(call, ret);
	if (ret >= 0 || errno_ok(errno))
		return;
	if (w->bad++ < 10)
		fprintf(stderr, "# %s: unexpected errno %d (%s)\n", call, errno,
			strerror(errno));
}

static int pick(struct worker *w)
{
	return __atomic_load_n(&slot[rnd(w) % NSLOT], __ATOMIC_RELAXED);
}

/* Put @fd in a free slot, or close it. */
static void keep(struct worker *w, int fd)
{
	int i = rnd(w) % NSLOT, j, none;

	for (j = 0; j < NSLOT; j++) {
		none = -1;
		if (__atomic_compare_exchange_n(&slot[(i + j) % NSLOT], &none,
						fd, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return;
	}
	close(fd);
}

/* An address: the ports in play on loopback or any, or a bad one. */
static socklen_t addr(struct worker *w, struct sockaddr_ttp *a)
{
	uint32_t r = rnd(w) % 16;

	*a = ttp_addr(r < 8 ? LO : r < 11 ? INADDR_ANY : IP4(127, 0, 0, 2),
		      r == 11 ? 0 : PORT0 + rnd(w) % 4);
	if (r == 12)
		a->sttp_family = AF_INET;
	if (r == 13)
		return rnd(w) % sizeof(*a);
	if (r == 14)
		a->sttp_family = AF_UNSPEC;
	return sizeof(*a);
}

static int rnd_int(struct worker *w)
{
	static const int v[] = { 0, 1, -1, 2, 7, 64, 1000, 1 << 20,
				 0x7fffffff, -0x7fffffff - 1 };

	return rnd(w) % 4 ? v[rnd(w) % 10] : (int)rnd(w);
}

/* A socket option: SOL_SOCKET's, IP's or TTP's. */
static void opt(struct worker *w, int *level, int *name)
{
	static const int sol[] = {
		SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE, SO_LINGER, SO_RCVBUF,
		SO_SNDBUF, SO_RCVLOWAT, SO_RCVTIMEO_OLD, SO_SNDTIMEO_OLD,
		SO_BROADCAST, SO_PRIORITY, SO_MARK, SO_BINDTODEVICE,
		SO_OOBINLINE, SO_TIMESTAMP_OLD, SO_ERROR, SO_TYPE,
		SO_PROTOCOL, SO_DOMAIN, SO_ACCEPTCONN, SO_SNDLOWAT,
		SO_RCVBUFFORCE, SO_SNDBUFFORCE, SO_PEEK_OFF, SO_BUSY_POLL,
		SO_INCOMING_CPU, SO_TXTIME, SO_ZEROCOPY,
	};
	static const int ip[] = {
		IP_TOS, IP_TTL, IP_OPTIONS, IP_MTU_DISCOVER, IP_RECVERR,
		IP_PKTINFO, IP_MTU, IP_FREEBIND, IP_BIND_ADDRESS_NO_PORT,
		IP_RECVTOS, IP_RECVTTL, IP_HDRINCL, IP_MULTICAST_TTL,
		IP_TRANSPARENT,
	};

	switch (rnd(w) % 3) {
	case 0:
		*level = SOL_SOCKET;
		*name = sol[rnd(w) % (sizeof(sol) / sizeof(sol[0]))];
		break;
	case 1:
		*level = SOL_IP;
		*name = ip[rnd(w) % (sizeof(ip) / sizeof(ip[0]))];
		break;
	default:
		*level = SOL_TTP;
		*name = rnd(w) % 10;
	}
}

static int rnd_flags(struct worker *w, bool tx)
{
	static const int f[] = { MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL,
				 MSG_TRUNC, MSG_OOB, MSG_ERRQUEUE, MSG_MORE,
				 MSG_CONFIRM, MSG_EOR, MSG_DONTROUTE };
	int flags = tx ? MSG_NOSIGNAL : 0, n = rnd(w) % 3;

	while (n--)
		flags |= f[rnd(w) % (sizeof(f) / sizeof(f[0]))];
	return flags;
}

static size_t rnd_len(struct worker *w)
{
	switch (rnd(w) % 4) {
	case 0:
		return 0;
	case 1:
		return rnd(w) % 16;
	case 2:
		return rnd(w) % 2000;
	}
	return rnd(w) % BUFSZ;
}

static void call_socket(struct worker *w)
{
	int type = rnd(w) % 2 ? SOCK_STREAM : SOCK_DGRAM;
	struct timeval tv = { 0, 50000 };
	int fd, one = 1;

	fd = socket(ttp_family(), type | (rnd(w) % 2 ? SOCK_NONBLOCK : 0), 0);
	check(w, "socket", fd);
	if (fd < 0)
		return;
	/* a blocking call on it ends within 50 ms, unless an option says no */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO_OLD, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO_OLD, &tv, sizeof(tv));
	if (rnd(w) % 2)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	keep(w, fd);
}

static void call_close(struct worker *w)
{
	int i = rnd(w) % NSLOT;
	int fd = __atomic_exchange_n(&slot[i], -1, __ATOMIC_ACQ_REL);
	struct linger lg = { 1, rnd(w) % 2 };

	if (fd < 0)
		return;
	if (rnd(w) % 4 == 0)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	check(w, "close", close(fd));
}

static void call_sockopt(struct worker *w, int fd)
{
	int level, name, v = rnd_int(w);
	char o[64];
	socklen_t len;

	opt(w, &level, &name);
	if (rnd(w) % 2) {
		len = rnd(w) % 3 ? sizeof(int) : rnd(w) % sizeof(o);
		memset(o, 0, sizeof(o));
		if (rnd(w) % 3)
			memcpy(o, &v, sizeof(v));
		else
			for (size_t i = 0; i < sizeof(o); i++)
				o[i] = rnd(w);
		if (name == SO_BINDTODEVICE)
			strcpy(o, rnd(w) % 2 ? "lo" : "");
		check(w, "setsockopt", setsockopt(fd, level, name, o, len));
	} else {
		len = rnd(w) % 3 ? sizeof(o) : rnd(w) % 8;
		check(w, "getsockopt", getsockopt(fd, level, name, o, &len));
	}
}

static void call_send(struct worker *w, int fd)
{
	struct sockaddr_ttp a;
	socklen_t al = addr(w, &a);
	size_t len = rnd_len(w);
	struct iovec iov[2] = { { w->buf, len / 2 },
				{ w->buf + len / 2, len - len / 2 } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };

	switch (rnd(w) % 3) {
	case 0:
		check(w, "send", send(fd, w->buf, len, rnd_flags(w, true)));
		break;
	case 1:
		check(w, "sendto", sendto(fd, w->buf, len, rnd_flags(w, true),
					  SA(&a), al));
		break;
	default:
		if (rnd(w) % 2) {
			m.msg_name = &a;
			m.msg_namelen = al;
		}
		check(w, "sendmsg", sendmsg(fd, &m, rnd_flags(w, true)));
	}
}

static void call_recv(struct worker *w, int fd)
{
	struct sockaddr_ttp a;
	size_t len = rnd_len(w);
	char cbuf[128];
	struct iovec iov = { w->buf, len };
	struct msghdr m = { .msg_name = &a, .msg_namelen = sizeof(a),
			    .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = rnd(w) % sizeof(cbuf) };
	socklen_t al = rnd(w) % (sizeof(a) + 1);

	switch (rnd(w) % 3) {
	case 0:
		check(w, "recv", recv(fd, w->buf, len, rnd_flags(w, false)));
		break;
	case 1:
		check(w, "recvfrom", recvfrom(fd, w->buf, len,
					      rnd_flags(w, false), SA(&a), &al));
		break;
	default:
		check(w, "recvmsg", recvmsg(fd, &m, rnd_flags(w, false)));
	}
}

static void call_misc(struct worker *w, int fd)
{
	static const unsigned long io[] = { FIONREAD, SIOCOUTQ, SIOCINQ,
					    SIOCOUTQNSD, SIOCATMARK, FIONBIO };
	struct sockaddr_ttp a;
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLPRI };
	socklen_t al = rnd(w) % (sizeof(a) + 1);
	int v = rnd(w) % 2, r;

	switch (rnd(w) % 5) {
	case 0:
		r = ioctl(fd, io[rnd(w) % (sizeof(io) / sizeof(io[0]))], &v);
		check(w, "ioctl", r);
		break;
	case 1:
		check(w, "poll", poll(&p, 1, rnd(w) % 10));
		break;
	case 2:
		check(w, "getsockname", getsockname(fd, SA(&a), &al));
		break;
	case 3:
		check(w, "getpeername", getpeername(fd, SA(&a), &al));
		break;
	default:
		check(w, "shutdown", shutdown(fd, rnd(w) % 4));
	}
}

static void one_call(struct worker *w)
{
	struct sockaddr_ttp a;
	socklen_t al;
	int fd, r;

	switch (rnd(w) % 24) {
	case 0:
		call_socket(w);
		return;
	case 1:
		call_close(w);
		return;
	}
	fd = pick(w);
	if (fd < 0)
		return;
	switch (rnd(w) % 12) {
	case 0:
		al = addr(w, &a);
		check(w, "bind", bind(fd, SA(&a), al));
		break;
	case 1:
		check(w, "listen", listen(fd, rnd(w) % 6 - 1));
		break;
	case 2:
		al = addr(w, &a);
		if (rnd(w) % 8 == 0)
			a.sttp_family = AF_UNSPEC;	/* disconnect */
		check(w, "connect", connect(fd, SA(&a), al));
		break;
	case 3:
		al = sizeof(a);
		r = accept4(fd, rnd(w) % 2 ? SA(&a) : NULL, &al,
			    rnd(w) % 2 ? SOCK_NONBLOCK : 0);
		check(w, "accept", r);
		if (r >= 0)
			keep(w, r);
		break;
	case 4:
	case 5:
		call_send(w, fd);
		break;
	case 6:
	case 7:
		call_recv(w, fd);
		break;
	case 8:
	case 9:
		call_sockopt(w, fd);
		break;
	default:
		call_misc(w, fd);
	}
}

static long calls_each;

static void *work(void *arg)
{
	struct worker *w = arg;
	long i;

	for (i = 0; i < calls_each; i++)
		one_call(w);
	return NULL;
}

static void on_signal(int sig)
{
}

static void *signaller(void *arg)
{
	struct worker *ws = arg;

	while (!stop) {
		pthread_kill(ws[rand() % NWORKER].t, SIGUSR1);
		usleep(500);
	}
	return NULL;
}

/* After the fuzzing: a stream carries 100 KB exactly, a datagram too. */
static void still_works(struct __test_metadata *_metadata)
{
	static uint8_t want[100000], got[100000];
	int l, c, s, d1, d2, i;

	for (i = 0; i < (int)sizeof(want); i++)
		want[i] = rand();
	l = socket(ttp_family(), SOCK_STREAM, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, ttp_bind(l, LO, PORT0 + 10));
	ASSERT_EQ(0, listen(l, 1));
	c = socket(ttp_family(), SOCK_STREAM, 0);
	ASSERT_EQ(0, ttp_connect(c, LO, PORT0 + 10));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ((ssize_t)sizeof(want), send(c, want, sizeof(want), 0));
	ASSERT_EQ((ssize_t)sizeof(got), recv(s, got, sizeof(got), MSG_WAITALL));
	ASSERT_EQ(0, memcmp(want, got, sizeof(want)));
	close(c);
	close(s);
	close(l);

	d1 = socket(ttp_family(), SOCK_DGRAM, 0);
	d2 = socket(ttp_family(), SOCK_DGRAM, 0);
	ASSERT_EQ(0, ttp_bind(d2, LO, PORT0 + 10));
	ASSERT_EQ(1000, ttp_sendto(d1, want, 1000, 0, LO, PORT0 + 10));
	ASSERT_EQ(1000, recv(d2, got, sizeof(got), 0));
	ASSERT_EQ(0, memcmp(want, got, 1000));
	close(d1);
	close(d2);
}

FIXTURE(fuzz)
{
	struct worker w[NWORKER];
};

FIXTURE_SETUP(fuzz)
{
	int err, i;

	if (getenv("TTP_TEST_AS_UDP"))
		SKIP(return, "reference mode: TTP's sockets only");
	err = ttp_netns_new();
	ASSERT_EQ(0, err) TH_LOG("netns: %s", strerror(-err));
	/*
	 * A connection can be left with its peer gone for good (SO_RCVBUF
	 * shrunk below a segment already in the window: the peer resends it
	 * until its orphan retries run out): its end lasts as long as its
	 * timers say. Short ones here, so that the check for sockets left
	 * waits for timers, not minutes.
	 */
	ASSERT_EQ(0, ttp_sysctl("fin_timeout", 5));
	ASSERT_EQ(0, ttp_sysctl("orphan_retries", 1));
	for (i = 0; i < NSLOT; i++)
		slot[i] = -1;
}

FIXTURE_TEARDOWN(fuzz)
{
}

TEST_F_TIMEOUT(fuzz, calls, 7200)
{
	uint64_t seed = ttp_fuzz_seed();
	struct sigaction sa = { .sa_handler = on_signal };
	long long t0 = ttp_now_ms(), end;
	long calls = 0, bad = 0;
	pthread_t sig;
	int i;

	TH_LOG("seed %llu (FUZZ_SEED=%llu replays it)",
	       (unsigned long long)seed, (unsigned long long)seed);
	calls_each = ttp_env_long("FUZZ_CALLS", DEF_CALLS) / NWORKER;
	srand(seed);
	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));	/* no SA_RESTART */
	for (i = 0; i < NWORKER; i++) {
		self->w[i].rng = seed * (i + 1) + i;
		self->w[i].buf = calloc(1, BUFSZ);
		ASSERT_NE(NULL, self->w[i].buf);
		ASSERT_EQ(0, pthread_create(&self->w[i].t, NULL, work,
					    &self->w[i]));
	}
	ASSERT_EQ(0, pthread_create(&sig, NULL, signaller, self->w));
	for (i = 0; i < NWORKER; i++) {
		pthread_join(self->w[i].t, NULL);
		calls += self->w[i].calls;
		bad += self->w[i].bad;
		free(self->w[i].buf);
	}
	stop = 1;
	pthread_join(sig, NULL);
	TH_LOG("%ld calls by %d threads, %lld ms", calls, NWORKER,
	       ttp_now_ms() - t0);
	for (i = 0; i < (int)NNAMES; i++)
		TH_LOG("%-12s %6ld made, %6ld succeeded", names[i], made[i],
		       okay[i]);
	EXPECT_EQ(0, bad) TH_LOG("calls failed with an errno no socket call gives");

	for (i = 0; i < NSLOT; i++)
		if (slot[i] >= 0)
			close(slot[i]);
	/* FIN exchanges, then TIME_WAIT (1 s) */
	end = ttp_now_ms() + 30000;
	while (ttp_table_rows(false) > 0 && ttp_now_ms() < end)
		ttp_sleep_ms(100);
	EXPECT_EQ(0, ttp_table_rows(true));
	still_works(_metadata);
}

TEST_HARNESS_MAIN
