// SPDX-License-Identifier: GPL-2.0
/*
 * ttpdg: a datagram helper for the TTP shell tests.
 *
 *   ttpdg send [-n N] [-s SIZE] [-i USEC] [-p LPORT] [-q] ADDR PORT
 *	send N numbered datagrams of SIZE bytes (a header and a pattern
 *	derived from the sequence number)
 *   ttpdg recv [-n N] [-s SIZE] [-w IDLE_MS] [-t MS] [-a ADDR] [-r BYTES]
 *	      [-e] PORT
 *	receive and verify them until N arrived, nothing came for IDLE_MS
 *	(after the first) or MS passed, or (-e) a 1-byte "E" came; prints
 *	"received=R corrupt=C dup=D"; exit 0 iff C == 0 and D == 0
 *   ttpdg rx [-t MS] [-a ADDR] PORT	one datagram to stdout, "from=IP:PORT"
 *					on stderr
 *   ttpdg tx [-p LPORT] ADDR PORT	stdin as one datagram
 *   ttpdg hold [-a ADDR] [-q] PORT	bind, then wait for signals; each
 *					datagram received is echoed back
 *					(-q: never read, let the queue fill)
 *   ttpdg ping [-s SIZE] [-t MS] ADDR PORT
 *					send one datagram, expect it echoed
 *   ttpdg probe			exit 0 iff a TTP socket can be made
 *
 * The family comes from /sys/module/ttp/parameters/family (TTP_FAMILY
 * overrides it; TTP_TEST_AS_UDP=1 uses udp).
 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>

#include "ttp_test.h"

#define MAGIC	0x54545044u	/* "TTPD" */
#define MAXDG	65536

struct dg_hdr {
	uint32_t magic, seq, size, zero;
};

static struct {
	unsigned int n, size, interval_us;
	int idle_ms, total_ms, lport, rcvbuf;
	bool quiet, endmark;
	uint32_t addr;			/* host order */
} opt = { 1, 64, 0, 2000, 10000, 0, 0, false, false, INADDR_ANY };

static unsigned char buf[MAXDG];

static int die(const char *what)
{
	fprintf(stderr, "ttpdg: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int family(void)
{
	const char *f = getenv("TTP_FAMILY");

	return f ? atoi(f) : ttp_family();
}

static int open_sock(uint32_t ip, int port)
{
	struct sockaddr_ttp a = ttp_addr(ip, port);
	int fd = socket(family(), SOCK_DGRAM, 0);

	a.sttp_family = family();
	if (fd < 0)
		die("socket");
	if ((port || ip) && bind(fd, SA(&a), sizeof(a)))
		die("bind");
	return fd;
}

static uint32_t parse_ip(const char *s)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1) {
		fprintf(stderr, "ttpdg: bad address %s\n", s);
		exit(2);
	}
	return ntohl(in.s_addr);
}

static void make_dg(unsigned int seq, unsigned int size)
{
	struct dg_hdr h = { htonl(MAGIC), htonl(seq), htonl(size), 0 };

	ttp_fill(buf, size, seq + 1);
	memcpy(buf, &h, size < sizeof(h) ? size : sizeof(h));
}

/* 0 if buf[0..len) is datagram seq of the expected size, -1 if not */
static int check_dg(size_t len, unsigned int *seq)
{
	static unsigned char ref[MAXDG];
	struct dg_hdr h;

	if (len != opt.size || len < sizeof(h))
		return -1;
	memcpy(&h, buf, sizeof(h));
	*seq = ntohl(h.seq);
	if (ntohl(h.magic) != MAGIC || ntohl(h.size) != len || h.zero ||
	    *seq >= opt.n)
		return -1;
	ttp_fill(ref, len, *seq + 1);
	return memcmp(ref + sizeof(h), buf + sizeof(h), len - sizeof(h)) ?
	       -1 : 0;
}

static int cmd_send(uint32_t ip, int port)
{
	struct sockaddr_ttp a = ttp_addr(ip, port);
	int fd = open_sock(INADDR_ANY, opt.lport);
	unsigned int i, ok = 0;

	a.sttp_family = family();
	for (i = 0; i < opt.n; i++) {
		make_dg(i, opt.size);
		if (sendto(fd, buf, opt.size, 0, SA(&a), sizeof(a)) ==
		    (ssize_t)opt.size)
			ok++;
		else if (!opt.quiet)
			fprintf(stderr, "ttpdg: sendto #%u: %s\n", i,
				strerror(errno));
		if (opt.interval_us)
			usleep(opt.interval_us);
	}
	printf("sent=%u\n", ok);
	return ok == opt.n ? 0 : 1;
}

static int cmd_recv(int port)
{
	int fd = open_sock(opt.addr, port);
	unsigned char *seen = calloc(opt.n, 1);
	unsigned int got = 0, bad = 0, dup = 0, seq;
	long long end = ttp_now_ms() + opt.total_ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int wait;
	ssize_t len;

	if (opt.rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE,
				     &opt.rcvbuf, sizeof(opt.rcvbuf)))
		die("SO_RCVBUFFORCE");
	while (got < opt.n) {
		wait = end - ttp_now_ms();
		if (got && wait > opt.idle_ms)
			wait = opt.idle_ms;
		if (wait <= 0 || poll(&pfd, 1, wait) != 1)
			break;
		len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0)
			die("recv");
		if (opt.endmark && len == 1 && buf[0] == 'E')
			break;
		if (check_dg(len, &seq)) {
			bad++;
			fprintf(stderr, "ttpdg: corrupt datagram, %zd bytes\n",
				len);
		} else if (seen[seq]++) {
			dup++;
		} else {
			got++;
		}
	}
	printf("received=%u corrupt=%u dup=%u\n", got, bad, dup);
	return bad || dup ? 1 : 0;
}

