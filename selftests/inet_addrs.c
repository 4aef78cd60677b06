// SPDX-License-Identifier: GPL-2.0
/*
 * TTP_INET_ADDRS (SOL_TTP, both types), on which ttp-run stands: while on,
 * a socket takes sockaddr_in (AF_INET) wherever it takes sockaddr_ttp, and
 * gives its addresses as AF_INET: getsockname, getpeername, accept,
 * recvfrom, the error queue. An accepted connection has its listener's
 * setting. Off (the default), AF_INET is refused with EAFNOSUPPORT as
 * before. Each test runs in a namespace of its own, over loopback.
 */
#include <poll.h>

#include "ttp_test.h"
#include "../../kselftest_harness.h"

FIXTURE(inet)
{
	int fam;
};

FIXTURE_SETUP(inet)
{
	ASSERT_EQ(0, ttp_netns_new());
	self->fam = ttp_family();
}

FIXTURE_TEARDOWN(inet)
{
}

static int set_inet(int fd, int val)
{
	return setsockopt(fd, SOL_TTP, TTP_INET_ADDRS, &val, sizeof(val));
}

static int get_inet(int fd)
{
	socklen_t len = sizeof(int);
	int val = -1;

	if (getsockopt(fd, SOL_TTP, TTP_INET_ADDRS, &val, &len) || len != sizeof(int))
		return -1;
	return val;
}

/* The family getsockname (@peer: getpeername) gives, or -errno */
static int name_family(int fd, bool peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int ret;

	memset(&ss, 0xa5, sizeof(ss));
	ret = peer ? getpeername(fd, SA(&ss), &len) : getsockname(fd, SA(&ss), &len);
	if (ret)
		return -errno;
	if (len != sizeof(struct sockaddr_in))
		return -1000;
	return ss.ss_family;
}

