// SPDX-License-Identifier: GPL-2.0
/*
 * ttpperf: measure TTP side by side with TCP, UDP and AF_UNIX, through one
 * code path (only the socket family differs).
 *
 *   ttpperf -s [-p PORT] [-B ADDR] [-A CPU]          serve every test
 *   ttpperf -c HOST [-f FAMILY] [-m TEST] [options]   run one test
 *
 * Tests (-m): bulk (one or -P N streams for -l seconds or -n bytes:
 * goodput as the server counted it, retransmissions), rr (-S byte
 * request/response: transactions/s, mean, p50, p99), crr (connect, one
 * request/response, close: transactions/s and the same latencies), dgram
 * (datagrams of -S bytes as fast as they go: sent and received per second,
 * loss), idle (-n connections that send nothing, held for -l seconds:
 * what idle connections cost). FAMILY (-f): ttp, tcp or unix for the stream tests; ttp, udp or
 * unix for dgram. AF_UNIX uses abstract names, so its client and server
 * share a network namespace.
 *
 * The wire: each stream connection opens with a struct hello (the test and
 * its size). bulk: the client's bytes, its FIN, then the server's count of
 * what arrived (8 bytes), which must equal what was sent. rr: the server
 * echoes each -S byte request. crr: one request, then the server closes
 * (so TIME_WAIT stays on its side, as netperf's TCP_CRR has it). dgram:
 * each datagram starts with a struct dgram_hdr; at the end the client sends
 * END until the server answers with the session's counts.
 */
#define _GNU_SOURCE		/* sched_setaffinity() */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <endian.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "ttp_util.h"

#define PERF_MAGIC	0x54545046u	/* "TTPF" */
#define DEF_PORT	5301
#define MAX_STREAMS	64
#define BULK_SIZE	131072
#define DGRAM_MIN	((int)sizeof(struct dgram_hdr))
#define NSESSIONS	64

enum fam { FAM_TTP, FAM_INET, FAM_UNIX };
enum test { T_BULK = 1, T_RR, T_CRR, T_DGRAM, T_IDLE };
enum dkind { D_DATA = 1, D_END, D_REPORT };

struct hello {
	uint32_t magic;
	uint32_t test;
	uint32_t size;
	uint32_t pad;
};

struct dgram_hdr {
	uint32_t magic;
	uint32_t session;
	uint64_t seq;		/* D_REPORT: datagrams received */
	uint64_t bytes;		/* D_REPORT: bytes received */
	uint32_t kind;
	uint32_t pad;
};

union addr {
	struct sockaddr sa;
	struct sockaddr_ttp ttp;
	struct sockaddr_in in;
	struct sockaddr_un un;
};

struct cfg {
	bool server;
	const char *host;
	const char *bind_host;
	unsigned short port;
	enum fam fam;
	const char *fam_name;
	enum test test;
	double secs;		/* -l */
	long long count;	/* -n: bytes (bulk), transactions, datagrams */
	int size;		/* -S */
	int streams;		/* -P */
	int cpu;		/* -A, -1: any */
	bool quiet;		/* -q */
	bool json;		/* -J */
	const char *cong;	/* -C: congestion control, NULL: the default */
	int ttp_family;
	struct in_addr addr;
};

static struct cfg cfg = {
	.port = DEF_PORT, .fam = FAM_TTP, .fam_name = "ttp", .test = T_BULK,
	.secs = 10, .size = -1, .streams = 1, .cpu = -1,
};

/*
 * What the client's threads have done so far, for the progress lines, and
 * the end of the test (the time is up, or a signal came). Both atomic.
 */
static long long progress;	/* bytes, transactions or datagrams */
static bool stop;

