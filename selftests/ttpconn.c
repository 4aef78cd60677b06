// SPDX-License-Identifier: GPL-2.0
/*
 * ttpconn: one TTP stream, driven step by step from the command line, for
 * the shell tests that need to see exactly what a call returned and when.
 *
 *   ttpconn STEP...
 *
 * Steps, run in order:
 *   listen PORT		bind PORT, listen, accept one connection
 *   backlog PORT		bind PORT, listen (backlog 8), accept none: the
 *				listener stays open with what comes queued
 *   connect ADDR PORT		connect (blocking)
 *   keepalive IDLE INTVL CNT	SO_KEEPALIVE on, TTP_KEEPIDLE/INTVL/CNT
 *   send N			write N bytes (blocking)
 *   sendall			write until a write fails
 *   recv N			read exactly N bytes
 *   recveof			read until end of file or an error
 *   shut			shutdown(SHUT_WR)
 *   close			close the connection
 *   sleep MS			wait
 *   wait FILE			wait until FILE exists
 *   info			the TTP_INFO state and mss
 *   hold			wait until killed
 *
 * Each step prints one line when it ends: "STEP ok" plus figures, or
 * "STEP ERRNAME" with the errno's name (ETIMEDOUT, ...), always followed by
 * "ms=N", how long the step took, and "at=MS", the CLOCK_REALTIME in
 * milliseconds when it ended (scripts compare it with their own clock). A
 * failed step does not stop the ones after it. The bytes are random, a
 * stream per direction keyed by the connection's ports (ttp_conn_key()),
 * and every byte read is checked ("recv differs offset=N" when one is
 * wrong). Exit
 * status 0, or 2 for a usage error.
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "ttp_test.h"

static int fd = -1;
static uint64_t key_out, key_in;	/* the streams sent and expected */
static unsigned long long sent, got;
static long long step_start;	/* ttp_now_ms() when the step began */

static long long now_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void report(const char *step, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void report(const char *step, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" ms=%lld at=%lld\n", ttp_now_ms() - step_start, now_real_ms());
	fflush(stdout);
}

static struct sockaddr_in addr(const char *ip, const char *port)
{
	struct sockaddr_in a = { .sin_family = ttp_family() };

	a.sin_port = htons(atoi(port));
	if (ip && inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
		fprintf(stderr, "ttpconn: bad address %s\n", ip);
		exit(2);
	}
	return a;
}

/* A listener on @port with @backlog, or -1 (reported as @step's failure). */
static int listener(const char *step, const char *port, int backlog)
{
	struct sockaddr_in a = addr(NULL, port);
	int l, one = 1;

	l = socket(ttp_family(), SOCK_STREAM, 0);
	if (l < 0) {
		report(step, "%s", ttp_errname(errno));
		return -1;
	}
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, backlog)) {
		report(step, "%s", ttp_errname(errno));
		close(l);
		return -1;
	}
	return l;
}

static void do_listen(const char *port)
{
	int l = listener("listen", port, 1);

	if (l < 0)
		return;
	fd = accept(l, NULL, NULL);
	if (fd < 0) {
		report("listen", "%s", ttp_errname(errno));
	} else {
		key_out = ttp_conn_key(fd, 1, 1);
		key_in = ttp_conn_key(fd, 1, 0);
		report("listen", "ok");
	}
	close(l);
}

/* The listener stays open, accepting nothing, until the process ends. */
static void do_backlog(const char *port)
{
	if (listener("backlog", port, 8) >= 0)
		report("backlog", "ok");
}

static void do_connect(const char *ip, const char *port)
{
	struct sockaddr_in a = addr(ip, port);

	fd = socket(ttp_family(), SOCK_STREAM, 0);
	if (fd < 0) {
		report("connect", "%s", ttp_errname(errno));
		return;
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		report("connect", "%s", ttp_errname(errno));
		return;
	}
	key_out = ttp_conn_key(fd, 0, 0);
	key_in = ttp_conn_key(fd, 0, 1);
	report("connect", "ok port=%d", ttp_local_port(fd));
}

static void do_keepalive(int idle, int intvl, int cnt)
{
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_TTP, TTP_KEEPIDLE, &idle, sizeof(idle)) ||
	    setsockopt(fd, SOL_TTP, TTP_KEEPINTVL, &intvl, sizeof(intvl)) ||
	    setsockopt(fd, SOL_TTP, TTP_KEEPCNT, &cnt, sizeof(cnt)))
		report("keepalive", "%s", ttp_errname(errno));
	else
		report("keepalive", "ok");
}