TEST_F(inet, off_by_default_and_refused)
{
	struct sockaddr_in a = ttp_in4(AF_INET, LO, 0);
	int s = socket(self->fam, SOCK_STREAM, 0);
	int d = socket(self->fam, SOCK_DGRAM, 0);

	ASSERT_LE(0, s);
	ASSERT_LE(0, d);
	EXPECT_EQ(0, get_inet(s));
	EXPECT_EQ(0, get_inet(d));
	EXPECT_EQ(-1, bind(s, SA(&a), sizeof(a)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	EXPECT_EQ(-1, bind(d, SA(&a), sizeof(a)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	a.sin_port = htons(9);
	EXPECT_EQ(-1, connect(s, SA(&a), sizeof(a)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	EXPECT_EQ(-1, sendto(d, "x", 1, 0, SA(&a), sizeof(a)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	/* a short option value, as for any int option */
	EXPECT_EQ(-1, setsockopt(s, SOL_TTP, TTP_INET_ADDRS, "", 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, ttp_bind(s, LO, 0));
	EXPECT_EQ(self->fam, name_family(s, false));
	close(s);
	close(d);
}

TEST_F(inet, stream_names_and_accept)
{
	struct sockaddr_in a = ttp_in4(AF_INET, LO, 0), got, me;
	socklen_t len = sizeof(a);
	int l, c, n;

	l = socket(self->fam, SOCK_STREAM, 0);
	c = socket(self->fam, SOCK_STREAM, 0);
	ASSERT_LE(0, l);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, set_inet(l, 1));
	ASSERT_EQ(0, set_inet(c, 7));
	EXPECT_EQ(1, get_inet(c));
	ASSERT_EQ(0, bind(l, SA(&a), sizeof(a)));
	ASSERT_EQ(0, listen(l, 4));
	ASSERT_EQ(0, getsockname(l, SA(&a), &len));
	EXPECT_EQ(AF_INET, a.sin_family);
	EXPECT_EQ(htonl(LO), a.sin_addr.s_addr);
	ASSERT_NE(0, a.sin_port);
	ASSERT_EQ(0, connect(c, SA(&a), sizeof(a)));

	len = sizeof(got);
	memset(&got, 0, sizeof(got));
	n = accept(l, SA(&got), &len);
	ASSERT_LE(0, n);
	EXPECT_EQ(sizeof(got), len);
	len = sizeof(me);
	ASSERT_EQ(0, getsockname(c, SA(&me), &len));
	EXPECT_EQ(AF_INET, me.sin_family);
	EXPECT_EQ(AF_INET, got.sin_family);
	EXPECT_EQ(me.sin_port, got.sin_port);
	EXPECT_EQ(me.sin_addr.s_addr, got.sin_addr.s_addr);
	/* the accepted socket has its listener's setting */
	EXPECT_EQ(1, get_inet(n));
	EXPECT_EQ(AF_INET, name_family(n, true));
	EXPECT_EQ(AF_INET, name_family(n, false));
	EXPECT_EQ(AF_INET, name_family(c, true));
	EXPECT_EQ(1, write(c, "z", 1));
	EXPECT_EQ(1, read(n, &len, 1));
	/* off again: names in AF_TTP */
	ASSERT_EQ(0, set_inet(c, 0));
	EXPECT_EQ(self->fam, name_family(c, true));
	close(n);

	/* a listener without it: its children give AF_TTP names */
	ASSERT_EQ(0, set_inet(l, 0));
	close(c);
	c = socket(self->fam, SOCK_STREAM, 0);
	ASSERT_EQ(0, ttp_connect(c, LO, ntohs(a.sin_port)));
	n = accept(l, NULL, NULL);
	ASSERT_LE(0, n);
	EXPECT_EQ(0, get_inet(n));
	EXPECT_EQ(self->fam, name_family(n, true));
	close(n);
	close(c);
	close(l);
}

/* While on, AF_TTP addresses are still taken */
TEST_F(inet, both_families_taken)
{
	int s = socket(self->fam, SOCK_STREAM, 0);
	int d = socket(self->fam, SOCK_DGRAM, 0);

	ASSERT_EQ(0, set_inet(s, 1));
	ASSERT_EQ(0, set_inet(d, 1));
	EXPECT_EQ(0, ttp_bind(s, LO, 0));
	EXPECT_EQ(0, ttp_bind(d, LO, 0));
	EXPECT_EQ(AF_INET, name_family(s, false));
	EXPECT_EQ(AF_INET, name_family(d, false));
	close(s);
	close(d);
}

TEST_F(inet, dgram_sendto_recvfrom_connect)
{
	struct sockaddr_in a = ttp_in4(AF_INET, LO, 0), from, me;
	socklen_t len = sizeof(a);
	int r, s;
	char buf[8];

	r = socket(self->fam, SOCK_DGRAM, 0);
	s = socket(self->fam, SOCK_DGRAM, 0);
	ASSERT_EQ(0, set_inet(r, 1));
	ASSERT_EQ(0, set_inet(s, 1));
	ASSERT_EQ(0, bind(r, SA(&a), sizeof(a)));
	ASSERT_EQ(0, getsockname(r, SA(&a), &len));
	EXPECT_EQ(3, sendto(s, "abc", 3, 0, SA(&a), sizeof(a)));
	len = sizeof(from);
	memset(&from, 0, sizeof(from));
	EXPECT_EQ(3, recvfrom(r, buf, sizeof(buf), 0, SA(&from), &len));
	EXPECT_EQ(sizeof(from), len);
	EXPECT_EQ(AF_INET, from.sin_family);
	EXPECT_EQ(htonl(LO), from.sin_addr.s_addr);
	len = sizeof(me);
	ASSERT_EQ(0, getsockname(s, SA(&me), &len));
	EXPECT_EQ(me.sin_port, from.sin_port);
	/* connect with AF_INET, AF_UNSPEC undoes it */
	ASSERT_EQ(0, connect(s, SA(&a), sizeof(a)));
	EXPECT_EQ(AF_INET, name_family(s, true));
	EXPECT_EQ(2, send(s, "de", 2, 0));
	EXPECT_EQ(2, recv(r, buf, sizeof(buf), 0));
	a.sin_family = AF_UNSPEC;
	ASSERT_EQ(0, connect(s, SA(&a), sizeof(a)));
	EXPECT_EQ(-ENOTCONN, name_family(s, true));
	/* a family neither TTP's nor AF_INET is still refused */
	a.sin_family = AF_INET6;
	EXPECT_EQ(-1, sendto(s, "x", 1, 0, SA(&a), sizeof(a)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	close(r);
	close(s);
}

/* IP_RECVERR: the error queue's address, in AF_INET */
TEST_F(inet, dgram_error_queue_name)
{
	struct sockaddr_in a = ttp_in4(AF_INET, LO, 9), from;
	char buf[64], cbuf[512];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct pollfd p;
	int s, on = 1;

	s = socket(self->fam, SOCK_DGRAM, 0);
	ASSERT_EQ(0, set_inet(s, 1));
	ASSERT_EQ(0, setsockopt(s, SOL_IP, IP_RECVERR, &on, sizeof(on)));
	ASSERT_EQ(0, connect(s, SA(&a), sizeof(a)));
	/* nobody on port 9: port unreachable comes back */
	ASSERT_EQ(1, send(s, "x", 1, 0));
	p.fd = s;
	p.events = 0;
	ASSERT_EQ(1, poll(&p, 1, 5000));
	memset(&from, 0, sizeof(from));
	ASSERT_LE(0, recvmsg(s, &m, MSG_ERRQUEUE));
	EXPECT_EQ(AF_INET, from.sin_family);
	EXPECT_EQ(htons(9), from.sin_port);
	EXPECT_EQ(htonl(LO), from.sin_addr.s_addr);
	close(s);
}

TEST_HARNESS_MAIN
