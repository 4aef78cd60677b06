// SPDX-License-Identifier: GPL-2.0
/*
 * TTP streams (SOCK_STREAM) against tcp(7): every test runs twice, on a
 * TTP stream and on a TCP connection over loopback, with the same expected
 * return values, errnos, poll masks and bytes. The TCP variant proves the
 * expectations; the TTP variant holds TTP to them. A step where TTP differs
 * on purpose is marked TTP_ONLY and docs/protocol.md section 5 says why.
 */
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "ttp_test.h"
#include "../../kselftest_harness.h"

FIXTURE(stream)
{
	int family;
	int l, c, s;		/* listener, client, accepted server side */
	uint16_t port;
};

FIXTURE_VARIANT(stream)
{
	bool tcp;
};

FIXTURE_VARIANT_ADD(stream, ttp)
{
	.tcp = false,
};

FIXTURE_VARIANT_ADD(stream, tcp)
{
	.tcp = true,
};

static struct sockaddr_in lo_addr(int family, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = family, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int new_sock(FIXTURE_DATA(stream) *self)
{
	return socket(self->family, SOCK_STREAM, 0);
}

/* A listener on an ephemeral loopback port. */
static int listener(struct __test_metadata *_metadata,
		    FIXTURE_DATA(stream) *self, int backlog)
{
	struct sockaddr_in a = lo_addr(self->family, 0);
	socklen_t len = sizeof(a);
	int l = new_sock(self);

	ASSERT_LE(0, l) TH_LOG("socket: %s", strerror(errno));
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(l, backlog));
	ASSERT_EQ(0, getsockname(l, (struct sockaddr *)&a, &len));
	self->port = ntohs(a.sin_port);
	return l;
}

static int connect_to(FIXTURE_DATA(stream) *self, int fd, uint16_t port)
{
	struct sockaddr_in a = lo_addr(self->family, port);

	return connect(fd, (struct sockaddr *)&a, sizeof(a));
}

/* A connected pair: self->c (client) and self->s (accepted). */
static void pair(struct __test_metadata *_metadata, FIXTURE_DATA(stream) *self)
{
	self->l = listener(_metadata, self, 8);
	self->c = new_sock(self);
	ASSERT_LE(0, self->c);
	ASSERT_EQ(0, connect_to(self, self->c, self->port));
	self->s = accept(self->l, NULL, NULL);
	ASSERT_LE(0, self->s) TH_LOG("accept: %s", strerror(errno));
}

static short poll_one(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, ms) < 0 ? -1 : p.revents;
}

static int sock_error(int fd)
{
	int err = -1;
	socklen_t len = sizeof(err);

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	return err;
}

FIXTURE_SETUP(stream)
{
	self->l = self->c = self->s = -1;
	signal(SIGPIPE, SIG_IGN);
	/* the reference mode, on a host without TTP: TCP proves the tests */
	if (!variant->tcp && getenv("TTP_TEST_AS_UDP"))
		SKIP(return, "reference mode (TTP_TEST_AS_UDP): the tcp variant only");
	ASSERT_EQ(0, ttp_netns_new());
	self->family = variant->tcp ? AF_INET : ttp_family();
	/* a socket that cannot be made is a failure, not a skip */
	self->c = new_sock(self);
	ASSERT_LE(0, self->c) TH_LOG("socket(%d, SOCK_STREAM): %s",
				     self->family, strerror(errno));
	close(self->c);
	self->c = -1;
}

FIXTURE_TEARDOWN(stream)
{
	if (self->s >= 0)
		close(self->s);
	if (self->c >= 0)
		close(self->c);
	if (self->l >= 0)
		close(self->l);
}

