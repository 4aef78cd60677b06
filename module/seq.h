/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sequence number arithmetic of the TTP stream: 32-bit numbers that wrap
 * around (RFC 9293 section 3.4), compared as the signed distance from one to
 * the other, as TCP does. Two numbers compare correctly only while they are
 * less than 2^31 apart; every window TTP keeps is far smaller than that.
 *
 * Pure logic: no kernel calls. The unit tests in selftests/unit/ compile this
 * header in userspace, where selftests/unit/shim/ supplies <linux/types.h>.
 * Never compare sequence numbers with < or >: use these.
 */
#ifndef _TTP_SEQ_H
#define _TTP_SEQ_H

#include <linux/types.h>

/* The farthest apart two sequence numbers may be and still compare. */
#define TTP_SEQ_MAX_SPAN	0x7fffffffU

/*
 * Is a before b? True when b - a, taken modulo 2^32, lies in [1, 2^31 - 1]
 * (equivalently a - b is negative as an s32). At exactly 2^31 apart each is
 * "before" the other: callers never let numbers drift that far.
 */
static inline bool ttp_seq_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

/* Is a after b? */
static inline bool ttp_seq_after(u32 a, u32 b)
{
	return ttp_seq_before(b, a);
}

/* Is lo <= s <= hi, going forward from lo (so hi may have wrapped past 0)? */
static inline bool ttp_seq_between(u32 s, u32 lo, u32 hi)
{
	return hi - lo >= s - lo;
}

/* The earlier of two sequence numbers. */
static inline u32 ttp_seq_min(u32 a, u32 b)
{
	return ttp_seq_before(b, a) ? b : a;
}

/* The later of two sequence numbers. */
static inline u32 ttp_seq_max(u32 a, u32 b)
{
	return ttp_seq_after(b, a) ? b : a;
}

#endif /* _TTP_SEQ_H */
