// SPDX-License-Identifier: GPL-2.0
/*
 * ttpspoof: an off-path attacker of one TTP stream. It knows the two
 * addresses and ports (who talks to whom) but not the sequence numbers,
 * and sends, from a raw socket with the victim's peer's address forged:
 *
 *   - SYNs with random sequence numbers (RFC 5961 4: each must draw a
 *     challenge ACK, or be held back by its rate limit, never reset);
 *   - RSTs sweeping the sequence space in steps of STRIDE bytes (RFC
 *     5961 3: those in the window but not at rcv_nxt draw challenge ACKs);
 *   - data and bare ACKs with random sequence and acknowledgement numbers
 *     (RFC 5961 5: dropped, not delivered).
 *
 *   ttpspoof [-s STRIDE] SRC SPORT DST DPORT
 *
 * Rounds of 64 SYNs, 256 RSTs, 16 data segments and 16 ACKs, each round
 * in random order (so that the SYNs, most of what the victim's challenge
 * ACK rate limit meets, are not all held back behind the others), until
 * SIGTERM or SIGINT; then one line "syn=N rst=N data=N ack=N" and exit 0
 * (1 on a send error).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ttp_test.h"

static volatile sig_atomic_t done;

static void on_term(int sig)
{
	done = 1;
}

struct target {
	int fd, proto;
	struct sockaddr_in dst;
	uint32_t saddr, daddr;		/* network order */
	uint16_t sport, dport;		/* network order */
};

/* Send one stream segment with @flags, @seq, @ack and @len bytes of 'X'. */
static int spoof(struct target *t, uint16_t flags, uint32_t seq, uint32_t ack,
		 int len)
{
	uint8_t pkt[20 + TTP_STREAM_HDR_LEN + 128];
	struct ttp_streamhdr *sh = (void *)(pkt + 20);
	int tlen = TTP_STREAM_HDR_LEN + len;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;
	pkt[2] = (20 + tlen) >> 8;
	pkt[3] = (20 + tlen) & 0xff;
	pkt[8] = 64;
	pkt[9] = t->proto;
	memcpy(pkt + 12, &t->saddr, 4);
	memcpy(pkt + 16, &t->daddr, 4);
	sh->th.source = t->sport;
	sh->th.dest = t->dport;
	sh->th.len = htons(tlen);
	sh->th.ver_type = TTP_VER_TYPE(TTP_VERSION, TTP_TYPE_STREAM);
	sh->th.doff = TTP_STREAM_HDR_LEN / 4;
	sh->th.flags = htons(flags);
	sh->seq = htonl(seq);
	sh->ack = htonl(ack);
	sh->wnd = htonl(65535);
	memset(pkt + 20 + TTP_STREAM_HDR_LEN, 'X', len);
	sh->th.check = ttp_csum(t->saddr, t->daddr, t->proto, sh, tlen);
	/* the IP checksum and ID: the kernel fills them in (raw(7)) */
	if (sendto(t->fd, pkt, 20 + tlen, 0, (struct sockaddr *)&t->dst,
		   sizeof(t->dst)) != 20 + tlen)
		return -1;
	return 0;
}

/* A round: 64 SYNs, 256 RSTs, 16 data segments, 16 ACKs, in random order. */
#define ROUND	352

static void shuffle(char *k)
{
	int i, j;
	char c;

	for (i = ROUND - 1; i > 0; i--) {
		j = random() % (i + 1);
		c = k[i];
		k[i] = k[j];
		k[j] = c;
	}
}

int main(int argc, char **argv)
{
	unsigned long syn = 0, rst = 0, data = 0, ack = 0;
	uint32_t stride = 65536, sweep;
	struct sigaction sa = { .sa_handler = on_term };
	struct target t = { 0 };
	int c, i, err, one = 1;
	char kind[ROUND];

	while ((c = getopt(argc, argv, "s:")) != -1) {
		if (c != 's')
			goto usage;
		stride = strtoul(optarg, NULL, 0);
	}
	if (argc - optind != 4 || !stride)
		goto usage;
	t.proto = ttp_stack()->ipproto;
	if (inet_pton(AF_INET, argv[optind], &t.saddr) != 1 ||
	    inet_pton(AF_INET, argv[optind + 2], &t.daddr) != 1)
		goto usage;
	t.sport = htons(atoi(argv[optind + 1]));
	t.dport = htons(atoi(argv[optind + 3]));
	t.dst.sin_family = AF_INET;
	t.dst.sin_addr.s_addr = t.daddr;
	t.fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (t.fd < 0 || setsockopt(t.fd, IPPROTO_IP, IP_HDRINCL, &one,
				   sizeof(one))) {
		perror("ttpspoof: raw socket");
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	srandom(time(NULL) ^ getpid());
	sweep = random();

	for (i = 0; i < ROUND; i++)
		kind[i] = i < 64 ? 'S' : i < 320 ? 'R' : i < 336 ? 'D' : 'A';
	while (!done) {
		shuffle(kind);
		for (i = 0; i < ROUND && !done; i++) {
			switch (kind[i]) {
			case 'S':
				err = spoof(&t, TTP_SYN, random(), 0, 0);
				syn++;
				break;
			case 'R':
				err = spoof(&t, TTP_RST, sweep, 0, 0);
				sweep += stride;
				rst++;
				break;
			case 'D':
				err = spoof(&t, TTP_ACK, random(), random(), 100);
				data++;
				break;
			default:
				err = spoof(&t, TTP_ACK, random(), random(), 0);
				ack++;
			}
			if (err && !(errno == EINTR && done)) {
				perror("ttpspoof: sendto");
				return 1;
			}
		}
	}
	printf("syn=%lu rst=%lu data=%lu ack=%lu\n", syn, rst, data, ack);
	return 0;
usage:
	fprintf(stderr, "usage: ttpspoof [-s STRIDE] SRC SPORT DST DPORT\n");
	return 2;
}