TEST_F(stream, echo_both_ways)
{
	struct sockaddr_in a, b;
	socklen_t alen = sizeof(a), blen = sizeof(b);
	char buf[32];

	pair(_metadata, self);
	ASSERT_EQ(0, getsockname(self->c, (struct sockaddr *)&a, &alen));
	ASSERT_EQ(0, getpeername(self->s, (struct sockaddr *)&b, &blen));
	ASSERT_EQ(a.sin_port, b.sin_port);
	ASSERT_EQ(a.sin_addr.s_addr, b.sin_addr.s_addr);
	ASSERT_EQ(self->family, b.sin_family);
	ASSERT_EQ(10, send(self->c, "0123456789", 10, 0));
	ASSERT_EQ(10, recv(self->s, buf, sizeof(buf), 0));
	ASSERT_EQ(0, memcmp(buf, "0123456789", 10));
	ASSERT_EQ(3, write(self->s, "abc", 3));
	ASSERT_EQ(3, read(self->c, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "abc", 3));
}

TEST_F(stream, connect_refused)
{
	self->c = new_sock(self);
	ASSERT_EQ(-1, connect_to(self, self->c, 9));
	ASSERT_EQ(ECONNREFUSED, errno);
	ASSERT_EQ(0, sock_error(self->c));
	/* the socket can try again */
	self->l = listener(_metadata, self, 1);
	ASSERT_EQ(0, connect_to(self, self->c, self->port));
}

TEST_F(stream, nonblocking_connect)
{
	self->l = listener(_metadata, self, 4);
	self->c = new_sock(self);
	fcntl(self->c, F_SETFL, O_NONBLOCK);
	ASSERT_EQ(-1, connect_to(self, self->c, self->port));
	ASSERT_EQ(EINPROGRESS, errno);
	ASSERT_EQ(POLLOUT, poll_one(self->c, POLLOUT, 5000));
	ASSERT_EQ(0, sock_error(self->c));
	/* as inet_stream_connect(): the next call reports the success... */
	ASSERT_EQ(0, connect_to(self, self->c, self->port));
	/* ...and only the one after that EISCONN */
	ASSERT_EQ(-1, connect_to(self, self->c, self->port));
	ASSERT_EQ(EISCONN, errno);
}

TEST_F(stream, nonblocking_connect_refused)
{
	short ev;

	self->c = new_sock(self);
	fcntl(self->c, F_SETFL, O_NONBLOCK);
	ASSERT_EQ(-1, connect_to(self, self->c, 9));
	ASSERT_EQ(EINPROGRESS, errno);
	ev = poll_one(self->c, POLLOUT, 5000);
	ASSERT_EQ(POLLOUT | POLLERR | POLLHUP, ev);
	ASSERT_EQ(ECONNREFUSED, sock_error(self->c));
	ASSERT_EQ(0, sock_error(self->c));
}

TEST_F(stream, accept_errors)
{
	int fd;

	self->l = listener(_metadata, self, 1);
	fcntl(self->l, F_SETFL, O_NONBLOCK);
	ASSERT_EQ(-1, accept(self->l, NULL, NULL));
	ASSERT_EQ(EAGAIN, errno);
	fd = new_sock(self);
	ASSERT_EQ(-1, accept(fd, NULL, NULL));
	ASSERT_EQ(EINVAL, errno);
	close(fd);
}