static int cmd_rx(int port)
{
	int fd = open_sock(opt.addr, port);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct sockaddr_ttp from;
	socklen_t flen = sizeof(from);
	char ip[INET_ADDRSTRLEN];
	ssize_t len;

	if (poll(&pfd, 1, opt.total_ms) != 1) {
		fprintf(stderr, "ttpdg: nothing received\n");
		return 1;
	}
	len = recvfrom(fd, buf, sizeof(buf), 0, SA(&from), &flen);
	if (len < 0)
		die("recvfrom");
	inet_ntop(AF_INET, &from.sttp_addr, ip, sizeof(ip));
	fprintf(stderr, "from=%s:%u family=%d len=%zd\n", ip,
		ntohs(from.sttp_port), from.sttp_family, len);
	return fwrite(buf, 1, len, stdout) == (size_t)len ? 0 : 1;
}

static int cmd_tx(uint32_t ip, int port)
{
	struct sockaddr_ttp a = ttp_addr(ip, port);
	int fd = open_sock(INADDR_ANY, opt.lport);
	size_t len = fread(buf, 1, sizeof(buf), stdin);

	a.sttp_family = family();
	if (sendto(fd, buf, len, 0, SA(&a), sizeof(a)) != (ssize_t)len)
		die("sendto");
	return 0;
}

static void on_term(int sig)
{
	_exit(0);
}

static __attribute__((noreturn)) void cmd_hold(int port)
{
	int fd = open_sock(opt.addr, port);
	struct sockaddr_ttp from;
	socklen_t flen;
	ssize_t len;

	signal(SIGTERM, on_term);
	printf("bound %d\n", ttp_local_port(fd));
	fflush(stdout);
	while (opt.quiet)
		pause();
	for (;;) {
		flen = sizeof(from);
		len = recvfrom(fd, buf, sizeof(buf), 0, SA(&from), &flen);
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0)
			die("recvfrom");
		sendto(fd, buf, len, 0, SA(&from), flen);
	}
}

static int cmd_ping(uint32_t ip, int port)
{
	struct sockaddr_ttp a = ttp_addr(ip, port);
	static unsigned char reply[MAXDG];
	int fd = open_sock(INADDR_ANY, opt.lport);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long long t0 = ttp_now_ms();
	ssize_t len;

	a.sttp_family = family();
	make_dg(getpid(), opt.size);
	if (sendto(fd, buf, opt.size, 0, SA(&a), sizeof(a)) != (ssize_t)opt.size)
		die("sendto");
	if (poll(&pfd, 1, opt.total_ms) != 1) {
		fprintf(stderr, "ttpdg: no echo\n");
		return 1;
	}
	len = recv(fd, reply, sizeof(reply), 0);
	if (len < 0)
		die("recv");
	if (len != (ssize_t)opt.size || memcmp(buf, reply, len)) {
		fprintf(stderr, "ttpdg: echo differs\n");
		return 1;
	}
	printf("echo %zd bytes in %lld ms\n", len, ttp_now_ms() - t0);
	return 0;
}

static int cmd_probe(void)
{
	int fd = socket(family(), SOCK_DGRAM, 0);

	if (fd < 0) {
		printf("socket(%d, SOCK_DGRAM, 0): %s\n", family(),
		       strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "Usage: ttpdg send|recv|rx|tx|hold|ping|probe [options] [ADDR] [PORT]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int c;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	argv++;
	argc--;
	while ((c = getopt(argc, argv, "n:s:i:w:t:a:p:r:qe")) != -1) {
		switch (c) {
		case 'n':
			opt.n = atoi(optarg);
			break;
		case 's':
			opt.size = atoi(optarg);
			break;
		case 'i':
			opt.interval_us = atoi(optarg);
			break;
		case 'w':
			opt.idle_ms = atoi(optarg);
			break;
		case 't':
			opt.total_ms = atoi(optarg);
			break;
		case 'a':
			opt.addr = parse_ip(optarg);
			break;
		case 'p':
			opt.lport = atoi(optarg);
			break;
		case 'r':
			opt.rcvbuf = atoi(optarg);
			break;
		case 'q':
			opt.quiet = true;
			break;
		case 'e':
			opt.endmark = true;
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (opt.size > MAXDG || !opt.n)
		return usage();
	if (!strcmp(cmd, "send") && argc == 2)
		return cmd_send(parse_ip(argv[0]), atoi(argv[1]));
	if (!strcmp(cmd, "recv") && argc == 1)
		return cmd_recv(atoi(argv[0]));
	if (!strcmp(cmd, "rx") && argc == 1)
		return cmd_rx(atoi(argv[0]));
	if (!strcmp(cmd, "tx") && argc == 2)
		return cmd_tx(parse_ip(argv[0]), atoi(argv[1]));
	if (!strcmp(cmd, "hold") && argc == 1)
		cmd_hold(atoi(argv[0]));
	if (!strcmp(cmd, "ping") && argc == 2)
		return cmd_ping(parse_ip(argv[0]), atoi(argv[1]));
	if (!strcmp(cmd, "probe") && argc == 0)
		return cmd_probe();
	return usage();
}
