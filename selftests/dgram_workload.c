// SPDX-License-Identifier: GPL-2.0
/*
 * A datagram workload for fault injection: ITER rounds of create, bind,
 * send, receive, connect and close on loopback.
 *
 *   dgram_workload [ITER [SIZE]]
 *
 * The unconnected send carries SIZE bytes (default 2048, at most 16384;
 * above some 3.5 KB the payload lies in pages of its own), the connected
 * one 100. Run under failslab, every
 * call may fail; it must then fail cleanly, with one of the errnos a
 * memory shortage may give, never anything else.
 *
 * Prints "calls=N injected=M lost=L" and exits 0 when every failure was
 * clean, 1 on an unexpected result. injected counts the calls that failed
 * with ENOMEM or ENOBUFS, what a failed allocation returns; lost counts
 * datagrams that were sent but never arrived (a failed allocation on the
 * receive path drops them silently, as udp does). A receive that finds
 * nothing because its send failed counts as neither.
 *
 * The buffers are written before the first call: a page of them first
 * touched inside a send or receive is allocated with ttp.ko on the stack,
 * and when fail_page_alloc fails it, the copy returns EFAULT, as TCP's
 * and UDP's would; that is not the failure this workload looks for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <linux/ttp.h>

static long calls, injected, lost;
static size_t size = 2048;
static char buf[16384] = "payload", in[16384];

/* Account for a call's result: 0 fine, -1 when it failed unexpectedly. */
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
	fprintf(stderr, "dgram_workload: %s: unexpected %s\n", what,
		strerror(errno));
	return -1;
}

/*
 * A non-blocking receive after a send whose result was sent: EAGAIN is
 * clean when nothing was sent, and a lost datagram when it was.
 */
static int clean_recv(long sent, long ret)
{
	if (ret < 0 && errno == EAGAIN) {
		calls++;
		if (sent >= 0)
			lost++;
		return 0;
	}
	return clean("recv", ret);
}

static int family(void)
{
	FILE *f = fopen("/sys/module/ttp/parameters/family", "r");
	int fam = AF_TTP;

	if (f) {
		if (fscanf(f, "%d", &fam) != 1)
			fam = AF_TTP;
		fclose(f);
	}
	return fam;
}

static int round_trip(int fam)
{
	struct sockaddr_ttp a = { .sttp_family = fam };
	socklen_t alen = sizeof(a);
	int s, c, bad = 0;

	a.sttp_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(fam, SOCK_DGRAM, 0);
	if (clean("socket", s))
		return -1;
	if (s < 0)
		return 0;
	c = socket(fam, SOCK_DGRAM, 0);
	bad |= clean("socket", c);
	bad |= clean("bind", bind(s, (struct sockaddr *)&a, sizeof(a)));
	bad |= clean("getsockname",
		     getsockname(s, (struct sockaddr *)&a, &alen));
	if (c >= 0 && !bad) {
		long sent;

		sent = sendto(c, buf, size, 0, (struct sockaddr *)&a,
			      sizeof(a));
		bad |= clean("sendto", sent);
		bad |= clean_recv(sent, recv(s, in, sizeof(in), MSG_DONTWAIT));
		bad |= clean("connect", connect(c, (struct sockaddr *)&a,
						sizeof(a)));
		sent = send(c, buf, 100, 0);
		bad |= clean("send", sent);
		bad |= clean_recv(sent, recv(s, in, sizeof(in), MSG_DONTWAIT));
	}
	if (c >= 0)
		close(c);
	close(s);
	return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
	long i, iter = argc > 1 ? atol(argv[1]) : 1000;
	int fam = family();

	if (argc > 2)
		size = strtoul(argv[2], NULL, 0);
	if (!size || size > sizeof(buf)) {
		fprintf(stderr, "dgram_workload: SIZE is 1 to %zu\n", sizeof(buf));
		return 2;
	}

	memset(in, 0, sizeof(in));
	memset(buf + sizeof("payload"), 'x', sizeof(buf) - sizeof("payload"));
	for (i = 0; i < iter; i++)
		if (round_trip(fam))
			return 1;
	printf("calls=%ld injected=%ld lost=%ld\n", calls, injected, lost);
	return 0;
}
