// SPDX-License-Identifier: GPL-2.0
/*
 * ttpcat: netcat for TTP.
 *
 *   ttpcat [-u] HOST PORT     stdin to HOST:PORT, what comes back to stdout
 *   ttpcat -l [-u] PORT       listen on PORT, what arrives to stdout
 *
 * One poll() loop moves data both ways at once. -u selects the datagram
 * mode (SOCK_DGRAM); without it the stream mode (SOCK_STREAM), which needs
 * a module with stream support. Every error is one line
 * "ttpcat: <op> <addr>:<port>: <strerror>", sometimes followed by a hint.
 *
 * A stream session never blocks in send(): what stdin gave waits in its own
 * buffer until the socket takes it (POLLOUT), and meanwhile the socket is
 * still read. Two ttpcats sending to each other at once could otherwise
 * each sit in a blocking send(), each waiting for the other to read (once a
 * read of stdin outgrows what the buffers in between hold: small SO_RCVBUF,
 * a slow link). stdin is read again only once that buffer is empty; at its
 * end the socket is half-closed (shutdown(SHUT_WR): our FIN) once the
 * buffer has drained, and the session ends when the peer's FIN has arrived
 * too.
 */
#define _GNU_SOURCE		/* accept4() */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "ttp_util.h"

#define BUF_LEN		65536
#define MAX_IDLE_SECS	(24.0 * 3600 * 365)

enum result { DONE, FAIL, CONT };

struct cfg {
	bool listen;		/* -l */
	bool dgram;		/* -u */
	bool keep;		/* -k */
	bool verbose;		/* -v */
	int idle_ms;		/* -q, -1 when unset */
	unsigned long count;	/* -c, 0 when unset */
	const char *bind_host;	/* -b or the listener's ADDR argument */
	unsigned short src_port;	/* -p */
	bool have_src_port;
	const char *host;	/* client: the peer's name */
	unsigned short port;	/* client: peer port; listener: local port */
	int family;		/* AF_TTP as the loaded module has it */
};

/* One conversation: a connected socket or the datagram listener's socket. */
struct session {
	int fd;
	struct sockaddr_ttp peer;	/* datagram listener: latest sender */
	bool have_peer;
	bool peer_done;			/* stream: the peer sent its FIN */
	size_t out_off, out_len;	/* stream: obuf[out_off..out_len) unsent */
	struct in_addr name_addr;	/* what error messages name */
	unsigned short name_port;
	unsigned long received;		/* datagrams, for -c */
	long long last;			/* last traffic, ms since boot */
};

static char buf[BUF_LEN];	/* socket to stdout; datagram: both ways */
static char obuf[BUF_LEN];	/* stream: stdin to socket */
static bool stdin_open = true;

static void print_help(FILE *f)
{
	fprintf(f,
		"Usage: ttpcat [options] HOST PORT   send stdin to HOST:PORT, print what comes back\n"
		"       ttpcat -l [options] [ADDR] PORT\n"
		"                                    listen on PORT, print what arrives\n"
		"\n"
		"Options:\n"
		"  -u        datagram mode (SOCK_DGRAM); the default is stream mode\n"
		"  -l        listen instead of connecting\n"
		"  -k        stream listener: accept another connection after one ends\n"
		"            (a datagram listener always keeps receiving); without it\n"
		"            the listener takes one connection and stops listening\n"
		"  -b ADDR   bind to local address ADDR (a name or an IPv4 address)\n"
		"  -p PORT   client: bind to local port PORT\n"
		"  -q SECS   quit after SECS seconds (fractions allowed) without traffic\n"
		"            in either direction; also bounds connect and accept\n"
		"  -c COUNT  datagram mode: quit after receiving COUNT datagrams\n"
		"  -v        report addresses and datagram sizes on stderr\n"
		"  -h, --help\n"
		"\n"
		"Datagram mode: each read from stdin is sent as one datagram (at most %d\n"
		"bytes) and each datagram's payload is written to stdout as it is. A client\n"
		"exits at end of stdin unless -q or -c asks it to wait for replies. A listener\n"
		"prints datagrams from anyone and sends stdin to the sender of the latest one\n"
		"(stdin is not read before a datagram has arrived).\n"
		"\n"
		"Stream mode (the default, no -u): a byte stream both ways at once, like\n"
		"TCP. At the end of stdin ttpcat half-closes the connection (sends its\n"
		"FIN) and goes on printing what arrives; it exits when the peer has\n"
		"finished too (0), or on an error such as a refused or reset connection\n"
		"(1). So \"ttpcat -l PORT > copy\" and \"ttpcat HOST PORT < file\" copy a file\n"
		"exactly. It needs a ttp module with stream support; on a module without\n"
		"it socket() fails (\"Socket type not supported\").\n"
		"\n"
		"HOST may be a name (/etc/hosts, DNS) or an IPv4 address. The socket family\n"
		"is read from %s, else AF_TTP (%d).\n"
		"Exit status: 0 when done (end of input, peer closed, -q or -c reached),\n"
		"1 on an error, 2 on a usage error.\n",
		TTP_MAX_DGRAM, TTP_FAMILY_PARAM, AF_TTP);
}