static const char *const test_names[] = {
	[T_BULK] = "bulk", [T_RR] = "rr", [T_CRR] = "crr", [T_DGRAM] = "dgram",
	[T_IDLE] = "idle",
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("ttpperf: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* As many descriptors as the hard limit allows (idle connections). */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("CPU %d: %s", cpu, strerror(errno));
}

/* ---- sockets of each family ---- */

static int sock_domain(enum fam fam)
{
	return fam == FAM_TTP ? cfg.ttp_family :
	       fam == FAM_INET ? AF_INET : AF_UNIX;
}

/* The address of port @port for @type: TTP and INET by @ip, UNIX by name. */
static socklen_t make_addr(union addr *a, enum fam fam, int type,
			   struct in_addr ip, unsigned short port)
{
	memset(a, 0, sizeof(*a));
	if (fam == FAM_TTP) {
		ttp_sockaddr(&a->ttp, cfg.ttp_family, ip, port);
		return sizeof(a->ttp);
	}
	if (fam == FAM_INET) {
		a->in.sin_family = AF_INET;
		a->in.sin_port = htons(port);
		a->in.sin_addr = ip;
		return sizeof(a->in);
	}
	a->un.sun_family = AF_UNIX;
	/* abstract: sun_path[0] stays 0 */
	return offsetof(struct sockaddr_un, sun_path) + 1 +
	       snprintf(a->un.sun_path + 1, sizeof(a->un.sun_path) - 1,
			"ttpperf.%s.%u", type == SOCK_STREAM ? "s" : "d", port);
}

static void set_nodelay(int fd, enum fam fam)
{
	int one = 1;

	if (fam == FAM_TTP)
		setsockopt(fd, SOL_TTP, TTP_NODELAY, &one, sizeof(one));
	else if (fam == FAM_INET)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Segments the stream @fd retransmitted, -1 where there is no such count. */
static long long retrans_of(int fd, enum fam fam)
{
	struct ttp_info ti;
	struct tcp_info tci;
	socklen_t len;

	if (fam == FAM_TTP) {
		len = sizeof(ti);
		if (!getsockopt(fd, SOL_TTP, TTP_INFO, &ti, &len))
			return (long long)ti.ttpi_segs_retrans;
	} else if (fam == FAM_INET) {
		len = sizeof(tci);
		if (!getsockopt(fd, IPPROTO_TCP, TCP_INFO, &tci, &len))
			return tci.tcpi_total_retrans;
	}
	return -1;
}

/* The congestion control of the stream @fd in @name, "-" where none. */
static void cong_of(int fd, char name[16])
{
	socklen_t len = 16;
	int r = -1;

	memset(name, 0, 16);
	if (cfg.fam == FAM_TTP)
		r = getsockopt(fd, SOL_TTP, TTP_CONGESTION, name, &len);
	else if (cfg.fam == FAM_INET)
		r = getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len);
	if (r || !name[0] || name[15])
		strcpy(name, "-");
}

static int read_full(int fd, void *p, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = recv(fd, (char *)p + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -1 : (int)got;
		got += n;
	}
	return (int)got;
}

static int write_full(int fd, const void *p, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = send(fd, (const char *)p + done, len - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		done += n;
	}
	return 0;
}

/* ---- the server ---- */

/* A connection that declared its test, for its thread. */
struct conn_arg {
	int fd;
	enum fam fam;
	struct hello h;
};

static void serve_bulk(int fd)
{
	static __thread char buf[BULK_SIZE];
	uint64_t total = 0, be;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		total += n;
	}
	be = htobe64(total);
	write_full(fd, &be, sizeof(be));
}

static void serve_rr(int fd, enum fam fam, uint32_t size, bool once)
{
	char *buf = malloc(size);

	if (!buf)
		return;
	set_nodelay(fd, fam);
	while (read_full(fd, buf, size) == (int)size &&
	       !write_full(fd, buf, size) && !once)
		;
	free(buf);
}

static void *serve_conn(void *p)
{
	struct conn_arg *a = p;
	uint32_t size = ntohl(a->h.size);

	switch (ntohl(a->h.test)) {
	case T_BULK:
		serve_bulk(a->fd);
		break;
	case T_RR:
	case T_CRR:
		if (size && size <= 1 << 24)
			serve_rr(a->fd, a->fam, size,
				 ntohl(a->h.test) == T_CRR);
		break;
	}
	close(a->fd);
	free(a);
	return NULL;
}

/*
 * The server's poll set: its listening and datagram sockets first, then
 * the accepted connections that have not sent their hello yet (idle ones
 * stay there, costing no thread). Only the main thread touches it.
 */
struct pollset {
	struct pollfd *p;
	enum fam *fam;
	int n, cap, nfixed;
};

static void pollset_add(struct pollset *ps, int fd, enum fam fam)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 16;
		ps->p = realloc(ps->p, ps->cap * sizeof(*ps->p));
		ps->fam = realloc(ps->fam, ps->cap * sizeof(*ps->fam));
		if (!ps->p || !ps->fam)
			die("out of memory");
	}
	ps->p[ps->n] = (struct pollfd){ .fd = fd, .events = POLLIN };
	ps->fam[ps->n++] = fam;
}

/* Entry @i leaves the set (the last one takes its place). */
static void pollset_del(struct pollset *ps, int i)
{
	ps->n--;
	ps->p[i] = ps->p[ps->n];
	ps->fam[i] = ps->fam[ps->n];
}

/*
 * Connection @i of the set is readable: once its whole hello is there, a
 * thread serves it. Returns true when it left the set.
 */
