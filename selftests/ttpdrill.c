// SPDX-License-Identifier: GPL-2.0
/*
 * ttpdrill: scripted packet-level tests of the TTP stream, in the spirit of
 * packetdrill. A script is a timeline of segments the peer R injects,
 * segments TTP (L) must send, and syscalls on L's socket; it runs against
 * the tun device of ttp_wire.h, in a network namespace of its own.
 *
 *   ttpdrill [-v] [-t TOLERANCE_MS] SCRIPT...
 *
 * Each script runs in a child process of its own and is one TAP result.
 * Exit 0 when every script passed. Without SCRIPT, the scripts in drill/
 * next to the program, in name order. The syntax:
 *
 *   # a comment
 *   TIME  EVENT
 *
 * TIME is seconds from the script's start, or "+S" after the previous
 * line's time. A syscall or an injection waits for its time; an expected
 * segment must come within the tolerance around it (default 500 ms, or
 * -t, or $TTP_DRILL_TOLERANCE), and its arrival is then the time the next
 * lines count from; "quiet" checks that nothing came since the previous
 * line's time. Events:
 *
 *   < FLAGS SEQ:END(LEN) [ack N] [win N] [<OPT, ...>] [bad_csum]
 *   > FLAGS SEQ:END(LEN) [ack N] [win N] [<OPT, ...>]
 *	R injects, or L must send, a segment. FLAGS: S, F, R and "." for
 *	ACK, together as in "S." or "F.". Sequence numbers are relative to
 *	the sender's ISN: R's is fixed, L's is learned from its first SYN
 *	(before that, L's numbers are absolute).
 *	LEN payload bytes are the sender's stream at SEQ (a pseudo-random
 *	stream of each side: data out of place does not match). In ">", "*"
 *	stands for any SEQ, ack or window. Options: "mss N", "ts VAL ECR"
 *	(either may be "*" in ">"), "nop"; ">" checks only the options named.
 *   icmp TYPE CODE SEQ [mtu N]
 *	R's host sends L an ICMP error quoting a segment of L's at SEQ
 *	(relative); "mtu N" for "fragmentation needed" (3 4).
 *   quiet		L sent nothing since the previous line's time
 *   listen PORT	bind L:PORT (R's port is 4000), listen, not blocking
 *   connect PORT	connect L to R:PORT, not blocking (L's port from its SYN)
 *   accept [ERRNO]	take the connection (or fail with ERRNO: EAGAIN)
 *   write N		L's socket takes N bytes of L's stream, all of them
 *   read N		exactly N bytes of R's stream are there to read
 *   read EOF|ERRNO	a read returns 0, or fails with ERRNO (EAGAIN...)
 *   shutdown		shutdown(SHUT_WR)
 *   close		close L's socket
 *   nodelay		TTP_NODELAY 1
 *   linger S		SO_LINGER { 1, S }
 *   state NAME		TTP_INFO's state: ESTABLISHED, CLOSE_WAIT, CLOSE...
 *   info FIELD N	TTP_INFO's cwnd or ssthresh (bytes) is exactly N
 *   congestion NAME	TTP_CONGESTION NAME, on L's socket or else its listener
 *   counter NAME N	the namespace's Ttp counter NAME (/proc/net/ttp_snmp)
 *			is exactly N (the namespace starts with all at 0)
 *   ports L R		the segments' ports, before any socket has them
 *   tolerance MS	the tolerance of the lines that follow
 *
 * Segments L sends that no line expects are caught by the next ">" (which
 * takes the next segment, whatever it is) or "quiet".
 */
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ttp_wire.h"

#define RPORT	4000		/* R's port when L listens */
#define PISN	1000000u	/* R's ISN */
#define KEY_L	0x4c		/* the two sides' streams */
#define KEY_R	0x52

