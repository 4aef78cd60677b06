// SPDX-License-Identifier: GPL-2.0
/*
 * ttpmany: many TTP streams at once, from one process on each side.
 *
 *   ttpmany [-c CONNS] [-b BYTES] [-t SECS] -l PORT
 *   ttpmany [-c CONNS] [-b BYTES] [-t SECS] ADDR PORT
 *
 * The listener accepts CONNS connections on one port (backlog CONNS); the
 * client opens CONNS non-blocking connections to it. On every connection
 * each side sends BYTES bytes, half-closes, and reads until end of file,
 * all connections and both directions at once (poll). The bytes are
 * random, a stream keyed by the client's port and the direction
 * (ttp_rand_fill()), so a byte that strays to another connection is
 * caught as surely as a lost, repeated or damaged one. At the end each side prints "conns=N bytes=B each way
 * retrans=R" (R: the segments retransmitted, from TTP_INFO, over all its
 * connections) and closes everything. Exit 0 when every byte of every
 * connection arrived, in order, once; 1 otherwise (with what went wrong).
 */
#include <errno.h>
#include <poll.h>

#include "ttp_test.h"

#define MAX_CONNS	1024

struct conn {
	int fd;
	int key;		/* the client's port */
	int connecting;		/* client: connect() not finished */
	unsigned long long sent, got;
	int eof;
};

static struct conn conns[MAX_CONNS];
static int nconns = 64, side;
static unsigned long long nbytes = 1 << 20;

/* What end @from (0 the client, 1 the listener's) of @c sends. */
static uint64_t key_of(const struct conn *c, int from)
{
	return ((uint64_t)c->key << 1) | from;
}

static void die(const char *what)
{
	fprintf(stderr, "ttpmany: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int port_of(struct sockaddr_in *a)
{
	return ntohs(a->sin_port);
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Client: start every connect. */
static void open_all(struct sockaddr_in *a)
{
	int i;

	for (i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];

		c->fd = socket(a->sin_family, SOCK_STREAM, 0);
		if (c->fd < 0)
			die("socket");
		nonblock(c->fd);
		if (connect(c->fd, (struct sockaddr *)a, sizeof(*a)) &&
		    errno != EINPROGRESS)
			die("connect");
		c->connecting = 1;
		c->key = ttp_local_port(c->fd);
	}
}

/* Listener: one more connection ready? */
static int accept_one(int l, int *accepted)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd;

	fd = accept(l, (struct sockaddr *)&a, &len);
	if (fd < 0)
		return errno == EAGAIN ? 0 : -1;
	nonblock(fd);
	conns[*accepted].fd = fd;
	conns[*accepted].key = port_of(&a);
	(*accepted)++;
	return 0;
}

/* Move what can be moved on @c now; -1 on an error (reported). */
static int step(struct conn *c, short revents)
{
	unsigned char buf[16384];
	ssize_t n, i;
	size_t k;

	if (c->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return 0;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			fprintf(stderr, "ttpmany: connect from port %d: %s\n",
				c->key, strerror(err));
			return -1;
		}
		c->connecting = 0;
	}
	if ((revents & POLLOUT) && c->sent < nbytes) {
		k = nbytes - c->sent < sizeof(buf) ? nbytes - c->sent : sizeof(buf);
		ttp_rand_fill(buf, k, key_of(c, side), c->sent);
		n = send(c->fd, buf, k, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN) {
			fprintf(stderr, "ttpmany: port %d: write: %s\n", c->key,
				strerror(errno));
			return -1;
		}
		if (n > 0)
			c->sent += n;
		if (c->sent == nbytes && shutdown(c->fd, SHUT_WR)) {
			fprintf(stderr, "ttpmany: port %d: shutdown: %s\n",
				c->key, strerror(errno));
			return -1;
		}
	}
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		n = read(c->fd, buf, sizeof(buf));
		if (n < 0 && errno != EAGAIN) {
			fprintf(stderr, "ttpmany: port %d: read: %s (got %llu)\n",
				c->key, strerror(errno), c->got);
			return -1;
		}
		if (n == 0)
			c->eof = 1;
		i = n > 0 ? ttp_rand_check(buf, n, key_of(c, !side), c->got) : -1;
		if (i >= 0) {
			fprintf(stderr, "ttpmany: port %d: byte %llu differs\n",
				c->key, c->got + i);
			return -1;
		}
		if (n > 0)
			c->got += n;
		if (c->got > nbytes) {
			fprintf(stderr, "ttpmany: port %d: %llu bytes, more than %llu\n",
				c->key, c->got, nbytes);
			return -1;
		}
	}
	return 0;
}