static bool serve_hello(struct pollset *ps, int i)
{
	struct conn_arg *a;
	struct hello h;
	pthread_t t;
	ssize_t n;

	n = recv(ps->p[i].fd, &h, sizeof(h), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n > 0 && n < (ssize_t)sizeof(h))
		return false;	/* the rest is on its way */
	a = n > 0 && ntohl(h.magic) == PERF_MAGIC ? malloc(sizeof(*a)) : NULL;
	if (a) {
		recv(ps->p[i].fd, &a->h, sizeof(a->h), 0);
		a->fd = ps->p[i].fd;
		a->fam = ps->fam[i];
		if (!pthread_create(&t, NULL, serve_conn, a)) {
			pthread_detach(t);
			pollset_del(ps, i);
			return true;
		}
		free(a);
	}
	close(ps->p[i].fd);	/* its end, or not ttpperf's client */
	pollset_del(ps, i);
	return true;
}

struct session {
	uint32_t id;
	uint64_t received, bytes;
	double last;
};

/* The session @id counts, the longest idle one making room for it. */
static struct session *session_of(struct session *tab, uint32_t id)
{
	struct session *old = tab;
	int i;

	for (i = 0; i < NSESSIONS; i++) {
		if (tab[i].id == id)
			return &tab[i];
		if (tab[i].last < old->last)
			old = &tab[i];
	}
	memset(old, 0, sizeof(*old));
	old->id = id;
	return old;
}

/* One datagram from @fd, if one is there: false when none was. */
static bool serve_datagram(int fd, struct session *tab)
{
	static char buf[TTP_MAX_DGRAM];
	struct dgram_hdr *h = (struct dgram_hdr *)buf;
	union addr from;
	socklen_t fl = sizeof(from);
	struct session *s;
	ssize_t n;

	n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, &from.sa, &fl);
	if (n < 0)
		return errno != EAGAIN && errno != EWOULDBLOCK;
	if (n < DGRAM_MIN || ntohl(h->magic) != PERF_MAGIC)
		return true;
	s = session_of(tab, ntohl(h->session));
	s->last = now_s();
	if (ntohl(h->kind) == D_DATA) {
		s->received++;
		s->bytes += n;
	} else if (ntohl(h->kind) == D_END) {
		h->kind = htonl(D_REPORT);
		h->seq = htobe64(s->received);
		h->bytes = htobe64(s->bytes);
		sendto(fd, buf, sizeof(*h), MSG_DONTWAIT, &from.sa, fl);
	}
	return true;
}

/* What @fd holds, a bounded batch per wakeup (one poll per datagram costs). */
static void serve_dgram(int fd, struct session *tab)
{
	int i;

	for (i = 0; i < 1024 && serve_datagram(fd, tab); i++)
		;
}

static const char *fam_label(enum fam fam, int type)
{
	if (fam == FAM_TTP)
		return type == SOCK_STREAM ? "ttp stream" : "ttp dgram";
	if (fam == FAM_INET)
		return type == SOCK_STREAM ? "tcp" : "udp";
	return type == SOCK_STREAM ? "unix stream" : "unix dgram";
}

/* A socket of @fam and @type bound to the server's port, -1 if refused. */
static int serve_socket(enum fam fam, int type)
{
	struct in_addr any = { .s_addr = htonl(INADDR_ANY) };
	int fd, one = 1;
	union addr a;
	socklen_t al;

	fd = socket(sock_domain(fam), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	al = make_addr(&a, fam, type, cfg.bind_host ? cfg.addr : any,
		       cfg.port);
	if (fam != FAM_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, &a.sa, al) ||
	    (type == SOCK_STREAM && listen(fd, SOMAXCONN)))
		die("%s port %u: %s", fam_label(fam, type), cfg.port,
		    strerror(errno));
	return fd;
}

