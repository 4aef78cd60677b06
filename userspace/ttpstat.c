// SPDX-License-Identifier: GPL-2.0
/*
 * ttpstat: list the TTP sockets of this network namespace, datagram and
 * stream alike, as "ss -uan" and "ss -tan" do for UDP and TCP, from
 * /proc/net/ttp; with -s print the counters of /proc/net/ttp_snmp one per
 * line ("InDatagrams 12").
 *
 * -i adds each stream connection's TTP_INFO figures (RTT, RTO, congestion
 * window, bytes and segments) from /proc/net/ttp_stream, which lists every
 * stream socket with them, as ss -ti does for TCP.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "ttp_util.h"

#define PROC_SOCKETS	"/proc/net/ttp"
#define PROC_SNMP	"/proc/net/ttp_snmp"
#define PROC_STREAM	"/proc/net/ttp_stream"
#define LINE_LEN	4096

/* The codes /proc/net/ttp prints, TCP's (SOCK_STREAM is 1, SOCK_DGRAM 2) */
#define ST_CLOSE	0x07
#define ST_LISTEN	0x0a
#define TP_STREAM	0x01
#define TP_DGRAM	0x02

struct opts {
	bool counters;		/* -s */
	bool extended;		/* -e */
	bool header;		/* not -H */
	bool info;		/* -i */
	bool listening;		/* -l */
	bool stream;		/* -t */
	bool dgram;		/* -u */
	const char *file;	/* -f */
};

/* One line of /proc/net/ttp, fields as the kernel printed them. */
struct sock_row {
	unsigned int laddr, lport, raddr, rport;
	unsigned int state, type, txq, rxq, uid, drops;
	unsigned long inode;
	bool have_drops;
	/* -i: the socket's line of /proc/net/ttp_stream */
	bool have_info;
	struct ttp_info info;
	/* -i: its timer, as /proc/net/tcp's "tr:tm->when" (clock ticks) */
	bool have_timer;
	unsigned int timer;
	unsigned long timer_when;
};

/* The rows of one listing, in the order the file gave them. */
struct table {
	struct sock_row *row;
	size_t n, cap;
};

/* TCP state codes, as /proc/net/{tcp,udp} and ss use them */
static const char *const state_names[] = {
	[0x01] = "ESTAB",
	[0x02] = "SYN-SENT",
	[0x03] = "SYN-RECV",
	[0x04] = "FIN-WAIT-1",
	[0x05] = "FIN-WAIT-2",
	[0x06] = "TIME-WAIT",
	[0x07] = "UNCONN",
	[0x08] = "CLOSE-WAIT",
	[0x09] = "LAST-ACK",
	[0x0a] = "LISTEN",
	[0x0b] = "CLOSING",
	[0x0c] = "NEW-SYN-RECV",
};

static void print_help(FILE *f)
{
	fprintf(f,
		"Usage: ttpstat [-t|-u] [-l] [-i] [-e] [-H] [-f FILE]\n"
		"                               list TTP sockets (from %s)\n"
		"       ttpstat -s [-f FILE]   print TTP counters (from %s)\n"
		"\n"
		"  -t        stream sockets only (as ss -tan)\n"
		"  -u        datagram sockets only (as ss -uan)\n"
		"  -l        listening sockets only: streams in LISTEN, and unconnected\n"
		"            datagram sockets (UNCONN), as ss -l counts them\n"
		"  -i        under each stream connection, its TTP_INFO figures:\n"
		"              rtt:SRTT/RTTVAR rto:RTO (ms), mss, cwnd, ssthresh, snd_wnd,\n"
		"              rcv_wnd (bytes; ssthresh \"-\" while unbounded), bytes_sent,\n"
		"              bytes_retrans, bytes_acked, bytes_received, segs_out,\n"
		"              segs_in, segs_retrans, retransmits (timeouts in a row)\n"
		"            from /proc/net/ttp_stream, a moment old\n"
		"  -s        counters, one \"Name value\" per line\n"
		"  -e        also show each socket's dropped-datagram count\n"
		"  -H        no header line\n"
		"  -f FILE   read FILE instead of the /proc file\n"
		"  -h, --help\n"
		"\n"
		"Recv-Q and Send-Q as the kernel prints them in %s: for a\n"
		"datagram socket the bytes charged to its buffers; for a stream the bytes\n"
		"not yet read and not yet acknowledged, for a listener its accept queue\n"
		"and backlog (as ss -tan).\n"
		"Both files are per network namespace: run ttpstat inside the namespace\n"
		"(ip netns exec NAME ttpstat) to see its sockets.\n",
		PROC_SOCKETS, PROC_SNMP, PROC_SOCKETS);
}

