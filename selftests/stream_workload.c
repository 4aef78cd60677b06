// SPDX-License-Identifier: GPL-2.0
/*
 * A stream workload for fault injection: rounds of listen, connect,
 * accept, data both ways, half-close and close on loopback, for at most
 * ROUNDS rounds or SECS seconds. Run under failslab, every call may fail;
 * it must then fail cleanly, with one of the errnos a memory shortage
 * gives (ENOMEM, ENOBUFS), and a connection that was made must still move
 * every byte, in order, once: a segment whose allocation failed is sent
 * again by the retransmission timer. Nothing may hang: a round that does
 * not finish within 20 s is a failure.
 *
 *   stream_workload [ROUNDS [SECS [BYTES]]]
 *
 * A failed socket, bind, listen or connect ends its round (everything
 * closed). A send never fails for want of memory: it waits for it, as
 * TCP's does (here, not blocking: EAGAIN, and poll says when to try
 * again); ENOMEM or ENOBUFS from send is unexpected. Prints "rounds=N complete=C
 * calls=K injected=M" (complete: rounds whose data all arrived) and exits
 * 0 when every failure was clean, 1 otherwise.
 *
 * pump()'s buffer is written before each receive: a stack page first
 * touched by the copy inside recv() is allocated with ttp.ko on the stack,
 * and when fail_page_alloc fails it, recv() returns EFAULT, as TCP's would;
 * that is not the failure this workload looks for.
 */
#include <errno.h>
#include <poll.h>

#include "ttp_test.h"

static long calls, injected;
static unsigned long bytes = 8192;

/* Account for a call's result: 0 fine or clean, -1 unexpected. */
static int clean(const char *what, long ret)
{
	calls++;
	if (ret >= 0)
		return 0;
	switch (errno) {
	case ENOMEM:
	case ENOBUFS:
		injected++;
		return 0;
	}
	fprintf(stderr, "stream_workload: %s: unexpected %s\n", what,
		strerror(errno));
	return -1;
}

struct end {
	int fd, from;		/* from: 0 the connecting end, 1 the accepted */
	uint64_t key_out, key_in;	/* the streams it sends and expects */
	unsigned long sent, got;
	int eof;
};

/* Move bytes on one end; -1 on an unexpected result. */
static int pump(struct end *e, short revents)
{
	unsigned char buf[4096];
	ssize_t n, i;
	size_t k;

	if ((revents & POLLOUT) && e->sent < bytes) {
		k = bytes - e->sent < sizeof(buf) ? bytes - e->sent : sizeof(buf);
		ttp_rand_fill(buf, k, e->key_out, e->sent);
		n = send(e->fd, buf, k, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == ENOMEM || errno == ENOBUFS)) {
			fprintf(stderr, "stream_workload: send: %s, not a wait for memory\n",
				strerror(errno));
			return -1;
		}
		if (n < 0 && errno != EAGAIN && clean("send", n))
			return -1;
		if (n > 0) {
			calls++;
			e->sent += n;
			if (e->sent == bytes &&
			    clean("shutdown", shutdown(e->fd, SHUT_WR)))
				return -1;
		}
	}
	if (!e->eof && (revents & (POLLIN | POLLHUP | POLLERR))) {
		memset(buf, 0, sizeof(buf));
		n = recv(e->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			return 0;
		calls++;
		if (n < 0) {
			fprintf(stderr, "stream_workload: recv: unexpected %s\n",
				strerror(errno));
			return -1;
		}
		if (!n)
			e->eof = 1;
		i = n ? ttp_rand_check(buf, n, e->key_in, e->got) : -1;
		if (i >= 0) {
			fprintf(stderr, "stream_workload: byte %lu differs\n",
				e->got + i);
			return -1;
		}
		e->got += n;
		if (e->eof && e->got != bytes) {
			fprintf(stderr, "stream_workload: end of file after %lu of %lu bytes\n",
				e->got, bytes);
			return -1;
		}
	}
	return 0;
}