/* Every family and type at once: a thread per connection, datagrams here. */
static void run_server(void)
{
	static struct session tab[NSESSIONS];
	struct pollset ps = { 0 };
	bool stream[6];
	int f, t, i, fd;

	for (f = FAM_TTP; f <= FAM_UNIX; f++) {
		for (t = SOCK_STREAM; t <= SOCK_DGRAM; t++) {
			fd = serve_socket(f, t);
			if (fd < 0) {
				fprintf(stderr, "ttpperf: %s: %s (not served)\n",
					fam_label(f, t), strerror(errno));
				continue;
			}
			stream[ps.n] = t == SOCK_STREAM;
			pollset_add(&ps, fd, f);
		}
	}
	ps.nfixed = ps.n;
	if (!cfg.quiet)
		fprintf(stderr, "ttpperf: serving port %u\n", cfg.port);
	for (;;) {
		if (poll(ps.p, ps.n, -1) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (i = ps.n - 1; i >= ps.nfixed; i--)
			if (ps.p[i].revents)
				serve_hello(&ps, i);
		for (i = 0; i < ps.nfixed; i++) {
			if (!(ps.p[i].revents & POLLIN))
				continue;
			if (!stream[i]) {
				serve_dgram(ps.p[i].fd, tab);
				continue;
			}
			/* the listener does not block: all that wait */
			while ((fd = accept4(ps.p[i].fd, NULL, NULL,
					     SOCK_CLOEXEC)) >= 0)
				pollset_add(&ps, fd, ps.fam[i]);
		}
	}
}

/* ---- the client ---- */

/* One client thread's share and results. */
struct result {
	long long quota;	/* its share of -n, -1: until stopped */
	long long done;		/* bytes, transactions or datagrams sent */
	long long received;	/* bulk: the server's count; dgram: datagrams */
	long long retrans;	/* bulk: segments retransmitted, -1: unknown */
	char cong[16];		/* bulk: its congestion control, "-": none */
	long long errors;	/* dgram: sends that failed */
	long long ends;		/* dgram: END datagrams sent */
	double end;		/* when its last byte was counted */
	double *lat;		/* rr, crr: seconds per transaction */
	size_t nlat, cap;
};

static int finished;	/* client threads done */
static uint32_t sessions;	/* dgram sessions begun */

static bool more(const struct result *r)
{
	return !__atomic_load_n(&stop, __ATOMIC_RELAXED) &&
	       (r->quota < 0 || r->done < r->quota);
}

static void count_one(struct result *r, long long n)
{
	r->done += n;
	__atomic_add_fetch(&progress, n, __ATOMIC_RELAXED);
}

static void add_lat(struct result *r, double t)
{
	if (r->nlat == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 4096;
		r->lat = realloc(r->lat, r->cap * sizeof(*r->lat));
		if (!r->lat)
			die("out of memory");
	}
	r->lat[r->nlat++] = t;
}

static int client_socket(int type)
{
	int fd = socket(sock_domain(cfg.fam), type, 0);

	if (fd < 0)
		die("%s socket: %s%s", fam_label(cfg.fam, type), strerror(errno),
		    cfg.fam == FAM_TTP && errno == EAFNOSUPPORT ?
		    " (is the ttp module loaded?)" : "");
	return fd;
}

/* -C: TTP_CONGESTION or TCP_CONGESTION on a client's stream socket. */
static void set_cong(int fd)
{
	int r = 0;

	if (cfg.fam == FAM_TTP)
		r = setsockopt(fd, SOL_TTP, TTP_CONGESTION, cfg.cong,
			       strlen(cfg.cong));
	else if (cfg.fam == FAM_INET)
		r = setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cfg.cong,
			       strlen(cfg.cong));
	if (r)
		die("-C %s: %s", cfg.cong, strerror(errno));
}

static int client_connect(int type)
{
	int fd = client_socket(type);
	union addr a;
	socklen_t al;

	if (cfg.cong && type == SOCK_STREAM)
		set_cong(fd);

	al = make_addr(&a, cfg.fam, type, cfg.addr, cfg.port);
	if (cfg.fam == FAM_UNIX && type == SOCK_DGRAM &&
	    bind(fd, &a.sa, sizeof(sa_family_t)))	/* autobind: replies */
		die("unix dgram autobind: %s", strerror(errno));
	if (connect(fd, &a.sa, al))
		die("connect %s port %u: %s", fam_label(cfg.fam, type),
		    cfg.port, strerror(errno));
	return fd;
}

static struct hello hello_of(enum test test)
{
	return (struct hello){
		.magic = htonl(PERF_MAGIC), .test = htonl(test),
		.size = htonl(cfg.size),
	};
}