struct drill {
	struct wire w;
	FILE *f;
	const char *file;
	int line, tol, verbose;
	int l, s;			/* listener, connection */
	uint16_t lport, rport;
	uint32_t lisn;			/* L's ISN, once seen */
	bool lisn_known;
	bool linger;			/* the script set SO_LINGER */
	uint64_t wrote, got;		/* L's stream written, R's read */
	long long t0, now;		/* start, this line's time (ms) */
};

static struct drill d;

/* The script fails at its current line. */
static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", d.file, d.line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/*
 * Milliseconds to wait for a segment until @t; 1 if @t is past, so that
 * wire_read() still polls and sees what came.
 */
static int ms_until(long long t)
{
	long long left = t - ttp_now_ms();

	return left > 1 ? (int)left : 1;
}

static void sleep_until(long long t)
{
	long long left = t - ttp_now_ms();

	if (left > 0)
		ttp_sleep_ms((int)left);
}

/* ---- parsing -------------------------------------------------------- */

static uint16_t parse_flags(const char *t)
{
	uint16_t f = 0;

	for (; *t; t++) {
		switch (*t) {
		case 'S': f |= TTP_SYN; break;
		case 'F': f |= TTP_FIN; break;
		case 'R': f |= TTP_RST; break;
		case '.': f |= TTP_ACK; break;
		default: die("flags: '%c' is not one of S F R .", *t);
		}
	}
	return f;
}

/* A number or "*" (WIRE_ANY, if @any allows it). */
static uint32_t parse_num(const char *t, bool any)
{
	char *end;
	unsigned long v;

	if (any && !strcmp(t, "*"))
		return WIRE_ANY;
	errno = 0;
	v = strtoul(t, &end, 0);
	if (errno || *end || !*t || v > 0xffffffffUL)
		die("'%s' is not a number%s", t, any ? " or *" : "");
	return v;
}

