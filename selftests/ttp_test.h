/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the TTP selftests: the socket family to use, a fresh
 * network namespace per test, addresses, and readers for /proc/net/ttp and
 * /proc/net/ttp_snmp.
 *
 * With TTP_TEST_AS_UDP=1 in the environment the same tests run against
 * AF_INET/SOCK_DGRAM (udp) and the udp proc files instead: this checks the
 * tests themselves against the reference behaviour on a machine without
 * the module.
 */
#ifndef TTP_TEST_H
#define TTP_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/ttp.h>	/* after <netinet/in.h>: libc-compat keeps them apart */

#define LOOPBACK	htonl(INADDR_LOOPBACK)

/* What the tests talk to: TTP (default) or udp (TTP_TEST_AS_UDP=1). */
struct ttp_stack {
	bool udp;
	int family;		/* socket(family, SOCK_DGRAM, 0) */
	int ipproto;		/* IP protocol number on the wire */
	int hdrlen;		/* transport header bytes */
	int max_dgram;		/* largest payload */
	const char *snmp;	/* counter file */
	const char *tag;	/* "Ttp:" or "Udp:" */
	const char *table;	/* socket table */
	const char *range;	/* ephemeral port range sysctl */
};

static inline int ttp_read_int(const char *path, int def)
{
	FILE *f = fopen(path, "r");
	int v;

	if (!f)
		return def;
	if (fscanf(f, "%d", &v) != 1)
		v = def;
	fclose(f);
	return v;
}

static inline const struct ttp_stack *ttp_stack(void)
{
	static struct ttp_stack s;
	const char *env = getenv("TTP_TEST_AS_UDP");

	if (s.snmp)
		return &s;
	if (env && *env == '1') {
		s.udp = true;
		s.family = AF_INET;
		s.ipproto = IPPROTO_UDP;
		s.hdrlen = 8;
		s.max_dgram = 65507;
		s.snmp = "/proc/net/snmp";
		s.tag = "Udp:";
		s.table = "/proc/net/udp";
		s.range = "/proc/sys/net/ipv4/ip_local_port_range";
	} else {
		s.family = ttp_read_int("/sys/module/ttp/parameters/family",
					AF_TTP);
		s.ipproto = ttp_read_int("/sys/module/ttp/parameters/protocol",
					 IPPROTO_TTP);
		s.hdrlen = TTP_HDR_LEN;
		s.max_dgram = TTP_MAX_DGRAM;
		s.snmp = "/proc/net/ttp_snmp";
		s.tag = "Ttp:";
		s.table = "/proc/net/ttp";
		s.range = "/proc/sys/net/ttp/local_port_range";
	}
	return &s;
}

static inline int ttp_family(void)
{
	return ttp_stack()->family;
}

static inline int ttp_socket(void)
{
	return socket(ttp_family(), SOCK_DGRAM, 0);
}

/* A TTP (or udp) address; ip and port in host order. */
static inline struct sockaddr_ttp ttp_addr(uint32_t ip, uint16_t port)
{
	struct sockaddr_ttp a;

	memset(&a, 0, sizeof(a));
	a.sttp_family = ttp_family();
	a.sttp_port = htons(port);
	a.sttp_addr.s_addr = htonl(ip);
	return a;
}

/* A sockaddr_in of @family (AF_INET, or TTP's: laid out alike) */
static inline struct sockaddr_in ttp_in4(int family, uint32_t ip, uint16_t port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = family;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(ip);
	return a;
}

#define SA(p)		((struct sockaddr *)(p))
#define IP4(a, b, c, d)	(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define LO		IP4(127, 0, 0, 1)

static inline int ttp_bind(int fd, uint32_t ip, uint16_t port)
{
	struct sockaddr_ttp a = ttp_addr(ip, port);

	return bind(fd, SA(&a), sizeof(a));
}

static inline int ttp_connect(int fd, uint32_t ip, uint16_t port)
{
	struct sockaddr_ttp a = ttp_addr(ip, port);

	return connect(fd, SA(&a), sizeof(a));
}