/* Write n bytes (n 0: until a write fails). */
static void do_send(const char *step, unsigned long long n)
{
	unsigned long long start = sent;
	unsigned char buf[16384];
	size_t k;
	ssize_t w;

	while (!n || sent - start < n) {
		k = sizeof(buf);
		if (n && n - (sent - start) < k)
			k = n - (sent - start);
		ttp_rand_fill(buf, k, key_out, sent);
		w = send(fd, buf, k, MSG_NOSIGNAL);
		if (w < 0) {
			report(step, "%s sent=%llu", ttp_errname(errno), sent - start);
			return;
		}
		sent += w;
	}
	report(step, "ok sent=%llu", sent - start);
}

/* Read n bytes (n 0: until end of file or an error). */
static void do_recv(const char *step, unsigned long long n)
{
	unsigned long long start = got;
	unsigned char buf[16384];
	size_t k;
	ssize_t r;
	long i;

	while (!n || got - start < n) {
		k = sizeof(buf);
		if (n && n - (got - start) < k)
			k = n - (got - start);
		r = read(fd, buf, k);
		if (r < 0) {
			report(step, "%s received=%llu", ttp_errname(errno),
			       got - start);
			return;
		}
		if (!r) {
			report(step, "%s received=%llu", n ? "early-eof" : "ok",
			       got - start);
			return;
		}
		i = ttp_rand_check(buf, r, key_in, got);
		if (i >= 0) {
			report(step, "differs offset=%llu", got + i);
			return;
		}
		got += r;
	}
	report(step, "ok received=%llu", got - start);
}

static void do_info(void)
{
	struct ttp_info in;
	socklen_t len = sizeof(in);

	memset(&in, 0, sizeof(in));
	if (getsockopt(fd, SOL_TTP, TTP_INFO, &in, &len))
		report("info", "%s", ttp_errname(errno));
	else
		report("info", "ok state=%u mss=%u retransmits=%u segs_retrans=%llu",
		       in.ttpi_state, in.ttpi_snd_mss, in.ttpi_retransmits,
		       (unsigned long long)in.ttpi_segs_retrans);
}

static void do_wait(const char *path)
{
	struct stat st;

	while (stat(path, &st))
		ttp_sleep_ms(20);
	report("wait", "ok");
}

static int need(int argc, int i, int n)
{
	if (i + n >= argc) {
		fprintf(stderr, "ttpconn: step needs %d argument(s)\n", n);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		step_start = ttp_now_ms();

		if (!strcmp(s, "listen")) {
			i += need(argc, i, 1);
			do_listen(argv[i]);
		} else if (!strcmp(s, "backlog")) {
			i += need(argc, i, 1);
			do_backlog(argv[i]);
		} else if (!strcmp(s, "connect")) {
			i += need(argc, i, 2);
			do_connect(argv[i - 1], argv[i]);
		} else if (!strcmp(s, "keepalive")) {
			i += need(argc, i, 3);
			do_keepalive(atoi(argv[i - 2]), atoi(argv[i - 1]),
				     atoi(argv[i]));
		} else if (!strcmp(s, "send")) {
			i += need(argc, i, 1);
			do_send("send", strtoull(argv[i], NULL, 0));
		} else if (!strcmp(s, "sendall")) {
			do_send("sendall", 0);
		} else if (!strcmp(s, "recv")) {
			i += need(argc, i, 1);
			do_recv("recv", strtoull(argv[i], NULL, 0));
		} else if (!strcmp(s, "recveof")) {
			do_recv("recveof", 0);
		} else if (!strcmp(s, "shut")) {
			if (shutdown(fd, SHUT_WR))
				report("shut", "%s", ttp_errname(errno));
			else
				report("shut", "ok");
		} else if (!strcmp(s, "close")) {
			report("close", "%s", close(fd) ? ttp_errname(errno) : "ok");
			fd = -1;
		} else if (!strcmp(s, "sleep")) {
			i += need(argc, i, 1);
			ttp_sleep_ms(atoi(argv[i]));
			report("sleep", "ok");
		} else if (!strcmp(s, "wait")) {
			i += need(argc, i, 1);
			do_wait(argv[i]);
		} else if (!strcmp(s, "info")) {
			do_info();
		} else if (!strcmp(s, "hold")) {
			report("hold", "ok");
			for (;;)
				pause();
		} else {
			fprintf(stderr, "ttpconn: unknown step %s\n", s);
			return 2;
		}
	}
	return 0;
}
