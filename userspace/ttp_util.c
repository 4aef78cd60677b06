// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the TTP userspace tools; see ttp_util.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ttp_util.h"

int ttp_family(void)
{
	char buf[32], *end;
	FILE *f;
	long val;

	f = fopen(TTP_FAMILY_PARAM, "re");
	if (!f)
		return AF_TTP;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return AF_TTP;
	}
	fclose(f);

	errno = 0;
	val = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') ||
	    val <= 0 || val > 255)
		return AF_TTP;
	return (int)val;
}

int ttp_parse_port(const char *s, unsigned short *port)
{
	unsigned long val;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	val = strtoul(s, &end, 10);
	if (errno || *end || val > 65535)
		return -1;
	*port = (unsigned short)val;
	return 0;
}

static int ttp_addr_seen(const struct in_addr *addrs, int n,
			 struct in_addr addr)
{
	int i;

	for (i = 0; i < n; i++)
		if (addrs[i].s_addr == addr.s_addr)
			return 1;
	return 0;
}

int ttp_resolve(const char *host, struct in_addr *addrs, int max, int *n)
{
	struct addrinfo hints, *res, *ai;
	int err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	/* Any type would do; one keeps getaddrinfo from listing each twice. */
	hints.ai_socktype = SOCK_DGRAM;

	err = getaddrinfo(host, NULL, &hints, &res);
	if (err)
		return err;

	*n = 0;
	for (ai = res; ai && *n < max; ai = ai->ai_next) {
		const struct sockaddr_in *sin = (void *)ai->ai_addr;

		if (ai->ai_family != AF_INET ||
		    ai->ai_addrlen < sizeof(*sin))
			continue;
		if (!ttp_addr_seen(addrs, *n, sin->sin_addr))
			addrs[(*n)++] = sin->sin_addr;
	}
	freeaddrinfo(res);
	return *n ? 0 : EAI_NONAME;
}

const char *ttp_resolve_strerror(int err)
{
	if (err == EAI_SYSTEM)
		return strerror(errno);
	return gai_strerror(err);
}

void ttp_sockaddr(struct sockaddr_ttp *sa, int family, struct in_addr addr,
		  unsigned short port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sttp_family = (__kernel_sa_family_t)family;
	sa->sttp_port = htons(port);
	sa->sttp_addr = addr;
}

char *ttp_addrport(char *buf, struct in_addr addr, unsigned short port)
{
	char ip[INET_ADDRSTRLEN];

	if (!inet_ntop(AF_INET, &addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	snprintf(buf, TTP_ADDRPORT_LEN, "%s:%u", ip, port);
	return buf;
}
