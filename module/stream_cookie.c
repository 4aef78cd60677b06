// SPDX-License-Identifier: GPL-2.0
/*
 * SYN cookies (RFC 4987 3.6), as TCP's: a listener whose queue is full
 * (net.ttp.syncookies = 1, the default) or any listener (2) answers a SYN
 * without keeping anything. The SYN-ACK's sequence number is the cookie,
 * and an ACK of cookie + 1 from the same peer, ports and ISN is enough to
 * make the connection:
 *
 *   cookie = H0(addresses, ports) + peer's ISN + (minute << 24)
 *            + ((H1(addresses, ports, minute) + MSS index) mod 2^24)
 *
 * H0 and H1 are SipHash under two keys drawn once per boot (not the ISN's
 * key); minute counts jiffies in minutes, its low 8 bits in the cookie; the
 * index is the peer's MSS rounded down to ttp_cookie_mss[]. An ACK is taken
 * in the cookie's minute and the next one.
 *
 * What TCP encodes in the timestamp (window scale, SACK, ECN) TTP does not
 * have: its window is 32 bits, unscaled. Whether timestamps were agreed
 * needs no bit either: the final ACK carries them exactly when both SYNs
 * did. A cookie connection loses the peer's exact MSS, and its SYN-ACK is
 * never resent (the peer resends its SYN).
 */
#include <linux/siphash.h>

#include "stream.h"

#define TTP_COOKIE_BITS		24
#define TTP_COOKIE_MASK		(BIT(TTP_COOKIE_BITS) - 1)
/* a cookie is good in its own minute and the next */
#define TTP_COOKIE_MAX_AGE	2

/*
 * The MSS values a cookie can carry, ascending: the floor, the default, and
 * MTU - 44 of common links (a 1480-byte tunnel, Ethernet, jumbo frames,
 * loopback).
 */
static const u16 ttp_cookie_mss[] = {
	TTP_MSS_MIN, 536, 1200, 1400, 1436, 1456, 8956, 65492,
};

static siphash_aligned_key_t ttp_cookie_key[2];

static u32 ttp_cookie_minute(void)
{
	return (u32)div_u64(get_jiffies_64(), 60 * HZ);
}

static u32 ttp_cookie_hash(__be32 saddr, __be32 daddr, __be16 sport,
			   __be16 dport, u32 minute, int key)
{
	net_get_random_once(ttp_cookie_key, sizeof(ttp_cookie_key));
	return siphash_4u32((__force u32)saddr, (__force u32)daddr,
			    (__force u32)sport << 16 | (__force u32)dport,
			    minute, &ttp_cookie_key[key]);
}

/*
 * The cookie for a SYN from @saddr:@sport to @daddr:@dport with ISN @isn
 * announcing @mss.
 */
u32 ttp_cookie_make(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport,
		    u32 isn, u16 mss)
{
	u32 minute = ttp_cookie_minute(), i = ARRAY_SIZE(ttp_cookie_mss) - 1;

	while (i && ttp_cookie_mss[i] > mss)
		i--;
	return ttp_cookie_hash(saddr, daddr, sport, dport, 0, 0) + isn +
	       (minute << TTP_COOKIE_BITS) +
	       ((ttp_cookie_hash(saddr, daddr, sport, dport, minute, 1) + i) &
		TTP_COOKIE_MASK);
}

/*
 * The MSS @cookie carries, if it is the one ttp_cookie_make() gave this
 * peer and ISN at most TTP_COOKIE_MAX_AGE - 1 minutes ago; else 0.
 */
u16 ttp_cookie_check(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport,
		     u32 isn, u32 cookie)
{
	u32 minute = ttp_cookie_minute(), age, i;

	cookie -= ttp_cookie_hash(saddr, daddr, sport, dport, 0, 0) + isn;
	age = (minute - (cookie >> TTP_COOKIE_BITS)) &
	      (U32_MAX >> TTP_COOKIE_BITS);
	if (age >= TTP_COOKIE_MAX_AGE)
		return 0;
	i = (cookie - ttp_cookie_hash(saddr, daddr, sport, dport,
				      minute - age, 1)) & TTP_COOKIE_MASK;
	return i < ARRAY_SIZE(ttp_cookie_mss) ? ttp_cookie_mss[i] : 0;
}