static void *bulk_thread(void *p)
{
	struct hello h = hello_of(T_BULK);
	struct result *r = p;
	char *buf = malloc(cfg.size);
	uint64_t be;
	ssize_t n;
	int fd;

	if (!buf)
		die("out of memory");
	memset(buf, 'x', cfg.size);
	fd = client_connect(SOCK_STREAM);
	if (write_full(fd, &h, sizeof(h)))
		die("send: %s", strerror(errno));
	while (more(r)) {
		n = cfg.size;
		if (r->quota >= 0 && n > r->quota - r->done)
			n = r->quota - r->done;
		n = send(fd, buf, n, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("send: %s", strerror(errno));
		count_one(r, n);
	}
	shutdown(fd, SHUT_WR);
	if (read_full(fd, &be, sizeof(be)) != sizeof(be))
		die("no byte count from the server: %s", strerror(errno));
	r->end = now_s();
	r->received = (long long)be64toh(be);
	if (r->received != r->done)
		die("the server counted %lld of %lld bytes", r->received,
		    r->done);
	r->retrans = retrans_of(fd, cfg.fam);
	cong_of(fd, r->cong);
	close(fd);
	free(buf);
	return NULL;
}

/* One request out, its echo back: 0, or -1 when the server stopped. */
static int transact(int fd, char *buf, struct result *r, double t0)
{
	if (write_full(fd, buf, cfg.size) ||
	    read_full(fd, buf, cfg.size) != cfg.size)
		return -1;
	add_lat(r, now_s() - t0);
	count_one(r, 1);
	return 0;
}

static void *rr_thread(void *p)
{
	struct hello h = hello_of(T_RR);
	struct result *r = p;
	char *buf = calloc(1, cfg.size);
	int fd;

	if (!buf)
		die("out of memory");
	fd = client_connect(SOCK_STREAM);
	set_nodelay(fd, cfg.fam);
	if (write_full(fd, &h, sizeof(h)))
		die("send: %s", strerror(errno));
	while (more(r))
		if (transact(fd, buf, r, now_s()))
			die("rr: the server closed the connection");
	r->end = now_s();
	close(fd);
	free(buf);
	return NULL;
}

/* connect, hello and request in one send, the echo, the server's FIN. */
static void *crr_thread(void *p)
{
	struct hello h = hello_of(T_CRR);
	size_t len = sizeof(h) + cfg.size;
	struct result *r = p;
	char *buf = calloc(1, len);
	double t0;
	int fd;

	if (!buf)
		die("out of memory");
	while (more(r)) {
		t0 = now_s();
		fd = client_connect(SOCK_STREAM);
		set_nodelay(fd, cfg.fam);
		memcpy(buf, &h, sizeof(h));
		if (write_full(fd, buf, len) ||
		    read_full(fd, buf, cfg.size) != cfg.size ||
		    recv(fd, buf, 1, 0) != 0)
			die("crr: transaction %lld failed: %s", r->done + 1,
			    errno ? strerror(errno) : "short answer");
		close(fd);
		add_lat(r, now_s() - t0);
		count_one(r, 1);
	}
	r->end = now_s();
	free(buf);
	return NULL;
}

static int dgram_send(int fd, struct dgram_hdr *h, int len, int kind,
		      uint64_t seq)
{
	h->kind = htonl(kind);
	h->seq = htobe64(seq);
	return send(fd, h, len, 0) == len ? 0 : -1;
}

/* END until the server reports the session's counts (5 s at most). */
static void dgram_report(int fd, struct dgram_hdr *h, struct result *r)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct dgram_hdr in;
	int i;

	for (i = 0; i < 50; i++) {
		if (!dgram_send(fd, h, sizeof(*h), D_END, r->done))
			r->ends++;
		while (poll(&pfd, 1, 100) == 1) {
			if (recv(fd, &in, sizeof(in), 0) != sizeof(in) ||
			    in.session != h->session ||
			    ntohl(in.kind) != D_REPORT)
				continue;
			r->received = (long long)be64toh(in.seq);
			return;
		}
	}
	die("dgram: no report from the server");
}