/* Both directions of a connected pair; 1 when all arrived, -1 on error. */
static int transfer(int c, int s)
{
	struct end e[2] = { { .fd = c, .from = 0 }, { .fd = s, .from = 1 } };
	long long end = ttp_now_ms() + 20000;
	struct pollfd p[2];
	int i;

	for (i = 0; i < 2; i++) {
		e[i].key_out = ttp_conn_key(e[i].fd, e[i].from, e[i].from);
		e[i].key_in = ttp_conn_key(e[i].fd, e[i].from, !e[i].from);
	}
	while (!(e[0].eof && e[1].eof && e[0].sent == bytes &&
		 e[1].sent == bytes)) {
		if (ttp_now_ms() > end) {
			fprintf(stderr, "stream_workload: stuck: sent %lu/%lu got %lu/%lu\n",
				e[0].sent, e[1].sent, e[0].got, e[1].got);
			return -1;
		}
		for (i = 0; i < 2; i++) {
			/* an end with nothing left to do is not polled */
			p[i].fd = e[i].eof && e[i].sent == bytes ? -1 : e[i].fd;
			p[i].events = (e[i].eof ? 0 : POLLIN) |
				      (e[i].sent < bytes ? POLLOUT : 0);
		}
		if (poll(p, 2, 200) < 0)
			return -1;
		for (i = 0; i < 2; i++)
			if (pump(&e[i], p[i].revents))
				return -1;
	}
	return 1;
}

/* A call's result: 0 it worked, 1 it failed cleanly, -1 unexpectedly. */
static int step(const char *what, long ret)
{
	if (clean(what, ret))
		return -1;
	return ret < 0;
}

/* One round; 1 complete, 0 ended by a clean failure, -1 unexpected. */
static int round_trip(void)
{
	struct sockaddr_ttp a = ttp_addr(LO, 0);
	socklen_t alen = sizeof(a);
	int l, c = -1, s = -1, ret;

	l = socket(ttp_family(), SOCK_STREAM, 0);
	ret = step("socket", l);
	if (ret)
		return ret < 0 ? -1 : 0;
	ret = step("bind", bind(l, SA(&a), sizeof(a)));
	if (!ret)
		ret = step("getsockname", getsockname(l, SA(&a), &alen));
	if (!ret)
		ret = step("listen", listen(l, 4));
	if (!ret) {
		c = socket(ttp_family(), SOCK_STREAM, 0);
		ret = step("socket", c);
	}
	if (!ret)
		ret = step("connect", connect(c, SA(&a), sizeof(a)));
	if (!ret) {
		/* the handshake is over on loopback: the child is queued */
		s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
		calls++;
		if (s < 0) {
			fprintf(stderr, "stream_workload: accept: unexpected %s\n",
				strerror(errno));
			ret = -1;
		}
	}
	if (!ret) {
		fcntl(c, F_SETFL, O_NONBLOCK);
		ret = transfer(c, s) < 0 ? -1 : 2;
	}
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
	close(l);
	/* 2: complete, 1: a clean failure, -1: unexpected */
	return ret < 0 ? -1 : ret == 2;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 200, i, complete = 0;
	long long end = ttp_now_ms() + 1000LL * (argc > 2 ? atoi(argv[2]) : 60);
	int r;

	if (argc > 3)
		bytes = strtoul(argv[3], NULL, 0);
	for (i = 0; i < rounds && ttp_now_ms() < end; i++) {
		r = round_trip();
		if (r < 0) {
			printf("rounds=%ld complete=%ld calls=%ld injected=%ld\n",
			       i + 1, complete, calls, injected);
			return 1;
		}
		complete += r;
	}
	printf("rounds=%ld complete=%ld calls=%ld injected=%ld\n", i, complete,
	       calls, injected);
	return 0;
}
