/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the TTP userspace tools (ttpcat, ttpstat) and
 * anything else that wants them: the family number of the loaded module,
 * port parsing, name resolution and "a.b.c.d:port" formatting.
 *
 * Include it after the libc headers: <linux/ttp.h> pulls in <linux/in.h>,
 * which only coexists with <netinet/in.h> when that one comes first.
 */
#ifndef TTP_UTIL_H
#define TTP_UTIL_H

#include <stddef.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/ttp.h>

/* Where the loaded module says which socket family it registered. */
#define TTP_FAMILY_PARAM	"/sys/module/ttp/parameters/family"

/* "255.255.255.255:65535" plus the terminating NUL */
#define TTP_ADDRPORT_LEN	22

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

/* Most addresses ttp_resolve() hands back. */
#define TTP_RESOLVE_MAX		16

/*
 * The AF_TTP family number in use: the value of TTP_FAMILY_PARAM when the
 * module is loaded and the file holds a sane number, else AF_TTP from the
 * header.
 */
int ttp_family(void);

/*
 * Parse a decimal port number 0..65535 (no sign, no trailing junk) into
 * *port in host order. Returns 0, or -1 when @s is not a port.
 */
int ttp_parse_port(const char *s, unsigned short *port);

/*
 * Resolve @host (a dotted address or a name from /etc/hosts or DNS) to at
 * most @max IPv4 addresses, duplicates removed, in resolver order, and set
 * *@n to their count (>= 1). Returns 0, or the getaddrinfo() EAI_* code;
 * ttp_resolve_strerror() turns that into a message.
 */
int ttp_resolve(const char *host, struct in_addr *addrs, int max, int *n);
const char *ttp_resolve_strerror(int err);

/* Fill a struct sockaddr_ttp; @port in host order. */
void ttp_sockaddr(struct sockaddr_ttp *sa, int family, struct in_addr addr,
		  unsigned short port);

/*
 * Format "a.b.c.d:port" into @buf (at least TTP_ADDRPORT_LEN bytes);
 * @port in host order. Returns @buf.
 */
char *ttp_addrport(char *buf, struct in_addr addr, unsigned short port);

#endif /* TTP_UTIL_H */