static inline ssize_t ttp_sendto(int fd, const void *buf, size_t len,
				 int flags, uint32_t ip, uint16_t port)
{
	struct sockaddr_ttp a = ttp_addr(ip, port);

	return sendto(fd, buf, len, flags, SA(&a), sizeof(a));
}

/* Local port of a socket in host order, -1 on error. */
static inline int ttp_local_port(int fd)
{
	struct sockaddr_ttp a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, SA(&a), &len))
		return -1;
	return ntohs(a.sttp_port);
}

/* ioctl @req on interface @name with @ifr (its name set here); 0 or -errno. */
static inline int ttp_ifreq(const char *name, unsigned long req,
			    struct ifreq *ifr)
{
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, req, ifr) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Bring interface @name up; 0 or -errno. */
static inline int ttp_if_up(const char *name)
{
	struct ifreq ifr;
	int err;

	memset(&ifr, 0, sizeof(ifr));
	err = ttp_ifreq(name, SIOCGIFFLAGS, &ifr);
	if (err)
		return err;
	ifr.ifr_flags |= IFF_UP;
	return ttp_ifreq(name, SIOCSIFFLAGS, &ifr);
}

/* Move the calling process into a new network namespace with lo up. */
static inline int ttp_netns_new(void)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	return ttp_if_up("lo");
}

/* Is the stack there? 0 if yes, else the errno of socket(). */
static inline int ttp_probe(void)
{
	int fd = ttp_socket();

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* ---- counters ------------------------------------------------------- */

struct ttp_mib {
	long in, noports, inerr, out, rcvbuf, sndbuf, csum, malformed, mem;
};

static inline long *ttp_mib_field(struct ttp_mib *m, const char *name)
{
	static const struct { const char *name; size_t off; } map[] = {
		{ "InDatagrams",  offsetof(struct ttp_mib, in) },
		{ "NoPorts",      offsetof(struct ttp_mib, noports) },
		{ "InErrors",     offsetof(struct ttp_mib, inerr) },
		{ "OutDatagrams", offsetof(struct ttp_mib, out) },
		{ "RcvbufErrors", offsetof(struct ttp_mib, rcvbuf) },
		{ "SndbufErrors", offsetof(struct ttp_mib, sndbuf) },
		{ "InCsumErrors", offsetof(struct ttp_mib, csum) },
		{ "Malformed",    offsetof(struct ttp_mib, malformed) },
		{ "MemErrors",    offsetof(struct ttp_mib, mem) },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].name, name))
			return (long *)((char *)m + map[i].off);
	return NULL;
}

/*
 * Read the counters of the current netns. Returns the number of known
 * counters found (8 for TTP), or -errno.
 */
static inline int ttp_mib_read(struct ttp_mib *m)
{
	const struct ttp_stack *s = ttp_stack();
	char names[1024], vals[1024], line[1024];
	char *np, *vp, *n, *v;
	int found = 0;
	FILE *f;

	memset(m, 0, sizeof(*m));
	f = fopen(s->snmp, "r");
	if (!f)
		return -errno;
	names[0] = vals[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, s->tag, strlen(s->tag)))
			continue;
		if (!names[0])
			strcpy(names, line);
		else if (!vals[0])
			strcpy(vals, line);
	}
	fclose(f);
	n = strtok_r(names + strlen(s->tag), " \t\n", &np);
	v = strtok_r(vals + strlen(s->tag), " \t\n", &vp);
	while (n && v) {
		long *field = ttp_mib_field(m, n);

		if (field) {
			*field = strtol(v, NULL, 10);
			found++;
		}
		n = strtok_r(NULL, " \t\n", &np);
		v = strtok_r(NULL, " \t\n", &vp);
	}
	return found;
}

/* ---- the socket table ----------------------------------------------- */

struct ttp_row {
	uint32_t laddr, raddr;		/* as printed: raw __be32 */
	unsigned int lport, rport, st, tp, txq, rxq, uid, drops;
	unsigned long inode;
};