static void report(const char *op, struct in_addr addr, unsigned short port,
		   int err)
{
	char ap[TTP_ADDRPORT_LEN];

	fprintf(stderr, "ttpcat: %s %s: %s\n", op,
		ttp_addrport(ap, addr, port), strerror(err));
}

static void report_stdio(const char *op, int err)
{
	fprintf(stderr, "ttpcat: %s: %s\n", op, strerror(err));
}

static void socket_hint(const struct cfg *c, int err)
{
	if (err == EAFNOSUPPORT)
		fprintf(stderr,
			"ttpcat: no socket family %d: is the ttp module loaded?\n",
			c->family);
	else if (!c->dgram && (err == ESOCKTNOSUPPORT ||
			       err == EPROTONOSUPPORT || err == EOPNOTSUPP ||
			       err == EPROTOTYPE))
		fprintf(stderr,
			"ttpcat: stream mode needs a ttp module with stream support; -u selects datagrams\n");
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* poll() timeout until the idle limit, -1 when there is none */
static int idle_left(const struct cfg *c, long long last)
{
	long long left;

	if (c->idle_ms < 0)
		return -1;
	left = last + c->idle_ms - now_ms();
	if (left < 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* stdin, stdout and stderr must exist, or socket() would return one of them */
static void fix_std_fds(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
			exit(1);
}

static int resolve_host(const char *host, unsigned short port,
			struct in_addr *addrs, int max, int *n)
{
	int err = ttp_resolve(host, addrs, max, n);

	if (err)
		fprintf(stderr, "ttpcat: resolve %s:%u: %s\n", host, port,
			ttp_resolve_strerror(err));
	return err ? -1 : 0;
}

static int open_socket(const struct cfg *c, struct in_addr addr,
		       unsigned short port)
{
	int type = c->dgram ? SOCK_DGRAM : SOCK_STREAM;
	int fd, err;

	fd = socket(c->family, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		report("socket", addr, port, err);
		socket_hint(c, err);
	}
	return fd;
}

static int bind_local(int fd, int family, struct in_addr addr,
		      unsigned short port)
{
	struct sockaddr_ttp sa;

	ttp_sockaddr(&sa, family, addr, port);
	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return 0;
	report("bind", addr, port, errno);
	return -1;
}

static void session_init(struct session *s, int fd, struct in_addr addr,
			 unsigned short port)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->name_addr = addr;
	s->name_port = port;
	s->last = now_ms();
}

static enum result dgram_readable(const struct cfg *c, struct session *s)
{
	char ap[TTP_ADDRPORT_LEN];
	struct sockaddr_ttp from;
	socklen_t len = sizeof(from);
	ssize_t n;

	memset(&from, 0, sizeof(from));
	n = recvfrom(s->fd, buf, sizeof(buf), MSG_DONTWAIT,
		     (struct sockaddr *)&from, &len);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return CONT;
		report("recv", s->name_addr, s->name_port, errno);
		return FAIL;
	}
	s->last = now_ms();
	if (c->verbose)
		fprintf(stderr, "ttpcat: %zd bytes from %s\n", n,
			ttp_addrport(ap, from.sttp_addr, ntohs(from.sttp_port)));
	if (write_all(STDOUT_FILENO, buf, n)) {
		report_stdio("write stdout", errno);
		return FAIL;
	}
	if (c->listen) {
		s->peer = from;
		s->have_peer = true;
	}
	if (c->count && ++s->received >= c->count)
		return DONE;
	return CONT;
}

static enum result stream_readable(struct session *s)
{
	ssize_t n;

	n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return CONT;
		report("recv", s->name_addr, s->name_port, errno);
		return FAIL;
	}
	if (!n) {
		/* the peer is done sending; finish sending stdin */
		s->peer_done = true;
		return stdin_open || s->out_len ? CONT : DONE;
	}
	s->last = now_ms();
	if (write_all(STDOUT_FILENO, buf, n)) {
		report_stdio("write stdout", errno);
		return FAIL;
	}
	return CONT;
}