static int done(const struct conn *c)
{
	return !c->connecting && c->sent == nbytes && c->eof;
}

int main(int argc, char **argv)
{
	static struct pollfd p[MAX_CONNS + 1];
	int opt, secs = 60, l = -1, accepted = 0, i, n, left, one = 1;
	unsigned long long retrans = 0;
	struct sockaddr_in a = { 0 };
	time_t end;

	while ((opt = getopt(argc, argv, "c:b:t:l")) != -1) {
		switch (opt) {
		case 'c': nconns = atoi(optarg); break;
		case 'b': nbytes = strtoull(optarg, NULL, 0); break;
		case 't': secs = atoi(optarg); break;
		case 'l': side = 1; break;
		default: return 2;
		}
	}
	if (argc - optind != (side ? 1 : 2) || nconns < 1 || nconns > MAX_CONNS)
		return 2;
	a.sin_family = ttp_family();
	a.sin_port = htons(atoi(argv[argc - 1]));
	if (side) {
		l = socket(a.sin_family, SOCK_STREAM, 0);
		if (l < 0)
			die("socket");
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, nconns))
			die("bind/listen");
		nonblock(l);
	} else {
		if (inet_pton(AF_INET, argv[optind], &a.sin_addr) != 1)
			return 2;
		open_all(&a);
	}
	end = time(NULL) + secs;
	for (;;) {
		n = 0;
		left = 0;
		if (l >= 0 && accepted < nconns) {
			p[n].fd = l;
			p[n++].events = POLLIN;
		}
		for (i = 0; i < (side ? accepted : nconns); i++) {
			struct conn *c = &conns[i];

			if (done(c))
				continue;
			left++;
			p[n].fd = c->fd;
			p[n++].events = POLLIN |
				(c->connecting || c->sent < nbytes ? POLLOUT : 0);
		}
		if (!left && (!side || accepted == nconns))
			break;
		if (time(NULL) > end) {
			fprintf(stderr, "ttpmany: timeout: %d of %d connections unfinished (%d accepted)\n",
				left + nconns - (side ? accepted : nconns),
				nconns, side ? accepted : nconns);
			for (i = 0; i < (side ? accepted : nconns); i++)
				if (!done(&conns[i]))
					fprintf(stderr, "ttpmany: port %d: sent %llu got %llu%s\n",
						conns[i].key, conns[i].sent,
						conns[i].got,
						conns[i].connecting ? " (connecting)" : "");
			return 1;
		}
		if (poll(p, n, 1000) < 0)
			die("poll");
		for (i = 0; i < n; i++) {
			struct conn *c;
			int j;

			if (!p[i].revents)
				continue;
			if (p[i].fd == l) {
				if (accept_one(l, &accepted))
					die("accept");
				continue;
			}
			for (j = 0; conns[j].fd != p[i].fd; j++)
				;
			c = &conns[j];
			if (step(c, p[i].revents))
				return 1;
		}
	}
	for (i = 0; i < nconns; i++) {
		struct ttp_info in;
		socklen_t len = sizeof(in);

		memset(&in, 0, sizeof(in));
		if (!getsockopt(conns[i].fd, SOL_TTP, TTP_INFO, &in, &len))
			retrans += in.ttpi_segs_retrans;
		if (conns[i].got != nbytes) {
			fprintf(stderr, "ttpmany: port %d: received %llu bytes, expected %llu\n",
				conns[i].key, conns[i].got, nbytes);
			return 1;
		}
		close(conns[i].fd);
	}
	if (l >= 0)
		close(l);
	printf("conns=%d bytes=%llu each way retrans=%llu\n", nconns, nbytes,
	       retrans);
	return 0;
}