static inline int ttp_row_parse(const char *line, struct ttp_row *r)
{
	unsigned long dummy;
	int n;

	memset(r, 0, sizeof(*r));
	if (!ttp_stack()->udp) {
		n = sscanf(line, " %*d: %8X:%4X %8X:%4X %2X %2X %8X:%8X %u %lu %u",
			   &r->laddr, &r->lport, &r->raddr, &r->rport, &r->st,
			   &r->tp, &r->txq, &r->rxq, &r->uid, &r->inode,
			   &r->drops);
		return n == 11 ? 0 : -1;
	}
	n = sscanf(line, " %*d: %8X:%4X %8X:%4X %2X %8X:%8X %*X:%lX %*X %u %*d %lu %*d %*s %u",
		   &r->laddr, &r->lport, &r->raddr, &r->rport, &r->st,
		   &r->txq, &r->rxq, &dummy, &r->uid, &r->inode, &r->drops);
	r->tp = SOCK_DGRAM;
	return n == 11 ? 0 : -1;
}

/*
 * Find the row whose local port is lport (any port if lport < 0).
 * Returns the number of matching rows; the first is copied to *out.
 */
static inline int ttp_table_find(int lport, struct ttp_row *out)
{
	char line[512];
	struct ttp_row r;
	int count = 0;
	FILE *f;

	f = fopen(ttp_stack()->table, "r");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {	/* header */
		fclose(f);
		return -EIO;
	}
	while (fgets(line, sizeof(line), f)) {
		if (ttp_row_parse(line, &r))
			continue;
		if (lport >= 0 && (int)r.lport != lport)
			continue;
		if (!count++ && out)
			*out = r;
	}
	fclose(f);
	return count;
}

/* Write @val to the file at @path, in one write. Returns 0 or -errno. */
static inline int ttp_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

/* Write net.ttp.@name of this namespace. Returns 0 or -errno. */
static inline int ttp_sysctl(const char *name, long val)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ttp/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "%ld\n", val);
	return fclose(f) ? -errno : 0;
}

/*
 * The rows of this namespace's socket table (the header aside); with @log
 * each is printed too, as a "# left:" line.
 */