static enum result stream_shutdown(struct session *s)
{
	if (shutdown(s->fd, SHUT_WR) && errno != ENOTCONN) {
		report("shutdown", s->name_addr, s->name_port, errno);
		return FAIL;
	}
	return s->peer_done ? DONE : CONT;
}

/*
 * Hand the socket what it takes of obuf without waiting; once obuf is empty
 * and stdin has ended, send our FIN.
 */
static enum result stream_writable(struct session *s)
{
	ssize_t n;

	while (s->out_off < s->out_len) {
		n = send(s->fd, obuf + s->out_off, s->out_len - s->out_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return CONT;	/* poll() says when: POLLOUT */
			report("send", s->name_addr, s->name_port, errno);
			return FAIL;
		}
		s->out_off += n;
		s->last = now_ms();
	}
	s->out_off = 0;
	s->out_len = 0;
	return stdin_open ? CONT : stream_shutdown(s);
}

/*
 * POLLERR or POLLHUP on a stream whose peer has finished and which has
 * nothing to send: the connection is gone (reset, or closed under us).
 */
static enum result stream_broken(struct session *s)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	report("send", s->name_addr, s->name_port, err ?: EPIPE);
	return FAIL;
}

static enum result stream_events(struct session *s, short revents)
{
	const short trouble = POLLERR | POLLHUP;
	enum result r = CONT;

	if (!s->peer_done && (revents & (POLLIN | trouble)))
		r = stream_readable(s);
	if (r == CONT && s->out_len && (revents & (POLLOUT | trouble)))
		r = stream_writable(s);
	if (r == CONT && s->peer_done && !s->out_len && (revents & trouble))
		r = stream_broken(s);
	return r;
}

static enum result stdin_eof(const struct cfg *c, struct session *s)
{
	stdin_open = false;
	if (!c->dgram)
		return s->out_len ? CONT : stream_shutdown(s);
	if (!c->listen && c->idle_ms < 0 && !c->count)
		return DONE;
	return CONT;
}

static enum result send_dgram(const struct cfg *c, struct session *s,
			      size_t len)
{
	struct in_addr addr = s->name_addr;
	unsigned short port = s->name_port;
	ssize_t n;

	if (c->listen) {
		addr = s->peer.sttp_addr;
		port = ntohs(s->peer.sttp_port);
		do {
			n = sendto(s->fd, buf, len, MSG_NOSIGNAL,
				   (struct sockaddr *)&s->peer,
				   sizeof(s->peer));
		} while (n < 0 && errno == EINTR);
	} else {
		do {
			n = send(s->fd, buf, len, MSG_NOSIGNAL);
		} while (n < 0 && errno == EINTR);
	}
	if (n >= 0)
		return CONT;
	report("send", addr, port, errno);
	return FAIL;
}