static void *dgram_thread(void *p)
{
	struct result *r = p;
	struct dgram_hdr *h = calloc(1, cfg.size);
	int fd;

	if (!h)
		die("out of memory");
	fd = client_connect(SOCK_DGRAM);
	h->magic = htonl(PERF_MAGIC);
	h->session = htonl(__atomic_add_fetch(&sessions, 1, __ATOMIC_RELAXED) ^
			   (uint32_t)getpid() << 16 ^ (uint32_t)(now_s() * 1e6));
	while (more(r)) {
		if (!dgram_send(fd, h, cfg.size, D_DATA, r->done)) {
			count_one(r, 1);
		} else if (errno == ENOBUFS || errno == EAGAIN ||
			   errno == EINTR) {
			r->errors++;
		} else {
			die("dgram send: %s", strerror(errno));
		}
	}
	r->end = now_s();
	dgram_report(fd, h, r);
	close(fd);
	free(h);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Every thread's latencies in one sorted array; *n their count. */
static double *all_lat(struct result *r, size_t *n)
{
	double *all;
	size_t i, k = 0;

	for (i = 0, *n = 0; i < (size_t)cfg.streams; i++)
		*n += r[i].nlat;
	all = malloc((*n ? *n : 1) * sizeof(*all));
	if (!all)
		die("out of memory");
	for (i = 0; i < (size_t)cfg.streams; i++) {
		memcpy(all + k, r[i].lat, r[i].nlat * sizeof(*all));
		k += r[i].nlat;
	}
	qsort(all, *n, sizeof(*all), cmp_double);
	return all;
}

/* ", N retransmitted segments" where the family counts them */
static const char *retrans_text(long long retr)
{
	static char buf[64];

	if (retr < 0)
		return "";
	snprintf(buf, sizeof(buf), ", %lld retransmitted segments", retr);
	return buf;
}

static void report_bulk(struct result *r, double secs)
{
	long long bytes = 0, retr = 0;
	int i;

	for (i = 0; i < cfg.streams; i++) {
		bytes += r[i].received;
		retr = r[i].retrans < 0 || retr < 0 ? -1 : retr + r[i].retrans;
	}
	if (cfg.json)
		printf("{\"family\":\"%s\",\"test\":\"bulk\",\"streams\":%d,\"size\":%d,\"seconds\":%.3f,\"bytes\":%lld,\"mbps\":%.1f,\"retrans\":%lld,\"cong\":\"%s\"}\n",
		       cfg.fam_name, cfg.streams, cfg.size, secs, bytes,
		       bytes * 8 / secs / 1e6, retr, r[0].cong);
	else
		printf("%s bulk, %d stream%s: %lld bytes in %.2f s, %.1f Mbit/s%s\n",
		       cfg.fam_name, cfg.streams, cfg.streams > 1 ? "s" : "",
		       bytes, secs, bytes * 8 / secs / 1e6,
		       retrans_text(retr));
}

static void report_rr(struct result *r, double secs)
{
	size_t n;
	double *lat = all_lat(r, &n), sum = 0, p50, p99;
	size_t i;

	for (i = 0; i < n; i++)
		sum += lat[i];
	p50 = n ? lat[n / 2] : 0;
	p99 = n ? lat[n - 1 - n / 100] : 0;
	if (cfg.json)
		printf("{\"family\":\"%s\",\"test\":\"%s\",\"streams\":%d,\"size\":%d,\"seconds\":%.3f,\"transactions\":%zu,\"tps\":%.1f,\"mean_us\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
		       cfg.fam_name, test_names[cfg.test], cfg.streams,
		       cfg.size, secs, n, n / secs, n ? sum / n * 1e6 : 0,
		       p50 * 1e6, p99 * 1e6);
	else
		printf("%s %s, %d B: %zu transactions in %.2f s, %.1f/s, mean %.1f us, p50 %.1f us, p99 %.1f us\n",
		       cfg.fam_name, test_names[cfg.test], cfg.size, n, secs,
		       n / secs, n ? sum / n * 1e6 : 0, p50 * 1e6, p99 * 1e6);
	free(lat);
}

static void report_dgram(struct result *r, double secs)
{
	long long sent = 0, got = 0, errs = 0, ends = 0;
	int i;

	for (i = 0; i < cfg.streams; i++) {
		sent += r[i].done;
		got += r[i].received;
		errs += r[i].errors;
		ends += r[i].ends;
	}
	if (cfg.json)
		printf("{\"family\":\"%s\",\"test\":\"dgram\",\"streams\":%d,\"size\":%d,\"seconds\":%.3f,\"sent\":%lld,\"received\":%lld,\"send_errors\":%lld,\"ends\":%lld,\"sent_pps\":%.1f,\"recv_pps\":%.1f,\"loss\":%.4f}\n",
		       cfg.fam_name, cfg.streams, cfg.size, secs, sent, got,
		       errs, ends, sent / secs, got / secs,
		       sent ? 1 - (double)got / sent : 0);
	else
		printf("%s dgram, %d B: %lld sent (%.1f/s), %lld received (%.1f/s), loss %.2f %%, %lld send errors\n",
		       cfg.fam_name, cfg.size, sent, sent / secs, got,
		       got / secs, sent ? 100 - 100.0 * got / sent : 0, errs);
}

static void progress_line(double from, double to, long long n)
{
	FILE *f = cfg.json ? stderr : stdout;
	double rate = n / (to - from);

	if (cfg.test == T_BULK)
		fprintf(f, "[%6.2f-%6.2f s] %.1f Mbit/s\n", from, to,
			rate * 8 / 1e6);
	else
		fprintf(f, "[%6.2f-%6.2f s] %.1f %s/s\n", from, to, rate,
			cfg.test == T_DGRAM ? "datagrams" : "transactions");
	fflush(f);
}

static void on_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
}

struct thread_arg {
	void *(*fn)(void *);
	struct result *r;
};