static FILE *open_proc(const char *path, bool is_default)
{
	FILE *f = fopen(path, "re");

	if (f)
		return f;
	fprintf(stderr, "ttpstat: %s: %s\n", path, strerror(errno));
	if (errno == ENOENT && is_default)
		fprintf(stderr, "ttpstat: is the ttp module loaded?\n");
	return NULL;
}

static const char *state_name(unsigned int state, char *buf, size_t len)
{
	if (state < ARRAY_SIZE(state_names) && state_names[state])
		return state_names[state];
	snprintf(buf, len, "ST-%02X", state);
	return buf;
}

static const char *type_name(unsigned int type, char *buf, size_t len)
{
	if (type == 0x02)
		return "dgram";
	if (type == 0x01)
		return "stream";
	snprintf(buf, len, "tp-%02X", type);
	return buf;
}

/* "a.b.c.d:port", "*" for port 0; @raw is the __be32 as printed */
static char *endpoint(char *buf, unsigned int raw, unsigned int port)
{
	struct in_addr addr = { .s_addr = raw };
	char *colon;

	ttp_addrport(buf, addr, port);
	colon = strrchr(buf, ':');
	if (!port && colon)
		colon[1] = '*';	/* "0" becomes "*" */
	return buf;
}

static int parse_sock_row(const char *line, struct sock_row *r)
{
	int sl, n;

	n = sscanf(line, "%d: %8X:%4X %8X:%4X %2X %2X %8X:%8X %u %lu %u",
		   &sl, &r->laddr, &r->lport, &r->raddr, &r->rport,
		   &r->state, &r->type, &r->txq, &r->rxq, &r->uid,
		   &r->inode, &r->drops);
	if (n < 11)
		return -1;
	r->have_drops = n == 12;
	return 0;
}

static void print_sock_header(const struct opts *o)
{
	printf("%-10s %-6s %6s %6s %-21s %-21s %5s %8s",
	       "State", "Type", "Recv-Q", "Send-Q", "Local Address:Port",
	       "Peer Address:Port", "Uid", "Inode");
	if (o->extended)
		printf(" %5s", "Drops");
	printf("\n");
}

static void print_sock_row(const struct opts *o, const struct sock_row *r)
{
	char local[TTP_ADDRPORT_LEN], peer[TTP_ADDRPORT_LEN];
	char st[16], tp[16];

	printf("%-10s %-6s %6u %6u %-21s %-21s %5u %8lu",
	       state_name(r->state, st, sizeof(st)),
	       type_name(r->type, tp, sizeof(tp)), r->rxq, r->txq,
	       endpoint(local, r->laddr, r->lport),
	       endpoint(peer, r->raddr, r->rport), r->uid, r->inode);
	if (o->extended && r->have_drops)
		printf(" %5u", r->drops);
	else if (o->extended)
		printf(" %5s", "-");
	printf("\n");
}

static bool wanted(const struct opts *o, const struct sock_row *r)
{
	if (o->stream && r->type != TP_STREAM)
		return false;
	if (o->dgram && r->type != TP_DGRAM)
		return false;
	if (o->listening)
		return r->type == TP_STREAM ? r->state == ST_LISTEN :
					      r->state == ST_CLOSE;
	return true;
}

/* -i asks about this one: a stream socket that is not a listener */
static bool info_wanted(const struct opts *o, const struct sock_row *r)
{
	return o->info && r->type == TP_STREAM && r->state != ST_LISTEN;
}

static int table_add(struct table *t, const struct sock_row *r)
{
	struct sock_row *p;
	size_t cap;

	if (t->n == t->cap) {
		cap = t->cap ? 2 * t->cap : 64;
		p = realloc(t->row, cap * sizeof(*p));
		if (!p) {
			fprintf(stderr, "ttpstat: %s\n", strerror(ENOMEM));
			return -1;
		}
		t->row = p;
		t->cap = cap;
	}
	t->row[t->n++] = *r;
	return 0;
}

/* The rows of @path that the options select; 1 if a line was bad. */
static int read_table(const struct opts *o, const char *path, FILE *f,
		      struct table *t)
{
	char line[LINE_LEN];
	struct sock_row r;
	int lineno = 0, ret = 0;

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (lineno == 1 && strstr(line, "local_address"))
			continue;
		memset(&r, 0, sizeof(r));
		if (parse_sock_row(line, &r)) {
			fprintf(stderr, "ttpstat: %s:%d: cannot parse line\n",
				path, lineno);
			ret = 1;
			continue;
		}
		if (wanted(o, &r) && table_add(t, &r))
			return -1;
	}
	return ret;
}