/* Datagram: one read is one datagram. Stream: the read fills obuf. */
static enum result stdin_readable(const struct cfg *c, struct session *s)
{
	char *p = c->dgram ? buf : obuf;
	size_t max = c->dgram ? TTP_MAX_DGRAM : sizeof(obuf);
	ssize_t n;

	n = read(STDIN_FILENO, p, max);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return CONT;
		if (errno == EBADF)
			return stdin_eof(c, s);
		report_stdio("read stdin", errno);
		return FAIL;
	}
	if (!n)
		return stdin_eof(c, s);
	s->last = now_ms();
	if (c->dgram)
		return send_dgram(c, s, n);
	s->out_off = 0;
	s->out_len = n;
	return stream_writable(s);
}

/* The events to poll the socket for; 0 still reports POLLERR and POLLHUP. */
static short sock_events(const struct cfg *c, const struct session *s)
{
	short ev = 0;

	if (!s->peer_done)
		ev |= POLLIN;
	if (!c->dgram && s->out_len)
		ev |= POLLOUT;
	return ev;
}

/*
 * Move data both ways until the idle limit, -c, an error, or: in stream
 * mode both directions ended (stdin EOF and all of it sent, then our FIN,
 * and the peer's FIN); in datagram mode a client's stdin EOF.
 */
static enum result session_run(const struct cfg *c, struct session *s)
{
	struct pollfd pfd[2];
	enum result r;
	int nfds, in, sock, ready;

	/* stream listener -k: stdin ended during an earlier connection */
	if (!c->dgram && !stdin_open) {
		r = stream_shutdown(s);
		if (r != CONT)
			return r;
	}

	for (;;) {
		nfds = 0;
		in = -1;
		/*
		 * A datagram listener has nobody to send stdin to yet; a
		 * stream reads stdin again once obuf is sent.
		 */
		if (stdin_open && !s->out_len &&
		    !(c->dgram && c->listen && !s->have_peer)) {
			pfd[nfds].fd = STDIN_FILENO;
			pfd[nfds].events = POLLIN;
			in = nfds++;
		}
		pfd[nfds].fd = s->fd;
		pfd[nfds].events = sock_events(c, s);
		sock = nfds++;

		ready = poll(pfd, nfds, idle_left(c, s->last));
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			report_stdio("poll", errno);
			return FAIL;
		}
		if (!ready) {
			if (c->verbose)
				fprintf(stderr, "ttpcat: idle, quitting\n");
			return DONE;
		}

		r = CONT;
		if (pfd[sock].revents)
			r = c->dgram ? dgram_readable(c, s) :
			    stream_events(s, pfd[sock].revents);
		if (r == CONT && in >= 0 && (pfd[in].revents & POLLNVAL))
			r = stdin_eof(c, s);
		else if (r == CONT && in >= 0 && pfd[in].revents)
			r = stdin_readable(c, s);
		if (r != CONT)
			return r;
	}
}