static inline int ttp_table_rows(bool log)
{
	char line[512];
	int n = -1;
	FILE *f = fopen(ttp_stack()->table, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (n++ >= 0 && log)
			fprintf(stderr, "# left: %s", line);
	fclose(f);
	return n;
}

/* ---- time and data -------------------------------------------------- */

static inline long long ttp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static inline void ttp_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * The data the tests move: a random stream per key, any byte of which is
 * computed from the key and its offset alone (SplitMix64 of the key and
 * the offset's 8-byte word). No period: a block delivered twice, shifted
 * or from another stream does not match where it lands.
 */
static inline uint64_t ttp_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Byte @off of stream @key. */
static inline unsigned char ttp_rand_byte(uint64_t key, uint64_t off)
{
	return ttp_mix64(ttp_mix64(key) ^ (off >> 3)) >> ((off & 7) * 8);
}

/* @len bytes of stream @key from offset @off into @buf. */
static inline void ttp_rand_fill(void *buf, size_t len, uint64_t key,
				 uint64_t off)
{
	unsigned char *p = buf;
	uint64_t k = ttp_mix64(key), w = 0;
	size_t i;

	for (i = 0; i < len; i++, off++) {
		if (!i || !(off & 7))
			w = ttp_mix64(k ^ (off >> 3));
		p[i] = w >> ((off & 7) * 8);
	}
}

/* The index of the first of @len bytes not stream @key's from @off; -1. */
static inline long ttp_rand_check(const void *buf, size_t len, uint64_t key,
				  uint64_t off)
{
	const unsigned char *p = buf;
	uint64_t k = ttp_mix64(key), w = 0;
	size_t i;

	for (i = 0; i < len; i++, off++) {
		if (!i || !(off & 7))
			w = ttp_mix64(k ^ (off >> 3));
		if (p[i] != (unsigned char)(w >> ((off & 7) * 8)))
			return (long)i;
	}
	return -1;
}

/*
 * The key of what the active (@from 0) or passive (1) end of connection
 * @fd sends, as both ends compute it: from the ports, so that connections
 * open at once each move their own bytes. @passive: is @fd that end?
 */
static inline uint64_t ttp_conn_key(int fd, int passive, int from)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	uint64_t lp = 0, pp = 0;

	if (!getsockname(fd, (struct sockaddr *)&a, &al))
		lp = ntohs(a.sin_port);
	al = sizeof(a);
	if (!getpeername(fd, (struct sockaddr *)&a, &al))
		pp = ntohs(a.sin_port);
	return ((passive ? pp : lp) << 17) | ((passive ? lp : pp) << 1) | from;
}

/* Datagram payloads: stream @seed from offset 0. */
static inline void ttp_fill(void *buf, size_t len, unsigned int seed)
{
	ttp_rand_fill(buf, len, seed, 0);
}

/* RFC 1071 sum over a buffer, folded into 16 bits, not complemented. */
static inline uint32_t ttp_csum_add(uint32_t sum, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 1) {
		sum += (p[0] << 8) | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/*
 * The transport checksum: pseudo-header (source, destination, zero,
 * protocol, length) then the header and payload in seg (with its checksum
 * field zero). Addresses in network order; result in network order.
 */
static inline uint16_t ttp_csum(uint32_t saddr, uint32_t daddr, int proto,
				const void *seg, size_t len)
{
	unsigned char ph[12];
	uint16_t l = htons(len), c;

	memcpy(ph, &saddr, 4);
	memcpy(ph + 4, &daddr, 4);
	ph[8] = 0;
	ph[9] = proto;
	memcpy(ph + 10, &l, 2);
	c = ~ttp_csum_add(ttp_csum_add(0, ph, sizeof(ph)), seg, len);
	return htons(c);
}

/* ---- the fuzzers: environment, seed, random numbers ------------------ */

/* The errnos the tools name, both ways: ttp_errname(), ttp_errno_named(). */
static const struct { int e; const char *name; } ttp_errnames[] = {
	{ ETIMEDOUT, "ETIMEDOUT" }, { ECONNREFUSED, "ECONNREFUSED" },
	{ ECONNRESET, "ECONNRESET" }, { EPIPE, "EPIPE" },
	{ EHOSTUNREACH, "EHOSTUNREACH" }, { ENETUNREACH, "ENETUNREACH" },
	{ ENOTCONN, "ENOTCONN" }, { ENOMEM, "ENOMEM" },
	{ ENOBUFS, "ENOBUFS" }, { EAGAIN, "EAGAIN" },
	{ EINVAL, "EINVAL" }, { EBADF, "EBADF" },
	{ EADDRINUSE, "EADDRINUSE" }, { EINTR, "EINTR" },
	{ ECONNABORTED, "ECONNABORTED" }, { EPROTO, "EPROTO" },
};

/* "ECONNRESET" for ECONNRESET; "errnoN" for one not in the table. */
static inline const char *ttp_errname(int e)
{
	static char buf[16];
	size_t i;

	for (i = 0; i < sizeof(ttp_errnames) / sizeof(ttp_errnames[0]); i++)
		if (ttp_errnames[i].e == e)
			return ttp_errnames[i].name;
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

/* The errno named @name, or 0 for a name not in the table. */
static inline int ttp_errno_named(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(ttp_errnames) / sizeof(ttp_errnames[0]); i++)
		if (!strcmp(ttp_errnames[i].name, name))
			return ttp_errnames[i].e;
	return 0;
}

/* $@name as a number, or @def when unset or empty. */
static inline long ttp_env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

/* FUZZ_SEED if set, else a fresh one (the caller logs it for a replay). */
static inline uint64_t ttp_fuzz_seed(void)
{
	return ttp_env_long("FUZZ_SEED", 0) ?:
	       (uint64_t)ttp_now_ms() ^ ((uint64_t)getpid() << 32);
}

/* The next number of the xorshift64* sequence in *@state (not 0). */
static inline uint32_t ttp_xorshift(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return (uint32_t)((*state * 2685821657736338717ULL) >> 32);
}

#endif /* TTP_TEST_H */