/*
 * One line of /proc/net/ttp_stream: the socket's addresses and state, then
 * its TTP_INFO figures. 0, or -1 if the line is not one.
 */
static int parse_info_row(const char *line, struct sock_row *r)
{
	struct ttp_info *i = &r->info;
	unsigned int txq, rxq;
	int sl, n;

	n = sscanf(line, "%d: %8X:%4X %8X:%4X %2X %8X:%8X %u %u %u %u %u %u %u %u %u %llu %llu %llu %llu %llu %llu %llu %2X:%8lX",
		   &sl, &r->laddr, &r->lport, &r->raddr, &r->rport, &r->state,
		   &txq, &rxq, &i->ttpi_rtt, &i->ttpi_rttvar, &i->ttpi_rto,
		   &i->ttpi_snd_cwnd, &i->ttpi_snd_ssthresh, &i->ttpi_snd_wnd,
		   &i->ttpi_rcv_wnd, &i->ttpi_snd_mss, &i->ttpi_retransmits,
		   (unsigned long long *)&i->ttpi_bytes_sent,
		   (unsigned long long *)&i->ttpi_bytes_retrans,
		   (unsigned long long *)&i->ttpi_bytes_acked,
		   (unsigned long long *)&i->ttpi_bytes_received,
		   (unsigned long long *)&i->ttpi_segs_out,
		   (unsigned long long *)&i->ttpi_segs_in,
		   (unsigned long long *)&i->ttpi_segs_retrans,
		   &r->timer, &r->timer_when);
	r->have_timer = n == 26;	/* a module older than the column: none */
	return n >= 24 ? 0 : -1;
}

/* The same socket: addresses, ports and state. */
static bool same_sock(const struct sock_row *a, const struct sock_row *b)
{
	return a->laddr == b->laddr && a->lport == b->lport &&
	       a->raddr == b->raddr && a->rport == b->rport &&
	       a->state == b->state;
}