static void *client_thread(void *p)
{
	struct thread_arg *a = p;

	pin_cpu(cfg.cpu);
	a->fn(a->r);
	__atomic_add_fetch(&finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * -n connections (1000 by default) that send nothing, held open for -l
 * seconds or until a signal: what an idle connection costs, and what many
 * of them cost the others. The line saying they are open comes first.
 */
static void run_idle(void)
{
	long long n = cfg.count ? cfg.count : 1000, i;
	double t0 = now_s();
	int *fds = malloc(n * sizeof(*fds));

	if (!fds)
		die("out of memory");
	for (i = 0; i < n; i++)
		fds[i] = client_connect(SOCK_STREAM);
	if (cfg.json)
		printf("{\"family\":\"%s\",\"test\":\"idle\",\"connections\":%lld,\"seconds\":%.3f}\n",
		       cfg.fam_name, n, now_s() - t0);
	else
		printf("%s idle: %lld connections open in %.2f s\n",
		       cfg.fam_name, n, now_s() - t0);
	fflush(stdout);
	t0 = now_s();
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED) &&
	       now_s() - t0 < cfg.secs)
		usleep(100000);
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
}

/* The client threads, a progress line a second, the report. */
static void run_client(void)
{
	static void *(*const fns[])(void *) = {
		[T_BULK] = bulk_thread, [T_RR] = rr_thread,
		[T_CRR] = crr_thread, [T_DGRAM] = dgram_thread,
	};
	struct result r[MAX_STREAMS] = { 0 };
	struct thread_arg a[MAX_STREAMS];
	pthread_t t[MAX_STREAMS];
	double t0 = now_s(), mark = 0, end = 0, now;
	long long seen = 0, cur;
	int i;

	for (i = 0; i < cfg.streams; i++) {
		r[i].quota = !cfg.count ? -1 : cfg.count / cfg.streams +
					     (i < cfg.count % cfg.streams);
		a[i] = (struct thread_arg){ fns[cfg.test], &r[i] };
		if (pthread_create(&t[i], NULL, client_thread, &a[i]))
			die("pthread_create failed");
	}
	while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) < cfg.streams) {
		usleep(20000);
		now = now_s() - t0;
		if (!cfg.count && now >= cfg.secs)
			__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
		if (now - mark < 1)
			continue;
		cur = __atomic_load_n(&progress, __ATOMIC_RELAXED);
		if (!cfg.quiet)
			progress_line(mark, now, cur - seen);
		seen = cur;
		mark = now;
	}
	for (i = 0; i < cfg.streams; i++) {
		pthread_join(t[i], NULL);
		if (r[i].end > end)
			end = r[i].end;
	}
	if (cfg.test == T_BULK)
		report_bulk(r, end - t0);
	else if (cfg.test == T_DGRAM)
		report_dgram(r, end - t0);
	else
		report_rr(r, end - t0);
	for (i = 0; i < cfg.streams; i++)
		free(r[i].lat);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ttpperf -s [-p PORT] [-B ADDR] [-A CPU] [-q]\n"
		"       ttpperf -c HOST [-f FAMILY] [-m TEST] [-l SECS | -n N] [-S SIZE]\n"
		"               [-P STREAMS] [-p PORT] [-A CPU] [-C ALGO] [-q] [-J]\n"
		"\n"
		"  -s         serve: TTP stream and datagram, TCP, UDP and AF_UNIX (abstract\n"
		"             names) on PORT at once, each test every client asks for\n"
		"  -c HOST    run a test against the server on HOST (ignored for unix)\n"
		"  -f FAMILY  ttp (default), tcp, udp or unix: ttp, tcp and unix for bulk,\n"
		"             rr and crr; ttp, udp and unix for dgram\n"
		"  -m TEST    bulk (default): bytes one way, goodput as the server counted;\n"
		"             rr: request/response of SIZE bytes on one connection;\n"
		"             crr: connect, one request/response, close;\n"
		"             dgram: datagrams of SIZE bytes as fast as they go;\n"
		"             idle: N connections (-n, default 1000) that send nothing,\n"
		"             held for SECS or until a signal (ttp and tcp)\n"
		"  -l SECS    run for SECS seconds (default 10)\n"
		"  -n N       instead: N bytes (bulk), transactions (rr, crr) or datagrams\n"
		"  -S SIZE    bytes per send (bulk, default %d), per request and response\n"
		"             (rr, crr, default 1), per datagram (dgram, default 64, at\n"
		"             least %d)\n"
		"  -P N       N connections (or datagram sockets) at once, 1..%d\n"
		"  -p PORT    the server's port (default %d)\n"
		"  -B ADDR    server: bind to ADDR, not every address\n"
		"  -A CPU     run on CPU only\n"
		"  -C ALGO    client: the streams' congestion control (TTP: cubic or\n"
		"             newreno; TCP: what tcp_available_congestion_control lists)\n"
		"  -q         no progress line each second\n"
		"  -J         the result as one line of JSON on stdout (progress on stderr)\n"
		"  -h         this help\n"
		"\n"
		"Exit status: 0 when the test ran (every byte of bulk counted by the\n"
		"server), 1 on an error, 2 on a usage error.\n",
		BULK_SIZE, DGRAM_MIN, MAX_STREAMS, DEF_PORT);
}