TEST_F(stream, accept4_flags)
{
	int fd;

	self->l = listener(_metadata, self, 1);
	self->c = new_sock(self);
	ASSERT_EQ(0, connect_to(self, self->c, self->port));
	fd = accept4(self->l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(O_NONBLOCK, fcntl(fd, F_GETFL) & O_NONBLOCK);
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	ASSERT_EQ(-1, recv(fd, &fd, 1, 0));
	ASSERT_EQ(EAGAIN, errno);
	close(fd);
}

TEST_F(stream, half_close)
{
	char buf[16];

	pair(_metadata, self);
	ASSERT_EQ(5, send(self->c, "hello", 5, 0));
	ASSERT_EQ(0, shutdown(self->c, SHUT_WR));
	ASSERT_EQ(5, recv(self->s, buf, sizeof(buf), 0));
	ASSERT_EQ(0, recv(self->s, buf, sizeof(buf), 0));	/* EOF */
	ASSERT_EQ(0, recv(self->s, buf, sizeof(buf), 0));	/* and again */
	ASSERT_EQ(POLLIN | POLLOUT | POLLRDHUP,
		  poll_one(self->s, POLLIN | POLLOUT | POLLRDHUP, 0));
	/* the other way still works */
	ASSERT_EQ(3, send(self->s, "bye", 3, 0));
	ASSERT_EQ(3, recv(self->c, buf, sizeof(buf), 0));
	ASSERT_EQ(-1, send(self->c, "x", 1, MSG_NOSIGNAL));
	ASSERT_EQ(EPIPE, errno);
}

TEST_F(stream, close_with_unread_data_resets)
{
	char buf[16];

	pair(_metadata, self);
	ASSERT_EQ(4, send(self->c, "data", 4, 0));
	ASSERT_EQ(POLLIN, poll_one(self->s, POLLIN, 5000));
	close(self->s);
	self->s = -1;
	ASSERT_NE(0, poll_one(self->c, POLLIN, 5000));
	ASSERT_EQ(-1, recv(self->c, buf, sizeof(buf), 0));
	ASSERT_EQ(ECONNRESET, errno);
	ASSERT_EQ(0, recv(self->c, buf, sizeof(buf), 0));
	ASSERT_EQ(-1, send(self->c, "x", 1, MSG_NOSIGNAL));
	ASSERT_EQ(EPIPE, errno);
}

TEST_F(stream, linger_zero_resets)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char buf[4];

	pair(_metadata, self);
	ASSERT_EQ(0, setsockopt(self->s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(self->s);
	self->s = -1;
	ASSERT_NE(0, poll_one(self->c, POLLIN, 5000));
	ASSERT_EQ(-1, recv(self->c, buf, sizeof(buf), 0));
	ASSERT_EQ(ECONNRESET, errno);
}

TEST_F(stream, peek_and_waitall)
{
	char buf[16];
	pid_t pid;

	pair(_metadata, self);
	ASSERT_EQ(6, send(self->c, "abcdef", 6, 0));
	ASSERT_EQ(POLLIN, poll_one(self->s, POLLIN, 5000));
	ASSERT_EQ(3, recv(self->s, buf, 3, MSG_PEEK));
	ASSERT_EQ(0, memcmp(buf, "abc", 3));
	ASSERT_EQ(6, recv(self->s, buf, sizeof(buf), MSG_PEEK));
	ASSERT_EQ(4, recv(self->s, buf, 4, 0));
	ASSERT_EQ(0, memcmp(buf, "abcd", 4));
	/* WAITALL: 2 left now, 4 more come later, 6 asked for */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		usleep(200000);
		send(self->c, "ghij", 4, 0);
		_exit(0);
	}
	ASSERT_EQ(6, recv(self->s, buf, 6, MSG_WAITALL));
	ASSERT_EQ(0, memcmp(buf, "efghij", 6));
	waitpid(pid, NULL, 0);
}

TEST_F(stream, unconnected_calls)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	char c;

	self->c = new_sock(self);
	/* a fresh stream socket polls as writable and hung up */
	ASSERT_EQ(POLLOUT | POLLHUP, poll_one(self->c, POLLIN | POLLOUT, 0));
	ASSERT_EQ(-1, getpeername(self->c, (struct sockaddr *)&a, &len));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-1, recv(self->c, &c, 1, MSG_DONTWAIT));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-1, send(self->c, "x", 1, MSG_NOSIGNAL));
	ASSERT_EQ(EPIPE, errno);
	/* shutdown fails, but takes effect: end of file from now on */
	ASSERT_EQ(-1, shutdown(self->c, SHUT_RDWR));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(0, recv(self->c, &c, 1, MSG_DONTWAIT));
	ASSERT_EQ(POLLIN | POLLOUT | POLLHUP,
		  poll_one(self->c, POLLIN | POLLOUT, 0));
}