/* connect(), bounded by the idle limit when there is one */
static int connect_wait(const struct cfg *c, int fd,
			const struct sockaddr_ttp *sa)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	long long start = now_ms();
	int flags, err, r;

	flags = fcntl(fd, F_GETFL);
	if (c->idle_ms >= 0 && !c->dgram)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (!connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
		goto out;
	if (errno != EINPROGRESS)
		return -1;
	do {
		r = poll(&pfd, 1, idle_left(c, start));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	if (!r) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -1;
	if (err) {
		errno = err;
		return -1;
	}
out:
	fcntl(fd, F_SETFL, flags);
	return 0;
}

/*
 * A socket connected to @addr, or -1 after reporting why not; *@fatal says
 * whether trying the next address is pointless.
 */
static int connect_to(const struct cfg *c, struct in_addr addr,
		      struct in_addr local, bool *fatal)
{
	struct sockaddr_ttp sa;
	int fd;

	*fatal = true;
	fd = open_socket(c, addr, c->port);
	if (fd < 0)
		return -1;
	if ((c->bind_host || c->have_src_port) &&
	    bind_local(fd, c->family, local, c->src_port)) {
		close(fd);
		return -1;
	}
	ttp_sockaddr(&sa, c->family, addr, c->port);
	if (connect_wait(c, fd, &sa)) {
		report("connect", addr, c->port, errno);
		close(fd);
		*fatal = false;
		return -1;
	}
	return fd;
}

static enum result run_client(const struct cfg *c)
{
	struct in_addr addrs[TTP_RESOLVE_MAX], local = { INADDR_ANY };
	char ap[TTP_ADDRPORT_LEN];
	struct session s;
	int i, n, fd = -1;
	bool fatal = false;
	enum result r;

	if (resolve_host(c->host, c->port, addrs, TTP_RESOLVE_MAX, &n))
		return FAIL;
	if (c->bind_host && resolve_host(c->bind_host, c->src_port, &local, 1, &i))
		return FAIL;

	for (i = 0; i < n && fd < 0 && !fatal; i++)
		fd = connect_to(c, addrs[i], local, &fatal);
	if (fd < 0)
		return FAIL;
	i--;	/* the address that worked */

	if (c->verbose)
		fprintf(stderr, "ttpcat: %s %s\n",
			c->dgram ? "sending to" : "connected to",
			ttp_addrport(ap, addrs[i], c->port));
	session_init(&s, fd, addrs[i], c->port);
	r = session_run(c, &s);
	close(fd);
	return r;
}

static void report_local(int fd, const char *what)
{
	char ap[TTP_ADDRPORT_LEN];
	struct sockaddr_ttp sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len))
		return;
	fprintf(stderr, "ttpcat: %s %s\n", what,
		ttp_addrport(ap, sa.sttp_addr, ntohs(sa.sttp_port)));
}

/* accept(), bounded by the idle limit; -1 with errno 0 on timeout */
static int accept_wait(const struct cfg *c, int lfd, struct sockaddr_ttp *peer)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	long long start = now_ms();
	socklen_t len;
	int r;

	for (;;) {
		r = poll(&pfd, 1, idle_left(c, start));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (!r) {
			errno = 0;
			return -1;
		}
		len = sizeof(*peer);
		r = accept4(lfd, (struct sockaddr *)peer, &len, SOCK_CLOEXEC);
		if (r >= 0 || (errno != EINTR && errno != EAGAIN &&
			       errno != ECONNABORTED))
			return r;
	}
}

/*
 * One connection at a time: without -k the first, and the listening socket
 * is closed as soon as it is accepted (a later connect() is refused, as
 * with nc); with -k the next after each, until -q's idle limit or an accept
 * error. A connection that fails is reported and, with -k, the next one is
 * served all the same; the exit status then says that one failed.
 */
static enum result stream_serve(const struct cfg *c, int lfd,
				struct in_addr local)
{
	char ap[TTP_ADDRPORT_LEN];
	struct sockaddr_ttp peer;
	enum result r = DONE;
	struct session s;
	bool failed = false;
	int fd;

	if (listen(lfd, c->keep ? 16 : 1)) {
		report("listen", local, c->port, errno);
		close(lfd);
		return FAIL;
	}
	do {
		memset(&peer, 0, sizeof(peer));
		fd = accept_wait(c, lfd, &peer);
		if (fd < 0) {
			r = errno ? FAIL : DONE;	/* else idle */
			if (r == FAIL)
				report("accept", local, c->port, errno);
			break;
		}
		if (!c->keep) {
			close(lfd);
			lfd = -1;
		}
		if (c->verbose)
			fprintf(stderr, "ttpcat: connection from %s\n",
				ttp_addrport(ap, peer.sttp_addr,
					     ntohs(peer.sttp_port)));
		session_init(&s, fd, peer.sttp_addr, ntohs(peer.sttp_port));
		r = session_run(c, &s);
		close(fd);
		failed |= r == FAIL;
	} while (c->keep);
	if (lfd >= 0)
		close(lfd);
	return failed ? FAIL : r;
}

