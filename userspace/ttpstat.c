// SPDX-License-Identifier: GPL-2.0
/*
 * ttpstat: list the TTP sockets of this network namespace, as "ss -u -a"
 * does for UDP, from /proc/net/ttp; with -s print the counters of
 * /proc/net/ttp_snmp one per line ("InDatagrams 12").
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "ttp_util.h"

#define PROC_SOCKETS	"/proc/net/ttp"
#define PROC_SNMP	"/proc/net/ttp_snmp"
#define LINE_LEN	4096

struct opts {
	bool counters;		/* -s */
	bool extended;		/* -e */
	bool header;		/* not -H */
	const char *file;	/* -f */
};

/* One line of /proc/net/ttp, fields as the kernel printed them. */
struct sock_row {
	unsigned int laddr, lport, raddr, rport;
	unsigned int state, type, txq, rxq, uid, drops;
	unsigned long inode;
	bool have_drops;
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
		"Usage: ttpstat [-e] [-H] [-f FILE]   list TTP sockets (from %s)\n"
		"       ttpstat -s [-f FILE]          print TTP counters (from %s)\n"
		"\n"
		"  -s        counters, one \"Name value\" per line\n"
		"  -e        also show each socket's dropped-datagram count\n"
		"  -H        no header line\n"
		"  -f FILE   read FILE instead of the /proc file\n"
		"  -h, --help\n"
		"\n"
		"Both files are per network namespace: run ttpstat inside the namespace\n"
		"(ip netns exec NAME ttpstat) to see its sockets.\n",
		PROC_SOCKETS, PROC_SNMP);
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

static int list_sockets(const struct opts *o)
{
	const char *path = o->file ? o->file : PROC_SOCKETS;
	char line[LINE_LEN];
	struct sock_row r;
	int lineno = 0, ret = 0;
	FILE *f;

	f = open_proc(path, !o->file);
	if (!f)
		return 1;
	if (o->header)
		print_sock_header(o);
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
		print_sock_row(o, &r);
	}
	fclose(f);
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
	while ((opt = getopt_long(argc, argv, ":seHf:h", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 's':
			o->counters = true;
			break;
		case 'e':
			o->extended = true;
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
