// SPDX-License-Identifier: GPL-2.0
/*
 * TTP at scale: more than 10,000 datagram sockets in one namespace.
 *
 * - Every ephemeral port of a range is handed out, each exactly once, the
 *   last ones found in a nearly full table; one more bind finds none.
 * - /proc/net/ttp lists every socket exactly once, whether it is read in
 *   one go or a line at a time (each read() of fewer bytes than a line
 *   makes seq_file start again where the previous read stopped).
 *
 * Each test runs in a namespace of its own. With TTP_TEST_AS_UDP=1 the same
 * tests run against udp and /proc/net/udp.
 */
#include <sys/resource.h>

#include "ttp_test.h"
#include "../../kselftest_harness.h"

#define NSOCK		12000
#define RANGE_LO	20000

FIXTURE(many)
{
	int n;
	int fd[NSOCK];
};

FIXTURE_SETUP(many)
{
	struct rlimit rl = { NSOCK + 64, NSOCK + 64 };
	char range[32];

	self->n = 0;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_EQ(0, ttp_netns_new());
	/* exactly NSOCK ephemeral ports */
	snprintf(range, sizeof(range), "%d %d", RANGE_LO, RANGE_LO + NSOCK - 1);
	ASSERT_EQ(0, ttp_write_file(ttp_stack()->range, range));
}

FIXTURE_TEARDOWN(many)
{
	while (self->n)
		close(self->fd[--self->n]);
}

/* Bind NSOCK sockets to port 0 on 127.0.0.1; every port once, all in range. */
static void bind_all(struct __test_metadata *_metadata, FIXTURE_DATA(many) *self)
{
	static unsigned char seen[NSOCK];
	int port, fd;

	memset(seen, 0, sizeof(seen));
	while (self->n < NSOCK) {
		fd = ttp_socket();
		ASSERT_LE(0, fd) TH_LOG("socket %d: %s", self->n, strerror(errno));
		self->fd[self->n++] = fd;
		ASSERT_EQ(0, ttp_bind(fd, LO, 0))
			TH_LOG("bind %d: %s", self->n, strerror(errno));
		port = ttp_local_port(fd);
		ASSERT_LE(RANGE_LO, port);
		ASSERT_GT(RANGE_LO + NSOCK, port);
		ASSERT_EQ(0, seen[port - RANGE_LO]) TH_LOG("port %d twice", port);
		seen[port - RANGE_LO] = 1;
	}
}

TEST_F_TIMEOUT(many, every_ephemeral_port_once, 240)
{
	int fd, port;

	bind_all(_metadata, self);
	fd = ttp_socket();
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, ttp_bind(fd, LO, 0));
	ASSERT_EQ(EADDRINUSE, errno);

	/* a port given back is found again, in a full table */
	port = ttp_local_port(self->fd[NSOCK / 2]);
	close(self->fd[NSOCK / 2]);
	self->fd[NSOCK / 2] = fd;
	ASSERT_EQ(0, ttp_bind(fd, LO, 0));
	ASSERT_EQ(port, ttp_local_port(fd));
}

/*
 * Read the whole socket table with read()s of @chunk bytes; returns the
 * text (malloc'd) and its length in *len.
 */
static char *read_table(struct __test_metadata *_metadata, size_t chunk,
			size_t *len)
{
	size_t cap = 4 << 20, n = 0;
	char *buf = malloc(cap);
	ssize_t r;
	int fd;

	ASSERT_NE(NULL, buf);
	fd = open(ttp_stack()->table, O_RDONLY);
	ASSERT_LE(0, fd);
	do {
		ASSERT_GT(cap, n + chunk) TH_LOG("table larger than %zu", cap);
		r = read(fd, buf + n, chunk);
		ASSERT_LE(0, r) TH_LOG("read: %s", strerror(errno));
		n += r;
	} while (r > 0);
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Check that @text lists each of our sockets once and nothing else. */
static void check_listing(struct __test_metadata *_metadata,
			  FIXTURE_DATA(many) *self, char *text)
{
	static unsigned char seen[NSOCK];
	char *line, *save = NULL;
	struct ttp_row r;
	int lines = 0, i;

	memset(seen, 0, sizeof(seen));
	line = strtok_r(text, "\n", &save);	/* the header */
	ASSERT_NE(NULL, line);
	ASSERT_NE(NULL, strstr(line, "local_address"));
	while ((line = strtok_r(NULL, "\n", &save))) {
		ASSERT_EQ(0, ttp_row_parse(line, &r)) TH_LOG("bad line: %s", line);
		ASSERT_EQ(htonl(LO), r.laddr) TH_LOG("line: %s", line);
		ASSERT_LE(RANGE_LO, r.lport);
		ASSERT_GT(RANGE_LO + NSOCK, r.lport);
		ASSERT_EQ(0, seen[r.lport - RANGE_LO])
			TH_LOG("port %d listed twice", r.lport);
		seen[r.lport - RANGE_LO] = 1;
		lines++;
	}
	ASSERT_EQ(NSOCK, lines);
	for (i = 0; i < NSOCK; i++)
		ASSERT_EQ(1, seen[i]);
}

TEST_F_TIMEOUT(many, proc_lists_every_socket_once, 240)
{
	char *whole, *lines;
	size_t n1, n2;

	bind_all(_metadata, self);
	whole = read_table(_metadata, 1 << 20, &n1);
	/* shorter than any line: one seq_file start per line */
	lines = read_table(_metadata, 61, &n2);
	ASSERT_EQ(n1, n2);
	ASSERT_EQ(0, memcmp(whole, lines, n1));
	check_listing(_metadata, self, whole);
	free(whole);
	free(lines);
}

TEST_HARNESS_MAIN
