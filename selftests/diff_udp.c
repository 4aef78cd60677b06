// SPDX-License-Identifier: GPL-2.0
/*
 * Differential test: every step runs on a udp socket set and on a TTP
 * socket set, and the results must agree (return value, errno, bytes,
 * msg_flags, poll mask, addresses). udp is the reference: its results are
 * also checked against the expected values written here, so the sequences
 * themselves are known to be right. Family and protocol numbers are mapped
 * (AF_INET <-> AF_TTP, IPPROTO_UDP <-> IPPROTO_TTP); ephemeral ports are
 * compared as "some port of the ephemeral range".
 *
 * A TTP socket that cannot be made fails every test. TTP_DIFF_UDP_ONLY=1
 * (or TTP_TEST_AS_UDP=1, the UDP reference mode of the whole suite) runs
 * the udp half alone, with or without the module, to check the expected
 * values written here against Linux udp on any machine.
 */
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/uio.h>

#include "ttp_test.h"
#include "../../kselftest_harness.h"

#define UDP	0
#define TTP	1
#define A	0
#define B	1
#define C	2
#define PA	5000
#define PB	5001
#define PC	5002
#define PDEAD	6000
#define EPH	1		/* normalised ephemeral port */

enum { FAM_OWN, FAM_INET6, FAM_UNSPEC };

FIXTURE(diff)
{
	int n;			/* 1: udp only, 2: udp and ttp */
	int fd[2][3];
};

FIXTURE_VARIANT(diff)
{
	bool peek;		/* precede each receive with a MSG_PEEK one */
};

FIXTURE_VARIANT_ADD(diff, no_peek) { .peek = false };
FIXTURE_VARIANT_ADD(diff, peek) { .peek = true };

static int fam(int stack)
{
	return stack == UDP ? AF_INET : ttp_family();
}

static int proto(int stack)
{
	return stack == UDP ? IPPROTO_UDP : ttp_stack()->ipproto;
}

static bool udp_only(void)
{
	const char *env = getenv("TTP_DIFF_UDP_ONLY");

	return (env && *env == '1') || ttp_stack()->udp;
}

FIXTURE_SETUP(diff)
{
	int i, s, err;

	memset(self->fd, -1, sizeof(self->fd));
	self->n = udp_only() ? 1 : 2;
	err = ttp_netns_new();
	if (err == -EINVAL)
		SKIP(return, "no network namespaces in this kernel");
	ASSERT_EQ(0, err) TH_LOG("cannot create a network namespace: %s",
				 strerror(-err));
	if (self->n == 2) {
		err = ttp_probe();
		ASSERT_EQ(0, err) TH_LOG("socket(%d, SOCK_DGRAM, 0): %s",
					 ttp_family(), strerror(err));
	}
	for (s = 0; s < self->n; s++)
		for (i = 0; i < 3; i++) {
			self->fd[s][i] = socket(fam(s), SOCK_DGRAM, 0);
			ASSERT_LE(0, self->fd[s][i]);
		}
}

FIXTURE_TEARDOWN(diff)
{
	int i, s;

	for (s = 0; s < 2; s++)
		for (i = 0; i < 3; i++)
			close(self->fd[s][i]);
}

/* ---- one result --------------------------------------------------- */

struct res {
	long ret;
	int err;
	int flags;		/* msg_flags, poll revents or option value */
	socklen_t alen;
	struct sockaddr_ttp addr;
	unsigned char data[64];
};

/* Make a udp and a ttp result comparable: family and ephemeral ports. */
static void norm(int stack, struct res *r)
{
	int port = ntohs(r->addr.sttp_port);
	int lo = 32768, hi = 60999;

	if (r->addr.sttp_family == fam(stack))
		r->addr.sttp_family = AF_INET;
	if (port >= lo && port <= hi && port != PDEAD)
		r->addr.sttp_port = htons(EPH);
	if (r->ret < 0)
		r->err = errno;
}

static struct sockaddr_ttp mkaddr(int stack, uint32_t ip, int port, int f)
{
	struct sockaddr_ttp a;

	memset(&a, 0, sizeof(a));
	a.sttp_family = f == FAM_OWN ? fam(stack) :
			f == FAM_INET6 ? AF_INET6 : AF_UNSPEC;
	a.sttp_port = htons(port);
	a.sttp_addr.s_addr = htonl(ip);
	return a;
}

/* ---- operations: each returns a normalised result ------------------- */

#define FD(s, i)	(self->fd[s][i])
#define FULL		sizeof(struct sockaddr_ttp)

static struct res op_bind(FIXTURE_DATA(diff) *self, int s, int i,
			  uint32_t ip, int port, int len, int f)
{
	struct sockaddr_ttp a = mkaddr(s, ip, port, f);
	struct res r = {};

	errno = 0;
	r.ret = bind(FD(s, i), SA(&a), len);
	norm(s, &r);
	return r;
}