/* -i: give each stream row of @t its figures from /proc/net/ttp_stream. */
static void read_info(struct table *t)
{
	char line[LINE_LEN];
	struct sock_row r;
	size_t i;
	FILE *f;

	f = fopen(PROC_STREAM, "r");
	if (!f) {
		fprintf(stderr, "ttpstat: %s: %s\n", PROC_STREAM, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		memset(&r, 0, sizeof(r));
		if (parse_info_row(line, &r))
			continue;	/* the header */
		for (i = 0; i < t->n; i++) {
			if (t->row[i].type != TP_STREAM || t->row[i].have_info ||
			    !same_sock(&t->row[i], &r))
				continue;
			t->row[i].info = r.info;
			t->row[i].have_info = true;
			t->row[i].have_timer = r.have_timer;
			t->row[i].timer = r.timer;
			t->row[i].timer_when = r.timer_when;
			break;
		}
	}
	fclose(f);
}

/* microseconds as milliseconds, "0.512" */
static void print_ms(const char *name, unsigned int us)
{
	printf("%s%u.%03u", name, us / 1000, us % 1000);
}

/* " timer:(on,200ms)" as ss -o shows it; nothing when none runs */
static void print_timer(const struct sock_row *r)
{
	static const char *const names[] = {
		[1] = "on", [2] = "keepalive", [3] = "timewait", [4] = "persist",
	};
	long hz = sysconf(_SC_CLK_TCK);

	if (!r->have_timer || !r->timer || r->timer >= 5)
		return;
	if (hz <= 0)
		hz = 100;
	printf(" timer:(%s,%lums)", names[r->timer], r->timer_when * 1000 / hz);
}

static void print_info_line(const struct sock_row *r)
{
	const struct ttp_info i = r->info;

	if (!r->have_info) {
		printf("\t (no figures: the socket is gone from %s)\n", PROC_STREAM);
		return;
	}
	print_ms("\t rtt:", i.ttpi_rtt);
	print_ms("/", i.ttpi_rttvar);
	print_ms(" rto:", i.ttpi_rto);
	printf(" mss:%u cwnd:%u", i.ttpi_snd_mss, i.ttpi_snd_cwnd);
	if (i.ttpi_snd_ssthresh >= 0x7fffffffU)
		printf(" ssthresh:-");
	else
		printf(" ssthresh:%u", i.ttpi_snd_ssthresh);
	printf(" snd_wnd:%u rcv_wnd:%u", i.ttpi_snd_wnd, i.ttpi_rcv_wnd);
	printf(" bytes_sent:%llu bytes_retrans:%llu bytes_acked:%llu bytes_received:%llu",
	       (unsigned long long)i.ttpi_bytes_sent,
	       (unsigned long long)i.ttpi_bytes_retrans,
	       (unsigned long long)i.ttpi_bytes_acked,
	       (unsigned long long)i.ttpi_bytes_received);
	printf(" segs_out:%llu segs_in:%llu segs_retrans:%llu retransmits:%u",
	       (unsigned long long)i.ttpi_segs_out,
	       (unsigned long long)i.ttpi_segs_in,
	       (unsigned long long)i.ttpi_segs_retrans, i.ttpi_retransmits);
	print_timer(r);
	putchar('\n');
}

static int list_sockets(const struct opts *o)
{
	const char *path = o->file ? o->file : PROC_SOCKETS;
	struct table t = { 0 };
	size_t i;
	int ret;
	FILE *f;

	f = open_proc(path, !o->file);
	if (!f)
		return 1;
	ret = read_table(o, path, f, &t);
	fclose(f);
	if (ret < 0) {
		free(t.row);
		return 1;
	}
	if (o->info)
		read_info(&t);
	if (o->header)
		print_sock_header(o);
	for (i = 0; i < t.n; i++) {
		print_sock_row(o, &t.row[i]);
		if (info_wanted(o, &t.row[i]))
			print_info_line(&t.row[i]);
	}
	fflush(stdout);
	free(t.row);
	return ret;
}

#define MAX_COUNTERS	64

/* Split @line at blanks into at most MAX_COUNTERS tokens; -1 if more. */
static int split(char *line, char **tok)
{
	char *save, *t;
	int n = 0;

	for (t = strtok_r(line, " \t\n", &save); t;
	     t = strtok_r(NULL, " \t\n", &save)) {
		if (n == MAX_COUNTERS)
			return -1;
		tok[n++] = t;
	}
	return n;
}

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * A names line ("Ttp: InDatagrams ...") and its values line ("Ttp: 12 ...")
 * become "InDatagrams 12" lines; nothing is printed unless both match.
 */
static int print_counter_pair(char *names, char *values)
{
	char *name[MAX_COUNTERS], *value[MAX_COUNTERS];
	int n, i;

	n = split(names, name);
	if (n < 2 || split(values, value) != n || strcmp(name[0], value[0]))
		return -1;
	for (i = 1; i < n; i++)
		if (!is_number(value[i]))
			return -1;
	for (i = 1; i < n; i++)
		printf("%s %s\n", name[i], value[i]);
	return 0;
}

static int print_counters(const struct opts *o)
{
	const char *path = o->file ? o->file : PROC_SNMP;
	char names[LINE_LEN], values[LINE_LEN];
	int pairs = 0, ret = 0;
	FILE *f;

	f = open_proc(path, !o->file);
	if (!f)
		return 1;
	while (fgets(names, sizeof(names), f)) {
		if (!fgets(values, sizeof(values), f) ||
		    print_counter_pair(names, values)) {
			ret = 1;
			break;
		}
		pairs++;
	}
	fclose(f);
	if (ret || !pairs) {
		fprintf(stderr, "ttpstat: %s: not in the \"Ttp: names\" / \"Ttp: values\" format\n",
			path);
		return 1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":seHf:hiltu", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 's':
			o->counters = true;
			break;
		case 'e':
			o->extended = true;
			break;
		case 'i':
			o->info = true;
			break;
		case 'l':
			o->listening = true;
			break;
		case 't':
			o->stream = true;
			break;
		case 'u':
			o->dgram = true;
			break;
		case 'H':
			o->header = false;
			break;
		case 'f':
			o->file = optarg;
			break;
		case 'h':
			print_help(stdout);
			exit(0);
		case ':':
			fprintf(stderr, "ttpstat: option -%c needs an argument\n",
				optopt);
			return -1;
		default:
			if (optopt)
				fprintf(stderr, "ttpstat: invalid option -%c\n",
					optopt);
			else
				fprintf(stderr, "ttpstat: invalid option '%s'\n",
					argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ttpstat: unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	if (o->stream && o->dgram) {
		fprintf(stderr, "ttpstat: give -t or -u, not both\n");
		return -1;
	}
	if (o->counters && (o->info || o->listening || o->stream || o->dgram)) {
		fprintf(stderr, "ttpstat: -s takes no -i, -l, -t or -u\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .header = true };

	if (parse_args(argc, argv, &o)) {
		fprintf(stderr, "Try 'ttpstat --help' for more information.\n");
		return 2;
	}
	return o.counters ? print_counters(&o) : list_sockets(&o);
}