TEST_F(stream, listen_after_connect)
{
	pair(_metadata, self);
	ASSERT_EQ(-1, listen(self->c, 4));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, connect_to(self, self->c, self->port));
	ASSERT_EQ(EISCONN, errno);
}

TEST_F(stream, bind_rules)
{
	struct sockaddr_in a;
	int fd;

	self->l = listener(_metadata, self, 1);
	fd = new_sock(self);
	a = lo_addr(self->family, self->port);
	ASSERT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(EADDRINUSE, errno);
	a = lo_addr(self->family, 0);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(-1, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(EINVAL, errno);
	close(fd);
}

TEST_F(stream, queue_sizes)
{
	char buf[1000];
	int n;

	pair(_metadata, self);
	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(1000, send(self->c, buf, sizeof(buf), 0));
	for (int i = 0; i < 50; i++) {
		ASSERT_EQ(0, ioctl(self->s, FIONREAD, &n));
		if (n == 1000)
			break;
		usleep(20000);
	}
	ASSERT_EQ(1000, n);
	for (int i = 0; i < 50; i++) {	/* the ACK is on its way */
		ASSERT_EQ(0, ioctl(self->c, TIOCOUTQ, &n));
		if (!n)
			break;
		usleep(20000);
	}
	ASSERT_EQ(0, n);
	ASSERT_EQ(400, recv(self->s, buf, 400, 0));
	ASSERT_EQ(0, ioctl(self->s, FIONREAD, &n));
	ASSERT_EQ(600, n);
}

TEST_F(stream, bulk_4mb)
{
	static unsigned char out[1 << 16], in[1 << 16];
	size_t total = 4 << 20, sent = 0, got = 0, i;
	int st = -1;
	pid_t pid;
	ssize_t n;

	pair(_metadata, self);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(self->s);
		while (sent < total) {
			for (i = 0; i < sizeof(out); i++)
				out[i] = (unsigned char)((sent + i) * 7 + 3);
			n = send(self->c, out, sizeof(out), 0);
			if (n <= 0)
				_exit(1);
			sent += n;
			if ((size_t)n != sizeof(out))
				_exit(2);	/* blocking send: all or error */
		}
		shutdown(self->c, SHUT_WR);
		_exit(0);
	}
	close(self->c);
	self->c = -1;
	while ((n = recv(self->s, in, sizeof(in), 0)) > 0) {
		for (i = 0; i < (size_t)n; i++)
			ASSERT_EQ((unsigned char)((got + i) * 7 + 3), in[i])
				TH_LOG("byte %zu", got + i);
		got += n;
	}
	ASSERT_EQ(0, n);
	ASSERT_EQ(total, got);
	waitpid(pid, &st, 0);
	ASSERT_EQ(0, st);
}

TEST_F(stream, ttp_info)
{
	struct ttp_info info;
	socklen_t len = sizeof(info);
	char buf[8];

	if (variant->tcp)
		SKIP(return, "TTP_INFO is TTP's own (TCP has TCP_INFO)");
	pair(_metadata, self);
	ASSERT_EQ(5, send(self->c, "hello", 5, 0));
	ASSERT_EQ(5, recv(self->s, buf, sizeof(buf), 0));
	ASSERT_EQ(0, getsockopt(self->c, SOL_TTP, TTP_INFO, &info, &len));
	ASSERT_EQ(sizeof(info), len);
	ASSERT_EQ(1, info.ttpi_state);	/* TCP_ESTABLISHED */
	ASSERT_LT(0, info.ttpi_snd_mss);
	ASSERT_LE(5, info.ttpi_bytes_sent);
	ASSERT_LT(0, info.ttpi_segs_out);
	ASSERT_LE(200000, info.ttpi_rto);
}

TEST_HARNESS_MAIN