static struct res op_connect(FIXTURE_DATA(diff) *self, int s, int i,
			     uint32_t ip, int port, int len, int f)
{
	struct sockaddr_ttp a = mkaddr(s, ip, port, f);
	struct res r = {};

	errno = 0;
	r.ret = connect(FD(s, i), SA(&a), len);
	norm(s, &r);
	return r;
}

static struct res op_name(FIXTURE_DATA(diff) *self, int s, int i, bool peer)
{
	struct res r = {};

	errno = 0;
	r.alen = sizeof(r.addr);
	if (peer)
		r.ret = getpeername(FD(s, i), SA(&r.addr), &r.alen);
	else
		r.ret = getsockname(FD(s, i), SA(&r.addr), &r.alen);
	norm(s, &r);
	return r;
}

/* port < 0: no address (send/sendmsg without a name) */
static struct res op_send(FIXTURE_DATA(diff) *self, int s, int i,
			  const char *data, int flags, int port, int len,
			  int f)
{
	struct sockaddr_ttp a = mkaddr(s, LO, port, f);
	struct iovec iov = { (void *)data, strlen(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct res r = {};

	if (port >= 0) {
		msg.msg_name = &a;
		msg.msg_namelen = len;
	}
	errno = 0;
	r.ret = sendmsg(FD(s, i), &msg, flags | MSG_NOSIGNAL);
	norm(s, &r);
	return r;
}

static struct res op_recv(FIXTURE_DATA(diff) *self, int s, int i,
			  int buflen, int flags, int namelen)
{
	struct res r = {};
	struct iovec iov = { r.data, buflen };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	memset(&r.addr, 0, sizeof(r.addr));
	if (namelen) {
		msg.msg_name = &r.addr;
		msg.msg_namelen = namelen;
	}
	errno = 0;
	r.ret = recvmsg(FD(s, i), &msg, flags | MSG_DONTWAIT);
	r.flags = msg.msg_flags;
	r.alen = msg.msg_namelen;
	norm(s, &r);
	return r;
}

/* A blocking receive (a 3 s SO_RCVTIMEO guards against hanging) */
static struct res op_recv_block(FIXTURE_DATA(diff) *self, int s, int i)
{
	struct timeval tv = { 3, 0 };
	struct res r = {};
	long long t0;

	setsockopt(FD(s, i), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	t0 = ttp_now_ms();
	errno = 0;
	r.ret = recv(FD(s, i), r.data, sizeof(r.data), 0);
	norm(s, &r);
	r.flags = ttp_now_ms() - t0 > 1500;	/* 1: it waited */
	return r;
}

static struct res op_poll(FIXTURE_DATA(diff) *self, int s, int i)
{
	struct pollfd pfd = { .fd = FD(s, i),
			      .events = POLLIN | POLLOUT | POLLPRI | POLLRDHUP };
	struct res r = {};

	r.ret = poll(&pfd, 1, 0);
	r.flags = pfd.revents;
	return r;
}

static struct res op_shutdown(FIXTURE_DATA(diff) *self, int s, int i,
			      int how)
{
	struct res r = {};

	errno = 0;
	r.ret = shutdown(FD(s, i), how);
	norm(s, &r);
	return r;
}

static struct res op_ioctl(FIXTURE_DATA(diff) *self, int s, int i, int req)
{
	struct res r = {};
	int v = -1;

	errno = 0;
	r.ret = ioctl(FD(s, i), req, &v);
	r.flags = v;
	norm(s, &r);
	return r;
}

/* level < 0: the protocol's own level (SOL_UDP / SOL_TTP) */
static struct res op_getsockopt(FIXTURE_DATA(diff) *self, int s, int i,
				int level, int opt)
{
	struct res r = {};
	socklen_t len = sizeof(int);
	int v = -1;

	errno = 0;
	r.ret = getsockopt(FD(s, i), level < 0 ? proto(s) : level, opt, &v,
			   &len);
	if (opt == SO_DOMAIN && v == fam(s))
		v = AF_INET;
	if (opt == SO_PROTOCOL && v == proto(s))
		v = IPPROTO_UDP;
	r.flags = v;
	norm(s, &r);
	return r;
}

static struct res op_setsockopt(FIXTURE_DATA(diff) *self, int s, int i,
				int level, int opt, int v)
{
	struct res r = {};

	errno = 0;
	r.ret = setsockopt(FD(s, i), level < 0 ? proto(s) : level, opt, &v,
			   sizeof(v));
	norm(s, &r);
	return r;
}

static struct res op_misc(FIXTURE_DATA(diff) *self, int s, int i, int what)
{
	struct res r = {};

	errno = 0;
	switch (what) {
	case 0:
		r.ret = listen(FD(s, i), 1);
		break;
	case 1:
		r.ret = accept(FD(s, i), NULL, NULL);
		break;
	case 2:
		r.ret = read(FD(s, i), r.data, 0);
		break;
	case 3:
		r.ret = write(FD(s, i), "w", 1);
		break;
	case 4:
		r.ret = accept4(FD(s, i), NULL, NULL, SOCK_NONBLOCK);
		break;
	}
	norm(s, &r);
	return r;
}

#define LISTEN	0
#define ACCEPT	1
#define READ0	2
#define WRITE1	3
#define ACCEPT4	4

/* ---- comparing -------------------------------------------------------- */

static void compare(struct __test_metadata *_metadata, const char *what,
		    const struct res *u, const struct res *t)
{
	EXPECT_EQ(u->ret, t->ret) TH_LOG("%s: return value", what);
	EXPECT_EQ(u->err, t->err) TH_LOG("%s: errno udp %s, ttp %s", what,
					 strerror(u->err), strerror(t->err));
	EXPECT_EQ(u->flags, t->flags) TH_LOG("%s: flags/mask/value", what);
	EXPECT_EQ(u->alen, t->alen) TH_LOG("%s: address length", what);
	EXPECT_EQ(0, memcmp(&u->addr, &t->addr, sizeof(u->addr)))
		TH_LOG("%s: address udp %d:%08x:%d, ttp %d:%08x:%d", what,
		       u->addr.sttp_family, ntohl(u->addr.sttp_addr.s_addr),
		       ntohs(u->addr.sttp_port), t->addr.sttp_family,
		       ntohl(t->addr.sttp_addr.s_addr),
		       ntohs(t->addr.sttp_port));
	EXPECT_EQ(0, memcmp(u->data, t->data, sizeof(u->data)))
		TH_LOG("%s: data udp '%.16s', ttp '%.16s'", what, u->data,
		       t->data);
}

static void expect(struct __test_metadata *_metadata, const char *what,
		   const struct res *u, long ret, int err)
{
	ASSERT_EQ(ret, u->ret) TH_LOG("udp %s: %s", what, strerror(u->err));
	if (ret < 0)
		ASSERT_EQ(err, u->err) TH_LOG("udp %s: %s", what,
					      strerror(u->err));
}

/*
 * Run call (which uses s as the stack index) on each stack; udp must give
 * ret/err, ttp must give what udp gave. Leaves the results in _r.
 */
#define DO(call, ret, err) \
	struct res _r[2] = {}; \
	do { \
		int s; \
		for (s = 0; s < self->n; s++) \
			_r[s] = call; \
		expect(_metadata, #call, &_r[UDP], ret, err); \
		if (self->n > 1) \
			compare(_metadata, #call, &_r[UDP], &_r[TTP]); \
	} while (0)

#define STEP(call, ret, err)	do { DO(call, ret, err); } while (0)

/* Also check udp's address against family/ip/port. */
#define STEP_ADDR(call, ret, err, ip, port) do { \
	DO(call, ret, err); \
	ASSERT_EQ(AF_INET, _r[UDP].addr.sttp_family); \
	ASSERT_EQ(htonl(ip), _r[UDP].addr.sttp_addr.s_addr); \
	ASSERT_EQ(port, ntohs(_r[UDP].addr.sttp_port)); \
} while (0)

#define STEP_FLAGS(call, ret, err, fl) do { \
	DO(call, ret, err); \
	ASSERT_EQ(fl, _r[UDP].flags); \
} while (0)

/* A receive, preceded by the same receive with MSG_PEEK in the peek variant */
#define RECV(i, buflen, fl, ret, err, data, mflags) do { \
	if (variant->peek) \
		recv_step(_metadata, self, i, buflen, (fl) | MSG_PEEK, ret, \
			  err, data, mflags); \
	recv_step(_metadata, self, i, buflen, fl, ret, err, data, mflags); \
} while (0)

static void recv_step(struct __test_metadata *_metadata,
		      FIXTURE_DATA(diff) *self, int i, int buflen, int fl,
		      long ret, int err, const char *data, int mflags)
{
	DO(op_recv(self, s, i, buflen, fl, sizeof(struct sockaddr_ttp)), ret,
	   err);
	if (ret < 0)
		return;
	ASSERT_EQ(mflags, _r[UDP].flags);
	ASSERT_EQ(0, memcmp(data, _r[UDP].data, strlen(data)));
}

/* Bind a:PA and b:PB on both stacks. */
static void bind_ab(struct __test_metadata *_metadata,
		    FIXTURE_DATA(diff) *self)
{
	STEP(op_bind(self, s, A, LO, PA, FULL, FAM_OWN), 0, 0);
	STEP(op_bind(self, s, B, LO, PB, FULL, FAM_OWN), 0, 0);
}

/* ======================================================================
 * bind
 */
TEST_F(diff, bind_twice)
{
	STEP(op_bind(self, s, A, LO, PA, FULL, FAM_OWN), 0, 0);
	STEP(op_bind(self, s, A, LO, PA, FULL, FAM_OWN), -1, EINVAL);
	STEP(op_bind(self, s, A, LO, PB, FULL, FAM_OWN), -1, EINVAL);
	STEP(op_bind(self, s, A, 0, 0, FULL, FAM_OWN), -1, EINVAL);
	STEP_ADDR(op_name(self, s, A, false), 0, 0, LO, PA);
}

/* Bound to a broadcast address, a socket sends from the device's address. */
TEST_F(diff, bind_broadcast_sends_from_device)
{
	STEP(op_bind(self, s, A, 0xffffffff, PA, FULL, FAM_OWN), 0, 0);
	STEP_ADDR(op_name(self, s, A, false), 0, 0, 0xffffffff, PA);
	STEP(op_bind(self, s, B, LO, PB, FULL, FAM_OWN), 0, 0);
	STEP(op_send(self, s, A, "x", 0, PB, FULL, FAM_OWN), 1, 0);
	STEP_ADDR(op_recv(self, s, B, 64, 0, FULL), 1, 0, LO, PA);
}

TEST_F(diff, bind_conflicts)
{
	STEP(op_bind(self, s, A, LO, PA, FULL, FAM_OWN), 0, 0);
	STEP(op_bind(self, s, B, LO, PA, FULL, FAM_OWN), -1, EADDRINUSE);
	STEP(op_bind(self, s, B, 0, PA, FULL, FAM_OWN), -1, EADDRINUSE);
	STEP(op_bind(self, s, B, IP4(127, 0, 0, 2), PA, FULL, FAM_OWN), 0, 0);
	STEP(op_bind(self, s, C, 0, PB, FULL, FAM_OWN), 0, 0);
	STEP_ADDR(op_name(self, s, B, false), 0, 0, IP4(127, 0, 0, 2), PA);
	STEP_ADDR(op_name(self, s, C, false), 0, 0, 0, PB);
	/* b and c are both bound now */
	STEP(op_bind(self, s, B, LO, PC, FULL, FAM_OWN), -1, EINVAL);
}

TEST_F(diff, bind_bad_address)
{
	STEP(op_bind(self, s, A, LO, PA, FULL - 1, FAM_OWN), -1, EINVAL);
	STEP(op_bind(self, s, A, LO, PA, 2, FAM_OWN), -1, EINVAL);
	STEP(op_bind(self, s, A, LO, PA, 0, FAM_OWN), -1, EINVAL);
	STEP(op_bind(self, s, A, LO, PA, FULL, FAM_INET6), -1, EAFNOSUPPORT);
	STEP(op_bind(self, s, A, IP4(10, 1, 2, 3), PA, FULL, FAM_OWN),
	     -1, EADDRNOTAVAIL);
	STEP_ADDR(op_name(self, s, A, false), 0, 0, 0, 0);
	/* a longer address is fine */
	STEP(op_bind(self, s, A, LO, PA, FULL + 8, FAM_OWN), 0, 0);
}

TEST_F(diff, ephemeral_exhaustion)
{
	const char *paths[2] = { "/proc/sys/net/ipv4/ip_local_port_range",
				 "/proc/sys/net/ttp/local_port_range" };
	int s;

	for (s = 0; s < self->n; s++) {
		int fd = open(paths[s], O_WRONLY);

		ASSERT_LE(0, fd);
		ASSERT_EQ(11, write(fd, "40000 40001", 11));
		close(fd);
	}
	STEP(op_bind(self, s, A, LO, 0, FULL, FAM_OWN), 0, 0);
	STEP(op_bind(self, s, B, 0, 0, FULL, FAM_OWN), 0, 0);
	STEP(op_bind(self, s, C, LO, 0, FULL, FAM_OWN), -1, EADDRINUSE);
	STEP(op_send(self, s, C, "x", 0, PA, FULL, FAM_OWN), -1, EAGAIN);
	STEP(op_connect(self, s, C, LO, PA, FULL, FAM_OWN), -1, EAGAIN);
	STEP_ADDR(op_name(self, s, C, false), 0, 0, 0, 0);
}

/* ======================================================================
 * connect
 */
TEST_F(diff, connect_disconnect)
{
	bind_ab(_metadata, self);
	STEP(op_bind(self, s, C, LO, PC, FULL, FAM_OWN), 0, 0);
	STEP(op_connect(self, s, A, LO, PB, FULL, FAM_OWN), 0, 0);
	STEP_ADDR(op_name(self, s, A, true), 0, 0, LO, PB);
	/* only the peer gets through */
	STEP(op_send(self, s, C, "from-c", 0, PA, FULL, FAM_OWN), 6, 0);
	STEP(op_send(self, s, B, "from-b", 0, PA, FULL, FAM_OWN), 6, 0);
	RECV(A, 64, 0, 6, 0, "from-b", 0);
	STEP(op_recv(self, s, A, 64, 0, FULL), -1, EAGAIN);
	STEP(op_send(self, s, A, "to-b", 0, -1, 0, 0), 4, 0);
	RECV(B, 64, 0, 4, 0, "to-b", 0);
	STEP(op_recv(self, s, B, 64, 0, FULL), -1, EAGAIN);
	STEP(op_misc(self, s, A, WRITE1), 1, 0);
	RECV(B, 64, 0, 1, 0, "w", 0);
	/* connect again, to itself */
	STEP(op_connect(self, s, A, LO, PA, FULL, FAM_OWN), 0, 0);
	STEP(op_send(self, s, A, "self", 0, -1, 0, 0), 4, 0);
	RECV(A, 64, 0, 4, 0, "self", 0);
	/* dissolve */
	STEP(op_connect(self, s, A, 0, 0, FULL, FAM_UNSPEC), 0, 0);
	STEP(op_name(self, s, A, true), -1, ENOTCONN);
	STEP(op_send(self, s, A, "x", 0, -1, 0, 0), -1, EDESTADDRREQ);
	STEP_ADDR(op_name(self, s, A, false), 0, 0, LO, PA);
	STEP(op_connect(self, s, A, 0, 0, FULL, FAM_UNSPEC), 0, 0);
	STEP(op_connect(self, s, A, 0, 0, 2, FAM_UNSPEC), 0, 0);
}

TEST_F(diff, connect_autobind_disconnect)
{
	STEP(op_bind(self, s, B, LO, PB, FULL, FAM_OWN), 0, 0);
	STEP(op_connect(self, s, A, LO, PB, FULL, FAM_OWN), 0, 0);
	STEP_ADDR(op_name(self, s, A, false), 0, 0, LO, EPH);
	STEP(op_send(self, s, A, "hi", 0, -1, 0, 0), 2, 0);
	STEP_ADDR(op_recv(self, s, B, 64, 0, FULL), 2, 0, LO, EPH);
	/* udp gives an auto-bound port back on disconnect */
	STEP(op_connect(self, s, A, 0, 0, FULL, FAM_UNSPEC), 0, 0);
	STEP_ADDR(op_name(self, s, A, false), 0, 0, 0, 0);
}

TEST_F(diff, connect_errors)
{
	STEP(op_connect(self, s, A, LO, PB, FULL - 1, FAM_OWN), -1, EINVAL);
	STEP(op_connect(self, s, A, LO, PB, 1, FAM_OWN), -1, EINVAL);
	STEP(op_connect(self, s, A, LO, PB, FULL, FAM_INET6), -1, EAFNOSUPPORT);
	STEP(op_connect(self, s, A, IP4(10, 1, 2, 3), PB, FULL, FAM_OWN),
	     -1, ENETUNREACH);
	STEP(op_name(self, s, A, true), -1, ENOTCONN);
	/* INADDR_ANY means this host */
	STEP(op_connect(self, s, A, 0, PB, FULL, FAM_OWN), 0, 0);
	STEP_ADDR(op_name(self, s, A, true), 0, 0, LO, PB);
}

/* ======================================================================
 * send
 */
TEST_F(diff, send_errors)
{
	STEP(op_bind(self, s, B, LO, PB, FULL, FAM_OWN), 0, 0);
	STEP(op_send(self, s, A, "x", 0, -1, 0, 0), -1, EDESTADDRREQ);
	STEP(op_misc(self, s, A, WRITE1), -1, EDESTADDRREQ);
	STEP(op_send(self, s, A, "x", 0, 0, FULL, FAM_OWN), -1, EINVAL);
	STEP(op_send(self, s, A, "x", 0, PB, FULL - 1, FAM_OWN), -1, EINVAL);
	STEP(op_send(self, s, A, "x", 0, PB, FULL, FAM_INET6), -1,
	     EAFNOSUPPORT);
	STEP(op_send(self, s, A, "x", MSG_OOB, PB, FULL, FAM_OWN), -1,
	     EOPNOTSUPP);
	STEP(op_send(self, s, A, "x", 0, PB, FULL, FAM_OWN), 1, 0);
	STEP_ADDR(op_name(self, s, A, false), 0, 0, 0, EPH);
	STEP_ADDR(op_recv(self, s, B, 64, 0, FULL), 1, 0, LO, EPH);
	STEP(op_send(self, s, A, "", 0, PB, FULL, FAM_OWN), 0, 0);
	RECV(B, 64, 0, 0, 0, "", 0);
}

/* No route to the destination: ENETUNREACH from sendto and connect */
TEST_F(diff, send_no_route)
{
	struct sockaddr_ttp a;
	int s;

	for (s = 0; s < self->n; s++) {
		a = mkaddr(s, IP4(10, 1, 2, 3), PB, FAM_OWN);
		errno = 0;
		ASSERT_EQ(-1, sendto(FD(s, A), "x", 1, 0, SA(&a), sizeof(a)))
			TH_LOG("stack %d", s);
		ASSERT_EQ(ENETUNREACH, errno) TH_LOG("stack %d", s);
	}
	STEP(op_connect(self, s, A, IP4(10, 1, 2, 3), PB, FULL, FAM_OWN),
	     -1, ENETUNREACH);
	STEP(op_name(self, s, A, true), -1, ENOTCONN);
}

/* ======================================================================
 * receive
 */
TEST_F(diff, recv_trunc)
{
	bind_ab(_metadata, self);
	STEP(op_send(self, s, A, "abc", 0, PB, FULL, FAM_OWN), 3, 0);
	STEP(op_send(self, s, A, "defgh", 0, PB, FULL, FAM_OWN), 5, 0);
	STEP(op_send(self, s, A, "", 0, PB, FULL, FAM_OWN), 0, 0);
	STEP(op_send(self, s, A, "ij", 0, PB, FULL, FAM_OWN), 2, 0);
	STEP(op_send(self, s, A, "klm", 0, PB, FULL, FAM_OWN), 3, 0);
	STEP_FLAGS(op_ioctl(self, s, B, FIONREAD), 0, 0, 3);
	RECV(B, 2, 0, 2, 0, "ab", MSG_TRUNC);
	RECV(B, 2, MSG_TRUNC, 5, 0, "de", MSG_TRUNC);
	STEP_FLAGS(op_ioctl(self, s, B, FIONREAD), 0, 0, 0);
	RECV(B, 2, 0, 0, 0, "", 0);
	RECV(B, 2, 0, 2, 0, "ij", 0);
	RECV(B, 0, 0, 0, 0, "", MSG_TRUNC);
	RECV(B, 64, 0, -1, EAGAIN, "", 0);
}

TEST_F(diff, recv_address_length)
{
	bind_ab(_metadata, self);
	STEP(op_send(self, s, A, "1", 0, PB, FULL, FAM_OWN), 1, 0);
	STEP(op_send(self, s, A, "2", 0, PB, FULL, FAM_OWN), 1, 0);
	STEP(op_send(self, s, A, "3", 0, PB, FULL, FAM_OWN), 1, 0);
	{
		DO(op_recv(self, s, B, 64, 0, 4), 1, 0);
		ASSERT_EQ(FULL, _r[UDP].alen);
		ASSERT_EQ(AF_INET, _r[UDP].addr.sttp_family);
		ASSERT_EQ(0, _r[UDP].addr.sttp_addr.s_addr);
	}
	{
		DO(op_recv(self, s, B, 64, 0, 128), 1, 0);
		ASSERT_EQ(FULL, _r[UDP].alen);
		ASSERT_EQ(htonl(LO), _r[UDP].addr.sttp_addr.s_addr);
	}
	{
		DO(op_recv(self, s, B, 64, 0, 0), 1, 0);
		ASSERT_EQ(0, _r[UDP].alen);
	}
}

/* read(fd, buf, 0) returns 0 and leaves the queue alone */
TEST_F(diff, read_zero)
{
	bind_ab(_metadata, self);
	STEP(op_misc(self, s, B, READ0), 0, 0);
	STEP(op_send(self, s, A, "keep", 0, PB, FULL, FAM_OWN), 4, 0);
	STEP(op_misc(self, s, B, READ0), 0, 0);
	RECV(B, 64, 0, 4, 0, "keep", 0);
}

TEST_F(diff, errqueue_empty)
{
	bind_ab(_metadata, self);
	STEP(op_send(self, s, A, "data", 0, PB, FULL, FAM_OWN), 4, 0);
	STEP(op_recv(self, s, B, 64, MSG_ERRQUEUE, FULL), -1, EAGAIN);
	RECV(B, 64, 0, 4, 0, "data", 0);
}

TEST_F(diff, oob_listen_accept)
{
	bind_ab(_metadata, self);
	STEP(op_send(self, s, A, "x", MSG_OOB, PB, FULL, FAM_OWN), -1,
	     EOPNOTSUPP);
	STEP(op_send(self, s, A, "x", 0, PB, FULL, FAM_OWN), 1, 0);
	STEP(op_send(self, s, A, "y", 0, PB, FULL, FAM_OWN), 1, 0);
	/* udp ignores MSG_OOB on receive */
	RECV(B, 64, MSG_OOB, 1, 0, "x", 0);
	STEP(op_misc(self, s, A, LISTEN), -1, EOPNOTSUPP);
	STEP(op_misc(self, s, A, ACCEPT), -1, EOPNOTSUPP);
	STEP(op_misc(self, s, A, ACCEPT4), -1, EOPNOTSUPP);
	RECV(B, 64, 0, 1, 0, "y", 0);
}

/* ======================================================================
 * shutdown
 */
TEST_F(diff, shutdown_unconnected)
{
	STEP(op_shutdown(self, s, A, SHUT_RD), -1, ENOTCONN);
	STEP(op_shutdown(self, s, B, SHUT_RDWR), -1, ENOTCONN);
	STEP(op_shutdown(self, s, C, 7), -1, EINVAL);
	STEP(op_poll(self, s, A), 1, 0);
	STEP(op_poll(self, s, B), 1, 0);
	STEP(op_poll(self, s, C), 1, 0);
	/* the shutdown took effect even though it "failed" */
	STEP(op_recv(self, s, A, 64, 0, FULL), -1, EAGAIN);
	STEP(op_recv_block(self, s, A), 0, 0);
	STEP(op_send(self, s, B, "x", 0, PA, FULL, FAM_OWN), -1, EPIPE);
}

TEST_F(diff, shutdown_connected)
{
	bind_ab(_metadata, self);
	STEP(op_connect(self, s, A, LO, PB, FULL, FAM_OWN), 0, 0);
	STEP(op_connect(self, s, B, LO, PA, FULL, FAM_OWN), 0, 0);
	STEP(op_send(self, s, B, "before", 0, -1, 0, 0), 6, 0);
	STEP(op_shutdown(self, s, A, SHUT_RD), 0, 0);
	STEP(op_poll(self, s, A), 1, 0);
	/* queued data is still read, then end of file */
	RECV(A, 64, 0, 6, 0, "before", 0);
	STEP(op_recv(self, s, A, 64, 0, FULL), -1, EAGAIN);
	STEP(op_recv_block(self, s, A), 0, 0);
	STEP(op_send(self, s, B, "after", 0, -1, 0, 0), 5, 0);
	STEP(op_poll(self, s, A), 1, 0);
	STEP(op_recv(self, s, A, 64, 0, FULL), 5, 0);
	STEP(op_send(self, s, A, "out", 0, -1, 0, 0), 3, 0);
	RECV(B, 64, 0, 3, 0, "out", 0);

	STEP(op_shutdown(self, s, B, SHUT_WR), 0, 0);
	STEP(op_poll(self, s, B), 1, 0);
	STEP(op_send(self, s, B, "x", 0, -1, 0, 0), -1, EPIPE);
	STEP(op_misc(self, s, B, WRITE1), -1, EPIPE);
	STEP(op_send(self, s, A, "in", 0, -1, 0, 0), 2, 0);
	RECV(B, 64, 0, 2, 0, "in", 0);

	STEP(op_shutdown(self, s, A, SHUT_RDWR), 0, 0);
	STEP(op_poll(self, s, A), 1, 0);
	STEP(op_shutdown(self, s, A, SHUT_RDWR), 0, 0);
	STEP(op_connect(self, s, A, 0, 0, FULL, FAM_UNSPEC), 0, 0);
	STEP(op_poll(self, s, A), 1, 0);
	STEP(op_shutdown(self, s, A, SHUT_RD), -1, ENOTCONN);
}

/* ======================================================================
 * options, ioctls, poll
 */
TEST_F(diff, sockopts)
{
	STEP_FLAGS(op_getsockopt(self, s, A, SOL_SOCKET, SO_TYPE), 0, 0,
		   SOCK_DGRAM);
	STEP_FLAGS(op_getsockopt(self, s, A, SOL_SOCKET, SO_DOMAIN), 0, 0,
		   AF_INET);
	STEP_FLAGS(op_getsockopt(self, s, A, SOL_SOCKET, SO_PROTOCOL), 0, 0,
		   IPPROTO_UDP);
	STEP_FLAGS(op_getsockopt(self, s, A, SOL_SOCKET, SO_ERROR), 0, 0, 0);
	STEP_FLAGS(op_getsockopt(self, s, A, SOL_SOCKET, SO_ACCEPTCONN), 0, 0,
		   0);
	STEP(op_setsockopt(self, s, A, SOL_SOCKET, SO_RCVBUF, 65536), 0, 0);
	STEP_FLAGS(op_getsockopt(self, s, A, SOL_SOCKET, SO_RCVBUF), 0, 0,
		   131072);
	STEP(op_setsockopt(self, s, A, SOL_SOCKET, SO_SNDBUF, 4096), 0, 0);
	STEP_FLAGS(op_getsockopt(self, s, A, SOL_SOCKET, SO_SNDBUF), 0, 0,
		   8192);
	STEP(op_getsockopt(self, s, A, -1, 12345), -1, ENOPROTOOPT);
	STEP(op_setsockopt(self, s, A, -1, 12345, 1), -1, ENOPROTOOPT);
}

TEST_F(diff, ioctls)
{
	bind_ab(_metadata, self);
	STEP_FLAGS(op_ioctl(self, s, B, FIONREAD), 0, 0, 0);
	STEP_FLAGS(op_ioctl(self, s, A, TIOCOUTQ), 0, 0, 0);
	STEP(op_send(self, s, A, "12345", 0, PB, FULL, FAM_OWN), 5, 0);
	STEP(op_send(self, s, A, "1234567", 0, PB, FULL, FAM_OWN), 7, 0);
	STEP_FLAGS(op_ioctl(self, s, B, FIONREAD), 0, 0, 5);
	RECV(B, 64, 0, 5, 0, "12345", 0);
	STEP_FLAGS(op_ioctl(self, s, B, FIONREAD), 0, 0, 7);
	STEP_FLAGS(op_ioctl(self, s, A, TIOCOUTQ), 0, 0, 0);
}

TEST_F(diff, poll_masks)
{
	STEP_FLAGS(op_poll(self, s, A), 1, 0, POLLOUT);
	bind_ab(_metadata, self);
	STEP_FLAGS(op_poll(self, s, B), 1, 0, POLLOUT);
	STEP(op_send(self, s, A, "x", 0, PB, FULL, FAM_OWN), 1, 0);
	STEP_FLAGS(op_poll(self, s, B), 1, 0, POLLIN | POLLOUT);
	RECV(B, 64, 0, 1, 0, "x", 0);
	STEP_FLAGS(op_poll(self, s, B), 1, 0, POLLOUT);
}

/* Wait until every stack's socket i reports POLLERR. */
static void wait_err(struct __test_metadata *_metadata,
		     FIXTURE_DATA(diff) *self, int i)
{
	struct pollfd pfd = { .events = 0 };
	int s;

	for (s = 0; s < self->n; s++) {
		pfd.fd = FD(s, i);
		ASSERT_EQ(1, poll(&pfd, 1, 2000)) TH_LOG("stack %d", s);
	}
}

TEST_F(diff, icmp_refused)
{
	STEP(op_bind(self, s, A, LO, PA, FULL, FAM_OWN), 0, 0);
	STEP(op_connect(self, s, A, LO, PDEAD, FULL, FAM_OWN), 0, 0);
	STEP(op_send(self, s, A, "knock", 0, -1, 0, 0), 5, 0);
	wait_err(_metadata, self, A);
	STEP_FLAGS(op_poll(self, s, A), 1, 0, POLLOUT | POLLERR);
	STEP(op_recv(self, s, A, 64, 0, FULL), -1, ECONNREFUSED);
	STEP(op_recv(self, s, A, 64, 0, FULL), -1, EAGAIN);
	STEP(op_send(self, s, A, "knock", 0, -1, 0, 0), 5, 0);
	wait_err(_metadata, self, A);
	STEP_FLAGS(op_getsockopt(self, s, A, SOL_SOCKET, SO_ERROR), 0, 0,
		   ECONNREFUSED);
	STEP_FLAGS(op_getsockopt(self, s, A, SOL_SOCKET, SO_ERROR), 0, 0, 0);
	STEP(op_send(self, s, A, "knock", 0, -1, 0, 0), 5, 0);
	wait_err(_metadata, self, A);
	STEP(op_send(self, s, A, "knock", 0, -1, 0, 0), -1, ECONNREFUSED);
	STEP(op_send(self, s, A, "knock", 0, -1, 0, 0), 5, 0);
	/* unconnected: the same error is not reported */
	wait_err(_metadata, self, A);
	STEP(op_connect(self, s, A, 0, 0, FULL, FAM_UNSPEC), 0, 0);
	STEP_FLAGS(op_poll(self, s, A), 1, 0, POLLOUT | POLLERR);
	STEP(op_getsockopt(self, s, A, SOL_SOCKET, SO_ERROR), 0, 0);
	STEP(op_send(self, s, A, "knock", 0, PDEAD, FULL, FAM_OWN), 5, 0);
	STEP_FLAGS(op_poll(self, s, A), 1, 0, POLLOUT);
}

TEST_HARNESS_MAIN