/* "<mss 1400, ts 100 0, nop>" from the tokens at *@i on. */
static void parse_opts(char **tok, int n, int *i, struct seg *s, bool any)
{
	char buf[256] = "", *o, *save, *w, *ws;

	for (; *i < n; (*i)++) {
		strncat(buf, tok[*i], sizeof(buf) - strlen(buf) - 2);
		strcat(buf, " ");
		if (strchr(tok[*i], '>'))
			break;
	}
	if (*i == n || buf[0] != '<' || !strchr(buf, '>'))
		die("options: no closing '>'");
	*strchr(buf, '>') = 0;
	for (o = strtok_r(buf + 1, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		w = strtok_r(o, " ", &ws);
		if (!w)
			continue;
		if (!strcmp(w, "mss")) {
			w = strtok_r(NULL, " ", &ws);
			s->mss = (int)parse_num(w ?: "", any);
		} else if (!strcmp(w, "ts")) {
			s->ts = true;
			w = strtok_r(NULL, " ", &ws);
			s->tsval = parse_num(w ?: "", any);
			w = strtok_r(NULL, " ", &ws);
			s->tsecr = parse_num(w ?: "", any);
		} else if (strcmp(w, "nop")) {
			die("unknown option '%s'", w);
		}
	}
}

/*
 * A segment line's tokens after the direction into @s, sequence numbers
 * still relative. @any: an expectation, where "*" may stand for a value.
 */
static void parse_seg(char **tok, int n, struct seg *s, bool any)
{
	char sq[64];
	uint32_t end;
	int i, len;

	memset(s, 0, offsetof(struct seg, data));
	s->mss = -1;
	s->ack = any ? WIRE_ANY : 0;
	s->wnd = any ? WIRE_ANY : 65535;
	s->tsval = s->tsecr = WIRE_ANY;
	if (n < 2)
		die("a segment needs FLAGS and SEQ:END(LEN)");
	s->flags = parse_flags(tok[0]);
	if (any && !strcmp(tok[1], "*")) {
		s->seq = WIRE_ANY;
		s->len = -1;
	} else {
		if (sscanf(tok[1], "%63[^:]:%u(%d)", sq, &end, &len) != 3 ||
		    len < 0 || len > WIRE_MAXPAY)
			die("'%s' is not SEQ:END(LEN)", tok[1]);
		s->seq = parse_num(sq, false);
		if (end - s->seq != (uint32_t)len)
			die("'%s': END - SEQ is not LEN", tok[1]);
		s->len = len;
	}
	for (i = 2; i < n; i++) {
		if (!strcmp(tok[i], "ack") && i + 1 < n) {
			s->ack = parse_num(tok[++i], any);
		} else if (!strcmp(tok[i], "win") && i + 1 < n) {
			s->wnd = parse_num(tok[++i], any);
		} else if (tok[i][0] == '<') {
			parse_opts(tok, n, &i, s, any);
		} else if (!any && !strcmp(tok[i], "bad_csum")) {
			s->bad_csum = true;
		} else {
			die("unexpected '%s'", tok[i]);
		}
	}
}

/* ---- segments -------------------------------------------------------- */

static void inject(char **tok, int n)
{
	struct seg s;

	parse_seg(tok, n, &s, false);
	ttp_rand_fill(s.data, s.len, KEY_R, s.seq - 1);
	s.sport = d.rport;
	s.dport = d.lport;
	s.seq += PISN;
	if (s.flags & TTP_ACK)
		s.ack += d.lisn;
	sleep_until(d.now);
	if (wire_inject(&d.w, &s))
		die("inject: %s", strerror(errno));
}

static void inject_icmp(char **tok, int n)
{
	uint32_t type, code, seq, mtu = 0;

	if (n != 3 && !(n == 5 && !strcmp(tok[3], "mtu")))
		die("icmp TYPE CODE SEQ [mtu N]");
	type = parse_num(tok[0], false);
	code = parse_num(tok[1], false);
	seq = parse_num(tok[2], false) + d.lisn;
	if (n == 5)
		mtu = parse_num(tok[4], false);
	if (type > 255 || code > 255 || mtu > 65535)
		die("icmp: a field out of range");
	sleep_until(d.now);
	if (wire_inject_icmp_mtu(&d.w, type, code, mtu, d.lport, d.rport, seq))
		die("icmp: %s", strerror(errno));
}

static void check_field(const char *name, uint32_t want, uint32_t got)
{
	if (want != WIRE_ANY && want != got)
		die("%s %u expected, %u came", name, want, got);
}

/* @got, relative, against the expectation @want. */
static void check_seg(const struct seg *want, const struct seg *got)
{
	uint8_t data[WIRE_MAXPAY];
	char wf[8];

	strcpy(wf, wire_flags(want->flags));
	if (want->flags != got->flags)
		die("flags %s expected, %s came", wf, wire_flags(got->flags));
	check_field("seq", want->seq, got->seq);
	check_field("ack", want->ack, got->ack);
	check_field("win", want->wnd, got->wnd);
	if (want->len >= 0 && want->len != got->len)
		die("%d payload bytes expected, %d came", want->len, got->len);
	if (want->mss != -1 && got->mss == -1)
		die("no MSS option came");
	check_field("mss", want->mss, got->mss);
	if (want->ts && !got->ts)
		die("no timestamp option came");
	if (want->ts) {
		check_field("ts val", want->tsval, got->tsval);
		check_field("ts ecr", want->tsecr, got->tsecr);
	}
	ttp_rand_fill(data, got->len, KEY_L, got->seq - 1);
	if (memcmp(data, got->data, got->len))
		die("the payload is not L's stream at %u", got->seq);
}

static void expect(char **tok, int n)
{
	long long early = d.now - d.tol;
	struct seg want, got;
	int r;

	parse_seg(tok, n, &want, true);
	r = wire_read(&d.w, &got, ms_until(d.now + d.tol));
	if (r < 0)
		die("a malformed segment came (%d)", r);
	if (!r)
		die("%s expected, nothing came", wire_flags(want.flags));
	if (ttp_now_ms() < early)
		die("%s came %lld ms early", wire_flags(got.flags),
		    d.now - ttp_now_ms());
	d.now = ttp_now_ms();	/* the lines after count from its arrival */
	if (d.verbose)
		fprintf(stderr, "%.3f > %s seq %u ack %u win %u len %d\n",
			(ttp_now_ms() - d.t0) / 1000.0, wire_flags(got.flags),
			got.seq, got.ack, got.wnd, got.len);
	if (got.dport != d.rport || got.saddr != WIRE_PEER)
		die("a segment to port %u, not R's %u", got.dport, d.rport);
	if (!d.lport)
		d.lport = got.sport;
	if (got.sport != d.lport)
		die("a segment from port %u, not L's %u", got.sport, d.lport);
	if ((got.flags & TTP_SYN) && !d.lisn_known && want.seq != WIRE_ANY) {
		d.lisn = got.seq - want.seq;
		d.lisn_known = true;
	}
	got.seq -= d.lisn;
	if (got.flags & TTP_ACK)
		got.ack -= PISN;
	check_seg(&want, &got);
}

static void quiet(void)
{
	struct seg got;
	int r = wire_read(&d.w, &got, ms_until(d.now));

	if (r)
		die("quiet expected, %s came", r < 0 ? "a malformed segment" :
		    wire_flags(got.flags));
}

/* ---- syscalls ------------------------------------------------------- */

static int parse_errno(const char *t)
{
	int e = ttp_errno_named(t);

	if (!e)
		die("unknown errno '%s'", t);
	return e;
}

/*
 * L's connection is reset, not closed, when the script ends, passed or
 * failed or killed: an orphan would outlive the script (and hold the
 * module) for minutes, sending to a peer that is gone. The "close" event
 * undoes it (unless the script set SO_LINGER): a close it asks for is
 * the ordinary one.
 */
static void reset_on_exit(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static void do_close(void)
{
	struct linger lg = { .l_onoff = 0 };

	if (!d.linger)
		setsockopt(d.s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (close(d.s))
		die("close: %s", strerror(errno));
	d.s = -1;
}

static void do_listen(uint16_t port)
{
	int one = 1;

	d.l = socket(ttp_family(), SOCK_STREAM, 0);
	if (d.l < 0 ||
	    setsockopt(d.l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    ttp_bind(d.l, WIRE_LOCAL, port) || listen(d.l, 8))
		die("listen: %s", strerror(errno));
	fcntl(d.l, F_SETFL, O_NONBLOCK);
	d.lport = port;
	d.rport = RPORT;
}

static void do_connect(uint16_t port)
{
	d.s = socket(ttp_family(), SOCK_STREAM, 0);
	if (d.s < 0)
		die("socket: %s", strerror(errno));
	fcntl(d.s, F_SETFL, O_NONBLOCK);
	reset_on_exit(d.s);
	d.rport = port;
	if (!ttp_connect(d.s, WIRE_PEER, port) || errno != EINPROGRESS)
		die("connect: %s, not EINPROGRESS", strerror(errno));
}

static void do_accept(char **tok, int n)
{
	int fd = accept(d.l, NULL, NULL);

	if (n > 1) {
		if (fd >= 0 || errno != parse_errno(tok[1]))
			die("accept: %s, not %s", fd >= 0 ? "a connection" :
			    strerror(errno), tok[1]);
		return;
	}
	if (fd < 0)
		die("accept: %s", strerror(errno));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	reset_on_exit(fd);
	d.s = fd;
}

static void do_write(int len)
{
	uint8_t buf[65536];
	ssize_t r;

	if (len < 0 || len > (int)sizeof(buf))
		die("write: bad length");
	ttp_rand_fill(buf, len, KEY_L, d.wrote);
	r = send(d.s, buf, len, 0);
	if (r != len)
		die("write %d: %zd (%s)", len, r, r < 0 ? strerror(errno) : "");
	d.wrote += len;
}

static void do_read(const char *what)
{
	uint8_t buf[65536];
	ssize_t r = recv(d.s, buf, sizeof(buf), MSG_DONTWAIT);
	int len;

	if (!strcmp(what, "EOF")) {
		if (r)
			die("read: %zd (%s), not end of file", r,
			    r < 0 ? strerror(errno) : "data");
		return;
	}
	if (what[0] == 'E') {
		if (r >= 0 || errno != parse_errno(what))
			die("read: %zd (%s), not %s", r,
			    r < 0 ? strerror(errno) : "data", what);
		return;
	}
	len = (int)parse_num(what, false);
	if (r != len)
		die("read: %zd (%s), not %d bytes", r,
		    r < 0 ? strerror(errno) : "bytes", len);
	if (ttp_rand_check(buf, r, KEY_R, d.got) >= 0)
		die("read: the bytes are not R's stream at %llu",
		    (unsigned long long)d.got);
	d.got += r;
}

static void do_state(const char *name)
{
	static const char * const states[] = {
		"", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
		"FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
		"LISTEN", "CLOSING",
	};
	struct ttp_info in;
	socklen_t len = sizeof(in);

	if (getsockopt(d.s, SOL_TTP, TTP_INFO, &in, &len))
		die("TTP_INFO: %s", strerror(errno));
	if (in.ttpi_state >= sizeof(states) / sizeof(states[0]) ||
	    strcmp(states[in.ttpi_state], name))
		die("state %s expected, %s", name,
		    in.ttpi_state < sizeof(states) / sizeof(states[0]) ?
		    states[in.ttpi_state] : "unknown");
}

static void sockopt(int level, int name, const void *v, socklen_t len)
{
	if (setsockopt(d.s >= 0 ? d.s : d.l, level, name, v, len))
		die("setsockopt: %s", strerror(errno));
}

static void do_info(const char *field, long want)
{
	struct ttp_info in;
	socklen_t len = sizeof(in);
	long got;

	if (getsockopt(d.s, SOL_TTP, TTP_INFO, &in, &len))
		die("TTP_INFO: %s", strerror(errno));
	if (!strcmp(field, "cwnd"))
		got = in.ttpi_snd_cwnd;
	else if (!strcmp(field, "ssthresh"))
		got = in.ttpi_snd_ssthresh;
	else
		die("info: no field '%s'", field);
	if (got != want)
		die("info %s is %ld, not %ld", field, got, want);
}

static void syscall_line(char **tok, int n)
{
	const char *c = tok[0], *a = n > 1 ? tok[1] : "";
	struct linger lg = { .l_onoff = 1 };
	int one = 1;
	long v;

	sleep_until(d.now);
	if (!strcmp(c, "listen")) {
		do_listen((uint16_t)parse_num(a, false));
	} else if (!strcmp(c, "connect")) {
		do_connect((uint16_t)parse_num(a, false));
	} else if (!strcmp(c, "accept")) {
		do_accept(tok, n);
	} else if (!strcmp(c, "write")) {
		do_write((int)parse_num(a, false));
	} else if (!strcmp(c, "read")) {
		do_read(a);
	} else if (!strcmp(c, "shutdown")) {
		if (shutdown(d.s, SHUT_WR))
			die("shutdown: %s", strerror(errno));
	} else if (!strcmp(c, "close")) {
		do_close();
	} else if (!strcmp(c, "nodelay")) {
		sockopt(SOL_TTP, TTP_NODELAY, &one, sizeof(one));
	} else if (!strcmp(c, "linger")) {
		lg.l_linger = (int)parse_num(a, false);
		sockopt(SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		d.linger = true;
	} else if (!strcmp(c, "state")) {
		do_state(a);
	} else if (!strcmp(c, "info") && n == 3) {
		do_info(a, (long)parse_num(tok[2], false));
	} else if (!strcmp(c, "congestion")) {
		sockopt(SOL_TTP, TTP_CONGESTION, a, strlen(a));
	} else if (!strcmp(c, "ports") && n == 3) {
		d.lport = (uint16_t)parse_num(a, false);
		d.rport = (uint16_t)parse_num(tok[2], false);
	} else if (!strcmp(c, "tolerance")) {
		d.tol = (int)parse_num(a, false);
	} else if (!strcmp(c, "counter") && n == 3) {
		v = wire_snmp(a);
		if (v != (long)parse_num(tok[2], false))
			die("counter %s is %ld, not %s", a, v, tok[2]);
	} else {
		die("unknown event '%s'", c);
	}
}

/* ---- the script ------------------------------------------------------ */

static void run_line(char *line)
{
	char *tok[64], *save, *t;
	long long prev = d.now;
	double secs;
	int n = 0;

	t = strchr(line, '#');
	if (t)
		*t = 0;
	for (t = strtok_r(line, " \t\n", &save); t && n < 64;
	     t = strtok_r(NULL, " \t\n", &save))
		tok[n++] = t;
	if (!n)
		return;
	if (n < 2 || sscanf(tok[0], "%lf", &secs) != 1 || secs < 0)
		die("a line is TIME EVENT");
	d.now = (tok[0][0] == '+' ? prev : d.t0) + (long long)(secs * 1000);
	if (d.now < prev)
		die("time goes back");
	if (!strcmp(tok[1], "<"))
		inject(tok + 2, n - 2);
	else if (!strcmp(tok[1], ">"))
		expect(tok + 2, n - 2);
	else if (!strcmp(tok[1], "quiet"))
		quiet();
	else if (!strcmp(tok[1], "icmp"))
		inject_icmp(tok + 2, n - 2);
	else
		syscall_line(tok + 1, n - 1);
}

/* Run @file; exits 0 if it passed, 1 if not, 4 (skip) without a tun. */
static void __attribute__((noreturn)) run_script(const char *file)
{
	char line[1024];
	int err;

	d.file = file;
	d.l = d.s = -1;
	d.f = fopen(file, "r");
	if (!d.f)
		die("%s", strerror(errno));
	err = wire_open(&d.w);
	if (err == -ENOENT || err == -ENODEV) {
		fprintf(stderr, "no tun device in this kernel\n");
		exit(4);
	}
	if (err)
		die("tun setup: %s", strerror(-err));
	d.t0 = d.now = ttp_now_ms();
	while (fgets(line, sizeof(line), d.f)) {
		d.line++;
		run_line(line);
	}
	exit(0);
}

/* The scripts next to the program: DIR/drill/\*.ttd, in name order. */
static int default_scripts(const char *argv0, glob_t *g)
{
	char pat[4096];

	snprintf(pat, sizeof(pat), "%s/drill/*.ttd", dirname(strdup(argv0)));
	return glob(pat, 0, NULL, g);
}

int main(int argc, char **argv)
{
	int opt, i, status, failed = 0;
	char **files;
	glob_t g;
	bool ok;
	pid_t pid;

	d.tol = (int)ttp_env_long("TTP_DRILL_TOLERANCE", 500);
	while ((opt = getopt(argc, argv, "vt:")) != -1) {
		switch (opt) {
		case 'v': d.verbose = 1; break;
		case 't': d.tol = atoi(optarg); break;
		default: return 2;
		}
	}
	files = argv + optind;
	argc -= optind;
	if (!argc) {
		if (default_scripts(argv[0], &g) || !g.gl_pathc) {
			printf("Bail out! no scripts in drill/ next to %s\n",
			       argv[0]);
			return 1;
		}
		files = g.gl_pathv;
		argc = (int)g.gl_pathc;
	}
	printf("1..%d\n", argc);
	for (i = 0; i < argc; i++) {
		fflush(stdout);
		pid = fork();
		if (!pid)
			run_script(files[i]);
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			return 1;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 4) {
			printf("ok %d %s # SKIP no tun device\n", i + 1,
			       basename(files[i]));
			continue;
		}
		ok = WIFEXITED(status) && !WEXITSTATUS(status);
		failed += !ok;
		printf("%sok %d %s\n", ok ? "" : "not ", i + 1,
		       basename(files[i]));
	}
	return failed ? 1 : 0;
}
