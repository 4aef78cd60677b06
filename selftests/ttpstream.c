// SPDX-License-Identifier: GPL-2.0
/*
 * ttpstream: move bytes both ways over one TTP stream and check every one.
 *
 *   ttpstream [-n SEND] [-m EXPECT] [-t SECS] [-s MS] [-T] -l PORT
 *   ttpstream [-n SEND] [-m EXPECT] [-t SECS] [-s MS] [-T] HOST PORT
 *
 * The listener accepts one connection. Each side sends SEND random bytes
 * (ttp_rand_fill(): a stream of its own, keyed by the connection's ports
 * and the side), half-closes, and reads until end of file, checking that
 * it got exactly EXPECT bytes of the peer's stream. Both directions run at once (poll). At the end it
 * prints one line "sent=N received=N retrans=N rtt_us=N mss=N" from
 * TTP_INFO. Exit 0 when every byte arrived, in order, once; 1 otherwise.
 * -T uses TCP instead of TTP (to compare the two). -s MS makes a slow
 * reader: at most 4 KB per read, then a pause of MS milliseconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ttp_test.h"

static int die(const char *what)
{
	fprintf(stderr, "ttpstream: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	unsigned long long nsend = 1 << 20, nexpect = 1 << 20, sent = 0, got = 0;
	int opt, listening = 0, tcp = 0, secs = 60, fd, side, one = 1, slow = 0;
	struct sockaddr_in a = { .sin_family = AF_INET };
	unsigned char buf[65536];
	struct pollfd p;
	time_t end, last = 0;
	uint64_t key_out, key_in;
	ssize_t n;
	long bad;

	while ((opt = getopt(argc, argv, "n:m:t:s:lT")) != -1) {
		switch (opt) {
		case 'n': nsend = strtoull(optarg, NULL, 0); break;
		case 'm': nexpect = strtoull(optarg, NULL, 0); break;
		case 't': secs = atoi(optarg); break;
		case 's': slow = atoi(optarg); break;
		case 'l': listening = 1; break;
		case 'T': tcp = 1; break;
		default: return 2;
		}
	}
	if (argc - optind != (listening ? 1 : 2))
		return 2;
	if (!tcp)
		a.sin_family = ttp_family();
	a.sin_port = htons(atoi(argv[argc - 1]));
	fd = socket(a.sin_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (listening) {
		int l = fd;

		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1))
			die("bind/listen");
		fd = accept(l, NULL, NULL);
		if (fd < 0)
			die("accept");
		close(l);
	} else {
		if (inet_pton(AF_INET, argv[optind], &a.sin_addr) != 1)
			return 2;
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
			die("connect");
	}
	side = listening;
	key_out = ttp_conn_key(fd, side, side);
	key_in = ttp_conn_key(fd, side, !side);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	end = time(NULL) + secs;
	p.fd = fd;
	for (;;) {
		p.events = POLLIN | (sent < nsend ? POLLOUT : 0);
		if (time(NULL) > end) {
			fprintf(stderr, "ttpstream: timeout: sent %llu/%llu received %llu/%llu\n",
				sent, nsend, got, nexpect);
			return 1;
		}
		if (poll(&p, 1, 1000) < 0)
			die("poll");
		if (getenv("TTPSTREAM_DEBUG") && time(NULL) != last) {
			struct ttp_info in;
			socklen_t il = sizeof(in);

			last = time(NULL);
			getsockopt(fd, SOL_TTP, TTP_INFO, &in, &il);
			fprintf(stderr, "side%d st=%u rto=%u rtt=%u cwnd=%u ssth=%u swnd=%u rwnd=%u retr=%u segs_retr=%llu sent=%llu got=%llu\n",
				side, in.ttpi_state, in.ttpi_rto, in.ttpi_rtt, in.ttpi_snd_cwnd,
				in.ttpi_snd_ssthresh, in.ttpi_snd_wnd, in.ttpi_rcv_wnd,
				in.ttpi_retransmits, (unsigned long long)in.ttpi_segs_retrans, sent, got);
		}
		if ((p.revents & POLLOUT) && sent < nsend) {
			size_t k = nsend - sent < sizeof(buf) ? nsend - sent : sizeof(buf);

			ttp_rand_fill(buf, k, key_out, sent);
			n = write(fd, buf, k);
			if (n < 0 && errno != EAGAIN)
				die("write");
			if (n > 0)
				sent += n;
			if (sent == nsend && shutdown(fd, SHUT_WR))
				die("shutdown");
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, buf, slow ? 4096 : sizeof(buf));
			if (n < 0 && errno != EAGAIN)
				die("read");
			if (slow)
				usleep(slow * 1000);
			if (n == 0) {
				if (sent == nsend)
					break;
				continue;	/* the peer is done; we are not */
			}
			bad = ttp_rand_check(buf, n, key_in, got);
			if (bad >= 0) {
				fprintf(stderr, "ttpstream: byte %llu differs\n",
					got + bad);
				return 1;
			}
			if (n > 0)
				got += n;
		}
	}
	if (!tcp) {
		struct ttp_info info;
		socklen_t len = sizeof(info);

		memset(&info, 0, sizeof(info));
		getsockopt(fd, SOL_TTP, TTP_INFO, &info, &len);
		printf("sent=%llu received=%llu retrans=%llu rtt_us=%u mss=%u\n",
		       sent, got, (unsigned long long)info.ttpi_segs_retrans,
		       info.ttpi_rtt, info.ttpi_snd_mss);
	} else {
		printf("sent=%llu received=%llu\n", sent, got);
	}
	close(fd);
	if (got != nexpect) {
		fprintf(stderr, "ttpstream: received %llu bytes, expected %llu\n",
			got, nexpect);
		return 1;
	}
	return 0;
}