static enum result run_listen(const struct cfg *c)
{
	struct in_addr local = { INADDR_ANY };
	struct session s;
	int fd, n, one = 1;
	enum result r;

	if (c->bind_host && resolve_host(c->bind_host, c->port, &local, 1, &n))
		return FAIL;
	fd = open_socket(c, local, c->port);
	if (fd < 0)
		return FAIL;
	/* stream only: on datagram sockets it would allow a second bind */
	if (!c->dgram)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind_local(fd, c->family, local, c->port)) {
		close(fd);
		return FAIL;
	}
	if (c->verbose)
		report_local(fd, "listening on");

	if (!c->dgram)
		return stream_serve(c, fd, local);	/* closes fd */
	session_init(&s, fd, local, c->port);
	r = session_run(c, &s);
	close(fd);
	return r;
}

static int parse_secs(const char *s, int *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0 && v <= MAX_IDLE_SECS))
		return -1;
	*ms = (int)(v * 1000 + 0.5);
	return 0;
}

static int parse_count(const char *s, unsigned long *count)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*count = strtoul(s, &end, 10);
	return errno || *end || !*count ? -1 : 0;
}

static int bad_arg(const char *what, const char *arg)
{
	fprintf(stderr, "ttpcat: invalid %s '%s'\n", what, arg);
	return -1;
}

static int parse_opts(int argc, char **argv, struct cfg *c)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":lukvb:p:q:c:h", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'l':
			c->listen = true;
			break;
		case 'u':
			c->dgram = true;
			break;
		case 'k':
			c->keep = true;
			break;
		case 'v':
			c->verbose = true;
			break;
		case 'b':
			c->bind_host = optarg;
			break;
		case 'p':
			if (ttp_parse_port(optarg, &c->src_port))
				return bad_arg("port", optarg);
			c->have_src_port = true;
			break;
		case 'q':
			if (parse_secs(optarg, &c->idle_ms))
				return bad_arg("number of seconds", optarg);
			break;
		case 'c':
			if (parse_count(optarg, &c->count))
				return bad_arg("count", optarg);
			break;
		case 'h':
			print_help(stdout);
			exit(0);
		case ':':
			fprintf(stderr, "ttpcat: option -%c needs an argument\n",
				optopt);
			return -1;
		default:
			if (optopt)
				fprintf(stderr, "ttpcat: invalid option -%c\n",
					optopt);
			else
				bad_arg("option", argv[optind - 1]);
			return -1;
		}
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct cfg *c)
{
	int nargs;

	if (parse_opts(argc, argv, c))
		return -1;
	nargs = argc - optind;

	if (c->count && !c->dgram) {
		fprintf(stderr, "ttpcat: -c needs -u\n");
		return -1;
	}
	if (c->listen) {
		if (c->have_src_port) {
			fprintf(stderr, "ttpcat: -p is for clients; a listener's port is PORT\n");
			return -1;
		}
		if (nargs == 2 && c->bind_host) {
			fprintf(stderr, "ttpcat: give ADDR or -b, not both\n");
			return -1;
		}
		if (nargs == 2)
			c->bind_host = argv[optind++];
		else if (nargs != 1)
			goto wrong_count;
	} else if (nargs == 2) {
		c->host = argv[optind++];
	} else {
		goto wrong_count;
	}

	if (ttp_parse_port(argv[optind], &c->port))
		return bad_arg("port", argv[optind]);
	if (!c->listen && !c->port)
		return bad_arg("port", argv[optind]);
	return 0;

wrong_count:
	fprintf(stderr, "ttpcat: %s\n", nargs ? "too many arguments" :
		"missing arguments");
	return -1;
}

int main(int argc, char **argv)
{
	struct cfg c = { .idle_ms = -1 };
	enum result r;

	fix_std_fds();
	if (parse_args(argc, argv, &c)) {
		fprintf(stderr, "Try 'ttpcat --help' for more information.\n");
		return 2;
	}
	c.family = ttp_family();

	r = c.listen ? run_listen(&c) : run_client(&c);
	return r == FAIL ? 1 : 0;
}