static void bad_usage(const char *fmt, const char *arg)
{
	fputs("ttpperf: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n", stderr);
	usage(stderr);
	exit(2);
}

static long long parse_num(const char *s, long long lo, long long hi,
			   const char *what)
{
	long long v;
	char *end;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		bad_usage(what, s);
	return v;
}

static void parse_family(const char *s)
{
	static const struct { const char *name; enum fam fam; } tab[] = {
		{ "ttp", FAM_TTP }, { "tcp", FAM_INET }, { "udp", FAM_INET },
		{ "unix", FAM_UNIX },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++)
		if (!strcmp(s, tab[i].name)) {
			cfg.fam = tab[i].fam;
			cfg.fam_name = tab[i].name;
			return;
		}
	bad_usage("unknown family %s", s);
}

static void parse_test(const char *s)
{
	int i;

	for (i = T_BULK; i <= T_IDLE; i++)
		if (!strcmp(s, test_names[i])) {
			cfg.test = i;
			return;
		}
	bad_usage("unknown test %s", s);
}

static void parse_args(int argc, char **argv)
{
	char *end;
	int opt;

	while ((opt = getopt(argc, argv, "sc:f:m:l:n:S:P:p:B:A:C:qJh")) != -1) {
		switch (opt) {
		case 's':
			cfg.server = true;
			break;
		case 'c':
			cfg.host = optarg;
			break;
		case 'f':
			parse_family(optarg);
			break;
		case 'm':
			parse_test(optarg);
			break;
		case 'l':
			cfg.secs = strtod(optarg, &end);
			if (*end || end == optarg || !(cfg.secs > 0))
				bad_usage("bad time %s", optarg);
			break;
		case 'n':
			cfg.count = parse_num(optarg, 1, LLONG_MAX, "bad count %s");
			break;
		case 'S':
			cfg.size = parse_num(optarg, 1, TTP_MAX_DGRAM, "bad size %s");
			break;
		case 'P':
			cfg.streams = parse_num(optarg, 1, MAX_STREAMS,
						"bad stream count %s");
			break;
		case 'p':
			if (ttp_parse_port(optarg, &cfg.port) || !cfg.port)
				bad_usage("bad port %s", optarg);
			break;
		case 'B':
			cfg.bind_host = optarg;
			break;
		case 'A':
			cfg.cpu = parse_num(optarg, 0, CPU_SETSIZE - 1, "bad CPU %s");
			break;
		case 'C':
			cfg.cong = optarg;
			break;
		case 'q':
			cfg.quiet = true;
			break;
		case 'J':
			cfg.json = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument %s", argv[optind]);
}

/* The combinations that make sense, and each test's default size. */
static void check_args(void)
{
	bool dg = cfg.test == T_DGRAM;

	if (cfg.server == !!cfg.host)
		bad_usage("%s", "one of -s and -c HOST, please");
	if (cfg.cong && (cfg.server || dg || cfg.fam == FAM_UNIX))
		bad_usage("%s", "-C: a client's ttp or tcp streams only");
	if (cfg.server)
		return;
	if ((!strcmp(cfg.fam_name, "udp") && !dg) ||
	    (cfg.test == T_IDLE && cfg.fam == FAM_UNIX) ||
	    (!strcmp(cfg.fam_name, "tcp") && dg))
		bad_usage("family %s does not carry that test", cfg.fam_name);
	if (cfg.size < 0)
		cfg.size = cfg.test == T_BULK ? BULK_SIZE : dg ? 64 : 1;
	if (dg && cfg.size < DGRAM_MIN)
		bad_usage("-S: a datagram holds a %s-byte header", "32");
}

static void resolve(const char *host)
{
	int n, err;

	err = ttp_resolve(host, &cfg.addr, 1, &n);
	if (err)
		die("%s: %s", host, ttp_resolve_strerror(err));
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };

	parse_args(argc, argv);
	check_args();
	cfg.ttp_family = ttp_family();
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if (cfg.server) {
		if (cfg.bind_host)
			resolve(cfg.bind_host);
		pin_cpu(cfg.cpu);
		run_server();
	}
	if (cfg.fam != FAM_UNIX)
		resolve(cfg.host);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (cfg.test == T_IDLE)
		run_idle();
	else
		run_client();
	return 0;
}
